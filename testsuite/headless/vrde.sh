#!/bin/sh
# vrde.sh - vireo-headless with the recording VRDE module and the testcard
# guest: start/stop in every --vrde mode, the ordering contract (no update
# before enable_connections, update(NULL) after each refresh), teardown
# with clients connected, the control socket's life, failures before the
# VM runs (module missing, bad ABI, port busy, VM locked).
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 48
hl_setup
hl_vm on
hl_vm off 'enabled="false"'
hl_vm missing 'VRDEExtPack="nosuchmodule"'

# --- --vrde config with VRDE enabled in the settings -----------------
hl_start on
like "$(cat "$HL_OUT")" '^VRDE server is listening on port 34[0-9]{3}\.$' \
	"config/enabled: listening line with a port from TCP/Ports"
ok "control socket exists while the VM runs" test -S "$HL_SOCK"
is "$(stat -c %a "$HL_SOCK")" 600 "control socket is mode 0600"
ok "guest runs (testcard ready on COM1)" hl_wait_guest
ok "module saw refreshes" hl_wait_rec '^complete screen=0 ' 3
first_enable=$(grep -n '^enable 1' "$HL_REC" | head -1 | cut -d: -f1)
first_update=$(grep -n '^complete ' "$HL_REC" | head -1 | cut -d: -f1)
ok "enable_connections precedes the first update" \
	test "${first_enable:-999999}" -lt "${first_update:-0}"
first_mode=$(grep -n '^resize screen=0 1024x768 enabled=1 origin=0,0 stride=4096$' \
	"$HL_REC" | head -1 | cut -d: -f1)
first_rects=$(grep -n '^complete screen=0 rects=[1-9]' "$HL_REC" | head -1 | cut -d: -f1)
ok "resize to testcard's 1024x768 before the first drawn refresh" \
	test "${first_mode:-999999}" -lt "${first_rects:-0}"
like "$(grep '^complete screen=0' "$HL_REC" | tail -1)" 'pixel8_40=ffffff$' \
	"the module sees testcard pixels during update (white bar)"
like "$(grep -c '^create cbversion=2 cbsize=' "$HL_REC")" '^1$' \
	"module created once with our table's version"
ok "a version-2 module's USB entry points are taken" \
	lacks "$HL_DIR/Logs/vireo.log" 'remote USB is unavailable'
hl_cmd logon 1 alice - - 127.0.0.1
hl_cmd logon 2 bob - - 127.0.0.1
ok "first client logged on" hl_wait_rec '^logon id=1 user=alice rc=0$'
ok "second client refused (single connection)" \
	hl_wait_rec '^logon id=2 user=bob rc=-16$'
hl_stop TERM
is "$HL_RC" 0 "SIGTERM: exit status 0"
ok "SIGTERM: module destroyed with the client still connected" \
	grep -q '^destroy clients=1$' "$HL_REC"
ok "SIGTERM: the client was dropped at destroy" \
	grep -q '^dropped id=1 (destroy)$' "$HL_REC"
ok "no contract violations" lacks "$HL_REC" VIOLATION
ok "control socket removed" test ! -e "$HL_SOCK"
ok "log file has levels and tags" \
	grep -Eq '^[0-9T:.-]+Z info  headless: VM .on. is running' \
	"$HL_DIR/Logs/vireo.log"

# --- --start-paused -----------------------------------------------------
booted=$(grep -c '^testcard ready' "$TMPD/vms/on/Logs/serial.log")
hl_start on --start-paused
like "$(hl_ctl info)" '^VMState="paused"$' "--start-paused: the VM waits"
sleep 1
is "$(grep -c '^testcard ready' "$HL_DIR/Logs/serial.log")" "$booted" \
	"--start-paused: the guest has not run"
hl_ctl resume >/dev/null
ok "--start-paused: resume starts the guest" \
	hl_wait_file "$HL_DIR/Logs/serial.log" '^testcard ready' 60 $((booted + 1))
hl_stop

