#!/bin/sh
# Pause stops the frame counter; resume continues it from where it
# stopped (no catch-up).
. "$srcdir/vmm/vmm-lib.sh"
vmm_run "serial:testcard ready heads=1\n" card:0 \
	pause resume card:0 poweroff exit:host-poweroff
vmm_end
