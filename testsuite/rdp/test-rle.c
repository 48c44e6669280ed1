/*
 * test-rle.c - the module's interleaved RLE encoder against FreeRDP's
 * decoder: every picture must come back exactly (at 15 and 16 bpp, as
 * FreeRDP converts the colour to that depth and back).  The pictures are the
 * ones that went wrong for rdesktop (colour changes inside a row, a box, the
 * quadrant corner), noise, one colour for more than a mega-mega count, and odd
 * sizes.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/codec/color.h>
#include <freerdp/codec/interleaved.h>

#include "tap.h"
#include "vrde/rdp/rdp_rle.h"

#define MAXW 320
#define MAXH 260

static uint32_t pic[MAXW * MAXH], got[MAXW * MAXH];
static uint8_t enc[MAXW * MAXH * 3 + 1024];

/* @c as a client sees it after the trip through @bpp: FreeRDP's own
 * conversion there and back (its 5-6-5 green is not bit replication). */
static uint32_t
at_depth(uint32_t c, uint32_t bpp)
{
	UINT32 fmt = bpp == 16 ? PIXEL_FORMAT_RGB16 : PIXEL_FORMAT_RGB15;

	uint32_t out = 0;
	UINT32 v;

	if (bpp == 24)
		return c & 0xffffff;
	v = ReadColor((const BYTE *)&c, PIXEL_FORMAT_BGRX32);
	v = FreeRDPConvertColor(v, PIXEL_FORMAT_BGRX32, fmt, NULL);
	v = FreeRDPConvertColor(v, fmt, PIXEL_FORMAT_BGRX32, NULL);
	WriteColor((BYTE *)&out, PIXEL_FORMAT_BGRX32, v);
	return out & 0xffffff;
}

static void
paint(const char *what, uint32_t w, uint32_t h)
{
	uint32_t seed = 12345;

	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t c;
			if (!strcmp(what, "quadrants")) {
				/* rdp-host's tile at (384,256) of 800x600 */
				c = y < 44 ? (x < 16 ? 0xff0000 : 0x00ff00)
					   : (x < 16 ? 0x0000ff : 0xffffff);
			} else if (!strcmp(what, "box")) {
				c = x >= 8 && x < 40 && y >= 8 && y < 40
					? 0x101010
					: 0xff0000;
			} else if (!strcmp(what, "noise")) {
				seed = seed * 1103515245 + 12345;
				c = seed >> 8 & 0xffffff;
			} else if (!strcmp(what, "pairs")) {
				c = (x / 2 + y) % 3 ? 0x123456 : 0xabcdef;
			} else {
				c = 0x336699;
			}
			pic[y * MAXW + x] = c;
		}
}

static void
check(const char *what, uint32_t w, uint32_t h, uint32_t bpp)
{
	BITMAP_INTERLEAVED_CONTEXT *dec = bitmap_interleaved_context_new(FALSE);
	uint32_t bad = 0, first = 0;
	long len;

	paint(what, w, h);
	memset(got, 0xaa, sizeof(got));
	len = rdp_rle_encode((const uint8_t *)pic, MAXW * 4, w, h, bpp, enc,
			     sizeof(enc));
	if (len > 0 && dec &&
	    interleaved_decompress(dec, enc, (UINT32)len, w, h, bpp,
				   (BYTE *)got, PIXEL_FORMAT_BGRX32, MAXW * 4,
				   0, 0, w, h, NULL)) {
		for (uint32_t i = 0; i < w * h; i++) {
			uint32_t at = i / w * MAXW + i % w;
			if ((got[at] & 0xffffff) != at_depth(pic[at], bpp) &&
			    !bad++)
				first = i;
		}
	} else {
		bad = 1;
		tap_diag("encode gave %ld, or FreeRDP refused to decode", len);
	}
	tap_ok(!bad, "%s %ux%u at %u bpp comes back exactly (%ld bytes)", what,
	       w, h, bpp, len);
	if (bad && len > 0)
		tap_diag("%u pixels differ, first at (%u,%u): %06x, not %06x",
			 bad, first % w, first / w,
			 got[first / w * MAXW + first % w] & 0xffffff,
			 at_depth(pic[first / w * MAXW + first % w], bpp));
	bitmap_interleaved_context_free(dec);
}

int
main(void)
{
	static const uint32_t depths[] = {24, 16, 15};
	uint8_t small[4];

	tap_plan(3 * 7 + 3);
	for (int d = 0; d < 3; d++) {
		check("quadrants", 64, 64, depths[d]);
		check("box", 64, 64, depths[d]);
		check("noise", 64, 64, depths[d]);
		check("pairs", 64, 64, depths[d]);
		check("noise", 36, 28, depths[d]);
		check("plain", 4, 4, depths[d]);
		check("plain", MAXW, MAXH, depths[d]); /* > 0xffff pixels */
	}
	tap_ok(rdp_rle_encode((const uint8_t *)pic, MAXW * 4, 64, 64, 32, enc,
			      sizeof(enc)) == -EINVAL,
	       "32 bpp is refused");
	tap_ok(rdp_rle_encode((const uint8_t *)pic, 4, 64, 64, 24, enc,
			      sizeof(enc)) == -EINVAL,
	       "a stride shorter than a row is refused");
	paint("noise", 64, 64);
	tap_ok(rdp_rle_encode((const uint8_t *)pic, MAXW * 4, 64, 64, 24, small,
			      sizeof(small)) == -ENOSPC,
	       "a short output buffer gives -ENOSPC");
	return tap_done();
}
