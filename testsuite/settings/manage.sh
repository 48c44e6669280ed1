#!/bin/sh
# manage.sh - every vireo-manage subcommand against real files: output in
# VBoxManage's formats, both option spellings, bad input refused with exit
# code 2 and the settings file left byte-for-byte unchanged.
. "$srcdir/tap.sh"
tap_tmpdir
export VIREO_HOME="$TMPD/home" HOME="$TMPD"
unset XDG_CONFIG_HOME
M=vireo-manage
DATA="$srcdir/settings/data"

# r CMD...: run, keep stdout in $out, stderr in $err, status in $rc
r() {
	out=$("$@" 2>"$TMPD/.err")
	rc=$?
	err=$(cat "$TMPD/.err")
}
# mr VM KEY: one key of showvminfo --machinereadable
mr() {
	$M showvminfo "$1" --machinereadable | grep -F "$2=" | head -1
}

# ---- createvm, registervm, list ----------------------------------------
r $M createvm --name t1 --ostype Linux_64 --register
is "$rc" 0 "createvm --register succeeds"
like "$out" "^Virtual machine 't1' is created and registered\." "createvm message"
VBOX="$TMPD/vireo VMs/t1/t1.vbox"
ok "settings file in the default machine folder" test -f "$VBOX"
UUID=$(printf '%s\n' "$out" | sed -n 's/^UUID: //p')
r $M list vms
is "$out" "\"t1\" {$UUID}" "list vms: \"name\" {uuid}"
r $M createvm --name t1 --register
is "$rc" 1 "createvm over an existing file fails"
r $M createvm --name t1 --basefolder "$TMPD/other" --register
like "$rc:$err" "^1:.*already registered" "createvm --register of a taken name fails"
r $M createvm --name t2 --basefolder "$TMPD/vms" --uuid 12345678-aaaa-4bbb-8ccc-1234567890ab
is "$rc" 0 "createvm --basefolder --uuid (not registered)"
like "$out" "UUID: 12345678-aaaa-4bbb-8ccc-1234567890ab" "the given uuid is used"
r $M list vms
is "$(printf '%s\n' "$out" | grep -c t2)" 0 "unregistered machine not listed"
r $M registervm "$TMPD/vms/t2/t2.vbox"
is "$rc" 0 "registervm"
r $M list vms
like "$out" '"t2" \{12345678-aaaa-4bbb-8ccc-1234567890ab\}' "registered machine listed"
r $M registervm "$TMPD/vms/t2/t2.vbox"
is "$rc" 1 "registervm twice fails"
r $M createvm --name bad --uuid nope
is "$rc" 2 "createvm with a bad uuid is a syntax error"
r $M registervm "$DATA/bad-root.vbox"
is "$rc" 1 "registervm of a bad file fails"
like "$err" "bad-root.vbox:3: root element" "with file and line"

# ---- modifyvm: 6.1 spellings -------------------------------------------
r $M modifyvm t1 --memory 512 --cpus 2 --vram 16 --monitorcount 2 \
	--vrde on --vrdeport 5000,5010-5012 --vrdeaddress 127.0.0.1 \
	--vrdeauthtype external --vrdemulticon on --vrdereusecon on \
	--vrdevideochannel on --vrdevideochannelquality 50 \
	--vrdeproperty Security/Method=TLS --vrdeauthlibrary simple \
	--boot1 disk --boot2 net --nic1 nat --natpf1 "ssh,tcp,,2222,,22" \
	--graphicscontroller vmsvga --ostype Debian_64 --hwvirtex off
is "$rc" 0 "modifyvm with 6.1 option names"
$M showvminfo t1 --machinereadable >"$TMPD/t1.info"
for kv in 'memory=512' 'cpus=2' 'vram=16' 'monitorcount=2' 'vrde="on"' \
	'vrdeports="5000,5010-5012"' 'vrdeaddress="127.0.0.1"' \
	'vrdeauthtype="external"' 'vrdemulticon="on"' 'vrdereusecon="on"' \
	'vrdevideochannel="on"' 'vrdevideochannelquality="50"' \
	'vrdeproperty[Security/Method]="TLS"' 'vrdeport=-1' \
	'VMState="poweroff"' 'boot1="disk"' 'boot2="net"' 'nic1="nat"' \
	'Forwarding(0)="ssh,tcp,,2222,,22"' 'graphicscontroller="VMSVGA"' \
	'ostype="Debian_64"' 'vrdeproperty[TCP/Address]="127.0.0.1"' \
	'hwvirtex="off"' \
	'vrdeproperty[Client/DisableAudio]=<not set>'; do
	ok "showvminfo: $kv" grep -qxF "$kv" "$TMPD/t1.info"
