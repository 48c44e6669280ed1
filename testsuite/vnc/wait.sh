#!/bin/sh
# wait.sh - Client/WaitForLogon, bhyve's fbuf "wait" done right: the guest
# stays paused (its frame counter, read from the VM's own screenshot, is 0
# and COM1 is silent) through a bare TCP connect and a wrong password, and
# runs once a viewer (vncsnapshot) has logged on.
. "$srcdir/tap.sh"
. "$srcdir/vnc/lib.sh"
for t in python3 vncpasswd vncsnapshot convert; do
	command -v $t >/dev/null 2>&1 ||
		skip_all "$t is not installed (tools/install-deps)"
done
e2e_setup

# The frame counter in picture FILE (testcard.h: 32 blocks of 16x16
# along y = 0, most significant first, white = 1).
counter_of() {
	n=0
	for i in $(seq 0 31); do
		v=$(convert "$1" -format "%[fx:int(p{$((16 * i + 8)),8}.r*255)]" info:) ||
			{ echo error; return; }
		n=$((n * 2 + (v > 127)))
	done
	echo $n
}
# ... of the VM's own screenshot; "none" while the guest has set no mode
counter() {
	timeout 60 vireo-manage controlvm waiter screenshotpng "$TMPD/c.png" \
		>/dev/null 2>&1 || { echo none; return; }
	counter_of "$TMPD/c.png"
}
vmstate() {
	timeout 60 vireo-manage showvminfo waiter --machinereadable |
		sed -n 's/^VMState="\(.*\)"$/\1/p'
}

vnc_vm waiter --vrde-property VNCPassword=Secret-1 \
	--vrde-property Client/WaitForLogon=1
E2E_DIR=$TMPD/vms/waiter
vireo-headless --startvm waiter >"$TMPD/waiter.out" 2>&1 &
E2E_PID=$!
PORT=
for _ in $(seq 300); do
	PORT=$(sed -n 's/^VRDE server is listening on port \([0-9]*\)\.$/\1/p' \
		"$TMPD/waiter.out")
	[ -n "$PORT" ] && [ -S "$E2E_DIR/vireo.ctl" ] && break
	sleep 0.1
done
ok "VM is up, its server listening" test -n "$PORT"
ok "the log says it waits" vnc_wait_log "paused until a viewer logs on"
sleep 2
is "$(vmstate)" paused "the VM is paused"
c=$(counter)
ok "no frame drawn yet (counter: $c)" test "$c" = none -o "$c" = 0

# a bare TCP connect, held for a second
python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(1)' "$PORT"
vnc_passwd "$TMPD/bad" Wrong-99
timeout 60 vncsnapshot -passwd "$TMPD/bad" -allowblank "127.0.0.1::$PORT" \
	"$TMPD/bad.jpg" >/dev/null 2>&1
ok "a wrong password was refused" vnc_wait_log "wrong VNC password"
sleep 1
is "$(vmstate)" paused "still paused after a bare connect and a wrong password"
c=$(counter)
ok "still no frame (counter: $c)" test "$c" = none -o "$c" = 0
ok "COM1 is silent" lacks "$E2E_DIR/Logs/serial.log" "testcard ready"

vnc_passwd "$TMPD/pw" Secret-1
timeout 60 vncsnapshot -passwd "$TMPD/pw" -allowblank "127.0.0.1::$PORT" \
	"$TMPD/good.jpg" >"$TMPD/snap.log" 2>&1
c=$(counter_of "$TMPD/good.jpg")
# The VM resumes when the logon is granted, before the viewer's first
# update is encoded: that picture shows the card as it waited (0) or the
# one frame drawn meanwhile (1), never a guest that ran before the logon.
ok "the first picture the viewer got shows frame counter 0 or 1 ($c)" \
	test "$c" = 0 -o "$c" = 1
ok "a viewer that logged on resumes the VM" \
	vnc_wait_log "logged on: the VM resumes \(Client/WaitForLogon\)"
for _ in $(seq 100); do
	grep -q '^testcard ready' "$E2E_DIR/Logs/serial.log" 2>/dev/null && break
	sleep 0.1
done
ok "the guest runs: COM1 says testcard ready" \
	grep -q '^testcard ready' "$E2E_DIR/Logs/serial.log"
is "$(vmstate)" running "the VM is running"
c=0
for _ in $(seq 100); do
	c=$(counter)
	[ "$c" != error ] && [ "$c" -gt 0 ] && break
	sleep 0.2
done
ok "frames are drawn now (counter $c)" test "$c" != error -a "$c" -gt 0
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
echo "1..$tap_n"
done_testing
