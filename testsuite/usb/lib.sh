# lib.sh - the test-only libusb (usb/libusb-1.0.la) for shell tests and
# benchmarks; source after tap.sh (tests) or on its own (bench).
#   synthusb_ready       true when the library is built (else SYNTHUSB_WHY)
#   synthusb_env DIR     export LD_LIBRARY_PATH and SYNTH_LIBUSB_LOG,
#                        _RESULT, _UNPLUG pointing into DIR
#   synthusb_unplug [NAME...]  the named devices (none: all) leave
#   synthusb_result KEY  a value from the result file
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
