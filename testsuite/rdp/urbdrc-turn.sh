#!/bin/sh
# urbdrc-turn.sh - client messages out of turn on the RDP module's URBDRC
# channels (rdp_urbdrc.c: urbdrc_out_of_turn and the completion checks),
# sent by rdp-probe's urbdrc plug-in (probe_urbdrc.c, turn=CASE) to a
# server with rdp-host's USB callbacks:
#  - on the control channel (CHANNEL_CREATED, ADD_VIRTUAL_CHANNEL or
#    ADD_DEVICE before the capability response, the response twice, a
#    completion): one log line naming the message, the control channel
#    closed, what the client sends after it ignored (no device channel,
#    no device), the session goes on;
#  - on a device channel (the same before the capability response,
#    CHANNEL_CREATED twice, ADD_VIRTUAL_CHANNEL, ADD_DEVICE twice, a
#    completion before ADD_DEVICE): that channel closed with one log
#    line, the client's other device added and working;
#  - an IOCONTROL_COMPLETION for a RequestId never issued: the device
#    removed, the other one still works;
#  - ADD_DEVICE and a completion on a device channel after the host
#    released the device: ignored without a word (the channel is gone);
#  - afterwards a well-behaved client's device works, and every URB
#    completed exactly once.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
tap_tmpdir
PROBE_LIMIT=60
plan 74

added() { grep -c '^usb-added' "$TMPD/host.out"; }

# The device id of the N-th "usb-added" line.
added_dev() {
	grep '^usb-added' "$TMPD/host.out" | sed -n "$1p" |
		sed 's/^usb-added dev=\([0-9]*\) .*/\1/'
}

log_lines() { wc -l <"$TMPD/host.err"; }

# Wait until the server's log, after its first FROM lines, has a line
# matching PATTERN (10 s at most).
wait_log() {
	for _ in $(seq 100); do
		tail -n +"$(($1 + 1))" "$TMPD/host.err" | grep -qE -- "$2" &&
			return 0
		sleep 0.1
	done
	return 1
}

# ctl_case CASE WHY: the control channel gets a message out of turn.
ctl_case() {
	l=$(log_lines)
	n=$(added)
	out=$(probe --sec tls --freerdp "/dvc:urbdrc,loopback,turn=$1" \
		--wait-urbdrc misbehaved=1 --sleep 1500)
	tap_result $? "$1: the client's session went on"
	ok "$1: one log line names it, the control channel is closed" \
		wait_log "$l" "USB control channel \(device 0\): $2; closing that channel"
	like "$out" '"ended":1,' "$1: the client saw its control channel closed"
	like "$out" '"urbdrc":\{"channels":1,' \
		"$1: what it sent after is ignored: no device channel opened"
	is "$(added)" "$n" "$1: no device added"
}

# dev_case CASE WHY: the first device channel of a client with two
# loopback devices gets a message out of turn; the second device works.
dev_case() {
	l=$(log_lines)
	n=$(added)
	probe --sec tls --freerdp "/dvc:urbdrc,loopback,loopback,turn=$1" \
		--wait-urbdrc misbehaved=1 --wait-urbdrc registered=1 \
		--sleep 4000 >"$TMPD/$1.json" &
	pm=$!
	ok "$1: one log line names it, that device channel is closed" \
		wait_log "$l" "USB device channel \(device 0\): $2; closing that channel"
	host_wait_lines $((n + 1)) '^usb-added'
	d=$(added_dev $((n + 1)))
	host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
	is "$(vrde_host_cmd usb-loop "$d" 4096 4096)" "ok bytes=4096" \
		"$1: the other device is added and loops 4 KiB"
	wait $pm
	tap_result $? "$1: the client's session went on"
	like "$(cat "$TMPD/$1.json")" '"ended":1,' \
		"$1: the client saw one channel closed"
	is "$(added)" $((n + 1)) "$1: one device added, not two"
}

host_start --usb

# ---- 1. the control channel ------------------------------------------------
ctl_case ctl-created-early "CHANNEL_CREATED out of turn"
ctl_case ctl-addvc-early "ADD_VIRTUAL_CHANNEL out of turn"
ctl_case ctl-adddev "ADD_DEVICE out of turn"
ctl_case ctl-caps-twice "capability response not asked for"
ctl_case ctl-completion "completion on the control channel"

