# lib.sh - helpers for the rdp area's shell tests; source after tap.sh.
#
#   tap_tmpdir; host_start [rdp-host options]   # sets PORT, HOST_PID
#   host_cmd "fill 0 0 0 64 64 ff00ff"          # waits for its answer
#   probe [rdp-probe options]                   # JSON on stdout
#   host_wait_lines N PATTERN                   # rdp-host's output has N
#                                               # lines matching (10 s)
#   host_stop
# Every test gets a port of the rdp range 35000-35999 from the server
# itself (TCP/Ports range), so tests can run in parallel.

. "$srcdir/lib/vhost.sh"

RDP_PORTS=35000-35999
RDP_MODULE=${VIREO_MODULE_DIR:-$builddir/modules}/vireo-vrde-rdp.so
RDP_HOST=$builddir/rdp/rdp-host
RDP_PROBE=$builddir/rdp-probe/rdp-probe
# rdp-probe and rdp-fuzzclient are built only where configure found
# FreeRDP's client library; every test here drives one, except those that
# set RDP_NO_PROBE=1 before sourcing this file (real viewers only).
if [ ! -x "$RDP_PROBE" ] && [ -z "${RDP_NO_PROBE:-}" ]; then
	skip_all "no rdp-probe built: configure found no freerdp-client2 (Debian: freerdp2-dev)"
fi

host_start() {
	vrde_host_run "$TMPD/host" "$RDP_HOST" --module "$RDP_MODULE" \
		--prop "TCP/Ports=$RDP_PORTS" --prop "Host/MachineFolder=$TMPD" \
		--input-log "$TMPD/input.log" "$@"
	HOST_PID=$VRDE_HOST_PID
	trap 'host_stop; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"' EXIT
	[ -n "$PORT" ]
}

# Send one command and wait for its "ok"/"error" line; for "info" print
# the answer.  No answer within 10 s stops the test as failed (tap_bail).
host_cmd() {
	vrde_host_cmd "$@" >"$TMPD/host.answer"
	if [ $? = 2 ]; then
		tap_bail "rdp-host did not answer '$*' within 10 s"
		return 1
	fi
	[ "$1" != info ] || cat "$TMPD/host.answer"
}

host_stop() {
	VRDE_HOST_PID=${HOST_PID:-}
	vrde_host_quit
	HOST_PID=
}

