#!/bin/sh
# errors.sh - vireo-headless says why it cannot start in one line on
# stderr (the busy port and address, the bad property, FILE:LINE of a bad
# setting) with its documented exit code; FreeRDP's own messages and the
# auth library's go to vireo.log, not stderr; startvm's log files are the
# owner's alone; the control socket serves while others send slowly or
# nothing, and gives each connection one deadline.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"
PROBE="$top_builddir/testsuite/rdp-probe/rdp-probe"
[ -x "$PROBE" ] || skip_all "rdp-probe not built"
[ -e "$VIREO_MODULE_DIR/vireo-vrde-rdp.so" ] || skip_all "RDP module not built"
command -v python3 >/dev/null || skip_all "python3 needed"

plan 21
hl_setup
vm() { timeout 60 vireo-manage "$@"; }

# the software CPU unless HL_ACCEL says otherwise (as hl_start does): no
# fall-back warning on stderr
hl_accel=${HL_ACCEL-software}
accel=${hl_accel:+--accel $hl_accel}

# run NAME ARGS...: vireo-headless in the foreground; sets rc, out, err
run() {
	name=$1
	shift
	timeout 120 vireo-headless --startvm "$name" $accel "$@" \
		>"$TMPD/run.out" 2>"$TMPD/run.err"
	rc=$?
	out=$(cat "$TMPD/run.out")
	err=$(cat "$TMPD/run.err")
}

# ---- start-up failures: one line on stderr, the exit code --------------
# Null auth binds loopback only; a listener of ours holds the one port.
hl_vm busy 'VRDEExtPack="rdp"'
python3 -c '
import socket, sys, time
s = socket.socket()
for p in range(34500, 34600):
    try:
        s.bind(("127.0.0.1", p))
        break
    except OSError:
        continue
s.listen(1)
print(p, flush=True)
time.sleep(120)' >"$TMPD/holder.port" &
holder=$!
hl_wait_file "$TMPD/holder.port" '^[0-9]+$' 10
bport=$(cat "$TMPD/holder.port")
run busy --vrdeproperty "TCP/Ports=$bport"
is "$rc" 5 "busy port: exit 5"
is "$err" "vireo-headless: VRDE server failed to start: cannot listen: no port of TCP/Ports '$bport' is free on loopback (port $bport: Address already in use)" \
	"busy port: one stderr line naming the list, the address and the port"
is "$out" "VRDE server failed to start." "stdout keeps VBoxHeadless's line"
kill "$holder"
wait "$holder" 2>/dev/null

run busy --vrdeproperty Security/Method=bogus
is "$rc:$err" "5:vireo-headless: VRDE module 'rdp' refused to start: Security/Method: unknown value 'bogus' (Negotiate, TLS, RDP or NLA)" \
	"unknown Security/Method: exit 5, the property and its value"

hl_vm bad '' '' '<ExtraDataItem name="vireo/Boot/Source" value="floppy"/>'
run bad
is "$rc:$err" "3:vireo-headless: $TMPD/vms/bad/bad.vbox:4: ExtraData vireo/Boot/Source is 'floppy'; expected testcard or linux" \
	"a bad setting: exit 3, FILE:LINE and what is wrong"

# ---- startvm's log directory and output file ----------------------------
umask 022
rm -rf "$TMPD/vms/bad/Logs" # the run above created it (vireo-headless: 0700)
vm startvm bad --type headless >/dev/null 2>&1
is "$(stat -c %a "$TMPD/vms/bad/Logs")" 700 "startvm creates Logs 0700"
is "$(stat -c %a "$TMPD/vms/bad/Logs/vireo-headless.out")" 600 \
	"startvm creates vireo-headless.out 0600"
chmod 644 "$TMPD/vms/bad/Logs/vireo-headless.out"
vm startvm bad --type headless >/dev/null 2>&1
is "$(stat -c %a "$TMPD/vms/bad/Logs/vireo-headless.out")" 600 \
	"an existing vireo-headless.out becomes 0600"

