#!/bin/sh
# registry.sh - a short libFuzzer run of the global registry loader
# (fuzz-registry.c; longer runs: make fuzz FUZZ_TARGETS=registry FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke registry
done_testing
