#!/bin/sh
# Keyboard and pointer input injected on the host side appear on COM1
# exactly, in order, and on the screen (text line, crosshair).
. "$srcdir/vmm/vmm-lib.sh"
vmm_run -H 2 "serial:testcard ready heads=2\n" \
	key:1e,down key:1e,up key:e04b,down key:e04b,up key:30,down \
	"serial:\nkey 1e down\nkey 1e up\nkey e04b down\nkey e04b up\nkey 30 down\n" \
	scancodes:e0,1d,e0,9d,10,90 \
	"serial:\nkey e01d down\nkey e01d up\nkey 10 down\nkey 10 up\n" \
	pixel:0,17,433,000000 pixel:0,19,433,ffff00 \
	ptr:0,100,200,1 ptr:0,101,202,0 ptr:1,40,140,4 ptr:0,300,400,2,-1 \
	"serial:\nptr 100 200 1\nptr 101 202 0\nptr 40 140 4 head=1\nptr 300 400 2\nwheel -1 0\n" \
	pixel:0,305,400,ff8000 pixel:0,300,390,ff8000 pixel:1,40,140,303030 pixel:1,40,130,303030 \
	poweroff exit:host-poweroff
vmm_end
