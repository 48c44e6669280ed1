#!/bin/sh
# hostile-logon.sh - parallel wrong logons over NLA, TLS and standard RDP
# security from many loopback addresses (through rdp-hostile's relay, which
# gives every connection the next source address), and user names and
# domains with newlines (issue 11, items 2 and 4).  Every wrong NLA
# password reaches the host as a failed attempt with its client address
# (nla_begin/nla_result, which vireo-headless throttles and logs like the
# others); every log line keeps peer strings on one line; a good client
# logs on meanwhile.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
. "$srcdir/rdp/hostile-lib.sh"
plan 16
tap_tmpdir
N=12 # wrong logons per security layer, all at once

# wrong_logons SEC: N parallel wrong passwords through the relay; prints
# how many were refused.
wrong_logons() {
	pids=
	for i in $(seq $N); do
		timeout 90 "$RDP_PROBE" --port "$RELAY" --timeout 40 --sec "$1" \
			--user alice --password "wrong$i" --expect-fail \
			>"$TMPD/wrong-$1-$i.json" 2>>"$TMPD/probe.err" &
		pids="$pids $!"
	done
	wait_ok $pids
	echo $WAIT_OK
}

host_start --user alice:secret --prop Host/AuthHasNtHashes=1
trap 'relay_stop; host_stop; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"' EXIT
relay_start "$PORT" 90.0
ok "the relay is up" test -n "$RELAY"

# NLA and TLS at once, and a good client in the middle of them.
wrong_logons nla >"$TMPD/nla.count" &
nla=$!
wrong_logons tls >"$TMPD/tls.count" &
tls=$!
sleep 1
probe_ok "a good NLA client logs on during the wrong ones" --sec nla \
	--user alice --password secret --timeout 60 --wait-pixel 100,100,ff0000
wait $nla
wait $tls
is "$(cat "$TMPD/nla.count")" $N "$N parallel wrong NLA passwords refused"
is "$(cat "$TMPD/tls.count")" $N "$N parallel wrong TLS passwords refused"
# (the FreeRDP client tries a refused logon twice: count attempts)
tries=$(grep -c '^nla-result client=[0-9]* user=alice address=127\.90\.[0-9.]* rc=-13$' \
	"$TMPD/host.out")
ok "every wrong NLA password reached the host as a failed attempt ($tries)" \
	test "$tries" -ge $N
n=$(grep '^nla client=[0-9]* user=alice address=127\.90\.' "$TMPD/host.out" |
	sed 's/.*address=//' | sort -u | wc -l)
is "$n" "$tries" "each from its own address"
n=$(grep -c "user 'alice' denied over NLA: bad credentials" "$TMPD/host.err")
is "$n" "$tries" "each NLA failure is logged by the module"
tries=$(grep -c '^logon client=[0-9]* user=alice domain= screen=0 security=TLS$' \
	"$TMPD/host.out")
n=$(grep -c "(127\.90\.[0-9.]*) user 'alice' denied over TLS: bad credentials" \
	"$TMPD/host.err")
ok "each TLS failure is logged with the client address ($n)" \
	test "$n" -ge $N -a "$n" = "$tries"

# Newlines in the user name and the domain (TLS and NLA).
nlx=$(printf '\nx')
nl=${nlx%x}
forged="rdp-host: info: client 1 (127.0.0.1) user 'root' logged on over TLS, screen 1"
probe --sec tls --user "mallory$nl$forged" --password wrong \
	--domain "evil${nl}VMState=\"running\"" --expect-fail >/dev/null
probe --sec nla --user "eve$nl$forged" --password wrong --expect-fail \
	>/dev/null
# (client 1 of this server came through the relay, never from 127.0.0.1)
ok "no forged log line" \
	sh -c "! grep -q '^rdp-host: info: client 1 (127\.0\.0\.1) user ' '$TMPD/host.err'"
ok "the TLS user name is logged escaped, on one line" \
	grep -q "user 'mallory\\\\x0ardp-host: info: client 1 (127.0.0.1) user \\\\'root\\\\' logged on over TLS, screen 1' denied over TLS" \
	"$TMPD/host.err"
ok "the NLA user name is logged escaped, on one line" \
	grep -q "user 'eve\\\\x0ardp-host: info: client 1 (127.0.0.1) user \\\\'root\\\\' logged on over TLS, screen 1' denied over NLA" \
	"$TMPD/host.err"
ok "the host got the domain with its newline" \
	grep -q '^logon client=[0-9]* user=mallory\\x0ardp-host: .* domain=evil\\x0aVMState="running" ' \
	"$TMPD/host.out"
ok "no line of the host's output starts with VMState=" \
	sh -c "! grep -q '^VMState=' '$TMPD/host.out'"
relay_stop
host_stop

# Standard RDP security, only when asked for.
host_start --user alice:secret --prop Security/Method=RDP
relay_start "$PORT" 91.0
wrong_logons rdp >"$TMPD/rdp.count" &
rdp=$!
sleep 1
probe_ok "a good RDP client logs on during the wrong ones" --sec rdp \
	--user alice --password secret --timeout 60 --wait-pixel 100,100,ff0000
wait $rdp
is "$(cat "$TMPD/rdp.count")" $N "$N parallel wrong RDP passwords refused"
n=$(grep -c "(127\.91\.[0-9.]*) user 'alice' denied over RDP: bad credentials" \
	"$TMPD/host.err")
ok "each RDP failure is logged with the client address ($n)" \
	test "$n" -ge $N
relay_stop
host_stop
done_testing
