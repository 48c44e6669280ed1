#!/bin/sh
# policy.sh - the connection policy after a successful logon, as
# VirtualBox applies it: allowMultiConnection x reuseSingleConnection,
# a failed logon never evicting a good client, screen selection.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 18
SHA_SECRET=2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
USERS="<ExtraDataItem name=\"VBoxAuthSimple/users/alice\" value=\"$SHA_SECRET\"/>
<ExtraDataItem name=\"VBoxAuthSimple/users/bob\" value=\"$SHA_SECRET\"/>"
AUTH='authType="External" authLibrary="simple"'
hl_setup
hl_vm single "$AUTH" '' "$USERS"
hl_vm reuse "$AUTH reuseSingleConnection=\"true\"" '' "$USERS"
hl_vm multi "$AUTH allowMultiConnection=\"true\" reuseSingleConnection=\"true\"" '' "$USERS"

# multi off, reuse off: the second client is refused
hl_start single
hl_cmd logon 1 alice secret - 127.0.0.1
hl_wait_rec '^logon id=1 user=alice rc=0$'
hl_cmd logon 2 bob secret - 127.0.0.1
ok "single: second client refused with -EBUSY" hl_wait_rec '^logon id=2 user=bob rc=-16$'
like "$(hl_ctl info)" '^VRDEUserName="alice"$' "single: first client stays"
hl_cmd bye 1
hl_wait_rec '^dropped id=1 \(client left\)$'
hl_cmd logon 3 bob secret - 127.0.0.1
ok "single: after the first leaves, another may log on" \
	hl_wait_rec '^logon id=3 user=bob rc=0$'
hl_cmd logon 4 alice secret - 127.0.0.1 3
ok "a screen the VM does not have is refused (-ERANGE)" \
	hl_wait_rec '^logon id=4 user=alice rc=-34$'
hl_stop

# multi off, reuse on: the second client replaces the first, but a client
# failing authentication never evicts anyone
hl_start reuse
hl_cmd logon 1 alice secret - 127.0.0.1
hl_wait_rec '^logon id=1 user=alice rc=0$'
hl_cmd logon 2 bob wrong - 127.0.0.1
ok "reuse: failed logon denied" hl_wait_rec '^logon id=2 user=bob rc=-13$'
like "$(hl_ctl info)" '^VRDEUserName="alice"$' "reuse: failed logon evicted nobody"
ok "reuse: no disconnect was asked" sh -c "! grep -q '^disconnect' '$HL_REC'"
hl_cmd logon 3 bob secret - 127.0.0.1
ok "reuse: second good client accepted" hl_wait_rec '^logon id=3 user=bob rc=0$'
ok "reuse: first client disconnected by the host" \
	hl_wait_rec '^disconnect id=1 reconnect=0$'
info=$(hl_ctl info)
like "$info" '^VRDEClients==1$' "reuse: one client left"
like "$info" '^VRDEUserName="bob"$' "reuse: it is the new one"
hl_stop

# multi on: everybody
hl_start multi
for i in 1 2 3; do
	hl_cmd logon $i alice secret - 127.0.0.$i
done
ok "multi: three clients granted" hl_wait_rec '^logon id=[123] user=alice rc=0$' 3
like "$(hl_ctl info)" '^VRDEClients==3$' "multi: three clients connected"
like "$(hl_ctl info)" '^VRDEClient3ClientIP="127.0.0.3"$' "multi: per-client keys"
# Ctrl-Alt-Del from a client: the testcard treats it as its power button
hl_cmd cad 2
ok "Ctrl-Alt-Del reaches the guest, which powers off" \
	hl_wait_file "$HL_DIR/Logs/serial.log" '^testcard poweroff$'
like "$(grep -E '^key (1d|38|e053) ' "$HL_DIR/Logs/serial.log" | tr '\n' ' ')" \
	'^key 1d down key 38 down key e053 down' "Ctrl-Alt-Del is Ctrl, Alt, Del"
timeout 30 sh -c "while kill -0 $HL_PID 2>/dev/null; do sleep 0.1; done"
wait "$HL_PID"
is "$?" 0 "guest power-off ends vireo-headless with status 0"
HL_PID=
ok "module destroyed with three clients connected" \
	grep -q '^destroy clients=3$' "$HL_REC"
done_testing
