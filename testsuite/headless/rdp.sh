#!/bin/sh
# rdp.sh - vireo-headless with the real RDP module and a real RDP client
# (the test suite's FreeRDP probe): authentication by the simple library
# over TLS and over NLA (NT hash supplied through the auth helper),
# wrong passwords refused, the client's pixels and keys.
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"
PROBE="$top_builddir/testsuite/rdp-probe/rdp-probe"
[ -x "$PROBE" ] || skip_all "rdp-probe not built"
[ -e "$VIREO_MODULE_DIR/vireo-vrde-rdp.so" ] || skip_all "RDP module not built"

plan 7
hl_setup
vm() { timeout 60 vireo-manage "$@"; }
vm createvm --name rvm --register --basefolder "$TMPD/vms" >/dev/null
vm modifyvm rvm --vrde on --vrdeport 34200-34299 --vrdeauthtype external \
	--vrdeauthlibrary simple
vm internalcommands setcredentials rvm alice 'Secret-1' --nla >/dev/null
HL_DIR="$TMPD/vms/rvm"
HL_OUT="$TMPD/rvm.out"
HL_SOCK="$HL_DIR/vireo.ctl"
vireo-headless --startvm rvm >"$HL_OUT" 2>&1 &
HL_PID=$!
port=$(vrde_wait_port "$HL_OUT" "$HL_PID" 300)
hl_wait_guest
probe() { timeout 60 "$PROBE" --port "$port" --timeout 20 --no-gfx "$@" 2>/dev/null; }

out=$(probe --sec tls --user alice --password Secret-1 \
	--wait-pixel 8,40,ffffff --keys 1e)
like "$out" '"connected":true' "TLS + simple auth: right password connects"
like "$out" '"ok":true' "the client sees the testcard's white bar"
ok "keys typed in the client reach the guest" \
	hl_wait_file "$HL_DIR/Logs/serial.log" '^key 1e down$'
# A refusal passes only as a logon failure (not a server that is down)
# that left a new line matching $1 in the VM's log or its stderr.
denials() { cat "$HL_DIR/Logs/vireo.log" "$HL_OUT" | grep -cE -- "$1"; }
refused() {
	pat=$1
	shift
	n=$(denials "$pat")
	probe --expect-fail logon "$@" >/dev/null || return 1
	for _ in $(seq 50); do
		[ "$(denials "$pat")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
ok "TLS: wrong password refused, the denial logged with the address" \
	refused "logon of user 'alice' from 127.0.0.1 over TLS denied" \
	--sec tls --user alice --password wrong
out=$(probe --sec nla --user alice --password Secret-1 --wait-pixel 8,40,ffffff)
like "$out" '"connected":true' "NLA with the NT hash from setcredentials"
ok "NLA: wrong password refused, the failure logged" \
	refused "denied over NLA|client authentication failure" \
	--sec nla --user alice --password wrong
kill -TERM "$HL_PID"
wait "$HL_PID"
is "$?" 0 "SIGTERM ends the run with status 0"
HL_PID=
done_testing
