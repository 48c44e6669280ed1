#!/bin/sh
# input.sh - keyboard (set-1 scancodes, E0/E1 prefixes, press/release),
# Unicode characters, pointer buttons 1-3, extended buttons, both wheels
# and lock synchronisation arrive at the host's input() exactly; with
# Client/DisableInput nothing arrives.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 4
tap_tmpdir

host_start
probe_ok "probe sends its input" --sec tls --no-gfx \
	--wait-pixel 100,100,ff0000 --sleep 300 --sync 0 \
	--keys 1e,e0:48,e1:1d,down:2a,up:2a --unicode 'aZ' \
	--move 10,20 --click 30,40,l --click 31,41,r --click 32,42,m \
	--click 33,43,x1 --click 34,44,x2 --wheel 1 --wheel -2 --hwheel 1 \
	--sync 7 --sleep 300
# The client's own synchronize at connection time comes first; compare
# from our explicit "sync 0" on.
sed -n '/sync 0$/,$p' "$TMPD/input.log" | sed 's/^screen=0 //' >"$TMPD/got"
cat >"$TMPD/want" <<'EOT'
sync 0
key 1e down
key 1e up
key e0 48 down
key e0 48 up
key e1 1d down
key e1 1d up
key 2a down
key 2a up
key 1e down
key 1e up
key 2a down
key 2c down
key 2c up
key 2a up
ptr 10 20 0 0 0
ptr 30 40 1 0 0
ptr 30 40 0 0 0
ptr 31 41 2 0 0
ptr 31 41 0 0 0
ptr 32 42 4 0 0
ptr 32 42 0 0 0
ptr 33 43 8 0 0
ptr 33 43 0 0 0
ptr 34 44 16 0 0
ptr 34 44 0 0 0
ptr 34 44 0 1 0
ptr 34 44 0 -2 0
ptr 34 44 0 0 1
sync 7
EOT
if diff "$TMPD/want" "$TMPD/got" >"$TMPD/diff"; then
	tap_result 0 "every event arrived exactly, in order"
else
	tap_result 1 "every event arrived exactly, in order"
	sed 's/^/#   /' "$TMPD/diff"
fi
host_stop

host_start --prop Client/DisableInput=1
: >"$TMPD/input.log"
probe_ok "probe connects with input disabled" --sec tls \
	--wait-pixel 100,100,ff0000 --keys 1e --click 5,5,l --sleep 300
is "$(wc -l <"$TMPD/input.log")" 0 "Client/DisableInput: nothing arrives"
done_testing
