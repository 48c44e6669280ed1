#!/bin/sh
# lsusb.sh - the test-only libusb seen by real consumers: it exports every
# libusb_* symbol that Debian's libfreerdp-client2 (urbdrc) and lsusb
# import, with libusb-1.0.so.0 as its soname, and `lsusb -v -d VID:PID`
# (usbutils, linked to libusb-1.0.so.0) lists the synthetic tablet and
# vendor device with their descriptors.
. "$srcdir/tap.sh"
. "$srcdir/usb/lib.sh"
synthusb_ready || skip_all "$SYNTHUSB_WHY"
for t in lsusb nm readelf; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed (Debian: usbutils, binutils)"
done
tap_tmpdir
LIB=$SYNTHUSB_LIBDIR/libusb-1.0.so.0

like "$(readelf -d "$LIB")" 'Library soname: \[libusb-1\.0\.so\.0\]' \
	"soname libusb-1.0.so.0"
nm -D --defined-only "$LIB" | awk '{print $3}' | sort >"$TMPD/have"
for consumer in /usr/lib/x86_64-linux-gnu/libfreerdp-client2.so.2 \
	"$(command -v lsusb)"; do
	if [ ! -e "$consumer" ]; then
		skip "$consumer is not installed"
		continue
	fi
	nm -D --undefined-only "$consumer" | awk '/ libusb_/{print $2}' |
		sed 's/@.*//' | sort >"$TMPD/want"
	missing=$(comm -23 "$TMPD/want" "$TMPD/have" | tr '\n' ' ')
	is "$missing" "" \
		"exports all $(wc -l <"$TMPD/want") libusb_* symbols $(basename "$consumer") imports"
done

synthusb_env "$TMPD"
SYNTH_LIBUSB_DEVICES="tablet; vendor bytes=64K product=bulk_echo"
export SYNTH_LIBUSB_DEVICES
lsusb >"$TMPD/list" 2>&1
ok "lsusb: exit 0" test $? = 0
ok "lsusb: the root hub, the tablet and the vendor device on bus 1" \
	sh -c "grep -q '^Bus 001 Device 001: ID 1d6b:0001' '$TMPD/list' &&
		grep -q '^Bus 001 Device 002: ID 0627:0001' '$TMPD/list' &&
		grep -q '^Bus 001 Device 003: ID 1209:0001' '$TMPD/list'"

lsusb -v -d 0627:0001 >"$TMPD/tablet" 2>"$TMPD/tablet.err"
v=$(grep -E '^ +(bcdUSB|bMaxPacketSize0|bInterfaceClass|bInterfaceProtocol|bEndpointAddress|wMaxPacketSize|bInterval|wDescriptorLength) ' \
	"$TMPD/tablet" | sed 's/^ *//; s/  */ /g' | tr '\n' ';')
is "$v" "bcdUSB 1.00;bMaxPacketSize0 8;bInterfaceClass 3 Human Interface Device;bInterfaceProtocol 2 Mouse;wDescriptorLength 74;bEndpointAddress 0x81 EP 1 IN;wMaxPacketSize 0x0006 1x 6 bytes;bInterval 10;" \
	"lsusb -v: the tablet's device, interface, HID and endpoint fields"
ok "lsusb -v: the tablet's report descriptor: X and Y 0..32767" \
	sh -c "grep -q 'Report Descriptor: (length is 74)' '$TMPD/tablet' &&
		grep -q 'Direction-X' '$TMPD/tablet' &&
		grep -c 'Logical Maximum, data= \[ 0xff 0x7f \] 32767' '$TMPD/tablet' | grep -qx 1"

lsusb -v -d 1209:0001 >"$TMPD/vendor" 2>&1
v=$(grep -E '^ +(bDeviceClass|bNumInterfaces|bInterfaceClass|bNumEndpoints|bEndpointAddress|Transfer Type|wMaxPacketSize) ' \
	"$TMPD/vendor" | sed 's/^ *//; s/  */ /g' | tr '\n' ';')
is "$v" "bDeviceClass 255 Vendor Specific Class;bNumInterfaces 1;bNumEndpoints 2;bInterfaceClass 255 Vendor Specific Class;bEndpointAddress 0x81 EP 1 IN;Transfer Type Bulk;wMaxPacketSize 0x0040 1x 64 bytes;bEndpointAddress 0x02 EP 2 OUT;Transfer Type Bulk;wMaxPacketSize 0x0040 1x 64 bytes;" \
	"lsusb -v: the vendor device: class ff, bulk IN 0x81 and OUT 0x02"
like "$(cat "$SYNTH_LIBUSB_LOG")" 'libusb_open vendor 1209:0001' \
	"the library's log names what lsusb opened"

SYNTH_LIBUSB_DEVICES="vendor colour=red" lsusb >"$TMPD/bad" 2>&1
rc=$?
ok "a bad description: lsusb fails" test $rc != 0
like "$(cat "$TMPD/bad")" "synth-libusb: SYNTH_LIBUSB_DEVICES entry 1: unknown key 'colour' for a vendor" \
	"with one line naming the variable, the entry and the key"
echo "1..$tap_n"
done_testing
