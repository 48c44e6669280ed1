#!/bin/sh
# savestate.sh - saved-state figures of the VMM: for guests of 64, 256 and
# 1024 MiB with the testcard drawing (busy), the time vmm_save_state()
# takes (pause already done; written, fsynced, renamed), the file's size,
# and the time vmm_restore_state() takes in a fresh process (until the VM
# could start), measured with vmm-run on one accelerator; next to
# Firecracker's documented snapshot resume (< 8 ms, p90 5 ms, 512 MB, on
# KVM: ../shared/reference/teleport-facts.md §5).  Prints one JSON object
# and writes bench/results/savestate-<date>-<accel>.json.
# Not part of `make check` (timings never are).
#
# What the figures are: the testcard touches little of guest RAM, and
# pages of zeros are neither written nor read, so the file (and the time)
# grow with what the guest wrote - here mostly VRAM - not with the RAM
# size.  The restore clears guest memory first (madvise), whatever its
# size.  The machine's load average (/proc/loadavg) before and after each
# size goes with the figures: other work on the host stretches the times.
#
#   bench/savestate.sh [--top-builddir D] [--reps N] [--out DIR]
#                      [--accel software|kvm] [--sizes "64 256 1024"]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=3
accel=software
sizes="64 256 1024"
out=$here/results
. "$here/vmm-lib.sh"
bench_options --accel:accel:A --sizes:sizes:LIST -- "$@"
vmm_bench_ready savestate
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export VIREO_TESTCARD=$card

loadavg() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ','; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print -1 }'; }

json="{\"accel\": \"$accel\", \"host\": \"$(uname -n)\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"reps\": $reps, \"cpus\": $(nproc), \"firecracker_resume_ms\": 8, \"sizes\": ["
first=1
for mib in $sizes; do
	: >"$tmp/save"
	: >"$tmp/restore"
	: >"$tmp/bytes"
	load0=$(loadavg)
	i=0
	while [ $i -lt "$reps" ]; do
		o=$(timeout 300 "$run" -A "$accel" -m "$mib" -H 2 -t 120 \
			"serial:testcard ready" damage:0 pause "save:$tmp/s.sav" \
			poweroff exit:host-poweroff 2>/dev/null)
		echo "$o" | sed -n 's/^# save took \([0-9.]*\) ms, \([0-9]*\) bytes$/\1/p' >>"$tmp/save"
		echo "$o" | sed -n 's/^# save took [0-9.]* ms, \([0-9]*\) bytes$/\1/p' >>"$tmp/bytes"
		o=$(timeout 300 "$run" -A "$accel" -m "$mib" -H 2 -t 120 \
			-R "$tmp/s.sav" resume poweroff exit:host-poweroff 2>/dev/null)
		echo "$o" | sed -n 's/^# restore took \([0-9.]*\) ms$/\1/p' >>"$tmp/restore"
		rm -f "$tmp/s.sav"
		i=$((i + 1))
	done
	[ $first = 1 ] || json="$json, "
	first=0
	json="$json{\"ram_mib\": $mib, \"heads\": 2, \"save_ms\": $(median <"$tmp/save"), \"restore_ms\": $(median <"$tmp/restore"), \"file_bytes\": $(median <"$tmp/bytes"), \"save_samples_ms\": [$(paste -sd, "$tmp/save")], \"restore_samples_ms\": [$(paste -sd, "$tmp/restore")], \"loadavg_before\": [$load0], \"loadavg_after\": [$(loadavg)]}"
done
json="$json]}"
echo "$json"
echo "$json" >"$out/savestate-$(date -u +%Y-%m-%d)-$accel.json"
