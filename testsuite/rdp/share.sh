#!/bin/sh
# share.sh - clients with the same codec configuration share the encoded
# tiles: 4 bitmap-path clients woken by the same changes at the same time
# cause each changed tile to be encoded once, not once per client.  The
# module logs its counters when it stops ("N tile encodes, M shared").
# After each change the whole screen is reported damaged again without a
# pixel changing: the module compares, and encodes nothing for it.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 4
tap_tmpdir

CLIENTS=4
CHANGES=6
color() { printf '%02x%02x%02x' $(($1 * 40)) $((255 - $1 * 40)) 80; }
host_start
waits=
k=1
while [ $k -le $CHANGES ]; do
	waits="$waits --wait-pixel 300,300,$(color $k)"
	k=$((k + 1))
done
pids=
for i in $(seq $CLIENTS); do
	# shellcheck disable=SC2086
	probe --sec tls --no-gfx --timeout 60 --wait-pixel 100,100,ff0000 \
		$waits >"$TMPD/p$i.json" &
	pids="$pids $!"
done
for _ in $(seq 300); do
	[ "$(grep -c '^connect client' "$TMPD/host.out")" -ge $CLIENTS ] && break
	sleep 0.1
done
is "$(grep -c '^connect client' "$TMPD/host.out")" $CLIENTS \
	"$CLIENTS clients connected"
sleep 2 # every client has its first picture
# Each change repaints the same 4 tiles (256x256 at a tile boundary).
k=1
while [ $k -le $CHANGES ]; do
	host_cmd fill 0 256 256 128 128 "$(color $k)"
	sleep 0.5
	host_cmd damage 0 0 0 800 600
	sleep 0.5
	k=$((k + 1))
done
failed=0
for p in $pids; do
	wait "$p" || failed=$((failed + 1))
done
is "$failed" 0 "every client saw every change"
host_stop
line=$(grep -o 'screen 0: [0-9]* tile encodes, [0-9]* shared' \
	"$TMPD/host.err" | tail -n 1)
ok "the module logs its encode counters" test -n "$line"
enc=$(echo "$line" | sed 's/screen 0: \([0-9]*\) tile.*/\1/')
# 800x600 is 13x10 = 130 tiles: encoded once for the first picture, then
# 4 tiles per change.  Per-client encoding would be about 4 times that;
# encoding what was damaged but did not change, 130 more per change.
max=$((130 + CHANGES * 4 + 8))
diag "$line (at most $max allowed)"
ok "changed tiles are encoded once for all $CLIENTS clients" \
	test "${enc:-999999}" -le $max
done_testing
