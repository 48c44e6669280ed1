#!/bin/sh
# bzimage.sh - a short libFuzzer run of the bzImage loader's parsing
# (fuzz-bzimage.c; longer runs: make fuzz FUZZ_TARGETS=bzimage FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke bzimage
done_testing
