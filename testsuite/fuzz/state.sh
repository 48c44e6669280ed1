#!/bin/sh
# state.sh - a short libFuzzer run of the saved-state container
# (fuzz-state.c; longer runs: make fuzz FUZZ_TARGETS=state FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke state
done_testing
