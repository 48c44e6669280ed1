#!/bin/sh
# The real thing: vireo-headless runs the testcard guest with the video
# channel on (vireo-manage modifyvm --vrde-video-channel on), and
# rdp-probe with its TSMF receiver gets the guest's video rectangle as
# MJPEG frames at the right place with the guest's pixels; showvminfo of
# the running VM names the delivery path of the client.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"
. "$srcdir/video/lib.sh"
video_need
command -v vireo-headless >/dev/null || skip_all "vireo-headless not built"
plan 7
hl_setup
vm() { timeout 60 vireo-manage "$@"; }
vm createvm --name tvm --register --basefolder "$TMPD/vms" >/dev/null
vm modifyvm tvm --hwvirtex off --vrde on --vrdeport 36200-36299 --vrdeauthtype null \
	--vrde-video-channel on --vrde-video-channel-quality 75
vm modifyvm tvm --vrde-property Security/Method=RDP
HL_DIR="$TMPD/vms/tvm"
HL_OUT="$TMPD/tvm.out"
vireo-headless --startvm tvm >"$HL_OUT" 2>&1 &
HL_PID=$!
PORT=$(vrde_wait_port "$HL_OUT" "$HL_PID" 300)
hl_wait_guest
VIREO_PROBE_TSMF_DUMP=$TMPD/last.ppm vprobe --gfx --freerdp /dvc:tsmf \
	--wait-tsmf 10 --dump "$TMPD/fb.ppm" --sleep 3000 >"$TMPD/p.json" &
ppid=$!
# the delivery path while the client watches (bounded: the video is
# detected after a while, later on a loaded machine)
for _ in $(seq 100); do
	info=$(vm showvminfo tvm --machinereadable 2>&1)
	case $info in *'Codec="gfx-planar+video:tsmf-mjpeg"'*) break ;; esac
	kill -0 $ppid 2>/dev/null || break
	sleep 0.2
done
wait $ppid
is "$?" 0 "the probe connected to the VM and dumped its screen"
json=$(cat "$TMPD/p.json")
frames=$(json_num "$json" tsmf.frames)
ok "the guest's video arrived as JPEG frames over TSMF (${frames:-0})" \
	test "${frames:-0}" -ge 10 -a "$(json_num "$json" tsmf.bad)" = 0
is "$(json_num "$json" tsmf.x),$(json_num "$json" tsmf.y),$(json_num "$json" tsmf.w)x$(json_num "$json" tsmf.h)" \
	"64,160,320x180" "the presentation is the testcard's video rectangle"
# The guest draws while the host copies, so a frame may mix two of its
# frames (tearing in the source); the limits allow for that, a misplaced
# or garbled frame is far above them (mean error > 50).
check_area "a decoded frame matches a guest frame" "$TMPD/last.ppm" \
	0 0 320 180 6
check_area "the framebuffer shows it at 64,160" "$TMPD/fb.ppm" \
	64 160 320 180 8
like "$info" 'VRDEClient1Codec="gfx-planar\+video:tsmf-mjpeg"' \
	"showvminfo names the client's delivery path"
ok "the log names the detection" \
	grep -q 'video 320x180 at 64,160 detected' "$HL_DIR/Logs/vireo.log"
[ "${frames:-0}" -gt 0 ] &&
	diag "$(($(json_num "$json" tsmf.jpeg_bytes) / frames)) bytes per JPEG frame at quality 75 (real guest)"
kill -TERM "$HL_PID"
wait "$HL_PID"
HL_PID=
done_testing
