#!/bin/sh
# urbdrc.sh - remote USB over MS-RDPEUSB ("URBDRC") through the RDP module,
# with rdp-host's USB callbacks (rdp-host-usb.c) on the host side and
# rdp-probe's urbdrc plug-in (probe_urbdrc.c: synthetic devices) as the
# client:
#  - a vendor loopback device and a HID tablet are reported with their
#    descriptors and strings; the device descriptor reads back; the
#    guest's SET_CONFIGURATION becomes SELECT_CONFIGURATION; 64 KiB go
#    through bulk OUT and come back byte-exact from bulk IN;
#    CLEAR_FEATURE(HALT) becomes a pipe reset; an interrupt IN returns a
#    report; a parked IN is cancelled; a port reset; the host's release
#    retracts both devices; every URB completes exactly once;
#  - misbehaving clients (malformed completion, too many bytes, unknown
#    RequestId) lose the device channel, not the session; a device
#    vanishing mid-transfer fails its transfers; a client vanishing
#    mid-transfer has its device removed; a flood of devices is cut at
#    the limit; meanwhile another client's device keeps working;
#  - a client without USB redirection refuses the channel (logged); a
#    host without USB callbacks gets no URBDRC channel opened;
#  - the host refusing a device makes the module retract it;
#  - Client/DisableUSB=1: no URBDRC channel at all;
#  - stock xfreerdp /usb:auto (no devices here): the control channel's
#    handshake.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
tap_tmpdir
# the probes stay connected while the host side runs its transfers
PROBE_LIMIT=180
plan 80

# The n-th "usb-added" device of a vendor:product, from host.out.
dev_of() {
	grep "^usb-added .*vid=$1 pid=$2" "$TMPD/host.out" | sed -n "${3:-1}p" |
		sed 's/^usb-added dev=\([0-9]*\) .*/\1/'
}

host_start --usb
# ---- 1. a loopback device and a tablet ------------------------------------
probe --sec tls --freerdp /dvc:urbdrc,loopback,tablet \
	--wait-urbdrc registered=2 --wait-urbdrc retracts=2 --sleep 500 \
	>"$TMPD/p1.json" &
P1=$!
host_cmd usb-wait 2 >/dev/null
ok "two devices reported and accepted" host_wait_lines 2 '^usb-added'
LB=$(dev_of 1209 4c42)
TAB=$(dev_of 0627 0001)
like "$(grep "^usb-added dev=$LB " "$TMPD/host.out")" \
	'class=ff speed=3 product="USB loopback" serial="LB0001"' \
	"loopback: class, high speed and strings from its descriptors"
like "$(grep "^usb-added dev=$TAB " "$TMPD/host.out")" \
	'speed=2 product="QEMU USB Tablet" serial="42"' \
	"tablet: full speed and strings"
is "$(vrde_host_cmd usb-ctrl "$LB" 8006000100001200)" \
	"status=0 actual=18 data=12010002ff0000400912424c000101020301" \
	"GET_DESCRIPTOR(device) through CONTROL_TRANSFER, byte for byte"
is "$(vrde_host_cmd usb-ctrl "$LB" 80060002000000ff)" \
	"status=0 actual=32 data=0902200001010080320904000002ff0000000705010240000007058102400000" \
	"GET_DESCRIPTOR(configuration), short read allowed"
is "$(vrde_host_cmd usb-ctrl "$LB" 8006000f000000ff)" "status=1 actual=0 data=" \
	"a request the device stalls (BOS descriptor) completes as a stall"
is "$(vrde_host_cmd usb-ctrl "$LB" 0009010000000000)" "status=0 actual=0 data=" \
	"SET_CONFIGURATION(1) completes (SELECT_CONFIGURATION)"
is "$(vrde_host_cmd usb-ctrl "$LB" 010b000000000000)" "status=0 actual=0 data=" \
	"SET_INTERFACE(0, 0) completes (SELECT_INTERFACE)"
is "$(vrde_host_cmd usb-loop "$LB" 65536 4096)" "ok bytes=65536" \
	"64 KiB through bulk OUT 0x01 and back from bulk IN 0x81, byte-exact"
is "$(vrde_host_cmd usb-loop "$LB" 300000 65536)" "ok bytes=300000" \
	"300000 bytes in 64 KiB URBs (short last one)"
is "$(vrde_host_cmd usb-ctrl "$LB" 0201000081000000)" "status=0 actual=0 data=" \
	"CLEAR_FEATURE(ENDPOINT_HALT) completes (pipe reset)"
