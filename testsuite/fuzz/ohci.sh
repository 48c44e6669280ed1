#!/bin/sh
# ohci.sh - a short libFuzzer run of the OHCI controller's schedule
# walking over fuzzed guest memory (fuzz-ohci.c; longer runs: make fuzz
# FUZZ_TARGETS=ohci FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke ohci
done_testing
