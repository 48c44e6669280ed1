#!/bin/sh
# fuzzclient.sh - a client that logs on and then sends mutated input PDUs,
# graphics-pipeline and TSMF messages (rdp-fuzzclient, several seeds, a
# few thousand messages in at most 20 s each) while a good client stays
# connected: the good client is served throughout, a new client is served
# afterwards, the server is alive and shuts down cleanly.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 8
tap_tmpdir
FUZZ=$builddir/rdp/rdp-fuzzclient

host_start --user alice:secret --prop VideoChannel/Enabled=true
# The good client: connected throughout, must see a change at the end.
probe --sec tls --gfx --user alice --password secret --timeout 90 \
	--wait-pixel 100,100,ff0000 --wait-pixel 8,8,123456 \
	>"$TMPD/steady.json" &
steady=$!
# (standard RDP security is not offered by default: every seed over TLS)
for run in 1:tls 2:tls 3:tls; do
	seed=${run%:*}
	sec=${run#*:}
	out=$(timeout 60 "$FUZZ" --port "$PORT" --user alice \
		--password secret --sec "$sec" --seed "$seed" --count 1500 \
		--seconds 8 --sessions 10 2>>"$TMPD/fuzz.err")
	is "$?" 0 "seed $seed over $sec: logged on and sent its messages"
	echo "#   $out"
	all="$all $out"
done
like "$all" "gfx [1-9]" "graphics pipeline messages were sent"
probe_ok "a new client is served after the fuzzing" --sec tls --gfx \
	--user alice --password secret --wait-pixel 100,100,ff0000
ok "the host is still running" kill -0 "$HOST_PID"
host_cmd fill 0 0 0 64 64 123456
wait $steady
tap_result $? "the client connected throughout still gets changes"
host_stop
ok "the server shut down cleanly" \
	grep -q 'client .* disconnected' "$TMPD/host.err"
done_testing
