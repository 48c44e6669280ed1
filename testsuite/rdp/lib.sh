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

# ---- end to end: vireo-headless running the testcard guest ----------------
#   e2e_setup; e2e_vm NAME [modifyvm options]; e2e_start NAME
#   (sets PORT, E2E_PID, E2E_DIR); e2e_stop
# Credentials: alice / Secret-1 through the simple auth library.
E2E_USER=alice
E2E_PASS=Secret-1

e2e_cleanup() {
	if [ -n "${E2E_PID:-}" ]; then
		kill -TERM "$E2E_PID" 2>/dev/null
		sleep 1
		kill -KILL "$E2E_PID" 2>/dev/null
	fi
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"
}

e2e_setup() {
	command -v vireo-headless >/dev/null 2>&1 ||
		skip_all "vireo-headless is not built"
	tap_tmpdir
	VIREO_HOME=$TMPD/home
	export VIREO_HOME
	mkdir -p "$VIREO_HOME"
	trap e2e_cleanup EXIT
}

e2e_vm() {
	name=$1
	shift
	timeout 60 vireo-manage createvm --name "$name" --register \
		--basefolder "$TMPD/vms" >/dev/null &&
		timeout 60 vireo-manage modifyvm "$name" --vrde on \
			--vrdeport "$RDP_PORTS" --vrdeauthtype external \
			--vrdeauthlibrary simple "$@" &&
		timeout 60 vireo-manage internalcommands setcredentials "$name" \
			"$E2E_USER" "$E2E_PASS" >/dev/null
}

# Start the VM; wait for the port and for the guest's "testcard ready".
e2e_start() {
	E2E_DIR=$TMPD/vms/$1
	vireo-headless --startvm "$1" >"$TMPD/$1.out" 2>&1 &
	E2E_PID=$!
	PORT=
	for _ in $(seq 300); do
		PORT=$(sed -n 's/^VRDE server is listening on port \([0-9]*\)\.$/\1/p' \
			"$TMPD/$1.out")
		[ -n "$PORT" ] && grep -q '^testcard ready' \
			"$E2E_DIR/Logs/serial.log" 2>/dev/null && return 0
		kill -0 "$E2E_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# vireo-headless did not come up:"
	sed 's/^/#   /' "$TMPD/$1.out"
	return 1
}

e2e_stop() {
	kill -TERM "$E2E_PID" 2>/dev/null
	wait "$E2E_PID"
	E2E_RC=$?
	E2E_PID=
}

# The testcard's colour bars at y 100 (x = 64 i + 32): white, yellow,
# cyan, green, magenta, red, blue, black; background at (600, 300).
TESTCARD_PIX="--wait-pixel 32,100,ffffff --wait-pixel 96,100,ffff00 --wait-pixel 160,100,00ffff --wait-pixel 224,100,00ff00 --wait-pixel 288,100,ff00ff --wait-pixel 352,100,ff0000 --wait-pixel 416,100,0000ff --wait-pixel 480,100,000000 --wait-pixel 600,300,303030"
# Head-id blocks (544 + 16 i + 8, 8), most significant bit first.
headid_pix() {
	h=$1
	out=
	for i in 0 1 2 3; do
		bit=$(((h >> (3 - i)) & 1))
		if [ $bit = 1 ]; then c=ffffff; else c=000000; fi
		out="$out --wait-pixel $((552 + 16 * i)),8,$c"
	done
	echo "$out"
}

# viewer_display GEOMETRY: an Xvfb display of this test's own for real
# viewers (sets XVFB, DISPLAY, and VHOME, the HOME to run viewers with).
# -noreset: with the default, the server resets whenever its last client
# leaves, and the next viewer fails to open the display meanwhile.
# Viewers keep certificate stores under $HOME; parallel tests must not
# share them (rdesktop refused a store another test was rewriting).
viewer_display() {
	Xvfb -displayfd 8 -screen 0 "$1" -nolisten tcp -noreset \
		8>"$TMPD/display" >/dev/null 2>&1 &
	XVFB=$!
	for _ in $(seq 100); do
		[ -s "$TMPD/display" ] && break
		sleep 0.1
	done
	[ -s "$TMPD/display" ] || skip_all "Xvfb did not start"
	DISPLAY=:$(cat "$TMPD/display")
	export DISPLAY
	VHOME=$TMPD/viewer-home
	mkdir -p "$VHOME"
}
