#!/bin/sh
# console.sh - a short libFuzzer run of the serial console protocol
# (fuzz-console.c; longer runs: make fuzz FUZZ_TARGETS=console FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke console
done_testing
