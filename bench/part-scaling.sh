# part-scaling.sh - 1, 4, 16 and 32 rdp-watch clients on one vireo screen
# (sourced by bench/run after part-vireo.sh, whose functions it uses).
#
# Per client count: the server's CPU seconds per second (minus its CPU
# with no client), its resident memory, and what each client received.
# With encoding done once per screen and shared, CPU per added client
# should stay far below the CPU of the first one.  The clients run on the
# same 2 cores, so at 16 and 32 they compete with the server.

scaling_counts=${VIREO_BENCH_CLIENTS:-1 4 16 32}

scaling_run() {
	_n=$1
	_i=1
	_pids=
	while [ "$_i" -le "$_n" ]; do
		"$rw" --server vireo --scenario "scale$_n" --key-interval 0 \
			--seconds $((serve_seconds + 4)) --timeout 60 \
			"/v:127.0.0.1:$vireo_port" /cert:ignore /u:bench \
			/p:bench /sec:tls >"$work/scale-$_n-$_i.json" \
			2>>"$work/stderr.log" &
		_pids="$_pids $!"
		echo "$!" >>"$pids_file"
		_i=$((_i + 1))
	done
	sleep 4 # all connected and receiving
	_c0=$(cpu_ticks "$vireo_pid")
	sleep "$serve_seconds"
	_c1=$(cpu_ticks "$vireo_pid")
	_rss=$(rss_kb "$vireo_pid")
	for _p in $_pids; do
		wait "$_p" 2>/dev/null
	done
	cat "$work"/scale-"$_n"-*.json 2>/dev/null | grep '^{' >"$work/scale-$_n.all"
	_ok=$(wc -l <"$work/scale-$_n.all")
	_per=$(awk -F'"fps":' '{split($2, a, ","); print a[1]}' "$work/scale-$_n.all" |
		sort -n | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}')
	_bps=$(awk -F'"bytes_per_s":' '{split($2, a, ","); print a[1]}' "$work/scale-$_n.all" |
		sort -n | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}')
	_cpu=$(echo "$_c0 $_c1 $serve_seconds $(clk_tck) $vireo_idle" |
		awk '{c = ($2 - $1) / $4 / $3 - $5; printf "%.4f", c < 0 ? 0 : c}')
	emit "{\"cmd\":\"$_n x bench/rdp-watch --key-interval 0 --seconds $((serve_seconds + 4)) /v:127.0.0.1:PORT /cert:ignore /u:bench /p:bench /sec:tls; server CPU from /proc/PID/stat over $serve_seconds s\",\"rep\":1,\"bench\":\"scaling\",\"server\":\"vireo\",\"clients\":$_n,\"clients_ok\":$_ok,\"server_cpu_per_s\":$_cpu,\"server_rss_kb\":${_rss:-0},\"fps_per_client\":$_per,\"bytes_per_s_per_client\":$_bps}"
}

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
	for _n in $scaling_counts; do
		log "scaling: $_n clients"
		scaling_run "$_n"
	done
	stop "$vireo_pid"
}

vireo_functions_only=1
. "$srcdir/part-vireo.sh"
scaling
