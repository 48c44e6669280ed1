/*
 * vmod_fb.c - one shadow copy per VM screen, filled only in update() (or
 * under the host's screen lock), cut into tiles stamped with generations.
 *
 * Only pixel copies happen under the lock the host's display thread also
 * takes (through update()); encoding is the modules' and happens from
 * private copies, so it never delays the VM's display refresh.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmod.h"

void *
vmod_screens_new(const struct vmod_host *h, size_t size, uint32_t *n)
{
	char v[32];
	long count;
	void *a;

	vmod_prop(h, VRDE_HOST_PROP_SCREEN_COUNT, v, sizeof(v));
	count = v[0] ? strtol(v, NULL, 10) : 1;
	if (count < 1 || count > VMOD_MAX_SETS)
		count = 1;
	a = calloc((size_t)count, size);
	*n = a ? (uint32_t)count : 0;
	return a;
}

static void
vmod_fb_drop(struct vmod_fb *fb)
{
	free(fb->shadow);
	free(fb->tile_gen);
	fb->shadow = NULL;
	fb->tile_gen = NULL;
}

static int
vmod_fb_alloc(struct vmod_fb *fb)
{
	uint32_t n = fb->tiles_x * fb->tiles_y;

	fb->shadow = calloc((size_t)fb->pad_w * fb->pad_h, 4);
	fb->tile_gen = calloc(n, sizeof(uint64_t));
	if (!fb->shadow || !fb->tile_gen)
		return -ENOMEM;
	fb->gen++;
	for (uint32_t t = 0; t < n; t++)
		fb->tile_gen[t] = fb->gen;
	return 0;
}

/* Adopt @in's geometry.  Lock held.  @return 0 or -ENOMEM. */
static int
vmod_fb_set_geometry(struct vmod_fb *fb, const struct vrde_screen_info *in)
{
	uint32_t w = in->enabled ? in->width : 0;
	uint32_t h = in->enabled ? in->height : 0;
	int rc = 0;

	if (w > fb->max_dim || h > fb->max_dim)
		w = h = 0;
	vmod_fb_drop(fb);
	fb->width = w;
	fb->height = h;
	fb->enabled = w && h;
	fb->tiles_x = (w + VMOD_TILE - 1) / VMOD_TILE;
	fb->tiles_y = (h + VMOD_TILE - 1) / VMOD_TILE;
	fb->pad_w = fb->tiles_x * VMOD_TILE;
	fb->pad_h = fb->tiles_y * VMOD_TILE;
	fb->geom_gen++;
	fb->need_full = true;
	fb->filled = false;
	if (fb->enabled)
		rc = vmod_fb_alloc(fb);
	if (rc < 0)
		fb->width = fb->height = fb->tiles_x = fb->tiles_y = 0;
	if (fb->regeom && fb->regeom(fb, fb->arg) < 0 && rc == 0) {
		rc = -ENOMEM;
		fb->width = fb->height = fb->tiles_x = fb->tiles_y = 0;
		fb->regeom(fb, fb->arg);
	}
	if (rc < 0) {
		vmod_fb_drop(fb);
		fb->enabled = false;
	}
	return rc;
}

static bool
vmod_fb_differs(const struct vmod_fb *fb, const struct vrde_screen_info *in)
{
	bool en = in->enabled && in->width && in->height;

	return en != fb->enabled ||
	       (en && (in->width != fb->width || in->height != fb->height));
}

void
vmod_fb_init(struct vmod_fb *fb, const struct vmod_host *h, uint32_t index,
	     uint32_t max_dim)
{
	pthread_mutex_init(&fb->lock, NULL);
	fb->host = h;
	fb->index = index;
	fb->max_dim = max_dim;
	vmod_fb_resize(fb);
}

void
vmod_fb_fini(struct vmod_fb *fb)
{
	/* the figure that shows whether encoding is shared */
	vmod_log(fb->host, VRDE_LOG_INFO,
		 "screen %u: %llu tile encodes, %llu shared", fb->index,
		 (unsigned long long)fb->encodes,
		 (unsigned long long)fb->shares);
	vmod_fb_drop(fb);
	pthread_mutex_destroy(&fb->lock);
}

void
vmod_fb_resize(struct vmod_fb *fb)
{
	struct vrde_screen_info in = {0};

	if (!fb)
		return;
	if (fb->host->cb->screen_query(fb->host->ctx, fb->index, &in) < 0)
		in.enabled = 0;
	pthread_mutex_lock(&fb->lock);
	if ((vmod_fb_differs(fb, &in) || !fb->shadow) &&
	    vmod_fb_set_geometry(fb, &in) < 0)
		vmod_log(fb->host, VRDE_LOG_ERR,
			 "screen %u: out of memory for %ux%u", fb->index + 1,
			 in.width, in.height);
	fb->need_full = true;
	pthread_mutex_unlock(&fb->lock);
}

/* Copy the rows of tile (@tx, @ty) that lie in [@x0, @x1) x [@y0, @y1) and
 * differ from the shadow.  @return whether any did. */
