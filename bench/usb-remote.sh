#!/bin/sh
# usb-remote.sh - remote USB through RDP on loopback: stock xfreerdp
# (urbdrc) under Xvfb with the test-only libusb (testsuite/usb/
# synth-libusb.c) against vireo-headless running the testcard, with an
# OHCI controller and Remote filters for the synthetic devices.
#   bulk       the testcard echoes the vendor device's bulk IN to bulk
#              OUT; the library times from its first IN byte to the last
#              OUT byte of --bytes (MB/s each way, 10^6 bytes)
#   interrupt  the synthetic tablet always has a report; the library
#              times each interrupt IN round trip (a completion to the
#              next submission: urbdrc, RDP, the module, the VMM's OHCI,
#              the guest's poll and back) over VIREO_BENCH_SECONDS
# Medians of N runs.  Prints one JSON object and writes
# bench/results/usb-remote-<date>-<accel>.json.  Until the RDP module has
# the server side of MS-RDPEUSB it prints "usb-remote: not available:
# <reason>" and exits 0 without a result.  Not part of `make check`.
#
#   bench/usb-remote.sh [--top-builddir D] [--reps N] [--out DIR]
#                       [--accel A] [--bytes N]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=3
accel=software
out=$here/results
bytes=4194304
. "$here/vmm-lib.sh"
bench_options --accel:accel:A --bytes:bytes:N -- "$@"
secs=${VIREO_BENCH_SECONDS:-5}

unavailable() {
	echo "usb-remote: not available: $*" >&2
	exit 0
}
headless=$top/src/headless/vireo-headless
manage=$top/src/manage/vireo-manage
card=$top/src/guest/testcard.elf
module=$top/src/vrde/rdp/.libs/vireo-vrde-rdp.so
builddir=$top/testsuite
. "$top/testsuite/usb/lib.sh"
for f in "$headless" "$manage" "$card" "$module"; do
	[ -e "$f" ] || unavailable "$f is not built (make)"
done
synthusb_ready || unavailable "$SYNTHUSB_WHY"
for t in Xvfb xfreerdp; do
	command -v $t >/dev/null 2>&1 || unavailable "$t is not installed (tools/install-deps)"
done
grep -q URBDRC "$module" ||
	unavailable "the RDP module has no URBDRC dynamic channel yet (no server side of MS-RDPEUSB)"
mkdir -p "$out" || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/vireo-bench-usb.XXXXXX") || exit 1
VIREO_HOME=$work/home
VIREO_MODULE_DIR=$(dirname "$module")
VIREO_TESTCARD=$card
export VIREO_HOME VIREO_MODULE_DIR VIREO_TESTCARD
mkdir -p "$VIREO_HOME"
vm_pid= xvfb= viewer=
stop_all() {
	for p in $viewer $vm_pid $xvfb; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	viewer= vm_pid= xvfb=
}
trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print -1 }'; }

# run_vm NAME VID:PID: a VM with OHCI and a Remote filter for VID:PID;
# sets PORT, SER (its COM1 log) once the testcard is ready.
run_vm() {
	hw=off
	[ "$accel" = kvm ] && hw=on
	"$manage" createvm --name "$1" --register --basefolder "$work/vms" \
		>/dev/null &&
		"$manage" modifyvm "$1" --hwvirtex $hw --vrde on \
			--vrdeport 35000-35999 --vrdeauthtype null --usbohci on &&
		"$manage" usbfilter add 0 --target "$1" --name dev \
			--vendorid "${2%:*}" --productid "${2#*:}" --remote yes ||
		return 1
	"$headless" --startvm "$1" >"$work/$1.out" 2>&1 &
	vm_pid=$!
	SER=$work/vms/$1/Logs/serial.log
	PORT=
	for _ in $(seq 600); do
		PORT=$(sed -n 's/^VRDE server is listening on port \([0-9]*\)\..*/\1/p' \
			"$work/$1.out" 2>/dev/null | head -n 1)
		[ -n "$PORT" ] && grep -q '^testcard ready' "$SER" 2>/dev/null &&
			return 0
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "usb-remote: $1 did not come up: $(tail -n 3 "$work/$1.out")" >&2
	return 1
}

