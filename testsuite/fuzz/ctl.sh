#!/bin/sh
# ctl.sh - a short libFuzzer run of the control socket's request parser
# (fuzz-ctl.c; longer runs: make fuzz FUZZ_TARGETS=ctl FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke ctl
done_testing
