#!/bin/sh
# web.sh - the browser console: headless Chromium (Debian's chromium,
# driven by playwright-core from npm) opens the address that
# "vireo-manage console VM --web" prints, with nothing else to log on
# with (the VM's auth library would refuse an empty logon): the noVNC
# canvas shows the test card (JPEG at quality 9: every pixel within 3%),
# its keys reach COM1 as scancodes, and the same address used again is
# refused.  Also, from a scripted client: HTTP is GET only with fixed
# paths and types and no way out of the web root, heads are bounded, and
# RFB runs inside WebSocket frames (unmasked frames refused).
. "$srcdir/tap.sh"
. "$srcdir/vnc/lib.sh"
NODE_DIR=${VIREO_NODE_DIR:-$HOME/.cache/vireo/node}
NOVNC=$NODE_DIR/node_modules/@novnc/novnc
VIREO_PLAYWRIGHT=$NODE_DIR/node_modules/playwright-core
VIREO_CHROMIUM=${VIREO_CHROMIUM:-/usr/lib/chromium/chromium}
export VIREO_PLAYWRIGHT VIREO_CHROMIUM
for t in node python3 compare convert; do
	command -v $t >/dev/null 2>&1 ||
		skip_all "$t is not installed (tools/install-deps)"
done
[ -x "$VIREO_CHROMIUM" ] ||
	skip_all "no Chromium at $VIREO_CHROMIUM (Debian package chromium; tools/install-deps)"
[ -f "$VIREO_PLAYWRIGHT/index.js" ] && [ -f "$NOVNC/core/rfb.js" ] ||
	skip_all "no playwright-core or @novnc/novnc in $NODE_DIR/node_modules (tools/install-deps installs them there)"
e2e_setup
BROWSER=
cleanup() {
	[ -n "$BROWSER" ] && kill "$BROWSER" 2>/dev/null
	e2e_cleanup
}
trap cleanup EXIT

vnc_vm web --vrdeauthtype external --vrdeauthlibrary simple \
	--vrde-property "VNC/WebRoot=$NOVNC" && e2e_start web
ok "VM is up" test -n "$PORT"

rfb() {
	out=$(timeout 60 python3 "$srcdir/vnc/rfb.py" "$PORT" "$1" 2>&1)
	rc=$?
	is "$rc" 0 "$2"
	[ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
}
rfb http "HTTP: GET only, fixed paths and content types, bounded heads"
rfb ws_rfb "RFB runs inside WebSocket frames"
rfb ws_unmasked "an unmasked WebSocket frame is refused"
ok "the refusals are logged" vnc_wait_log "HTTP 405: only GET is served"

url=$(timeout 60 vireo-manage console web --web 2>"$TMPD/console.err")
like "$url" "^https://localhost:$PORT/\?token=[0-9a-f]{48}$" \
	"console --web prints a one-time https address"
B=$TMPD/browser
mkdir -p "$B"
HOME=$TMPD timeout 240 node "$srcdir/vnc/browser.js" "$url" "$B" \
	>"$B/out" 2>&1 &
BROWSER=$!
vnc_wait_file "$B/ready" 90
ok "Chromium connected through the address" test -f "$B/ready"
[ -f "$B/ready" ] || sed 's/^/#   /' "$B/out"
ok "the host granted the token" \
	vnc_wait_log "logon of user '' from [^ ]* granted over Token"
like "$(grep 'WebSocket' "$E2E_DIR/Logs/vireo.log")" \
	"WebSocket over TLS with a console token" "the page used wss"

# the canvas against the guest's own screenshot, VM paused
timeout 60 vireo-manage controlvm web pause >/dev/null
sleep 2
timeout 60 vireo-manage controlvm web screenshotpng "$TMPD/guest.png" >/dev/null
n=$(vnc_key_count)
touch "$B/shoot"
vnc_wait_file "$B/shot" 60
timeout 60 vireo-manage controlvm web resume >/dev/null
is "$(compare -metric AE -fuzz 3% "$B/canvas.png" "$TMPD/guest.png" null: 2>&1)" 0 \
	"the canvas shows the test card (pixels off by more than 3%)"
exact=$(compare -metric AE "$B/canvas.png" "$TMPD/guest.png" null: 2>&1)
echo "# pixels not exact (JPEG): $exact"

vnc_wait_file "$B/typed" 60
for _ in $(seq 100); do
	[ "$(vnc_key_count)" -ge $((n + 8)) ] && break
	sleep 0.1
done
is "$(vnc_keys_since "$n" | tr '\n' ' ')" \
	"key 1e down key 1e up key 2a down key 2c down key 2c up key 2a up key e048 down key e048 up " \
	"keys typed in Chromium reach COM1 as scancodes (a, Shift+Z, Up)"

touch "$B/again"
vnc_wait_file "$B/second" 60
like "$(cat "$B/second" 2>/dev/null)" "^refused" \
	"the same address used a second time is refused"
ok "the second use is logged as a denied logon" \
	vnc_wait_log "logon of user '' from [^ ]* over Token denied"
wait "$BROWSER"
is "$?" 0 "the browser script ran to its end"
[ -s "$B/out" ] && sed 's/^/#   /' "$B/out"
BROWSER=
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
echo "1..$tap_n"
done_testing
