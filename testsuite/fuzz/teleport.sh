#!/bin/sh
# teleport.sh - a short libFuzzer run of what a teleporter target reads
# from its source (fuzz-teleport.c; longer runs: make fuzz
# FUZZ_TARGETS=teleport FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke teleport
done_testing
