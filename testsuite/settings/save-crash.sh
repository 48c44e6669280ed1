#!/bin/sh
# save-crash.sh - a writer killed between the steps of a safe save leaves
# the settings file complete: the old one before the rename, the new one
# after it.  The library save-crash.so (save-crash.c), preloaded with
# SAVE_CRASH_AT=<step>, makes the writer _exit(99) at that step, as a
# crash would stop it there.
. "$srcdir/tap.sh"
CRASH=$builddir/.libs/save-crash.so
[ -e "$CRASH" ] || { tap_bail "save-crash.so is not built ($CRASH)"; exit 1; }
tap_tmpdir
export VIREO_HOME="$TMPD/home" HOME="$TMPD"
M=vireo-manage
DATA="$srcdir/settings/data"

for step in tmp-partial tmp-written prev-linked renamed; do
	d="$TMPD/$step"
	mkdir "$d"
	cp "$DATA/full-1.17.vbox" "$d/vm.vbox"
	SAVE_CRASH_AT=$step LD_PRELOAD=$CRASH $M modifyvm "$d/vm.vbox" --memory 999 2>/dev/null
	is "$?" 99 "$step: the writer died at that step"
	mem=$($M showvminfo "$d/vm.vbox" --machinereadable | grep '^memory=')
	if [ $step = renamed ]; then
		is "$mem" "memory=999" "$step: the new file is complete"
		ok "$step: the old file is kept as -prev" \
			cmp -s "$DATA/full-1.17.vbox" "$d/vm.vbox-prev"
	else
		ok "$step: the old file is intact" \
			cmp -s "$DATA/full-1.17.vbox" "$d/vm.vbox"
		is "$mem" "memory=4096" "$step: and loads"
	fi
	$M modifyvm "$d/vm.vbox" --memory 1000
	is "$($M showvminfo "$d/vm.vbox" --machinereadable | grep '^memory=')" \
		"memory=1000" "$step: the next save succeeds"
	ok "$step: no -tmp file left after it" test ! -e "$d/vm.vbox-tmp"
done

# the registry goes through the same writer
$M setextradata global k1 v1
cp "$VIREO_HOME/vireo.xml" "$TMPD/reg.before"
SAVE_CRASH_AT=tmp-partial LD_PRELOAD=$CRASH $M setextradata global k2 v2 2>/dev/null
is "$?" 99 "registry: the writer died half-way through the tmp file"
ok "registry: intact" cmp -s "$VIREO_HOME/vireo.xml" "$TMPD/reg.before"
is "$($M getextradata global k1)" "Value: v1" "registry: still loads"

plan "$tap_n"
done_testing
