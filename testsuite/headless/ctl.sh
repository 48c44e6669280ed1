#!/bin/sh
# ctl.sh - the control socket of a running VM (conventions.md) with two
# screens: info, pause/resume, input from clients and from the socket
# reaching the guest (COM1 log), lock-key sync, mode hints
# and geometry changes, screenshots, VRDE restart on property changes,
# Client/DisableInput, reset, errors, poweroff.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 44
hl_setup
HL_MONITORS=2 hl_vm two 'allowMultiConnection="true"'
hl_start two
serial="$TMPD/vms/two/Logs/serial.log"
ok "guest is up with two heads" hl_wait_file "$serial" '^testcard ready heads=2$' 60
ok "both screens handed to the module" hl_wait_rec '^complete screen=1 '
ok "screen 1 sits right of screen 0" \
	hl_wait_rec '^resize screen=1 800x600 enabled=1 origin=1024,0 '

info=$(hl_ctl info)
like "$info" '^VMState="running"$' "info: running"
like "$info" "^vrdeport=$HL_PORT\$" "info: the bound port"
like "$info" '^VRDEClients==0$' "info: no clients (doubled =)"
like "$info" '^VRDEActiveConnection="off"$' "info: no active connection"

hl_cmd logon 7 'alice' - - 127.0.0.1
hl_wait_rec '^logon id=7 user=alice rc=0$'
info=$(hl_ctl info)
like "$info" '^VRDEClients==1$' "info: one client"
like "$info" '^VRDEClient1UserName="alice"$' "info: per-client user"
like "$info" '^VRDEClientIP="127.0.0.1"$' "info: first client's IP"
like "$info" '^VRDEBytesSent=1007$' "info: bytes from the module's query_info"
like "$info" '^VRDEActiveConnection="on"$' "info: active connection"
# A reply of hundreds of lines arrives whole: written a field (or a
# character) at a time it once filled the socket's buffer before the
# client read, and lost its end.
for id in $(seq 100 123); do hl_cmd logon $id "user$id" - - 127.0.0.1; done
hl_wait_rec '^logon id=123 user=user123 rc=0$'
info=$(hl_ctl info)
like "$info" '^VRDEClients==25$' "info: 25 clients"
like "$info" '^VRDEClient25Screen=[0-9]+$' \
	"info: a long reply arrives whole (the last client's last key)"

hl_ctl pause >/dev/null
like "$(hl_ctl info)" '^VMState="paused"$' "pause"
hl_ctl resume >/dev/null
like "$(hl_ctl info)" '^VMState="running"$' "resume"

# input from a client reaches the guest
hl_cmd key 7 20
hl_cmd key 7 20 up
hl_cmd key 7 4b e0
ok "client key press reaches the guest" hl_wait_file "$serial" '^key 20 down$'
ok "client key release reaches the guest" hl_wait_file "$serial" '^key 20 up$'
ok "extended key keeps its E0" hl_wait_file "$serial" '^key e04b down$'
hl_cmd ptr 7 0 100 200 1
ok "pointer with button reaches the guest" hl_wait_file "$serial" '^ptr 100 200 1$'
hl_cmd ptr 7 1 30 40 0
ok "pointer on screen 1" hl_wait_file "$serial" '^ptr 30 40 0 head=1$'
hl_cmd sync 7 4
hl_cmd sync 7 4
hl_cmd sync 7 0
ok "lock sync toggles Caps Lock" hl_wait_file "$serial" '^key 3a up$' 20 2
sleep 0.5
is "$(grep -c '^key 3a down$' "$serial")" 2 "sync only toggles on a difference"
hl_ctl keyboardputscancode 2d ad >/dev/null
ok "keyboardputscancode reaches the guest" hl_wait_file "$serial" '^key 2d up$'

# geometry
hl_ctl setvideomodehint 800 600 32 >/dev/null
ok "setvideomodehint: guest changes mode" hl_wait_file "$serial" '^mode 0 800x600$'
ok "setvideomodehint: module gets resize" hl_wait_rec '^resize screen=0 800x600 '
hl_cmd hint 1 640 480
ok "client mode hint reaches the guest" hl_wait_file "$serial" '^mode 1 640x480$'
ok "module gets screen 1's resize" hl_wait_rec '^resize screen=1 640x480 '

# screenshot
hl_ctl screenshotpng "$TMPD/shot.png" 1 >/dev/null
is "$(identify -format '%w %h' "$TMPD/shot.png" 2>&1)" "640 480" \
	"screenshotpng of screen 1 has its size"
like "$(convert "$TMPD/shot.png" -format '%[pixel:p{8,40}]' info: 2>&1)" \
	'white|rgb\(255,255,255\)' "screenshot shows the white bar"
like "$(hl_ctl screenshotpng relative.png)" '^error .*absolute' \
	"screenshot needs an absolute path"

# VRDE restarts
hl_ctl vrde off >/dev/null
like "$(hl_ctl info)" '^vrdeport=-1$' "vrde off: inactive"
hl_ctl vrdeport 34900-34999 >/dev/null
hl_ctl vrde on >/dev/null
like "$(hl_ctl info)" '^vrdeport=349[0-9][0-9]$' "vrde on with the new port list"
hl_ctl vrdeproperty Client/DisableInput=1 >/dev/null
ok "property change restarts the module" hl_wait_rec '^create ' 3
hl_cmd logon 8 bob - - 127.0.0.1
ok "Client/DisableInput: bob logs on" hl_wait_rec '^logon id=8 user=bob rc=0$'
hl_cmd key 8 2c
# a key from the socket after it: once that arrived, so would bob's
hl_ctl keyboardputscancode 2e ae >/dev/null
ok "Client/DisableInput: the socket's key after it arrives" \
	hl_wait_file "$serial" '^key 2e up$'
ok "Client/DisableInput: client keys are dropped" lacks "$serial" '^key 2c'

hl_ctl reset >/dev/null
ok "reset reboots the guest" hl_wait_file "$serial" '^testcard ready' 60 2
like "$(hl_ctl info)" '^VMState="running"$' "running after reset"
like "$(hl_ctl bogus)" '^error unknown or malformed request' "unknown request"
like "$(hl_ctl setvideomodehint 800)" '^error usage' "malformed request"

hl_ctl poweroff >/dev/null
wait "$HL_PID"
is "$?" 0 "poweroff: exit status 0"
HL_PID=
ok "poweroff: socket removed" test ! -e "$HL_SOCK"
ok "no contract violations" lacks "$HL_REC" VIOLATION
done_testing
