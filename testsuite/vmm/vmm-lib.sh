# vmm-lib.sh - shared by the vmm tests: TAP helpers and vmm-run on each
# accelerator.  Every test runs on the software CPU; where KVM is usable
# it runs on KVM too.  A KVM run is skipped only when vmm-run's probe says
# KVM is not available here (exit 77: /dev/kvm missing, not permitted, no
# such device, or a failed API check), with the probe's reason.
. "$srcdir/tap.sh"
VMM_RUN="$builddir/vmm/vmm-run"
[ -x "$VMM_RUN" ] || skip_all "vmm-run not built"
[ -f "$VIREO_TESTCARD" ] || skip_all "testcard.elf not built"
VMM_ACCELS=${VMM_ACCELS:-software kvm}
VMM_TIMEOUT=${VMM_TIMEOUT:-120}

# vmm_usable ACCEL: true if ACCEL can run here; else emits a SKIP (not
# available) or a failure (the probe itself failed) and returns 1.
vmm_usable() {
	vmm_why=$("$VMM_RUN" -A "$1" -P 2>&1)
	case $? in
	0) return 0 ;;
	77) skip "$1: $vmm_why" ;;
	*) tap_result 1 "$1: accelerator probe failed: $vmm_why" ;;
	esac
	return 1
}

# vmm_linux_ready: what the Linux loader's tests need, or SKIP: KVM (a
# Linux guest needs it: the software CPU delivers no interrupts; a probe
# that fails otherwise fails the test) and a readable /boot/vmlinuz-*,
# the last of which is in $kernel.
vmm_linux_ready() {
	why=$("$VMM_RUN" -A kvm -P)
	case $? in
	0) ;;
	77) skip_all "a Linux guest needs KVM: $why" ;;
	*) plan 1; tap_result 1 "KVM probe failed: $why"; exit 1 ;;
	esac
	kernel=
	for k in /boot/vmlinuz-*; do
		[ -r "$k" ] && kernel=$k
	done
	[ -n "$kernel" ] || skip_all "no readable /boot/vmlinuz-* (install linux-image-amd64)"
}

# vmm_run_on ACCEL ARGS...: one vmm-run on ACCEL; its checks become this
# script's (renumbered, named after the accelerator), its plan must match
# the checks it printed, and its exit status is a check of its own.
vmm_run_on() {
	vmm_accel=$1
	shift
	vmm_usable "$vmm_accel" || return 0
	vmm_out=$(timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$vmm_accel" "$@")
	vmm_st=$?
	vmm_merge "$vmm_accel" "$vmm_out"
	is "$vmm_st" 0 "$vmm_accel: vmm-run exit status"
}

vmm_merge() {
	vmm_planned=
	vmm_seen=0
	vmm_nl='
'
	vmm_ifs=$IFS
	IFS=$vmm_nl
	for vmm_line in $2; do
		case $vmm_line in
		1..*) vmm_planned=${vmm_line#1..} ;;
		"not ok "*)
			vmm_seen=$((vmm_seen + 1))
			tap_result 1 "$1: ${vmm_line#not ok * - }"
			;;
		"ok "*)
			vmm_seen=$((vmm_seen + 1))
			tap_result 0 "$1: ${vmm_line#ok * - }"
			;;
		*) echo "$vmm_line" ;;
		esac
	done
	IFS=$vmm_ifs
	is "$vmm_seen" "${vmm_planned:-none}" "$1: vmm-run ran every planned check"
}

# vmm_run ARGS...: vmm_run_on for each accelerator in $VMM_ACCELS.
vmm_run() {
	for a in $VMM_ACCELS; do
		vmm_run_on "$a" "$@"
	done
}

# vmm_end: the plan, after the checks; exit 1 if any failed.
vmm_end() {
	echo "1..$tap_n"
	done_testing
}
