#!/bin/sh
# hostile-pending.sh - connections that never log on (issue 11, item 1):
# hundreds of idle, trickling and stalled connections from one and from
# many loopback addresses.  The server keeps at most
# Security/MaxPendingPerAddress of them per address and
# Security/MaxPendingConnections in all, drops each after
# Security/LogonTimeout, logs refusals without flooding its log, and a
# good client logs on meanwhile; the server's descriptors, threads and
# RSS (read from /proc) stay under the bounds stated below.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
. "$srcdir/rdp/hostile-lib.sh"
plan 22
tap_tmpdir

# Bounds for 32 pending and as many shut down but not yet gone (64
# connections): a pending connection costs its thread and two descriptors
# until its whole first PDU arrived, then FreeRDP's context (3-5 MB with
# the heap's slack under churn, 8 descriptors); the two good clients add
# about 20 descriptors and 40 MB.  So at most 64 x 8 + 20 descriptors
# over the resting ones, 64 + 4 threads and 64 x 5 + 40 MB.  Measured here
# (2 cores, other tests running): up to 419 fds, 55 threads, 270 MB.
MAX_FDS=$((64 * 8 + 20 + 12))
MAX_THREADS=$((64 + 4 + 4))
MAX_RSS_KB=$(((64 * 5 + 40 + 30) * 1024))
# Under ASan (tools/test-sanitizers sets VIREO_SANITIZERS) freed memory
# waits in a 256 MB quarantine before it is reused and every block has
# redzones, so the same connections show up to twice the RSS plus the
# quarantine; the bound still catches an unbounded server.
[ "${VIREO_SANITIZERS:-0}" = 1 ] && MAX_RSS_KB=$((MAX_RSS_KB * 2 + 256 * 1024))

# The defaults, from a server started without the properties.
host_start --user alice:secret
ok "defaults: 32 pending, 16 per address, 30 s to log on" \
	grep -q 'at most 32 connections without a logon (16 per address), 30 s each to log on' \
	"$TMPD/host.err"
host_stop

host_start --user alice:secret --prop Host/AuthHasNtHashes=1 \
	--prop Security/MaxPendingConnections=32 \
	--prop Security/MaxPendingPerAddress=4 --prop Security/LogonTimeout=6
set -- $(proc_sample "$HOST_PID")
base_f=$1 base_t=$2 base_r=$3
diag "server at rest: $base_f fds, $base_t threads, $base_r kB RSS"

# 0. 30 idle connections from 30 addresses (under every limit): no FreeRDP
# session is built before a connection's first PDU, so they cost little.
# (peaks over the 2 s they are held, before their 3 s deadline)
sampler_start "$HOST_PID" "$TMPD/max0"
flood "$PORT" --net 82.0 --sources 30 --seconds 2 >"$TMPD/f0"
sampler_stop
set -- $(cat "$TMPD/max0")
diag "30 idle: at most $1 fds, $2 threads, $3 kB"
ok "30 idle connections are held, one thread each ($2 threads)" \
	test "$2" -ge $((base_t + 30))
ok "30 idle connections cost under 16 MB ($((($3 - base_r) / 1024)) MB)" \
	test $(($3 - base_r)) -le $((16 * 1024))

# 1. One address, 300 idle connections.
sampler_start "$HOST_PID" "$TMPD/max1"
flood "$PORT" --sources 1 --per-source 300 --seconds 8 >"$TMPD/f1" &
f1=$!
sleep 2
probe_ok "one address, 300 idle connections: a good client logs on" \
	--sec tls --user alice --password secret --wait-pixel 100,100,ff0000
wait $f1
sampler_stop
set -- $(cat "$TMPD/max1")
diag "one address: at most $1 fds, $2 threads, $3 kB; flood: $(cat "$TMPD/f1")"
ok "one address: at most 4 connections held per address (fds $1)" \
	test $(($1 - base_f)) -le 30
ok "one address: threads stayed bounded ($2)" test $(($2 - base_t)) -le 16
ok "the per-address refusal is logged with its reason" \
	grep -q 'refusing 127.77.0.1: 4 connections from 127.77.0.1 have not logged on yet (Security/MaxPendingPerAddress)' \
	"$TMPD/host.err"

