/*
 * rdp_screen.c - the shared tile encoder over each screen's shadow copy
 * (vmod_fb.c: 64x64 tiles, each stamped with the generation of its last
 * change).
 *
 * Encoded tiles are cached per codec configuration with
 * the generation they show: the first client that needs a tile in a
 * configuration encodes it (outside the screen lock, from a private copy),
 * every later client with that configuration takes a reference to the same
 * bytes.  A tile being encoded is marked busy, so clients woken by the same
 * update wait for those bytes instead of encoding the tile again.  Only pixel
 * copies happen under the lock the host's display thread also takes, so
 * encoding never delays the VM's display refresh.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <freerdp/codec/color.h>
#include <freerdp/codec/planar.h>
#include <freerdp/codec/rfx.h>

#include "rdp.h"
#include "rdp_rle.h"

struct rdp_encoder {
	BITMAP_PLANAR_CONTEXT *planar_na;
	BITMAP_PLANAR_CONTEXT *planar_alpha;
	RFX_CONTEXT *rfx;
	wStream *rfx_out;
	uint8_t buf[RDP_TILE * RDP_TILE * 4 + 1024];
};

static void
rdp_screen_free_cache(struct rdp_screen *s)
{
	for (int c = 0; c < RDP_CODEC_COUNT; c++) {
		if (!s->cache[c])
			continue;
		for (uint32_t t = 0; t < s->cache_tiles; t++)
			vmod_blob_unref(s->cache[c][t].blob);
		free(s->cache[c]);
		s->cache[c] = NULL;
	}
	s->cache_tiles = 0;
}

/* The tile caches follow a new geometry (vmod_fb hook, lock held).
 * @return 0 or -ENOMEM. */
static int
rdp_screen_regeom(struct vmod_fb *fb, void *arg)
{
	struct rdp_screen *s = (struct rdp_screen *)fb;
	uint32_t n = fb->tiles_x * fb->tiles_y;

	(void)arg;
	rdp_screen_free_cache(s);
	/* clients waiting for a tile of the old geometry give up now */
	pthread_cond_broadcast(&s->encoded);
	if (!n)
		return 0;
	for (int c = 0; c < RDP_CODEC_COUNT; c++) {
		s->cache[c] = calloc(n, sizeof(struct rdp_tile_entry));
		if (!s->cache[c]) {
			rdp_screen_free_cache(s);
			return -ENOMEM;
		}
		s->cache_tiles = n;
	}
	return 0;
}

/* New pixels: the video detector looks at them (vmod_fb hook). */
static void
rdp_screen_damage(struct vmod_fb *fb, const struct vrde_rect *r, void *arg)
{
	rdp_video_damage(arg, (struct rdp_screen *)fb, r);
}

int
rdp_screen_init(struct rdp_server *srv)
{
	srv->screens = vmod_screens_new(&srv->core.host, sizeof(*srv->screens),
					&srv->nscreens);
	if (!srv->screens)
		return -ENOMEM;
	for (uint32_t i = 0; i < srv->nscreens; i++) {
		struct rdp_screen *s = &srv->screens[i];

		pthread_cond_init(&s->encoded, NULL);
		s->fb.regeom = rdp_screen_regeom;
		s->fb.damage = rdp_screen_damage;
		s->fb.arg = srv;
		vmod_fb_init(&s->fb, &srv->core.host, i, UINT32_MAX);
		rdp_video_screen_init(srv, s);
	}
	return 0;
}

void
rdp_screen_fini(struct rdp_server *srv)
{
	for (uint32_t i = 0; i < srv->nscreens; i++) {
		struct rdp_screen *s = &srv->screens[i];

		rdp_video_screen_free(s);
		rdp_screen_free_cache(s);
		vmod_fb_fini(&s->fb);
		pthread_cond_destroy(&s->encoded);
	}
	free(srv->screens);
	srv->screens = NULL;
	srv->nscreens = 0;
}

void
rdp_tiles_free(struct rdp_tile_out *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		vmod_blob_unref(t[i].blob);
	free(t);
}

