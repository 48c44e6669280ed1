#!/bin/sh
# usbfilter.sh - a short libFuzzer run of the USB device filter grammar
# (fuzz-usbfilter.c; longer runs: make fuzz FUZZ_TARGETS=usbfilter ...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke usbfilter
done_testing