# ---- a normal run: FreeRDP and the auth library write to vireo.log -----
WLOG_LEVEL=INFO
export WLOG_LEVEL
vm createvm --name wvm --register --basefolder "$TMPD/vms" >/dev/null
vm modifyvm wvm --vrde on --vrdeport 34600-34699 --vrdeauthtype external \
	--vrdeauthlibrary simple
printf 'Secret-1\n' | vm internalcommands setcredentials wvm alice \
	--passwordfile -
# the right PBKDF2 of hunter2, 1000 iterations: under the floor
vm setextradata wvm VBoxAuthSimple/users/weak \
	'pbkdf2-sha256$1000$00112233445566778899aabbccddeeff$7565f4d66ef6cfaafc300808e5b75c36c3201244948697acfbd349ae21c10d63'
HL_DIR="$TMPD/vms/wvm"
HL_SOCK="$HL_DIR/vireo.ctl"
LOG="$HL_DIR/Logs/vireo.log"
vireo-headless --startvm wvm $accel >"$TMPD/wvm.out" 2>"$TMPD/wvm.err" &
HL_PID=$!
port=$(vrde_wait_port "$TMPD/wvm.out" "$HL_PID" 600)
hl_wait_guest
probe() { timeout 60 "$PROBE" --port "$port" --timeout 20 --no-gfx "$@" 2>/dev/null; }
out=$(probe --sec tls --user alice --password Secret-1 --wait-pixel 8,40,ffffff)
like "$out" '"connected":true' "TLS logon with the --passwordfile password"
probe --sec tls --user weak --password hunter2 --expect-fail >/dev/null
ok "a hash under the floor: the library's line is in vireo.log" \
	grep -qF "vireo-auth-simple: user 'weak' refused: its hash has 1000 PBKDF2 iterations, fewer than the floor of 100000; set the password again" \
	"$LOG"
ok "and the logon is denied" \
	grep -Eq "logon of user 'weak' from 127.0.0.1 over [A-Z]+ denied" "$LOG"
ok "FreeRDP's INFO line is in vireo.log at info" \
	grep -qE '^[0-9T:.-]+Z info  vrde-module: freerdp: \[com\.freerdp\.core\.connection\] Negotiated Security: NLA:0 TLS:1 RDP:0$' \
	"$LOG"

# ---- the control socket under idle and slow clients --------------------
python3 "$srcdir/headless/ctl-check.py" "$HL_SOCK" >"$TMPD/ctl.txt" 2>&1
has() { grep -qxF -- "$1" "$TMPD/ctl.txt"; }
ok "16 requests pending: the 17th is refused at once" \
	has "refused: error too many pending requests"
ok "15 clients sending nothing: an info request is served" has "served: ok"
ok "a client sending one byte per 0.5 s is cut at the 5 s deadline" \
	has "slow: error no request line within 5 s"
[ "$tap_fail" = 0 ] || sed 's/^/#   /' "$TMPD/ctl.txt"
ok "the refusal is logged" \
	grep -q 'control socket: 16 requests pending; one refused' "$LOG"
is "$(hl_ctl info | tail -n 1)" ok "afterwards the socket serves as before"

kill -TERM "$HL_PID"
wait "$HL_PID"
is "$?" 0 "SIGTERM ends the run with status 0"
HL_PID=
ok "stdout was written (the run's lines are there)" \
	grep -q 'VRDE server is listening on port' "$TMPD/wvm.out"
is "$(grep -c 'freerdp\|\[ERROR\]\|\[WARN\]' "$TMPD/wvm.err")" 0 \
	"stderr: no FreeRDP line, no ERROR line after logons and disconnects"
is "$(grep -c . "$TMPD/wvm.err")" 0 "stderr of a normal run is empty"
done_testing
