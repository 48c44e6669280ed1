#!/bin/sh
# The maximum of 16 heads: two-digit head numbers, damage limited to what
# changes, a large mode, and the flush-rect register (F1 in the testcard)
# producing damage over a whole head whose pixels did not change.
. "$srcdir/vmm/vmm-lib.sh"
VMM_TIMEOUT=300
vmm_run -t 120 -H 16 "serial:testcard ready heads=16\n" \
	card:0 card:10 card:15 damage:15 \
	hint:15,1920,1080 "serial:mode 15 1920x1080\n" resized:15,1920,1080 \
	card:15,1920,1080 \
	damage:0 uncover:0 key:3b,down "serial:key 3b down\n" covered:0 \
	poweroff exit:host-poweroff
vmm_end
