#!/bin/sh
# e2e-policy.sh - the multi-connection policy matrix end to end (the host
# decides, the module enforces): single connection refuses a second
# client and the first keeps working; reuse replaces the first client;
# multi-connection keeps both; a client with a wrong password never
# evicts anyone.  "Keeps working" means it still sees a change typed
# into the guest afterwards.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
e2e_setup
plan 12
CRED="--user $E2E_USER --password $E2E_PASS"
I0=21,439,ffff00 # first "I" of the guest's text line
type_i() { timeout 30 vireo-manage controlvm "$1" keyboardputscancode 17 97 >/dev/null; }
sessions() { grep -c 'session up' "$E2E_DIR/Logs/vireo.log"; }
wait_sessions() {
	for _ in $(seq 300); do
		[ "$(sessions)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# single connection, no reuse
e2e_vm single --vrdemulticon off --vrdereusecon off
e2e_start single
# shellcheck disable=SC2086
probe --sec tls $CRED --timeout 30 --wait-pixel 32,100,ffffff \
	--wait-pixel $I0 >"$TMPD/a.json" &
a=$!
wait_sessions 1
# shellcheck disable=SC2086
probe_refused "single: a second client is denied" denied \
	"refused: another client is" --sec tls $CRED
like "$out" '"frames":0' "single: the refused client saw nothing"
# shellcheck disable=SC2086
probe_refused "single: a wrong password is refused too" logon \
	"$E2E_DENIED" --sec tls --user $E2E_USER --password wrong
type_i single
wait $a
tap_result $? "single: the first client keeps working"
e2e_stop

# single connection with reuse
e2e_vm reuse --vrdemulticon off --vrdereusecon on
e2e_start reuse
# The first client sleeps long enough for the second one to arrive on a
# slow (software CPU) host; the reuse ends its sleep early.
# shellcheck disable=SC2086
PROBE_LIMIT=150 probe --sec tls $CRED --timeout 30 \
	--wait-pixel 32,100,ffffff --sleep 90000 >"$TMPD/a.json" &
a=$!
wait_sessions 1
# shellcheck disable=SC2086
probe_refused "reuse: a wrong password is refused" logon "$E2E_DENIED" \
	--sec tls --user $E2E_USER --password wrong
ok "reuse: ... and the first client is still there" kill -0 $a
# shellcheck disable=SC2086
probe --sec tls $CRED --timeout 30 --wait-pixel 32,100,ffffff \
	--wait-pixel $I0 >"$TMPD/b.json" &
b=$!
wait_sessions 2
sleep 1
type_i reuse
wait $b
tap_result $? "reuse: the second client is admitted and works"
wait $a
rc=$?
isnt() { [ "$1" != "$2" ]; }
ok "reuse: the first client was disconnected" isnt $rc 0
like "$(cat "$TMPD/a.json")" '"step":"sleep".*"ok":false' \
	"reuse: ... while it was connected"
e2e_stop

# multi connection
e2e_vm multi --vrdemulticon on
e2e_start multi
# shellcheck disable=SC2086
probe --sec tls $CRED --timeout 30 --wait-pixel 32,100,ffffff \
	--wait-pixel $I0 >"$TMPD/a.json" &
a=$!
# shellcheck disable=SC2086
probe --sec tls --gfx $CRED --timeout 30 --wait-pixel 32,100,ffffff \
	--wait-pixel $I0 >"$TMPD/b.json" &
b=$!
wait_sessions 2
sleep 1
type_i multi
wait $a
tap_result $? "multi: the first client works"
wait $b
tap_result $? "multi: the second client works"
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
done_testing
