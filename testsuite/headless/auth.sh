#!/bin/sh
# auth.sh - authentication as vireo-headless does it for VRDE clients:
# each authType, each library (null, simple with both hash formats and
# NT hashes, pam for real through pam_wrapper), the global library and
# global ExtraData fallbacks, a hanging and a crashing library (deny, VM
# unharmed), and throttling of repeated failures (visible in the log).
. "$srcdir/tap.sh"
. "$srcdir/headless/lib.sh"

plan 26
SHA_SECRET=2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
PBKDF2_HUNTER2='pbkdf2-sha256$100000$00112233445566778899aabbccddeeff$2147d14169e0af3690f720de3f98dd89d63e4dbb08a702ebbda7b33f0fe97a69'
NT_PASSWORD=8846f7eaee8fb117ad06bdd830b7586c
USERS="<ExtraDataItem name=\"VBoxAuthSimple/users/alice\" value=\"$SHA_SECRET\"/>
<ExtraDataItem name=\"VBoxAuthSimple/users/bob\" value=\"$PBKDF2_HUNTER2\"/>
<ExtraDataItem name=\"VBoxAuthSimple/users/bob/nthash\" value=\"$NT_PASSWORD\"/>"
MULTI='allowMultiConnection="true"'

hl_setup
HL_GLOBAL='VRDEAuthLibrary="VBoxAuthSimple"'
HL_GLOBAL_EXTRA="<ExtraDataItem name=\"VBoxAuthSimple/users/gina\" value=\"$SHA_SECRET\"/>"
hl_vm simple "authType=\"External\" authLibrary=\"simple\" $MULTI" '' "$USERS"
hl_vm global "authType=\"External\" $MULTI"
hl_vm guest "authType=\"Guest\""
hl_vm hang "authType=\"External\" authLibrary=\"testhang\" authTimeout=\"700\""
hl_vm crash "authType=\"External\" authLibrary=\"testcrash\""
hl_vm extnull "authType=\"External\" authLibrary=\"null\""

# --- simple, per VM -----------------------------------------------------
hl_start simple
hl_cmd logon 1 alice secret - 127.0.0.1
hl_cmd logon 2 alice Secret - 127.0.0.2
hl_cmd logon 3 'WORKGROUP\alice' secret - 127.0.0.1
hl_cmd logon 4 bob hunter2 - 127.0.0.1
hl_cmd logon 5 bob hunter3 - 127.0.0.2
hl_cmd nthash bob
hl_cmd nthash alice
hl_cmd prop Host/AuthHasNtHashes
hl_cmd prop Host/AuthType
ok "simple: SHA-256 (VirtualBox) hash grants" hl_wait_rec '^logon id=1 user=alice rc=0$'
ok "simple: wrong password denied" hl_wait_rec '^logon id=2 user=alice rc=-13$'
ok "simple: DOMAIN\\ prefix stripped" hl_wait_rec '^logon id=3 .* rc=0$'
ok "simple: pbkdf2 hash grants" hl_wait_rec '^logon id=4 user=bob rc=0$'
ok "simple: pbkdf2 wrong password denied" hl_wait_rec '^logon id=5 user=bob rc=-13$'
ok "NT hash for NLA through the library" \
	hl_wait_rec "^nthash user=bob rc=0 hash=$NT_PASSWORD\$"
ok "no NT hash without an entry" hl_wait_rec '^nthash user=alice rc=-2 '
ok "Host/AuthHasNtHashes is 1 for simple" \
	hl_wait_rec '^prop Host/AuthHasNtHashes rc=1 value=1$'
ok "Host/AuthType" hl_wait_rec '^prop Host/AuthType rc=8 value=External$'
ok "password never logged" lacks "$HL_DIR/Logs/vireo.log" 'secret|hunter2'

# --- throttling: failures from one address slow the next attempts ------
for i in 11 12 13; do
	hl_cmd logon $i alice wrong - 10.9.8.7
done
ok "throttle: three failures judged" hl_wait_rec '^logon id=13 user=alice rc=-13$'
log="$HL_DIR/Logs/vireo.log"
ok "throttle: second attempt delayed, logged with the address" \
	grep -q '1 failed logons from 10.9.8.7; delaying this one by 250 ms' "$log"
ok "throttle: the delay doubles" \
	grep -q '2 failed logons from 10.9.8.7; delaying this one by 500 ms' "$log"
ok "throttle: each denial is logged with the address" \
	grep -Eq "logon of user 'alice' from 10.9.8.7 over [A-Z]+ denied \(failure 3" "$log"
hl_stop

# --- global library and global ExtraData --------------------------------
hl_start global
hl_cmd logon 1 gina secret - 127.0.0.1
ok "global VRDEAuthLibrary (VBoxAuthSimple alias) and global ExtraData" \
	hl_wait_rec '^logon id=1 user=gina rc=0$'
hl_stop

# --- Null, External null library, Guest -----------------------------------
hl_start extnull
hl_cmd logon 1 anyone x - 127.0.0.1
ok "External + null library grants" hl_wait_rec '^logon id=1 user=anyone rc=0$'
hl_stop
hl_start guest
hl_cmd logon 1 alice secret - 127.0.0.1
ok "Guest auth type denies" hl_wait_rec '^logon id=1 user=alice rc=-13$'
ok "Guest auth type says why" \
	grep -q 'authType Guest needs guest additions' "$HL_DIR/Logs/vireo.log"
hl_stop

# --- misbehaving libraries ----------------------------------------------
hl_start hang
hl_cmd logon 1 alice secret - 127.0.0.1
ok "hanging library: denied after authTimeout" \
	hl_wait_rec '^logon id=1 user=alice rc=-13$'
ok "hanging library: logged" \
	grep -q 'did not answer within 700 ms' "$HL_DIR/Logs/vireo.log"
like "$(hl_ctl info)" '^VMState="running"$' "hanging library: VM still runs"
hl_stop
hl_start crash
hl_cmd logon 1 alice secret - 127.0.0.1
ok "crashing library: denied" hl_wait_rec '^logon id=1 user=alice rc=-13$'
ok "crashing library: logged" \
	grep -q 'crashed (signal 11)' "$HL_DIR/Logs/vireo.log"
like "$(hl_ctl info)" '^VMState="running"$' "crashing library: VM still runs"
hl_stop

# --- PAM through pam_wrapper (default library when none is configured) --
PW=/usr/lib/x86_64-linux-gnu/libpam_wrapper.so
PM=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so
if [ -r "$PW" ] && [ -r "$PM" ]; then
	mkdir -p "$TMPD/pam"
	echo "carol:wonderland:vireo-test" >"$TMPD/pam/passdb"
	printf 'auth required %s passdb=%s\naccount required %s passdb=%s\n' \
		"$PM" "$TMPD/pam/passdb" "$PM" "$TMPD/pam/passdb" \
		>"$TMPD/pam/vireo-test"
	HL_GLOBAL=
	hl_vm pam "authType=\"External\" $MULTI"
	LD_PRELOAD=$PW PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$TMPD/pam" \
		VIREO_AUTH_PAM_SERVICE=vireo-test hl_start pam
	hl_cmd logon 1 carol wonderland - 127.0.0.1
	hl_cmd logon 2 carol alice - 127.0.0.1
	ok "pam (default library): right password granted" \
		hl_wait_rec '^logon id=1 user=carol rc=0$'
	ok "pam: wrong password denied" hl_wait_rec '^logon id=2 user=carol rc=-13$'
	hl_stop
else
	skip "pam_wrapper not installed (libpam-wrapper)"
	skip "pam_wrapper not installed (libpam-wrapper)"
fi
done_testing
