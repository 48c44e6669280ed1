#!/bin/sh
# video.sh - what each delivery path of a detected video costs: bytes per
# second on the wire and CPU time of the server, for a 640x360 area
# playing at 25 fps (the testcard's gradient, see testcard.h), per path
# and JPEG/H.264 quality, against plain bitmaps of the same area.
#
#   bench/video.sh [--seconds S] [--out DIR] [--only PATHS] [--tag T] [--fps N]
#
# --only takes a comma list of paths (bitmap, gfx-planar, tsmf-mjpeg,
# gfx-avc420) and measures only those; --tag T names the files
# video-<date>-<host>-T.* so a partial run does not replace a full one;
# --fps sets the video's frame rate (default 25).  VIDEO_BENCH_MODULE
# names another build of vireo-vrde-rdp.so to measure (an A/B of an
# encoder setting, say).
#
# Needs the test programs (make -C testsuite video/video-host
# rdp-probe/rdp-probe) and the RDP module.  Each configuration runs one
# video-host (the module inside) and one rdp-probe; after 2 s of warm-up
# (detection takes 10 frames) it reads the module's byte counter
# (query_info BYTES_SENT) and the host's CPU time twice, S seconds apart.
# The host's own drawing of the frames is measured alone (video-host
# --draw-only), listed separately and subtracted ("without the
# drawing").  Writes video-<date>-<host>.json (one object per
# configuration) and .md to bench/results/.  Not part of make check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/../testsuite/lib/vhost.sh"
seconds=10
out=$here/results
only=
tag=
fps=25
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift ;;
	--out) out=$2; shift ;;
	--only) only=,$2,; shift ;;
	--tag) tag=-$2; shift ;;
	--fps) fps=$2; shift ;;
	*) echo "usage: bench/video.sh [--seconds S] [--out DIR] [--only PATHS] [--tag T] [--fps N]" >&2; exit 2 ;;
	esac
	shift
done
host_bin=$top/testsuite/video/video-host
probe_bin=$top/testsuite/rdp-probe/rdp-probe
module=${VIDEO_BENCH_MODULE:-$top/src/vrde/rdp/.libs/vireo-vrde-rdp.so}
for f in "$host_bin" "$probe_bin" "$module"; do
	[ -e "$f" ] || { echo "video.sh: missing $f (build it first)" >&2; exit 1; }
done
mkdir -p "$out" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/vireo-bench-video.XXXXXX") || exit 1
trap 'exec 9>&- 2>/dev/null; kill $hpid $ppid 2>/dev/null; rm -rf "$work"' EXIT
hpid=
ppid=
stamp=$(date -u +%Y-%m-%d)
name=video-$stamp-$(hostname -s 2>/dev/null || hostname)$tag
json=$out/$name.json
md=$out/$name.md

start_host() {
	vrde_host_run "$work/host" "$host_bin" --module "$module" \
		--size 1024x768 --video 64,160,640,360 --fps "$fps" \
		--prop TCP/Ports=37000-37999 --prop Security/Method=RDP \
		--prop "Host/MachineFolder=$work" "$@"
	hpid=$VRDE_HOST_PID
	port=$PORT
	[ -n "$port" ]
}

cmd() {
	vrde_host_cmd "$@"
}

stop_host() {
	vrde_host_quit
	hpid=
}

# measure LABEL PATH QUALITY VIDEO(on/off) PROBE-ARGS...
measure() {
	label=$1 path=$2 q=$3 video=$4
	shift 4
	case $only in
	''|*,"$path",*) ;;
	*) return ;;
	esac
	start_host --prop "VideoChannel/Enabled=$video" \
		--prop "VideoChannel/Quality=$q" || { echo "$label: no host" >&2; return; }
	timeout $((seconds + 30)) "$probe_bin" --port "$port" --sec rdp \
		--timeout 20 "$@" --sleep $(((seconds + 4) * 1000)) \
		>"$work/probe.json" 2>"$work/probe.err" &
	ppid=$!
	for _ in $(seq 100); do
		grep -q '^connect client' "$work/host.out" && break
		sleep 0.1
	done
	cmd play >/dev/null
	sleep 2
	b0=$(cmd info 11 1)
	c0=$(cmd cpu)
	sleep "$seconds"
	b1=$(cmd info 11 1)
	c1=$(cmd cpu)
	codec=$(cmd info 20 1)
	cmd stop >/dev/null
	wait "$ppid" 2>/dev/null
	ppid=
	stop_host
	pj=$(cat "$work/probe.json")
	frames=$(printf '%s' "$pj" | sed -n 's/.*"frames":\([0-9]*\),"total_ms".*/\1/p')
	tframes=$(printf '%s' "$pj" | sed -n 's/.*"tsmf":{[^}]*"frames":\([0-9]*\).*/\1/p')
	total=$(printf '%s' "$pj" | sed -n 's/.*"total_ms":\([0-9]*\).*/\1/p')
	awk -v l="$label" -v p="$path" -v q="$q" -v c="$codec" -v s="$seconds" \
		-v b0="$b0" -v b1="$b1" -v c0="$c0" -v c1="$c1" \
		-v f="${frames:-0}" -v tf="${tframes:-0}" -v t="${total:-1}" -v fps="$fps" \
		-v d="$draw_cpu" 'BEGIN {
		bps = (b1 - b0) / s; cpu = (c1 - c0) / (s * 10.0);
		ups = (f + tf) * 1000.0 / (t > 0 ? t : 1);
		printf "{\"config\":\"%s\",\"path\":\"%s\",\"quality\":%s,\"codec\":\"%s\",\"seconds\":%s,\"bytes_per_s\":%.0f,\"kbit_per_s\":%.0f,\"bytes_per_frame\":%.0f,\"server_cpu_percent\":%.1f,\"module_cpu_percent\":%.1f,\"server_cpu_ms_per_frame\":%.2f,\"client_updates_per_s\":%.1f}\n",
			l, p, q, c, s, bps, bps * 8 / 1000, bps / fps, cpu, cpu - d, (c1 - c0) / (s * fps), ups }' >>"$json"
}

