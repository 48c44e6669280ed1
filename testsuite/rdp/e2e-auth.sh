#!/bin/sh
# e2e-auth.sh - vireo-headless with the testcard guest on a 4-head VM,
# simple auth: the probe over NLA and TLS with good and bad credentials,
# standard RDP security not offered by default (Negotiate); the test card's pixels on screen 1; "@3" in
# the domain shows head 3, "alice@2" head 2, "@5" is refused with a
# logged reason; the certificate fingerprint in the VM's log and in
# showvminfo (running, from the server; stopped, from the certificate
# file) is the one the client sees.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
e2e_setup
plan 15

e2e_vm card --monitorcount 4
e2e_start card
ok "VM with the RDP module is up" test -n "$PORT"
CRED="--user $E2E_USER --password $E2E_PASS"
for sec in nla tls; do
	# shellcheck disable=SC2086
	probe_ok "$sec: good credentials show the test card of head 1" \
		--sec $sec $CRED $TESTCARD_PIX $(headid_pix 0)
	if [ $sec = nla ]; then pat=$E2E_DENIED_NLA; else pat=$E2E_DENIED; fi
	probe_refused "$sec: wrong password refused as a logon failure" logon \
		"$pat" --sec $sec --user $E2E_USER --password wrong \
		--wait-pixel 32,100,ffffff
	like "$out" '"frames":0' "$sec: refused client got no screen update"
done
probe_refused "rdp: standard RDP security is not offered by default" nego \
	'accept_nego\(\) fail|security layers' --sec rdp $CRED
# shellcheck disable=SC2086
probe_ok "domain VM@3 over NLA shows head 3" --sec nla $CRED \
	--domain 'VM@3' $(headid_pix 2) --wait-pixel 32,100,ffffff
# shellcheck disable=SC2086
probe_ok "user alice@2 over TLS with the graphics pipeline shows head 2" \
	--sec tls --gfx --user "$E2E_USER@2" --password "$E2E_PASS" \
	$(headid_pix 1)
# shellcheck disable=SC2086
probe_refused "@5 on a 4-head VM is denied, the reason logged" denied \
	'screen @5 requested, the VM has 4' --sec tls $CRED --domain 'VM@5'
out=$(probe --sec tls $CRED --wait-pixel 32,100,ffffff)
seen=$(printf '%s' "$out" | sed -n 's/.*"fingerprint":"\([^"]*\)".*/\1/p' |
	tr a-f A-F)
ok "the certificate fingerprint the client saw is logged" \
	grep -q "TLS certificate fingerprint SHA256:$seen" \
	"$E2E_DIR/Logs/vireo.log"
info=$(timeout 30 vireo-manage showvminfo card --machinereadable)
like "$info" "^VRDECertFingerprint=\"SHA256:$seen\"\$" \
	"showvminfo of the running VM shows the served certificate's fingerprint"
e2e_stop
is "$E2E_RC" 0 "vireo-headless stops cleanly"
info=$(timeout 30 vireo-manage showvminfo card --machinereadable)
like "$info" "^VRDECertFingerprint=\"SHA256:$seen\"\$" \
	"showvminfo of the stopped VM reads the same fingerprint from the file"
done_testing
