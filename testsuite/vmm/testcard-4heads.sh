#!/bin/sh
# The testcard with four heads (two vCPUs): every head shows its own card
# (1024x768 on head 0, 800x600 on the others) with the right head number.
. "$srcdir/vmm/vmm-lib.sh"
exec timeout 120 "$VMM_RUN" -S -H 4 -c 2 "serial:testcard ready heads=4\n" \
	card:0 card:1 card:2 card:3 poweroff exit:host-poweroff
