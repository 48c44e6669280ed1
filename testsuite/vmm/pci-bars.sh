#!/bin/sh
# The display device's BARs answer the sizing protocol (4 KiB registers,
# 32 MiB VRAM for two heads), and when the guest moves them (decoding off
# meanwhile, as Linux does) the registers and the framebuffers follow:
# the card, its damage and input work at the new addresses, and a reset
# puts the BARs back where the VMM assigned them.
. "$srcdir/vmm/vmm-lib.sh"
bars="testcard bars regs=e0000000->e0100000/4096 vram=c000000c->d000000c/33554432\n"
vmm_run -H 2 -a movebars "serial:$bars" \
	"serial:testcard ready heads=2\n" card:0 card:1 \
	hint:1,640,480 resized:1,640,480 card:1,640,480 \
	ptr:0,500,400,1 "serial:ptr 500 400 1\n" pixel:0,505,400,ff8000 \
	reset "serial:ptr 500 400 1\n$bars" card:0 card:1 \
	poweroff exit:host-poweroff
vmm_end