# 2. 100 addresses: idle, trickling and stalled connections, reopened as
# soon as the server closes them (bounded: 2000 opens, 10 s each flood).
sampler_start "$HOST_PID" "$TMPD/max2"
flood "$PORT" --net 78.0 --sources 100 --per-source 1 --seconds 10 \
	--reopen --max-opens 2000 >"$TMPD/f2a" &
f2a=$!
flood "$PORT" --net 79.0 --sources 100 --per-source 1 --seconds 10 \
	--slow --reopen --max-opens 2000 >"$TMPD/f2b" &
f2b=$!
flood "$PORT" --net 80.0 --sources 100 --per-source 1 --seconds 10 \
	--stall --reopen --max-opens 2000 >"$TMPD/f2c" &
f2c=$!
sleep 3
probe_tries "300 addresses flooding: a good client logs on over TLS" \
	"$TMPD/host.err" --sec tls --user alice --password secret \
	--wait-pixel 100,100,ff0000
probe_tries "300 addresses flooding: a good client logs on over NLA" \
	"$TMPD/host.err" --sec nla --user alice --password secret \
	--wait-pixel 100,100,ff0000
wait $f2a
wait $f2b
wait $f2c
sampler_stop
set -- $(cat "$TMPD/max2")
diag "many addresses: at most $1 fds, $2 threads, $3 kB"
for f in f2a f2b f2c; do
	diag "  $f: $(cat "$TMPD/$f")"
done
ok "many addresses: fds stayed under $MAX_FDS ($1)" test "$1" -le $MAX_FDS
ok "many addresses: threads stayed under $MAX_THREADS ($2)" \
	test "$2" -le $MAX_THREADS
ok "many addresses: RSS stayed under $((MAX_RSS_KB / 1024)) MB ($(($3 / 1024)) MB)" \
	test "$3" -le $MAX_RSS_KB
ok "the global limit is logged with its reason" \
	grep -q 'connections have not logged on yet (Security/MaxPendingConnections)' \
	"$TMPD/host.err"
# (a line of its own, or counted in a summary when lines were suppressed)
replaced=$(sed -n 's/.* so far: \([0-9]*\) replaced, .*/\1/p' "$TMPD/host.err" |
	tail -n 1)
grep -q '^rdp-host: warn: dropping 127\.[0-9.]* ([0-9]* bytes in [0-9]* s, no logon) for ' \
	"$TMPD/host.err" && replaced=$((${replaced:-0} + 1))
ok "newcomers replaced the least active pending connections (${replaced:-0})" \
	test "${replaced:-0}" -gt 0
lines=$(grep -c 'rdp-host: warn: \(refusing\|dropping\) ' "$TMPD/host.err")
ok "refusal lines are rate-limited ($lines lines)" test "$lines" -le 400
ok "suppressed refusals are summed up" \
	grep -q 'more connections refused or dropped without a line of their own' \
	"$TMPD/host.err"
sleep 1
set -- $(proc_sample "$HOST_PID")
ok "afterwards the server is back to its resting descriptors ($1)" \
	test "$1" -le $((base_f + 2))
ok "and threads ($2)" test "$2" -le $((base_t + 1))

# 3. The logon deadline: 16 connections from 8 addresses that send their
# X.224 request and then nothing, so FreeRDP waits for a TLS handshake
# with no timeout of its own; the server must close them all
# (LogonTimeout 6 s; they wait 14 s.  Under ASan on a loaded machine a
# good client's TLS logon took more than 3 s.)
flood "$PORT" --net 81.0 --sources 8 --per-source 2 --stall --seconds 14 \
	>"$TMPD/f3"
diag "deadline: $(cat "$TMPD/f3")"
is "$(field held "$(cat "$TMPD/f3")")" 0 \
	"deadline: no connection was held past Security/LogonTimeout"
is "$(field dropped "$(cat "$TMPD/f3")")" 16 "deadline: all 16 were dropped"
ok "the deadline is logged with its reason" \
	grep -q 'dropping 127.81.0.[0-9]*: no logon within 6 s (Security/LogonTimeout)' \
	"$TMPD/host.err"
probe_ok "a good client still logs on" --sec tls --user alice \
	--password secret --wait-pixel 100,100,ff0000
host_stop
done_testing
