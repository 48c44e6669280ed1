#!/bin/sh
# vnc.sh - a short libFuzzer run of the VNC module's client-message parser
# and encoders (fuzz-vnc.c; longer runs: make fuzz FUZZ_TARGETS=vnc ...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke vnc
done_testing
