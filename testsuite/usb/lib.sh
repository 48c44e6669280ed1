# lib.sh - the test-only libusb (usb/libusb-1.0.la) for shell tests and
# benchmarks; source after tap.sh (tests) or on its own (bench).
#   synthusb_ready       true when the library is built (else SYNTHUSB_WHY)
#   synthusb_env DIR     export LD_LIBRARY_PATH and SYNTH_LIBUSB_LOG,
#                        _RESULT, _UNPLUG pointing into DIR
#   synthusb_unplug [NAME...]  the named devices (none: all) leave
#   synthusb_result KEY [FILE]  a value from the result file
#   synthusb_viewer LOG HOME ARGS...  xfreerdp in the background (its pid
#                        in SYNTHUSB_VIEWER) on $DISPLAY with the library,
#                        HOME for its certificate store; ARGS after /v:
#   wait_for SECONDS CMD...  poll CMD every 0.2 s; true once it succeeds
#   has FILE ERE / hasi FILE ERE  grep -E (-i) quietly
# Tests only (tap.sh):
#   check NAME CMD...    like ok, and returns CMD's status (for diagnostics)
#   show WHAT FILE [N]   FILE's last N lines (15) as TAP comments
#   urbdrc_e2e_ready     SKIP unless Xvfb, xfreerdp, this library and an
#                        RDP module with URBDRC ($RDP_MODULE: rdp/lib.sh)
SYNTHUSB_LIBDIR=${SYNTHUSB_LIBDIR:-$builddir/usb/.libs}

synthusb_ready() {
	if [ ! -e "$SYNTHUSB_LIBDIR/libusb-1.0.so.0" ]; then
		SYNTHUSB_WHY="the test libusb is not built ($SYNTHUSB_LIBDIR/libusb-1.0.so.0; configure needs libusb's headers, Debian: libusb-1.0-0-dev)"
		return 1
	fi
	return 0
}

synthusb_env() {
	LD_LIBRARY_PATH=$SYNTHUSB_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	SYNTH_LIBUSB_LOG=$1/synth-libusb.log
	SYNTH_LIBUSB_RESULT=$1/synth-libusb.result
	SYNTH_LIBUSB_UNPLUG=$1/synth-libusb.unplug
	rm -f "$SYNTH_LIBUSB_RESULT" "$SYNTH_LIBUSB_UNPLUG"
	export LD_LIBRARY_PATH SYNTH_LIBUSB_LOG SYNTH_LIBUSB_RESULT \
		SYNTH_LIBUSB_UNPLUG
}

synthusb_unplug() {
	echo "$*" >"$SYNTH_LIBUSB_UNPLUG.tmp" &&
		mv "$SYNTH_LIBUSB_UNPLUG.tmp" "$SYNTH_LIBUSB_UNPLUG"
}

synthusb_result() {
	sed -n "s/^$1=//p" "${2:-$SYNTH_LIBUSB_RESULT}" 2>/dev/null
}

# xfreerdp, stock, with urbdrc and this library: the viewer of every
# remote-USB test and benchmark (call synthusb_env first).
synthusb_viewer() {
	_log=$1
	_home=$2
	shift 2
	env HOME="$_home" xfreerdp /v:127.0.0.1 /cert:ignore /sec:tls \
		/size:800x600 "$@" >"$_log" 2>&1 &
	SYNTHUSB_VIEWER=$!
}

wait_for() {
	_n=$(($1 * 5))
	shift
	while [ $_n -gt 0 ]; do
		"$@" && return 0
		_n=$((_n - 1))
		sleep 0.2
	done
	return 1
}

has() { grep -Eq -- "$2" "$1" 2>/dev/null; }
hasi() { grep -Eiq -- "$2" "$1" 2>/dev/null; }

check() {
	_name=$1
	shift
	"$@"
	_rc=$?
	tap_result $_rc "$_name"
	return $_rc
}

show() {
	echo "#   $1:"
	tail -n "${3:-15}" "$2" 2>/dev/null | sed 's/^/#     /' | cut -c1-200
}

# The module file is searched for the channel name, so a test runs as
# soon as the module has the server side of MS-RDPEUSB.
urbdrc_e2e_ready() {
	for _t in Xvfb xfreerdp; do
		command -v $_t >/dev/null 2>&1 || skip_all "$_t is not installed"
	done
	synthusb_ready || skip_all "$SYNTHUSB_WHY"
	[ -e "$RDP_MODULE" ] || skip_all "no RDP module at $RDP_MODULE"
	grep -q URBDRC "$RDP_MODULE" ||
		skip_all "the RDP module has no URBDRC dynamic channel (no server side of MS-RDPEUSB in $(basename "$RDP_MODULE"))"
}
