#!/bin/sh
# hostile.sh - vireo-headless itself (a VM on the software CPU, the real
# RDP module, the simple auth library in vireo-authd) under hostile
# clients: 300 idle connections from one address, 300 addresses opening
# idle, trickling and stalled connections as fast as they are dropped, and
# parallel wrong NLA and TLS passwords from many addresses.  Meanwhile a
# good client logs on and types, the control socket answers and the guest
# keeps running; vireo-headless's descriptors, threads, RSS and auth
# helpers stay under the bounds stated below (the rdp-host tests in rdp/
# cover the module's limits in detail; this shows they hold in the real
# server, whose descriptor table also holds the control socket, the VM
# and the auth helpers' sockets).
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"
HOSTILE=$builddir/rdp/rdp-hostile
. "$srcdir/rdp/hostile-lib.sh"
PROBE="$top_builddir/testsuite/rdp-probe/rdp-probe"
[ -x "$PROBE" ] || skip_all "rdp-probe not built"
[ -x "$HOSTILE" ] || skip_all "rdp-hostile not built"
[ -e "$VIREO_MODULE_DIR/vireo-vrde-rdp.so" ] || skip_all "RDP module not built"

plan 17
hl_setup
N=8 # wrong logons per security layer, all at once
# Pending connections: 16 in all, 4 per address, 15 s to log on (parallel
# TLS handshakes on a loaded machine take seconds; rdp/hostile-pending.sh
# tests the deadline).  Bounds:
# each pending connection costs at most 8 descriptors, a thread and 5 MB
# (rdp/hostile-pending.sh measures them), held ones and as many being torn
# down; a logged-on client about 10 descriptors and 20 MB.
MAX_FDS=$((32 * 8 + 2 * 10 + 16))
MAX_THREADS=$((32 + 2 * 2 + 8))
MAX_RSS_MB=$((32 * 5 + 2 * 20 + 40))
# ASan's 256 MB quarantine and redzones (VIREO_SANITIZERS, set by
# tools/test-sanitizers): as in rdp/hostile-pending.sh
[ "${VIREO_SANITIZERS:-0}" = 1 ] && MAX_RSS_MB=$((MAX_RSS_MB * 2 + 256))

vm() { timeout 60 vireo-manage "$@"; }
vm createvm --name hvm --register --basefolder "$TMPD/vms" >/dev/null
vm modifyvm hvm --hwvirtex off --vrde on --vrdeport 34300-34399 \
	--vrdeauthtype external --vrdeauthlibrary simple \
	--vrdeproperty Security/MaxPendingConnections=16 \
	--vrdeproperty Security/MaxPendingPerAddress=4 \
	--vrdeproperty Security/LogonTimeout=15
vm internalcommands setcredentials hvm alice 'Secret-1' --nla >/dev/null
HL_DIR="$TMPD/vms/hvm"
HL_OUT="$TMPD/hvm.out"
HL_SOCK="$HL_DIR/vireo.ctl"
LOG="$HL_DIR/Logs/vireo.log"
vireo-headless --startvm hvm >"$HL_OUT" 2>&1 &
HL_PID=$!
hl_wait_file "$HL_OUT" 'VRDE server is listening on port' 30
port=$(sed -n 's/^VRDE server is listening on port \([0-9]*\)\.$/\1/p' "$HL_OUT")
ok "vireo-headless listens" test -n "$port"
hl_wait_guest
probe() { timeout 90 "$PROBE" --port "$port" --timeout 40 --no-gfx "$@" 2>>"$TMPD/probe.err"; }
set -- $(proc_sample "$HL_PID")
base_f=$1 base_t=$2 base_r=$3
diag "vireo-headless at rest: $base_f fds, $base_t threads, $base_r kB RSS"

# Connections vireo-headless has accepted from address $1 and holds open
# (the kernel's accept queue, whose sockets no process owns, not counted).
accepted_from() {
	ss -tnp state established "( dst $1 )" 2>/dev/null |
		grep -c "pid=$HL_PID,"
}

# 1. Floods: one address with 300 idle connections, 300 addresses
# reopening idle, trickling and stalled ones (bounded in opens and time).
sampler_start "$HL_PID" "$TMPD/max1"
flood "$port" --sources 1 --per-source 300 --seconds 12 >"$TMPD/f1" &
f1=$!
# (before the other floods can replace them)
held=0
for _ in $(seq 10); do
	sleep 0.2
	n=$(accepted_from 127.77.0.1)
	[ "$n" -gt "$held" ] && held=$n
