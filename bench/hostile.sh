#!/bin/sh
# hostile.sh - what hostile clients cost vireo's RDP module, measured:
# the module in rdp-host (testsuite/rdp), with its default limits, under
# floods of idle, trickling and stalled connections from one and from 300
# loopback addresses, parallel wrong logons from many addresses, and the
# logon deadline; the server's peak descriptors, threads and RSS (from
# /proc) and how long a good client took to log on meanwhile.
#
#   bench/hostile.sh [BUILDDIR]     (default: the source tree)
#
# Writes bench/results/hostile-<date>-<host>.{json,md}.  Only 127.0.0.0/8
# is used; every flood is bounded in time and in connection attempts.
# Not part of make check (timings are reported, never asserted).
set -u
srcdir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$srcdir/.." && pwd)
build=${1:-$top}
host_bin=$build/testsuite/rdp/rdp-host
probe_bin=$build/testsuite/rdp-probe/rdp-probe
hostile_bin=$build/testsuite/rdp/rdp-hostile
module=$build/src/vrde/rdp/.libs/vireo-vrde-rdp.so
for f in "$host_bin" "$probe_bin" "$hostile_bin" "$module"; do
	[ -x "$f" ] || [ -f "$f" ] || {
		echo "hostile.sh: $f is missing (make; make -C testsuite check TESTS=)" >&2
		exit 1
	}
done
stamp=$(date -u +%Y-%m-%d)
name=hostile-$stamp-$(hostname -s 2>/dev/null || hostname)
out=$srcdir/results/$name
work=$(mktemp -d "${TMPDIR:-/tmp}/vireo-hostile.XXXXXX")
trap 'stop_host; rm -rf "$work"' EXIT
records=
# proc_sample, flood (rdp-hostile) and the host's fifo: shared with the
# tests
builddir=$build/testsuite
. "$top/testsuite/lib/vhost.sh"
. "$top/testsuite/rdp/hostile-lib.sh"
HOSTILE=$hostile_bin

# peak PID SECONDS: the maxima of fds, threads, RSS over SECONDS
peak() {
	sampler_start "$1" "$work/peak"
	sleep "$2"
	sampler_stop
	cat "$work/peak"
}

start_host() {
	vrde_host_run "$work/host" "$host_bin" --module "$module" \
		--prop TCP/Ports=37500-37599 --prop "Host/MachineFolder=$work" \
		--user alice:secret --prop Host/AuthHasNtHashes=1 "$@"
	host_pid=$VRDE_HOST_PID
	port=$PORT
	sleep 1
	set -- $(proc_sample "$host_pid")
	rest_f=$1 rest_t=$2 rest_r=$3
}

stop_host() {
	vrde_host_quit
	host_pid=
}

# good SEC: one good logon; prints connect_ms (-1: failed)
good() {
	timeout 90 "$probe_bin" --port "$port" --timeout 60 --sec "$1" \
		--user alice --password secret --wait-pixel 100,100,ff0000 \
		2>/dev/null | sed -n 's/.*"connect_ms":\(-*[0-9]*\).*/\1/p'
}

# goods: a good TLS and a good NLA logon at the same time (sets t, n)
goods() {
	good tls >"$work/good-tls" &
	_g1=$!
	good nla >"$work/good-nla" &
	_g2=$!
	wait $_g1
	wait $_g2
	t=$(cat "$work/good-tls")
	n=$(cat "$work/good-nla")
}

refusals() {
	sed -n "s/.*(\\([0-9]*\\) so far: .*/\\1/p" "$work/host.err" | tail -n 1
}

# record NAME DESCRIPTION PEAK GOOD_TLS GOOD_NLA EXTRA
record() {
	set -- "$1" "$2" $3 "$4" "$5" "$6"
	rec="{\"scenario\":\"$1\",\"what\":\"$2\",\"rest_fds\":$rest_f,\"rest_threads\":$rest_t,\"rest_rss_kb\":$rest_r,\"peak_fds\":$3,\"peak_threads\":$4,\"peak_rss_kb\":$5,\"good_tls_connect_ms\":${6:-null},\"good_nla_connect_ms\":${7:-null}${8}}"
	records="$records${records:+,
}$rec"
	echo "$rec"
}

# 1. One address, 300 idle connections (the case reported in issue 11).
start_host
flood "$port" --sources 1 --per-source 300 --seconds 12 >"$work/f1" &
f=$!
peak "$host_pid" 10 >"$work/p1" &
p=$!
sleep 3
goods
wait $p
wait $f
record one-address "300 idle connections from 127.77.0.1, 12 s" \
	"$(cat "$work/p1")" "$t" "$n" \
	",\"flood\":\"$(cat "$work/f1")\",\"refused_or_dropped\":$(refusals)"
defaults=$(sed -n 's/.*: \(at most .* to log on\)$/\1/p' "$work/host.err" | head -n 1)
stop_host

# 2. 300 addresses: idle, trickling (1 byte/s) and stalled (whole X.224
# request, then nothing) connections, each reopened when closed (at most
# 3000 opens per kind), 20 s.
start_host
for kind in idle slow stall; do
	case $kind in
	idle) net=78.0 opt= ;;
	slow) net=79.0 opt=--slow ;;
	stall) net=80.0 opt=--stall ;;
	esac
	flood "$port" --net $net --sources 100 --seconds 20 --reopen \
		--max-opens 3000 $opt >"$work/f2-$kind" &
	floods="${floods:-} $!"
done
peak "$host_pid" 18 >"$work/p2" &
p=$!
sleep 4
goods
wait $p
for f in $floods; do
	wait "$f"
