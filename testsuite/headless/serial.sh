#!/bin/sh
# serial.sh - the guest's serial ports on the software CPU with the
# testcard (which reports each byte it receives as "comN rx XX"):
# modifyvm/showvminfo, a TCP-server UART reached by a plain TCP client,
# file mode, unix pipe server and client, TCP client, and
# `vireo-manage console` under tmux: the guest's COM1 lines on screen,
# typed bytes reaching the guest, a second console watching until the
# first leaves with "~.".
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

command -v python3 >/dev/null || skip_all "python3 missing (tools/install-deps)"
hl_setup
plan 47
PEER="$srcdir/headless/serial-peer.py"
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
info() {
	vireo-manage showvminfo "$1" --machinereadable
}

# ---- settings --------------------------------------------------------------
P1=$(free_port)
hl_vm ser
# settings 1.20 spell the base IOAddress
sed -e 's/version="1.16-linux"/version="1.20-linux"/' \
	-e 's|</Hardware>|<UART><Port slot="1" enabled="true" IOAddress="0x2E8" IRQ="5" hostMode="Disconnected"/></UART></Hardware>|' \
	"$TMPD/vms/ser/ser.vbox" >"$TMPD/v120.vbox"
like "$(info "$TMPD/v120.vbox")" '^uart2="0x02e8,5"$' \
	"1.20's IOAddress is read"
ok "modifyvm --uart1/--uart-mode1 tcpserver/--uart2=/--uartmode2 file" \
	vireo-manage modifyvm ser --uart1 0x3f8 4 --uart-mode1 tcpserver "$P1" \
	--uart2=0x2f8 3 --uartmode2 file "$TMPD/com2.log" --uart-type2 16450
mr=$(info ser)
like "$mr" "^uart1=\"0x03f8,4\"$" "showvminfo: uart1"
like "$mr" "^uartmode1=\"tcpserver,$P1\"$" "showvminfo: uartmode1"
like "$mr" "^uartmode2=\"file,$TMPD/com2.log\"$" "showvminfo: uartmode2"
like "$mr" "^uarttype2=\"16450\"$" "showvminfo: uarttype2"
like "$(grep '<Port slot="1"' "$TMPD/vms/ser/ser.vbox")" \
	'IOBase="0x2F8" IRQ="3" hostMode="RawFile"' \
	"the .vbox file has VirtualBox's <Port> attributes"
vireo-manage modifyvm ser --uart1 0x3f8 8 2>"$TMPD/err"
is "$?" 2 "an IRQ vireo's devices use is refused"
like "$(cat "$TMPD/err")" "IRQ" "and the message says so"
# ---- TCP server, file ----------------------------------------------------
hl_start ser
ok "the guest runs with COM1 on TCP and COM2 in a file" hl_wait_guest
python3 "$PEER" connect "tcp:127.0.0.1:$P1" "ab" "key 1e up" \
	>"$TMPD/peer1.out" 2>&1 &
PEER1=$!
ok "bytes from a plain TCP client reach the guest" \
	hl_wait_file "$HL_DIR/Logs/serial.log" '^com1 rx 62$' 20
python3 "$PEER" connect "tcp:127.0.0.1:$P1" "x" "never" 10 >/dev/null 2>&1
is "$?" 2 "a second TCP client is refused while one is connected"
hl_ctl keyboardputscancode 1e 9e >/dev/null
wait "$PEER1"
is "$?" 0 "the TCP client sees the guest's COM1 output"
like "$(cat "$TMPD/peer1.out")" 'com1 rx 61\\ncom1 rx 62\\n.*key 1e down' \
	"in order: its own bytes echoed, then the key lines"
# more than the receive FIFO and the 256 bytes read ahead: nothing is
# lost, nothing reordered (input waits for the guest to make room)
burst=$(python3 -c 'print("abcdefghijklmnopqrstuvwxyz" * 12, end="")')
python3 "$PEER" connect "tcp:127.0.0.1:$P1" "$burst" '(?s)(com1 rx 7a.*){12}' 120 \
	>/dev/null 2>&1
is "$?" 0 "a 312-byte burst is echoed to the TCP client"
got=$(grep '^com1 rx' "$HL_DIR/Logs/serial.log" | tail -312 |
	awk '{printf "%s", $3}')
is "$got" "$(printf '%s' "$burst" | od -An -tx1 | tr -d ' \n')" \
	"every byte of it reached the guest once, in order"
ok "COM2 in file mode: the file has the testcard's COM2 line" \
	hl_wait_file "$TMPD/com2.log" '^testcard com2 ready$' 20
lacks "$TMPD/com2.log" 'testcard ready'
tap_result $? "and only COM2's output"
is "$(stat -c %a "$TMPD/com2.log")" 600 "the file is created 0600"
like "$(info ser)" "^uartmode1=\"tcpserver,$P1\"$" \
	"showvminfo of the running VM shows the UART"
hl_stop

