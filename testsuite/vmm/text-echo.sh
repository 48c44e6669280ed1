#!/bin/sh
# The testcard's echo redraws only the text cells a key changes: after
# A, B and Backspace the line shows A alone (B's cell cleared, A's kept),
# and Enter clears the whole line.  The echo leaves the crosshair a
# second head shows where it is (it used to move head 0's, erasing
# every other head's: a key typed after a pointer event on head 1 made
# vmm/savestate.sh flaky).
. "$srcdir/vmm/vmm-lib.sh"
# 'A' has no dot top left (17,433) but one next to it (19,433); 'B' has
# one top left, in the second cell at 29,433.
vmm_run -H 2 "serial:testcard ready heads=2\n" \
	ptr:1,30,40,0 "serial:ptr 30 40 0 head=1\n" pixel:1,30,40,ff8000 \
	key:1e,down key:1e,up key:30,down key:30,up \
	"serial:\nkey 1e down\nkey 1e up\nkey 30 down\nkey 30 up\n" \
	pixel:0,19,433,ffff00 pixel:0,29,433,ffff00 \
	key:0e,down key:0e,up "serial:\nkey 0e down\nkey 0e up\n" \
	pixel:0,29,433,000000 pixel:0,19,433,ffff00 pixel:0,17,433,000000 \
	key:1c,down key:1c,up "serial:\nkey 1c down\nkey 1c up\n" \
	pixel:0,19,433,000000 pixel:1,30,40,ff8000 \
	poweroff exit:host-poweroff
vmm_end
