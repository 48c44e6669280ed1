#!/bin/sh
# The OHCI controller and the emulated USB tablet (vmm-run -U): the
# testcard's polling OHCI driver enumerates the root hub's port 1 (reset,
# SET_ADDRESS, descriptors, SET_CONFIGURATION) and prints the tablet on
# COM1; host pointer events become tablet reports that put the crosshair
# on exactly the pixel sent, on head 0 and head 1 (the heads side by
# side, vireo_hw.h), with the buttons.  With the controller alone (-u)
# the root hub has no device.  After a VM reset the tablet is found and
# works again.  Saved state keeps the controller and the
# tablet (a report queued while paused arrives after the restore), and a
# state with the controller is refused by a VM without one.  With the
# tablet the PS/2 mouse gets no motion (the guest would see it twice).
. "$srcdir/vmm/vmm-lib.sh"
tap_tmpdir
vmm_run -U -H 2 "serial:usb: ohci ports=4\nusb: port 1 0627:0001 class 03/00/00\n" \
	"serial:testcard ready heads=2" \
	ptr:0,700,300,0 "serial:usb: tablet 700 300 0\n" \
	pixel:0,705,300,ff8000 pixel:0,700,295,ff8000 \
	ptr:0,1023,767,1 "serial:usb: tablet 1023 767 1\n" \
	pixel:0,1018,767,ff8000 pixel:0,705,300,303030 \
	ptr:1,40,140,4 "serial:usb: tablet 40 140 4 head=1\n" \
	pixel:1,45,140,ff8000 pixel:1,40,135,ff8000 \
	ptr:1,799,599,3 "serial:usb: tablet 799 599 3 head=1\n" \
	ptr:0,0,0,0 "serial:usb: tablet 0 0 0\n" pixel:0,5,0,ff8000 \
	poweroff exit:host-poweroff
vmm_run -U "serial:testcard ready heads=1\n" reset \
	"serial2:usb: port 1 0627:0001 class 03/00/00\n" \
	"serial2:testcard ready heads=1\n" ptr:0,700,300,0 \
	"serial:usb: tablet 700 300 0\n" pixel:0,705,300,ff8000 \
	poweroff exit:host-poweroff
vmm_run -u "serial:usb: ohci ports=4\ntestcard ready" \
	ptr:0,300,400,0 pixel:0,305,400,ff8000 \
	poweroff exit:host-poweroff
for a in $VMM_ACCELS; do
	vmm_usable "$a" || continue
	# with the tablet, the PS/2 mouse gets no motion: the guest sees
	# only its "enable" acknowledgement (raw8042 prints every byte)
	LOG=$TMPD/$a-ps2.log
	out=$(timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -U -a raw8042 -s "$LOG" \
		"serial:testcard ready heads=1\n" ptr:0,10,5,1 \
		"serial:usb: tablet 10 5 1\n" ptr:0,4,9,2 \
		"serial:usb: tablet 4 9 2\n" key:1e,down \
		"serial:i8042 kbd 1c\n" poweroff exit:host-poweroff)
	vmm_merge "$a: ps2" "$out"
	is "$(grep -c '^i8042 aux' "$LOG")" 1 \
		"$a: the PS/2 mouse got no motion, only its acknowledgement"
	S=$TMPD/$a.sav
	out=$(timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -U \
		"serial:usb: port 1 0627:0001 class 03/00/00\n" \
		ptr:0,700,300,0 "serial:usb: tablet 700 300 0\n" pause \
		ptr:0,200,600,1 "save:$S" poweroff exit:host-poweroff)
	st=$?
	vmm_merge "$a: save" "$out"
	is "$st" 0 "$a: save run exit status"
	out=$(timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -U -R "$S" resume \
		"serial:usb: tablet 200 600 1\n" pixel:0,205,600,ff8000 \
		ptr:0,300,500,0 "serial:usb: tablet 300 500 0\n" \
		poweroff exit:host-poweroff)
	st=$?
	vmm_merge "$a: restore" "$out"
	is "$st" 0 "$a: restore run exit status"
	out=$(timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -R "$S" resume \
		poweroff exit:host-poweroff 2>&1)
	like "$out" 'device ohci: saved with an OHCI USB controller, this VM has none' \
		"$a: a VM without the controller refuses the state, saying why"
done
vmm_end
