#!/bin/sh
# cli.sh - vireo-headless's command line and the failures it must report
# before any VM runs: one line on stderr, the documented exit code.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 14
hl_setup
hl_vm good
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

out=$(vireo-headless --startvm nosuchvm 2>&1)
is "$?" 3 "unknown VM: exit 3"
like "$out" "^vireo-headless: no registered VM named or with UUID 'nosuchvm'$" \
	"unknown VM: one clear line"

out=$(vireo-headless -startvm '{5e1ec7ed-0000-4000-8000-0000000000ff}' 2>&1)
is "$?" 3 "malformed settings: exit 3"
like "$out" "bad.vbox" "malformed settings: the message names the file"
is "$(echo "$out" | wc -l)" 1 "malformed settings: one line"

# No usable KVM: /dev/kvm hidden behind /dev/null in a private mount
# namespace (needs unshare and CAP_SYS_ADMIN; skipped otherwise).
if ! [ -e /dev/kvm ]; then
	out=$(vireo-headless --startvm good --vrde off 2>&1)
	is "$?" 4 "no KVM: exit 4"
	like "$out" '^vireo-headless: cannot create the VM: .*kvm' \
		"no KVM: one line naming /dev/kvm"
elif unshare -m true 2>/dev/null; then
	out=$(unshare -m sh -c 'mount --bind /dev/null /dev/kvm &&
		exec vireo-headless --startvm good --vrde off' 2>&1)
	is "$?" 4 "no KVM: exit 4"
	like "$out" '^vireo-headless: cannot create the VM: .*kvm' \
		"no KVM: one line naming /dev/kvm"
else
	skip "unshare -m not permitted here (no KVM test)"
	skip "unshare -m not permitted here (no KVM test)"
fi

ok "nothing was left behind in the good VM's folder" \
	test ! -e "$TMPD/vms/good/vireo.ctl"
done_testing