: >"$json"
# The host drawing its frames without telling the module: the VM's share,
# not the server's, subtracted from each configuration's CPU (module_cpu).
draw_cpu=0
start_host --draw-only && {
	cmd play >/dev/null
	sleep 1
	c0=$(cmd cpu)
	sleep "$seconds"
	c1=$(cmd cpu)
	stop_host
	draw_cpu=$(awk -v s="$seconds" -v c0="$c0" -v c1="$c1" \
		'BEGIN { printf "%.1f", (c1 - c0) / (s * 10.0) }')
	awk -v s="$seconds" -v c0="$c0" -v c1="$c1" -v fps="$fps" 'BEGIN {
		printf "{\"config\":\"host drawing only\",\"path\":\"none\",\"quality\":0,\"codec\":\"\",\"seconds\":%s,\"bytes_per_s\":0,\"kbit_per_s\":0,\"bytes_per_frame\":0,\"server_cpu_percent\":%.1f,\"module_cpu_percent\":0,\"server_cpu_ms_per_frame\":%.2f,\"client_updates_per_s\":0}\n",
			s, (c1 - c0) / (s * 10.0), (c1 - c0) / (s * fps) }' >>"$json"
}
measure "bitmaps, video channel off" bitmap 75 false --no-gfx
measure "bitmaps, no bulk compression, video channel off" bitmap 75 false \
	--no-gfx --freerdp -compression
measure "gfx planar, video channel off" gfx-planar 75 false --gfx
measure "bitmaps (video detected, no TSMF/GFX)" bitmap 75 true --no-gfx
for q in 30 75 100; do
	measure "MJPEG over TSMF q$q" tsmf-mjpeg "$q" true --gfx \
		--freerdp /dvc:tsmf
done
for q in 30 75 100; do
	measure "H.264 AVC420 q$q" gfx-avc420 "$q" true --gfx \
		--gfx-codec avc420
done

{
	echo "# Video delivery: 640x360 area at $fps fps ($stamp, $(nproc) cores)"
	echo
	echo "kbit/s and bytes/frame (kbit/s over the guest's $fps fps) come from"
	echo "the module's byte counter over $seconds s; server CPU is the"
	echo "video-host process (module included) in % of one core, then the"
	echo "same less the host's own drawing of the frames, measured alone"
	echo "(row 'host drawing only': in a VM the guest draws), and its"
	echo "CPU time per video frame (CPU time, not wall time: the machine is"
	echo "shared, so the time the process got says little); client"
	echo "updates/s are the probe's painted updates plus decoded TSMF frames"
	echo "over its whole session (incl. connecting), a rough rate."
	echo "The picture is the testcard's gradient, which planar's row-delta RLE"
	echo "compresses almost perfectly and x264's motion search predicts"
	echo "perfectly; natural video costs bitmaps far more (see the encoder"
	echo "part of make bench, frame kind 'photo')."
	echo
	echo "| configuration | codec (query_info) | kbit/s | bytes/frame | server CPU % | without the drawing % | server CPU ms/frame | client updates/s |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	sed 's/.*"config":"\([^"]*\)".*"codec":"\([^"]*\)".*"kbit_per_s":\([0-9]*\).*"bytes_per_frame":\([0-9]*\).*"server_cpu_percent":\([0-9.]*\).*"module_cpu_percent":\([-0-9.]*\).*"server_cpu_ms_per_frame":\([0-9.]*\).*"client_updates_per_s":\([0-9.]*\).*/| \1 | \2 | \3 | \4 | \5 | \6 | \7 | \8 |/' "$json"
} >"$md"
cat "$md"
