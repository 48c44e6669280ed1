#!/bin/sh
# tsmf.sh - a short libFuzzer run of the MS-RDPEV parsers and TSMF sessions
# (fuzz-tsmf.c; longer runs: make fuzz FUZZ_TARGETS=tsmf FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke tsmf
done_testing
