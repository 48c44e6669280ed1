#!/bin/sh
# badclient.sh - garbage, truncated and malformed handshakes, an idle
# connection and a client killed mid-session leave the server serving a
# client that stays connected throughout and new clients afterwards; every
# connection is reported gone to the host.  A bad client passes only when
# the server hung up on it and then served a good client.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 14
tap_tmpdir
BAD=$builddir/rdp/rdp-badclient

host_start --user alice:secret --prop Host/AuthHasNtHashes=1
# A good client that stays connected and must see a change at the end.
probe --sec tls --user alice --password secret --timeout 40 \
	--wait-pixel 100,100,ff0000 --wait-pixel 8,8,123456 \
	>"$TMPD/steady.json" &
steady=$!
"$BAD" "$PORT" idle 8 &
idle=$!
# Each bad client must be hung up on (garbage, badtls, hugetpkt; the
# truncated one hangs up itself), and a good client served right after.
for mode in garbage truncated badtls hugetpkt; do
	ok "bad client $mode: the server hangs up on it" "$BAD" "$PORT" $mode 10
	probe_ok "after $mode: the server serves a good client" --sec tls \
		--user alice --password secret --wait-pixel 100,100,ff0000
done
# A client killed in the middle of its session.
"$RDP_PROBE" --port "$PORT" --sec tls --user alice --password secret \
	--wait-pixel 100,100,ff0000 --sleep 20000 >/dev/null 2>&1 &
victim=$!
sleep 3
kill -9 $victim
wait $victim 2>/dev/null
probe_ok "a new client is served after the bad ones" --sec tls --gfx \
	--user alice --password secret --wait-pixel 100,100,ff0000
probe_ok "and over NLA" --sec nla --user alice \
	--password secret --wait-pixel 100,100,ff0000
host_cmd fill 0 0 0 64 64 123456
wait $steady
tap_result $? "the client connected throughout still gets changes"
wait $idle
ok "host is still running" kill -0 "$HOST_PID"
sleep 1
conn=$(grep -c 'connected from' "$TMPD/host.err")
gone=$(grep -c '^disconnect client' "$TMPD/host.out")
is "$gone" "$conn" "every connection was reported gone ($conn)"
host_stop
ok "the server shut down cleanly" \
	grep -q 'client .* disconnected' "$TMPD/host.err"
done_testing