# ---- consoles and a pipe server -------------------------------------------
hl_vm con
vireo-manage modifyvm con --uart2 0x2f8 3 --uart-mode2 server "$TMPD/com2.sock"
hl_start con
ok "the guest runs" hl_wait_guest
is "$(stat -c %a "$HL_DIR/vireo.console")" 600 "the console socket is 0600"
python3 "$PEER" connect "unix:$TMPD/com2.sock" "q" "com2 rx 71" \
	>"$TMPD/pipe.out" 2>&1
is "$?" 0 "pipe server: a program on the socket types into COM2 and reads it"
is "$(stat -c %a "$TMPD/com2.sock")" 600 "the pipe is 0600"
vireo-manage console con --web >"$TMPD/web.out" 2>&1
is "$?" 1 "console --web: refused for a VM served over RDP"
like "$(cat "$TMPD/web.out")" "not VNC: the browser console is not available" \
	"and says why"

if ! command -v tmux >/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		skip "tmux missing (tools/install-deps)"
	done
else
	TM="tmux -S $TMPD/tmux.sock"
	export TERM=xterm
	trap '$TM kill-server 2>/dev/null; hl_cleanup' EXIT
	# a pane: the console, then its exit status
	pane() {
		$TM new-session -d -s "$1" -x 200 -y 50 \
			"vireo-manage console con; echo EXIT=\$?; sleep 60"
	}
	shows() { # SESSION REGEX: within 20 s
		i=0
		while [ $i -lt 200 ]; do
			$TM capture-pane -p -J -t "$1" | grep -Eq -- "$2" && return 0
			sleep 0.1
			i=$((i + 1))
		done
		$TM capture-pane -p -J -t "$1" | sed 's/^/#   /'
		return 1
	}
	pane a
	ok "console a: connected to COM1" shows a "connected to COM1 of 'con'; type"
	$TM send-keys -t a z
	ok "a typed byte reaches the guest" \
		hl_wait_file "$HL_DIR/Logs/serial.log" '^com1 rx 7a$' 20
	ok "and the guest's answer is on console a" shows a "com1 rx 7a"
	pane b
	ok "console b attaches watching" shows b "watching"
	hl_ctl keyboardputscancode 1e 9e >/dev/null
	ok "console a shows the guest's COM1 lines" shows a "key 1e down"
	ok "console b shows them too" shows b "key 1e down"
	$TM send-keys -t b w
	$TM send-keys -t a y
	hl_wait_file "$HL_DIR/Logs/serial.log" '^com1 rx 79$' 20
	lacks "$HL_DIR/Logs/serial.log" '^com1 rx 77$'
	tap_result $? "the watching console's keys do not reach the guest"
	$TM send-keys -t a Enter '~' .
	ok "~. leaves console a" shows a "console left"
	ok "with exit status 0" shows a "^EXIT=0"
	$TM send-keys -t b v
	ok "then console b types into the guest" \
		hl_wait_file "$HL_DIR/Logs/serial.log" '^com1 rx 76$' 20
	lacks "$HL_DIR/Logs/serial.log" '^com1 rx 7e$'
	tap_result $? "\"~.\" itself never reached the guest"
	hl_stop
	ok "console b says the VM stopped" shows b "the console closed"
	ok "and exits 1" shows b "^EXIT=1"
fi
[ ! -e "$HL_DIR/vireo.console" ] && [ ! -e "$TMPD/com2.sock" ]
tap_result $? "the console socket and the pipe are removed at the end"
vireo-manage console con >"$TMPD/off.out" 2>&1
is "$?" 1 "console on a VM that is not running: exit 1"
like "$(cat "$TMPD/off.out")" "is not running" "and says so"

# ---- TCP client, pipe client ----------------------------------------------
P2=$(free_port)
hl_vm cli
vireo-manage modifyvm cli --uart1 0x3f8 4 --uart-mode1 tcpclient "127.0.0.1:$P2" \
	--uart2 0x2f8 3 --uart-mode2 client "$TMPD/peer.sock"
python3 "$PEER" listen "tcp:127.0.0.1:$P2" "testcard ready" \
	>"$TMPD/tcpsrv.out" 2>&1 &
L1=$!
python3 "$PEER" listen "unix:$TMPD/peer.sock" "testcard com2 ready" \
	>"$TMPD/unixsrv.out" 2>&1 &
L2=$!
hl_wait_file "$TMPD/tcpsrv.out" '^listening$' 10
hl_wait_file "$TMPD/unixsrv.out" '^listening$' 10
hl_start cli
wait "$L1"
is "$?" 0 "TCP client mode: the guest's COM1 output reaches a TCP server"
wait "$L2"
is "$?" 0 "pipe client mode: COM2's output reaches the program's socket"
hl_stop
is "$HL_RC" 0 "and the VM stops cleanly"
# nobody listens now: starting fails, naming the port
hl_start cli
hl_stop
is "$HL_RC" 4 "TCP client mode with no server: vireo-headless exits 4"
like "$(cat "$HL_OUT")" "COM1: cannot connect to TCP 127.0.0.1:$P2" \
	"and names the UART and the address"
done_testing
