#!/bin/sh
# e2e-usb-xfreerdp.sh - remote USB end to end with the real viewer: stock
# xfreerdp (FreeRDP 2.11's urbdrc, MS-RDPEUSB client) under Xvfb, given
# the test-only libusb (testsuite/usb/synth-libusb.c) on LD_LIBRARY_PATH
# so that it has a vendor device (bulk IN 0x81 / OUT 0x02, 1209:0001) and
# a HID tablet (0627:0001), connects to vireo-headless running the
# testcard with an OHCI controller and one Remote filter, for the vendor
# device only.
#   - the server opens URBDRC, the client adds both devices; the vendor
#     device appears on the guest's COM1 ("usb: port N 1209:0001 ...");
#     the tablet matches no filter: the client gets RETRACT_DEVICE and
#     the guest never lists it;
#   - the testcard echoes the vendor device's bulk IN to bulk OUT: the
#     library sends 1 MiB of its pattern and checks what comes back (its
#     result file: bytes, checksums, first mismatch);
#   - unplug (the library's device leaves, as when pulled out): the
#     server logs the removal and the guest sees the port disconnect;
#   - the VM stops: xfreerdp ends, its urbdrc teardown reaches
#     libusb_exit without crashing.
# SKIPs while the RDP module has no URBDRC channel (the module file is
# searched for the channel name, so the test runs as soon as it does).
. "$srcdir/tap.sh"
RDP_NO_PROBE=1
. "$srcdir/rdp/lib.sh"
. "$srcdir/usb/lib.sh"
urbdrc_e2e_ready

ECHO_BYTES=${VIREO_USB_ECHO_BYTES:-1048576}
ECHO_LIMIT=${VIREO_USB_ECHO_TIMEOUT:-300}
VID=1209
PID=0001
# What the guest and the server print (the testcard's COM1 lines and the
# VM log's; case-insensitive for the log).
COM1_DEVICE="^usb: port [0-9]+ $VID:$PID "
COM1_GONE="^usb: port [0-9]+ .*(disconnect|removed|gone)"
LOG_GONE="usb.*($VID:$PID|device).*(remov|detach|unplug|gone|disconnect)"
LOG_REFUSED="0627:0001.*(refus|retract|no .*filter|not match)"

e2e_viewer_setup 1024x768x24

echo_done() { [ "$(synthusb_result bytes_out)" = "$ECHO_BYTES" ]; }

e2e_vm usb --usbohci on
ok "usbfilter add: a Remote filter for $VID:$PID" \
	timeout 60 vireo-manage usbfilter add 0 --target usb --name echo \
	--vendorid $VID --productid $PID --remote yes
e2e_start usb
ok "VM with an OHCI controller is up" test -n "$PORT"
SER=$E2E_DIR/Logs/serial.log
LOG=$E2E_DIR/Logs/vireo.log

synthusb_env "$TMPD"
SYNTH_LIBUSB_DEVICES="tablet; vendor id=$VID:$PID bytes=$ECHO_BYTES"
export SYNTH_LIBUSB_DEVICES
XF=$TMPD/xfreerdp.log
WLOG_LEVEL=DEBUG
export WLOG_LEVEL
synthusb_viewer "$XF" "$VHOME" /port:"$PORT" /u:"$E2E_USER" \
	/p:"$E2E_PASS" /usb:dbg,id:$VID:$PID#0627:0001
VIEWER=$SYNTHUSB_VIEWER

# 1. the client side: urbdrc loaded our libusb and registered both
ok "urbdrc found both synthetic devices through the test libusb" \
	wait_for 30 sh -c "grep -q 'Registered Device: Vid: 0x$VID Pid: 0x$PID' '$XF' &&
		grep -q 'Registered Device: Vid: 0x0627 Pid: 0x0001' '$XF'"
# 2. the server opens URBDRC (a module with the name must also use it)
if ! check "the server opened the URBDRC channel" \
	wait_for 30 has "$XF" 'listener URBDRC created new channel'; then
	show "xfreerdp" "$XF"
fi
# 3. the guest enumerates the vendor device
if ! check "COM1: the testcard lists the vendor device ($VID:$PID)" \
	wait_for 120 has "$SER" "$COM1_DEVICE"; then
	show "COM1" "$SER"
	show "VM log" "$LOG"
fi
ok "the tablet (no filter) is refused: RETRACT_DEVICE to the client" \
	wait_for 30 has "$XF" 'RETRACT_DEVICE'
ok "the VM log names the refused tablet" \
	wait_for 10 hasi "$LOG" "$LOG_REFUSED"
ok "COM1: the guest never sees the tablet" \
	lacks "$SER" '^usb: port [0-9]+ 0627:0001'

# 4. the echo: the pattern goes IN to the guest and comes back OUT
if ! check "echo: $ECHO_BYTES bytes came back from the guest" \
	wait_for "$ECHO_LIMIT" echo_done; then
	show "result" "$SYNTH_LIBUSB_RESULT"
	show "synth-libusb log" "$SYNTH_LIBUSB_LOG"
fi
is "$(synthusb_result bytes_in) $(synthusb_result bytes_out)" \
	"$ECHO_BYTES $ECHO_BYTES" "echo: bytes in and out"
sum_in=$(synthusb_result checksum_in)
sum_out=$(synthusb_result checksum_out)
is "${sum_out:-none}" "${sum_in:-no result file}" \
	"echo: the checksum of what came back equals what was sent"
is "$(synthusb_result match) $(synthusb_result first_mismatch)" \
	"yes none" "echo: byte-exact (no first mismatch)"
diag "echo: $(synthusb_result elapsed_us) us for $ECHO_BYTES bytes each way"

# 5. unplug: the device leaves the client
synthusb_unplug vendor
ok "unplug: the library reports the departure" \
	wait_for 10 has "$SYNTH_LIBUSB_LOG" 'device vendor [0-9a-f:]+ departs'
if ! check "unplug: the VM log records the removal" \
	wait_for 30 hasi "$LOG" "$LOG_GONE"; then
	show "VM log" "$LOG"
fi
if ! check "unplug: the guest sees the port disconnect" \
	wait_for 60 has "$SER" "$COM1_GONE"; then
	show "COM1" "$SER"
fi
ok "xfreerdp is still connected after the unplug" kill -0 "$VIEWER"

# 6. the server goes: xfreerdp tears urbdrc down (FreeRDP #7782 crashed
# there, in libusb_exit) and ends by itself
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
gone() { ! kill -0 "$VIEWER" 2>/dev/null; }
ok "xfreerdp ends when the server goes" wait_for 30 gone
ok "urbdrc's teardown reached libusb_exit, no crash" \
	sh -c "grep -q 'libusb_exit\$' '$SYNTH_LIBUSB_LOG' &&
		! grep -Eq 'Segmentation|SIGSEGV|SIGABRT|Aborted' '$XF'"
viewer_stop
echo "1..$tap_n"
done_testing
