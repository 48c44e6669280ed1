#!/bin/sh
# service.sh - the systemd unit vireo@.service: systemd-analyze verify
# accepts it, and its ExecStart line, run as systemd runs it (environment
# NOTIFY_SOCKET, no new privileges, umask 077; stopped with SIGTERM, the
# unit's KillSignal), reports READY=1 only once the remote display
# listens, stops the VM through the power button, and exits 0.  A second
# run, with an abstract NOTIFY_SOCKET and a guest that ignores the power
# button, is powered off when --graceful-stop runs out.  A VM whose
# autostop setting (modifyvm --autostop-type) is savestate has its state
# saved by the stop instead, and the next start resumes it; poweroff
# powers it off at once; a bad value in the file is named and the power
# button pressed.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

UNIT=$top_builddir/src/headless/vireo@.service
[ -f "$UNIT" ] || skip_all "vireo@.service not built"
command -v python3 >/dev/null || skip_all "python3 missing (tools/install-deps)"
hl_setup
plan 26

# ---- systemd-analyze verify ---------------------------------------------
# The unit names the installed binary; the copy verified names the built
# one (verify checks that ExecStart= is executable).  Instance svc.
bindir=$(sed -n 's|^ExecStart=\(.*\)/vireo-headless .*|\1|p' "$UNIT")
mkdir -p "$TMPD/units"
sed "s|^ExecStart=$bindir/|ExecStart=$top_builddir/src/headless/|" "$UNIT" \
	>"$TMPD/units/vireo@.service"
ln -s "vireo@.service" "$TMPD/units/vireo@svc.service"
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify --man=no "$TMPD/units/vireo@svc.service" 2>&1)
	is "$?" 0 "systemd-analyze verify accepts vireo@svc.service"
	is "$out" "" "and has nothing to say about it"
else
	skip "systemd-analyze missing (Debian: systemd)"
	skip "systemd-analyze missing (Debian: systemd)"
fi

# ---- ExecStart and a stop, as systemd does them -------------------------
# The unit's ExecStart with %I/%i expanded, the built binary for the
# installed one; word splitting as systemd's (no quotes in the line).
exec_start() {
	sed -n 's/^ExecStart=//p' "$TMPD/units/vireo@.service" |
		sed "s/%[Ii]/$1/g"
}
line=$(exec_start svc)
like "$line" "vireo-headless --startvm svc --graceful-stop [0-9]+" \
	"ExecStart runs vireo-headless --startvm svc --graceful-stop"
stop_sec=$(sed -n 's/^TimeoutStopSec=//p' "$UNIT")
kill_sig=$(sed -n 's/^KillSignal=SIG//p' "$UNIT")
kill_sig=${kill_sig:-TERM}

