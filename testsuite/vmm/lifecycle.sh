#!/bin/sh
# Lifecycle: damage is refined to what really changes; a host reset and
# guest resets (i8042 0xfe, port 0xcf9) reboot the testcard; the power
# button (Ctrl-Alt-Del, no ACPI) makes it power off.
. "$srcdir/vmm/vmm-lib.sh"
R="serial:testcard ready heads=1\n"
RR="serial:testcard ready heads=1\ntestcard rtc "
vmm_run "$R" card:0 damage:0 reset "$RR" card:0 \
	powerbutton "serial:key 1d down\nkey 38 down\nkey e053 down\ntestcard poweroff\n" \
	exit:poweroff
vmm_run -a reset "$RR" card:0 poweroff exit:host-poweroff
vmm_run -a resetcf9 "$RR" card:0 poweroff exit:host-poweroff
vmm_end
