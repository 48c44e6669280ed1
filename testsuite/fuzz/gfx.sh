#!/bin/sh
# gfx.sh - a short libFuzzer run of the graphics pipeline's client PDU parser
# (fuzz-gfx.c; longer runs: make fuzz FUZZ_TARGETS=gfx FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke gfx
done_testing