is "$(vrde_host_cmd usb-ctrl "$LB" c001000000000400)" "status=0 actual=4 data=00000000" \
	"a vendor IN request through CONTROL_TRANSFER"
is "$(vrde_host_cmd usb-ctrl "$TAB" 0009010000000000)" "status=0 actual=0 data=" \
	"tablet configured"
is "$(vrde_host_cmd usb-in "$TAB" intr 81 8 5000)" "status=0 actual=6" \
	"interrupt IN: a 6-byte report"
pend=$(vrde_host_cmd usb-in "$LB" bulk 81 64 300)
like "$pend" '^pending handle=[0-9]+' "a bulk IN with nothing to read stays queued"
h=${pend#pending handle=}
is "$(vrde_host_cmd usb-cancel "$LB" "$h")" "rc=0 status=5" \
	"usb_cancel completes it as cancelled at once"
is "$(vrde_host_cmd usb-reset "$LB")" "rc=0" "usb_reset sends RESET_PORT"
is "$(vrde_host_cmd usb-in "$LB" bulk 81 64 100 | cut -c1-7)" "pending" \
	"another IN queued before the release"
host_cmd usb-release "$LB"
host_cmd usb-release "$TAB"
wait $P1
tap_result $? "the probe saw both devices retracted and ended"
out=$(cat "$TMPD/p1.json")
like "$out" '"caps":3,"created":3,"add_vc":2,"devices":2,"registered":2' \
	"probe: caps and CHANNEL_CREATED on all three channels, two devices"
like "$out" '"select_config":2,"select_if":1' \
	"probe: two SELECT_CONFIGURATIONs, one SELECT_INTERFACE"
like "$out" '"pipe_reset":1' "probe: one pipe reset"
like "$out" '"resets":1' "probe: one RESET_PORT"
like "$out" '"cancels":2,"cancelled":2' \
	"probe: CANCEL_REQUESTs (usb_cancel, and the release) took back parked INs"
like "$out" '"retracts":2' "probe: two RETRACT_DEVICE"
like "$out" '"bytes_out":365536,"bytes_in":365536' "probe: every byte out came back"
like "$out" '"bad":0' "probe: no malformed server message"
cnt=$(vrde_host_cmd usb-count)
like "$cnt" 'outstanding=0 bogus=0' "host: every URB completed exactly once ($cnt)"
like "$cnt" 'removed=0' "host: released devices are not reported removed"
ok "server log: capabilities exchanged" \
	grep -q "URBDRC capabilities exchanged" "$TMPD/host.err"
ok "server log: channel created" \
	grep -q "URBDRC channel created" "$TMPD/host.err"
like "$out" '"texts":2,' "probe: one QUERY_DEVICE_TEXT per device"
ok "server log: the client's description of each device" \
	sh -c "grep -q 'VID_1209&PID_4C42.*: the client describes it as \"USB loopback\" (hresult 0x0)' '$TMPD/host.err' &&
		grep -q 'VID_0627&PID_0001.*: the client describes it as \"QEMU USB Tablet\" (hresult 0x0)' '$TMPD/host.err'"

# ---- 2. misbehaving clients beside a good one ----------------------------
probe --sec tls --freerdp /dvc:urbdrc,loopback --wait-urbdrc registered=1 \
	--wait-urbdrc retracts=1 >"$TMPD/good.json" &
PG=$!
n=$(grep -c '^usb-added' "$TMPD/host.out")
host_wait_lines $((n + 1)) '^usb-added'
GOOD=$(dev_of 1209 4c42 2)
host_cmd usb-ctrl "$GOOD" 0009010000000000 >/dev/null

# misbehave CASE PATTERN LOG-PATTERN [COMMAND]: a client with a loopback
# device misbehaving as CASE; the host's COMMAND (default: 4 KiB through
# the loopback) must answer PATTERN and the log gain LOG-PATTERN.
misbehave() {
	n=$(grep -c '^usb-added' "$TMPD/host.out")
	r=$(grep -c '^usb-removed' "$TMPD/host.out")
	probe --sec tls --freerdp "/dvc:urbdrc,loopback,$1" \
		--wait-urbdrc registered=1 --sleep 4000 \
		>"$TMPD/$1.json" &
	pm=$!
	host_wait_lines $((n + 1)) '^usb-added'
	d=$(grep '^usb-added' "$TMPD/host.out" | sed -n "$((n + 1))p" |
		sed 's/^usb-added dev=\([0-9]*\) .*/\1/')
	host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
	if [ -n "${4:-}" ]; then
		res=$(vrde_host_cmd $4 "$d" $5)
	else
		res=$(vrde_host_cmd usb-loop "$d" 4096 4096)
	fi
	like "$res" "$2" "$1: the transfer fails as the device is gone"
	ok "$1: the host hears the device removed" \
		host_wait_lines $((r + 1)) '^usb-removed'
	ok "$1: one log line says why" grep -qE -- "$3" "$TMPD/host.err"
	wait $pm
	tap_result $? "$1: that client's session went on"
}
misbehave malformed 'out-failed at=0 status=2' 'URB completion: .*closing that channel'
misbehave toolong 'in-failed at=0 status=2' 'more bytes than asked for; closing'
misbehave unknownid 'out-failed at=0 status=2' 'unknown RequestId; closing'

# OUT completed the spec's way (URB_COMPLETION_NO_DATA, not echoed)
n=$(grep -c '^usb-added' "$TMPD/host.out")
probe --sec tls --freerdp /dvc:urbdrc,loopback,spec --wait-urbdrc registered=1 \
	--sleep 3000 >"$TMPD/spec.json" &
pm=$!
host_wait_lines $((n + 1)) '^usb-added'
d=$(grep '^usb-added' "$TMPD/host.out" | sed -n "$((n + 1))p" |
	sed 's/^usb-added dev=\([0-9]*\) .*/\1/')
host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
is "$(vrde_host_cmd usb-loop "$d" 8192 4096)" "ok bytes=8192" \
	"OUT completed as URB_COMPLETION_NO_DATA: 8 KiB loop byte-exact"
wait $pm

# the longest description a USB device has (126 CJK characters, 378 bytes
# of UTF-8): logged cut at a character, the device works
n=$(grep -c '^usb-added' "$TMPD/host.out")
probe --sec tls --freerdp /dvc:urbdrc,loopback,longtext \
	--wait-urbdrc registered=1 --sleep 3000 >"$TMPD/longtext.json" &
pm=$!
host_wait_lines $((n + 1)) '^usb-added'
d=$(grep '^usb-added' "$TMPD/host.out" | sed -n "$((n + 1))p" |
	sed 's/^usb-added dev=\([0-9]*\) .*/\1/')
host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
is "$(vrde_host_cmd usb-loop "$d" 4096 4096)" "ok bytes=4096" \
	"longtext: the device is added and loops 4 KiB"
cjk=$(awk 'BEGIN { for (i = 0; i < 85; i++) printf "\344\270\255" }')
ok "longtext: logged as the 85 characters that fit, marked cut" \
	grep -qF "the client describes it as \"$cjk\" (cut)" "$TMPD/host.err"
wait $pm
tap_result $? "longtext: the client's session went on"

# while an IN waits: the device stops answering ("device gone"), is
# unplugged (FreeRDP 2.11's way: its channel closes), or the whole client
# vanishes
for m in gone vanish drop; do
	n=$(grep -c '^usb-added' "$TMPD/host.out")
	r=$(grep -c '^usb-removed' "$TMPD/host.out")
	probe --sec tls --freerdp "/dvc:urbdrc,loopback,$m" \
		--wait-urbdrc registered=1 --sleep 4000 >"$TMPD/$m.json" &
	pm=$!
	host_wait_lines $((n + 1)) '^usb-added'
	d=$(grep '^usb-added' "$TMPD/host.out" | sed -n "$((n + 1))p" |
		sed 's/^usb-added dev=\([0-9]*\) .*/\1/')
	host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
	is "$(vrde_host_cmd usb-in "$d" bulk 81 64 5000)" "status=2 actual=0" \
		"$m: the waiting IN completes as 'device gone'"
	case $m in
	gone)
		is "$(vrde_host_cmd usb-in "$d" bulk 81 64 5000)" \
			"status=2 actual=0" "gone: so does the next one"
		;;
	vanish)
		ok "vanish: the host hears the device removed" \
			host_wait_lines $((r + 1)) '^usb-removed'
		ok "vanish: the log says it was unplugged" \
			grep -qE "USB device $d unplugged" "$TMPD/host.err"
		like "$(vrde_host_cmd usb-in "$d" bulk 81 64 100)" "rc=-19" \
			"vanish: the device takes no more URBs (ENODEV)"
		;;
	esac
	wait $pm
	rc=$?
	if [ $m = drop ]; then
		is "$rc" 4 "drop: the client process vanished mid-transfer"
		ok "drop: the host hears the device removed" \
			host_wait_lines $((r + 1)) '^usb-removed'
	else
		tap_result $rc "$m: the client's session went on"
	fi
