#!/bin/sh
# usb.sh - what the OHCI controller costs a running VM: the process's CPU
# (cores) and the testcard's frame rate over VIREO_BENCH_SECONDS with no
# USB, with the controller alone (vmm-run -u: the testcard runs it, no
# device) and with the USB tablet polled by the testcard (-U), the
# median of N runs each, on one accelerator.  The controller walks the
# guest's schedule every 1 ms (a USB frame) while it is operational, as
# hardware and QEMU's do; this is that walk's price.  Prints one JSON
# object and writes bench/results/usb-<date>-<accel>.json.
# Not part of `make check` (timings never are).
#
#   bench/usb.sh [--top-builddir D] [--reps N] [--out DIR] [--accel A]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=3
accel=software
out=$here/results
. "$here/vmm-lib.sh"
bench_options --accel:accel:A -- "$@"
vmm_bench_ready usb
export VIREO_TESTCARD=$card
export VIREO_BENCH_SECONDS=${VIREO_BENCH_SECONDS:-5}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print -1 }'; }
field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }

json="{\"accel\": \"$accel\", \"host\": \"$(uname -n)\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"reps\": $reps, \"window_s\": $VIREO_BENCH_SECONDS, \"configs\": ["
first=1
for cfg in none ohci tablet; do
	case $cfg in
	none) flag= ;;
	ohci) flag=-u ;;
	tablet) flag=-U ;;
	esac
	cpu= fps=
	for _ in $(seq "$reps"); do
		line=$("$run" -A "$accel" -b $flag "serial:testcard ready" \
			poweroff exit:host-poweroff 2>/dev/null | grep '^{')
		cpu="$cpu $(echo "$line" | field cpu_cores)"
		fps="$fps $(echo "$line" | field fps)"
	done
	mc=$(echo $cpu | tr ' ' '\n' | median)
	mf=$(echo $fps | tr ' ' '\n' | median)
	[ $first = 1 ] || json="$json, "
	first=0
	json="$json{\"usb\": \"$cfg\", \"cpu_cores\": $mc, \"fps\": $mf, \"cpu_samples\": [$(echo $cpu | tr ' ' ',')]}"
done
json="$json]}"
echo "$json"
echo "$json" >"$out/usb-$(date -u +%Y-%m-%d)-$accel.json"
