#!/bin/sh
# The testcard with four heads (two vCPUs on KVM): every head shows its own card
# (1024x768 on head 0, 800x600 on the others) with the right head number;
# 4.5 GiB of RAM, so part of it sits above the MMIO hole at 4 GiB.
. "$srcdir/vmm/vmm-lib.sh"
for a in $VMM_ACCELS; do
	# the software CPU runs one vCPU; KVM runs two here
	cpus=1
	[ "$a" = kvm ] && cpus=2
	vmm_run_on "$a" -H 4 -c $cpus -m 4608 "serial:testcard ready heads=4\n" \
		card:0 card:1 card:2 card:3 poweroff exit:host-poweroff
done
vmm_end
