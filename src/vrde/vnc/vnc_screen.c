/*
 * vnc_screen.c - the tile caches shared between viewers, over each
 * screen's shadow copy (vmod_fb.c).
 *
 * Lock order: a cache's lock, then the screen's lock.  The host's display
 * thread only takes the screen lock (to copy pixels and stamp tiles); it
 * never touches a cache, so a viewer encoding under a cache lock never
 * delays the VM's display refresh.  A cache notices a geometry change by
 * its geom_gen and drops its entries itself.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnc.h"

static void
vnc_cache_clear(struct vnc_cache *k)
{
	for (uint32_t t = 0; t < k->ntiles; t++)
		vmod_blob_unref(k->blob ? k->blob[t] : NULL);
	free(k->blob);
	free(k->gen);
	k->blob = NULL;
	k->gen = NULL;
	k->ntiles = 0;
}

int
vnc_screen_init(struct vnc_server *srv)
{
	srv->screens = vmod_screens_new(&srv->core.host, sizeof(*srv->screens),
					&srv->nscreens);
	if (!srv->screens)
		return -ENOMEM;
	for (uint32_t i = 0; i < srv->nscreens; i++) {
		struct vnc_screen *s = &srv->screens[i];

		for (int k = 0; k < VNC_MAX_CONFIGS; k++)
			pthread_mutex_init(&s->caches[k].lock, NULL);
		/* RFB sizes are 16 bits */
		vmod_fb_init(&s->fb, &srv->core.host, i, 65535);
	}
	return 0;
}

void
vnc_screen_fini(struct vnc_server *srv)
{
	for (uint32_t i = 0; i < srv->nscreens; i++) {
		struct vnc_screen *s = &srv->screens[i];

		for (int k = 0; k < VNC_MAX_CONFIGS; k++) {
			vnc_cache_clear(&s->caches[k]);
			pthread_mutex_destroy(&s->caches[k].lock);
		}
		vmod_fb_fini(&s->fb);
	}
	free(srv->screens);
	srv->screens = NULL;
	srv->nscreens = 0;
}

void
vnc_screen_detach(struct vnc_client *c)
{
	struct vnc_screen *s = &c->srv->screens[c->vc.screen];

	if (c->cache < 0)
		return;
	pthread_mutex_lock(&s->fb.lock);
	s->caches[c->cache].users--;
	pthread_mutex_unlock(&s->fb.lock);
	c->cache = -1;
}

void
vnc_screen_attach(struct vnc_client *c, const struct vnc_config *cfg)
{
	struct vnc_screen *s = &c->srv->screens[c->vc.screen];
	int pick = -1;

	vnc_screen_detach(c);
	c->cfg = *cfg;
	pthread_mutex_lock(&s->fb.lock);
	for (int k = 0; k < VNC_MAX_CONFIGS; k++) {
		struct vnc_cache *kc = &s->caches[k];

		if (kc->used && vnc_config_equal(&kc->cfg, cfg)) {
			pick = k;
			break;
		}
		/* an unused cache, else one nobody uses any more */
		if (pick < 0 && (!kc->used || kc->users == 0))
			pick = k;
	}
	if (pick >= 0) {
		struct vnc_cache *kc = &s->caches[pick];

		if (!kc->used || !vnc_config_equal(&kc->cfg, cfg)) {
			/* nobody holds it (users == 0): its bytes go; its
			 * lock is free or held by a finishing collect that
			 * checks geom_gen, so force a refill */
			kc->used = true;
			kc->cfg = *cfg;
			kc->geom_gen = 0;
		}
		kc->users++;
	}
	pthread_mutex_unlock(&s->fb.lock);
	c->cache = pick;
}

void
vnc_tiles_free(struct vnc_tile_out *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		vmod_blob_unref(t[i].blob);
	free(t);
}

bool
vnc_screen_dirty(struct vnc_client *c)
{
	struct vnc_screen *s = &c->srv->screens[c->vc.screen];
	bool dirty;

	pthread_mutex_lock(&s->fb.lock);
	dirty = s->fb.gen > c->gen_sent || s->fb.geom_gen != c->geom_seen;
	pthread_mutex_unlock(&s->fb.lock);
	return dirty;
}

struct vnc_pending {
	uint32_t tile;
	uint32_t index;
	uint64_t gen;
	uint8_t px[VNC_TILE * VNC_TILE * 4];
};

/* Make cache @k fit the screen's geometry.  Both locks held. */
static int
vnc_cache_fit(struct vnc_screen *s, struct vnc_cache *k)
{
	uint32_t n = s->fb.tiles_x * s->fb.tiles_y;

	if (k->geom_gen == s->fb.geom_gen && k->ntiles == n)
		return 0;
	vnc_cache_clear(k);
	k->geom_gen = s->fb.geom_gen;
	if (!n)
		return 0;
	k->gen = calloc(n, sizeof(*k->gen));
	k->blob = calloc(n, sizeof(*k->blob));
	if (!k->gen || !k->blob) {
		vnc_cache_clear(k);
		return -ENOMEM;
	}
	k->ntiles = n;
	return 0;
}