# Wait until rdp-host's output has N lines matching PATTERN (grep -E),
# 10 s at most.
host_wait_lines() {
	for _ in $(seq 100); do
		[ "$(grep -cE -- "$2" "$TMPD/host.out")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
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

# probe_refused NAME KIND PATTERN PROBE-ARGS...: one TAP line.  The probe
# must be refused the way KIND says (rdp-probe --expect-fail KIND: logon,
# denied, nego, dropped) and the server's logs ($REFUSAL_LOG, files
# separated by spaces, the host's stderr unless set) must gain a line
# matching PATTERN (grep -E) for this attempt, so neither a server that is
# down nor one that refuses silently passes.  Leaves the probe's JSON in
# $out.
refusal_lines() {
	# shellcheck disable=SC2086
	cat ${REFUSAL_LOG:-$TMPD/host.err} 2>/dev/null | grep -cE -- "$1"
}
probe_refused() {
	name=$1
	kind=$2
	pat=$3
	shift 3
	rlog=${REFUSAL_LOG:-$TMPD/host.err}
	before=$(refusal_lines "$pat")
	out=$(probe --expect-fail "$kind" "$@")
	rc=$?
	after=$before
	for _ in $(seq 50); do
		after=$(refusal_lines "$pat")
		[ "${after:-0}" -gt "${before:-0}" ] && break
		sleep 0.1
	done
	if [ $rc = 0 ] && [ "${after:-0}" -gt "${before:-0}" ]; then
		tap_result 0 "$name"
	else
		tap_result 1 "$name"
		echo "#   probe exit $rc (want 0: refused as '$kind'): $out" |
			cut -c1-600
		echo "#   '$pat' in $rlog: $before before, $after after"
	fi
}

# ---- end to end: vireo-headless running the testcard guest ----------------
#   e2e_setup; e2e_vm NAME [modifyvm options]; e2e_start NAME
#   (sets PORT, E2E_PID, E2E_DIR); e2e_stop
# Credentials: alice / Secret-1 through the simple auth library.
E2E_USER=alice
E2E_PASS=Secret-1
# A denied logon in the VM's log (the host's line), per security layer;
# NLA failures as the module or FreeRDP's server log them.
E2E_DENIED="logon of user '$E2E_USER' from [^ ]* over [A-Z]+ denied"
E2E_DENIED_NLA="denied over NLA|client authentication failure"

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

# VMs run on the software CPU (--hwvirtex off), which every host has;
# E2E_ACCEL=kvm makes the next VMs ask for KVM (e2e_kvm_usable first).
e2e_vm() {
	name=$1
	shift
	hw=off
	[ "${E2E_ACCEL:-software}" = kvm ] && hw=on
	timeout 60 vireo-manage createvm --name "$name" --register \
		--basefolder "$TMPD/vms" >/dev/null &&
		timeout 60 vireo-manage modifyvm "$name" --hwvirtex $hw --vrde on \
			--vrdeport "$RDP_PORTS" --vrdeauthtype external \
			--vrdeauthlibrary simple "$@" &&
		timeout 60 vireo-manage internalcommands setcredentials "$name" \
			"$E2E_USER" "$E2E_PASS" --nla >/dev/null &&
		e2e_sanitizer_auth_timeout "$name"
}

# Under ASan (VIREO_SANITIZERS, tools/test-sanitizers) on a loaded
# machine the auth helper's PBKDF2 check has taken more than the default
# 5 s authTimeout, and a good logon was denied: such VMs get 30 s.
e2e_sanitizer_auth_timeout() {
	[ "${VIREO_SANITIZERS:-0}" = 1 ] || return 0
	sed -i 's/<RemoteDisplay /<RemoteDisplay authTimeout="30000" /' \
		"$TMPD/vms/$1/$1.vbox"
	grep -q 'authTimeout="30000"' "$TMPD/vms/$1/$1.vbox"
}

# Start the VM; wait for the port and for the guest's "testcard ready".
e2e_start() {
	E2E_DIR=$TMPD/vms/$1
	# the VM's log, and its stderr for FreeRDP's own lines
	REFUSAL_LOG="$E2E_DIR/Logs/vireo.log $TMPD/$1.out"
	set -- "$1"
	[ "${E2E_ACCEL:-software}" = kvm ] && set -- "$1" --accel kvm
	vireo-headless --startvm "$@" >"$TMPD/$1.out" 2>&1 &
	E2E_PID=$!
	PORT=
	for _ in $(seq 300); do
		PORT=$(vrde_port "$TMPD/$1.out")
		[ -n "$PORT" ] && grep -q '^testcard ready' \
			"$E2E_DIR/Logs/serial.log" 2>/dev/null && return 0
		kill -0 "$E2E_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# vireo-headless did not come up:"
	sed 's/^/#   /' "$TMPD/$1.out"
	return 1
}

# e2e_kvm_usable: true where KVM can run a VM; else a SKIP with the
# probe's reason (or a failure when the probe itself failed).
e2e_kvm_usable() {
	e2e_why=$("$top_builddir/testsuite/vmm/vmm-run" -A kvm -P 2>&1)
	case $? in
	0) return 0 ;;
	77) skip "kvm: $e2e_why" ;;
	*) tap_result 1 "kvm: accelerator probe failed: $e2e_why" ;;
	esac
	return 1
}

