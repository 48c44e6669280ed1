/*
 * rdp_zgfx.c - RDP 8.0 bulk compression for the graphics pipeline.
 *
 * Why: FreeRDP 2.11's server side of the pipeline stores every PDU
 * uncompressed ("compression not implemented"), while fast-path bitmap
 * updates go through its bulk compressor, whose 2 MB history finds the
 * tiles of earlier frames again.  The same damage cost 32 times the bytes
 * over the pipeline.  This is an LZ77 coder for the format of MS-RDPEGFX
 * 2.2.5 (the token table of 2.2.5.3, a 2,500,000-byte history): every
 * position is looked up in a hash of its next four bytes, which remembers
 * the last eight positions with those bytes; that table forgets within a
 * few hundred kilobytes, so positions whose next eight bytes hash to a
 * multiple of ZGFX_ANCHOR also go into a second table, which reaches
 * across the whole window (a tile sent some frames ago), and a match
 * found there is extended backwards over the literals before it.  The
 * longest match that costs fewer bits than its literals is sent, unless
 * the next position has a longer one (then this byte goes as a literal).
 * Runs that find nothing (H.264 payloads) go as stored blocks, one bit
 * per byte cheaper than literals.
 *
 * The table's size: with 16,384 hashes of 4 positions a frame that
 * redraws the whole 1024x768 head (150 KB of planar tiles) had pushed out
 * the previous frame's positions before it could match them; 32,768 of 8
 * (1 MB a client, 768 KB more) cost the bench's desktop scene 38 % fewer
 * bytes and its test card 11 % fewer, for the same CPU (longer matches
 * skip more positions; bench/README.md).
 *
 * The client's history is a ring of the last 2,500,000 bytes it decoded,
 * stored segments included; this side keeps the last 1,000,000 of them
 * in a linear buffer that slides when it is full, and matches only
 * there: each client costs about 1.5 MB more than with FreeRDP's
 * pipeline (which kept no history), not 4.4 MB, for 6 % more bytes on
 * the bench's test card (bench/README.md).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rdp_zgfx.h"

#define ZGFX_WINDOW	1000000u /* of the decoder's 2,500,000: memory */
#define ZGFX_MAX_DIST	(ZGFX_WINDOW - 1)
#define ZGFX_SEG_MAX	65535u
#define ZGFX_HIST_CAP	(ZGFX_WINDOW + (1u << 18))
#define ZGFX_HASH_BITS	15
#define ZGFX_WAYS	8
#define ZGFX_NONE	0 /* positions start at 1: tables start as zero pages */
#define ZGFX_FAR_BITS	15
#define ZGFX_ANCHOR	32 /* one far-table position in this many */
#define ZGFX_MIN_STORED 40 /* shorter literal runs never pay for a block */

/* segment header and descriptor values (MS-RDPEGFX 2.2.5.1, 2.2.5.3) */
#define ZGFX_SINGLE	0xe0
#define ZGFX_MULTIPART	0xe1
#define ZGFX_TYPE_RDP8	0x04
#define ZGFX_COMPRESSED 0x20

struct rdp_zgfx {
	uint8_t *hist; /* the last bytes sent, oldest first */
	uint32_t len;
	uint32_t *table; /* per hash: ZGFX_WAYS positions, newest first */
	uint32_t *far;	 /* per 8-byte hash of an anchor: its position */
};

/* Match distance classes: prefix code, value bits, first distance. */
static const struct {
	uint8_t plen;
	uint16_t code;
	uint8_t vbits;
	uint32_t base;
} zgfx_dist[] = {
    {5, 17, 5, 0},	   {5, 18, 7, 32},	  {5, 19, 9, 160},
    {5, 20, 10, 672},	   {5, 21, 12, 1696},	  {6, 44, 14, 5792},
    {6, 45, 15, 22176},	   {7, 92, 18, 54944},	  {7, 93, 20, 317088},
    {8, 188, 20, 1365664}, {8, 189, 21, 2414240},
};

/* Literals with a code of their own; every other byte is '0' + 8 bits. */
static const struct {
	uint8_t value, plen;
	uint16_t code;
} zgfx_lit_special[] = {
    {0x00, 5, 24},  {0x01, 5, 25},  {0x02, 6, 52},  {0x03, 6, 53},
    {0xff, 6, 54},  {0x04, 7, 110}, {0x05, 7, 111}, {0x06, 7, 112},
    {0x07, 7, 113}, {0x08, 7, 114}, {0x09, 7, 115}, {0x0a, 7, 116},
    {0x0b, 7, 117}, {0x3a, 7, 118}, {0x3b, 7, 119}, {0x3c, 7, 120},
    {0x3d, 7, 121}, {0x3e, 7, 122}, {0x3f, 7, 123}, {0x40, 7, 124},
    {0x80, 7, 125}, {0x0c, 8, 252}, {0x38, 8, 253}, {0x39, 8, 254},
    {0x66, 8, 255},
};