done
mid=$(proc_sample "$host_pid")
record many-addresses "100 idle + 100 trickling + 100 stalled connections from 300 addresses, reopened when closed, 20 s" \
	"$(cat "$work/p2")" "$t" "$n" \
	",\"idle\":\"$(cat "$work/f2-idle")\",\"slow\":\"$(cat "$work/f2-slow")\",\"stall\":\"$(cat "$work/f2-stall")\",\"refused_or_dropped\":$(refusals),\"after\":\"$mid\""
stop_host

# 3. Parallel wrong logons from many addresses (the relay gives each
# connection the next of 250 source addresses): 24 TLS and 24 NLA at once.
start_host
"$hostile_bin" relay "$port" --sources 250 --net 90.0 --seconds 300 \
	>"$work/relay" 2>&1 &
relay=$!
sleep 0.5
rport=$(sed -n 's/^relay port //p' "$work/relay")
t0=$(date +%s%N)
for i in $(seq 24); do
	for sec in tls nla; do
		timeout 120 "$probe_bin" --port "$rport" --timeout 60 --sec $sec \
			--user alice --password "wrong$i" --expect-fail \
			>/dev/null 2>&1 &
	done
done
peak "$host_pid" 6 >"$work/p3" &
p=$!
sleep 2
goods
wait $p
for j in $(jobs -p); do
	[ "$j" = "$relay" ] || [ "$j" = "$host_pid" ] || wait "$j" 2>/dev/null
done
t1=$(date +%s%N)
kill "$relay" 2>/dev/null
nla_fail=$(grep -c 'rc=-13$' "$work/host.out")
tls_fail=$(grep -c 'denied over TLS' "$work/host.err")
record wrong-logons "24 wrong TLS and 24 wrong NLA logons at once from many addresses" \
	"$(cat "$work/p3")" "$t" "$n" \
	",\"wall_ms\":$(((t1 - t0) / 1000000)),\"nla_failures_seen_by_host\":$nla_fail,\"tls_denials_logged\":$tls_fail"
stop_host

# 4. The logon deadline (Security/LogonTimeout=3): 16 idle connections.
start_host --prop Security/LogonTimeout=3
flood "$port" --net 81.0 --sources 8 --per-source 2 --seconds 8 >"$work/f4"
record deadline "16 idle connections from 8 addresses, Security/LogonTimeout=3" \
	"$(proc_sample "$host_pid")" "" "" ",\"flood\":\"$(cat "$work/f4")\""
stop_host

mkdir -p "$srcdir/results"
{
	echo "{\"bench\":\"hostile\",\"date\":\"$stamp\",\"host\":\"$(hostname -s 2>/dev/null || hostname)\",\"cores\":$(nproc),"
	echo "\"module_defaults\":\"$defaults\","
	echo "\"cmd\":\"bench/hostile.sh: rdp-host + vireo-vrde-rdp.so, rdp-hostile flood/relay, rdp-probe; peaks from /proc/PID every 0.2 s\","
	echo "\"records\":["
	echo "$records"
	echo "]}"
} >"$out.json"
python3 - "$out.json" "$out.md" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
o = open(sys.argv[2], "w")
o.write("# Hostile clients against vireo's RDP module (%s, %s, %d cores)\n\n" % (d["date"], d["host"], d["cores"]))
o.write("Produced by `bench/hostile.sh`: vireo-vrde-rdp.so in `rdp-host` (testsuite/rdp) with its defaults (%s), floods from `rdp-hostile` on 127.0.0.0/8, good clients and wrong logons from `rdp-probe`. Peaks read from /proc/PID every 0.2 s. Before this work (issue 11): one address with ~300 idle connections took the server to 1023 descriptors, 147 threads and 413 MB RSS, and a good TLS logon failed.\n\n" % d["module_defaults"])
o.write("| scenario | what | rest fds / threads / RSS MB | peak fds | peak threads | peak RSS MB | good TLS logon, connect ms | good NLA logon, connect ms |\n|---|---|---|---|---|---|---|---|\n")
for r in d["records"]:
    o.write("| %s | %s | %d / %d / %.0f | %d | %d | %.0f | %s | %s |\n" % (r["scenario"], r["what"], r["rest_fds"], r["rest_threads"], r["rest_rss_kb"] / 1024, r["peak_fds"], r["peak_threads"], r["peak_rss_kb"] / 1024, r["good_tls_connect_ms"] if r["good_tls_connect_ms"] is not None else "-", r["good_nla_connect_ms"] if r["good_nla_connect_ms"] is not None else "-"))
o.write("\nDetails per scenario (flood counts: opened, refused within 100 ms, dropped later by the server, held at the end, longest life before the server closed one):\n\n")
for r in d["records"]:
    extra = {k: v for k, v in r.items() if k not in ("scenario", "what") and not k.startswith(("rest_", "peak_", "good_"))}
    o.write("- **%s**: %s\n" % (r["scenario"], ", ".join("%s: `%s`" % (k, v) for k, v in extra.items())))
o.write("\nThe good TLS and NLA clients start together, a few seconds into each flood; connect ms is from the client's start to its session (FreeRDP retries a failed connection by itself). A figure of -1 or empty means the logon failed within its 60 s limit. In the many-address flood every attacker reconnects the moment it is dropped, on the same 2 cores as the server: the good client's connection then waits in the kernel's accept queue behind the flood's, which is what its connect time mostly measures.\n")
EOF
echo "wrote $out.json and $out.md"
