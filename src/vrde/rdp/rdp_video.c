/*
 * rdp_video.c - video redirection in the RDP module: the per-screen
 * detector and stream table, the tile generations that let the lossless
 * path skip what a client gets as video, and the per-client dispatcher
 * that picks TSMF, AVC420 or plain tiles for every stream (see
 * rdp_video.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/channels/wtsvc.h>

#include "rdp_h264.h"
#include "rdp_video.h"
#include "rdp_video_int.h"
#include "video_rect.h"

static int
rdp_video_get_prop(void *ctx, const char *name, char *buf, size_t size)
{
	struct rdp_server *srv = ctx;

	return srv->core.host.cb->get_property(srv->core.host.ctx, name, buf,
					       size);
}

static void
rdp_video_warn(void *ctx, const char *msg)
{
	rdp_warn((struct rdp_server *)ctx, "video: %s", msg);
}

static int
rdp_video_quality(struct rdp_server *srv)
{
	char v[32];
	char *end;
	long q;

	if (rdp_prop(srv, "VideoChannel/Quality", v, sizeof(v)) <= 0)
		return 75;
	q = strtol(v, &end, 10);
	if (*end || q < 10 || q > 100) {
		rdp_warn(srv,
			 "video: VideoChannel/Quality: invalid value \"%s\" "
			 "(10..100); using 75",
			 v);
		return 75;
	}
	return (int)q;
}

/* VideoChannel/MaxBitRate: kbit/s, 0 or unset for no cap. */
static uint32_t
rdp_video_max_kbps(struct rdp_server *srv)
{
	char v[32];
	char *end;
	long long k;

	if (rdp_prop(srv, "VideoChannel/MaxBitRate", v, sizeof(v)) <= 0)
		return 0;
	k = strtoll(v, &end, 10);
	if (*end || end == v || k < 0 || k > 1000000) {
		rdp_warn(srv,
			 "video: VideoChannel/MaxBitRate: invalid value \"%s\" "
			 "(kbit/s, 0..1000000); no cap",
			 v);
		return 0;
	}
	return (uint32_t)k;
}

void
rdp_video_screen_init(struct rdp_server *srv, struct rdp_screen *s)
{
	struct video_detector_params p;
	struct rdp_video_screen *v;

	video_detector_params_default(&p);
	video_detector_params_load(&p, rdp_video_get_prop, rdp_video_warn, srv);
	if (!p.enabled)
		return; /* VideoChannel off: no state, every hook is a no-op */
	v = calloc(1, sizeof(*v));
	if (v)
		v->det = video_detector_new(&p);
	if (!v || !v->det) {
		rdp_err(srv, "video: out of memory; video channel off");
		free(v);
		return;
	}
	v->quality = rdp_video_quality(srv);
	v->max_kbps = rdp_video_max_kbps(srv);
	s->video = v;
	if (s->fb.index == 0)
		rdp_info(srv,
			 "video channel on: quality %d, bit rate cap %u kbit/s "
			 "(0: none), H.264 by %s, detection after %u frames of "
			 "at least %ux%u",
			 v->quality, v->max_kbps, rdp_h264_backend(), p.frames,
			 p.min_size, p.min_size);
}

static void
rdp_video_drop_streams(struct rdp_video_screen *v)
{
	for (int i = 0; i < RDP_VIDEO_MAX; i++) {
		vmod_blob_unref(v->streams[i].jpeg);
		memset(&v->streams[i], 0, sizeof(v->streams[i]));
	}
}

void
rdp_video_screen_free(struct rdp_screen *s)
{
	struct rdp_video_screen *v = s->video;

	if (!v)
		return;
	rdp_video_drop_streams(v);
	video_detector_free(v->det);
	free(v->nv_gen);
	free(v);
	s->video = NULL;
}

/* Follow the screen's geometry (s->fb.lock held): a new size forgets every
 * stream; clients get the whole screen anyway. */
static bool
rdp_video_geometry(struct rdp_screen *s, struct rdp_video_screen *v)
{
	struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];
	uint32_t n = s->fb.tiles_x * s->fb.tiles_y;

	if (v->geom_gen == s->fb.geom_gen && v->nv_gen)
		return true;
	video_detector_reset(v->det, ev, VIDEO_DETECTOR_MAX_EVENTS);
	rdp_video_drop_streams(v);
	free(v->nv_gen);
	v->nv_gen = n ? calloc(n, sizeof(uint64_t)) : NULL;
	v->tiles_x = v->nv_gen ? s->fb.tiles_x : 0;
	v->tiles_y = v->nv_gen ? s->fb.tiles_y : 0;
	v->geom_gen = s->fb.geom_gen;
	for (uint32_t t = 0; v->nv_gen && t < n; t++)
		v->nv_gen[t] = s->fb.tile_gen[t];
	return v->nv_gen != NULL;
}