e2e_stop() {
	tap_stop "$E2E_PID" vireo-headless 60
	E2E_RC=$tap_stop_rc
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

# viewer_stop: end the viewer $VIEWER.  xfreerdp keeps a shared-memory
# segment named after its pid for TSMF, and a killed xfreerdp leaves it
# in /dev/shm; remove it with the viewer.
viewer_stop() {
	[ -n "${VIEWER:-}" ] || return 0
	tap_stop "$VIEWER" viewer 20
	rm -f "/dev/shm/com.freerdp.xfreerdp.tsmf_$(printf '%016X' "$VIEWER")"
	VIEWER=
}

# e2e_viewer_setup GEOMETRY: e2e_setup and viewer_display GEOMETRY, for
# the tests of real viewers against vireo-headless; at exit the viewer
# ($VIEWER), Xvfb and the VM end (e2e_viewer_cleanup).
e2e_viewer_setup() {
	e2e_setup
	viewer_display "$1"
	VIEWER=
	trap e2e_viewer_cleanup EXIT
}

e2e_viewer_cleanup() {
	viewer_stop
	kill "$XVFB" 2>/dev/null
	e2e_cleanup
}

# viewer_window CLASS: the id of the viewer's window of X class CLASS
# once it exists and can be captured (at most 30 s), else nothing.
# (import without a window id would wait for a mouse click.)
viewer_window() {
	for _ in $(seq 60); do
		_vw=$(xdotool search --class "$1" 2>/dev/null | head -n 1)
		[ -n "$_vw" ] && import -window "$_vw" "$TMPD/shot.png" \
			2>/dev/null && { echo "$_vw"; return 0; }
		sleep 0.5
	done
	return 1
}

# viewer_shows WINDOW WANT: capture WINDOW into $TMPD/shot.png until it
# shows the image WANT exactly (at most 30 s); prints how many pixels
# differed last (0: all alike), "no-window" without a window.
viewer_shows() {
	_vs=no-window
	for _ in $(seq 60); do
		if [ -n "$1" ] && import -window "$1" "$TMPD/shot.png" \
			2>/dev/null; then
			_vs=$(picture_diff "$TMPD/shot.png" "$2")
			[ "$_vs" = 0 ] && break
		fi
		sleep 0.5
	done
	echo "$_vs"
}

# viewer_key WINDOW KEY: type KEY (an xdotool key name) into WINDOW.
viewer_key() {
	xdotool windowfocus "$1" 2>/dev/null
	xdotool key "$2"
}

# rdp_host_picture FILE [W H [SCREEN]]: rdp-host's initial picture (see
# rdp-host.c) as a PNG: quadrants red, green, blue, white, and the box at
# (8,8) of colour 0x10 * (SCREEN + 1).
rdp_host_picture() {
	w=${2:-800}
	h=${3:-600}
	box=$(printf '%02x' $((16 * (${4:-0} + 1))))
	convert -size $((w / 2))x$((h / 2)) xc:'#ff0000' \
		-size $((w - w / 2))x$((h / 2)) xc:'#00ff00' +append \
		\( -size $((w / 2))x$((h - h / 2)) xc:'#0000ff' \
		-size $((w - w / 2))x$((h - h / 2)) xc:'#ffffff' +append \) \
		-append -fill "#$box$box$box" -draw 'rectangle 8,8 39,39' \
		"PNG24:$1"
}

# picture_diff A B: how many pixels of the images A and B differ (any
# channel); "size" when their sizes differ, "error" when one is unreadable.
picture_diff() {
	sa=$(identify -format '%wx%h' "$1" 2>/dev/null) || { echo error; return; }
	sb=$(identify -format '%wx%h' "$2" 2>/dev/null) || { echo error; return; }
	[ "$sa" = "$sb" ] || { echo "size $sa, not $sb"; return; }
	compare -metric AE "$1" "$2" null: 2>&1 | sed 's/ .*//'
}

# picture_diag A B: up to 8 of the pixels where A and B differ, as diag.
picture_diag() {
	convert "$1" "$2" -compose difference -composite -threshold 0 \
		-depth 8 txt:- 2>/dev/null | grep -v '#000000' | sed -n '2,9p' |
		cut -d: -f1 | while read -r xy; do
		x=${xy%,*}
		y=${xy#*,}
		echo "#   at $xy: $(convert "$1" -format "%[pixel:p{$x,$y}]" info:), want $(convert "$2" -format "%[pixel:p{$x,$y}]" info:)"
	done
}
