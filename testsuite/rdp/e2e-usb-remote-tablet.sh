#!/bin/sh
# e2e-usb-remote-tablet.sh - a client's USB tablet moves the guest's
# crosshair: stock xfreerdp (FreeRDP 2.11's urbdrc) under Xvfb, with the
# test-only libusb (testsuite/usb/synth-libusb.c) giving it the HID
# tablet 0627:0001, redirects the tablet (/usb:id:0627:0001) to
# vireo-headless running the testcard with an OHCI controller and a
# Remote filter for it.
#   - the testcard enumerates the remote tablet on COM1 ("usb: port N
#     0627:0001 class 03/...") and polls its interrupt IN endpoint; the
#     VM log has xfreerdp's description of it (QUERY_DEVICE_TEXT);
#   - the test appends reports to the library's report file one at a
#     time (X, Y in 0..0x7fff for a pixel of the 1024x768 head, as the
#     emulated tablet maps them); each comes back as "usb: tablet X Y B"
#     on COM1, and the probe, a second client, sees the crosshair on
#     exactly that pixel and no longer on the last one;
#   - unplug: the guest sees the port disconnect, and the pointer (the
#     probe's moves, through the PS/2 mouse) moves the crosshair again.
# SKIPs without Xvfb, xfreerdp, the test libusb or a module with URBDRC.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
. "$srcdir/usb/lib.sh"
urbdrc_e2e_ready

e2e_viewer_setup 1024x768x24

# tab PIXEL SIZE: the tablet's coordinate for PIXEL of SIZE pixels
# (usb-facts: p * 0x7fff / (size - 1), to the nearest).
tab() { echo $((($1 * 32767 + ($2 - 1) / 2) / ($2 - 1))); }
# report X Y [B]: the tablet reports pixel (X, Y) of the 1024x768 head.
report() {
	echo "$(tab "$1" 1024),$(tab "$2" 768),${3:-0}" >>"$REPORTS"
}
probe_sees() {
	_name=$1
	shift
	probe_ok "$_name" --sec tls --user "$E2E_USER" --password "$E2E_PASS" \
		--wait-pixel 32,100,ffffff "$@"
}

e2e_vm rtab --usbohci on --vrdemulticon on
ok "usbfilter add: a Remote filter for the tablet 0627:0001" \
	timeout 60 vireo-manage usbfilter add 0 --target rtab --name tablet \
	--vendorid 0627 --productid 0001 --remote yes
e2e_start rtab
ok "VM with an OHCI controller is up" test -n "$PORT"
SER=$E2E_DIR/Logs/serial.log
LOG=$E2E_DIR/Logs/vireo.log

REPORTS=$TMPD/reports
: >"$REPORTS"
synthusb_env "$TMPD"
SYNTH_LIBUSB_DEVICES="tablet reportfile=$REPORTS"
export SYNTH_LIBUSB_DEVICES
XF=$TMPD/xfreerdp.log
synthusb_viewer "$XF" "$VHOME" /port:"$PORT" /u:"$E2E_USER" \
	/p:"$E2E_PASS" /usb:id:0627:0001
VIEWER=$SYNTHUSB_VIEWER

if ! check "COM1: the testcard lists the remote tablet" \
	wait_for 120 has "$SER" '^usb: port [0-9]+ 0627:0001 class 03/'; then
	show "COM1" "$SER"
	show "VM log" "$LOG"
	show "xfreerdp" "$XF"
	show "synth-libusb log" "$SYNTH_LIBUSB_LOG"
fi
ok "VM log: xfreerdp's answer to QUERY_DEVICE_TEXT (the product string)" \
	has "$LOG" 'VID_0627&PID_0001.*the client describes it as "synthetic USB tablet"'

# each report, then the crosshair where it points (arms 5 pixels long)
report 700 300
if ! check "COM1: the first report arrives as usb: tablet 700 300 0" \
	wait_for 60 has "$SER" '^usb: tablet 700 300 0$'; then
	show "COM1" "$SER"
fi
probe_sees "the crosshair is at 700,300" \
	--wait-pixel 705,300,ff8000 --wait-pixel 700,295,ff8000
report 200 600 1
ok "COM1: usb: tablet 200 600 1 (the left button)" \
	wait_for 60 has "$SER" '^usb: tablet 200 600 1$'
probe_sees "the crosshair moved to 200,600, not left at 700,300" \
	--wait-pixel 205,600,ff8000 --wait-pixel 200,595,ff8000 \
	--wait-pixel 705,300,303030
report 1023 767
ok "COM1: usb: tablet 1023 767 0 (the far corner)" \
	wait_for 60 has "$SER" '^usb: tablet 1023 767 0$'
probe_sees "the crosshair is at the far corner" \
	--wait-pixel 1018,767,ff8000 --wait-pixel 205,600,303030

# unplug: the guest forgets the tablet and follows the pointer again
synthusb_unplug tablet
if ! check "unplug: the guest sees the port disconnect" \
	wait_for 60 has "$SER" '^usb: port [0-9]+ disconnected'; then
	show "COM1" "$SER"
fi
probe_sees "after the unplug the client's pointer moves the crosshair" \
	--move 400,200 --wait-pixel 405,200,ff8000 --wait-pixel 1018,767,303030
ok "xfreerdp is still connected" kill -0 "$VIEWER"

e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
viewer_stop
echo "1..$tap_n"
done_testing