# --- --vrde off / --vrde config with VRDE disabled --------------------
hl_start on --vrde off
ok "--vrde off: no module" test ! -e "$HL_REC"
ok "--vrde off: VM runs anyway" hl_wait_guest
hl_stop INT
is "$HL_RC" 0 "--vrde off: SIGINT exits 0"
hl_start off
ok "config/disabled: no module, no VRDE line" \
	sh -c ". '$srcdir/tap.sh'; lacks '$HL_OUT' VRDE && test ! -e '$HL_REC'"
hl_stop HUP
is "$HL_RC" 0 "config/disabled: SIGHUP exits 0"

# --- --vrde on overrides disabled settings ----------------------------
hl_start off --vrde on
like "$(cat "$HL_OUT")" 'listening on port' "--vrde on overrides the settings"
hl_wait_guest
occupied=$HL_PORT
pid1=$HL_PID
out1=$HL_OUT
rec1=$HL_REC
# the settings were not changed by --vrde/--vrdeproperty
ok "settings file unchanged by the run" \
	sh -c ". '$srcdir/tap.sh'; grep -q 'enabled=\"false\"' '$TMPD/vms/off/off.vbox' && lacks '$TMPD/vms/off/off.vbox' Record"

# --- failures before the VM runs --------------------------------------
timeout 30 vireo-headless --startvm off >"$TMPD/locked.out" 2>&1
is "$?" 3 "second instance of a running VM: exit 3"
like "$(cat "$TMPD/locked.out")" "is locked: it is already running" \
	"locked VM: clear message"
HL_PORTS=$occupied hl_vm busy
timeout 30 vireo-headless --startvm busy >"$TMPD/busy.out" 2>&1
is "$?" 5 "port busy: exit 5"
like "$(cat "$TMPD/busy.out")" '^VRDE server failed to start\.$' \
	"port busy: VBoxHeadless's line"
HL_PID=$pid1 HL_REC=$rec1 hl_stop TERM

timeout 30 vireo-headless --startvm missing >"$TMPD/missing.out" 2>&1
is "$?" 5 "module missing: exit 5"
like "$(cat "$TMPD/missing.out")" \
	"cannot load VRDE module 'nosuchmodule'.*vireo-vrde-nosuchmodule.so" \
	"module missing: says which file"
# Client/DisableDisplay: the module gets geometry but never pixels
hl_start on -e Client/DisableDisplay=1
hl_wait_guest
ok "DisableDisplay: screens are still described" \
	hl_wait_rec '^resize screen=0 1024x768 enabled=1'
ok "DisableDisplay: no update reaches the module" \
	lacks "$HL_REC" '^complete'
hl_stop

hl_start on -e Record/ABI=version
is "$(cat "$HL_OUT" | grep -c 'entry points of version 43 size [0-9]*; this vireo needs version 1 to 2')" 1 \
	"entry points of another version are refused"
wait "$HL_PID"
is "$?" 5 "bad module ABI: exit 5"
ok "bad module ABI: nothing called after create" \
	lacks "$HL_REC" '^(enable|resize|destroy)'
hl_start on -e Record/ABI=size
like "$(cat "$HL_OUT")" 'entry points of version 2 size 8' \
	"entry points smaller than ours are refused"
wait "$HL_PID"
is "$?" 5 "short table: exit 5"
HL_PID=

# --- a module built for ABI version 1 (before remote USB) ----------------
: >"$HL_DIR/Logs/vireo.log"
hl_start on -e Record/ABI=v1
ok "v1 module: refuses the version-2 host table first" \
	grep -q '^create refused cbversion=2 (a version-1 module)$' "$HL_REC"
ok "v1 module: then loads with the version-1 table and its size" \
	grep -Eq '^create cbversion=1 cbsize=[0-9]+$' "$HL_REC"
ok "v1 module: the VM runs" hl_wait_guest
ok "v1 module: the log says remote USB is unavailable" \
	grep -q "remote USB is unavailable with VRDE module 'record'" \
	"$HL_DIR/Logs/vireo.log"
hl_cmd logon 1 alice - - 127.0.0.1
ok "v1 module: clients log on as before" \
	hl_wait_rec '^logon id=1 user=alice rc=0$'
hl_stop
is "$HL_RC" 0 "v1 module: exit status 0"
ok "v1 module: no contract violations" lacks "$HL_REC" VIOLATION
done_testing
