#!/bin/sh
# teleport.sh - teleporting between two vireo-headless on loopback, the
# way users drive it (vireo-manage(1), vireo-teleport(7)), on the software
# CPU with the testcard:
#   the target waits (teleportingin) on the port and certificate it
#   shows; without --fingerprint the source refuses and names the
#   certificate; a wrong fingerprint, a wrong password, another CPU, the
#   target killed mid-transfer and the connection cut mid-transfer (a
#   relay, tpproxy.py) each leave the source running and the target gone
#   with the reason logged;
#   the real thing: the source reports downtime and total time and ends
#   "teleported" (its log, its exit), the target runs the guest with the
#   memory the source had (CRC checked by VIREO_TELEPORT_VERIFY), the
#   frame counter goes on from where the source had it, and a key typed
#   on the target reaches the guest, from the control socket and from a
#   real RDP client (rdp-probe) on the target's own remote display: its
#   COM1 shows the keys, its text line the characters;
#   a viewer on the source during the move is disconnected with a reason
#   (MS-RDPBCGR Set Error Info "disconnected by the server's
#   administrator", the code rdp-probe reports) and the source's log
#   says the VM was teleported and where it runs now.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

command -v convert >/dev/null || skip_all "ImageMagick (convert) not installed"
command -v python3 >/dev/null || skip_all "python3 not installed (the relay)"
hl_setup
vm() { timeout 120 vireo-manage "$@"; }
PROBE="$top_builddir/testsuite/rdp-probe/rdp-probe"
RDP_WHY=
[ -x "$PROBE" ] || RDP_WHY="rdp-probe not built"
[ -e "${VIREO_MODULE_DIR:-}/vireo-vrde-rdp.so" ] || RDP_WHY="RDP module not built"
export VIREO_TELEPORT_VERIFY=1
S=$TMPD/vms/src
T=$TMPD/vms/dst
UUIDS=
for n in src dst; do
	hl_manage_vm $n --memory 64 --cpus 1
	# a remote display each, loopback only (auth Null), for the viewers
	[ -n "$RDP_WHY" ] || vm modifyvm $n --vrde on --vrdeport 34400-34499 \
		--vrdeauthtype null
	UUIDS="$UUIDS|$HL_UUID"
