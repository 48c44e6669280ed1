#!/bin/sh
# urbdrc.sh - a short libFuzzer run of the MS-RDPEUSB parsers (remote USB
# over "URBDRC", fuzz-urbdrc.c; longer runs: make fuzz
# FUZZ_TARGETS=urbdrc FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke urbdrc
done_testing
