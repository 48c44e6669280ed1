#!/bin/sh
# e2e-realclients.sh - real viewers against vireo-headless running the
# testcard guest, under Xvfb: xfreerdp with the graphics pipeline,
# xfreerdp on the bitmap path and rdesktop connect through simple auth;
# with the VM paused, a screenshot of their window equals the guest's own
# screenshot (controlvm screenshotpng), every pixel; a key typed with
# xdotool reaches the guest's COM1.
. "$srcdir/tap.sh"
RDP_NO_PROBE=1
. "$srcdir/rdp/lib.sh"
for t in Xvfb xfreerdp rdesktop xdotool import convert; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done
e2e_viewer_setup 1280x1024x24
plan 7

e2e_vm real --vrdemulticon on
e2e_start real
ok "VM is up" test -n "$PORT"
vm() { timeout 60 vireo-manage "$@"; }

# check_viewer NAME CLASS KEY SCANCODE: once the viewer's window is up,
# pause the VM (the card's counter and video rectangle stop), take the
# guest's screenshot and wait until the window shows exactly that; then
# resume, type KEY and expect SCANCODE on COM1.
check_viewer() {
	w=$(viewer_window "$2")
	sleep 1
	vm controlvm real pause >/dev/null
	vm controlvm real screenshotpng "$TMPD/guest.png" >/dev/null
	got=$(viewer_shows "$w" "$TMPD/guest.png")
	is "$got" 0 "$1: its window shows the guest's whole screen (pixels that differ)"
	[ "$got" = 0 ] || picture_diag "$TMPD/shot.png" "$TMPD/guest.png"
	vm controlvm real resume >/dev/null
	n=$(grep -c "^key $4 down" "$E2E_DIR/Logs/serial.log")
	viewer_key "$w" "$3"
	hl_ok=1
	for _ in $(seq 50); do
		if [ "$(grep -c "^key $4 down" "$E2E_DIR/Logs/serial.log")" -gt "$n" ]; then
			hl_ok=0
			break
		fi
		sleep 0.1
	done
	tap_result $hl_ok "$1: a key typed with xdotool reaches the guest"
	viewer_stop
}

HOME=$VHOME xfreerdp /v:127.0.0.1 /port:"$PORT" /u:"$E2E_USER" /p:"$E2E_PASS" \
	/cert:ignore /size:1024x768 /sec:tls /gfx >"$TMPD/xf1.log" 2>&1 &
VIEWER=$!
check_viewer "xfreerdp /gfx" xfreerdp a 1e
HOME=$VHOME xfreerdp /v:127.0.0.1 /port:"$PORT" /u:"$E2E_USER" /p:"$E2E_PASS" \
	/cert:ignore /size:1024x768 /sec:tls /bpp:32 >"$TMPD/xf2.log" 2>&1 &
VIEWER=$!
check_viewer "xfreerdp without /gfx" xfreerdp s 1f
yes yes | HOME=$VHOME rdesktop -u "$E2E_USER" -p "$E2E_PASS" -g 1024x768 \
	"127.0.0.1:$PORT" >"$TMPD/rdesktop.log" 2>&1 &
VIEWER=$!
check_viewer rdesktop rdesktop d 20
done_testing
