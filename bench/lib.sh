# lib.sh - helpers shared by bench/run's parts (sourced, POSIX sh).
#
# Every measurement ends up as one JSON object per line in $raw.  The
# helpers add the command that produced it and the repetition number, so
# every figure in the results can be reproduced by hand.

log() {
	echo "bench: $*" >&2
}

# JSON string escaping for the few characters that occur in commands.
json_str() {
	printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' |
		tr '\n' ' '
}

# emit JSON-OBJECT: append a finished record.
emit() {
	printf '%s\n' "$1" >>"$raw"
}

# not_measured PART NAME REASON
not_measured() {
	log "$1/$2 not measured: $3"
	emit "{\"bench\":\"$1\",\"name\":\"$2\",\"not_measured\":\"$(json_str "$3")\"}"
}

# note NAME TEXT: a remark printed with the results (what differs).
note() {
	emit "{\"bench\":\"note\",\"name\":\"$1\",\"text\":\"$(json_str "$2")\"}"
}

# record REP CMD... : runs CMD; each JSON line it prints is stored with
# "cmd" and "rep" added (and "accel" when $record_accel names the
# accelerator the server's VM runs on).  Returns CMD's exit status.
record() {
	_rep=$1
	shift
	# Paths in the build tree are shown relative to it.
	_cmd=$(json_str "$*" | sed "s|$top_builddir/||g")
	_extra=
	[ -n "${record_accel:-}" ] && _extra="\"accel\":\"$record_accel\","
	"$@" >"$work/record.out" 2>>"$work/stderr.log"
	_rc=$?
	grep '^{' "$work/record.out" |
		sed "s|^{|{\"cmd\":\"$(printf '%s' "$_cmd" | sed 's/[|&]/\\&/g')\",\"rep\":$_rep,$_extra|" \
			>>"$raw"
	return $_rc
}

# kvm_unusable: why KVM cannot run a VM here, or nothing when it can.
# Asks the VMM's own probe (vmm-run -A kvm -P: it opens /dev/kvm only
# when it is a character device and checks the API), so the answer is
# the one vireo would get; nothing here opens a device path itself.
kvm_unusable() {
	_vr=$top_builddir/testsuite/vmm/vmm-run
	if [ ! -x "$_vr" ]; then
		echo "testsuite/vmm/vmm-run was not built (it probes KVM)"
		return
	fi
	_pr=$("$_vr" -A kvm -P 2>&1)
	_prc=$?
	case $_prc in
	0) ;;
	77) echo "${_pr:-KVM is not available here}" ;;
	*) echo "the KVM probe failed (exit $_prc): $_pr" ;;
	esac
}

# accel_of_log FILE: the accelerator a VM runs on, from the VMM's
# "accelerator: software|kvm" line in its log; empty if not there yet.
accel_of_log() {
	sed -n 's/.* vmm: accelerator: \([a-z]*\).*/\1/p' "$1" 2>/dev/null |
		head -n1
}

# bg NAME CMD... : starts CMD in the background, output to $work/NAME.log;
# sets $bg_pid.  The pid is ended when the run exits.
bg() {
	_bg_name=$1
	shift
	"$@" >"$work/$_bg_name.log" 2>&1 &
	bg_pid=$!
	echo "$bg_pid" >>"$pids_file"
}

# stop PID: ends one process we started and waits for it.
stop() {
	kill "$1" 2>/dev/null
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# cpu_ticks PID: user+system clock ticks of PID and its waited-for
# children (fields 14-17 of /proc/PID/stat; the comm field may contain
# spaces, so cut after the last ')').
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
		awk '{print $12 + $13 + $14 + $15}'
}

# rss_kb PID: resident set size in KiB.
rss_kb() {
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

clk_tck() {
	getconf CLK_TCK
}

# cpu_rate PID SECONDS: CPU seconds per second PID uses over SECONDS.
cpu_rate() {
	_c0=$(cpu_ticks "$1")
	sleep "$2"
	_c1=$(cpu_ticks "$1")
	echo "$_c0 $_c1 $2 $(clk_tck)" | awk '{printf "%.4f", ($2 - $1) / $4 / $3}'
}

# The scene every server shows in this pass of bench/run ($scene):
#   rect       the test card (its 320x180 video rectangle and counter
#              change), 30 frames per second; keys typed for latency
#   desktop    the desktop scene (testcard.h: scrolling text, a dragged
#              window, a whole-head animation), 30 frames per second
#   desktop60  the same at 60 frames per second
# The desktop scene has no text line, so no latency is measured on it.
scene=${scene:-rect}

# scene_card_args: card-host's and xanim's options for $scene.
scene_card_args() {
	case $scene in
	desktop) echo "--scene desktop" ;;
	desktop60) echo "--scene desktop --fps 60" ;;
	esac
}

# scene_guest_cmdline: the testcard guest's (and QEMU image's) options.
scene_guest_cmdline() {
	case $scene in
	desktop) echo "desktop" ;;
	desktop60) echo "desktop fps60" ;;
	esac
}

# scene_watch_args: the measuring client's scenario label and key rate.
scene_watch_args() {
	if [ "$scene" = rect ]; then
		echo "--scenario rect"
	else
		echo "--scenario $scene --key-interval 0"
	fi
}

# measure_rdp NAME PID PORT [OPTION...]: the repetitions of one RDP
# server, each OPTION passed on to rdp-watch (--no-gfx, say).
measure_rdp() {
	_name=$1 _pid=$2 _port=$3
	shift 3
	_rep=1
	while [ "$_rep" -le "$reps" ]; do
		# shellcheck disable=SC2046 # scene_watch_args is words
		record "$_rep" timeout $((serve_seconds + 60)) "$builddir/rdp-watch" \
			--server "$_name" $(scene_watch_args) --server-pid "$_pid" \
			--seconds "$serve_seconds" --timeout 30 "$@" \
			"/v:127.0.0.1:$_port" /cert:ignore /u:bench /p:bench \
			/sec:tls || log "$_name: rdp-watch failed (exit $?)"
		_rep=$((_rep + 1))
	done
}

# wait_port PORT SECONDS: waits until something listens on 127.0.0.1:PORT.
wait_port() {
	_end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -le "$_end" ]; do
		if ss -ltn 2>/dev/null | awk '{print $4}' |
			grep -q "[:.]$1\$"; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# free_port FROM TO: first port in the range nobody listens on.
free_port() {
	_p=$1
	while [ "$_p" -le "$2" ]; do
		if ! ss -ltn 2>/dev/null | awk '{print $4}' | grep -q "[:.]$_p\$"; then
			echo "$_p"
			return 0
		fi
		_p=$((_p + 1))
	done
	return 1
}

record_machine() {
	_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	emit "{\"bench\":\"machine\",\"host\":\"$(json_str "$host")\",\"date\":\"$date\",\"cpus\":$(nproc),\"cpu_model\":\"$(json_str "$_model")\",\"kernel\":\"$(uname -r)\",\"mem_kb\":$(awk '/^MemTotal:/ {print $2}' /proc/meminfo),\"load_at_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"freerdp\":\"$(pkg-config --modversion freerdp2 2>/dev/null)\",\"git\":\"$(git -C "$srcdir" describe --always --dirty 2>/dev/null)\"}"
}
