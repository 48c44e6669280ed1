/*
 * vnc_enc.c - the tile encoders: Raw, Hextile, ZRLE and Tight (with JPEG),
 * each producing bytes that any viewer with the same configuration can be
 * sent, whatever it was sent before.
 *
 * ZRLE: RFB keeps one zlib stream per connection.  Each tile is deflated
 * by a fresh raw-deflate stream and ended with a sync flush: the bytes
 * refer to nothing before them and end on a byte boundary with the final
 * bit clear, so they continue any viewer's inflate stream.  Only the
 * stream's 2-byte zlib header is per viewer (vnc_client.c sends it first).
 * Tight: every rect resets zlib stream 0, so its bytes stand alone too.
 * Tiles are at most VNC_TILE x VNC_TILE (ZRLE's own tile size).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>
#include <zlib.h>

#include "vnc.h"

#define VNC_PX_MAX  (VNC_TILE * VNC_TILE)
#define VNC_RAW_MAX (VNC_PX_MAX * 4 + 4096)

struct vnc_encoder {
	z_stream zrle;	/* raw deflate */
	z_stream tight; /* zlib */
	bool zrle_ok, tight_ok;
	tjhandle tj;
	uint32_t val[VNC_PX_MAX]; /* pixels as client values */
	uint8_t buf[VNC_RAW_MAX];
	uint8_t out[VNC_RAW_MAX + 1024];
};

bool
vnc_config_equal(const struct vnc_config *a, const struct vnc_config *b)
{
	return a->enc == b->enc && a->jpeg == b->jpeg &&
	       !memcmp(&a->pf, &b->pf, sizeof(a->pf));
}

struct vnc_encoder *
vnc_encoder_new(void)
{
	struct vnc_encoder *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->zrle_ok = deflateInit2(&e->zrle, 3, Z_DEFLATED, -15, 8,
				  Z_DEFAULT_STRATEGY) == Z_OK;
	e->tight_ok = deflateInit2(&e->tight, 3, Z_DEFLATED, 15, 8,
				   Z_DEFAULT_STRATEGY) == Z_OK;
	e->tj = tjInitCompress();
	if (!e->zrle_ok || !e->tight_ok || !e->tj) {
		vnc_encoder_free(e);
		return NULL;
	}
	return e;
}

void
vnc_encoder_free(struct vnc_encoder *e)
{
	if (!e)
		return;
	if (e->zrle_ok)
		deflateEnd(&e->zrle);
	if (e->tight_ok)
		deflateEnd(&e->tight);
	if (e->tj)
		tjDestroy(e->tj);
	free(e);
}

static uint32_t
vnc_scale(uint32_t c, uint16_t max)
{
	return max == 255 ? c : (c * max + 127) / 255;
}

/* BGRX pixel -> the client's pixel value. */
static uint32_t
vnc_value(const struct vnc_pixfmt *pf, const uint8_t *p)
{
	return vnc_scale(p[2], pf->rmax) << pf->rshift |
	       vnc_scale(p[1], pf->gmax) << pf->gshift |
	       vnc_scale(p[0], pf->bmax) << pf->bshift;
}

static size_t
vnc_put_value(const struct vnc_pixfmt *pf, uint32_t v, uint8_t *out)
{
	size_t n = pf->bpp / 8;

	for (size_t i = 0; i < n; i++) {
		size_t sh = pf->big_endian ? (n - 1 - i) * 8 : i * 8;

		out[i] = (uint8_t)(v >> sh);
	}
	return n;
}

size_t
vnc_convert(const struct vnc_pixfmt *pf, const uint8_t *px, size_t n,
	    uint8_t *out)
{
	size_t o = 0;

	if (pf->bpp == 32 && !pf->big_endian && pf->rmax == 255 &&
	    pf->gmax == 255 && pf->bmax == 255 && pf->rshift == 16 &&
	    pf->gshift == 8 && pf->bshift == 0) {
		memcpy(out, px, n * 4); /* the native format */
		return n * 4;
	}
	for (size_t i = 0; i < n; i++)
		o += vnc_put_value(pf, vnc_value(pf, px + i * 4), out + o);
	return o;
}

