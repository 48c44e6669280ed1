#!/bin/sh
# e2e-multi.sh - 8 probes on one vireo-headless VM (graphics pipeline and
# bitmap paths), one of them stalled (it stops reading for 20 s while the
# test card animates): the others see every one of 6 changes (an "I"
# typed into the guest's text line every 3 s lands in the next cell; a
# missed change would make its wait fail), the VM keeps running, and the
# stalled probe gets the latest picture once it reads again.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
e2e_setup
plan 11
CHANGES=6

e2e_vm many --vrdemulticon on
e2e_start many
ok "VM is up" test -n "$PORT"
CRED="--user $E2E_USER --password $E2E_PASS"
cell() { echo "$((21 + 12 * $1)),439,ffff00"; } # dot of the k-th "I"
waits=
k=0
while [ $k -lt $CHANGES ]; do
	waits="$waits --wait-pixel $(cell $k)"
	k=$((k + 1))
done
# sessions N: wait (up to 60 s) until N sessions are up; leaves the
# count in $n.  The probes come in one after another: logons from one
# address are taken one at a time (Security/LogonTimeout counts the
# wait), and each costs a PBKDF2 check, seconds under ASan on a loaded
# machine; eight at once would test the queue, not the sessions.
sessions() {
	for _ in $(seq 600); do
		n=$(grep -c 'session up' "$E2E_DIR/Logs/vireo.log")
		[ "$n" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# the first probe waits for the others' logons (up to 8 x 6 s under
# ASan) before the first change: a wait may take 90 s, a probe 180
PROBE_LIMIT=180
pids=
for i in 1 2 3 4 5 6 7; do
	if [ $((i % 2)) = 1 ]; then g=--gfx; else g=--no-gfx; fi
	# shellcheck disable=SC2086
	probe --sec tls $g $CRED --timeout 90 --wait-pixel 32,100,ffffff \
		$waits >"$TMPD/p$i.json" &
	pids="$pids $!"
	sessions $i
done
# the stalled one last, so that its 20 s stall spans the changes
# shellcheck disable=SC2086
probe --sec tls --no-gfx $CRED --wait-pixel 32,100,ffffff --stall 20000 \
	--wait-pixel "$(cell $((CHANGES - 1)))" >"$TMPD/stalled.json" &
stalled=$!
sessions 8
is "$n" 8 "8 clients have their session"
sleep 2
k=0
while [ $k -lt $CHANGES ]; do
	timeout 30 vireo-manage controlvm many keyboardputscancode 17 97 \
		>/dev/null
	sleep 3
	k=$((k + 1))
done
i=1
for p in $pids; do
	wait "$p"
	rc=$?
	tap_result $rc "client $i saw all $CHANGES changes"
	[ $rc = 0 ] || cut -c1-600 "$TMPD/p$i.json" | sed 's/^/#   /'
	i=$((i + 1))
done
wait $stalled
rc=$?
tap_result $rc "the stalled client gets the latest picture once it reads"
[ $rc = 0 ] || cut -c1-600 "$TMPD/stalled.json" | sed 's/^/#   /'
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
done_testing