/* Stamp the tiles under @r with generation @gen (in nv_gen, and in the
 * screen's tile_gen too when @all). */
static void
rdp_video_stamp(struct rdp_screen *s, struct rdp_video_screen *v,
		const struct vrde_rect *r, uint64_t gen, bool all)
{
	int64_t x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
	int64_t x1 = (int64_t)r->x + r->w, y1 = (int64_t)r->y + r->h;

	if (x1 > (int64_t)s->fb.width)
		x1 = s->fb.width;
	if (y1 > (int64_t)s->fb.height)
		y1 = s->fb.height;
	if (x0 >= x1 || y0 >= y1)
		return;
	for (int64_t ty = y0 / RDP_TILE; ty <= (y1 - 1) / RDP_TILE; ty++) {
		for (int64_t tx = x0 / RDP_TILE; tx <= (x1 - 1) / RDP_TILE;
		     tx++) {
			size_t t = (size_t)ty * v->tiles_x + (size_t)tx;

			v->nv_gen[t] = gen;
			if (all)
				s->fb.tile_gen[t] = gen;
		}
	}
}

void
rdp_video_damage(struct rdp_server *srv, struct rdp_screen *s,
		 const struct vrde_rect *r)
{
	struct rdp_video_screen *v = s->video;
	struct vrde_rect full = {0, 0, s->fb.width, s->fb.height};
	struct vrde_rect work[16], next[16 * 4];
	size_t nw = 1;

	if (!v || !rdp_video_geometry(s, v))
		return;
	if (!r)
		r = &full;
	video_detector_feed(v->det, r);
	v->fed_since_commit = true;
	/* What lies outside every active stream changed "for real". */
	work[0] = *r;
	for (int i = 0; i < RDP_VIDEO_MAX && nw; i++) {
		size_t nn = 0;

		if (!v->streams[i].active)
			continue;
		for (size_t k = 0; k < nw; k++)
			nn += video_rect_subtract(&work[k], &v->streams[i].rect,
						  &next[nn]);
		if (nn > 16) { /* too fragmented: stamp it all */
			work[0] = *r;
			nw = 1;
			break;
		}
		memcpy(work, next, nn * sizeof(*work));
		nw = nn;
	}
	for (size_t k = 0; k < nw; k++)
		rdp_video_stamp(s, v, &work[k], s->fb.gen, false);
}

static struct rdp_vstream *
rdp_video_stream(struct rdp_video_screen *v, uint32_t id)
{
	for (int i = 0; i < RDP_VIDEO_MAX; i++) {
		if (v->streams[i].active && v->streams[i].id == id)
			return &v->streams[i];
	}
	return NULL;
}

/* @r inside the screen (the detector's area may wobble past an edge). */
static struct vrde_rect
rdp_video_clip(const struct rdp_screen *s, const struct vrde_rect *r)
{
	struct vrde_rect c = {0, 0, 0, 0};
	int64_t x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
	int64_t x1 = (int64_t)r->x + r->w, y1 = (int64_t)r->y + r->h;

	x1 = x1 > (int64_t)s->fb.width ? (int64_t)s->fb.width : x1;
	y1 = y1 > (int64_t)s->fb.height ? (int64_t)s->fb.height : y1;
	if (x1 > x0 && y1 > y0) {
		c.x = (int32_t)x0;
		c.y = (int32_t)y0;
		c.w = (uint32_t)(x1 - x0);
		c.h = (uint32_t)(y1 - y0);
	}
	return c;
}

static void
rdp_video_event(struct rdp_server *srv, struct rdp_screen *s,
		struct rdp_video_screen *v, const struct video_event *e)
{
	struct rdp_vstream *st = rdp_video_stream(v, e->stream_id);