/* The tile's pixels as client values, row by row, into e->val. */
static void
vnc_values(struct vnc_encoder *e, const struct vnc_pixfmt *pf,
	   const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			e->val[y * w + x] =
			    vnc_value(pf, px + (size_t)y * stride + x * 4);
}

static struct vmod_blob *
vnc_encode_raw(struct vnc_encoder *e, const struct vnc_pixfmt *pf,
	       const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h)
{
	size_t o = 0;

	for (uint32_t y = 0; y < h; y++)
		o += vnc_convert(pf, px + (size_t)y * stride, w, e->buf + o);
	return vmod_blob_new(e->buf, (uint32_t)o);
}

/* Hextile: a solid 16x16 subtile is its background colour alone, any
 * other is sent raw. */
static struct vmod_blob *
vnc_encode_hextile(struct vnc_encoder *e, const struct vnc_pixfmt *pf,
		   const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h)
{
	size_t o = 0;

	vnc_values(e, pf, px, stride, w, h);
	for (uint32_t ty = 0; ty < h; ty += 16) {
		for (uint32_t tx = 0; tx < w; tx += 16) {
			uint32_t sw = w - tx < 16 ? w - tx : 16;
			uint32_t sh = h - ty < 16 ? h - ty : 16;
			uint32_t first = e->val[ty * w + tx];
			bool solid = true;

			for (uint32_t y = 0; y < sh && solid; y++)
				for (uint32_t x = 0; x < sw; x++)
					if (e->val[(ty + y) * w + tx + x] !=
					    first) {
						solid = false;
						break;
					}
			if (solid) {
				e->buf[o++] = 2; /* BackgroundSpecified */
				o += vnc_put_value(pf, first, e->buf + o);
				continue;
			}
			e->buf[o++] = 1; /* Raw */
			for (uint32_t y = 0; y < sh; y++)
				for (uint32_t x = 0; x < sw; x++)
					o += vnc_put_value(
					    pf, e->val[(ty + y) * w + tx + x],
					    e->buf + o);
		}
	}
	return vmod_blob_new(e->buf, (uint32_t)o);
}

/* A small palette: up to @max colours of e->val.  @return its size, or
 * max + 1 when there are more. */
static uint32_t
vnc_palette(const uint32_t *val, size_t n, uint32_t *pal, uint32_t max)
{
	uint32_t np = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t j;

		if (i && val[i] == val[i - 1])
			continue;
		for (j = 0; j < np && pal[j] != val[i]; j++)
			;
		if (j < np)
			continue;
		if (np == max)
			return max + 1;
		pal[np++] = val[i];
	}
	return np;
}

static uint32_t
vnc_palette_index(const uint32_t *pal, uint32_t np, uint32_t v)
{
	for (uint32_t j = 0; j < np; j++)
		if (pal[j] == v)
			return j;
	return 0;
}

/* ZRLE's CPIXEL: 3 bytes when the colours fit the low or high three
 * bytes of a 32-bit pixel of depth <= 24. */
static size_t
vnc_cpixel_size(const struct vnc_pixfmt *pf, int *high)
{
	uint32_t all = (uint32_t)pf->rmax << pf->rshift |
		       (uint32_t)pf->gmax << pf->gshift |
		       (uint32_t)pf->bmax << pf->bshift;

	*high = 0;
	if (pf->bpp != 32 || pf->depth > 24)
		return pf->bpp / 8;
	if (!(all & 0xff000000u))
		return 3;
	if (!(all & 0xffu)) {
		*high = 1;
		return 3;
	}
	return 4;
}

static size_t
vnc_put_cpixel(const struct vnc_pixfmt *pf, size_t cs, int high, uint32_t v,
	       uint8_t *out)
{
	if (cs != 3)
		return vnc_put_value(pf, v, out);
	if (high)
		v >>= 8;
	for (size_t i = 0; i < 3; i++)
		out[i] = (uint8_t)(v >> (pf->big_endian ? (2 - i) * 8 : i * 8));
	return 3;
}

static size_t
vnc_put_run(uint8_t *out, size_t run)
{
	size_t o = 0;

	run--;
	while (run >= 255) {
		out[o++] = 255;
		run -= 255;
	}
	out[o++] = (uint8_t)run;
	return o;
}