static bool
vmod_fb_copy_tile(struct vmod_fb *fb, const struct vrde_screen_info *in,
		  uint32_t tx, uint32_t ty, uint32_t x0, uint32_t y0,
		  uint32_t x1, uint32_t y1)
{
	size_t dst_stride = (size_t)fb->pad_w * 4;
	uint32_t xa = tx * VMOD_TILE > x0 ? tx * VMOD_TILE : x0;
	uint32_t xb = (tx + 1) * VMOD_TILE < x1 ? (tx + 1) * VMOD_TILE : x1;
	uint32_t ya = ty * VMOD_TILE > y0 ? ty * VMOD_TILE : y0;
	uint32_t yb = (ty + 1) * VMOD_TILE < y1 ? (ty + 1) * VMOD_TILE : y1;
	size_t len = (size_t)(xb - xa) * 4;
	bool changed = false;

	for (uint32_t y = ya; y < yb; y++) {
		uint8_t *d = fb->shadow + y * dst_stride + (size_t)xa * 4;
		const uint8_t *src =
		    in->pixels + (size_t)y * in->stride + (size_t)xa * 4;

		if (memcmp(d, src, len)) {
			memcpy(d, src, len);
			changed = true;
		}
	}
	return changed;
}

/* Copy the rectangle (clipped) from the host's pixels; stamp the tiles
 * whose pixels changed.  Damage is often wider than the change (a dirty
 * page is a whole row, a guest redraws a line of text for one character):
 * comparing costs about what copying does, and each tile found unchanged
 * is one encode fewer for every client. */
static void
vmod_fb_copy(struct vmod_fb *fb, const struct vrde_screen_info *in, uint32_t x0,
	     uint32_t y0, uint32_t x1, uint32_t y1)
{
	uint64_t gen = fb->gen + 1;
	bool any = false;

	if (x1 > fb->width)
		x1 = fb->width;
	if (y1 > fb->height)
		y1 = fb->height;
	if (x0 >= x1 || y0 >= y1 || !in->pixels)
		return;
	for (uint32_t ty = y0 / VMOD_TILE; ty <= (y1 - 1) / VMOD_TILE; ty++)
		for (uint32_t tx = x0 / VMOD_TILE; tx <= (x1 - 1) / VMOD_TILE;
		     tx++) {
			if (!vmod_fb_copy_tile(fb, in, tx, ty, x0, y0, x1, y1))
				continue;
			fb->tile_gen[ty * fb->tiles_x + tx] = gen;
			any = true;
		}
	if (any)
		fb->gen = gen;
}

static uint32_t
vmod_clip(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Copy @r (NULL: everything) from the host's pixels.  The host's screen
 * lock is held. */
static void
vmod_fb_fill(struct vmod_fb *fb, const struct vrde_rect *r)
{
	struct vrde_screen_info in = {0};

	if (fb->host->cb->screen_query(fb->host->ctx, fb->index, &in) < 0)
		return;
	pthread_mutex_lock(&fb->lock);
	if (vmod_fb_differs(fb, &in))
		vmod_fb_set_geometry(fb, &in);
	if (fb->enabled && in.bpp == 32 && in.stride >= fb->width * 4) {
		if (fb->need_full || !r) {
			vmod_fb_copy(fb, &in, 0, 0, fb->width, fb->height);
			fb->need_full = false;
			fb->filled = true;
		} else {
			vmod_fb_copy(fb, &in, vmod_clip(r->x), vmod_clip(r->y),
				     vmod_clip((int64_t)r->x + r->w),
				     vmod_clip((int64_t)r->y + r->h));
		}
		if (fb->damage)
			fb->damage(fb, r, fb->arg);
	}
	pthread_mutex_unlock(&fb->lock);
}

void
vmod_fb_update(struct vmod_fb *fb, const struct vrde_rect *r)
{
	if (fb && r)
		vmod_fb_fill(fb, r);
}

void
vmod_fb_ensure_filled(struct vmod_fb *fb)
{
	bool filled;

	if (!fb)
		return;
	pthread_mutex_lock(&fb->lock);
	filled = fb->filled;
	pthread_mutex_unlock(&fb->lock);
	if (filled)
		return;
	fb->host->cb->screen_lock(fb->host->ctx, fb->index);
	vmod_fb_fill(fb, NULL);
	fb->host->cb->screen_unlock(fb->host->ctx, fb->index);
}

void
vmod_fb_geometry(struct vmod_fb *fb, uint32_t *w, uint32_t *h,
		 uint64_t *geom_gen)
{
	*w = *h = 0;
	*geom_gen = 0;
	if (!fb)
		return;
	pthread_mutex_lock(&fb->lock);
	*w = fb->width;
	*h = fb->height;
	*geom_gen = fb->geom_gen;
	pthread_mutex_unlock(&fb->lock);
}

void
vmod_fb_tile(const struct vmod_fb *fb, uint32_t t, uint32_t *x, uint32_t *y,
	     uint32_t *w, uint32_t *h)
{
	*x = (t % fb->tiles_x) * VMOD_TILE;
	*y = (t / fb->tiles_x) * VMOD_TILE;
	*w = fb->width - *x < VMOD_TILE ? fb->width - *x : VMOD_TILE;
	*h = fb->height - *y < VMOD_TILE ? fb->height - *y : VMOD_TILE;
}
