#!/bin/sh
# proto.sh - the VNC module against a scripted RFB client (vnc/rfb.py):
# RFB 3.3, 3.7, 3.8 and Apple's 3.889 handshakes; security type None only
# on loopback (authType Null, no password); every malformed or oversized
# client message drops that client with one log line naming it, and the
# server keeps serving; cut text is skipped across reads; a 16-bit pixel
# format is converted exactly; ExtendedDesktopSize and the QEMU key
# pseudo-encodings are confirmed; keys (QEMU scancodes and keysyms) reach
# COM1; connections that have not logged on are bounded per address;
# VeNCrypt refuses TLS below 1.2.
. "$srcdir/tap.sh"
. "$srcdir/vnc/lib.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
e2e_setup
vnc_vm proto && e2e_start proto
ok "VM is up with authType Null and no password" test -n "$PORT"
ok "None is offered on loopback only" \
	vnc_wait_log "listening on port $PORT \(loopback only\)"

rfb() {
	out=$(timeout 60 python3 "$srcdir/vnc/rfb.py" "$PORT" "$1" 2>&1)
	rc=$?
	is "$rc" 0 "$2"
	[ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
}

# refused: the client is dropped, the log names what it sent
refused() {
	rfb "$1" "$2: dropped"
	ok "$2: logged" vnc_wait_log "$3"
}

rfb hs33 "RFB 3.3 handshake"
rfb hs37 "RFB 3.7 handshake"
rfb hs889 "RFB 3.889 (Apple) handshake, served as 3.8"
refused badversion "not RFB" "not an RFB 3\.x client; dropped"
refused bigenc "SetEncodings of 5000" \
	"SetEncodings: 5000 encodings \(limit 1024\); dropped"
refused badpf "a 24-bit pixel format" \
	"SetPixelFormat: 24 bits per pixel \(8, 16 or 32\); dropped"
refused colourmap "a colour-map pixel format" \
	"SetPixelFormat: colour-map formats are not supported"
refused unknown "an unknown message" "unknown client message type 77; dropped"
refused bigcut "2 MiB of cut text" \
	"ClientCutText of 2097152 bytes \(limit 1048576\); dropped"
rfb cut_then_update "cut text is skipped across reads"
rfb rgb565 "16-bit RGB565 big-endian pixels are exact"
rfb extdesk "ExtendedDesktopSize and the QEMU key event are confirmed"
n=$(vnc_key_count)
rfb qemukey "QEMU extended key events"
rfb keysym "plain key events"
for _ in $(seq 50); do
	[ "$(vnc_key_count)" -ge $((n + 8)) ] && break
	sleep 0.1
done
is "$(vnc_keys_since "$n" | tr '\n' ' ')" \
	"key e048 down key e048 up key 10 down key 10 up key 11 down key 11 up key 58 down key 58 up " \
	"COM1 shows the scancodes: Up (E0), q, then keysyms w and F12"
refused pending "a 17th connection not logged on from one address" \
	"refusing 127\.0\.0\.1: .* not logged on from that address"
refused tls11 "VeNCrypt with TLS 1.1" "TLS handshake failed"
rfb hs33 "the server still serves after all that"
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
echo "1..$tap_n"
done_testing