done
ok "authLibrary stored" grep -q 'authLibrary="simple"' "$VBOX"
# VirtualBox's element, inside <CPU> for a 1.19 file
ok "--hwvirtex off stored as <CPU><HardwareVirtEx enabled=\"false\"/>" \
	sh -c 'xmllint --xpath "//*[local-name()=\"CPU\"]/*[local-name()=\"HardwareVirtEx\"]/@enabled" "$1" | grep -qx " enabled=\"false\""' _ "$VBOX"

# ---- modifyvm: 7.x spellings give the same settings ---------------------
$M createvm --name t3 --register >/dev/null
r $M modifyvm t3 --vrde on --vrde-port 5000,5010-5012 \
	--vrde-address 127.0.0.1 --vrde-auth-type external \
	--vrde-multi-con on --vrde-reuse-con on --vrde-video-channel on \
	--vrde-video-channel-quality 50 --vrde-property Security/Method=TLS \
	--vrde-auth-library simple --monitor-count 2 --os-type Debian_64
is "$rc" 0 "modifyvm with 7.x option names"
is "$(mr t3 hwvirtex)" 'hwvirtex="on"' "hwvirtex is on by default"
ok "and a new machine has no HardwareVirtEx element" \
	sh -c "! grep -q HardwareVirtEx '$TMPD/vireo VMs/t3/t3.vbox'"
$M modifyvm t3 --hwvirtex off && $M modifyvm t3 --hwvirtex on
is "$(mr t3 hwvirtex)" 'hwvirtex="on"' "--hwvirtex on after off"
is "$($M showvminfo t3 --machinereadable | grep -E '^(vrde|monitorcount|ostype)')" \
	"$(grep -E '^(vrde|monitorcount|ostype)' "$TMPD/t1.info")" \
	"both spellings give the same VRDE settings"
$M modifyvm t3 --vrde-property Security/Method= --vrde-port default \
	--vrde-auth-library default
is "$(mr t3 'vrdeproperty[Security/Method]')" \
	'vrdeproperty[Security/Method]=<not set>' "name= deletes a property"
is "$(mr t3 'vrdeproperty[TCP/Ports]')" 'vrdeproperty[TCP/Ports]="0"' \
	"--vrde-port default stores 0"
ok "--vrde-auth-library default clears it" \
	sh -c "! grep -q authLibrary '$TMPD/vireo VMs/t3/t3.vbox'"

# ---- bad values: exit 2, file untouched ---------------------------------
cp "$VBOX" "$TMPD/t1.before"
for bad in "--bogus 1" "--vrdeport 0-1" "--vrde-port 70000" \
	"--vrde-port 5000," "--vrde-port abc" "--vrde-port 5000-4000" \
	"--vrde-port 1-2-3" "--vrde-video-channel-quality 9" \
	"--vrdevideochannelquality 101" "--vrde maybe" \
	"--vrde-auth-type foo" "--memory abc" "--cpus 0" \
	"--vrde-property noequals" "--boot5 disk" "--nic1 bridged" \
	"--boot-source foo" "--kernel relative/path" "--memory 64 --vrde-port x" \
	"--monitorcount 65" "--hwvirtex maybe" "--hwvirtex"; do
	# shellcheck disable=SC2086
	r $M modifyvm t1 $bad
	is "$rc" 2 "modifyvm $bad: exit code 2"
done
ok "after all bad values the file is byte-for-byte unchanged" \
	cmp -s "$VBOX" "$TMPD/t1.before"
r $M modifyvm t1 --vrde-port
like "$rc:$err" "^2:.*needs a value" "an option without its value"
r $M modifyvm t1 --hwvirtex maybe
is "$(printf '%s\n' "$err" | head -1)" \
	"vireo-manage: error: invalid value 'maybe' for --hwvirtex (expected on|off)" \
	"a bad --hwvirtex value: one line naming the option and the values"
r $M modifyvm nosuchvm --memory 64
is "$rc" 1 "modifyvm of an unknown machine: exit 1"

# ---- NAT port forwards ------------------------------------------------------
$M modifyvm t1 --natpf1 "web,udp,127.0.0.1,8080,10.0.2.15,80"
is "$(mr t1 'Forwarding(1)')" 'Forwarding(1)="web,udp,127.0.0.1,8080,10.0.2.15,80"' \
	"--natpf adds a rule with addresses"
