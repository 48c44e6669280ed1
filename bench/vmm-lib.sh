# vmm-lib.sh - what the benchmarks run on their own (savestate.sh,
# teleport.sh, usb.sh, usb-remote.sh, vmm-boot.sh) share: their options
# and, for the VMM's, the check before they measure.  Sourced first.

# bench_options SPEC -- "$@": parse the script's options.  Every script
# takes --top-builddir D, --reps N and --out DIR (into $top, $reps,
# $out); SPEC adds its own as words --NAME:VAR:META ("--sizes:sizes:LIST"
# sets $sizes).  Each option takes one value.  An unknown option (or
# --help) prints the usage line on stderr and exits 2.
bench_options() {
	_spec="--top-builddir:top:D --reps:reps:N --out:out:DIR"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_spec="$_spec $1"
		shift
	done
	[ $# -gt 0 ] && shift
	while [ $# -gt 0 ]; do
		_var=
		for _s in $_spec; do
			if [ "${_s%%:*}" = "$1" ]; then
				_var=${_s#*:}
				_var=${_var%:*}
			fi
		done
		if [ -z "$_var" ]; then
			_usage="usage: $0"
			for _s in $_spec; do
				_usage="$_usage [${_s%%:*} ${_s##*:}]"
			done
			echo "$_usage" >&2
			exit 2
		fi
		eval "$_var=\$2"
		shift 2
	done
}

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
