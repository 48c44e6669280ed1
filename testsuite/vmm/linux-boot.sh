#!/bin/sh
# The Linux loader on Debian's stock kernel (linux-image-amd64) with a
# busybox initramfs built here: the kernel's early messages must arrive on
# COM1 (lines end in \r\n there) -- its version banner, the exact command line we gave it, and the
# e820 map we built; then where it found the initrd, and the two vCPUs
# of our MP table.  (A full boot needs hardware virtualization; where
# guest ring 0 is emulated it gets about this far in a minute.)
. "$srcdir/vmm/vmm-lib.sh"
vmm_linux_ready
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q static ||
	busybox=/bin/busybox
[ -x "$busybox" ] || skip_all "no busybox (install busybox-static)"
command -v cpio >/dev/null || skip_all "no cpio"
tap_tmpdir

# the initramfs: busybox and an init that reports and powers off
mkdir -p "$TMPD/root/bin" "$TMPD/root/proc" "$TMPD/root/dev"
cp "$busybox" "$TMPD/root/bin/busybox"
ln -s busybox "$TMPD/root/bin/sh"
cat >"$TMPD/root/init" <<'INIT'
#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "vireo-initramfs: init running"
/bin/busybox poweroff -f
INIT
chmod +x "$TMPD/root/init"
(cd "$TMPD/root" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$TMPD/initrd.gz"

len=$(wc -c <"$TMPD/initrd.gz")
# the loader puts the initrd page-aligned at the top of RAM below 4 GiB
rd_start=$(printf '0x%08x' $(( (0x20000000 - len) & ~0xfff )))
cmd="console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr vireo_test=$$"
# 512 MiB: e820 = [0, 9fc00) RAM, 9fc00 + f0000 reserved, [1M, 512M) RAM
timeout 150 "$VMM_RUN" -A kvm -S -t 90 -L -c 2 -m 512 -k "$kernel" -i "$TMPD/initrd.gz" \
	-a "$cmd" -s "$TMPD/serial.log" \
	"serial:Linux version " \
	"serial:Command line: $cmd\r\n" \
	"serial:BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\r\n" \
	"serial:BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved\r\n" \
	"serial:BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved\r\n" \
	"serial:BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable\r\n" \
	"serial:RAMDISK: [mem $rd_start-0x1fffffff]\r\n" \
	"serial:Hypervisor detected: KVM\r\n" \
	"serial:MPTABLE: OEM ID: VIREO" "serial:Processors: 2\r\n" \
	poweroff exit:host-poweroff
st=$?
echo "# last COM1 lines:"
tail -n 3 "$TMPD/serial.log" | sed 's/^/#   /'
exit $st
