#!/bin/sh
# The other delivery paths of a detected video, end to end with
# video-host and rdp-probe:
#   - a graphics-pipeline client with H.264 and no TSMF gets AVC420 on a
#     surface of its own, copied into place;
#   - a client with neither gets ordinary (lossless) bitmap updates;
#   - with VideoChannel/Enabled off nothing changes: no TSMF channel, the
#     codec name has no video part, and the pixels are exact.
. "$srcdir/tap.sh"
. "$srcdir/video/lib.sh"
video_need
plan 12
tap_tmpdir

vhost_start --play-on-connect --prop VideoChannel/Enabled=true ||
	skip_all "video-host did not start: $(cat "$TMPD/vhost.err")"
vprobe --gfx --gfx-codec avc420 --sleep 2500 --dump "$TMPD/avc.ppm" \
	>"$TMPD/avc.json" &
ppid=$!
vhost_wait_codec '^gfx-planar\+video:gfx-avc420$' 1
wait $ppid
is $? 0 "AVC: probe connected and dumped its screen"
like "$codec" '^gfx-planar\+video:gfx-avc420$' "AVC: codec name ($codec)"
ok "AVC: the module sent the video as H.264" \
	grep -q 'client 1: video 320x180 at 64,160 as H.264 (AVC420)' \
	"$TMPD/vhost.err"
check_area "AVC: the rectangle shows the guest's video" \
	"$TMPD/avc.ppm" 64 160 320 180 6
diag "AVC: $(json_num "$(cat "$TMPD/avc.json")" bytes_received) bytes received in 2.5 s"

vhost_stop

# Lossless paths: the host stops at frame 150, the probe waits for its
# exact pixel and then compares the whole rectangle (a dump while frames
# arrive could catch one half drawn).
final=$(card_rgb 1 1 150)
vhost_start --play-on-connect --frames 150 --prop VideoChannel/Enabled=true ||
	skip_all "video-host did not start"
vprobe --no-gfx --sleep 2500 --wait-pixel "65,161,$final" \
	--wait-stable 500 --dump "$TMPD/bmp.ppm" >"$TMPD/bmp.json" &
ppid=$!
vhost_wait_codec '^bitmap-planar\+video:bitmap$' 1
wait $ppid
is $? 0 "bitmaps: probe saw the last frame and dumped its screen"
like "$codec" '^bitmap-planar\+video:bitmap$' "bitmaps: codec name ($codec)"
check_area "bitmaps: the rectangle is exact" "$TMPD/bmp.ppm" 64 160 320 180 0
ok "bitmaps: the video was detected and not sent as video" \
	sh -c "grep -q 'video 320x180 at 64,160 detected' '$TMPD/vhost.err' &&
		! grep -q 'client 1: video 320x180' '$TMPD/vhost.err'"
vhost_stop

vhost_start --play-on-connect --frames 150 --prop VideoChannel/Enabled=false ||
	skip_all "video-host did not start"
vprobe --gfx --gfx-codec avc420 --freerdp /dvc:tsmf --sleep 2500 \
	--wait-pixel "65,161,$final" --wait-stable 500 \
	--dump "$TMPD/off.ppm" >"$TMPD/off.json" &
ppid=$!
vhost_wait_codec '^gfx-planar' 1
sleep 1 # would it change?  a video path would show by now
codec=$(vhost_cmd info 20 1)
wait $ppid
is "$codec" gfx-planar "off: codec name unchanged ($codec)"
is "$(json_num "$(cat "$TMPD/off.json")" tsmf.channels)" 0 \
	"off: no TSMF channel was opened"
check_area "off: the rectangle is exact" "$TMPD/off.ppm" 64 160 320 180 0
ok "off: no video was detected" \
	sh -c "! grep -Eq 'video channel on|video .* detected' '$TMPD/vhost.err'"
done_testing
