#!/bin/sh
# Bad configuration or images: vmm_create fails with a clear one-line
# error and nothing runs.
. "$srcdir/vmm/vmm-lib.sh"
tap_tmpdir
plan 8
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
try "vmm-run: .*testcard.elf: not a Linux bzImage$" -L -k "$VIREO_TESTCARD"
try "vmm-run: .*zero: not a Linux bzImage$" -L -k "$TMPD/zero"
try "vmm-run: monitor count 17 out of range 1..16$" -H 17
try "vmm-run: CPU count 0 out of range 1..64$" -c 0
try "vmm-run: RAM size 8 MiB out of range 16 MiB..1 TiB$" -m 8
kernel=
for k in /boot/vmlinuz-*; do
	[ -r "$k" ] && kernel=$k
done
if [ -n "$kernel" ]; then
	try "vmm-run: the kernel needs [0-9]+ MiB of RAM above 16 MiB; give the VM more memory$" \
		-L -m 32 -k "$kernel"
else
	skip "no /boot/vmlinuz-* for the RAM-size check"
fi
done_testing
