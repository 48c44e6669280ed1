#!/bin/sh
# control.sh - vireo-manage as a client of the control socket: list
# runningvms, showvminfo of a running VM, controlvm requests on the wire,
# startvm launching vireo-headless detached.  The server side is
# fake-ctl.py until vireo-headless exists (its own tests run it for real).
. "$srcdir/tap.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 not installed (fake control server)"
tap_tmpdir
export VIREO_HOME="$TMPD/home" HOME="$TMPD"
M=vireo-manage
FAKE="$srcdir/settings/fake-ctl.py"
PIDS=""
cleanup() {
	for p in $PIDS $(cat "$TMPD"/*.pid 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"
}
trap cleanup EXIT

r() {
	out=$("$@" 2>"$TMPD/.err")
	rc=$?
	err=$(cat "$TMPD/.err")
}
wait_socket() {
	for _ in $(seq 100); do
		[ -S "$1/vireo.ctl" ] && return 0
		sleep 0.05
	done
	return 1
}

$M createvm --name run1 --register >/dev/null
$M createvm --name idle --register >/dev/null
$M modifyvm run1 --vrde on
F1="$TMPD/vireo VMs/run1"
python3 "$FAKE" "$F1" "$TMPD/req.log" &
PIDS="$PIDS $!"
wait_socket "$F1"

r $M list runningvms
like "$out" '^"run1" \{' "list runningvms shows the VM with a socket"
is "$(printf '%s\n' "$out" | grep -c idle)" 0 "and not the one without"
rm -f "$TMPD/req.log"

r $M showvminfo run1 --machinereadable
for kv in 'VMState="running"' 'vrdeport=5000' 'VRDEClients==1' \
	'VRDEActiveConnection="on"' 'VRDEUserName="alice \"the\" user"' \
	'vrde="on"'; do
	ok "running showvminfo: $kv" sh -c 'printf "%s\n" "$1" | grep -qxF "$2"' _ "$out" "$kv"
done
is "$(printf '%s\n' "$out" | grep -c '^VMState=')" 1 "exactly one VMState line"
is "$(printf '%s\n' "$out" | grep -c '^vrdeport=')" 1 "exactly one vrdeport line"
r $M showvminfo run1 --json
is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["VMState"], d["vrdeport"], d["VRDEClients"], d["VRDEUserName"])')" \
	'running 5000 1 alice "the" user' "running showvminfo --json"
r $M showvminfo idle --machinereadable
like "$out" 'VMState="poweroff"' "no socket: poweroff"

: >"$TMPD/req.log"
$M controlvm run1 pause
$M controlvm run1 vrdeport 5000,5010-5012
$M controlvm run1 vrdeproperty TCP/Address=127.0.0.1
$M controlvm run1 vrdevideochannelquality 40
$M controlvm run1 setvideomodehint 1024 768 32 1
$M controlvm run1 keyboardputscancode 1d 38 53
(cd "$TMPD" && $M controlvm run1 screenshotpng shot.png 0)
TAB=$(printf '\t')
is "$(cat "$TMPD/req.log")" "pause
vrdeport${TAB}5000,5010-5012
vrdeproperty${TAB}TCP/Address=127.0.0.1
vrdeproperty${TAB}VideoChannel/Quality=40
setvideomodehint${TAB}1024${TAB}768${TAB}32${TAB}1
keyboardputscancode${TAB}1d${TAB}38${TAB}53
screenshotpng${TAB}$TMPD/shot.png${TAB}0" "controlvm requests on the wire (TAB-separated, absolute paths)"
r $M controlvm run1 screenshotpng /tmp/fail.png
is "$rc" 1 "an error answer: exit 1"
like "$err" "error: cannot write /tmp/fail.png" "the server's message on stderr"
r $M controlvm run1 vrdeport 0-1
is "$rc" 2 "controlvm vrdeport validates the list"
r $M controlvm idle pause
like "$rc:$err" "^1:.*not currently running" "controlvm without a socket: not running"
r $M modifyvm run1 --memory 64
is "$rc" 1 "modifyvm of a running VM is refused"

# vireo-headless holds an flock on the machine folder while the VM runs;
# setextradata (allowed on running VMs) must not wait for it
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)' "$F1" "$TMPD/locked" &
HOLDER=$!
PIDS="$PIDS $HOLDER"
for _ in $(seq 100); do [ -e "$TMPD/locked" ] && break; sleep 0.05; done
r timeout 10 $M setextradata run1 Run/Key v
is "$rc:$($M getextradata run1 Run/Key)" "0:Value: v" \
	"setextradata while the machine folder is flocked (as vireo-headless does)"
kill $HOLDER 2>/dev/null

# a machine folder whose socket path is longer than sun_path
LONG="$TMPD/$(printf 'x%.0s' $(seq 120))"
$M createvm --name longvm --basefolder "$LONG" --register >/dev/null
python3 "$FAKE" "$LONG/longvm" "$TMPD/long.log" &
PIDS="$PIDS $!"
wait_socket "$LONG/longvm"
r $M controlvm longvm reset
is "$rc:$(cat "$TMPD/long.log")" "0:reset" "long paths go through /proc/self/fd"

# startvm: a fake vireo-headless that serves the socket
mkdir "$TMPD/bin"
cat >"$TMPD/bin/vireo-headless" <<EOS
#!/bin/sh
[ "\$1" = --startvm ] || exit 3
echo "fake headless for \$2"
case "\$2" in
*) exec python3 "$FAKE" "\$(dirname "\$(grep -l "\$2" "$TMPD"/*/*/*.vbox "$TMPD"/vireo\ VMs/*/*.vbox 2>/dev/null | head -1)")" "$TMPD/start.log" "$TMPD/start.pid" ;;
esac
EOS
chmod +x "$TMPD/bin/vireo-headless"
$M createvm --name st --register >/dev/null
r env PATH="$TMPD/bin:$PATH" $M startvm st --type headless
is "$rc" 0 "startvm --type headless"
like "$out" 'VM "st" has been successfully started\.' "startvm message"
like "$(cat "$TMPD/vireo VMs/st/Logs/vireo-headless.out")" "fake headless for \{" \
	"vireo-headless got --startvm <uuid>, output in Logs/vireo-headless.out"
r $M list runningvms
like "$out" '"st" \{' "the started VM is running"
r env PATH="$TMPD/bin:$PATH" $M startvm st
like "$rc:$err" "^1:.*already running" "startvm of a running VM fails"

# a vireo-headless that fails at once
cat >"$TMPD/bin/vireo-headless" <<'EOS'
#!/bin/sh
echo "cannot start" >&2
exit 1
EOS
r env PATH="$TMPD/bin:$PATH" $M startvm idle --type headless
like "$rc:$err" "^1:.*did not start \(vireo-headless exited\)" "a failing vireo-headless is reported"
r $M startvm idle --type gui
is "$rc" 2 "startvm --type gui: exit 2"

plan "$tap_n"
done_testing
