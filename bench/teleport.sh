#!/bin/sh
# teleport.sh - teleport figures (vireo-teleport(7)): for guests of 64,
# 256 and 1024 MiB with the testcard drawing (busy), two vireo-headless on
# loopback driven by vireo-manage: the downtime (from the source's stop
# to the target's confirmation that the guest runs) and the total time of
# `controlvm teleport`, as the command reports them, with the bytes sent
# and the pre-copy rounds; next to the default downtime limits of
# VirtualBox (250 ms), QEMU and cloud-hypervisor (300 ms)
# (../shared/reference/teleport-facts.md, 5).  Prints one JSON object and
# writes bench/results/teleport-<date>-<accel>.json.
# Not part of `make check` (timings never are).
#
# What the figures are: pages of zeros are not sent, so the stream grows
# with what the guest wrote (mostly VRAM), not with the RAM size; the
# first pass still reads all of RAM to find them.  On the software CPU
# the copy is live (a write hook); on KVM too (the slots' dirty logs).
#
# A sample is good when `controlvm teleport` reported its figures; each
# size runs until it has --reps good samples (at most twice that many
# tries), and the JSON says how many tries failed and why.  The machine's
# load average (/proc/loadavg) before and after each size goes with the
# figures: other work on the host stretches both times.
#
#   bench/teleport.sh [--top-builddir D] [--reps N] [--out DIR]
#                     [--sizes "64 256 1024"] [--maxdowntime MS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=5
sizes="64 256 1024"
maxdown=250
out=$here/results
. "$here/vmm-lib.sh"
bench_options --sizes:sizes:LIST --maxdowntime:maxdown:MS -- "$@"
card=$top/src/guest/testcard.elf
if [ ! -x "$top/src/headless/vireo-headless" ] || [ ! -f "$card" ]; then
	echo "teleport: build first (make)" >&2
	exit 1
fi
PATH=$top/src/headless:$top/src/manage:$PATH
export VIREO_TESTCARD=$card
mkdir -p "$out" || exit 1
tmp=$(mktemp -d) || exit 1
export VIREO_HOME=$tmp/home
mkdir -p "$VIREO_HOME"
uuids=
cleanup() {
	[ -n "$uuids" ] && for p in $(pgrep -f "vireo-headless --startvm [{]?(${uuids#|})"); do
		kill -KILL "$p"
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"; [ -z "${KEEP_TMP:-}" ] || echo "kept $tmp" >&2
}
trap cleanup EXIT
trap 'exit 1' INT TERM
vm() { timeout 300 vireo-manage "$@"; }
key() { vm showvminfo "$1" --machinereadable | sed -n "s/^$2=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p"; }
# (its own counter: sh has no locals, and the callers count samples)
wait_for() { # vm key value
	w=0
	while [ $w -lt 600 ] && [ "$(key "$1" "$2")" != "$3" ]; do
		sleep 0.1
		w=$((w + 1))
	done
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ','; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print -1 }'; }
echo 'bench password' >"$tmp/pw"
accel=

json_sizes=
for mib in $sizes; do
	: >"$tmp/down"
	: >"$tmp/total"
	: >"$tmp/bytes"
	: >"$tmp/rounds"
	for n in s$mib t$mib; do
		vm createvm --name $n --register --basefolder "$tmp/vms" >/dev/null
		vm modifyvm $n --memory "$mib" --cpus 1
		uuids="$uuids|$(key $n UUID)"
	done
	vm modifyvm t$mib --teleporter on --teleporter-password-file "$tmp/pw"
	load0=$(loadavg)
	good=0
	tries=0
	: >"$tmp/failures"
	while [ $good -lt "$reps" ] && [ $tries -lt $((2 * reps)) ]; do
		tries=$((tries + 1))
		# a fresh source each time, drawing a while before it moves
		vm startvm s$mib >/dev/null
		accel=$(key s$mib accelerator)
		vm startvm t$mib >/dev/null
		wait_for t$mib VMState teleportingin
		j=0
		while [ $j -lt 100 ] && [ "$(key t$mib teleporterport)" = 0 ]; do
			sleep 0.1
			j=$((j + 1))
		done
		sleep 2
		o=$(vm controlvm s$mib teleport --host 127.0.0.1 \
			--port "$(key t$mib teleporterport)" --passwordfile "$tmp/pw" \
			--fingerprint "$(key t$mib teleporterfingerprint)" \
			--maxdowntime "$maxdown" 2>&1)
		if echo "$o" | grep -q '^downtime_ms=' &&
			echo "$o" | grep -q '^total_ms='; then
			good=$((good + 1))
			echo "$o" | sed -n 's/^downtime_ms=//p' >>"$tmp/down"
			echo "$o" | sed -n 's/^total_ms=//p' >>"$tmp/total"
			echo "$o" | sed -n 's/^bytes=//p' >>"$tmp/bytes"
			echo "$o" | sed -n 's/^rounds=//p' >>"$tmp/rounds"
		else
			echo "teleport: $mib MiB, try $tries: $o" >&2
			echo "$o" | tr '\n"\\' '  /' | cut -c1-200 >>"$tmp/failures"
		fi
		for n in s$mib t$mib; do
			vm controlvm $n poweroff >/dev/null 2>&1
			wait_for $n VMState poweroff
		done
	done
	load1=$(loadavg)
	for n in s$mib t$mib; do vm controlvm $n poweroff >/dev/null 2>&1; done
	[ -z "$json_sizes" ] || json_sizes="$json_sizes, "
	json_sizes="$json_sizes{\"ram_mib\": $mib, \"downtime_ms\": $(median <"$tmp/down"), \"total_ms\": $(median <"$tmp/total"), \"bytes\": $(median <"$tmp/bytes"), \"rounds\": $(median <"$tmp/rounds"), \"downtime_samples_ms\": [$(paste -sd, "$tmp/down")], \"total_samples_ms\": [$(paste -sd, "$tmp/total")], \"good\": $good, \"failed\": $((tries - good)), \"failures\": [$(sed 's/.*/"&"/' "$tmp/failures" | paste -sd,)], \"loadavg_before\": [$load0], \"loadavg_after\": [$load1]}"
done
json="{\"accel\": \"${accel:-unknown}\", \"host\": \"$(uname -n)\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"reps\": $reps, \"cpus\": $(nproc), \"maxdowntime_ms\": $maxdown, \"defaults_ms\": {\"virtualbox\": 250, \"qemu\": 300, \"cloud-hypervisor\": 300}, \"sizes\": [$json_sizes]}"
echo "$json"
echo "$json" >"$out/teleport-$(date -u +%Y%m%d)-${accel:-unknown}.json"
