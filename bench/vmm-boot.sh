#!/bin/sh
# vmm-boot.sh - the VMM's start-up figures: time from process start to the
# first testcard frame the display model hands out (and to the testcard's
# "ready" line on COM1), the VMM's resident memory beyond guest RAM
# (VRAM, shadow copies, threads, libraries), and then, with the card
# running, its frames per second and the process's CPU, measured with
# vmm-run -b on one accelerator.  Prints one JSON object and writes
# bench/results/vmm-<date>-<accel>.json.
# Not part of `make check` (timings never are).
#
#   bench/vmm-boot.sh [--top-builddir D] [--reps N] [--heads N] [--out DIR]
#                     [--accel software|kvm|auto] [--seconds S]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=5
heads=1
accel=auto
seconds=5
out=$here/results
. "$here/vmm-lib.sh"
bench_options --heads:heads:N --accel:accel:A --seconds:seconds:S -- "$@"
# (the probe passes auto: whichever accelerator vireo would pick)
vmm_bench_ready vmm-boot
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
i=0
while [ $i -lt "$reps" ]; do
	t0=$(date +%s%N)
	VIREO_BENCH_T0=$t0 VIREO_BENCH_SECONDS=$seconds VIREO_TESTCARD=$card \
		timeout $((seconds + 90)) "$run" -A "$accel" -b -H "$heads" \
		"serial:testcard ready" poweroff exit:host-poweroff 2>/dev/null |
		grep '^{' >>"$tmp"
	i=$((i + 1))
done
python3 - "$tmp" "$heads" "$reps" "$out/vmm-$(date -u +%Y-%m-%d)" "$accel" "$seconds" <<'PY'
import json, statistics, sys, platform
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not rows:
    sys.exit("vmm-boot: no measurement succeeded")
med = lambda k: statistics.median(r[k] for r in rows)
accel = ",".join(sorted({r["accel"] for r in rows}))
res = {
    "benchmark": "vmm-boot",
    "host": platform.node(),
    "accel": accel,
    "heads": int(sys.argv[2]),
    "guest_ram_mib": 64,
    "reps": len(rows),
    "first_frame_ms_median": med("first_update_ms"),
    "testcard_ready_ms_median": med("ready_ms"),
    "rss_beyond_guest_ram_kib_median": med("rss_beyond_guest_ram_kib"),
    "rss_total_kib_median": med("rss_kib"),
    "fps_median": med("fps"),
    "cpu_cores_median": med("cpu_cores"),
    "load_at_end": open("/proc/loadavg").read().split()[0],
    "runs": rows,
    "command": "VIREO_BENCH_T0=$(date +%%s%%N) VIREO_BENCH_SECONDS=%s testsuite/vmm/vmm-run -A %s -b -H %s 'serial:testcard ready' poweroff exit:host-poweroff" % (sys.argv[6], sys.argv[5], sys.argv[2]),
}
open("%s-%s.json" % (sys.argv[4], accel), "w").write(json.dumps(res, indent=2) + "\n")
print(json.dumps({k: v for k, v in res.items() if k != "runs"}))
print("%s: time to first testcard frame: %.1f ms (median of %d); VMM memory beyond guest RAM: %d KiB; "
      "%.1f frames/s using %.2f cores"
      % (accel, res["first_frame_ms_median"], len(rows), res["rss_beyond_guest_ram_kib_median"],
         res["fps_median"], res["cpu_cores_median"]))
PY