done
flood "$port" --net 78.1 --sources 100 --reopen --max-opens 2000 \
	--seconds 12 >"$TMPD/f2" &
f2=$!
flood "$port" --net 79.1 --sources 100 --slow --reopen --max-opens 2000 \
	--seconds 12 >"$TMPD/f3" &
f3=$!
flood "$port" --net 80.1 --sources 100 --stall --reopen --max-opens 2000 \
	--seconds 12 >"$TMPD/f4" &
f4=$!
sleep 2
probe_tries "during the floods a good client logs on and sees the testcard" \
	"$LOG" --sec tls --user alice --password Secret-1 \
	--wait-pixel 8,40,ffffff --keys 30
ok "and its key reaches the guest" \
	hl_wait_file "$HL_DIR/Logs/serial.log" '^key 30 down$'
state=$(vm showvminfo hvm --machinereadable | grep '^VMState=')
is "$state" 'VMState="running"' "the control socket answers during the floods"
wait $f1 $f2 $f3 $f4
sampler_stop
set -- $(cat "$TMPD/max1")
diag "floods: at most $1 fds, $2 threads, $3 kB RSS"
for f in f1 f2 f3 f4; do
	diag "  $f: $(cat "$TMPD/$f")"
done
ok "descriptors stayed under $MAX_FDS over rest ($(($1 - base_f)))" \
	test $(($1 - base_f)) -le $MAX_FDS
ok "threads stayed under $MAX_THREADS over rest ($(($2 - base_t)))" \
	test $(($2 - base_t)) -le $MAX_THREADS
ok "RSS stayed under $MAX_RSS_MB MB over rest ($((($3 - base_r) / 1024)) MB)" \
	test $(($3 - base_r)) -le $((MAX_RSS_MB * 1024))
ok "vireo-headless holds at most 4 connections from one address ($held)" \
	test "$held" -le 4 -a "$held" -ge 1
ok "the per-address refusal is in vireo.log with its reason" \
	grep -q 'refusing 127.77.0.1: 4 connections from 127.77.0.1 have not logged on yet (Security/MaxPendingPerAddress)' \
	"$LOG"
ok "the global limit is in vireo.log with its reason" \
	grep -q 'connections have not logged on yet (Security/MaxPendingConnections)' \
	"$LOG"

# 2. Parallel wrong passwords over NLA and TLS, each from its own address
# (rdp-hostile's relay), with the auth helpers counted.
trap 'relay_stop; hl_cleanup' EXIT
relay_start "$port" 90.1
wrong() {
	timeout 120 "$PROBE" --port "$RELAY" --timeout 60 --no-gfx --sec "$1" \
		--user alice --password "wrong$2" --expect-fail logon \
		>/dev/null 2>>"$TMPD/probe.err"
}
pids=
for i in $(seq $N); do
	wrong nla "$i" &
	pids="$pids $!"
	wrong tls "$i" &
	pids="$pids $!"
done
wait_ok $pids
refused=$WAIT_OK
relay_stop
is "$refused" $((2 * N)) "$((2 * N)) parallel wrong passwords (NLA, TLS) each fail to log on"
n=$(grep -c "logon of user 'alice' from 127\.90\.1\.[0-9]* over NLA denied" "$LOG")
ok "each wrong NLA password is logged with its address ($n)" test "$n" -ge $N
n=$(grep -c "logon of user 'alice' from 127\.90\.1\.[0-9]* over TLS denied" "$LOG")
ok "each wrong TLS password is logged with its address ($n)" test "$n" -ge $N
out=$(probe --sec nla --user alice --password Secret-1 --wait-pixel 8,40,ffffff)
like "$out" '"ok":true' "afterwards a good NLA client logs on"

# 3. Back to rest, and a clean end.
for _ in $(seq 50); do
	set -- $(proc_sample "$HL_PID")
	[ "$1" -le $((base_f + 2)) ] && break
	sleep 0.1
done
ok "the descriptors are back to rest ($1, rest $base_f)" \
	test "$1" -le $((base_f + 2))
ok "no auth helper is left" \
	test "$(pgrep -c -P "$HL_PID" -f vireo-authd)" -eq 0
kill -TERM "$HL_PID"
wait "$HL_PID"
is "$?" 0 "SIGTERM ends the run with status 0"
HL_PID=
done_testing
