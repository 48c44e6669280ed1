#!/bin/sh
# cli.sh - vireo-headless's command line and the failures it must report
# before any VM runs: one line on stderr, the documented exit code.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 23
hl_setup
hl_vm good
hl_vm linux "" "" '<ExtraDataItem name="vireo/Boot/Source" value="linux"/>
  <ExtraDataItem name="vireo/Boot/Kernel" value="/nonexistent/bzImage"/>'
hl_vm smp
vireo-manage modifyvm smp --cpus 2 >/dev/null
mkdir -p "$TMPD/vms/bad"
echo '<VirtualBox><Machine name="bad" uuid="{0}"' >"$TMPD/vms/bad/bad.vbox"
HL_MACHINES="$HL_MACHINES<MachineEntry uuid=\"{5e1ec7ed-0000-4000-8000-0000000000ff}\" src=\"$TMPD/vms/bad/bad.vbox\"/>"
hl_registry

out=$(vireo-headless 2>&1)
is "$?" 2 "no --startvm: usage error (exit 2)"
like "$out" '^usage: vireo-headless --startvm' "usage is printed"

out=$(vireo-headless --startvm good --vrdeproperty novalue 2>&1)
is "$?" 2 "--vrdeproperty without '=' is an error"
like "$out" "needs name=value, not 'novalue'" "and says so in one line"

set --
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do
	set -- "$@" -e "P$i=v"
done
out=$(vireo-headless -s good "$@" 2>&1)
is "$?" 2 "more than 16 properties refused"

out=$(vireo-headless --startvm good --vrde maybe 2>&1)
like "$out" "--vrde takes on, off or config, not 'maybe'" "bad --vrde value"

out=$(vireo-headless --startvm good --accel fast 2>&1)
is "$?" 2 "bad --accel value: exit 2"
is "$out" "vireo-headless: --accel takes auto, kvm or software, not 'fast'" \
	"bad --accel value: one line naming the values"
out=$(vireo-headless -startvm good -accel '' 2>&1)
is "$?:$(echo "$out" | wc -l)" "2:1" "-accel (single dash) with an empty value: exit 2, one line"

out=$(vireo-headless --startvm nosuchvm 2>&1)
is "$?" 3 "unknown VM: exit 3"
like "$out" "^vireo-headless: no registered VM named or with UUID 'nosuchvm'$" \
	"unknown VM: one clear line"

out=$(vireo-headless -startvm '{5e1ec7ed-0000-4000-8000-0000000000ff}' 2>&1)
is "$?" 3 "malformed settings: exit 3"
like "$out" "bad.vbox" "malformed settings: the message names the file"
is "$(echo "$out" | wc -l)" 1 "malformed settings: one line"

# No usable KVM and --accel kvm: exit 4 and one line naming the device.
# VIREO_KVM_DEVICE (the VMM's test hook) points the probe at a path that
# does not exist, so this runs whether the host has /dev/kvm or not.
# These must fail before any VM runs; should one run anyway (a fall-back
# that should not happen), timeout ends it and the test fails (124).
out=$(VIREO_KVM_DEVICE=/nonexistent timeout 60 vireo-headless --startvm good \
	--accel kvm --vrde off 2>&1)
is "$?" 4 "--accel kvm without KVM: exit 4"
like "$out" '^vireo-headless: cannot create the VM: .*/nonexistent' \
	"--accel kvm without KVM: the line names the device"
is "$(echo "$out" | wc -l)" 1 "--accel kvm without KVM: one line, no fall-back"

# The real /dev/kvm hidden behind /dev/null in a private mount namespace
# (only where it exists, and unshare and CAP_SYS_ADMIN are permitted).
if [ -e /dev/kvm ] && unshare -m true 2>/dev/null; then
	out=$(unshare -m sh -c 'mount --bind /dev/null /dev/kvm &&
		exec timeout 60 vireo-headless --startvm good --accel kvm \
			--vrde off' 2>&1)
	is "$?" 4 "/dev/kvm hidden, --accel kvm: exit 4"
	like "$out" '^vireo-headless: cannot create the VM: .*[Kk][Vv][Mm]' \
		"/dev/kvm hidden, --accel kvm: one line naming KVM"
else
	skip "no /dev/kvm to hide, or unshare -m not permitted"
	skip "no /dev/kvm to hide, or unshare -m not permitted"
fi

# What the software CPU cannot run is refused before the VM starts.
out=$(timeout 60 vireo-headless --startvm linux --accel software --vrde off 2>&1)
is "$?" 4 "a Linux guest on the software CPU: exit 4"
like "$out" '^vireo-headless: cannot create the VM: .*software CPU' \
	"a Linux guest on the software CPU: the line says why"
out=$(timeout 60 vireo-headless --startvm smp --accel software --vrde off 2>&1)
is "$?:$(echo "$out" | wc -l)" "4:1" \
	"two vCPUs on the software CPU: exit 4, one line"

ok "nothing was left behind in the good VM's folder" \
	test ! -e "$TMPD/vms/good/vireo.ctl"
done_testing
