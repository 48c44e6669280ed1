# tap.sh - TAP helpers for vireo's shell tests; source it.
#   plan 3; ok "name" cmd args...; is "$got" "$want" "name"; skip "why"
#   skip_all "why" (exits 0); need_kvm (skip_all where KVM is not
#   available: vmm-run's probe, which opens /dev/kvm and checks its API)
#   done_testing (exit status: 1 if anything failed)
tap_n=0
tap_fail=0
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
done_testing() {
	[ "$tap_fail" = 0 ]
}
# A scratch directory per test in $TMPD, removed on exit unless KEEP_TMP
# is set.  Call it directly (not in $(...)), so the trap is the caller's.
tap_tmpdir() {
	TMPD=$(mktemp -d "${TMPDIR:-/tmp}/vireo-test.XXXXXX")
	[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$TMPD"' EXIT
}