done
n=$(grep -c '^usb-added' "$TMPD/host.out")
r=$(grep -c '^usb-removed' "$TMPD/host.out")
probe --sec tls --freerdp /dvc:urbdrc,flood=20 --wait-urbdrc registered=16 \
	--sleep 1000 >"$TMPD/flood.json"
tap_result $? "flood of 20 devices: the client ran"
like "$(cat "$TMPD/flood.json")" '"add_vc":20,"devices":16,' \
	"flood: only 16 device channels opened"
ok "flood: the limit is logged" grep -q "more than 16 USB devices" "$TMPD/host.err"
ok "flood: all 16 removed when the client left" \
	host_wait_lines $((r + 16)) '^usb-removed'
is "$(vrde_host_cmd usb-loop "$GOOD" 65536 8192)" "ok bytes=65536" \
	"the other client's device still loops 64 KiB byte-exact"
host_cmd usb-release "$GOOD"
wait $PG
tap_result $? "the other client's session ran throughout"
cnt=$(vrde_host_cmd usb-count)
like "$cnt" 'outstanding=0 bogus=0' "host: still exactly once ($cnt)"
host_stop

# ---- 3. a client without USB redirection (drdynvc, no urbdrc), a host
# without USB callbacks -----------------------------------------------------
host_start --usb
out=$(probe --sec tls --gfx --wait-pixel 100,100,ff0000 --sleep 1000)
tap_result $? "no urbdrc plug-in: the client ran"
ok "no urbdrc plug-in: the refused channel is logged" \
	grep -q "no URBDRC channel (the client has no USB redirection)" "$TMPD/host.err"