$M modifyvm t1 --natpf1 delete web
is "$(mr t1 'Forwarding(1)')" "" "--natpf delete removes it"
cp "$VBOX" "$TMPD/t1.before"
r $M modifyvm t1 --natpf1 "ssh,tcp,,2223,,22"
like "$rc:$err" "^2:.*exists" "a duplicate rule name: exit 2"
r $M modifyvm t1 --natpf2 "x,tcp,,1,,2"
like "$rc:$err" "^2:.*not NAT" "a rule on a non-NAT adapter: exit 2"
r $M modifyvm t1 --natpf1 "x,sctp,,1,,2"
is "$rc" 2 "a bad protocol: exit 2"
ok "failed --natpf leave the file unchanged" cmp -s "$VBOX" "$TMPD/t1.before"

# ---- vireo's boot source ------------------------------------------------
$M modifyvm t1 --boot-source linux --kernel /boot/vmlinuz --initrd /boot/initrd.img --cmdline "console=ttyS0 quiet"
r $M getextradata t1 enumerate
like "$out" "Key: vireo/Boot/Source, Value: linux" "--boot-source"
like "$out" "Key: vireo/Boot/Cmdline, Value: console=ttyS0 quiet" "--cmdline"
$M modifyvm t1 --initrd ""
r $M getextradata t1 vireo/Boot/Initrd
is "$out" "No value set!" "--initrd \"\" removes it"

# ---- extradata ------------------------------------------------------------
$M setextradata t1 GUI/Test "hello world"
r $M getextradata t1 GUI/Test
is "$out" "Value: hello world" "getextradata: Value: X"
$M setextradata t1 GUI/Test
r $M getextradata t1 GUI/Test
is "$out" "No value set!" "setextradata without a value deletes"
$M setextradata global Global/Key 42
r $M getextradata global enumerate
is "$out" "Key: Global/Key, Value: 42" "global enumerate: Key: K, Value: V"
r $M getextradata t1
is "$rc" 2 "getextradata without a key: exit 2"

# ---- setproperty ------------------------------------------------------------
$M setproperty vrdeauthlibrary simple
ok "setproperty vrdeauthlibrary" grep -q 'VRDEAuthLibrary="simple"' "$VIREO_HOME/vireo.xml"
$M setproperty vrdeauthlibrary default
ok "setproperty vrdeauthlibrary default" sh -c "! grep -q VRDEAuthLibrary '$VIREO_HOME/vireo.xml'"
$M setproperty machinefolder "$TMPD/mf"
$M createvm --name t4 --register >/dev/null
ok "setproperty machinefolder is used by createvm" test -f "$TMPD/mf/t4/t4.vbox"
r $M setproperty machinefolder relative
is "$rc" 2 "a relative machine folder: exit 2"
r $M setproperty nosuch x
is "$rc" 2 "an unknown property: exit 2"

# ---- passwords --------------------------------------------------------------
r $M internalcommands passwordhash --algorithm sha256 test
is "$out" "Password hash: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" \
	"passwordhash --algorithm sha256"
r $M internalcommands passwordhash secret
like "$out" '^Password hash: pbkdf2-sha256\$100000\$[0-9a-f]{32}\$[0-9a-f]{64}$' \
	"passwordhash default: salted PBKDF2"
r $M internalcommands passwordhash --nt password
is "$out" "Password hash: 8846f7eaee8fb117ad06bdd830b7586c" "passwordhash --nt"
long="Ünïcode pässwörd that is longer than one MD4 block of sixty-four bytes"
want=$(printf '%s' "$long" | iconv -f UTF-8 -t UTF-16LE 2>/dev/null |
	openssl dgst -md4 -provider legacy 2>/dev/null | sed 's/.*= //')
if [ -n "$want" ]; then
	r $M internalcommands passwordhash --nt "$long"
	is "$out" "Password hash: $want" "NT hash of a long non-ASCII password matches openssl"
else
	skip "openssl has no legacy provider for MD4"
fi
r $M internalcommands passwordhash --algorithm md5 x
is "$rc" 2 "unknown algorithm: exit 2"
$M internalcommands setcredentials t1 alice 's3cret'
r $M getextradata t1 VBoxAuthSimple/users/alice
like "$out" '^Value: pbkdf2-sha256\$' "setcredentials stores the salted hash"
r $M getextradata t1 VBoxAuthSimple/users/alice/nthash
is "$out" "Value: $($M internalcommands passwordhash --nt s3cret | sed 's/.*: //')" \
	"setcredentials stores the NT hash"

