# part-vnc.sh - vireo's VNC module next to QEMU's VNC server (sourced by
# bench/run): vireo-headless running the testcard guest with
# vireo-vrde-vnc.so, measured by vnc-probe exactly as part-qemu.sh
# measures QEMU (delivered frames, key-to-display latency, bytes, server
# CPU per frame), then 1, 4, 16 and 32 vnc-probe viewers on each server
# (scale.sh).
#
# vireo's CPU figure is vireo-headless minus its CPU with no viewer (the
# guest's vCPU draws in the same process); QEMU's excludes its TCG
# threads for one viewer and subtracts its idle CPU when scaling.

vireo_functions_only=1
. "$srcdir/part-vireo.sh"
qemu_functions_only=1
. "$srcdir/part-qemu.sh"

# vnc_vireo: one viewer, then the scaling levels, on one vireo-headless.
vnc_vireo() {
	_why=$(vireo_missing VNC)
	if [ -n "$_why" ]; then
		not_measured serve vireo-vnc "$_why"
		return
	fi
	if ! vireo_start VNC; then
		not_measured serve vireo-vnc "vireo-headless did not start its VNC server (see $work/vireo.log)"
		stop "$vireo_pid"
		return
	fi
	sleep 2 # the guest boots and draws
	vireo_idle=$(cpu_rate "$vireo_pid" 3)
	log "vireo-vnc: measuring on port $vireo_port, accelerator $vireo_accel (idle CPU $vireo_idle s/s)"
	record_accel=$vireo_accel
	_rep=1
	while [ "$_rep" -le "$reps" ]; do
		# shellcheck disable=SC2046 # scene_watch_args is words
		record "$_rep" timeout $((serve_seconds + 60)) "$vp" \
			--server vireo-vnc $(scene_watch_args) --server-pid "$vireo_pid" \
			--cpu-baseline "$vireo_idle" --seconds "$serve_seconds" \
			--timeout 30 127.0.0.1 "$vireo_port" ||
			log "vireo-vnc: vnc-probe failed (exit $?)"
		_rep=$((_rep + 1))
	done
	record_accel=
	note vireo-vnc "vireo-headless with the testcard guest and vireo's VNC module (vireo-vrde-vnc.so, --vrde-extpack VNC), security None on loopback, the encodings libvncclient negotiates by default (Tight/ZRLE, lossless), on the $vireo_accel accelerator; server CPU is vireo-headless minus its CPU with no viewer ($vireo_idle s/s here).  One encoder per screen and encoding, its bytes shared by the viewers that asked for the same encoding."
	# viewer counts are measured on the test card only
	if [ "$scene" = rect ]; then
		scale_proto=vnc
		scale_accel=$vireo_accel
		scaling_levels vireo-vnc "$vireo_pid" "$vireo_port" "$vireo_idle"
		scale_proto=
		scale_accel=
	fi
	stop "$vireo_pid"
}

# vnc_qemu_scaling: the same viewer counts on QEMU's VNC server.
vnc_qemu_scaling() {
	command -v qemu-system-x86_64 >/dev/null ||
		{ not_measured scaling qemu-vnc "qemu-system-x86_64 not installed (tools/install-deps --bench)"; return; }
	[ -x "$vp" ] && [ -f "$qimg" ] ||
		{ not_measured scaling qemu-vnc "bench/vnc-probe or bench/testcard-qemu.elf not built"; return; }
	qemu_start tcg scale
	if ! wait_port "$qemu_port" 30; then
		not_measured scaling qemu-vnc "QEMU did not open its VNC port (see $work/qemu-scale.log)"
		stop "$qemu_pid"
		return
	fi
	sleep 2
	scale_proto=vnc
	scale_accel=tcg
	scaling_levels qemu-vnc "$qemu_pid" "$qemu_port" "$(cpu_rate "$qemu_pid" 3)"
	scale_proto=
	scale_accel=
	stop "$qemu_pid"
}

vnc_vireo
# QEMU's one-viewer figures come from part peers; run alone, this part
# measures them too, so that both servers are in one table
want peers || peer_qemu
[ "$scene" = rect ] && vnc_qemu_scaling
