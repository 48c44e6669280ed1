#!/bin/sh
# The testcard with four heads (two vCPUs): every head shows its own card
# (1024x768 on head 0, 800x600 on the others) with the right head number;
# 4.5 GiB of RAM, so part of it sits above the MMIO hole at 4 GiB.
. "$srcdir/vmm/vmm-lib.sh"
exec timeout 120 "$VMM_RUN" -S -H 4 -c 2 -m 4608 "serial:testcard ready heads=4\n" \
	card:0 card:1 card:2 card:3 poweroff exit:host-poweroff
