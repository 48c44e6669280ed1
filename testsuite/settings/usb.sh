#!/bin/sh
# usb.sh - vireo-manage's USB settings against real files: modifyvm
# --usbohci/--usbehci/--usbxhci and --mouse, usbfilter add|modify|remove
# with VBoxManage's options, showvminfo in its three forms; bad input is
# refused (exit code 2, or 1 for a missing index) and leaves the file
# byte-for-byte unchanged.
. "$srcdir/tap.sh"
tap_tmpdir
export VIREO_HOME="$TMPD/home" HOME="$TMPD"
unset XDG_CONFIG_HOME
M=vireo-manage

r() {
	out=$("$@" 2>"$TMPD/.err")
	rc=$?
	err=$(cat "$TMPD/.err")
}
mr() { $M showvminfo u --machinereadable; }

plan 32
$M createvm --name u --register >/dev/null
VBOX="$TMPD/vireo VMs/u/u.vbox"
like "$(mr)" '^usb="off"$' "a new VM has no USB controller"
like "$(mr)" '^hidpointing="ps2mouse"$' "and a PS/2 mouse"

r $M modifyvm u --usbohci on --mouse usbtablet
is "$rc" 0 "modifyvm --usbohci on --mouse usbtablet"
like "$(cat "$VBOX")" '<Controller name="OHCI" type="OHCI"/>' \
	"the .vbox gets VirtualBox's OHCI controller element"
like "$(cat "$VBOX")" '<HID Pointing="USBTablet"/>' \
	"and <HID Pointing=\"USBTablet\"/>"
like "$(mr)" '^usb="on"$' "showvminfo: usb=\"on\""
like "$(mr)" '^hidpointing="usbtablet"$' "showvminfo: hidpointing=\"usbtablet\""

cp "$VBOX" "$TMPD/before"
r $M modifyvm u --usbehci on
like "$rc:$err" '^2:.*--usbehci on: not implemented' "--usbehci on refused"
r $M modifyvm u --usb-xhci on
like "$rc:$err" '^2:.*--usbxhci on: not implemented' "--usb-xhci on refused"
r $M modifyvm u --mouse usbmultitouch
like "$rc:$err" '^2:.*--mouse usbmultitouch: not implemented' \
	"--mouse usbmultitouch refused"
r $M modifyvm u --mouse trackball
like "$rc:$err" '^2:.*invalid value .trackball. for --mouse' "--mouse trackball refused"
r $M usbfilter add 0 --target u --name x --vendorid 12345
like "$rc:$err" "^2:.*invalid value '12345' for --vendorid" "a 5-digit vendor id refused"
r $M usbfilter add 0 --target u --vendorid 0627
like "$rc:$err" '^2:.*--name is required' "add without --name refused"
r $M usbfilter add 0 --target u --name x --remote maybe
like "$rc:$err" '^2:.*--remote' "--remote maybe refused"
r $M usbfilter add 0 --target global --name x
like "$rc:$err" '^2:.*no global filters' "--target global refused"
r $M usbfilter add 3 --target u --name x
like "$rc:$err" '^1:.*no filter index 3' "add past the end refused"
r $M usbfilter remove 0 --target u
like "$rc:$err" '^1:.*no filter index 0' "remove of a missing filter refused"
ok "refused commands left the file unchanged" cmp -s "$VBOX" "$TMPD/before"

r $M usbfilter add 0 --target u --name tablet --vendorid 0627 \
	--productid 0001 --revision 0100 --manufacturer QEMU \
	--product "QEMU USB Tablet" --serialnumber 42 --remote yes --active yes
is "$rc" 0 "usbfilter add 0 with every option"
r $M usbfilter add 0 --target u --name first --active no
r $M usbfilter add 2 --target u --name last --remote no
like "$(cat "$VBOX")" '<DeviceFilter name="first" active="false"/>.*' \
	"a filter added at 0 comes first"
is "$(grep -o 'DeviceFilter name="[a-z]*"' "$VBOX" | tr '\n' ' ')" \
	'DeviceFilter name="first" DeviceFilter name="tablet" DeviceFilter name="last" ' \
	"filters in index order"
like "$(cat "$VBOX")" '<DeviceFilter name="tablet" active="true" vendorId="0627" productId="0001" revision="0100" manufacturer="QEMU" product="QEMU USB Tablet" serialNumber="42" remote="yes"/>' \
	"VirtualBox's DeviceFilter attributes"
info=$(mr)
like "$info" '^USBFilterName2="tablet"$' "machinereadable: USBFilterName2"
like "$info" '^USBFilterVendorId2="0627"$' "machinereadable: USBFilterVendorId2"
like "$info" '^USBFilterActive1="off"$' "machinereadable: USBFilterActive1"

r $M usbfilter modify 1 --target u --remote any --product ""
like "$(cat "$VBOX")" '<DeviceFilter name="tablet" active="true" vendorId="0627" productId="0001" revision="0100" manufacturer="QEMU" serialNumber="42"/>' \
	"modify: --remote any and an empty --product remove the attributes"
r $M usbfilter remove 0 --target u
is "$(grep -c '<DeviceFilter ' "$VBOX")" 2 "remove 0 leaves two filters"
r $M showvminfo u
like "$out" '^Pointing Device: +USB Tablet$' "showvminfo: Pointing Device"
like "$out" '^OHCI USB: +enabled$' "showvminfo: OHCI USB enabled"
is "$(printf '%s\n' "$out" | sed -n '/^USB Device Filters/,$p' | grep -E '^(Index|Name|VendorId):' | tr -s ' ' | tr '\n' '|')" \
	'Index: 0|Name: tablet|VendorId: 0627|Index: 1|Name: last|VendorId: |' \
	"showvminfo lists the filters"
r $M showvminfo u --json
is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["usb"], d["hidpointing"], d["USBFilterName1"], d["USBFilterRemote2"])')" \
	"on usbtablet tablet no" "--json has the USB keys"
r $M modifyvm u --usbohci off --mouse ps2
like "$(mr)" '^usb="off"$' "--usbohci off removes the controller"
done_testing
