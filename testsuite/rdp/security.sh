#!/bin/sh
# security.sh - NLA, TLS and standard RDP security with good and bad
# credentials (through the host's client_logon and nla_begin), the
# Security/Method choices (Negotiate: NLA and TLS only; standard RDP
# security only when asked for, with a warning), and "a denied client
# sees no pixel".
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 21
tap_tmpdir

PIX="--wait-pixel 100,100,ff0000 --wait-pixel 500,100,00ff00 --wait-pixel 100,500,0000ff --wait-pixel 500,500,ffffff"

host_start --user alice:secret --prop Host/AuthHasNtHashes=1
for sec in nla tls; do
	probe_ok "$sec: good credentials show the picture" --sec $sec \
		--user alice --password secret $PIX
	out=$(probe --sec $sec --user alice --password wrong --expect-fail \
		--wait-pixel 100,100,ff0000)
	tap_result $? "$sec: bad password is refused"
	like "$out" '"frames":0' "$sec: the refused client got no screen update"
done
probe_ok "nla: with the graphics pipeline" --sec nla --gfx --user alice \
	--password secret $PIX
out=$(probe --sec tls --user mallory --password secret --expect-fail)
tap_result $? "unknown user is refused"
ok "refusal is logged with its reason" \
	grep -q "user 'mallory' denied over TLS: bad credentials" \
	"$TMPD/host.err"
ok "host saw the security layer of each logon" \
	grep -q 'user=alice domain= screen=0 security=NLA' "$TMPD/host.out"
ok "the wrong NLA password reached the host as a failed attempt" \
	grep -q '^nla-result client=[0-9]* user=alice address=127.0.0.1 rc=-13$' \
	"$TMPD/host.out"
out=$(probe --sec rdp --user alice --password secret --expect-fail)
tap_result $? "Negotiate: standard RDP security is not offered"
ok "Negotiate: the layers are NLA and TLS" \
	grep -q 'security layers: NLA TLS$' "$TMPD/host.err"
host_stop

# Security/Method restricts the layers.
host_start --user alice:secret --prop Security/Method=TLS
probe_ok "Method TLS: TLS client admitted" --sec tls --user alice \
	--password secret --wait-pixel 100,100,ff0000
out=$(probe --sec rdp --user alice --password secret --expect-fail)
tap_result $? "Method TLS: standard RDP security refused"
host_stop
host_start --user alice:secret --prop Security/Method=RDP
ok "Method RDP: a warning is logged" \
	grep -q 'rdp-host: warn: Security/Method is RDP: standard RDP security does not authenticate the server' \
	"$TMPD/host.err"
probe_ok "Method RDP: RDP client admitted" --sec rdp --user alice \
	--password secret $PIX
out=$(probe --sec rdp --user alice --password wrong --expect-fail \
	--wait-pixel 100,100,ff0000)
tap_result $? "rdp: bad password is refused"
like "$out" '"frames":0' "rdp: the refused client got no screen update"
out=$(probe --sec tls --user alice --password secret --expect-fail)
tap_result $? "Method RDP: TLS refused"
host_stop
# Negotiate without NT hashes offers no NLA.
host_start --user alice:secret
out=$(probe --sec nla --user alice --password secret --expect-fail)
tap_result $? "Negotiate without NT hashes: NLA not offered"
done_testing