# ---- 2. a device channel before its device is added ----------------------
dev_case dev-created-early "CHANNEL_CREATED out of turn"
dev_case dev-adddev-early "ADD_DEVICE out of turn"
dev_case dev-caps-twice "capability response not asked for"
dev_case dev-created-twice "CHANNEL_CREATED out of turn"
dev_case dev-addvc "ADD_VIRTUAL_CHANNEL out of turn"
dev_case dev-adddev-twice "ADD_DEVICE out of turn"
dev_case dev-completion-early "completion before any request"

# ---- 3. an IOCONTROL_COMPLETION for a RequestId never issued -------------
l=$(log_lines)
n=$(added)

probe --sec tls --freerdp /dvc:urbdrc,loopback,loopback,turn=dev-ioctl-unknown \
	--wait-urbdrc registered=2 --wait-urbdrc misbehaved=1 --sleep 4000 \
	>"$TMPD/ioctl.json" &
pm=$!
host_wait_lines $((n + 2)) '^usb-added'
d1=$(added_dev $((n + 1)))
d2=$(added_dev $((n + 2)))
is "$(vrde_host_cmd usb-reset "$d1")" "rc=0" \
	"dev-ioctl-unknown: usb_reset sends IO_CONTROL RESET_PORT"
ok "dev-ioctl-unknown: one log line, that device channel is closed" \
	wait_log "$l" "USB device channel \(device $d1\): completion with an unknown RequestId; closing that channel"
ok "dev-ioctl-unknown: the host hears the device removed" \
	host_wait_lines 1 "^usb-removed dev=$d1\$"
host_cmd usb-ctrl "$d2" 0009010000000000 >/dev/null
is "$(vrde_host_cmd usb-loop "$d2" 4096 4096)" "ok bytes=4096" \
	"dev-ioctl-unknown: the other device still loops 4 KiB"
wait $pm
tap_result $? "dev-ioctl-unknown: the client's session went on"

# ---- 4. messages after the host released the device ----------------------
l=$(log_lines)
n=$(added)
probe --sec tls --freerdp /dvc:urbdrc,loopback,loopback,turn=dev-after-retract \
	--wait-urbdrc registered=2 --wait-urbdrc misbehaved=1 --sleep 2000 \
	>"$TMPD/retract.json" &
pm=$!
host_wait_lines $((n + 2)) '^usb-added'
d1=$(added_dev $((n + 1)))
d2=$(added_dev $((n + 2)))
host_cmd usb-release "$d1"
ok "dev-after-retract: the release is logged" \
	wait_log "$l" "USB device $d1 released by the host"
host_cmd usb-ctrl "$d2" 0009010000000000 >/dev/null
is "$(vrde_host_cmd usb-loop "$d2" 4096 4096)" "ok bytes=4096" \
	"dev-after-retract: the other device still loops 4 KiB"
wait $pm
tap_result $? "dev-after-retract: the client's session went on"
like "$(cat "$TMPD/retract.json")" '"retracts":1,' \
	"dev-after-retract: the client got RETRACT_DEVICE and answered it"
ok "dev-after-retract: its ADD_DEVICE and completion are ignored silently" \
	sh -c "tail -n +$((l + 1)) '$TMPD/host.err' | grep -c 'closing that channel' | grep -qx 0 &&
		[ \$(grep -c '^usb-added' '$TMPD/host.out') = $((n + 2)) ]"

# ---- 5. a well-behaved client afterwards ----------------------------------
n=$(added)
probe --sec tls --freerdp /dvc:urbdrc,loopback --wait-urbdrc registered=1 \
	--sleep 2000 >"$TMPD/good.json" &
pm=$!
host_wait_lines $((n + 1)) '^usb-added'
d=$(added_dev $((n + 1)))
host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
is "$(vrde_host_cmd usb-loop "$d" 65536 8192)" "ok bytes=65536" \
	"a well-behaved client's device loops 64 KiB afterwards"
wait $pm
tap_result $? "its session ran"
cnt=$(vrde_host_cmd usb-count)
like "$cnt" 'outstanding=0 bogus=0' "host: every URB completed exactly once ($cnt)"
ok "the server is still running" kill -0 "$HOST_PID"
host_stop
done_testing
