# scale.sh - the client-count scaling measurement (sourced by bench/run;
# used by part-scaling.sh for vireo and part-peers.sh for the peers).
#
# Per client count: the server's CPU seconds per second (minus its CPU
# with no client), its resident memory, and what each client received.
# With encoding done once per screen and shared, CPU per added client
# should stay far below the CPU of the first one; a server with one
# encoder per client (FreeRDP's shadow server) grows linearly.  The
# clients run on the same 2 cores, so at 16 and 32 they compete with the
# server for CPU.

scaling_counts=${VIREO_BENCH_CLIENTS:-1 4 16 32}
scale_seconds=${scale_seconds:-6}

# established PORT: TCP connections established to local PORT.
established() {
	ss -Htn state established "( sport = :$1 )" 2>/dev/null | wc -l
}

# json_median FILE KEY: median of the numeric KEY over FILE's JSON lines.
json_median() {
	sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | sort -n |
		awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}'
}

# perf_split FILE: "CODEC TLS" shares (0..1) of the samples in FILE:
# codec libraries (FreeRDP's codecs, libavcodec/x264, libjpeg-turbo) and
# TLS (libssl, libcrypto).  Empty without perf data.
perf_split() {
	[ -s "$1" ] || return 0
	perf report -i "$1" --sort dso --stdio 2>/dev/null | awk '
		/^#/ || NF < 2 { next }
		{ p = $1; sub(/%/, "", p) }
		$2 ~ /^lib(freerdp2|avcodec|x264|turbojpeg|jpeg|swscale)/ { c += p }
		$2 ~ /^lib(ssl|crypto)/ { t += p }
		END { printf "%.4f %.4f", c / 100, t / 100 }'
}

# perf_fields "CODEC TLS" C0 C1: JSON fields with the CPU s/s of each
# share (of the whole process, before any idle subtraction).
perf_fields() {
	[ -n "$1" ] || return 0
	echo "$1 $2 $3 $scale_seconds $(clk_tck)" | awk '{
		cpu = ($4 - $3) / $6 / $5
		printf ",\"codec_cpu_per_s\":%.4f,\"tls_cpu_per_s\":%.4f", $1 * cpu, $2 * cpu }'
}

# scaling_levels NAME PID PORT IDLE: every client count in turn.  When
# $scale_accel is set (vireo: the accelerator its VM runs on), every
# record names it.
scaling_levels() {
	for _lvl in $scaling_counts; do
		log "scaling: $1 with $_lvl clients"
		scaling_run "$1" "$2" "$3" "$4" "$_lvl"
	done
}

# scale_client NAME N PORT: one measuring client of server NAME in the
# run with N clients; VNC servers (scale_proto=vnc) get vnc-probe, the
# others rdp-watch.  Prints the client's JSON line.
scale_client() {
	if [ "${scale_proto:-rdp}" = vnc ]; then
		exec "$builddir/vnc-probe" --server "$1" --scenario "scale$2" \
			--key-interval 0 --seconds $((scale_seconds + 34)) \
			--timeout 60 127.0.0.1 "$3"
	fi
	exec "$builddir/rdp-watch" --server "$1" --scenario "scale$2" \
		--key-interval 0 --seconds $((scale_seconds + 34)) --timeout 60 \
		"/v:127.0.0.1:$3" /cert:ignore /u:bench /p:bench /sec:tls
}

# scaling_run NAME PID PORT IDLE N: N clients of server NAME (process
# PID, RDP on PORT, IDLE CPU s/s without clients); emits one record.
scaling_run() {
	_sname=$1 _spid=$2 _sport=$3 _sidle=$4 _n=$5
	_i=1
	_pids=
	while [ "$_i" -le "$_n" ]; do
		scale_client "$_sname" "$_n" "$_sport" \
			>"$work/scale-$_n-$_i.json" 2>>"$work/stderr.log" &
		_pids="$_pids $!"
		echo "$!" >>"$pids_file"
		_i=$((_i + 1))
	done
	# All connected (up to 30 s: TLS handshakes of 32 clients on 2
	# cores take a while), then 2 s to receive.
	for _w in $(seq 150); do
		[ "$(established "$_sport")" -ge "$_n" ] && break
		sleep 0.2
	done
	sleep 2
	_c0=$(cpu_ticks "$_spid")
	# Where the server's time goes (perf, if there): codec libraries
	# versus TLS, to see whether encoding grows with the clients.
	if command -v perf >/dev/null 2>&1; then
		perf record -q -e cpu-clock -F 499 -p "$_spid" \
			-o "$work/perf.data" -- sleep "$scale_seconds" \
			>/dev/null 2>&1 || sleep "$scale_seconds"
	else
		sleep "$scale_seconds"
	fi
	_c1=$(cpu_ticks "$_spid")
	_split=$(perf_split "$work/perf.data")
	rm -f "$work/perf.data"
	_rss=$(rss_kb "$_spid")
	# The clients' own windows run longer than the server's; end them
	# (SIGTERM makes rdp-watch report what it has).
	for _p in $_pids; do
		kill "$_p" 2>/dev/null
	done
	for _p in $_pids; do
		wait "$_p" 2>/dev/null
	done
	cat "$work"/scale-"$_n"-*.json 2>/dev/null | grep '^{' >"$work/scale-$_n.all"
	_ok=$(wc -l <"$work/scale-$_n.all")
	_per=$(json_median "$work/scale-$_n.all" fps)
	_bps=$(json_median "$work/scale-$_n.all" bytes_per_s)
	_cpu=$(echo "$_c0 $_c1 $scale_seconds $(clk_tck) $_sidle" |
		awk '{c = ($2 - $1) / $4 / $3 - $5; printf "%.4f", c < 0 ? 0 : c}')
	_ccmd='bench/rdp-watch --key-interval 0 /v:127.0.0.1:PORT /cert:ignore /u:bench /p:bench /sec:tls'
	[ "${scale_proto:-rdp}" = vnc ] &&
		_ccmd='bench/vnc-probe --key-interval 0 127.0.0.1 PORT'
	emit "{\"cmd\":\"$_n x $_ccmd; server CPU from /proc/PID/stat over $scale_seconds s once all are connected\",\"rep\":1,\"bench\":\"scaling\",\"server\":\"$_sname\",${scale_accel:+\"accel\":\"$scale_accel\",}\"clients\":$_n,\"clients_ok\":$_ok,\"server_cpu_per_s\":$_cpu,\"server_rss_kb\":${_rss:-0},\"fps_per_client\":$_per,\"bytes_per_s_per_client\":$_bps$(perf_fields "$_split" "$_c0" "$_c1")}"
}

