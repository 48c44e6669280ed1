# vmm-lib.sh - shared by the vmm tests: TAP helpers, KVM check, vmm-run.
. "$srcdir/tap.sh"
need_kvm
VMM_RUN="$builddir/vmm/vmm-run"
[ -x "$VMM_RUN" ] || skip_all "vmm-run not built"
[ -f "$VIREO_TESTCARD" ] || skip_all "testcard.elf not built"
