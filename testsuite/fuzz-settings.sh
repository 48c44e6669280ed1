#!/bin/sh
# fuzz-settings.sh - a short libFuzzer run of the .vbox loader over the
# fixtures (the smoke run CI does; fuzz longer by hand with
#   testsuite/fuzz-settings -dict=testsuite/settings/fuzz-settings.dict DIR).
. "$srcdir/tap.sh"
bin="$builddir/fuzz-settings"
[ -x "$bin" ] || skip_all "no libFuzzer: configure found no clang that links -fsanitize=fuzzer (Debian: clang, libclang-rt-14-dev)"
tap_tmpdir
mkdir "$TMPD/corpus"
plan 2
"$bin" -runs=20000 -max_total_time=60 -max_len=16384 -timeout=10 \
	-dict="$srcdir/settings/fuzz-settings.dict" \
	-artifact_prefix="$TMPD/" "$TMPD/corpus" "$srcdir/settings/data" \
	>"$TMPD/log" 2>&1
rc=$?
is "$rc" 0 "libFuzzer run over the fixtures finds nothing"
[ $rc = 0 ] || sed 's/^/# /' "$TMPD/log" | tail -40
like "$(grep -E 'Done [0-9]+ runs' "$TMPD/log")" "Done [0-9]+ runs" \
	"the fuzzer really ran"
done_testing
