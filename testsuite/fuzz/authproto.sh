#!/bin/sh
# authproto.sh - a short libFuzzer run of the auth helper's framing, both directions
# (fuzz-authproto.c; longer runs: make fuzz FUZZ_TARGETS=authproto FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke authproto
done_testing
