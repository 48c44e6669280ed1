/*
 * test-zgfx.c - the module's RDP 8.0 bulk compressor (rdp_zgfx.c) against
 * FreeRDP's decompressor, the one xfreerdp runs: a sequence of messages
 * through one compressor and one decompressor (the history is shared
 * across messages, as on the channel) must come back exactly, and the
 * sizes must show what the compressor is for: a message repeating one
 * sent earlier costs a small fraction of it, noise costs at most a few
 * bytes more than itself, and so does a message of more than one segment.
 * Also more than the 1,000,000 bytes of history it keeps (of the
 * 2,500,000 the decoder has), so the window slides.  And a frame made of
 * the previous frame's short rows in another order (as a scrolled or
 * moved picture's planar tiles are) must find them, though there are
 * more positions in between than a small table keeps.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/codec/zgfx.h>

#include "tap.h"
#include "vrde/rdp/rdp_zgfx.h"

static ZGFX_CONTEXT *dec;
static struct rdp_zgfx *enc;
static uint32_t seed = 12345;

static uint8_t
rnd(void)
{
	seed = seed * 1103515245 + 12345;
	return (uint8_t)(seed >> 16);
}

/* Compress @in, decompress it, compare.  @return compressed size, or
 * 0 on a mismatch. */
static size_t
trip(const uint8_t *in, size_t len)
{
	struct rdp_zbuf out = {0};
	BYTE *got = NULL;
	UINT32 got_len = 0;
	size_t size = 0;

	if (rdp_zgfx_compress(enc, in, len, &out) == 0 &&
	    zgfx_decompress(dec, out.data, (UINT32)out.len, &got, &got_len,
			    0) >= 0 &&
	    got_len == len && !memcmp(got, in, len))
		size = out.len;
	free(got);
	rdp_zbuf_free(&out);
	return size;
}

/* Something like planar tiles: runs and small deltas, some noise. */
static void
tile_like(uint8_t *p, size_t n, uint8_t salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (i % 97 < 60) ? (uint8_t)(i / 13 + salt) : rnd();
}

/* A fresh channel: 6,000 rows of 24 random bytes in one order (@a),
 * then in another (@b).  @return the second message's size, or 0. */
static size_t
reordered_rows(uint8_t *a, uint8_t *b)
{
	enum { ROWS = 6000, LEN = 24 };

	dec = zgfx_context_new(FALSE);
	enc = rdp_zgfx_new();
	if (!dec || !enc)
		return 0;
	for (size_t i = 0; i < ROWS * LEN; i++)
		b[i] = rnd();
	for (size_t r = 0; r < ROWS; r++) {
		memcpy(a + r * LEN, b + r * 7 % ROWS * LEN, LEN);
		memcpy(a + (ROWS + r) * LEN, b + r * 11 % ROWS * LEN, LEN);
	}
	if (!trip(a, ROWS * LEN))
		return 0;
	return trip(a + ROWS * LEN, ROWS * LEN);
}

int
main(void)
{
	static uint8_t a[200000], b[200000], big[3000000];
	size_t sa, sb, s;
	int ok_all = 1;

	tap_plan(9);
	dec = zgfx_context_new(FALSE);
	enc = rdp_zgfx_new();
	if (!dec || !enc) {
		tap_diag("out of memory");
		return 1;
	}
	tile_like(a, 30000, 1);
	sa = trip(a, 30000);
	tap_ok(sa > 0 && sa < 30000, "a tile-like message: %zu of 30000 bytes",
	       sa);
	s = trip(a, 30000);
	tap_ok(s > 0 && s < 300,
	       "the same message again: %zu bytes (found in history)", s);
	for (size_t i = 0; i < 30000; i++)
		b[i] = rnd();
	sb = trip(b, 30000);
	tap_ok(sb > 0 && sb <= 30000 + 64, "noise: %zu of 30000 bytes", sb);
	tap_ok(trip((const uint8_t *)"ab", 2) > 0, "a two-byte message");
	/* more than one segment: 200000 bytes, half of them a repeat */
	tile_like(a, 100000, 7);
	memcpy(a + 100000, a, 100000);
	s = trip(a, 200000);
	tap_ok(s > 0 && s < 100000, "200000 bytes in 4 segments: %zu", s);
	/* more than the history: slides, and what is far back is gone */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (i % 5000 < 2500) ? (uint8_t)(i * 7 >> 3) : rnd();
	for (size_t off = 0; off < sizeof(big); off += 150000) {
		size_t n =
		    sizeof(big) - off < 150000 ? sizeof(big) - off : 150000;
		if (!trip(big + off, n))
			ok_all = 0;
	}
	tap_ok(ok_all, "3,000,000 bytes in messages of 150000 come back");
	for (int i = 0; i < 50 && ok_all; i++) {
		size_t n = 1 + rnd() * 37 + rnd();
		for (size_t k = 0; k < n; k++)
			b[k] = (k & 8) ? big[(size_t)i * 60011 % 2000000 + k]
				       : rnd() & 3;
		if (!trip(b, n))
			ok_all = 0;
	}
	tap_ok(ok_all, "50 short mixed messages after the slide come back");
	/* a tile sent about 840,000 bytes ago is still found */
	s = trip(big + 2400000, 20000);
	tap_ok(s > 0 && s < 2000, "20000 bytes last sent about 840 kB ago: %zu",
	       s);
	rdp_zgfx_free(enc);
	zgfx_context_free(dec);
	s = reordered_rows(big, b);
	/* 16,384 hashes of 4 positions: 73,835 bytes (51 %) */
	tap_ok(s > 0 && s < 144000 * 3 / 10,
	       "144,000 bytes of earlier 24-byte rows in a new order: %zu", s);
	rdp_zgfx_free(enc);
	zgfx_context_free(dec);
	return tap_done();
}
