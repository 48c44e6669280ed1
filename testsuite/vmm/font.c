/*
 * font.c - the testcard's own font, compiled into vmm-run so the test
 * computes the expected head digits from the same glyph table.
 */
#include "guest/font.c"
