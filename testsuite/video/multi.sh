#!/bin/sh
# Several clients on one screen at once, each with its own path: two
# TSMF clients share the JPEG of every frame (encoded once, sent twice),
# an H.264 client gets AVC420 at the same time, and after the video stops
# all of them have the exact last frame.
. "$srcdir/tap.sh"
. "$srcdir/video/lib.sh"
video_need
plan 8
tap_tmpdir
final=$(card_rgb 1 1 150)
vhost_start --frames 150 --prop VideoChannel/Enabled=true ||
	vhost_failed
steps="--sleep 2500 --wait-pixel 65,161,$final --wait-stable 600"
# shellcheck disable=SC2086
vprobe --gfx --freerdp /dvc:tsmf $steps --dump "$TMPD/a.ppm" >"$TMPD/a.json" &
pa=$!
# shellcheck disable=SC2086
vprobe --gfx --freerdp /dvc:tsmf $steps --dump "$TMPD/b.ppm" >"$TMPD/b.json" &
pb=$!
# shellcheck disable=SC2086
vprobe --gfx --gfx-codec avc420 $steps --dump "$TMPD/c.ppm" >"$TMPD/c.json" &
pc=$!
for _ in $(seq 100); do
	[ "$(grep -c '^connect client' "$TMPD/vhost.out")" -ge 3 ] && break
	sleep 0.1
done
vhost_cmd play >/dev/null
# Each client's path settles once its video starts: poll, at most 20 s,
# for the expected paths, not for the first three.  A client whose
# graphics pipeline opens after the video started has the bitmap path
# until it does (seen on a loaded machine).
want="gfx-planar+video:gfx-avc420 gfx-planar+video:tsmf-mjpeg gfx-planar+video:tsmf-mjpeg "
for _ in $(seq 100); do
	codecs=$(for id in $(vhost_cmd info 3); do vhost_cmd info 20 "$id"; done |
		sort | tr '\n' ' ')
	[ "$codecs" = "$want" ] && break
	sleep 0.2
done
wait $pa && wait $pb && wait $pc
is $? 0 "three clients saw the last frame"
is "$codecs" "$want" "each client has its own path"
for x in a b; do
	ok "client $x: JPEG frames over TSMF" \
		test "$(json_num "$(cat "$TMPD/$x.json")" tsmf.frames)" -ge 10
done
for x in a b c; do
	check_area "client $x: exact last frame" "$TMPD/$x.ppm" \
		64 160 320 180 0
done
line=$(grep 'JPEG frames sent' "$TMPD/vhost.err" | tail -n 1)
sent=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) JPEG frames sent.*/\1/p')
enc=$(printf '%s' "$line" | sed -n 's/.*sent, \([0-9]*\) encoded.*/\1/p')
ok "JPEGs are shared: $enc encoded for $sent sent" \
	test -n "$enc" -a -n "$sent" -a "${enc:-0}" -gt 0 -a "${enc:-0}" -lt "${sent:-0}"
done_testing
