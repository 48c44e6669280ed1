#!/bin/sh
# manage.sh - vireo-headless driven the way users drive it: a VM built
# with vireo-manage, started with "startvm --type headless", inspected
# with showvminfo, controlled with controlvm, credentials set with
# internalcommands setcredentials (salted hash + NT hash).
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 18
hl_setup
vm() { timeout 60 vireo-manage "$@"; }
vm createvm --name mvm --register --basefolder "$TMPD/vms" >/dev/null
vm modifyvm mvm --vrde on --vrdeport 34100-34999 --vrdeextpack record \
	--vrdeauthtype external --vrdeauthlibrary VBoxAuthSimple \
	--vrdeproperty "Record/Log=$TMPD/mvm.rec" \
	--vrdeproperty "Record/Commands=$TMPD/mvm.cmd" --monitorcount 1
mkfifo "$TMPD/mvm.cmd"
vm internalcommands setcredentials mvm dave 'c0rrect-horse' >/dev/null
HL_DIR="$TMPD/vms/mvm"
HL_SOCK="$HL_DIR/vireo.ctl"
HL_REC="$TMPD/mvm.rec"
HL_CMD="$TMPD/mvm.cmd"

out=$(vm startvm mvm --type headless)
is "$?" 0 "startvm --type headless starts it detached"
like "$out" 'successfully started' "startvm reports the start"
info=$(vm showvminfo mvm --machinereadable)
# this VM's vireo-headless only (for cleanup), found by its UUID
uuid=$(printf '%s\n' "$info" | sed -n 's/^UUID="\(.*\)"$/\1/p')
HL_PID=$(pgrep -f "vireo-headless --startvm .*$uuid" | head -1)
ok "vireo-headless runs detached for this VM" test -n "$HL_PID"
like "$info" '^VMState="running"$' "showvminfo: running"
like "$info" '^vrdeport=34[1-9][0-9][0-9]$' "showvminfo: the bound port"
like "$info" '^VRDEClients==0$' "showvminfo: no clients"

hl_cmd logon 3 dave 'c0rrect' - 192.0.2.1
hl_cmd logon 4 dave 'c0rrect-horse' - 192.0.2.1
ok "setcredentials' salted hash: wrong password denied" \
	hl_wait_rec '^logon id=3 user=dave rc=-13$'
ok "setcredentials' salted hash: right password granted" \
	hl_wait_rec '^logon id=4 user=dave rc=0$'
hl_cmd nthash dave
ok "setcredentials' NT hash reaches the module" \
	hl_wait_rec '^nthash user=dave rc=0 hash=[0-9a-f]{32}$'
info=$(vm showvminfo mvm --machinereadable)
like "$info" '^VRDEUserName="dave"$' "showvminfo: the client's user"
like "$info" '^VRDEClientIP="192.0.2.1"$' "showvminfo: the client's IP"

vm controlvm mvm pause
like "$(vm showvminfo mvm --machinereadable)" '^VMState="paused"$' \
	"controlvm pause"
vm controlvm mvm resume
vm controlvm mvm setvideomodehint 640 480 32
ok "controlvm setvideomodehint reaches the module" \
	hl_wait_rec '^resize screen=0 640x480 '
(cd "$TMPD" && vm controlvm mvm screenshotpng shot.png)
is "$(identify -format '%w %h' "$TMPD/shot.png" 2>&1)" "640 480" \
	"controlvm screenshotpng (relative path)"
vm controlvm mvm vrdeport 34950-34999
like "$(vm showvminfo mvm --machinereadable)" '^vrdeport=349[5-9][0-9]$' \
	"controlvm vrdeport restarts VRDE on the new ports"
vm controlvm mvm poweroff
timeout 30 sh -c "while [ -e '$HL_SOCK' ]; do sleep 0.1; done"
like "$(vm showvminfo mvm --machinereadable)" '^VMState="poweroff"$' \
	"controlvm poweroff: stopped"
ok "poweroff: socket removed" test ! -e "$HL_SOCK"
ok "no contract violations" sh -c "! grep VIOLATION '$HL_REC'"
HL_PID=
done_testing
