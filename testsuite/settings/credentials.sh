#!/bin/sh
# credentials.sh - setcredentials (salted PBKDF2 + NT hash) and
# VirtualBox's plain sha256 form set with setextradata are both accepted
# by the real vireo-auth-simple.so.
. "$srcdir/tap.sh"
[ -e "$VIREO_MODULE_DIR/vireo-auth-simple.so" ] ||
	skip_all "vireo-auth-simple.so not built"
tap_tmpdir
export VIREO_HOME="$TMPD/home" HOME="$TMPD"
M=vireo-manage
$M createvm --name cred --register >/dev/null
$M internalcommands setcredentials cred alice 'pä$$ word'
$M setextradata cred VBoxAuthSimple/users/bob \
	"$($M internalcommands passwordhash --algorithm sha256 hunter2 | sed 's/.*: //')"
$M setextradata cred VBoxAuthSimple/users/bob/nthash \
	"$($M internalcommands passwordhash --nt hunter2 | sed 's/.*: //')"
"$builddir/settings/test-credentials" "$TMPD/vireo VMs/cred/cred.vbox" \
	alice 'pä$$ word' bob hunter2
