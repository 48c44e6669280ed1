# lib.sh - helpers for the video area's shell tests; source after tap.sh.
#
#   tap_tmpdir; video_need                      # skip_all without module/probe
#   vhost_start [video-host options]            # sets PORT, VHOST_PID
#   vhost_cmd "info 20 1"                       # prints the answer line
#   vprobe [rdp-probe options] > json           # JSON on stdout
#   json_num JSON tsmf.frames                   # a number from the report
#   card_rgb X Y F                              # testcard video pixel, hex
# Ports come from the video range 36000-36999 (TCP/Ports range).

VIDEO_PORTS=36000-36999
VIDEO_MODULE=${VIREO_MODULE_DIR:-$builddir/modules}/vireo-vrde-rdp.so
VIDEO_HOST=$builddir/video/video-host
VIDEO_CHECK=$builddir/video/video-check
VIDEO_PROBE=$builddir/rdp-probe/rdp-probe

video_need() {
	[ -e "$VIDEO_MODULE" ] || skip_all "no RDP module built ($VIDEO_MODULE)"
	[ -x "$VIDEO_PROBE" ] || skip_all "no rdp-probe built"
	[ -x "$VIDEO_HOST" ] || skip_all "no video-host built"
}

vhost_start() {
	rm -f "$TMPD/vctl" "$TMPD/vhost.out"
	mkfifo "$TMPD/vctl"
	"$VIDEO_HOST" --module "$VIDEO_MODULE" \
		--prop "TCP/Ports=$VIDEO_PORTS" --prop "Security/Method=RDP" \
		--prop "Host/MachineFolder=$TMPD" "$@" \
		<"$TMPD/vctl" >"$TMPD/vhost.out" 2>"$TMPD/vhost.err" &
	VHOST_PID=$!
	exec 8>"$TMPD/vctl"
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/^VRDE server is listening on port \([0-9]*\)\.$/\1/p' \
			"$TMPD/vhost.out")
		[ -n "$PORT" ] && break
		kill -0 "$VHOST_PID" 2>/dev/null || break
		sleep 0.1
	done
	trap 'vhost_stop; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"' EXIT
	[ -n "$PORT" ]
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
	n=$(wc -l <"$TMPD/vhost.out")
	echo "$*" >&8
	for _ in $(seq 100); do
		[ "$(wc -l <"$TMPD/vhost.out")" -gt "$n" ] &&
			tail -n +"$((n + 1))" "$TMPD/vhost.out" |
			grep -E '^(ok|error|info|frame|cpu)' | head -n 1 |
			grep -q . && break
		sleep 0.05
	done
	tail -n +"$((n + 1))" "$TMPD/vhost.out" |
		grep -E '^(ok|error|info|frame|cpu)' | head -n 1 | cut -d' ' -f2-
}

vhost_stop() {
	if [ -n "${VHOST_PID:-}" ]; then
		echo quit >&8 2>/dev/null
		exec 8>&-
		for _ in $(seq 50); do
			kill -0 "$VHOST_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$VHOST_PID" 2>/dev/null
		wait "$VHOST_PID" 2>/dev/null
		VHOST_PID=
	fi
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
