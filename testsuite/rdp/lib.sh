# lib.sh - helpers for the rdp area's shell tests; source after tap.sh.
#
#   tap_tmpdir; host_start [rdp-host options]   # sets PORT, HOST_PID
#   host_cmd "fill 0 0 0 64 64 ff00ff"          # waits for its answer
#   probe [rdp-probe options]                   # JSON on stdout
#   host_stop
# Every test gets a port of the rdp range 35000-35999 from the server
# itself (TCP/Ports range), so tests can run in parallel.

RDP_PORTS=35000-35999
RDP_MODULE=${VIREO_MODULE_DIR:-$builddir/modules}/vireo-vrde-rdp.so
RDP_HOST=$builddir/rdp/rdp-host
RDP_PROBE=$builddir/rdp-probe/rdp-probe

host_start() {
	rm -f "$TMPD/ctl" "$TMPD/host.out"
	mkfifo "$TMPD/ctl"
	"$RDP_HOST" --module "$RDP_MODULE" --prop "TCP/Ports=$RDP_PORTS" \
		--prop "Host/MachineFolder=$TMPD" \
		--input-log "$TMPD/input.log" "$@" \
		<"$TMPD/ctl" >"$TMPD/host.out" 2>"$TMPD/host.err" &
	HOST_PID=$!
	exec 7>"$TMPD/ctl"
	HOST_ANSWERS=0
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/^VRDE server is listening on port \([0-9]*\)\.$/\1/p' \
			"$TMPD/host.out")
		[ -n "$PORT" ] && break
		kill -0 "$HOST_PID" 2>/dev/null || break
		sleep 0.1
	done
	trap 'host_stop; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"' EXIT
	[ -n "$PORT" ]
}

# Send one command and wait for its "ok"/"error" line; for "info" print
# the answer.
host_cmd() {
	HOST_ANSWERS=$((HOST_ANSWERS + 1))
	echo "$*" >&7
	for _ in $(seq 200); do
		n=$(grep -cE '^(ok|error)' "$TMPD/host.out")
		[ "$n" -ge "$HOST_ANSWERS" ] && break
		sleep 0.05
	done
	if [ "$1" = info ]; then
		grep '^info' "$TMPD/host.out" | tail -n 1 | cut -c6-
	fi
}

host_stop() {
	if [ -n "${HOST_PID:-}" ]; then
		echo quit >&7 2>/dev/null
		exec 7>&-
		for _ in $(seq 50); do
			kill -0 "$HOST_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$HOST_PID" 2>/dev/null
		wait "$HOST_PID" 2>/dev/null
		HOST_PID=
	fi
}

probe() {
	timeout "${PROBE_LIMIT:-60}" "$RDP_PROBE" --port "$PORT" --timeout 15 "$@" \
		2>>"$TMPD/probe.err"
}

# probe_ok NAME PROBE-ARGS...: one TAP line, the probe must exit 0.
probe_ok() {
	name=$1
	shift
	out=$(probe "$@")
	rc=$?
	tap_result $rc "$name"
	[ $rc = 0 ] || echo "#   probe: $out" | cut -c1-600
	return $rc
}
