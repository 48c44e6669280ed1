#!/bin/sh
# savestate.sh - saved state the way users drive it (vireo-manage(1)), on
# the software CPU with the two-head testcard:
#   controlvm savestate: the VM ends "saved", the .vbox names the file
#   (mode 0600 under Snapshots/), vireo-headless is gone;
#   vireo-headless --startvm --start-paused restores it: every head's
#   screenshot is pixel for pixel the one taken before saving, head 0's
#   frame counter reads what it read, the .vbox forgets the file and the
#   file is deleted; after resume the counter goes on from there and COM1
#   is one sequence (one "testcard ready", keys before and after);
#   a corrupted or truncated state: startvm fails with the reason, the VM
#   stays "saved", the file is unchanged; discardstate forgets it;
#   adoptstate takes a good file and refuses a damaged one; startvm
#   restores an adopted state and reports the VM started.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

command -v convert >/dev/null || skip_all "ImageMagick (convert) not installed"
hl_setup
vm() { timeout 120 vireo-manage "$@"; }
D=$TMPD/vms/svm
SERIAL=$D/Logs/serial.log
hl_manage_vm svm --monitorcount 2 --cpus 1
uuid=$HL_UUID

out=$(vm startvm svm --type headless)
is "$?" 0 "startvm starts the VM"
HL_PID=$(pgrep -f "vireo-headless --startvm .*$uuid" | head -1)
ok "the guest is up on two heads" \
	hl_wait_file "$SERIAL" '^testcard ready heads=2$' 60
vm controlvm svm keyboardputscancode 1e 9e
ok "a key before the save reaches COM1" hl_wait_file "$SERIAL" '^key 1e up$'
vm controlvm svm pause
for h in 0 1; do
	vm controlvm svm screenshotpng "$TMPD/before-$h.png" $h
done
before=$(hl_counter "$TMPD/before-0.png")
like "$before" '^[1-9][0-9]*$' "head 0's frame counter before saving: $before"

vm controlvm svm savestate
is "$?" 0 "controlvm savestate succeeds"
ok "vireo-headless has exited" hl_gone "$HL_PID"
HL_PID=
like "$(vm showvminfo svm --machinereadable)" '^VMState="saved"$' \
	"showvminfo: saved"
rel=$(sed -n 's/.*stateFile="\([^"]*\)".*/\1/p' "$D/svm.vbox")
like "$rel" '^Snapshots/[0-9T-]+Z\.sav$' "the .vbox names the state file ($rel)"
is "$(stat -c %a "$D/$rel" 2>&1)" 600 "the state file is the owner's only"
cp "$D/$rel" "$TMPD/good.sav"

vireo-headless --startvm svm --start-paused --vrde off >"$TMPD/hl.out" 2>&1 &
HL_PID=$!
ok "vireo-headless --startvm --start-paused restores it" \
	hl_wait_state svm paused
for h in 0 1; do
	vm controlvm svm screenshotpng "$TMPD/after-$h.png" $h
	is "$(compare -metric AE "$TMPD/before-$h.png" "$TMPD/after-$h.png" \
		null: 2>&1)" 0 "head $h: no pixel differs from before the save"
done
is "$(hl_counter "$TMPD/after-0.png")" "$before" \
	"head 0's frame counter reads where it stopped"
ok "the .vbox no longer names a state" sh -c "! grep -q stateFile '$D/svm.vbox'"
ok "the restored state file is removed" test ! -e "$D/$rel"
vm controlvm svm resume
i=0
now=$before
while [ $i -lt 100 ] && [ "$now" = "$before" ]; do
	sleep 0.1
	vm controlvm svm screenshotpng "$TMPD/run.png" 0
	now=$(hl_counter "$TMPD/run.png")
	i=$((i + 1))
done
ok "after resume the counter goes on from $before ($now)" \
	test "$now" -gt "$before" -a "$now" -lt $((before + 300))
vm controlvm svm keyboardputscancode 30 b0
ok "a key after the restore reaches COM1" hl_wait_file "$SERIAL" '^key 30 up$'
is "$(grep -v '^testcard rtc ' "$SERIAL" | tr '\n' '|')" \
	"testcard ready heads=2|key 1e down|key 1e up|key 30 down|key 30 up|" \
	"COM1 is one sequence across save and restore"
vm controlvm svm poweroff
wait "$HL_PID"
HL_PID=

# damaged states: refused at start, VM not started, file kept
size=$(stat -c %s "$TMPD/good.sav")
head -c $((size - 100)) "$TMPD/good.sav" >"$TMPD/truncated.sav"
cp "$TMPD/good.sav" "$TMPD/corrupted.sav"
printf 'Z' | dd of="$TMPD/corrupted.sav" bs=1 seek=$((size / 2)) \
	conv=notrunc 2>/dev/null
for bad in truncated corrupted; do
	cp "$TMPD/$bad.sav" "$TMPD/$bad.copy"
	vm adoptstate svm "$TMPD/$bad.sav" 2>"$TMPD/err"
	is "$?" 1 "adoptstate refuses a $bad file"
	like "$(cat "$TMPD/err")" "not a usable saved state: $bad" \
		"adoptstate says why ($bad)"
	# as if it had been damaged after it was adopted
	sed -i "s|<Machine |<Machine stateFile=\"$TMPD/$bad.sav\" |" "$D/svm.vbox"
	timeout 60 vireo-headless --startvm svm --vrde off >"$TMPD/out" 2>&1
	is "$?" 4 "$bad state: vireo-headless exits with status 4"
	like "$(cat "$TMPD/out")" "cannot restore the saved state .*$bad.*not started" \
		"$bad state: the reason is given"
	like "$(vm showvminfo svm --machinereadable)" '^VMState="saved"$' \
		"$bad state: the VM is still saved"
	ok "$bad state: the file is unchanged" cmp -s "$TMPD/$bad.sav" "$TMPD/$bad.copy"
	vm discardstate svm
	is "$?" 0 "discardstate"
	ok "discardstate removes the file" test ! -e "$TMPD/$bad.sav"
done
like "$(vm showvminfo svm --machinereadable)" '^VMState="poweroff"$' \
	"showvminfo: poweroff after discardstate"
vm discardstate svm 2>"$TMPD/err"
is "$?" 1 "discardstate without a state fails"

vm adoptstate svm "$TMPD/good.sav"
is "$?" 0 "adoptstate takes a good file"
like "$(vm showvminfo svm --machinereadable)" '^VMState="saved"$' \
	"showvminfo: saved after adoptstate"
out=$(vm startvm svm --type headless)
is "$?" 0 "startvm restores the adopted state"
like "$out" 'successfully started' "and reports the start"
HL_PID=$(pgrep -f "vireo-headless --startvm .*$uuid" | head -1)
like "$(vm showvminfo svm --machinereadable)" '^VMState="running"$' \
	"showvminfo: running"
vm controlvm svm poweroff
is "$(grep -c '^testcard ready' "$SERIAL")" 1 \
	"no restore booted the guest again"
ok "and vireo-headless exits" hl_gone "$HL_PID"
HL_PID=
echo "1..$tap_n"
done_testing
