# hostile-lib.sh - helpers for the hostile-client tests; source after
# rdp/lib.sh.
#
#   proc_sample PID             # "fds threads rss_kb" of a process now
#   sampler_start PID FILE      # sample every 0.2 s (at most 10 min)
#   sampler_stop                # FILE then holds the maxima
#   flood PORT [rdp-hostile flood options]   # counts on stdout
#   relay_start PORT NET        # rdp-hostile's relay; sets RELAY, RELAY_PID
#   relay_stop                  # (also for the caller's EXIT trap)
#   wait_ok PID...              # sets WAIT_OK: how many exited 0
HOSTILE=$builddir/rdp/rdp-hostile

proc_sample() {
	fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
	threads=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	echo "${fds:-0} ${threads:-0} ${rss:-0}"
}

# Keep the maxima of fds, threads and RSS of PID in FILE until stopped.
sampler_start() {
	(
		max_f=0 max_t=0 max_r=0
		for _ in $(seq 3000); do
			kill -0 "$1" 2>/dev/null || break
			set -- "$1" "$2" $(proc_sample "$1")
			[ "$3" -gt $max_f ] && max_f=$3
			[ "$4" -gt $max_t ] && max_t=$4
			[ "$5" -gt $max_r ] && max_r=$5
			echo "$max_f $max_t $max_r" >"$2.tmp" && mv "$2.tmp" "$2"
			[ -e "$2.stop" ] && break
			sleep 0.2
		done
	) &
	SAMPLER_PID=$!
	SAMPLER_FILE=$2
}

sampler_stop() {
	touch "$SAMPLER_FILE.stop"
	wait "$SAMPLER_PID" 2>/dev/null
	rm -f "$SAMPLER_FILE.stop"
}

flood() {
	timeout 150 "$HOSTILE" flood "$@"
}

# field NAME "k=v k=v ...": the value of NAME
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# probe_tries NAME LOG PROBE-ARGS...: one TAP line; the probe (the
# caller's `probe`) must exit 0 within 3 tries.  A refused or replaced
# viewer during a flood is what a user sees as "could not connect" and
# tries again.  Each failed try is reported with the probe's error and
# the server's last lines about 127.0.0.1 from LOG, so a failure says why.
probe_tries() {
	pt_name=$1 pt_log=$2
	shift 2
	pt_try=0
	while [ $pt_try -lt 3 ]; do
		pt_try=$((pt_try + 1))
		PROBE_OUT=$(probe "$@")
		pt_rc=$?
		[ $pt_rc = 0 ] && break
		diag "$pt_name: try $pt_try failed: ${PROBE_OUT##*\"error\":}"
		grep -F '127.0.0.1' "$pt_log" 2>/dev/null | tail -n 5 |
			sed 's/^/#   /'
	done
	tap_result $pt_rc "$pt_name (try $pt_try of at most 3)"
}

# relay_start PORT NET: rdp-hostile's relay to PORT, giving every
# connection the next source address of 127.NET.x; sets RELAY (its port,
# empty when it did not come up in 5 s) and RELAY_PID.  The caller's EXIT
# trap calls relay_stop.
relay_start() {
	"$HOSTILE" relay "$1" --sources 250 --net "$2" --seconds 300 \
		>"$TMPD/relay.out" 2>&1 &
	RELAY_PID=$!
	RELAY=
	for _ in $(seq 50); do
		RELAY=$(sed -n 's/^relay port //p' "$TMPD/relay.out")
		[ -n "$RELAY" ] && break
		sleep 0.1
	done
}

relay_stop() {
	if [ -n "${RELAY_PID:-}" ]; then
		kill "$RELAY_PID" 2>/dev/null
		wait "$RELAY_PID" 2>/dev/null
		RELAY_PID=
	fi
}

# wait_ok PID...: wait for the caller's children; WAIT_OK is how many of
# them exited 0 (a variable: in a $(...) subshell they are not children).
wait_ok() {
	WAIT_OK=0
	for wo_pid; do
		wait "$wo_pid" && WAIT_OK=$((WAIT_OK + 1))
	done
}
