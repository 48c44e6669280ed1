# vmm-lib.sh - what the VMM benchmarks run on their own (savestate.sh,
# usb.sh) check before they measure; sourced after their options.

# vmm_bench_ready NAME: $top's vmm-run and testcard are built, the VMM's
# probe says $accel works here, and $out exists; sets $run and $card.
# Exits (1: not built; the probe's status: accelerator unusable) with a
# line naming NAME otherwise.
vmm_bench_ready() {
	run=$top/testsuite/vmm/vmm-run
	card=$top/src/guest/testcard.elf
	if [ ! -x "$run" ] || [ ! -f "$card" ]; then
		echo "$1: build first (make && make -C testsuite vmm/vmm-run)" >&2
		exit 1
	fi
	_why=$("$run" -A "$accel" -P 2>&1)
	_rc=$?
	if [ "$_rc" != 0 ]; then
		echo "$1: not measured on $accel: ${_why:-probe exit $_rc}" >&2
		exit "$_rc"
	fi
	mkdir -p "$out" || exit 1
}
