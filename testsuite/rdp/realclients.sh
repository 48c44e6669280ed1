#!/bin/sh
# realclients.sh - real viewers under Xvfb: xfreerdp with the graphics
# pipeline, xfreerdp on the bitmap path and rdesktop (which FreeRDP 2.11
# servers otherwise reject, see rdp_compat.c) connect; a screenshot of
# their window equals the host's whole picture, every pixel (all these
# paths are lossless: graphics-pipeline planar, planar at 32 bpp with and
# without an alpha plane, interleaved RLE at 24 bpp); a key typed with
# xdotool arrives at the host.
. "$srcdir/tap.sh"
RDP_NO_PROBE=1
. "$srcdir/rdp/lib.sh"
for t in Xvfb xfreerdp rdesktop xdotool import convert; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done
plan 14
tap_tmpdir

viewer_display 1024x768x24
VIEWER=
cleanup() {
	viewer_stop
	host_stop
	kill "$XVFB" 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"
}
host_start --user alice:secret
trap cleanup EXIT

rdp_host_picture "$TMPD/want.png"

# check_viewer NAME CLASS KEY SCANCODE: wait until the viewer's window
# shows the whole picture, then type KEY and expect SCANCODE at the host.
check_viewer() {
	w=$(viewer_window "$2")
	got=$(viewer_shows "$w" "$TMPD/want.png")
	is "$got" 0 "$1: its window shows the whole picture (pixels that differ)"
	[ "$got" = 0 ] || picture_diag "$TMPD/shot.png" "$TMPD/want.png"
	: >"$TMPD/input.log"
	viewer_key "$w" "$3"
	for _ in $(seq 40); do
		grep -q "key $4 up" "$TMPD/input.log" && break
		sleep 0.1
	done
	ok "$1: a key typed with xdotool arrives" \
		grep -q "key $4 down" "$TMPD/input.log"
	viewer_stop
}

HOME=$VHOME xfreerdp /v:127.0.0.1 /port:"$PORT" /u:alice /p:secret /cert:ignore \
	/size:800x600 /sec:tls /gfx >"$TMPD/xf1.log" 2>&1 &
VIEWER=$!
check_viewer "xfreerdp /gfx" xfreerdp a 1e
ok "xfreerdp /gfx used the graphics pipeline" \
	grep -q 'gfx-planar\|graphics pipeline offered' "$TMPD/host.err"

HOME=$VHOME xfreerdp /v:127.0.0.1 /port:"$PORT" /u:alice /p:secret /cert:ignore \
	/size:800x600 /sec:tls /bpp:32 >"$TMPD/xf2.log" 2>&1 &
VIEWER=$!
check_viewer "xfreerdp without /gfx" xfreerdp s 1f
ok "xfreerdp without /gfx used bitmap updates" \
	grep -q '32 bpp, graphics pipeline no' "$TMPD/host.err"

# 24 bpp: interleaved RLE (FreeRDP's own encoder got colour changes wrong)
HOME=$VHOME xfreerdp /v:127.0.0.1 /port:"$PORT" /u:alice /p:secret /cert:ignore \
	/size:800x600 /sec:tls /bpp:24 >"$TMPD/xf3.log" 2>&1 &
VIEWER=$!
check_viewer "xfreerdp /bpp:24" xfreerdp f 21
ok "xfreerdp /bpp:24 used 24 bpp bitmap updates" \
	grep -q '24 bpp, graphics pipeline no' "$TMPD/host.err"

yes yes | HOME=$VHOME rdesktop -u alice -p secret -g 800x600 "127.0.0.1:$PORT" \
	>"$TMPD/rdesktop.log" 2>&1 &
VIEWER=$!
check_viewer rdesktop rdesktop d 20
ok "rdesktop: its MCS request was accepted" \
	grep -q "rewrote an rdesktop-style MCS Erect Domain Request" \
	"$TMPD/host.err"

# 32 bpp: planar with an alpha plane, the only planar form rdesktop takes
yes yes | HOME=$VHOME rdesktop -a 32 -u alice -p secret -g 800x600 \
	"127.0.0.1:$PORT" >"$TMPD/rdesktop32.log" 2>&1 &
VIEWER=$!
check_viewer "rdesktop -a 32" rdesktop g 22
done_testing