void
rdp_encoder_free(struct rdp_encoder *enc)
{
	if (!enc)
		return;
	freerdp_bitmap_planar_context_free(enc->planar_na);
	freerdp_bitmap_planar_context_free(enc->planar_alpha);
	rfx_context_free(enc->rfx);
	if (enc->rfx_out)
		Stream_Free(enc->rfx_out, TRUE);
	free(enc);
}

static struct rdp_encoder *
rdp_encoder_get(struct rdp_client *c)
{
	struct rdp_encoder *e = c->enc;

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->planar_na = freerdp_bitmap_planar_context_new(
	    PLANAR_FORMAT_HEADER_NA | PLANAR_FORMAT_HEADER_RLE, RDP_TILE,
	    RDP_TILE);
	e->planar_alpha = freerdp_bitmap_planar_context_new(
	    PLANAR_FORMAT_HEADER_RLE, RDP_TILE, RDP_TILE);
	e->rfx = rfx_context_new(TRUE);
	e->rfx_out = Stream_New(NULL, RDP_TILE * RDP_TILE * 4 + 4096);
	if (e->rfx)
		rfx_context_set_pixel_format(e->rfx, PIXEL_FORMAT_BGRX32);
	if (!e->planar_na || !e->planar_alpha || !e->rfx || !e->rfx_out) {
		rdp_encoder_free(e);
		return NULL;
	}
	c->enc = e;
	return e;
}

/* One self-contained RemoteFX message per tile: resetting the context
 * makes every message carry its headers, so the bytes can be shared. */
static struct vmod_blob *
rdp_encode_rfx(struct rdp_encoder *e, const uint8_t *px, uint32_t w, uint32_t h)
{
	RFX_RECT rect = {
	    .x = 0, .y = 0, .width = (UINT16)w, .height = (UINT16)h};
	struct vmod_blob *b = NULL;
	RFX_MESSAGE *msg;

	if (!rfx_context_reset(e->rfx, w, h))
		return NULL;
	msg = rfx_encode_message(e->rfx, &rect, 1, px, w, h, RDP_TILE * 4);
	if (!msg)
		return NULL;
	Stream_SetPosition(e->rfx_out, 0);
	if (rfx_write_message(e->rfx, e->rfx_out, msg))
		b = vmod_blob_new(Stream_Buffer(e->rfx_out),
				  (uint32_t)Stream_GetPosition(e->rfx_out));
	rfx_message_free(e->rfx, msg);
	return b;
}

/* Encode the tile pixels @px (stride RDP_TILE*4) of size @w x @h. */
static struct vmod_blob *
rdp_encode_tile(struct rdp_encoder *e, enum rdp_codec codec, const uint8_t *px,
		uint32_t w, uint32_t h)
{
	const uint32_t stride = RDP_TILE * 4;
	UINT32 size = sizeof(e->buf);
	BYTE *out;
	UINT32 bpp;
	long len;

	switch (codec) {
	case RDP_CODEC_PLANAR_NA:
	case RDP_CODEC_GFX_PLANAR:
	case RDP_CODEC_PLANAR_ALPHA:
		out = freerdp_bitmap_compress_planar(
		    codec == RDP_CODEC_PLANAR_ALPHA ? e->planar_alpha
						    : e->planar_na,
		    px, PIXEL_FORMAT_BGRX32, w, h, stride, e->buf, &size);
		if (!out)
			return NULL;
		return vmod_blob_new(out, size);
	case RDP_CODEC_INTERLEAVED_15:
	case RDP_CODEC_INTERLEAVED_16:
	case RDP_CODEC_INTERLEAVED_24:
		bpp = codec == RDP_CODEC_INTERLEAVED_24	  ? 24
		      : codec == RDP_CODEC_INTERLEAVED_16 ? 16
							  : 15;
		len = rdp_rle_encode(px, stride, w, h, bpp, e->buf,
				     sizeof(e->buf));
		if (len < 0)
			return NULL;
		return vmod_blob_new(e->buf, (uint32_t)len);
	case RDP_CODEC_GFX_RFX:
		return rdp_encode_rfx(e, px, w, h);
	default:
		return NULL;
	}
}

/* Tile geometry for @codec: legacy bitmaps are padded to multiples of 4,
 * graphics-pipeline tiles are exact. */
