# tap.sh - TAP helpers for vireo's shell tests; source it.
#   plan 3; ok "name" cmd args...; is "$got" "$want" "name"; skip "why"
#   skip_all "why" (exits 0); need_kvm (skip_all where KVM is not
#   available: vmm-run's probe, which opens /dev/kvm and checks its API)
#   done_testing (exit status: 1 if anything failed)
#   tap_bail "why": stop the test as failed (TAP "Bail out!"), also from
#   inside $(...), where a "not ok" line would be captured
#   tap_stop PID NAME [SECONDS [SIGNAL]]: stop a child of the test with
#   SIGNAL (TERM), wait SECONDS (30) for it; one that hangs is reported
#   with its threads' stacks (gdb, where installed) and killed; sets
#   tap_stop_rc to its exit status
#   lacks FILE REGEX: FILE is readable and no line matches (grep -E); a
#   missing file fails, so a negative check cannot pass by accident
tap_n=0
tap_fail=0
# SIGTERM (lib/run-test's time limit, a user's kill) ends the test through
# exit, so that its EXIT trap still stops its servers and removes $TMPD
trap 'exit 143' TERM
exec 6>&1 # TAP's own stdout, for tap_bail
tap_bail() {
	echo "Bail out! $*" >&6
}
plan() { echo "1..$1"; }
tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}
ok() {
	name=$1
	shift
	"$@"
	tap_result $? "$name"
}
is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
	fi
}
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		echo "#   '$1' does not match /$2/"
	fi
}
diag() { echo "# $*"; }
lacks() {
	if [ ! -r "$1" ]; then
		echo "#   $1: missing" >&6
		return 1
	fi
	! grep -Eq -- "$2" "$1"
}
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $*"
}
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
need_kvm() {
	tap_kvm_why=$("$top_builddir/testsuite/vmm/vmm-run" -A kvm -P 2>&1)
	case $? in
	0) ;;
	77) skip_all "KVM needed for this test: $tap_kvm_why" ;;
	*)
		echo "1..1"
		echo "not ok 1 - KVM probe failed: $tap_kvm_why"
		exit 1
		;;
	esac
}
tap_stop() {
	kill -"${4:-TERM}" "$1" 2>/dev/null
	for _ in $(seq $((${3:-30} * 10))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "# $2 (pid $1) still runs ${3:-30} s after SIG${4:-TERM}:"
		tap_stacks "$1"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	tap_stop_rc=$?
}
# where a process hangs: the top frames of each of its threads
tap_stacks() {
	command -v gdb >/dev/null 2>&1 || return 0
	timeout 60 gdb -p "$1" -batch -ex 'thread apply all bt 12' 2>/dev/null |
		grep -E '^(Thread|#)' | head -n 200 | sed 's/^/#   /'
}
done_testing() {
	[ "$tap_fail" = 0 ]
}
# A scratch directory per test in $TMPD, removed on exit unless KEEP_TMP
# is set.  Call it directly (not in $(...)), so the trap is the caller's.
# HOME and the XDG directories point into it too: nothing a test runs
# (rdp-probe's certificate store, for one) writes into the real home.
tap_tmpdir() {
	TMPD=$(mktemp -d "${TMPDIR:-/tmp}/vireo-test.XXXXXX")
	[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$TMPD"' EXIT
	HOME=$TMPD/userhome
	XDG_CONFIG_HOME=$HOME/.config
	XDG_CACHE_HOME=$HOME/.cache
	XDG_DATA_HOME=$HOME/.local/share
	mkdir -p "$HOME"
	export HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME
}