# ---- media and storage --------------------------------------------------------
r $M createmedium disk --filename "$TMPD/d.img" --size 64 --format RAW
like "$out" "^Medium created\. UUID: [0-9a-f-]{36}$" "createmedium disk"
DUUID=$(printf '%s\n' "$out" | sed 's/.*UUID: //')
is "$(stat -c %s "$TMPD/d.img"):$(stat -c %b "$TMPD/d.img")" "67108864:0" \
	"the image is 64 MiB and sparse"
ok "registered in the global MediaRegistry" grep -q "uuid=\"{$DUUID}\" location=\"$TMPD/d.img\" format=\"RAW\"" "$VIREO_HOME/vireo.xml"
r $M createmedium disk --filename "$TMPD/d.img" --size 64
is "$rc" 1 "createmedium over an existing file fails"
r $M createmedium disk --filename "$TMPD/e.vdi" --size 64 --format VDI
is "$rc:$(test -e "$TMPD/e.vdi" && echo exists)" "2:" "only RAW: exit 2, nothing created"
r $M storagectl t1 --name SATA --add sata --controller IntelAhci --portcount 2
is "$rc" 0 "storagectl --add sata"
r $M storageattach t1 --storagectl SATA --port 0 --device 0 --type hdd --medium "$TMPD/d.img"
is "$rc" 0 "storageattach --medium"
$M showvminfo t1 --machinereadable >"$TMPD/t1.info"
ok "showvminfo: the controller" grep -qxF 'storagecontrollertype0="AHCI"' "$TMPD/t1.info"
ok "showvminfo: the attachment (quoted key)" grep -qxF "\"SATA-0-0\"=\"$TMPD/d.img\"" "$TMPD/t1.info"
ok "the machine's MediaRegistry has the same uuid" grep -q "uuid=\"{$DUUID}\"" "$VBOX"
cp "$VBOX" "$TMPD/t1.before"
r $M storageattach t1 --storagectl NoSuch --port 0 --device 0 --type hdd --medium "$TMPD/d.img"
is "$rc" 1 "storageattach to a missing controller: exit 1"
r $M storageattach t1 --storagectl SATA --port 0 --device 0 --type tape --medium "$TMPD/d.img"
is "$rc" 2 "storageattach --type tape: exit 2"
ok "file untouched by failed storage commands" cmp -s "$VBOX" "$TMPD/t1.before"
$M storageattach t1 --storagectl SATA --port 0 --device 0 --type hdd --medium none
ok "--medium none detaches" sh -c "! $M showvminfo t1 --machinereadable | grep -q SATA-0-0"

$M storagectl t1 --name Spare --add scsi
ok "storagectl --add scsi" grep -qxF 'storagecontrollertype1="LsiLogic"' \
	"$($M showvminfo t1 --machinereadable >"$TMPD/i"; echo "$TMPD/i")"
$M storagectl t1 --name Spare --remove
ok "storagectl --remove" sh -c "! grep -q Spare '$VBOX'"
r $M storagectl t1 --name X --add floppy --controller AHCI
is "$rc" 2 "storagectl with a chip of another bus: exit 2"

# ---- showvminfo forms -----------------------------------------------------
r $M showvminfo t1 --json
if command -v python3 >/dev/null 2>&1; then
	is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["memory"], d["vrde"], d["vrdeport"], d["hwvirtex"])')" \
		"512 on -1 off" "--json is valid JSON with numbers as numbers"
else
	skip "python3 not installed"
fi
r $M showvminfo t1
like "$out" "VRDE: +enabled \(Address 127\.0\.0\.1, Ports 5000,5010-5012, MultiConn: on, ReuseSingleConn: on, Authentication type: external\)" \
	"human-readable VRDE line"
like "$out" "^Hardw\. virt\.ext: +off$" \
	"human-readable hardware virtualization line"

# ---- a fixture survives edit + revert ---------------------------------------
mkdir "$TMPD/fx" && cp "$DATA/full-1.16.vbox" "$TMPD/fx/"
$M registervm "$TMPD/fx/full-1.16.vbox"
$M setextradata legacy16 Temp/Key v && $M setextradata legacy16 Temp/Key
xmllint --c14n "$DATA/full-1.16.vbox" >"$TMPD/a.c14n"
xmllint --c14n "$TMPD/fx/full-1.16.vbox" >"$TMPD/b.c14n"
ok "a 1.16 file edited and reverted is XML-equivalent to the original" \
	cmp -s "$TMPD/a.c14n" "$TMPD/b.c14n"