static void
rdp_tile_rect(const struct rdp_screen *s, uint32_t t, enum rdp_codec codec,
	      struct rdp_tile_out *o)
{
	vmod_fb_tile(&s->fb, t, &o->x, &o->y, &o->cw, &o->ch);
	o->w = o->cw;
	o->h = o->ch;
	if (codec != RDP_CODEC_GFX_PLANAR && codec != RDP_CODEC_GFX_RFX) {
		o->w = (o->cw + 3) & ~3u;
		o->h = (o->ch + 3) & ~3u;
	}
}

/* Copy tile @o out of the shadow; GFX planar needs it upside down because
 * the planar encoder writes bottom-up and the pipeline decodes top-down. */
static void
rdp_tile_copy(const struct rdp_screen *s, const struct rdp_tile_out *o,
	      enum rdp_codec codec, uint8_t *dst)
{
	size_t sstride = (size_t)s->fb.pad_w * 4;

	for (uint32_t y = 0; y < o->h; y++) {
		uint32_t sy = codec == RDP_CODEC_GFX_PLANAR ? o->h - 1 - y : y;
		memcpy(dst + (size_t)y * RDP_TILE * 4,
		       s->fb.shadow + (o->y + sy) * sstride + o->x * 4,
		       (size_t)o->w * 4);
	}
}

struct rdp_pending {
	uint32_t tile;
	uint32_t index; /* into the output array */
	uint64_t gen;
	uint8_t px[RDP_TILE * RDP_TILE * 4];
};

/* Give up the busy marks of @p (after a failed encode or a geometry
 * change) so waiting clients encode the tiles themselves.  Lock held. */
static void
rdp_pending_release(struct rdp_screen *s, enum rdp_codec codec,
		    const struct rdp_pending *p, uint32_t np)
{
	for (uint32_t i = 0; i < np; i++) {
		struct rdp_tile_entry *te = &s->cache[codec][p[i].tile];
		if (te->busy_gen == p[i].gen)
			te->busy_gen = 0;
	}
	pthread_cond_broadcast(&s->encoded);
}

static int
rdp_encode_pending(struct rdp_client *c, struct rdp_screen *s,
		   enum rdp_codec codec, struct rdp_pending *p, uint32_t np,
		   struct rdp_tile_out *out, uint64_t geom)
{
	struct rdp_encoder *e = rdp_encoder_get(c);
	uint32_t i;
	int rc = 0;

	for (i = 0; e && i < np; i++) {
		struct rdp_tile_out *o = &out[p[i].index];
		o->blob = rdp_encode_tile(e, codec, p[i].px, o->w, o->h);
		if (!o->blob) {
			rc = -EIO;
			break;
		}
	}
	if (!e)
		rc = -ENOMEM;
	pthread_mutex_lock(&s->fb.lock);
	if (s->fb.geom_gen == geom) {
		for (i = 0; rc == 0 && i < np; i++) {
			struct rdp_tile_entry *te = &s->cache[codec][p[i].tile];
			if (te->gen >= p[i].gen)
				continue;
			vmod_blob_unref(te->blob);
			te->blob = vmod_blob_ref(out[p[i].index].blob);
			te->gen = p[i].gen;
		}
		if (rc == 0)
			s->fb.encodes += np;
		rdp_pending_release(s, codec, p, np);
	}
	pthread_mutex_unlock(&s->fb.lock);
	return rc;
}

/* Take the bytes another client is encoding for the tiles in @w, waiting
 * for them (bounded: a stuck encoder must not stall this client).  A tile
 * whose encoder gave up, or that changed again meanwhile, is copied now
 * and encoded by this client.  @return 0, -ESTALE after a resize. */
