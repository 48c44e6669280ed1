#!/bin/sh
# A mode hint makes the testcard resize its head; the display model
# reports the resize and damage covering the whole new head; the card is
# redrawn at the new size.  0x0 turns a head off; too big is rejected.
. "$srcdir/vmm/vmm-lib.sh"
vmm_run -H 2 "serial:testcard ready heads=2\n" \
	hint:1,640,480 "serial:mode 1 640x480\n" resized:1,640,480 \
	card:1,640,480 card:0 \
	hint:0,1280,720 "serial:mode 0 1280x720\n" resized:0,1280,720 \
	card:0,1280,720 \
	hint:1,20000,20000 "serial:mode 1 rejected 20000x20000\n" \
	hint:1,0,0 "serial:mode 1 off\n" \
	poweroff exit:host-poweroff
vmm_end
