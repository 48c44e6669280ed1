# vhost.sh - shell helpers for VRDE servers, sourced by testsuite/*/lib.sh
# and the benchmarks:
#
#   vrde_port FILE                 the port of the first "VRDE server is
#                                  listening on port N." line in FILE
#   vrde_wait_port FILE PID [N]    print that port once FILE has it; poll
#                                  every 0.1 s, N times (default 100),
#                                  fail early when process PID is gone
#   vrde_host_run PREFIX PROGRAM [ARGS]...
#                                  start a stand-in host (lib/vhost.h):
#                                  commands from fifo PREFIX.ctl (fd 9),
#                                  output in PREFIX.out and PREFIX.err;
#                                  sets VRDE_HOST_PID and PORT
#   vrde_host_cmd CMD [ARGS]...    send one command, wait for its final
#                                  line (at most 10 s); print its data
#                                  line without the first word (or the
#                                  error); status 0 ok, 1 error, 2 none
#   vrde_host_quit                 "quit"; kill it after 5 s
#
# vireo-headless prints the same "listening" line on stdout, so
# vrde_wait_port also serves tests of the real server.

vrde_port() {
	sed -n 's/^VRDE server is listening on port \([0-9][0-9]*\)\..*$/\1/p' \
		"$1" 2>/dev/null | head -n 1
}

vrde_wait_port() {
	for _ in $(seq "${3:-100}"); do
		_vp=$(vrde_port "$1")
		[ -n "$_vp" ] && { echo "$_vp"; return 0; }
		[ -n "$2" ] && ! kill -0 "$2" 2>/dev/null && break
		sleep 0.1
	done
	_vp=$(vrde_port "$1")
	[ -n "$_vp" ] && echo "$_vp"
	[ -n "$_vp" ]
}

vrde_host_run() {
	VRDE_HOST=$1
	shift
	rm -f "$VRDE_HOST.ctl" "$VRDE_HOST.out"
	mkfifo "$VRDE_HOST.ctl"
	"$@" <"$VRDE_HOST.ctl" >"$VRDE_HOST.out" 2>"$VRDE_HOST.err" &
	VRDE_HOST_PID=$!
	exec 9>"$VRDE_HOST.ctl"
	PORT=$(vrde_wait_port "$VRDE_HOST.out" "$VRDE_HOST_PID")
}

vrde_host_cmd() {
	# the answers so far: every command before this one has its answer
	# (or timed out), and $(vrde_host_cmd ...) runs in a subshell, so
	# the count comes from the file, not from a variable
	_vn=$(($(grep -cE '^(ok|error)' "$VRDE_HOST.out") + 1))
	echo "$*" >&9
	for _ in $(seq 200); do
		[ "$(grep -cE '^(ok|error)' "$VRDE_HOST.out")" -ge "$_vn" ] &&
			break
		sleep 0.05
	done
	awk -v n="$_vn" -v w="$1 " '
		/^(ok|error)/ {
			if (++f == n) {
				if (data != "")
					print data
				else if ($1 == "error")
					print substr($0, 7)
				found = 1
				exit ($1 == "error")
			}
			data = ""
			next
		}
		f == n - 1 && index($0, w) == 1 { data = substr($0, length(w) + 1) }
		END { if (!found) exit 2 }' "$VRDE_HOST.out"
}

vrde_host_quit() {
	[ -n "${VRDE_HOST_PID:-}" ] || return 0
	echo quit >&9 2>/dev/null
	exec 9>&-
	for _ in $(seq 50); do
		kill -0 "$VRDE_HOST_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$VRDE_HOST_PID" 2>/dev/null
	wait "$VRDE_HOST_PID" 2>/dev/null
	VRDE_HOST_PID=
}
