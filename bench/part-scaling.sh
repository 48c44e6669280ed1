# part-scaling.sh - 1, 4, 16 and 32 rdp-watch clients on one vireo screen
# (sourced by bench/run after part-vireo.sh, whose functions it uses).
#
# The measurement itself is in scale.sh.

scaling() {
	_why=$(vireo_missing)
	if [ -n "$_why" ]; then
		not_measured scaling vireo "$_why"
		return
	fi
	if ! vireo_start; then
		not_measured scaling vireo "vireo-headless did not start its RDP server"
		stop "$vireo_pid"
		return
	fi
	sleep 2
	vireo_idle=$(cpu_rate "$vireo_pid" 3)
	log "scaling: vireo on the $vireo_accel accelerator"
	scale_accel=$vireo_accel
	scaling_levels vireo "$vireo_pid" "$vireo_port" "$vireo_idle"
	scale_accel=
	stop "$vireo_pid"
}

vireo_functions_only=1
. "$srcdir/part-vireo.sh"
scaling