ok "the previous version is kept as -prev" test -s "$TMPD/fx/full-1.16.vbox-prev"
for f in full-1.17 innotek-1.12 plain-1.15 mac-1.19 platform-1.20; do
	cp "$DATA/$f.vbox" "$TMPD/fx/"
	$M setextradata "$TMPD/fx/$f.vbox" Temp/Key v &&
		$M setextradata "$TMPD/fx/$f.vbox" Temp/Key
	ok "$f: edited and reverted through vireo-manage, XML-equivalent" \
		sh -c 'xmllint --c14n "$1" >"$3.a" && xmllint --c14n "$2" >"$3.b" && cmp -s "$3.a" "$3.b"' \
		_ "$DATA/$f.vbox" "$TMPD/fx/$f.vbox" "$TMPD/fx/c14n"
done

# ---- concurrent writers: no lost update --------------------------------------
for i in 1 2 3 4 5 6 7 8 9 10; do
	$M setextradata t2 Par/$i $i &
done
wait
is "$($M getextradata t2 enumerate | grep -c '^Key: Par/')" 10 \
	"ten parallel writers: every update kept"

# a fresh registry: parallel createvm --register must not lose entries
(
	export VIREO_HOME="$TMPD/home2"
	for i in 1 2 3 4 5 6; do
		$M createvm --name par$i --basefolder "$TMPD/par" --register >/dev/null &
	done
	wait
	is "$($M list vms | grep -c '"par')" 6 "six parallel createvm on a new registry: all registered"
	echo "$tap_n" >"$TMPD/.n"
	exit $tap_fail
) || tap_fail=$((tap_fail + 1))
tap_n=$(cat "$TMPD/.n")

# ---- unregistervm, controlvm, misc ------------------------------------------
r $M controlvm t1 pause
like "$rc:$err" "^1:.*not currently running" "controlvm of a stopped VM: exit 1"
r $M controlvm t1 frobnicate
is "$rc" 2 "controlvm unknown request: exit 2"
r $M unregistervm t2
is "$rc" 0 "unregistervm"
ok "unregistervm keeps the file" test -f "$TMPD/vms/t2/t2.vbox"
$M storageattach t1 --storagectl SATA --port 0 --device 0 --type hdd --medium "$DUUID"
r $M unregistervm t1 --delete
ok "unregistervm --delete removes settings and disk" sh -c "test ! -e '$VBOX' && test ! -e '$TMPD/d.img'"
r $M list vms
is "$(printf '%s\n' "$out" | grep -cE '"t[12]"')" 0 "unregistered machines are gone from list vms"
# usage errors (2) and failures (1) of every subcommand
T2="$TMPD/vms/t2/t2.vbox"	# unregistered by now: named by its file
while IFS='|' read -r want args; do
	# shellcheck disable=SC2086
	r $M $args
	is "$rc" "$want" "vireo-manage $args: exit $want"
	[ -n "$err" ] || diag "no message on stderr for: $args"
done <<EOS
2|createvm
2|registervm
1|registervm $TMPD/none.vbox
2|unregistervm
1|unregistervm nosuchvm
2|modifyvm
2|modifyvm $T2
2|setextradata $T2
1|setextradata nosuchvm k v
2|getextradata
1|getextradata nosuchvm k
2|showvminfo
2|showvminfo $T2 --bogus
1|showvminfo nosuchvm
2|setproperty
2|internalcommands
2|internalcommands passwordhash
2|internalcommands setcredentials $T2 alice
1|internalcommands setcredentials nosuchvm alice pw
2|createmedium disk --filename $TMPD/x.img
2|createmedium disk --size 5
2|storagectl $T2
2|storagectl $T2 --name X --portcount 99
1|storagectl $T2 --name NoSuch --controller AHCI
2|storageattach $T2 --port 0
1|storageattach $T2 --storagectl SATA --port 0 --device 0 --medium $TMPD/none.img
2|controlvm $T2
1|controlvm nosuchvm pause
2|startvm
1|startvm nosuchvm
EOS
r $M list frobs
is "$rc" 2 "list frobs: exit 2"
r $M frobnicate
is "$rc" 2 "unknown command: exit 2"
plan "$tap_n"  # at the end: a script that dies early fails
done_testing
