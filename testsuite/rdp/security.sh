#!/bin/sh
# security.sh - NLA, TLS and standard RDP security with good and bad
# credentials (through the host's client_logon and nla_begin), the
# Security/Method choices (Negotiate: NLA and TLS only; standard RDP
# security only when asked for, with a warning), and "a denied client
# sees no pixel".  Every refusal must be the expected kind (rdp-probe
# --expect-fail KIND) and leave its line in the server's log.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 24
tap_tmpdir

PIX="--wait-pixel 100,100,ff0000 --wait-pixel 500,100,00ff00 --wait-pixel 100,500,0000ff --wait-pixel 500,500,ffffff"

host_start --user alice:secret --prop Host/AuthHasNtHashes=1
for sec in nla tls; do
	probe_ok "$sec: good credentials show the picture" --sec $sec \
		--user alice --password secret $PIX
	# NLA: FreeRDP's server logs the failed CredSSP; TLS/RDP: the module
	if [ $sec = nla ]; then
		pat='client authentication failure|denied over NLA'
	else
		pat="user 'alice' denied over $(echo $sec | tr a-z A-Z): bad credentials"
	fi
	probe_refused "$sec: bad password is refused as a logon failure" \
		logon "$pat" --sec $sec --user alice --password wrong \
		--wait-pixel 100,100,ff0000
	like "$out" '"frames":0' "$sec: the refused client got no screen update"
done
probe_ok "nla: with the graphics pipeline" --sec nla --gfx --user alice \
	--password secret $PIX
probe_refused "unknown user is refused, logged with its reason" logon \
	"user 'mallory' denied over TLS: bad credentials" \
	--sec tls --user mallory --password secret
like "$out" '"logon_error":0,' "the client was told: bad password"
ok "host saw the security layer of each logon" \
	grep -q 'user=alice domain= screen=0 security=NLA' "$TMPD/host.out"
ok "the wrong NLA password reached the host as a failed attempt" \
	grep -q '^nla-result client=[0-9]* user=alice address=127.0.0.1 rc=-13$' \
	"$TMPD/host.out"
probe_refused "Negotiate: standard RDP security is not offered" nego \
	'accept_nego\(\) fail' --sec rdp --user alice --password secret
ok "Negotiate: the layers are NLA and TLS" \
	grep -q 'security layers: NLA TLS$' "$TMPD/host.err"
host_stop

# Security/Method restricts the layers.
host_start --user alice:secret --prop Security/Method=TLS
probe_ok "Method TLS: TLS client admitted" --sec tls --user alice \
	--password secret --wait-pixel 100,100,ff0000
probe_refused "Method TLS: standard RDP security refused" nego \
	'accept_nego\(\) fail' --sec rdp --user alice --password secret
host_stop
host_start --user alice:secret --prop Security/Method=RDP
ok "Method RDP: a warning is logged" \
	grep -q 'rdp-host: warn: Security/Method is RDP: standard RDP security does not authenticate the server' \
	"$TMPD/host.err"
probe_ok "Method RDP: RDP client admitted" --sec rdp --user alice \
	--password secret $PIX
probe_refused "rdp: bad password is refused" logon \
	"user 'alice' denied over RDP: bad credentials" --sec rdp \
	--user alice --password wrong --wait-pixel 100,100,ff0000
like "$out" '"frames":0' "rdp: the refused client got no screen update"
probe_refused "Method RDP: TLS refused" nego 'accept_nego\(\) fail' \
	--sec tls --user alice --password secret
host_stop
# Negotiate without NT hashes offers no NLA.
host_start --user alice:secret
probe_refused "Negotiate without NT hashes: NLA not offered" nego \
	'accept_nego\(\) fail' --sec nla --user alice --password secret
host_stop
# A key whose private exponent is one byte shorter than its modulus (one
# key in 256; FreeRDP 2 reads it as modulus-long): standard RDP security
# still works, and TLS still serves the key's own certificate.
cp "$srcdir/rdp/data/short-exponent.key" "$srcdir/rdp/data/short-exponent.crt" \
	"$TMPD/"
chmod 600 "$TMPD/short-exponent.key"
host_start --user alice:secret --prop Security/Method=Negotiate \
	--prop Security/ServerCertificate="$TMPD/short-exponent.crt" \
	--prop Security/ServerPrivateKey="$TMPD/short-exponent.key"
ok "short private exponent: lengthened for standard RDP security" \
	grep -q "private exponent lengthened" "$TMPD/host.err"
probe_ok "short private exponent: TLS client admitted" --sec tls \
	--user alice --password secret --wait-pixel 100,100,ff0000
host_stop
host_start --user alice:secret --prop Security/Method=RDP \
	--prop Security/ServerCertificate="$TMPD/short-exponent.crt" \
	--prop Security/ServerPrivateKey="$TMPD/short-exponent.key"
probe_ok "short private exponent: RDP client admitted" --sec rdp \
	--user alice --password secret $PIX
done_testing
