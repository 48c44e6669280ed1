#!/bin/sh
# The Linux loader's other mode, the plain 64-bit boot protocol: the
# bzImage as shipped, entered at load address + 0x200, so the kernel's own
# decompressor (the boot stub) runs in the guest.  It reads the command
# line from our zero page and says so on COM1 within seconds; finishing
# the decompression needs hardware virtualization (minutes where guest
# ring 0 is emulated), so the test stops there.
. "$srcdir/vmm/vmm-lib.sh"
vmm_linux_ready
exec timeout 90 "$VMM_RUN" -A kvm -S -t 60 -L -G -m 512 -k "$kernel" \
	-a "console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr" \
	"serial:KASLR disabled: 'nokaslr' on cmdline." \
	poweroff exit:host-poweroff
