#!/bin/sh
# The i8042 as a guest that programs it sees it: with translation off the
# host's set-1 keys arrive as the set-2 bytes a real keyboard sends (make,
# F0 + make for a release, E0/E1 prefixes kept, also for raw bytes); the PS/2 mouse acknowledges
# "enable" and reports pointer motion as 3-byte packets (y up).
. "$srcdir/vmm/vmm-lib.sh"
k() { printf 'i8042 kbd %s\\n' "$@"; }
a() { printf 'i8042 aux %s\\n' "$@"; }
vmm_run -a raw8042 \
	"serial:testcard ready heads=1\n$(a fa)" \
	key:1e,down key:1e,up "serial:$(k 1c f0 1c)" \
	key:e04b,down key:e04b,up "serial:$(k e0 6b e0 f0 6b)" \
	key:3b,down "serial:$(k 05)" \
	scancodes:e1,1d,45,e1,9d,c5 "serial:$(k e1 14 77 e1 f0 14 f0 77)" \
	ptr:0,10,5,1 "serial:$(a 29 0a fb)" \
	ptr:0,4,9,2 "serial:$(a 3a fa fc)" \
	poweroff exit:host-poweroff
vmm_end
