#!/bin/sh
# SIGTERM to a process running a VM powers it off cleanly: vmm_wait says
# host power off, the process exits 0.
. "$srcdir/vmm/vmm-lib.sh"
tap_tmpdir
"$VMM_RUN" -S -t 60 "serial:testcard ready" exit:host-poweroff >"$TMPD/out" 2>"$TMPD/err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$TMPD"' EXIT
i=0
while ! grep -q '^ok 1' "$TMPD/out" && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
st=$?
plan 3
like "$(cat "$TMPD/out")" "ok 1 - COM1" "testcard came up"
like "$(cat "$TMPD/out")" "ok 2 - VM stopped with reason host-poweroff" "SIGTERM powered the VM off"
is "$st" 0 "exit status 0"
done_testing
