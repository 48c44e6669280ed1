#!/bin/sh
# MJPEG over TSMF end to end: video-host plays the testcard's video
# rectangle, rdp-probe with its MS-RDPEV receiver (/dvc:tsmf) must get it
# as JPEG frames at the right place with the guest's pixels (within a
# tolerance per quality), see it reported as tsmf-mjpeg, and get the area
# back losslessly after the video stops.  Bytes per frame are printed.
. "$srcdir/tap.sh"
. "$srcdir/video/lib.sh"
video_need
plan 20
tap_tmpdir
# Final frame: 150 (5 s at 30 fps).  Its pixel (1,1) once lossless.
final=$(card_rgb 1 1 150)
for q in 30 75 100; do
	# The framebuffer dump may catch a frame half composed over the
	# previous one (the gradient moves 2..6 levels per frame), so the
	# composed check allows for that; it is mainly about placement.
	case $q in
	30) limit=4 fb_limit=8 ;;
	75) limit=2.5 fb_limit=5 ;;
	100) limit=1 fb_limit=4 ;;
	esac
	vhost_start --play-on-connect --frames 150 \
		--prop VideoChannel/Enabled=true \
		--prop "VideoChannel/Quality=$q" ||
		{ tap_result 1 "q$q: host starts"; continue; }
	VIREO_PROBE_TSMF_DUMP=$TMPD/last-$q.ppm vprobe --gfx \
		--freerdp /dvc:tsmf --sleep 2500 --dump "$TMPD/play-$q.ppm" \
		--wait-pixel "65,161,$final" --wait-stable 600 \
		--dump "$TMPD/end-$q.ppm" >"$TMPD/p-$q.json" &
	ppid=$!
	vhost_wait_codec '\+video:tsmf-mjpeg$' 1
	wait $ppid
	rc=$?
	json=$(cat "$TMPD/p-$q.json")
	frames=$(json_num "$json" tsmf.frames)
	bytes=$(json_num "$json" tsmf.jpeg_bytes)
	is "$rc" 0 "q$q: probe ran its steps (video stopped, area lossless)"
	[ "$rc" = 0 ] || echo "#   $(echo "$json" | cut -c1-400)"
	ok "q$q: JPEG frames arrived over TSMF (${frames:-0}), none bad" \
		test "${frames:-0}" -ge 10 -a "$(json_num "$json" tsmf.bad)" = 0
	is "$(json_num "$json" tsmf.x),$(json_num "$json" tsmf.y),$(json_num "$json" tsmf.w)x$(json_num "$json" tsmf.h)" \
		"64,160,320x180" "q$q: the presentation's window is the video rectangle"
	check_area "q$q: decoded frame matches a guest frame" \
		"$TMPD/last-$q.ppm" 0 0 320 180 "$limit"
	check_area "q$q: composed into the framebuffer at 64,160" \
		"$TMPD/play-$q.ppm" 64 160 320 180 "$fb_limit"
	check_area "q$q: after the stream ends the area is lossless" \
		"$TMPD/end-$q.ppm" 64 160 320 180 0
	[ "${frames:-0}" -gt 0 ] &&
		diag "quality $q: $((bytes / frames)) bytes per 320x180 JPEG frame ($frames frames)"
	[ $q = 75 ] && like "$codec" '\+video:tsmf-mjpeg$' \
		"query_info codec names the TSMF path ($codec)"
	[ $q = 75 ] && is "$(json_num "$json" tsmf.shutdowns)" 1 \
		"the presentation was shut down when the video stopped"
	vhost_stop
done
done_testing
