#!/bin/sh
# pointer.sh - pointer updates: the shape the host sets (its size and
# hotspot) reaches the client, then hiding it does;
# on the bitmap path and on the graphics pipeline.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 8
tap_tmpdir

host_start
for g in --no-gfx --gfx; do
	host_cmd pointer 1 1 >/dev/null # reset: a shape...
	host_cmd hidepointer >/dev/null # ...then hidden, before the client
	n=$(grep -c '^connect client' "$TMPD/host.out")
	probe --sec tls $g --wait-pixel 100,100,ff0000 --sleep 4000 \
		>"$TMPD/p.json" &
	pp=$!
	# the shape is set once the client has connected (bounded wait;
	# a loaded machine takes seconds), then a moment for its activation
	for _ in $(seq 200); do
		[ "$(grep -c '^connect client' "$TMPD/host.out")" -gt "$n" ] && break
		sleep 0.1
	done
	sleep 1
	host_cmd pointer 16 24
	sleep 0.5
	host_cmd hidepointer
	wait $pp
	tap_result $? "$g: client ran"
	out=$(cat "$TMPD/p.json")
	like "$out" '"pointer":\{"set":[1-9][0-9]*,' "$g: a shape arrived"
	like "$out" '"w":16,"h":24,"hot_x":8,"hot_y":12' \
		"$g: with the host's size and hotspot"
	like "$out" '"null":[1-9]' "$g: hiding arrived"
done
done_testing