/* One ZRLE tile (uncompressed) into e->buf.  @return its length. */
static size_t
vnc_zrle_tile(struct vnc_encoder *e, const struct vnc_pixfmt *pf, uint32_t w,
	      uint32_t h)
{
	uint32_t pal[128], np;
	size_t n = (size_t)w * h, o = 0, runs = 1, cs;
	int high;

	cs = vnc_cpixel_size(pf, &high);
	np = vnc_palette(e->val, n, pal, 127);
	for (size_t i = 1; i < n; i++)
		runs += e->val[i] != e->val[i - 1];
	if (np == 1) {
		e->buf[o++] = 1;
		return o + vnc_put_cpixel(pf, cs, high, pal[0], e->buf + o);
	}
	if (np <= 16) { /* packed palette */
		uint32_t bits = np <= 2 ? 1 : np <= 4 ? 2 : 4;

		e->buf[o++] = (uint8_t)np;
		for (uint32_t j = 0; j < np; j++)
			o += vnc_put_cpixel(pf, cs, high, pal[j], e->buf + o);
		for (uint32_t y = 0; y < h; y++) {
			uint32_t acc = 0, nb = 0;

			for (uint32_t x = 0; x < w; x++) {
				acc = acc << bits |
				      vnc_palette_index(pal, np,
							e->val[y * w + x]);
				nb += bits;
				if (nb == 8) {
					e->buf[o++] = (uint8_t)acc;
					acc = nb = 0;
				}
			}
			if (nb)
				e->buf[o++] = (uint8_t)(acc << (8 - nb));
		}
		return o;
	}
	if (np <= 127 && runs * 2 < n) { /* palette RLE */
		e->buf[o++] = (uint8_t)(128 + np);
		for (uint32_t j = 0; j < np; j++)
			o += vnc_put_cpixel(pf, cs, high, pal[j], e->buf + o);
		for (size_t i = 0; i < n;) {
			size_t r = 1;
			uint8_t idx;

			while (i + r < n && e->val[i + r] == e->val[i])
				r++;
			idx = (uint8_t)vnc_palette_index(pal, np, e->val[i]);
			if (r == 1) {
				e->buf[o++] = idx;
			} else {
				e->buf[o++] = idx | 0x80;
				o += vnc_put_run(e->buf + o, r);
			}
			i += r;
		}
		return o;
	}
	if (runs * (cs + 1) < n * cs) { /* plain RLE */
		e->buf[o++] = 128;
		for (size_t i = 0; i < n;) {
			size_t r = 1;

			while (i + r < n && e->val[i + r] == e->val[i])
				r++;
			o +=
			    vnc_put_cpixel(pf, cs, high, e->val[i], e->buf + o);
			o += vnc_put_run(e->buf + o, r);
			i += r;
		}
		return o;
	}
	e->buf[o++] = 0; /* raw */
	for (size_t i = 0; i < n; i++)
		o += vnc_put_cpixel(pf, cs, high, e->val[i], e->buf + o);
	return o;
}

/* Compress e->buf[0..len) with @zs (reset first), ending in a sync flush.
 * @return the compressed length in e->out, or -1. */
static long
vnc_deflate(z_stream *zs, const uint8_t *in, size_t len, uint8_t *out,
	    size_t size)
{
	if (deflateReset(zs) != Z_OK)
		return -1;
	zs->next_in = (Bytef *)in;
	zs->avail_in = (uInt)len;
	zs->next_out = out;
	zs->avail_out = (uInt)size;
	if (deflate(zs, Z_SYNC_FLUSH) != Z_OK || zs->avail_in ||
	    !zs->avail_out) /* out of room: flush incomplete */
		return -1;
	return (long)(size - zs->avail_out);
}

static struct vmod_blob *
vnc_encode_zrle(struct vnc_encoder *e, const struct vnc_pixfmt *pf,
		const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h)
{
	size_t len;
	long z;

	vnc_values(e, pf, px, stride, w, h);
	len = vnc_zrle_tile(e, pf, w, h);
	z = vnc_deflate(&e->zrle, e->buf, len, e->out, sizeof(e->out));
	return z < 0 ? NULL : vmod_blob_new(e->out, (uint32_t)z);
}

/* Tight's TPIXEL: R, G, B bytes for 32-bit depth-24 formats. */
static bool
vnc_tpixel3(const struct vnc_pixfmt *pf)
{
	return pf->bpp == 32 && pf->depth == 24 && pf->rmax == 255 &&
	       pf->gmax == 255 && pf->bmax == 255;
}

