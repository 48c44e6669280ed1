#!/bin/sh
# Lifecycle: damage is refined to what really changes; a host reset and
# guest resets (i8042 0xfe, port 0xcf9) reboot the testcard; the power
# button (Ctrl-Alt-Del, no ACPI) makes it power off.
. "$srcdir/vmm/vmm-lib.sh"
R="serial:testcard ready heads=1\n"
RR="serial:testcard ready heads=1\ntestcard rtc "
timeout 60 "$VMM_RUN" -S "$R" card:0 damage:0 reset "$RR" card:0 \
	powerbutton "serial:key 1d down\nkey 38 down\nkey e053 down\ntestcard poweroff\n" \
	exit:poweroff >"${TMPDIR:-/tmp}/vmm-lc.$$"
st=$?
timeout 60 "$VMM_RUN" -S -a reset "$RR" card:0 poweroff exit:host-poweroff |
	sed 's/^\(not \)\{0,1\}ok \([0-9]*\)/&/' >>"${TMPDIR:-/tmp}/vmm-lc.$$" || st=1
timeout 60 "$VMM_RUN" -S -a resetcf9 "$RR" card:0 poweroff exit:host-poweroff \
	>>"${TMPDIR:-/tmp}/vmm-lc.$$" || st=1
# one TAP stream out of the three runs
awk '/^1\.\./{next} /^(not )?ok /{n++; sub(/ok [0-9]+/, "ok " n)} {print} END{print "1.." n}' \
	"${TMPDIR:-/tmp}/vmm-lc.$$"
rm -f "${TMPDIR:-/tmp}/vmm-lc.$$"
exit $st
