# lib.sh - the smoke run of one libFuzzer target (fuzz.am); source it
# after setting nothing, then call fuzz_smoke NAME [libFuzzer options].
#
# The run is bounded in time and count; it passes when the target
# survives its committed corpus plus what it mutates from it in that
# time.  A crash prints libFuzzer's report and the crashing input
# (base64) so it can be reproduced from the log alone.
. "$srcdir/tap.sh"

fuzz_smoke() {
	name=$1
	shift
	bin=$builddir/fuzz/fuzz-$name
	[ -x "$bin" ] || skip_all "no libFuzzer: configure found no clang that links -fsanitize=fuzzer (Debian: clang, libclang-rt-14-dev)"
	[ -d "$srcdir/fuzz/corpus/$name" ] || {
		echo "Bail out! no corpus fuzz/corpus/$name"
		exit 1
	}
	dict=
	[ -f "$srcdir/fuzz/$name.dict" ] && dict=-dict=$srcdir/fuzz/$name.dict
	tap_tmpdir
	mkdir "$TMPD/corpus"
	plan 3
	"$bin" -max_total_time="${FUZZ_SMOKE_TIME:-4}" -runs=2000000 \
		-timeout=10 -rss_limit_mb=1024 -max_len=65536 \
		-artifact_prefix="$TMPD/" $dict "$@" \
		"$TMPD/corpus" "$srcdir/fuzz/corpus/$name" >"$TMPD/log" 2>&1
	rc=$?
	is "$rc" 0 "fuzz-$name survives its corpus and mutations"
	if [ $rc != 0 ]; then
		sed 's/^/# /' "$TMPD/log" | grep -v '^# #[0-9]' | tail -60
		for f in "$TMPD"/crash-* "$TMPD"/leak-* "$TMPD"/timeout-* \
			"$TMPD"/oom-*; do
			[ -f "$f" ] || continue
			echo "# input $(basename "$f") (base64):"
			base64 "$f" | head -40 | sed 's/^/#   /'
		done
	fi
	like "$(grep -E 'INFO: seed corpus: files: [0-9]+' "$TMPD/log")" \
		"files: [1-9]" "its corpus was read"
	like "$(grep -E 'Done [0-9]+ runs' "$TMPD/log")" "Done [0-9]+ runs" \
		"the fuzzer really ran"
}