	switch (e->type) {
	case VIDEO_EVENT_START:
		for (int i = 0; i < RDP_VIDEO_MAX && !st; i++) {
			if (!v->streams[i].active)
				st = &v->streams[i];
		}
		if (!st)
			return;
		memset(st, 0, sizeof(*st));
		st->active = true;
		st->id = e->stream_id;
		st->rect = rdp_video_clip(s, &e->rect);
		st->seq = 1;
		if (video_rect_empty(&st->rect)) {
			st->active = false;
			return;
		}
		rdp_info(srv, "screen %u: video %ux%u at %d,%d detected",
			 s->fb.index + 1, e->rect.w, e->rect.h, e->rect.x,
			 e->rect.y);
		break;
	case VIDEO_EVENT_FRAME:
		if (st)
			st->seq++;
		break;
	case VIDEO_EVENT_END:
		if (!st)
			return;
		rdp_info(
		    srv,
		    "screen %u: video %ux%u at %d,%d ended (%s) after %llu "
		    "frames; %llu JPEG frames sent, %llu encoded",
		    s->fb.index + 1, e->rect.w, e->rect.h, e->rect.x, e->rect.y,
		    e->reason == VIDEO_END_TIMEOUT ? "no update"
		    : e->reason == VIDEO_END_SHAPE ? "area changed"
						   : "reset",
		    (unsigned long long)st->seq,
		    (unsigned long long)st->jpeg_sends,
		    (unsigned long long)st->jpeg_encodes);
		/* Everyone gets the area losslessly again. */
		s->fb.gen++;
		rdp_video_stamp(s, v, &st->rect, s->fb.gen, true);
		vmod_blob_unref(st->jpeg);
		memset(st, 0, sizeof(*st));
		break;
	}
}

/* Commit the refresh or tick (s->fb.lock held). */
static void
rdp_video_commit_locked(struct rdp_server *srv, struct rdp_screen *s,
			struct rdp_video_screen *v)
{
	struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];
	int64_t now = vmod_now_ms();
	size_t n;

	if (!rdp_video_geometry(s, v))
		return;
	n = video_detector_commit(v->det, (uint64_t)now, ev,
				  VIDEO_DETECTOR_MAX_EVENTS);
	for (size_t i = 0; i < n; i++)
		rdp_video_event(srv, s, v, &ev[i]);
	v->last_commit_ms = now;
	v->fed_since_commit = false;
}

void
rdp_video_commit(struct rdp_server *srv, uint32_t screen)
{
	struct rdp_screen *s;

	if (screen >= srv->nscreens || !srv->screens[screen].video)
		return;
	s = &srv->screens[screen];
	pthread_mutex_lock(&s->fb.lock);
	rdp_video_commit_locked(srv, s, s->video);
	pthread_mutex_unlock(&s->fb.lock);
}

uint64_t
rdp_video_tile_gen(struct rdp_client *c, struct rdp_screen *s, uint32_t t)
{
	struct rdp_video_screen *v = s->video;
	struct rdp_video_client *cv = c->video;
	struct vrde_rect tile;

	if (!v || !cv || !v->nv_gen || v->geom_gen != s->fb.geom_gen ||
	    t >= v->tiles_x * v->tiles_y)
		return s->fb.tile_gen[t];
	tile.x = (int32_t)((t % v->tiles_x) * RDP_TILE);
	tile.y = (int32_t)((t / v->tiles_x) * RDP_TILE);
	tile.w = RDP_TILE;
	tile.h = RDP_TILE;
	for (int i = 0; i < RDP_VIDEO_MAX; i++) {
		if (cv->s[i].used && cv->s[i].path != RDP_VIDEO_NONE &&
		    video_rect_intersects(&cv->s[i].rect, &tile))
			return v->nv_gen[t];
	}
	return s->fb.tile_gen[t];
}

int
rdp_video_copy(struct rdp_client *c, uint32_t id, uint64_t seq,
	       const struct vrde_rect *r, uint32_t w, uint32_t h)
{
	struct rdp_screen *s = &c->srv->screens[c->vc.screen];
	struct rdp_video_client *cv = c->video;
	size_t need = (size_t)w * h * 4;
	int rc = 0;

	if (need > cv->buf_size) {
		uint8_t *b = realloc(cv->buf, need);

		if (!b)
			return -ENOMEM;
		cv->buf = b;
		cv->buf_size = need;
	}
	pthread_mutex_lock(&s->fb.lock);
	if (!s->video || !rdp_video_stream(s->video, id) || !s->fb.shadow ||
	    (int64_t)r->x + r->w > (int64_t)s->fb.width ||
	    (int64_t)r->y + r->h > (int64_t)s->fb.height)
		rc = -ESTALE;
	for (uint32_t y = 0; rc == 0 && y < h; y++) {
		uint32_t sy = y < r->h ? y : r->h - 1;
		const uint8_t *src = s->fb.shadow +
				     ((size_t)r->y + sy) * s->fb.pad_w * 4 +
				     (size_t)r->x * 4;
		uint8_t *dst = cv->buf + (size_t)y * w * 4;

		memcpy(dst, src, (size_t)r->w * 4);
		for (uint32_t x = r->w; x < w; x++)
			memcpy(dst + (size_t)x * 4,
			       src + (size_t)(r->w - 1) * 4, 4);
	}
	pthread_mutex_unlock(&s->fb.lock);
	(void)seq;
	return rc;
}

