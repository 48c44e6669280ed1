#!/bin/sh
# userscreen.sh - a short libFuzzer run of the "@n" screen selector in user and domain
# (fuzz-userscreen.c; longer runs: make fuzz FUZZ_TARGETS=userscreen FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke userscreen
done_testing