static int
rdp_wait_shared(struct rdp_client *c, struct rdp_screen *s,
		enum rdp_codec codec, struct rdp_pending *w, uint32_t nw,
		struct rdp_tile_out *out, uint64_t geom)
{
	struct rdp_pending *mine = w; /* reused in place: index <= i */
	uint32_t nmine = 0;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&s->fb.lock);
	for (uint32_t i = 0; i < nw && s->fb.geom_gen == geom; i++) {
		struct rdp_tile_entry *te = &s->cache[codec][w[i].tile];
		while (te->gen < w[i].gen && te->busy_gen == w[i].gen &&
		       s->fb.geom_gen == geom &&
		       pthread_cond_timedwait(&s->encoded, &s->fb.lock,
					      &until) == 0)
			te = &s->cache[codec][w[i].tile];
		if (s->fb.geom_gen != geom)
			break;
		if (te->blob && te->gen >= w[i].gen) {
			out[w[i].index].blob = vmod_blob_ref(te->blob);
			s->fb.shares++;
			continue;
		}
		/* nobody delivered: encode the tile's current state here */
		if (nmine != i)
			mine[nmine] = w[i];
		mine[nmine].gen = s->fb.tile_gen[w[i].tile];
		rdp_tile_copy(s, &out[w[i].index], codec, mine[nmine].px);
		if (!te->busy_gen)
			te->busy_gen = mine[nmine].gen;
		nmine++;
	}
	if (s->fb.geom_gen != geom) {
		pthread_mutex_unlock(&s->fb.lock);
		return -ESTALE;
	}
	pthread_mutex_unlock(&s->fb.lock);
	return nmine ? rdp_encode_pending(c, s, codec, mine, nmine, out, geom)
		     : 0;
}

int
rdp_screen_collect(struct rdp_client *c, enum rdp_codec codec, bool all,
		   struct rdp_tile_out **out, uint32_t *n)
{
	struct rdp_screen *s = &c->srv->screens[c->vc.screen];
	struct rdp_pending *pend = NULL, *wait;
	struct rdp_tile_out *o = NULL;
	uint32_t nt, no = 0, np = 0, nw = 0;
	uint64_t geom;
	int rc = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->fb.lock);
	if (s->fb.geom_gen != c->geom_seen) {
		pthread_mutex_unlock(&s->fb.lock);
		return -ESTALE;
	}
	geom = s->fb.geom_gen;
	nt = s->fb.tiles_x * s->fb.tiles_y;
	if (!s->fb.enabled || !s->fb.filled ||
	    (!all && s->fb.gen <= c->gen_sent)) {
		pthread_mutex_unlock(&s->fb.lock);
		return 0;
	}
	o = calloc(nt, sizeof(*o));
	/* tiles to encode fill @pend from the front, tiles another client is
	 * encoding fill it from the back (@wait) */
	pend = malloc((size_t)nt * sizeof(*pend));
	if (!o || !pend) {
		pthread_mutex_unlock(&s->fb.lock);
		free(o);
		free(pend);
		return -ENOMEM;
	}
	for (uint32_t t = 0; t < nt; t++) {
		struct rdp_tile_entry *te = &s->cache[codec][t];
		if (!all && rdp_video_tile_gen(c, s, t) <= c->gen_sent)
			continue;
		rdp_tile_rect(s, t, codec, &o[no]);
		if (te->blob && te->gen == s->fb.tile_gen[t]) {
			o[no].blob = vmod_blob_ref(te->blob);
			s->fb.shares++;
		} else if (te->busy_gen == s->fb.tile_gen[t]) {
			wait = &pend[nt - 1 - nw++];
			wait->tile = t;
			wait->index = no;
			wait->gen = s->fb.tile_gen[t];
		} else {
			pend[np].tile = t;
			pend[np].index = no;
			pend[np].gen = s->fb.tile_gen[t];
			te->busy_gen = pend[np].gen;
			rdp_tile_copy(s, &o[no], codec, pend[np].px);
			np++;
		}
		no++;
	}
	c->gen_sent = s->fb.gen;
	pthread_mutex_unlock(&s->fb.lock);
	if (np)
		rc = rdp_encode_pending(c, s, codec, pend, np, o, geom);
	if (nw && rc == 0)
		rc = rdp_wait_shared(c, s, codec, &pend[nt - nw], nw, o, geom);
	free(pend);
	if (rc < 0) {
		rdp_tiles_free(o, no);
		return rc;
	}
	*out = o;
	*n = no;
	return 0;
}

int
rdp_screen_take(struct rdp_client *c, struct rdp_tile_out **out, uint32_t *n)
{
	bool all = c->need_full;
	int rc = rdp_screen_collect(c, c->codec, all, out, n);

	if (rc == -ESTALE)
		return 0; /* *n is 0: the resize sends everything anew */
	if (rc == 0 && all)
		c->need_full = false;
	return rc;
}