void
rdp_video_open(struct rdp_client *c)
{
	struct rdp_video_screen *v = c->srv->screens[c->vc.screen].video;

	if (!v || !c->activated)
		return;
	if (!c->video) {
		c->video = calloc(1, sizeof(*c->video));
		if (!c->video)
			return;
		c->video->quality = v->quality;
		c->video->max_kbps = v->max_kbps;
	}
	if (c->video->tsmf_state == 0 &&
	    WTSVirtualChannelManagerIsChannelJoined(c->vcm, "drdynvc") &&
	    WTSVirtualChannelManagerGetDrdynvcState(c->vcm) ==
		DRDYNVC_STATE_READY)
		rdp_video_tsmf_open(c);
}

static void
rdp_video_end_stream(struct rdp_client *c, struct rdp_vcstream *vs)
{
	if (vs->path == RDP_VIDEO_TSMF)
		rdp_video_tsmf_end(c, vs);
	else if (vs->path == RDP_VIDEO_AVC)
		rdp_video_avc_end(c, vs);
	memset(vs, 0, sizeof(*vs));
}

/* Start delivering @vs the best way the client allows now. */
static void
rdp_video_choose(struct rdp_client *c, struct rdp_vcstream *vs)
{
	struct rdp_video_client *cv = c->video;

	if (rdp_video_tsmf_ready(c)) {
		if (rdp_video_tsmf_start(c, vs) == 0)
			vs->path = RDP_VIDEO_TSMF;
	} else if (!rdp_video_tsmf_pending(c) && atomic_load(&c->gfx_ready) &&
		   atomic_load(&cv->avc)) {
		if (rdp_video_avc_start(c, vs) == 0)
			vs->path = RDP_VIDEO_AVC;
	}
	if (vs->path != RDP_VIDEO_NONE) {
		cv->last_path = vs->path;
		rdp_info(c->srv, "client %u: video %ux%u at %d,%d as %s",
			 c->vc.id, vs->rect.w, vs->rect.h, vs->rect.x,
			 vs->rect.y,
			 vs->path == RDP_VIDEO_TSMF ? "MJPEG over TSMF"
						    : "H.264 (AVC420)");
	}
}

struct rdp_vsnap {
	uint32_t id;
	struct vrde_rect rect;
	uint64_t seq;
};

/* Match the client's streams with the screen's @snap. */
static void
rdp_video_reconcile(struct rdp_client *c, const struct rdp_vsnap *snap, int n)
{
	struct rdp_video_client *cv = c->video;

	for (int i = 0; i < RDP_VIDEO_MAX; i++) {
		struct rdp_vcstream *vs = &cv->s[i];
		bool alive = false;

		for (int k = 0; vs->used && k < n; k++)
			alive |= snap[k].id == vs->id;
		if (vs->used && !alive)
			rdp_video_end_stream(c, vs);
	}
	for (int k = 0; k < n; k++) {
		struct rdp_vcstream *vs = NULL, *free_slot = NULL;

		for (int i = 0; i < RDP_VIDEO_MAX; i++) {
			if (cv->s[i].used && cv->s[i].id == snap[k].id)
				vs = &cv->s[i];
			else if (!cv->s[i].used && !free_slot)
				free_slot = &cv->s[i];
		}
		if (!vs && free_slot) {
			vs = free_slot;
			vs->used = true;
			vs->id = snap[k].id;
			vs->rect = snap[k].rect;
		}
	}
}

