#!/bin/sh
# The testcard with one head: the exact pixels of testcard.h (bars, grid,
# head digits and id, frame counter, video rectangle), read back through
# the display model.
. "$srcdir/vmm/vmm-lib.sh"
vmm_run -H 1 "serial:testcard ready heads=1\n" \
	card:0 poweroff exit:host-poweroff
vmm_end