done
DST_UUID=${UUIDS##*|}
# both run detached (startvm): make sure neither outlives the test
tp_cleanup() {
	[ -z "${VIEWER:-}" ] || kill "$VIEWER" 2>/dev/null
	# the process shows the UUID in braces: {uuid}
	for p in $(pgrep -f "vireo-headless --startvm [{]?(${UUIDS#|})"); do
		kill -KILL "$p"
	done
	hl_cleanup
}
trap tp_cleanup EXIT
trap 'exit 1' INT TERM
echo 'correct horse' >"$TMPD/pw"
echo 'wrong horse' >"$TMPD/wrong"
vm modifyvm dst --teleporter on --teleporterport 0 \
	--teleporter-password-file "$TMPD/pw"
like "$(vm showvminfo dst --machinereadable)" \
	'teleporterpassword="#SHA-512##[0-9a-f]{128}"' \
	"the target's password is stored as its SHA-512 hash"
ok "the .vbox holds no plain password" sh -c "! grep -q 'correct horse' '$T/dst.vbox'"

key() { hl_vminfo dst "$1"; }

# the target: waits, shows its port and certificate
start_target() {
	VIREO_TELEPORTER_TIMEOUT=${1:-120} vm startvm dst --type headless \
		>"$TMPD/startvm.out" 2>&1
	hl_wait_state dst teleportingin
	i=0
	# the port is known once it listens (settings say 0)
	while [ $i -lt 100 ] && [ "$(key teleporterport)" = 0 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	PORT=$(key teleporterport)
	FP=$(key teleporterfingerprint)
}
target_gone() {
	i=0
	while [ $i -lt 150 ] && [ "$(hl_state dst)" != poweroff ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(hl_state dst)" = poweroff ]
}
teleport() {
	vm controlvm src teleport --host 127.0.0.1 "$@" >"$TMPD/tp.out" 2>&1
}

out=$(vm startvm src --type headless)
is "$?" 0 "the source starts"
# the VMs take KVM where it is usable (auto), else the software CPU; the
# KVM pre-copy (dirty logs) has only run where this says kvm
ACCEL=$(hl_vminfo src accelerator)
diag "accelerator: $ACCEL"
if [ "$ACCEL" != kvm ]; then
	kvm_why=$("$top_builddir/testsuite/vmm/vmm-run" -A kvm -P 2>&1)
	skip "the teleport on KVM: ${kvm_why:-KVM not used}"
fi
ok "the guest is up on the source" \
	hl_wait_file "$S/Logs/serial.log" '^testcard ready heads=1$' 60

start_target
like "$(cat "$TMPD/startvm.out")" 'waiting for a teleported VM' \
	"startvm of the target reports it waiting"
is "$(hl_state dst)" teleportingin "the target is teleportingin"
like "$PORT" '^[1-9][0-9]*$' "it listens on port $PORT (port 0 picked one)"
like "$FP" '^SHA256:([0-9A-F]{2}:){31}[0-9A-F]{2}$' \
	"it shows its certificate's fingerprint"
vm controlvm dst pause 2>"$TMPD/err"
like "$(cat "$TMPD/err")" 'waiting for a teleported VM' \
	"requests other than info are refused meanwhile"

# trust on first use, made explicit: no pin, no teleport
teleport --port "$PORT" --passwordfile "$TMPD/pw"
is "$?" 1 "without --fingerprint the teleport is refused"
like "$(cat "$TMPD/tp.out")" "certificate is $FP.*--fingerprint $FP" \
	"and the source names the certificate to pin"
is "$(hl_state src)" running "the source runs on"
ok "the target exits" target_gone

start_target
bad=SHA256:$(echo "$FP" | cut -c8- | tr '0-9A-F' '1-9A-F0')
teleport --port "$PORT" --passwordfile "$TMPD/pw" --fingerprint "$bad"
is "$?" 1 "a wrong fingerprint: refused"
like "$(cat "$TMPD/tp.out")" "not the pinned" "the source says why"
is "$(hl_state src)" running "the source runs on"
ok "the target exits" target_gone

start_target
t0=$(date +%s%N)
teleport --port "$PORT" --passwordfile "$TMPD/wrong" --fingerprint "$FP"
is "$?" 1 "a wrong password: refused"
t1=$(date +%s%N)
like "$(cat "$TMPD/tp.out")" "wrong teleporter password" "the source says why"
diag "$(grep 'wrong password' "$T/Logs/vireo.log")"
ok "the answer was delayed (>= 0.5 s: $(((t1 - t0) / 1000000)) ms)" \
	test $(((t1 - t0) / 1000000)) -ge 500
is "$(hl_state src)" running "the source runs on"
ok "the target exits" target_gone
like "$(cat "$T/Logs/vireo.log")" "teleport from 127.0.0.1:[0-9]+: wrong password" \
	"the target logs the wrong password with the address"
ok "the target never logs the password or its hash" \
	sh -c "! grep -q -e 'horse' -e 'SHA-512##' '$T/Logs/vireo.log' '$S/Logs/vireo.log'"

VIREO_TELEPORT_TEST_CPUID=1 start_target
teleport --port "$PORT" --passwordfile "$TMPD/pw" --fingerprint "$FP"
is "$?" 1 "another CPU: refused"
like "$(cat "$TMPD/tp.out")" "CPUID differs" "the source says why"
is "$(hl_state src)" running "the source runs on"
ok "the target exits" target_gone

# mid-transfer failures through the relay
for mode in cut hold; do
	start_target
	rm -f "$TMPD/pport" "$TMPD/mark"
	python3 "$srcdir/headless/tpproxy.py" "$TMPD/pport" "$PORT" $mode \
		200000 "$TMPD/mark" &
	PROXY=$!
	i=0
	while [ ! -s "$TMPD/pport" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	teleport --port "$(cat "$TMPD/pport")" --passwordfile "$TMPD/pw" \
		--fingerprint "$FP" &
	TP=$!
	if [ $mode = hold ]; then
		i=0
		while [ ! -e "$TMPD/mark" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		tpid=$(pgrep -f "vireo-headless --startvm [{]?$DST_UUID")
		[ -n "$tpid" ] && kill -KILL $tpid
		what="the target killed mid-transfer"
		ok "$what: the target's process was found and killed" \
			test -n "$tpid"
	else
		what="the connection cut mid-transfer"
	fi
	wait $TP
	is "$?" 1 "$what: the teleport fails"
	like "$(cat "$TMPD/tp.out")" \
		"sending the state to .* failed after [0-9]+ bytes|did not confirm the state it was sent" \
		"$what: it broke off before the hand-over, while the state was sent or loaded"
	wait $PROXY
	is "$(hl_state src)" running "$what: the source runs on"
	ok "$what: the target is gone" target_gone
done
like "$(cat "$T/Logs/vireo-headless.out")" 'teleport failed: .*not started' \
	"the target says it did not start the VM"

# the real thing, with a viewer on the source
start_target
VIEWER=
if [ -z "$RDP_WHY" ]; then
	"$PROBE" --port "$(hl_vminfo src vrdeport)" --timeout 20 --sec tls \
		--no-gfx --wait-pixel 32,100,ffffff --wait-disconnect 120000 \
		>"$TMPD/viewer.json" 2>"$TMPD/viewer.err" &
	VIEWER=$!
	i=0
	while [ $i -lt 300 ] && [ "$(hl_vminfo src VRDEActiveConnection)" != on ]; do
		sleep 0.1
		i=$((i + 1))
	done
	active=$(hl_vminfo src VRDEActiveConnection)
	is "$active" on "a viewer is connected to the source"
	if [ "$active" != on ]; then
		diag "$(vm showvminfo src --machinereadable | grep -i vrde)"
		diag "$(cat "$TMPD/viewer.err")"
		diag "$(grep -i 'client\|vrde' "$S/Logs/vireo.log" | tail -5)"
	fi
	# The teleport below ends the session: the viewer must have seen the
	# testcard first, or its --wait-pixel step fails (CI, 2026-12-03).
	ok "the source's viewer sees the testcard" hl_wait_file \
		"$TMPD/viewer.json" '"step":"wait-pixel","arg":"[^"]*","ok":true' 30
fi
vm controlvm src screenshotpng "$TMPD/before.png" 0
before=$(hl_counter "$TMPD/before.png")
like "$before" '^[1-9][0-9]*$' "the source's frame counter: $before"
SRC_PID=$(pgrep -f "vireo-headless --startvm .*$(hl_vminfo src UUID)")
# On KVM, with 1 ms the source sends round after round whenever the
# testcard drew during the last (until 5 bring no fewer dirty pages), each
# reading the slots' dirty logs while the display reads the video
# memory's: the target's memory check below then shows that no page
# written meanwhile was lost between the two.  (Whether a round runs
# depends on the card drawing during the first pass, so it is not
# asserted.)  The software CPU keeps the default: with 1 ms its target
# found memory differing in 1 run of 5 (2026-12-03), which tp_take_all
# (teleport.c) should have fixed; 6 runs since, with a delay injected
# into the write hook, passed, too few to make it the test's path.
down=250
[ "$ACCEL" != kvm ] || down=1
teleport --port "$PORT" --passwordfile "$TMPD/pw" --fingerprint "$FP" \
	--maxdowntime "$down"
is "$?" 0 "controlvm teleport succeeds"
diag "$(tr '\n' ' ' <"$TMPD/tp.out")"
like "$(cat "$TMPD/tp.out")" 'downtime_ms=[0-9]+' "it reports the downtime"
like "$(cat "$TMPD/tp.out")" 'live=on' "the copy was live (pre-copy)"
like "$(cat "$TMPD/tp.out")" 'VM "src" teleported' "and says teleported"
ok "the source's vireo-headless has exited" hl_gone "$SRC_PID"
like "$(cat "$S/Logs/vireo.log")" 'VM teleported; this side powered off' \
	"the source's log ends teleported"
if [ -n "$VIEWER" ]; then
	wait "$VIEWER"
	st=$?
	is "$st" 0 "the source's viewer was disconnected (rdp-probe --wait-disconnect)"
	[ "$st" = 0 ] || diag "$(cat "$TMPD/viewer.json" "$TMPD/viewer.err")"
	like "$(cat "$TMPD/viewer.json")" \
		'"error_info":1,"error_info_name":"ERRINFO_RPC_INITIATED_DISCONNECT"' \
		"and told why: Set Error Info 1, disconnected by the server's administrator"
	like "$(cat "$S/Logs/vireo.log")" \
		'disconnecting 1 remote display viewer: the VM was teleported and now runs at 127\.0\.0\.1' \
		"the source's log says why its viewer goes, and where the VM runs"
	like "$(cat "$S/Logs/vireo.log")" \
		'client [0-9]+: the host ended the session; the viewer was told \(Set Error Info 0x00000001' \
		"and that the viewer was told"
else
	skip "a viewer on the source: $RDP_WHY"
fi
is "$(hl_state dst)" running "the target runs the VM"
like "$(cat "$T/Logs/vireo.log")" 'guest memory verified identical' \
	"the target's memory is the source's (CRC)"
vm controlvm dst screenshotpng "$TMPD/after.png" 0
after=$(hl_counter "$TMPD/after.png")
ok "the counter goes on from $before on the target ($after)" \
	test "$after" -ge "$before" -a "$after" -lt $((before + 2000))
sleep 0.5
vm controlvm dst screenshotpng "$TMPD/later.png" 0
later=$(hl_counter "$TMPD/later.png")
ok "and keeps counting ($later)" test "$later" -gt "$after"
vm controlvm dst keyboardputscancode 1e 9e
ok "a key typed on the target reaches the guest" \
	hl_wait_file "$T/Logs/serial.log" '^key 1e up$'
if [ -z "$RDP_WHY" ]; then
	# Enter clears the text line ('A' from above), I writes one: the
	# middle of the glyph cell's fourth row is lit in both, its left end
	# in 'A' only
	out=$("$PROBE" --port "$(key vrdeport)" --timeout 20 --sec tls --no-gfx \
		--wait-pixel 32,100,ffffff --wait-pixel 21,439,ffff00 \
		--keys 1c --wait-pixel 21,439,000000 --keys 17 \
		--wait-pixel 21,439,ffff00 --wait-pixel 17,439,000000 \
		2>>"$TMPD/viewer.err")
	is "$?" 0 "an RDP client on the target types Enter and I: the text line clears, then shows I"
	like "$out" '"connected":true' "it connected to the target's own remote display"
	ok "the target's COM1 shows the client's keys" sh -c \
		"grep '^key ' '$T/Logs/serial.log' | tail -4 | tr '\n' , |
		grep -qx 'key 1c down,key 1c up,key 17 down,key 17 up,'"
else
	skip "keys from an RDP client on the target: $RDP_WHY"
fi
ok "the target's COM1 did not see the guest boot again" \
	sh -c "! grep -q '^testcard ready' '$T/Logs/serial.log'"
vm controlvm dst poweroff
grep -h "teleported to\|pre-copy\|verified" "$S/Logs/vireo.log" "$T/Logs/vireo.log" | sed "s/^/# /"
echo "1..$tap_n"
done_testing
