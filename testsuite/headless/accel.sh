#!/bin/sh
# accel.sh - which CPU a VM runs on: HardwareVirtEx on asks for KVM and
# falls back to the software CPU with one warning line, HardwareVirtEx off
# and --accel software run on the software CPU without one, and the
# running VM's accelerator is named in its log and by showvminfo.
#
# VIREO_KVM_DEVICE (the VMM's test hook) makes KVM unusable for the first two runs,
# so the fall-back is tested on hosts with and without /dev/kvm.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 18
hl_setup
hl_vm acc
LOG="$TMPD/vms/acc/Logs/vireo.log"
WARN='^vireo-headless: warning: /nonexistent not usable \(.*/nonexistent.*\); running on the software CPU$'

# count_lines REGEX FILE
count_lines() {
	grep -Ec -- "$1" "$2"
}

# ---- HardwareVirtEx on (default), no usable KVM: auto falls back ---------
export VIREO_KVM_DEVICE=/nonexistent
hl_start acc --vrde off
ok "no usable KVM: the VM runs" test -S "$HL_SOCK"
is "$(count_lines warning "$HL_OUT")" 1 "no usable KVM: one warning line"
like "$(grep warning "$HL_OUT")" "$WARN" \
	"the warning names the device, the reason and the software CPU"
is "$(count_lines 'not usable .*running on the software CPU$' "$LOG")" 1 \
	"the log has the warning once"
ok "the log says what was asked for and by what" \
	grep -q 'accelerator requested: auto (HardwareVirtEx on)$' "$LOG"
ok "the log names the accelerator the VM got" \
	grep -q 'accelerator: software$' "$LOG"
info=$(vireo-manage showvminfo acc --machinereadable)
like "$info" '^accelerator="software"$' "showvminfo --machinereadable: accelerator"
like "$(vireo-manage showvminfo acc)" '^Accelerator: +software$' \
	"showvminfo: Accelerator: software"
if command -v python3 >/dev/null 2>&1; then
	is "$(vireo-manage showvminfo acc --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accelerator"])')" \
		software "showvminfo --json: accelerator"
else
	skip "python3 not installed"
fi
hl_stop
is "$HL_RC" 0 "SIGTERM: the software-CPU VM powers off, exit 0"
ok "the log says it powered off" grep -q 'VM powered off' "$LOG"

# ---- HardwareVirtEx off: the software CPU, asked for, no warning ----------
vireo-manage modifyvm acc --hwvirtex off
: >"$LOG"
hl_start acc --vrde off
ok "hwvirtex off: the VM runs" test -S "$HL_SOCK"
is "$(count_lines warning "$HL_OUT")" 0 "hwvirtex off: no warning"
ok "hwvirtex off: the log says software, asked for by HardwareVirtEx off" \
	grep -q 'accelerator requested: software (HardwareVirtEx off)$' "$LOG"
hl_stop

# ---- --accel software overrides HardwareVirtEx on ------------------------
unset VIREO_KVM_DEVICE
vireo-manage modifyvm acc --hwvirtex on
: >"$LOG"
hl_start acc --vrde off --accel software
is "$(count_lines warning "$HL_OUT")" 0 "--accel software: no warning"
ok "--accel software: the log says so" \
	grep -q 'accelerator requested: software (--accel)$' "$LOG"
like "$(vireo-manage showvminfo acc --machinereadable)" \
	'^accelerator="software"$' "--accel software: showvminfo agrees"
hl_stop

# ---- where KVM works, --accel kvm runs on it -----------------------------
if why=$("$top_builddir/testsuite/vmm/vmm-run" -A kvm -P 2>&1); then
	hl_start acc --vrde off --accel kvm
	like "$(vireo-manage showvminfo acc --machinereadable)" \
		'^accelerator="kvm"$' "--accel kvm: showvminfo says kvm"
	hl_stop
else
	skip "KVM not usable here: $why"
fi
done_testing
