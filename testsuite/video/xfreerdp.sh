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
command -v xdpyinfo >/dev/null || skip_all "no xdpyinfo (x11-utils)"
tap_tmpdir
vhost_start --play-on-connect --prop VideoChannel/Enabled=true ||
	vhost_failed
# A display of our own (160..199), checked with xdpyinfo before use.
XVFB_PID=
for d in $(seq 160 199); do
	[ -e "/tmp/.X$d-lock" ] && continue
	Xvfb ":$d" -screen 0 1280x1024x24 -nolisten tcp -noreset >/dev/null 2>&1 &
	XVFB_PID=$!
	for _ in $(seq 50); do
		xdpyinfo -display ":$d" >/dev/null 2>&1 && break 2
		kill -0 "$XVFB_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$XVFB_PID" 2>/dev/null
	XVFB_PID=
done
[ -n "$XVFB_PID" ] || skip_all "no Xvfb display could be started"
DISPLAY=:$d
export DISPLAY
# Viewers keep certificate stores under $HOME; parallel tests must not
# share them (rdesktop refused a store another test was rewriting).
VHOME=$TMPD/viewer-home
mkdir -p "$VHOME"
plan 5
HOME=$VHOME timeout 60 xfreerdp /v:127.0.0.1 /port:"$PORT" /sec:rdp /cert:ignore \
	/u:user /p:pw /size:1024x768 /bpp:32 /gfx:avc420 \
	>"$TMPD/xfreerdp.log" 2>&1 &
XF_PID=$!
# a killed xfreerdp leaves its TSMF shared memory (named after its pid,
# the child of timeout) in /dev/shm
xf_cleanup() {
	for c in $(pgrep -P "$XF_PID" 2>/dev/null); do
		kill "$c" 2>/dev/null
		rm -f "/dev/shm/com.freerdp.xfreerdp.tsmf_$(printf '%016X' "$c")"
	done
	kill $XF_PID $XVFB_PID 2>/dev/null
	vhost_stop
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"
}
trap xf_cleanup EXIT
win=
for _ in $(seq 100); do
	win=$(timeout 5 xdotool search --class xfreerdp 2>/dev/null |
		head -n 1)
	[ -n "$win" ] && grep -q 'as H.264' "$TMPD/vhost.err" && break
	sleep 0.2
done
ok "xfreerdp window appeared" test -n "$win"
[ -n "$win" ] || echo "#   $(tail -n 3 "$TMPD/xfreerdp.log")"
ok "the module sends the video to xfreerdp as H.264" \
	grep -q 'client 1: video 320x180 at 64,160 as H.264 (AVC420)' \
	"$TMPD/vhost.err"
# Without a window id, import would wait for a mouse click: never call it
# so.
shot() {
	[ -n "$win" ] && timeout 20 import -depth 8 -window "$win" "$1" \
		2>/dev/null </dev/null
}
sleep 1
shot "$TMPD/shot1.ppm"
sleep 0.5
shot "$TMPD/shot2.ppm"
check_area "screenshot shows the guest's video at 64,160" \
	"$TMPD/shot1.ppm" 64 160 320 180 6
check_area "a later screenshot too" "$TMPD/shot2.ppm" 64 160 320 180 6
f1=$("$VIDEO_CHECK" "$TMPD/shot1.ppm" 64 160 320 180 | cut -d' ' -f2)
f2=$("$VIDEO_CHECK" "$TMPD/shot2.ppm" 64 160 320 180 | cut -d' ' -f2)
ok "the rectangle moved between the screenshots (frames $f1, $f2)" \
	test -n "$f1" -a -n "$f2" -a "$f1" != "$f2"
done_testing
