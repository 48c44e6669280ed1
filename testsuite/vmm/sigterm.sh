#!/bin/sh
# SIGTERM to a process running a VM powers it off cleanly: vmm_wait says
# host power off, the process exits 0.
. "$srcdir/vmm/vmm-lib.sh"
tap_tmpdir
for a in $VMM_ACCELS; do
	vmm_usable "$a" || continue
	"$VMM_RUN" -A "$a" -t 60 "serial:testcard ready" exit:host-poweroff \
		>"$TMPD/out" 2>"$TMPD/err" &
	pid=$!
	i=0
	while ! grep -q '^ok 1' "$TMPD/out" && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -TERM $pid
	wait $pid
	st=$?
	like "$(cat "$TMPD/out")" "ok 1 - COM1" "$a: testcard came up"
	like "$(cat "$TMPD/out")" "ok 2 - VM stopped with reason host-poweroff" \
		"$a: SIGTERM powered the VM off"
	is "$st" 0 "$a: exit status 0"
done
vmm_end
