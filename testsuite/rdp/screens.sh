#!/bin/sh
# screens.sh - "@n" monitor selection: from the domain, from a UPN user
# name and from "@n\user"; the suffix is removed before authentication; a
# screen beyond the VM's count disconnects with a logged reason.  Each
# screen's picture has a box of grey 0x10*(n) at (8..40, 8..40).
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 9
tap_tmpdir

host_start --screens 4 --user alice:secret --prop Host/AuthHasNtHashes=1
probe_ok "no suffix: screen 1" --sec tls --user alice --password secret \
	--wait-pixel 20,20,101010
probe_ok "domain VM@3 over NLA: screen 3" --sec nla --user alice \
	--password secret --domain 'VM@3' --wait-pixel 20,20,303030
probe_ok "domain @3 over TLS with the graphics pipeline: screen 3" \
	--sec tls --gfx --user alice --password secret --domain '@3' \
	--wait-pixel 20,20,303030
probe_ok "UPN user alice@4: screen 4" --sec tls --user 'alice@4' \
	--password secret --wait-pixel 20,20,404040
probe_ok "user @2\\alice: screen 2" --sec tls --user '@2\alice' \
	--password secret --wait-pixel 20,20,202020
ok "suffix removed before authentication" \
	grep -q 'user=alice domain=VM screen=2 security=NLA' "$TMPD/host.out"
probe_refused "screen @5 of 4: denied, logged" denied \
	'screen @5 requested, the VM has 4; disconnecting' \
	--sec tls --user alice --password secret --domain 'VM@5'
like "$out" '"logon_error":2,' "the client was told: logon failed (other)"
like "$out" '"frames":0' "out-of-range client got no screen update"
done_testing
