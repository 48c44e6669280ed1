/*
 * usbfilter.h - the value grammar of USB device filter fields
 * (vireo-usb(7)), shared by vireo-headless (usb.c) and its fuzz target.
 */
#ifndef VIREO_HEADLESS_USBFILTER_H
#define VIREO_HEADLESS_USBFILTER_H

#include <stdbool.h>

/** A numeric field (vendor id, product id, revision) against @v: NULL or
 * empty matches all; else values and ranges (N, N-M, -M, N-), hex with
 * an optional 0x, up to 0xffff, separated by '|' or ','.  *@bad is set
 * when @expr is not understood (then false). */
bool usbfilter_num_match(const char *expr, unsigned v, bool *bad);
/** A string field against @s: NULL or empty matches all; '*' any run,
 * '?' one byte, else exact (case matters).  Time O(len(pat) * len(s)). */
bool usbfilter_str_match(const char *pat, const char *s);

#endif /* VIREO_HEADLESS_USBFILTER_H */
