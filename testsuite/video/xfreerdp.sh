#!/bin/sh
# A real client: xfreerdp /gfx:avc420 under Xvfb connects to video-host
# while the testcard video plays.  The module must send the rectangle as
# H.264 (xfreerdp has no TSMF), and two screenshots of the xfreerdp
# window must show the moving rectangle: each close to some guest frame,
# and different from each other.
. "$srcdir/tap.sh"
. "$srcdir/video/lib.sh"
video_need
command -v Xvfb >/dev/null || skip_all "no Xvfb (tools/install-deps)"
command -v xfreerdp >/dev/null || skip_all "no xfreerdp (freerdp2-x11)"
command -v xdotool >/dev/null || skip_all "no xdotool"
command -v import >/dev/null || skip_all "no import (imagemagick)"
plan 5
tap_tmpdir
vhost_start --play-on-connect --prop VideoChannel/Enabled=true ||
	skip_all "video-host did not start"
Xvfb -displayfd 9 -screen 0 1280x1024x24 -nolisten tcp \
	9>"$TMPD/display" >/dev/null 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do
	[ -s "$TMPD/display" ] && break
	sleep 0.1
done
DISPLAY=:$(cat "$TMPD/display")
export DISPLAY
timeout 60 xfreerdp /v:127.0.0.1 /port:"$PORT" /sec:rdp /cert:ignore \
	/u:user /p:pw /size:1024x768 /bpp:32 /gfx:avc420 \
	>"$TMPD/xfreerdp.log" 2>&1 &
XF_PID=$!
trap 'kill $XF_PID $XVFB_PID 2>/dev/null; vhost_stop; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"' EXIT
win=
for _ in $(seq 100); do
	win=$(xdotool search --class xfreerdp 2>/dev/null | head -n 1)
	[ -n "$win" ] && grep -q 'as H.264' "$TMPD/vhost.err" && break
	sleep 0.2
done
ok "xfreerdp window appeared" test -n "$win"
ok "the module sends the video to xfreerdp as H.264" \
	grep -q 'client 1: video 320x180 at 64,160 as H.264 (AVC420)' \
	"$TMPD/vhost.err"
sleep 1
import -depth 8 -window "$win" "$TMPD/shot1.ppm" 2>/dev/null
sleep 0.5
import -depth 8 -window "$win" "$TMPD/shot2.ppm" 2>/dev/null
check_area "screenshot shows the guest's video at 64,160" \
	"$TMPD/shot1.ppm" 64 160 320 180 6
check_area "a later screenshot too" "$TMPD/shot2.ppm" 64 160 320 180 6
f1=$("$VIDEO_CHECK" "$TMPD/shot1.ppm" 64 160 320 180 | cut -d' ' -f2)
f2=$("$VIDEO_CHECK" "$TMPD/shot2.ppm" 64 160 320 180 | cut -d' ' -f2)
ok "the rectangle moved between the screenshots (frames $f1, $f2)" \
	test -n "$f1" -a -n "$f2" -a "$f1" != "$f2"
done_testing