static void
vnc_tile_rect(const struct vnc_screen *s, uint32_t t, struct vnc_tile_out *o)
{
	uint32_t x, y, w, h;

	/* RFB sizes are 16 bits (vmod_fb_init's max_dim) */
	vmod_fb_tile(&s->fb, t, &x, &y, &w, &h);
	o->x = (uint16_t)x;
	o->y = (uint16_t)y;
	o->w = (uint16_t)w;
	o->h = (uint16_t)h;
	o->blob = NULL;
}

/* Pick the tiles to send and copy the pixels of those to encode.  Screen
 * lock held; @k may be NULL (private encoding). */
static uint32_t
vnc_collect_locked(struct vnc_client *c, struct vnc_screen *s,
		   struct vnc_cache *k, bool all, struct vnc_tile_out *o,
		   struct vnc_pending *pend, uint32_t *np)
{
	size_t sstride = (size_t)s->fb.pad_w * 4;
	uint32_t nt = s->fb.tiles_x * s->fb.tiles_y, no = 0;

	*np = 0;
	for (uint32_t t = 0; t < nt; t++) {
		if (!all && s->fb.tile_gen[t] <= c->gen_sent)
			continue;
		vnc_tile_rect(s, t, &o[no]);
		if (k && k->blob[t] && k->gen[t] == s->fb.tile_gen[t]) {
			o[no].blob = vmod_blob_ref(k->blob[t]);
			s->fb.shares++;
		} else {
			struct vnc_pending *p = &pend[(*np)++];

			p->tile = t;
			p->index = no;
			p->gen = s->fb.tile_gen[t];
			for (uint32_t y = 0; y < o[no].h; y++)
				memcpy(p->px + (size_t)y * VNC_TILE * 4,
				       s->fb.shadow + (o[no].y + y) * sstride +
					   (size_t)o[no].x * 4,
				       (size_t)o[no].w * 4);
		}
		no++;
	}
	c->gen_sent = s->fb.gen;
	return no;
}

int
vnc_screen_collect(struct vnc_client *c, bool all, struct vnc_tile_out **out,
		   uint32_t *n)
{
	struct vnc_screen *s = &c->srv->screens[c->vc.screen];
	struct vnc_cache *k = c->cache >= 0 ? &s->caches[c->cache] : NULL;
	struct vnc_tile_out *o = NULL;
	struct vnc_pending *pend = NULL;
	uint32_t nt, no = 0, np = 0, i;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!c->enc && !(c->enc = vnc_encoder_new()))
		return -ENOMEM;
	if (k)
		pthread_mutex_lock(&k->lock);
	pthread_mutex_lock(&s->fb.lock);
	if (s->fb.geom_gen != c->geom_seen) {
		rc = -ESTALE;
		goto unlock;
	}
	nt = s->fb.tiles_x * s->fb.tiles_y;
	if (k && vnc_cache_fit(s, k) < 0)
		k = NULL; /* out of memory: encode privately */
	if (nt) {
		o = calloc(nt, sizeof(*o));
		pend = malloc((size_t)nt * sizeof(*pend));
	}
	if (nt && (!o || !pend)) {
		rc = -ENOMEM;
		goto unlock;
	}
	if (nt)
		no = vnc_collect_locked(c, s, k, all, o, pend, &np);
	pthread_mutex_unlock(&s->fb.lock);
	for (i = 0; i < np && rc == 0; i++) {
		struct vnc_tile_out *t = &o[pend[i].index];

		t->blob = vnc_encode(c->enc, &c->cfg, pend[i].px, VNC_TILE * 4,
				     t->w, t->h);
		if (!t->blob)
			rc = -EIO;
	}
	pthread_mutex_lock(&s->fb.lock);
	if (rc == 0 && k && s->fb.geom_gen == k->geom_gen) {
		for (i = 0; i < np; i++) {
			uint32_t t = pend[i].tile;

			if (k->gen[t] >= pend[i].gen)
				continue;
			vmod_blob_unref(k->blob[t]);
			k->blob[t] = vmod_blob_ref(o[pend[i].index].blob);
			k->gen[t] = pend[i].gen;
		}
	}
	s->fb.encodes += np;
unlock:
	pthread_mutex_unlock(&s->fb.lock);
	if (k)
		pthread_mutex_unlock(&k->lock);
	free(pend);
	if (rc < 0) {
		vnc_tiles_free(o, no);
		return rc;
	}
	*out = o;
	*n = no;
	return 0;
}
