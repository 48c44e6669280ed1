#!/bin/sh
# check-braces.sh - tools/check-braces (run by make check-style) finds
# braces around a single statement and if/else chains braced in one
# branch only, accepts kernel style, and --fix turns the first into it.
. "$srcdir/tap.sh"
command -v python3 >/dev/null || skip_all "python3 needed (tools/install-deps)"
CB="$top_srcdir/tools/check-braces"
tap_tmpdir

cat >"$TMPD/good.c" <<'C'
int
f(int a, int b)
{
	if (a)
		return 1;
	else if (b)
		return 2;
	if (a) {
		a++;
		b++;
	} else {
		b--;
	}
	while (a) {
		if (b) /* a lone if keeps its braces */
			b--;
	}
	for (;;) {
		if (a)
			break;
		a++;
	}
	do {
		a--;
	} while (a > 0);
	switch (a) {
	case 1:
		return 3;
	}
	if (a) {
#ifdef FOO /* without the braces the if would take what follows */
		a++;
#endif
	}
	return a ? (struct { int x; }){1}.x : 0;
}
C
out=$(python3 "$CB" "$TMPD/good.c")
is "$?:$out" "0:" "kernel style passes"

cat >"$TMPD/bad.c" <<'C'
int
f(int a, int b)
{
	if (a) {
		return 1;
	}
	for (; a; a--) {
		b++;
	}
	if (a)
		a++;
	else {
		a--;
		b--;
	}
	while (b) {
		/* a comment does not count */
		b--;
	}
	return b;
}
C
out=$(python3 "$CB" "$TMPD/bad.c")
rc=$?
is "$rc" 1 "a violation fails the check"
is "$(printf '%s\n' "$out" | sed "s|^$TMPD/||")" "bad.c:4: braces around a single statement
bad.c:7: braces around a single statement
bad.c:11: one branch of this if/else is braced: brace them all
bad.c:16: braces around a single statement" "each is named with its line"

cp "$TMPD/bad.c" "$TMPD/fixed.c"
python3 "$CB" --fix "$TMPD/fixed.c"
out=$(python3 "$CB" "$TMPD/fixed.c")
is "$?:$out" "0:" "--fix leaves nothing to report"
ok "--fix braces the bare branch and unbraces the single statements" \
	grep -qx '	if (a) {' "$TMPD/fixed.c"
is "$(grep -c '{' "$TMPD/fixed.c")" 3 "--fix: three braces left (function, if, else)"

plan "$tap_n"
done_testing