static uint16_t zgfx_lit_code[256];
static uint8_t zgfx_lit_bits[256];
static pthread_once_t zgfx_once = PTHREAD_ONCE_INIT;

static void
zgfx_init_literals(void)
{
	for (int v = 0; v < 256; v++) {
		zgfx_lit_code[v] = (uint16_t)v; /* '0' then the byte */
		zgfx_lit_bits[v] = 9;
	}
	for (size_t i = 0;
	     i < sizeof(zgfx_lit_special) / sizeof(zgfx_lit_special[0]); i++) {
		zgfx_lit_code[zgfx_lit_special[i].value] =
		    zgfx_lit_special[i].code;
		zgfx_lit_bits[zgfx_lit_special[i].value] =
		    zgfx_lit_special[i].plen;
	}
}

bool
rdp_zbuf_reserve(struct rdp_zbuf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->oom)
		return false;
	if (b->len + more <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void
rdp_zbuf_put(struct rdp_zbuf *b, const void *p, size_t n)
{
	if (!n || !rdp_zbuf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
rdp_zbuf_free(struct rdp_zbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

struct rdp_zgfx *
rdp_zgfx_new(void)
{
	struct rdp_zgfx *z = calloc(1, sizeof(*z));

	pthread_once(&zgfx_once, zgfx_init_literals);
	if (!z)
		return NULL;
	/* untouched pages cost nothing: a quiet client stays small */
	z->hist = malloc(1 + ZGFX_HIST_CAP);
	z->table =
	    calloc((size_t)ZGFX_WAYS << ZGFX_HASH_BITS, sizeof(uint32_t));
	z->far = calloc((size_t)1 << ZGFX_FAR_BITS, sizeof(uint32_t));
	if (!z->hist || !z->table || !z->far) {
		rdp_zgfx_free(z);
		return NULL;
	}
	z->len = 1; /* hist[0] is no history */
	return z;
}

void
rdp_zgfx_free(struct rdp_zgfx *z)
{
	if (!z)
		return;
	free(z->hist);
	free(z->table);
	free(z->far);
	free(z);
}

/* MSB-first bit writer into a zbuf. */
struct zgfx_bits {
	struct rdp_zbuf *out;
	uint64_t acc;
	unsigned n; /* bits in acc, below 8 between calls */
};

static void
zgfx_put(struct zgfx_bits *w, uint32_t value, unsigned bits)
{
	uint8_t byte;

	w->acc = (w->acc << bits) | (value & ((1ull << bits) - 1));
	w->n += bits;
	while (w->n >= 8) {
		w->n -= 8;
		byte = (uint8_t)(w->acc >> w->n);
		rdp_zbuf_put(w->out, &byte, 1);
	}
	w->acc &= (1ull << w->n) - 1;
}

/* Complete the current byte with zeros.  @return the bits added. */
static unsigned
zgfx_pad(struct zgfx_bits *w)
{
	unsigned pad = w->n ? 8 - w->n : 0;

	if (pad)
		zgfx_put(w, 0, pad);
	return pad;
}

static int
zgfx_dist_class(uint32_t dist)
{
	int k = (int)(sizeof(zgfx_dist) / sizeof(zgfx_dist[0])) - 1;

	while (k > 0 && dist < zgfx_dist[k].base)
		k--;
	return k;
}

static unsigned
zgfx_log2(uint32_t v)
{
	unsigned k = 0;

	while (v >>= 1)
		k++;
	return k;
}

static unsigned
zgfx_match_bits(uint32_t dist, uint32_t len)
{
	int k = zgfx_dist_class(dist);

	return zgfx_dist[k].plen + zgfx_dist[k].vbits +
	       (len == 3 ? 1 : 2 * zgfx_log2(len));
}

static void
zgfx_put_match(struct zgfx_bits *w, uint32_t dist, uint32_t len)
{
	int k = zgfx_dist_class(dist);
	unsigned e;

	zgfx_put(w, zgfx_dist[k].code, zgfx_dist[k].plen);
	zgfx_put(w, dist - zgfx_dist[k].base, zgfx_dist[k].vbits);
	if (len == 3) {
		zgfx_put(w, 0, 1);
		return;
	}
	/* 4..7: "10" + 2 bits; 8..15: "110" + 3 bits; ... */
	e = zgfx_log2(len);
	zgfx_put(w, (1u << e) - 2, e); /* e-1 ones, then a zero */
	zgfx_put(w, len - (1u << e), e);
}

/* Literals @p[0..n): as codes, or as stored blocks when cheaper. */
static void
zgfx_put_literals(struct zgfx_bits *w, const uint8_t *p, uint32_t n)
{
	uint64_t bits = 0;
	uint32_t chunk;

	for (uint32_t i = 0; i < n; i++)
		bits += zgfx_lit_bits[p[i]];
	if (n < ZGFX_MIN_STORED || bits <= 8ull * n + 32) {
		for (uint32_t i = 0; i < n; i++)
			zgfx_put(w, zgfx_lit_code[p[i]], zgfx_lit_bits[p[i]]);
		return;
	}
	while (n) {
		chunk = n > 32767 ? 32767 : n;
		zgfx_put(w, zgfx_dist[0].code, zgfx_dist[0].plen);
		zgfx_put(w, 0, zgfx_dist[0].vbits); /* distance 0: stored */
		zgfx_put(w, chunk, 15);
		zgfx_pad(w); /* the decoder drops the rest of the byte */
		rdp_zbuf_put(w->out, p, chunk);
		p += chunk;
		n -= chunk;
	}
}

static uint32_t
zgfx_hash(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return (v * 2654435761u) >> (32 - ZGFX_HASH_BITS);
}

static uint32_t
zgfx_hash8(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 32);
}

/* Remember @pos (@room bytes of the segment left from it). */
static void
zgfx_insert(struct rdp_zgfx *z, uint32_t pos, uint32_t room)
{
	uint32_t *b = z->table + (size_t)zgfx_hash(z->hist + pos) * ZGFX_WAYS;
	uint32_t h8;

	memmove(b + 1, b, (ZGFX_WAYS - 1) * sizeof(*b));
	b[0] = pos;
	if (room < 8)
		return;
	h8 = zgfx_hash8(z->hist + pos);
	if (h8 % ZGFX_ANCHOR == 0)
		z->far[h8 >> (32 - ZGFX_FAR_BITS)] = pos;
}

/* Make room for @n more bytes of history: keep the last window. */
static void
zgfx_slide(struct rdp_zgfx *z, uint32_t n)
{
	uint32_t keep, shift;
	size_t slots = (size_t)ZGFX_WAYS << ZGFX_HASH_BITS;

	if (z->len - 1 + n <= ZGFX_HIST_CAP)
		return;
	keep = z->len - 1 < ZGFX_WINDOW ? z->len - 1 : ZGFX_WINDOW;
	shift = z->len - 1 - keep;
	memmove(z->hist + 1, z->hist + 1 + shift, keep);
	z->len = keep + 1;
	for (size_t i = 0; i < slots; i++)
		z->table[i] =
		    z->table[i] <= shift ? ZGFX_NONE : z->table[i] - shift;
	for (size_t i = 0; i < (size_t)1 << ZGFX_FAR_BITS; i++)
		z->far[i] = z->far[i] <= shift ? ZGFX_NONE : z->far[i] - shift;
}

/* A match for hist[pos..end) at an anchor remembered far back, extended
 * backwards down to @lit.  Sets *@back to the bytes it starts earlier.
 * @return its length from pos - *back, or 0. */
static uint32_t
zgfx_find_far(const struct rdp_zgfx *z, uint32_t pos, uint32_t end,
	      uint32_t lit, uint32_t *dist, uint32_t *back)
{
	const uint8_t *h = z->hist;
	uint32_t h8, c, l, b = 0;

	if (end - pos < 8)
		return 0;
	h8 = zgfx_hash8(h + pos);
	if (h8 % ZGFX_ANCHOR)
		return 0;
	c = z->far[h8 >> (32 - ZGFX_FAR_BITS)];
	if (c == ZGFX_NONE || c >= pos || pos - c > ZGFX_MAX_DIST)
		return 0;
	for (l = 0; pos + l < end && h[c + l] == h[pos + l]; l++)
		;
	if (l < 8)
		return 0;
	while (pos - b > lit && c - b > 1 && h[c - b - 1] == h[pos - b - 1])
		b++;
	*dist = pos - c;
	*back = b;
	return l + b;
}

/* Longest match for hist[pos..end) among the remembered positions. */
static uint32_t
zgfx_find(const struct rdp_zgfx *z, uint32_t pos, uint32_t end, uint32_t *dist)
{
	const uint32_t *b =
	    z->table + (size_t)zgfx_hash(z->hist + pos) * ZGFX_WAYS;
	const uint8_t *h = z->hist;
	uint32_t best = 0, c, l;

	for (int k = 0; k < ZGFX_WAYS && b[k] != ZGFX_NONE; k++) {
		c = b[k];
		if (pos - c > ZGFX_MAX_DIST)
			break; /* older ways are further still */
		if (best == end - pos)
			break; /* cannot grow */
		if (h[c + best] != h[pos + best])
			continue;
		for (l = 0; pos + l < end && h[c + l] == h[pos + l]; l++)
			;
		if (l > best) {
			best = l;
			*dist = pos - c;
		}
	}
	return best;
}

/* One segment of at most ZGFX_SEG_MAX bytes: header byte and data. */
static void
zgfx_segment(struct rdp_zgfx *z, const uint8_t *in, uint32_t n,
	     struct rdp_zbuf *out)
{
	struct zgfx_bits w = {.out = out};
	size_t start = out->len;
	uint32_t base, end, i = 0, lit = 0, len, dist = 0, lbits;
	uint32_t flen, fdist = 0, back = 0, from;
	uint8_t hdr = ZGFX_TYPE_RDP8 | ZGFX_COMPRESSED, pad;

	zgfx_slide(z, n);
	base = z->len;
	memcpy(z->hist + base, in, n);
	end = base + n;
	rdp_zbuf_put(out, &hdr, 1);
	while (i < n) {
		len = 0;
		from = i;
		if (n - i >= 4) {
			len = zgfx_find(z, base + i, end, &dist);
			flen = zgfx_find_far(z, base + i, end, base + lit,
					     &fdist, &back);
			zgfx_insert(z, base + i, n - i);
			if (flen > len + back) {
				/* the match really starts @back earlier */
				from = i - back;
				len = flen;
				dist = fdist;
			}
		}
		lbits = 0;
		for (uint32_t k = 0; k < len && lbits < 64; k++)
			lbits += zgfx_lit_bits[in[from + k]];
		if (len < 3 || zgfx_match_bits(dist, len) >= lbits) {
			i++;
			continue;
		}
		/* a longer match one byte on is worth a literal first */
		if (from == i && len < 64 && n - i > 5 &&
		    zgfx_find(z, base + i + 1, end, &fdist) > len) {
			i++;
			continue;
		}
		i = from;
		zgfx_put_literals(&w, in + lit, i - lit);
		zgfx_put_match(&w, dist, len);
		for (uint32_t k = 1; k < len && i + k + 4 <= n; k++)
			zgfx_insert(z, base + i + k, n - i - k);
		i += len;
		lit = i;
	}
	zgfx_put_literals(&w, in + lit, n - lit);
	pad = (uint8_t)zgfx_pad(&w);
	rdp_zbuf_put(out, &pad, 1);
	z->len = end;
	if (!out->oom && out->len - start > (size_t)n + 1) {
		/* stored is shorter; the client keeps it in history alike */
		out->len = start;
		hdr = ZGFX_TYPE_RDP8;
		rdp_zbuf_put(out, &hdr, 1);
		rdp_zbuf_put(out, in, n);
	}
}

static void
zgfx_put32(struct rdp_zbuf *b, size_t at, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24)};

	if (!b->oom)
		memcpy(b->data + at, le, 4);
}

int
rdp_zgfx_compress(struct rdp_zgfx *z, const uint8_t *in, size_t len,
		  struct rdp_zbuf *out)
{
	uint8_t head[7];
	size_t nseg = (len + ZGFX_SEG_MAX - 1) / ZGFX_SEG_MAX, at;
	uint32_t n;

	if (!len || nseg > 65535 || len > UINT32_MAX)
		return -EINVAL;
	if (nseg == 1) {
		head[0] = ZGFX_SINGLE;
		rdp_zbuf_put(out, head, 1);
		zgfx_segment(z, in, (uint32_t)len, out);
		return out->oom ? -ENOMEM : 0;
	}
	head[0] = ZGFX_MULTIPART;
	head[1] = (uint8_t)nseg;
	head[2] = (uint8_t)(nseg >> 8);
	rdp_zbuf_put(out, head, 3);
	at = out->len;
	rdp_zbuf_put(out, head, 4);
	zgfx_put32(out, at, (uint32_t)len);
	while (len) {
		n = len > ZGFX_SEG_MAX ? ZGFX_SEG_MAX : (uint32_t)len;
		at = out->len;
		rdp_zbuf_put(out, head, 4); /* size, filled below */
		zgfx_segment(z, in, n, out);
		zgfx_put32(out, at, (uint32_t)(out->len - at - 4));
		in += n;
		len -= n;
	}
	return out->oom ? -ENOMEM : 0;
}
