#!/bin/sh
# credentials.sh - the credential store, checked through the real
# vireo-auth-simple.so: setcredentials writes a salted PBKDF2 hash and the
# NT hash only with --nla (a stale NT hash is deleted); --passwordfile
# FILE|- keeps the password off the command line; files holding hashes
# (and their -prev copies) are 0600; VirtualBox's plain sha256 form set
# with setextradata works; hashes under the iteration floor are refused
# with one line; unknown users cost a default-count PBKDF2 like known ones.
. "$srcdir/tap.sh"
[ -e "$VIREO_MODULE_DIR/vireo-auth-simple.so" ] ||
	skip_all "vireo-auth-simple.so not built"
plan 36
tap_tmpdir
export VIREO_HOME="$TMPD/home" HOME="$TMPD"
M=vireo-manage
V="$TMPD/vireo VMs/cred/cred.vbox"
PW='pä$$ word'
hash() { $M internalcommands passwordhash "$@" | sed 's/.*: //'; }

# rc, out and err of one vireo-manage run
r() {
	"$@" >"$TMPD/r.out" 2>"$TMPD/r.err"
	rc=$?
	out=$(cat "$TMPD/r.out")
	err=$(cat "$TMPD/r.err")
}

# The results of test-credentials as this script's own TAP lines.
creds_check() {
	"$builddir/settings/test-credentials" "$V" "$@" \
		>"$TMPD/tc.out" 2>>"$TMPD/auth.err"
	grep -q '^1\.\.0' "$TMPD/tc.out" && skip_all "$(cat "$TMPD/tc.out")"
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_result 0 "${line#ok * - }" ;;
		"not ok "*) tap_result 1 "${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$TMPD/tc.out"
}

$M createvm --name cred --register >/dev/null
# a file that was readable by others before it held hashes
chmod 644 "$V"

# --passwordfile from a FIFO: vireo-manage waits on it, so its command
# line can be read while it runs.
mkfifo "$TMPD/pw.fifo"
$M internalcommands setcredentials cred alice --passwordfile "$TMPD/pw.fifo" \
	--nla &
pid=$!
cmd=
for _ in $(seq 200); do
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
	case $cmd in *setcredentials*) break ;; esac
	sleep 0.05
done
like "$cmd" "setcredentials cred alice --passwordfile $TMPD/pw.fifo --nla" \
	"--passwordfile: the running vireo-manage's command line read"
case $cmd in *"$PW"*) seen=1 ;; *) seen=0 ;; esac
is "$seen" 0 "--passwordfile: the password is not in /proc/PID/cmdline"
printf '%s\n' "$PW" >"$TMPD/pw.fifo"
wait "$pid"
is "$?" 0 "--passwordfile FIFO: exit 0"
is "$(stat -c %a "$V")" 600 ".vbox holding hashes: 0600 (it was 0644)"
is "$(stat -c %a "$V-prev")" 600 "its -prev copy: 0600"

# --passwordfile - (stdin), no --nla: no NT hash.
printf 'hunter2\n' | $M internalcommands setcredentials cred bob \
	--passwordfile -
is "$?" 0 "--passwordfile - reads stdin"
r $M getextradata cred VBoxAuthSimple/users/bob/nthash
is "$out" "No value set!" "no --nla: no NT hash stored"

# --nla, then the password changed without it: the old NT hash goes.
$M internalcommands setcredentials cred carol 'old-pw' --nla
like "$($M getextradata cred VBoxAuthSimple/users/carol/nthash)" \
	'^Value: [0-9a-f]{32}$' "--nla stores the NT hash"
$M internalcommands setcredentials cred carol 'new-pw'
r $M getextradata cred VBoxAuthSimple/users/carol/nthash
is "$out" "No value set!" "a new password without --nla deletes the old NT hash"

# VirtualBox's unsalted form, and one under the iteration floor (the
# right PBKDF2 of hunter2 with 1000 iterations).
$M setextradata cred VBoxAuthSimple/users/vbox \
	"$(hash --algorithm sha256 hunter2)"
$M setextradata cred VBoxAuthSimple/users/weak \
	'pbkdf2-sha256$1000$00112233445566778899aabbccddeeff$7565f4d66ef6cfaafc300808e5b75c36c3201244948697acfbd349ae21c10d63'
like "$(hash hunter2)" '^pbkdf2-sha256\$100000\$[0-9a-f]{32}\$[0-9a-f]{64}$' \
	"passwordhash: 100000 iterations, 16-byte salt"

# 1 + 3 + 3 + 3 + 3 + 1 + 1 + 1 + 1 results
: >"$TMPD/auth.err"
creds_check alice "$PW" -n bob hunter2 -n carol new-pw -n vbox hunter2 \
	-w vbox wrong -w mallory x -w alice wrong -d weak hunter2
is "$(cat "$TMPD/auth.err")" \
	"vireo-auth-simple: user 'weak' refused: its hash has 1000 PBKDF2 iterations, fewer than the floor of 100000; set the password again" \
	"a hash under the floor: one line naming the user and the counts"

# The global registry holds hashes too.
chmod 644 "$VIREO_HOME/vireo.xml"
printf 'g-pw\n' >"$TMPD/pw.txt"
$M internalcommands setcredentials global gina --passwordfile "$TMPD/pw.txt"
is "$?" 0 "setcredentials global --passwordfile FILE"
is "$(stat -c %a "$VIREO_HOME/vireo.xml"):$(stat -c %a "$VIREO_HOME/vireo.xml-prev")" \
	600:600 "vireo.xml holding hashes and its -prev: 0600"

# Errors: one line each, VBoxManage's exit codes.
r $M internalcommands setcredentials cred dave --passwordfile "$TMPD/none"
is "$rc:$err" "1:vireo-manage: error: cannot open the password file $TMPD/none: No such file or directory" \
	"missing password file: exit 1 and its name"
: >"$TMPD/empty"
r $M internalcommands setcredentials cred dave --passwordfile "$TMPD/empty"
is "$rc:$err" "1:vireo-manage: error: $TMPD/empty holds no password" \
	"empty password file: exit 1"
head -c 1025 /dev/zero | tr '\0' x >"$TMPD/long"
r $M internalcommands setcredentials cred dave --passwordfile "$TMPD/long"
is "$rc:$err" "1:vireo-manage: error: the password in $TMPD/long is longer than 1024 bytes" \
	"a password over 1024 bytes: exit 1"
r $M internalcommands setcredentials cred dave
is "$rc" 2 "no password at all: exit 2 (syntax)"
r $M internalcommands setcredentials cred dave pw --passwordfile "$TMPD/pw.txt"
is "$rc" 2 "a password and --passwordfile: exit 2 (syntax)"
$M modifyvm cred --vrdeproperty Security/Method=NLA
r $M internalcommands setcredentials cred erin pw
is "$rc:$err" "0:vireo-manage: warning: Security/Method of 'cred' is NLA and no NT hash was stored (--nla): this user cannot log on" \
	"Security/Method NLA without --nla: stored, with one warning"
done_testing