static int
rdp_video_snapshot(struct rdp_client *c, struct rdp_vsnap *snap)
{
	struct rdp_screen *s = &c->srv->screens[c->vc.screen];
	struct rdp_video_screen *v = s->video;
	int n = 0;

	pthread_mutex_lock(&s->fb.lock);
	if (!v->fed_since_commit &&
	    vmod_now_ms() - v->last_commit_ms >= RDP_VIDEO_TICK_MS)
		rdp_video_commit_locked(c->srv, s, v);
	for (int i = 0; i < RDP_VIDEO_MAX; i++) {
		if (v->streams[i].active && v->geom_gen == c->geom_seen) {
			snap[n].id = v->streams[i].id;
			snap[n].rect = v->streams[i].rect;
			snap[n].seq = v->streams[i].seq;
			n++;
		}
	}
	pthread_mutex_unlock(&s->fb.lock);
	return n;
}

void
rdp_video_send(struct rdp_client *c)
{
	struct rdp_vsnap snap[RDP_VIDEO_MAX];
	struct rdp_video_client *cv = c->video;
	int n;

	if (!cv || !c->srv->screens[c->vc.screen].video || !c->activated)
		return;
	rdp_video_tsmf_poll(c);
	n = rdp_video_snapshot(c, snap);
	rdp_video_reconcile(c, snap, n);
	for (int k = 0; k < n; k++) {
		for (int i = 0; i < RDP_VIDEO_MAX; i++) {
			struct rdp_vcstream *vs = &cv->s[i];
			int rc = 0;

			if (!vs->used || vs->id != snap[k].id)
				continue;
			if (vs->path == RDP_VIDEO_NONE)
				rdp_video_choose(c, vs);
			if (vs->seq_sent >= snap[k].seq ||
			    c->peer->IsWriteBlocked(c->peer))
				continue;
			if (vs->path == RDP_VIDEO_TSMF)
				rc = rdp_video_tsmf_frame(c, vs, snap[k].seq);
			else if (vs->path == RDP_VIDEO_AVC)
				rc = rdp_video_avc_frame(c, vs, snap[k].seq);
			if (rc > 0)
				vs->seq_sent = snap[k].seq;
		}
	}
}

void
rdp_video_close(struct rdp_client *c)
{
	struct rdp_video_client *cv = c->video;

	if (!cv)
		return;
	for (int i = 0; i < RDP_VIDEO_MAX; i++) {
		if (cv->s[i].used)
			rdp_video_end_stream(c, &cv->s[i]);
	}
	rdp_video_tsmf_close(c);
	rdp_h264_free(cv->spare);
	video_jpeg_free(cv->jpeg);
	free(cv->buf);
	free(cv);
	c->video = NULL;
}

void
rdp_video_gfx_caps(struct rdp_client *c, const RDPGFX_CAPSET *adv,
		   RDPGFX_CAPSET *confirm)
{
	bool has_avc;

	if (!c->srv->screens[c->vc.screen].video)
		return;
	if (adv->version == RDPGFX_CAPVERSION_8)
		return; /* 8.0 has no H.264 */
	if (adv->version == RDPGFX_CAPVERSION_81)
		has_avc = adv->flags & RDPGFX_CAPS_FLAG_AVC420_ENABLED;
	else
		has_avc = !(adv->flags & RDPGFX_CAPS_FLAG_AVC_DISABLED);
	if (!has_avc)
		return;
	/* c->video exists: rdp_video_open() ran before the pipeline opened */
	if (c->video) {
		confirm->flags = adv->flags;
		atomic_store(&c->video->avc, true);
	}
}

void
rdp_video_gfx_reset(struct rdp_client *c)
{
	struct rdp_video_client *cv = c->video;

	for (int i = 0; cv && i < RDP_VIDEO_MAX; i++) {
		if (cv->s[i].path == RDP_VIDEO_AVC) {
			/* The surface is gone with the reset: start over. */
			cv->s[i].surface = false;
			rdp_video_end_stream(c, &cv->s[i]);
		}
	}
}

void
rdp_video_codec_name(struct rdp_client *c, const char *base, char *buf,
		     size_t size)
{
	struct rdp_video_client *cv = c->video;
	const char *path = "bitmap";

	if (!c->srv->screens[c->vc.screen].video) {
		snprintf(buf, size, "%s", base);
		return;
	}
	if (cv && (rdp_video_tsmf_ready(c) || cv->last_path == RDP_VIDEO_TSMF))
		path = "tsmf-mjpeg";
	else if (cv && atomic_load(&cv->avc) && atomic_load(&c->gfx_ready))
		path = "gfx-avc420";
	snprintf(buf, size, "%s+video:%s", base, path);
}