# run_viewer VID:PID DEVICES: xfreerdp with the test libusb offering them.
run_viewer() {
	# the last run's number must not be read before Xvfb writes its own
	rm -f "$work/display"
	Xvfb -displayfd 8 -screen 0 1024x768x24 -nolisten tcp -noreset \
		8>"$work/display" >/dev/null 2>&1 &
	xvfb=$!
	wait_for 10 test -s "$work/display" || return 1
	synthusb_env "$work"
	SYNTH_LIBUSB_DEVICES=$2
	export SYNTH_LIBUSB_DEVICES
	DISPLAY=:$(cat "$work/display")
	export DISPLAY
	synthusb_viewer "$work/xfreerdp.log" "$work" /port:"$PORT" \
		/u:bench /p:bench /usb:id:$1
	viewer=$SYNTHUSB_VIEWER
}

# bulk_run I: one echo of --bytes; its MB/s in $val.
bulk_run() {
	val=
	run_vm "bulk$1" 1209:0001 || return 1
	run_viewer 1209:0001 "vendor bytes=$bytes" || return 1
	wait_for 600 grep -qs "^bytes_out=$bytes\$" "$SYNTH_LIBUSB_RESULT"
	us=$(synthusb_result elapsed_us)
	match=$(synthusb_result match)
	if [ "$match" != yes ] || [ -z "$us" ] || [ "$us" = 0 ]; then
		echo "usb-remote: bulk run $1: no byte-exact echo (match=$match)" >&2
		return 1
	fi
	val=$(awk -v b="$bytes" -v us="$us" 'BEGIN { printf "%.3f", b / us }')
}

# intr_run I: the tablet polled for $secs; "p50 avg p99 transfers" in $val.
intr_run() {
	val=
	res=$work/tablet.result
	rm -f "$res"
	run_vm "intr$1" 0627:0001 || return 1
	run_viewer 0627:0001 \
		"tablet reports=16384,16384 repeat=1 interval=0 result=$res" ||
		return 1
	if ! wait_for 120 grep -Eq '^usb: port [0-9]+ 0627:0001' "$SER"; then
		echo "usb-remote: interrupt run $1: the guest never listed the tablet" >&2
		return 1
	fi
	sleep "$secs"
	synthusb_unplug tablet
	wait_for 10 test -s "$res"
	val="$(synthusb_result intr_rtt_us_p50 "$res") $(synthusb_result intr_rtt_us_avg "$res") $(synthusb_result intr_rtt_us_p99 "$res") $(synthusb_result intr_transfers "$res")"
}

mbps= p50= avg= p99= n=
for i in $(seq "$reps"); do
	bulk_run "$i" && mbps="$mbps $val"
	stop_all
	intr_run "$i"
	stop_all
	# shellcheck disable=SC2086
	set -- $val
	if [ $# = 4 ]; then
		p50="$p50 $1" avg="$avg $2" p99="$p99 $3" n="$n $4"
	fi
done
[ -n "$mbps$p50" ] || { echo "usb-remote: no run succeeded" >&2; exit 1; }
list() { echo $1 | tr ' ' ','; }
# (null where no run gave a figure)
med() { if [ -n "$1" ]; then echo $1 | tr ' ' '\n' | median; else echo null; fi; }
json="{\"accel\": \"$accel\", \"host\": \"$(uname -n)\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"reps\": $reps, \"bytes\": $bytes, \"window_s\": $secs, \"bulk_echo_MBps\": $(med "$mbps"), \"bulk_samples\": [$(list "$mbps")], \"intr_rtt_us_p50\": $(med "$p50"), \"intr_rtt_us_avg\": $(med "$avg"), \"intr_rtt_us_p99\": $(med "$p99"), \"intr_transfers\": [$(list "$n")]}"
echo "$json"
echo "$json" >"$out/usb-remote-$(date -u +%Y-%m-%d)-$accel.json"
