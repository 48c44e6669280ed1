#!/bin/sh
# usb-remote.sh - remote USB through vireo-headless, with the recording
# module's synthetic devices (vrde-record.c: "usbadd CLIENT loop|other",
# "usbdel DEVICE") and the testcard on the software CPU.  A device that
# an active filter for remote devices matches is attached to a root-hub
# port: the testcard enumerates it on COM1 and echoes 1 MiB through its
# bulk loopback pair, which the module checks byte for byte (CRC-32 of
# what it sent and of what came back).  A device only a host-only filter
# matches is refused and never reaches the guest; Client/DisableUSB=1
# refuses everything; a VM without a USB controller refuses with
# -ENODEV; a fifth device finds no free port.  Unplug and a client's
# logoff make the guest see a disconnect; stopping the VM releases what
# is left (usb_release); a VM reset cancels a transfer in flight.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 44
hl_setup
MULTI='allowMultiConnection="true"'
hl_vm usb "$MULTI"
hl_vm nousb "$MULTI"
m() { timeout 60 vireo-manage "$@" >>"$TMPD/manage.out" 2>&1; }
m modifyvm usb --usbohci on
m usbfilter add 0 --target usb --name loop --vendorid 1209 \
	--productid 0001 --remote yes
m usbfilter add 1 --target usb --name hostonly --vendorid 1209 \
	--productid 0002 --remote no
m usbfilter add 0 --target nousb --name all --remote any
LOG=$TMPD/vms/usb/Logs/vireo.log
SER=$TMPD/vms/usb/Logs/serial.log

# Wait up to $2 s (default 20) for vireo.log to match $1.
wait_log() { hl_wait_file "$LOG" "$1" "${2:-20}"; }
wait_ser() { hl_wait_file "$SER" "$1" "${2:-20}" "${3:-1}"; }

hl_start usb
ok "guest runs with the OHCI controller" wait_ser '^usb: ohci ports=4' 60
hl_wait_guest
hl_cmd logon 1 alice - - 127.0.0.1
hl_wait_rec '^logon id=1 user=alice rc=0$'

# --- refused: only a host-only filter matches ------------------------
hl_cmd usbadd 1 other
ok "device of a host-only filter refused (-EACCES)" \
	hl_wait_rec '^usbadd device=1 client=1 kind=other rc=-13$'
ok "the log says which device arrived, with its strings" \
	wait_log 'remote USB device 1 of client 1 arrived: 1209:0002 rev 0100 class ff/00/00, full speed, manufacturer "vireo", product "other", serial "O1", at "recorder-2"'
ok "the log says why it was refused" \
	wait_log 'remote USB device 1 \(1209:0002\) refused: no active USB device filter for remote devices matches it'

# --- the loopback device: enumerated and echoed ----------------------
hl_cmd usbadd 1 loop
ok "matching device taken" \
	hl_wait_rec '^usbadd device=2 client=1 kind=loop rc=0$'
ok "the log names the filter" \
	wait_log "remote USB device 2 \(1209:0001\) matches filter 'loop'"
ok "the log names the port" \
	wait_log 'remote USB device 2 \(1209:0001\) of client 1 attached to port 1'
ok "the guest enumerates it (COM1)" \
	wait_ser '^usb: port 1 1209:0001 class ff/00/00$' 60
ok "the guest echoes its bulk pair" wait_ser '^usb: port 1 echo ready$'
ok "1 MiB echoed by the guest" \
	wait_ser '^usb: port 1 echo 1048576 bytes$' 300
ok "the module got all of it back" \
	hl_wait_file "$HL_REC" '^usb echo device=2 in=1048576 out=1048576 ' 30
echo_line=$(grep '^usb echo device=2 ' "$HL_REC" | head -1)
in_crc=$(printf '%s\n' "$echo_line" | sed -n 's/.* in_crc=\([0-9a-f]*\) .*/\1/p')
out_crc=$(printf '%s\n' "$echo_line" | sed -n 's/.* out_crc=\([0-9a-f]*\) .*/\1/p')
ok "CRC-32 of the bytes back equals that of the bytes sent" \
	test -n "$in_crc" -a "$in_crc" = "$out_crc"
like "$echo_line" ' mismatches=0$' "every byte came back in place"
ok "SET_ADDRESS never reached the module" lacks "$HL_REC" VIOLATION
ok "SET_CONFIGURATION did (as a control URB)" \
	grep -q '^usb control device=2 00 09 0001 len=0$' "$HL_REC"
# --- a VM reset with a bulk IN in flight (all data sent: it waits) --------
hl_ctl reset >/dev/null
ok "reset: the transfer in flight is cancelled on the module" \
	hl_wait_rec '^usb_cancel device=2 rc=0$'
