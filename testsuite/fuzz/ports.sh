#!/bin/sh
# ports.sh - a short libFuzzer run of the TCP/Ports grammar
# (fuzz-ports.c; longer runs: make fuzz FUZZ_TARGETS=ports FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke ports
done_testing