static size_t
vnc_put_tpixel(const struct vnc_pixfmt *pf, uint32_t v, uint8_t *out)
{
	if (!vnc_tpixel3(pf))
		return vnc_put_value(pf, v, out);
	out[0] = (uint8_t)(v >> pf->rshift);
	out[1] = (uint8_t)(v >> pf->gshift);
	out[2] = (uint8_t)(v >> pf->bshift);
	return 3;
}

static size_t
vnc_put_compact(uint8_t *out, size_t len)
{
	size_t o = 0;

	out[o] = len & 0x7f;
	if (len > 0x7f) {
		out[o++] |= 0x80;
		out[o] = (len >> 7) & 0x7f;
		if (len > 0x3fff) {
			out[o++] |= 0x80;
			out[o] = (len >> 14) & 0xff;
		}
	}
	return o + 1;
}

static struct vmod_blob *
vnc_encode_tight_jpeg(struct vnc_encoder *e, int quality, const uint8_t *px,
		      uint32_t stride, uint32_t w, uint32_t h)
{
	unsigned char *jpeg = NULL;
	unsigned long jlen = 0;
	struct vmod_blob *b = NULL;
	size_t o;

	if (tjCompress2(e->tj, px, (int)w, (int)stride, (int)h, TJPF_BGRX,
			&jpeg, &jlen, quality >= 90 ? TJSAMP_444 : TJSAMP_420,
			quality, TJFLAG_FASTDCT) < 0)
		return NULL;
	b = malloc(sizeof(*b) + 4 + jlen);
	if (b) {
		atomic_init(&b->refs, 1);
		b->data[0] = 0x90; /* JPEG */
		o = 1 + vnc_put_compact(b->data + 1, jlen);
		memcpy(b->data + o, jpeg, jlen);
		b->len = (uint32_t)(o + jlen);
	}
	tjFree(jpeg);
	return b;
}

static struct vmod_blob *
vnc_encode_tight(struct vnc_encoder *e, const struct vnc_config *cfg,
		 const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h)
{
	const struct vnc_pixfmt *pf = &cfg->pf;
	uint32_t pal[2], np;
	size_t n = (size_t)w * h, len = 0, o = 0;
	long z;

	vnc_values(e, pf, px, stride, w, h);
	np = vnc_palette(e->val, n, pal, 1);
	if (np == 1) {
		e->out[o++] = 0x80; /* fill */
		o += vnc_put_tpixel(pf, pal[0], e->out + o);
		return vmod_blob_new(e->out, (uint32_t)o);
	}
	if (cfg->jpeg && pf->bpp >= 16)
		return vnc_encode_tight_jpeg(e, cfg->jpeg, px, stride, w, h);
	for (size_t i = 0; i < n; i++)
		len += vnc_put_tpixel(pf, e->val[i], e->buf + len);
	e->out[o++] = 0x01; /* reset stream 0, basic, stream 0, copy */
	if (len < 12) {
		memcpy(e->out + o, e->buf, len);
		return vmod_blob_new(e->out, (uint32_t)(o + len));
	}
	z = vnc_deflate(&e->tight, e->buf, len, e->out + 4, sizeof(e->out) - 4);
	if (z < 0)
		return NULL;
	o += vnc_put_compact(e->out + o, (size_t)z);
	memmove(e->out + o, e->out + 4, (size_t)z);
	return vmod_blob_new(e->out, (uint32_t)(o + (size_t)z));
}

struct vmod_blob *
vnc_encode(struct vnc_encoder *e, const struct vnc_config *cfg,
	   const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h)
{
	if (w > VNC_TILE || h > VNC_TILE || !w || !h)
		return NULL;
	switch (cfg->enc) {
	case VNC_ENC_HEXTILE:
		return vnc_encode_hextile(e, &cfg->pf, px, stride, w, h);
	case VNC_ENC_ZRLE:
		return vnc_encode_zrle(e, &cfg->pf, px, stride, w, h);
	case VNC_ENC_TIGHT:
		return vnc_encode_tight(e, cfg, px, stride, w, h);
	default:
		return vnc_encode_raw(e, &cfg->pf, px, stride, w, h);
	}
}
