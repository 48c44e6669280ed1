#!/bin/sh
# Bad configuration or images: vmm_create fails with a clear one-line
# error and nothing runs.
. "$srcdir/vmm/vmm-lib.sh"
tap_tmpdir
try() {
	# $1 = expected message (ERE), rest = vmm-run arguments
	want=$1
	shift
	err=$(timeout 30 "$VMM_RUN" "$@" poweroff 2>&1 >/dev/null | grep '^vmm-run:')
	like "$err" "$want" "$want"
}
printf 'not an elf\n' >"$TMPD/junk"
head -c 100 /dev/zero >"$TMPD/zero"
try "vmm-run: .*junk: not an x86-64 ELF executable$" -k "$TMPD/junk"
try "vmm-run: cannot open $TMPD/missing: No such file or directory$" -k "$TMPD/missing"
try "vmm-run: monitor count 17 out of range 1..16$" -H 17
try "vmm-run: CPU count 0 out of range 1..64$" -c 0
try "vmm-run: RAM size 8 MiB out of range 16 MiB..1 TiB$" -m 8
try "vmm-run: unknown accelerator 'bogus'$" -A bogus
# What the software CPU cannot run is refused before the VM is built.
try "vmm-run: the software CPU cannot run a Linux guest .*needs KVM$" \
	-A software -L -k "$VIREO_TESTCARD"
try "vmm-run: the software CPU runs one vCPU, the VM has 2 " -A software -c 2
# No usable KVM, whether or not this host has it: a device path that
# does not exist, and nothing is created there.
export VIREO_KVM_DEVICE="$TMPD/kvm"
try "vmm-run: cannot open $TMPD/kvm: No such file or directory$" -A kvm
ok "the missing KVM device was not created" test ! -e "$TMPD/kvm"
try "vmm-run: the software CPU cannot run a Linux guest .*; KVM: cannot open $TMPD/kvm: No such file or directory$" \
	-A auto -L -k "$VIREO_TESTCARD"
: >"$TMPD/notkvm"
VIREO_KVM_DEVICE="$TMPD/notkvm"
try "vmm-run: $TMPD/notkvm has API version -1, need 12$" -A kvm
unset VIREO_KVM_DEVICE
# The Linux loader's own errors, where KVM can run a Linux guest.
if vmm_usable kvm; then
	try "vmm-run: .*testcard.elf: not a Linux bzImage$" -A kvm -L -k "$VIREO_TESTCARD"
	try "vmm-run: .*zero: not a Linux bzImage$" -A kvm -L -k "$TMPD/zero"
	kernel=
	for k in /boot/vmlinuz-*; do
		[ -r "$k" ] && kernel=$k
	done
	if [ -n "$kernel" ]; then
		try "vmm-run: the kernel needs [0-9]+ MiB of RAM above 16 MiB; give the VM more memory$" \
			-A kvm -L -m 32 -k "$kernel"
	else
		skip "no /boot/vmlinuz-* for the RAM-size check"
	fi
fi
vmm_end
