#!/bin/sh
# multi.sh - 8 clients on one screen, one of them stalled (it stops
# reading for 20 s): the other 7 (graphics pipeline and bitmap paths)
# still see every one of 8 changes, each made 3 s after the previous one
# (a change missed would make its wait fail: colours are not repeated);
# the server holds back updates for the stalled client, never waits for
# it, and when it reads again it gets the latest picture.  Each change
# also paints incompressible noise so the stalled connection really fills.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 10
tap_tmpdir

CHANGES=8
color() { printf '%02x%02x%02x' $(($1 * 30)) $((255 - $1 * 30)) $(($1 * 20)); }
host_start
waits=
k=1
while [ $k -le $CHANGES ]; do
	waits="$waits --wait-pixel 8,8,$(color $k)"
	k=$((k + 1))
done
probe --sec tls --no-gfx --wait-pixel 100,100,ff0000 --stall 20000 \
	--wait-pixel 8,8,"$(color $CHANGES)" >"$TMPD/stalled.json" &
stalled=$!
pids=
for i in 1 2 3 4 5 6 7; do
	if [ $((i % 2)) = 1 ]; then g=--gfx; else g=--no-gfx; fi
	# shellcheck disable=SC2086
	probe --sec tls $g --timeout 30 --wait-pixel 100,100,ff0000 $waits \
		>"$TMPD/p$i.json" &
	pids="$pids $!"
done
for _ in $(seq 300); do
	[ "$(grep -c '^connect client' "$TMPD/host.out")" -ge 8 ] && break
	sleep 0.1
done
is "$(grep -c '^connect client' "$TMPD/host.out")" 8 "8 clients connected"
sleep 2 # every client has its first picture
k=1
while [ $k -le $CHANGES ]; do
	host_cmd noise 0 0 64 800 536 $k
	host_cmd fill 0 0 0 64 64 "$(color $k)"
	sleep 3
	k=$((k + 1))
done
i=1
for p in $pids; do
	wait "$p"
	rc=$?
	tap_result $rc "client $i saw all $CHANGES changes"
	[ $rc = 0 ] || cut -c1-800 "$TMPD/p$i.json" | sed 's/^/#   /'
	i=$((i + 1))
done
ok "the server held back updates for the stalled client" \
	grep -q 'holding back updates' "$TMPD/host.err"
wait $stalled
rc=$?
tap_result $rc "the stalled client gets the latest picture once it reads"
[ $rc = 0 ] || cut -c1-800 "$TMPD/stalled.json" | sed 's/^/#   /'
host_stop
done_testing
