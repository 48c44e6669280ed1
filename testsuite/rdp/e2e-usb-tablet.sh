#!/bin/sh
# e2e-usb-tablet.sh - a VM with an OHCI controller and the USB tablet as
# its pointing device (vireo-manage modifyvm --usbohci on --mouse
# usbtablet): the testcard enumerates the tablet on COM1, and pointer
# moves sent by an RDP client (the probe) arrive as tablet reports that
# put the guest's crosshair on exactly the pixels the client pointed at,
# as the client sees them, on head 1 and (a client on screen 2, user
# "alice@2") on head 2.  A USBTablet VM without the controller is
# refused at start with one line naming the file.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
e2e_setup

e2e_vm tab --usbohci on --mouse usbtablet --monitorcount 2
e2e_start tab
ok "VM with the USB tablet is up" test -n "$PORT"
SER="$E2E_DIR/Logs/serial.log"
ok "COM1: the testcard enumerated the tablet on port 1" \
	grep -q '^usb: port 1 0627:0001 class 03/00/00$' "$SER"
probe_ok "the crosshair follows the client's pointer through the tablet" \
	--sec tls --user $E2E_USER --password $E2E_PASS \
	--wait-pixel 32,100,ffffff --move 700,300 \
	--wait-pixel 705,300,ff8000 --wait-pixel 700,295,ff8000 \
	--move 200,600 --wait-pixel 205,600,ff8000 \
	--wait-pixel 705,300,303030 --move 1023,767 \
	--wait-pixel 1018,767,ff8000 --dump "$TMPD/shot.ppm"
ok "COM1: tablet reports at 700,300 and 200,600 and 1023,767" \
	sh -c "grep -q '^usb: tablet 700 300 0\$' '$SER' &&
		grep -q '^usb: tablet 200 600 0\$' '$SER' &&
		grep -q '^usb: tablet 1023 767 0\$' '$SER'"
is "$(python3 - "$TMPD/shot.ppm" <<'PY' 2>&1
import sys
d = open(sys.argv[1], 'rb').read()
f = d.split(None, 4)  # P6 W H MAX pixels
w = int(f[1])
px = f[4]
def at(x, y):
    o = 3 * (y * w + x)
    return px[o:o + 3].hex()
print(at(1018, 767), at(205, 600))
PY
)" "ff8000 303030" \
	"screenshot: the crosshair at the last position only"
probe_ok "a client on screen 2 moves the crosshair on head 2" \
	--sec tls --user "$E2E_USER@2" --password $E2E_PASS \
	--wait-pixel 32,100,ffffff --move 40,140 \
	--wait-pixel 45,140,ff8000 --wait-pixel 40,135,ff8000 \
	--move 799,599 --wait-pixel 794,599,ff8000
ok "COM1: tablet reports on head 2 (head=1)" \
	sh -c "grep -q '^usb: tablet 40 140 0 head=1\$' '$SER' &&
		grep -q '^usb: tablet 799 599 0 head=1\$' '$SER'"
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"

e2e_vm notab --mouse usbtablet
timeout 60 vireo-headless --startvm notab >"$TMPD/notab.out" 2>&1
rc=$?
ok "USBTablet without an OHCI controller: vireo-headless refuses to start" \
	test "$rc" != 0
like "$(cat "$TMPD/notab.out")" \
	'notab.vbox: the pointing device is USBTablet but the VM has no OHCI USB controller' \
	"with one line naming the file"
echo "1..$tap_n"
done_testing