host_stop
host_start
out=$(probe --sec tls --freerdp /dvc:urbdrc,loopback --wait-pixel 100,100,ff0000 \
	--sleep 2000)
tap_result $? "host without USB callbacks: the client ran"
like "$out" '"urbdrc":\{"channels":0,' "host without USB callbacks: no URBDRC channel"
host_stop

# ---- 3b. the host refuses ---------------------------------------------------
host_start --usb-refuse 1209:4c42
out=$(probe --sec tls --freerdp /dvc:urbdrc,loopback --wait-urbdrc retracts=1 \
	--sleep 500)
tap_result $? "a refused device: the client ran"
like "$out" '"retracts":1' "refused: the client got RETRACT_DEVICE"
ok "refused: the host saw it, never took it" \
	grep -q '^usb-refused dev=.* vid=1209' "$TMPD/host.out"
ok "refused: no device added" lacks "$TMPD/host.out" '^usb-added' 
host_stop

# ---- 4. Client/DisableUSB=1 -------------------------------------------------
host_start --usb --prop Client/DisableUSB=1
out=$(probe --sec tls --freerdp /dvc:urbdrc,loopback --wait-pixel 100,100,ff0000 \
	--sleep 2000)
tap_result $? "DisableUSB: the client ran"
like "$out" '"urbdrc":\{"channels":0,' "DisableUSB: no URBDRC channel opened"
ok "DisableUSB: nothing about URBDRC logged" lacks "$TMPD/host.err" 'URBDRC' 
host_stop

# ---- 5. stock xfreerdp /usb:auto ------------------------------------------
if command -v xfreerdp >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1; then
	host_start --usb
	viewer_display 1024x768x24
	HOME=$VHOME xfreerdp /v:127.0.0.1 /port:"$PORT" /u:alice /p:secret \
		/cert:ignore /sec:tls /usb:auto >"$TMPD/xf.log" 2>&1 &
	VIEWER=$!
	for _ in $(seq 150); do
		grep -q "URBDRC channel created" "$TMPD/host.err" && break
		sleep 0.1
	done
	ok "xfreerdp /usb:auto: capabilities exchanged" \
		grep -q "URBDRC capabilities exchanged" "$TMPD/host.err"
	ok "xfreerdp /usb:auto: channel created" \
		grep -q "URBDRC channel created (client version 1.0)" "$TMPD/host.err"
	viewer_stop
	kill "$XVFB" 2>/dev/null
	host_stop
else
	skip "no xfreerdp or Xvfb: stock client handshake not tried"
	skip "no xfreerdp or Xvfb"
fi
done_testing
