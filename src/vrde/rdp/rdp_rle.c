/*
 * rdp_rle.c - interleaved RLE encoder for BitmapUpdate at 15/16/24 bpp.
 *
 * FreeRDP 2.11's own encoder (interleaved_compress) writes wrong bytes for
 * one-pixel colour images at 24 bpp; its decoder reads them back just as
 * wrongly, so only other clients show it (rdesktop drew a wrong pixel at
 * every colour change).  This encoder uses two orders only, colour runs
 * and colour images, which every decoder implements the same way; the
 * foreground/background orders that depend on the previous scanline
 * (and on the special rules for the first one) are never needed.
 *
 * Scanlines go bottom-up, as the bitmap data of BitmapUpdate is stored;
 * orders may continue across scanlines.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>

#include "rdp_rle.h"

#define RLE_COLOR_RUN	0x60 /* regular: 3-bit code, 5-bit count */
#define RLE_COLOR_IMAGE 0x80
#define RLE_MEGA_RUN	0xf3 /* mega-mega: code, then a 16-bit count */
#define RLE_MEGA_IMAGE	0xf4
#define RLE_MIN_RUN	3 /* shorter runs cost more than an image */

struct rle_out {
	uint8_t *p, *end;
	bool full;
};

static void
rle_byte(struct rle_out *o, uint8_t b)
{
	if (o->p < o->end)
		*o->p++ = b;
	else
		o->full = true;
}

/* An order header: counts 1..31 fit the code byte, 32..287 take one more
 * byte (count - 32), larger ones the 16-bit mega-mega form. */
static void
rle_order(struct rle_out *o, uint8_t regular, uint8_t mega, uint32_t n)
{
	if (n < 32) {
		rle_byte(o, regular | n);
	} else if (n < 32 + 256) {
		rle_byte(o, regular);
		rle_byte(o, (uint8_t)(n - 32));
	} else {
		rle_byte(o, mega);
		rle_byte(o, n & 0xff);
		rle_byte(o, n >> 8);
	}
}

/* One pixel in the wire format: little-endian 5-5-5, 5-6-5, or B G R. */
static void
rle_pixel(struct rle_out *o, uint32_t c, uint32_t bpp)
{
	uint32_t r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
	uint32_t v;

	if (bpp == 24) {
		rle_byte(o, b);
		rle_byte(o, g);
		rle_byte(o, r);
		return;
	}
	if (bpp == 16)
		v = (r >> 3) << 11 | (g >> 2) << 5 | b >> 3;
	else
		v = (r >> 3) << 10 | (g >> 3) << 5 | b >> 3;
	rle_byte(o, v & 0xff);
	rle_byte(o, v >> 8);
}

/* Pixel @i of the bottom-up stream. */
static uint32_t
rle_at(const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h, uint32_t i)
{
	const uint8_t *row = px + (size_t)(h - 1 - i / w) * stride;
	const uint8_t *p = row + (size_t)(i % w) * 4;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static void
rle_image(struct rle_out *o, const uint8_t *px, uint32_t stride, uint32_t w,
	  uint32_t h, uint32_t bpp, uint32_t from, uint32_t to)
{
	while (from < to) {
		uint32_t n = to - from > 0xffff ? 0xffff : to - from;
		rle_order(o, RLE_COLOR_IMAGE, RLE_MEGA_IMAGE, n);
		for (uint32_t i = from; i < from + n; i++)
			rle_pixel(o, rle_at(px, stride, w, h, i), bpp);
		from += n;
	}
}

long
rdp_rle_encode(const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h,
	       uint32_t bpp, uint8_t *out, size_t cap)
{
	struct rle_out o = {.p = out, .end = out + cap};
	uint32_t total, i = 0, lit = 0, run, c;

	if ((bpp != 15 && bpp != 16 && bpp != 24) || !w || !h ||
	    (uint64_t)w * h > UINT32_MAX / 2 || stride < (uint64_t)w * 4)
		return -EINVAL;
	total = w * h;
	while (i < total) {
		c = rle_at(px, stride, w, h, i);
		run = 1;
		while (i + run < total && run < 0xffff &&
		       rle_at(px, stride, w, h, i + run) == c)
			run++;
		if (run < RLE_MIN_RUN) {
			i += run;
			continue;
		}
		/* flush the pixels before the run as one image */
		rle_image(&o, px, stride, w, h, bpp, lit, i);
		rle_order(&o, RLE_COLOR_RUN, RLE_MEGA_RUN, run);
		rle_pixel(&o, c, bpp);
		i += run;
		lit = i;
	}
	rle_image(&o, px, stride, w, h, bpp, lit, total);
	if (o.full)
		return -ENOSPC;
	return (long)(o.p - out);
}
