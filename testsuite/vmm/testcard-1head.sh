#!/bin/sh
# The testcard with one head: the exact pixels of testcard.h (bars, grid,
# head digits and id, frame counter, video rectangle), read back through
# the display model; the card presents each frame (PRESENT register), and
# the display refreshes on it, not on its tick: viewers get whole frames.
. "$srcdir/vmm/vmm-lib.sh"
vmm_run -H 1 "serial:testcard ready heads=1\n" \
	card:0 presents:10 whole:0 poweroff exit:host-poweroff
vmm_end