hl_vm svc
HL_DIR="$TMPD/vms/svc"
# start LINE NOTIFY_ADDRESS: the service, with its notify socket
svc_start() {
	NLOG="$TMPD/notify.$2.log"
	: >"$NLOG"
	python3 "$srcdir/headless/notify-listen.py" "$3" "$NLOG" &
	NPID=$!
	hl_wait_file "$NLOG" '^listening$' 10 || tap_bail "no notify listener"
	# shellcheck disable=SC2086
	(umask 077 && NOTIFY_SOCKET=$3 exec setpriv --no-new-privs $1) \
		>"$TMPD/svc.$2.out" 2>&1 &
	HL_PID=$!
}
svc_stop() {
	kill -"$kill_sig" "$HL_PID"
	i=0
	while kill -0 "$HL_PID" 2>/dev/null && [ $i -lt $((stop_sec * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$HL_PID" 2>/dev/null && kill -KILL "$HL_PID"
	wait "$HL_PID"
	SVC_RC=$?
	HL_PID=
	kill "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
}

svc_start "$line" path "$TMPD/notify.sock"
ok "READY=1 arrives" hl_wait_file "$NLOG" '^READY=1$' 60
ok "the remote display accepted a connection when READY=1 came" \
	grep -q '^connect-after-ready ok [0-9]' "$NLOG"
like "$(grep '^STATUS=' "$NLOG" | tail -1)" \
	"^STATUS=VM 'svc' running; remote display on port [0-9]+$" \
	"STATUS says the VM runs and where the display listens"
ok "the guest runs" hl_wait_guest
svc_stop
is "$SVC_RC" 0 "SIGTERM: vireo-headless exits 0"
ok "STOPPING=1 was sent" grep -q '^STOPPING=1$' "$NLOG"
ok "the guest powered itself off (the power button, not a hard stop)" \
	grep -q '^testcard poweroff' "$HL_DIR/Logs/serial.log"
ok "the log says the power button was pressed" \
	grep -q 'power button pressed; powering off in [0-9]* s' \
	"$HL_DIR/Logs/vireo.log"

# A guest that ignores Ctrl-Alt-Del (raw8042 prints bytes instead of
# acting on keys): powered off when the grace period ends.
hl_vm deaf "" "" '<ExtraDataItem name="vireo/Boot/Cmdline" value="raw8042"/>'
HL_DIR="$TMPD/vms/deaf"
line=$(exec_start deaf | sed 's/--graceful-stop [0-9]*/--graceful-stop 1/')
svc_start "$line" abstract "@vireo-test-notify-$$"
ok "abstract NOTIFY_SOCKET: READY=1 arrives" \
	hl_wait_file "$NLOG" '^READY=1$' 60
ok "the guest runs" hl_wait_guest
svc_stop
is "$SVC_RC" 0 "a guest that ignores the button: exit 0 all the same"
ok "the log says the grace period ran out" \
	grep -q 'did not power off within 1 s; powering it off' \
	"$HL_DIR/Logs/vireo.log"
lacks "$HL_DIR/Logs/serial.log" '^testcard poweroff'
tap_result $? "and the guest did not power itself off"

# ---- autostop: what the stop does ----------------------------------------
hl_vm keep
HL_DIR="$TMPD/vms/keep"
ok "modifyvm --autostop-type savestate" \
	timeout 60 vireo-manage modifyvm keep --autostop-type savestate
ok "the file says so as VirtualBox does" \
	grep -q '<Autostart autostop="SaveState"/>' "$HL_DIR/keep.vbox"
out=$(timeout 60 vireo-manage modifyvm keep --autostop-type sometimes 2>&1)
like "$out" "sometimes.*--autostop-type" "a bad --autostop-type is named"
line=$(exec_start keep)
svc_start "$line" keep "$TMPD/notify-keep.sock"
ok "autostop savestate: the guest runs" hl_wait_guest
svc_stop
is "$SVC_RC" 0 "autostop savestate: SIGTERM, exit 0"
ok "the log says the state was saved" \
	grep -q 'signal [0-9]*: VM state saved' "$HL_DIR/Logs/vireo.log"
ok "the .vbox names the state file" grep -q 'stateFile=' "$HL_DIR/keep.vbox"
lacks "$HL_DIR/Logs/serial.log" '^testcard poweroff'
tap_result $? "the guest was not shut down"
like "$(timeout 60 vireo-manage showvminfo keep --machinereadable |
	grep '^VMState=')" 'VMState="saved"' "showvminfo: saved"

sed -i 's/autostop="SaveState"/autostop="Later"/' "$HL_DIR/keep.vbox"
sed -i '/stateFile=/s/ stateFile="[^"]*"//' "$HL_DIR/keep.vbox"
svc_start "$line" bad "$TMPD/notify-bad.sock"
# (serial.log has the first run's "testcard ready": wait for READY=1)
hl_wait_file "$NLOG" '^READY=1$' 60
svc_stop
ok "a bad autostop in the file is named, the power button pressed" \
	grep -q "keep.vbox: Autostart autostop 'Later' is not" \
	"$HL_DIR/Logs/vireo.log"
done_testing
