#!/bin/sh
# e2e-viewer.sh - a real VNC viewer (xtigervncviewer under Xvfb, VNC
# authentication with -passwd) against vireo-headless serving the testcard
# through vireo-vrde-vnc.so: with the VM paused its window equals the
# guest's own screenshot, every pixel, on each lossless encoding; typed
# keys (shifted ones and an extended key included) reach COM1 as the right
# scancodes; a wrong password is refused and logged by the host; and
# vncsnapshot (RFB 3.3, another pixel format) takes a picture while a
# viewer stays connected; a second viewer of the same encoding is served
# from the tiles already encoded.
. "$srcdir/tap.sh"
. "$srcdir/vnc/lib.sh"
for t in Xvfb xtigervncviewer vncpasswd vncsnapshot xdotool import convert \
	compare; do
	command -v $t >/dev/null 2>&1 ||
		skip_all "$t is not installed (tools/install-deps)"
done
e2e_viewer_setup 1280x1024x24

vnc_vm view --vrdemulticon on --vrde-property VNCPassword=Secret-1 &&
	e2e_start view
ok "VM is up with the VNC module" test -n "$PORT"
like "$(timeout 60 vireo-manage showvminfo view --machinereadable)" \
	'vrdeextpack="VNC"' "showvminfo names the VNC pack"
vnc_passwd "$TMPD/pw" Secret-1
vnc_passwd "$TMPD/bad" Wrong-99

# every lossless encoding, one viewer at a time; the Raw one stays
for enc in ZRLE Hextile Tight Raw; do
	vnc_viewer "$enc" -passwd "$TMPD/pw" -SecurityTypes VncAuth \
		-PreferredEncoding "$enc" -AutoSelect=0 -NoJPEG \
		"127.0.0.1::$PORT"
	if vnc_window view; then
		got=$(vnc_same_picture view)
	else
		got=no-window
		sed 's/^/#   /' "$TMPD/$enc.log"
	fi
	is "$got" 0 "$enc: the viewer shows the guest's screen exactly (pixels that differ)"
	[ "$got" = 0 ] || picture_diag "$TMPD/shot.png" "$TMPD/guest.png"
	[ $enc = Raw ] || viewer_stop
done
like "$(grep 'granted over VNC' "$E2E_DIR/Logs/vireo.log")" \
	"logon of user '' from 127\.0\.0\.1 granted over VNC" \
	"the host granted the VNC logons"

# keys through the Raw viewer: xdotool sends keysyms, TigerVNC the QEMU
# extended key event with the scancode
n=$(vnc_key_count)
xdotool windowfocus "$WIN" 2>/dev/null
xdotool type 'aA!'
xdotool key Up
for _ in $(seq 100); do
	[ "$(vnc_key_count)" -ge $((n + 12)) ] && break
	sleep 0.1
done
vnc_keys_since "$n" >"$TMPD/got"
# each key went down and up, the shifted ones while Shift was held (the
# viewer may release Shift before the key it modified)
printf '%s\n' "key 1e down" "key 1e up" "key 2a down" "key 1e down" \
	"key 1e up" "key 2a up" "key 2a down" "key 02 down" "key 02 up" \
	"key 2a up" "key e048 down" "key e048 up" | sort >"$TMPD/want"
is "$(sort "$TMPD/got" | tr '\n' ' ')" "$(tr '\n' ' ' <"$TMPD/want")" \
	"typed keys reach COM1 as the right scancodes, each down and up"
is "$(vnc_shift_state "$TMPD/got" | tr '\n' ' ')" "1e 0 1e 1 02 1 e048 0 " \
	"a, A, ! and Up arrive in order, A and ! with Shift held"

# vncsnapshot (RFB 3.3, red at bit 0) while the viewer stays connected
timeout 60 vncsnapshot -passwd "$TMPD/pw" -allowblank "127.0.0.1::$PORT" \
	"$TMPD/snap.jpg" >"$TMPD/snap.log" 2>&1
is "$(identify -format '%wx%h' "$TMPD/snap.jpg" 2>/dev/null)" 1024x768 \
	"vncsnapshot saved the whole screen"
# JPEG: colours within a small distance of the bars
px=$(convert "$TMPD/snap.jpg" -format '%[fx:int(255*p{96,100}.r)],%[fx:int(255*p{96,100}.g)],%[fx:int(255*p{96,100}.b)]' info: 2>/dev/null)
r=${px%%,*}
b=${px##*,}
ok "vncsnapshot: the yellow bar is yellow ($px)" \
	test "${r:-0}" -ge 230 -a "${b:-255}" -le 25
ok "the viewer stayed connected meanwhile" kill -0 "$VIEWER"

# a second Raw viewer: its first picture comes from the tiles the first
# one's updates left in the shared cache
V1=$VIEWER
n=$(grep -c 'granted over VNC' "$E2E_DIR/Logs/vireo.log")
vnc_viewer Raw2 -passwd "$TMPD/pw" -SecurityTypes VncAuth \
	-PreferredEncoding Raw -AutoSelect=0 -NoJPEG "127.0.0.1::$PORT"
ok "a second viewer with the same encoding connects" \
	vnc_wait_log "granted over VNC" $((n + 1))
sleep 1
viewer_stop
VIEWER=$V1
viewer_stop

# a wrong password: refused, counted and logged by the host
vnc_viewer bad -passwd "$TMPD/bad" -SecurityTypes VncAuth "127.0.0.1::$PORT"
ok "wrong password: the host logs the denial" \
	vnc_wait_log "logon of user '' from 127\.0\.0\.1 over VNC denied"
ok "wrong password: the module says why" vnc_wait_log "wrong VNC password"
for _ in $(seq 100); do
	kill -0 "$VIEWER" 2>/dev/null || break
	sleep 0.1
done
ok "wrong password: the viewer was refused (it exited)" \
	sh -c "! kill -0 $VIEWER 2>/dev/null"
like "$(cat "$TMPD/bad.log")" "[Aa]uthentication failed" \
	"wrong password: the viewer was told why"
VIEWER=

e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
shared=$(sed -n 's/.*screen 0: [0-9]* tile encodes, \([0-9]*\) shared.*/\1/p' \
	"$E2E_DIR/Logs/vireo.log" | tail -n 1)
ok "encoded tiles were shared between viewers ($shared)" \
	test "${shared:-0}" -gt 0
echo "1..$tap_n"
done_testing
