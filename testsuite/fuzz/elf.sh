#!/bin/sh
# elf.sh - a short libFuzzer run of the ELF loader's parsing
# (fuzz-elf.c; longer runs: make fuzz FUZZ_TARGETS=elf FUZZ_TIME=...).
. "$srcdir/fuzz/lib.sh"
fuzz_smoke elf
done_testing