ok "reset: the guest finds the device again" \
	wait_ser '^usb: port 1 1209:0001 class ff/00/00$' 60 2
ok "reset: and echoes again" wait_ser '^usb: port 1 echo ready$' 20 2
info=$(hl_ctl info)
like "$info" 'USBAttachVendorId1="0x1209"' "info lists the attached device"
like "$info" 'USBAttachRemote1="client 1 port 1"' "info says whose and where"
like "$(timeout 30 vireo-manage showvminfo usb --machinereadable)" \
	'USBAttachProduct1="loopback"' "showvminfo --machinereadable lists it"
like "$(timeout 30 vireo-manage showvminfo usb | tr '\n' '|')" \
	'Currently attached USB devices:\|\|VendorId: +0x1209\|.*Product: +loopback' \
	"showvminfo lists it under VBoxManage's heading"

# --- unplug ------------------------------------------------------------
hl_cmd usbdel 2
ok "unplug: the log says so" \
	wait_log 'remote USB device 2 \(1209:0001\) detached from port 1: unplugged on the client'
ok "unplug: the guest sees the disconnect" \
	wait_ser '^usb: port 1 disconnected$'
ok "unplug: info lists nothing" \
	sh -c "! '$builddir/headless/ctl-send' '$HL_SOCK' info | grep -q USBAttach"

# --- two clients, a full root hub, a client leaving ---------------------
hl_cmd logon 2 bob - - 127.0.0.1
hl_wait_rec '^logon id=2 user=bob rc=0$'
hl_cmd usbadd 2 loop
ok "second client's device on port 1" \
	wait_log 'remote USB device 3 \(1209:0001\) of client 2 attached to port 1'
hl_cmd usbadd 1 loop
ok "first client's next device on port 2" \
	wait_log 'remote USB device 4 \(1209:0001\) of client 1 attached to port 2'
ok "the guest enumerates port 2" \
	wait_ser '^usb: port 2 1209:0001 class ff/00/00$' 60
hl_cmd usbadd 1 loop
hl_cmd usbadd 1 loop
hl_wait_rec '^usbadd device=6 client=1 kind=loop rc=0$'
hl_cmd usbadd 1 loop
ok "a fifth device finds no free port (-ENOSPC)" \
	hl_wait_rec '^usbadd device=7 client=1 kind=loop rc=-28$'
ok "the log says the root hub is full" \
	wait_log 'remote USB device 7 \(1209:0001\) refused: no free root-hub port \(4 of 4 in use\)'
ok "the guest saw four devices" \
	wait_ser '^usb: port [1-4] 1209:0001 class ff/00/00$' 60 6
hl_cmd bye 2
ok "client 2 leaves: its device leaves the guest" \
	wait_ser '^usb: port 1 disconnected$' 20 2
ok "client 2 leaves: logged" \
	wait_log 'remote USB device 3 \(1209:0001\) detached from port 1'
hl_stop TERM
is "$HL_RC" 0 "exit status 0"
ok "VM stop: the devices left are released" \
	grep -q '^usb_release device=4 known=1$' "$HL_REC"
ok "VM stop: logged" \
	grep -q 'remote USB device 4 (1209:0001) detached from port 2: the VRDE server stops' "$LOG"
ok "the host-only device never reached the guest" lacks "$SER" '1209:0002'
ok "no contract violations" lacks "$HL_REC" VIOLATION

# --- Client/DisableUSB=1 refuses everything ------------------------------
: >"$SER"
hl_start usb -e Client/DisableUSB=1
hl_wait_guest
hl_cmd logon 1 alice - - 127.0.0.1
hl_cmd usbadd 1 loop
ok "DisableUSB: refused (-EACCES)" \
	hl_wait_rec '^usbadd device=1 client=1 kind=loop rc=-13$'
ok "DisableUSB: the log says why" \
	wait_log 'remote USB device 1 \(1209:0001\) refused: Client/DisableUSB is 1'
sleep 1
ok "DisableUSB: the guest saw no device" lacks "$SER" '1209:0001'
hl_stop

# --- no USB controller ----------------------------------------------------
hl_start nousb
hl_wait_guest
hl_cmd logon 1 alice - - 127.0.0.1
hl_cmd usbadd 1 loop
ok "no controller: refused (-ENODEV)" \
	hl_wait_rec '^usbadd device=1 client=1 kind=loop rc=-19$'
ok "no controller: the log says why" \
	hl_wait_file "$TMPD/vms/nousb/Logs/vireo.log" \
	'remote USB device 1 \(1209:0001\) refused: the VM has no USB controller'
hl_stop
is "$HL_RC" 0 "no controller: exit status 0"
done_testing
