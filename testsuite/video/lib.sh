# lib.sh - helpers for the video area's shell tests; source after tap.sh.
#
#   tap_tmpdir; video_need                      # skip_all without module/probe
#   vhost_start [video-host options]            # sets PORT, VHOST_PID
#   vhost_cmd "info 20 1"                       # prints the answer line
#   vprobe [rdp-probe options] > json           # JSON on stdout
#   json_num JSON tsmf.frames                   # a number from the report
#   card_rgb X Y F                              # testcard video pixel, hex
# Ports come from the video range 36000-36999 (TCP/Ports range).

. "$srcdir/lib/vhost.sh"

VIDEO_PORTS=36000-36999
VIDEO_MODULE=${VIREO_MODULE_DIR:-$builddir/modules}/vireo-vrde-rdp.so
VIDEO_HOST=$builddir/video/video-host
VIDEO_CHECK=$builddir/video/video-check
VIDEO_PROBE=$builddir/rdp-probe/rdp-probe

video_need() {
	[ -e "$VIDEO_MODULE" ] || skip_all "no RDP module built ($VIDEO_MODULE)"
	[ -x "$VIDEO_PROBE" ] || skip_all "no rdp-probe built: configure found no freerdp-client2 (Debian: freerdp2-dev)"
	[ -x "$VIDEO_HOST" ] || skip_all "no video-host built"
}

vhost_start() {
	vrde_host_run "$TMPD/vhost" "$VIDEO_HOST" --module "$VIDEO_MODULE" \
		--prop "TCP/Ports=$VIDEO_PORTS" --prop "Security/Method=RDP" \
		--prop "Host/MachineFolder=$TMPD" "$@"
	VHOST_PID=$VRDE_HOST_PID
	trap 'vhost_stop; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"' EXIT
	[ -n "$PORT" ]
}

# video-host is built with the tests: when it does not start, that is a
# failure (TAP "Bail out!" with its stderr), never a skip.
vhost_failed() {
	tap_bail "video-host did not start: $(head -c 300 "$TMPD/vhost.err" |
		tr '\n' ' ')"
	exit 1
}

# One command; prints its answer line (without the leading word).
# vhost_wait_codec REGEX ID: poll client ID's codec name until it matches
# (a loaded machine connects slowly; a pipeline client starts on the
# bitmap path), at most 20 s; $codec holds the last answer.
vhost_wait_codec() {
	for _ in $(seq 100); do
		codec=$(vhost_cmd info 20 "$2")
		printf '%s\n' "$codec" | grep -Eq -- "$1" && return 0
		sleep 0.2
	done
	return 1
}

vhost_cmd() {
	vrde_host_cmd "$@"
	[ $? != 2 ] && return 0
	tap_bail "video-host did not answer '$*' within 10 s"
	return 1
}

vhost_stop() {
	VRDE_HOST_PID=${VHOST_PID:-}
	vrde_host_quit
	VHOST_PID=
}

vprobe() {
	timeout 60 "$VIDEO_PROBE" --port "$PORT" --sec rdp --timeout 20 "$@" \
		2>>"$TMPD/probe.err"
}

# json_num JSON KEY or OBJECT.KEY: the number (or empty).
json_num() {
	case $2 in
	*.*)
		printf '%s' "$1" | sed -n "s/.*\"${2%%.*}\":{[^}]*\"${2#*.}\":\([0-9-]*\).*/\1/p"
		;;
	*)
		printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9-]*\).*/\1/p"
		;;
	esac
}

# The testcard video pixel (x, y) of frame f as RRGGBB.
card_rgb() {
	printf '%02x%02x%02x' $((($1 + 4 * $3) & 255)) $((($2 + 2 * $3) & 255)) \
		$((($1 + $2 + 6 * $3) & 255))
}

# check_area NAME PPM X Y W H MAX-MEAN: the area matches some testcard
# video frame with a mean error of at most MAX-MEAN.
check_area() {
	out=$("$VIDEO_CHECK" "$2" "$3" "$4" "$5" "$6" 2>&1)
	mean=$(printf '%s' "$out" | sed -n 's/.* mean \([0-9.]*\) .*/\1/p')
	if [ -n "$mean" ] && awk "BEGIN { exit !($mean <= $7) }"; then
		tap_result 0 "$1 ($out)"
	else
		tap_result 1 "$1"
		echo "#   $out (limit: mean <= $7)"
	fi
}
