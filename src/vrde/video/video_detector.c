/*
 * video_detector.c - the per-screen video detector (see video_detector.h).
 *
 * Each refresh, the fed rectangles are first merged into clusters of
 * touching rectangles, because a damage tracker may report one redrawn
 * area as several bands.  Clusters inside an active stream's area (give
 * or take the jitter) are frames of that stream; a cluster that cuts into
 * a stream otherwise ends it.  The remaining clusters that are big enough
 * and not too elongated are matched against candidates: a candidate
 * counts a frame when the same area (edges within the jitter) comes back
 * between MinMS and MaxMS after its previous sighting, starts over when the
 * gap was longer, and becomes a stream on the frame after its
 * VideoDetectionFrames-th.
 */
#define LOG_TAG "video"

#include "video_detector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "video_rect.h"

#define VD_MAX_FED	64  /* rectangles per refresh kept apart */
#define VD_MAX_CAND	16  /* candidate areas remembered */
#define VD_MAX_RESIDUAL 256 /* pieces of residual damage */

/* The range each edge (left, top, right, bottom) took over a candidate's
 * sightings: an area is "the same" while every range stays within twice
 * the jitter, i.e. edges wobble around a fixed centre. */
struct vd_edges {
	int64_t lo[4];
	int64_t hi[4];
};

struct vd_candidate {
	bool used;
	struct vd_edges edges; /* of the sightings in the current chain */
	struct vrde_rect bbox; /* union of every matched sighting */
	uint32_t frames;       /* frames in the current chain */
	uint64_t last_ms;      /* time of the last counted frame */
};

struct vd_stream {
	bool active;
	bool hit; /* got a frame in the refresh being committed */
	uint32_t id;
	struct vrde_rect rect;
	uint64_t last_ms;
};

struct video_detector {
	struct video_detector_params p;
	struct vrde_rect fed[VD_MAX_FED];
	size_t n_fed;
	struct vd_candidate cand[VD_MAX_CAND];
	struct vd_stream streams[VIDEO_DETECTOR_MAX_STREAMS];
	uint32_t next_id;
	struct vrde_rect residual[VD_MAX_RESIDUAL];
	size_t n_residual;
};

struct video_detector *
video_detector_new(const struct video_detector_params *p)
{
	struct video_detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->p = *p;
	d->next_id = 1;
	return d;
}

void
video_detector_free(struct video_detector *d)
{
	free(d);
}

void
video_detector_set_params(struct video_detector *d,
			  const struct video_detector_params *p)
{
	d->p = *p;
}

void
video_detector_feed(struct video_detector *d, const struct vrde_rect *r)
{
	if (video_rect_empty(r))
		return;
	if (d->n_fed < VD_MAX_FED) {
		d->fed[d->n_fed++] = *r;
		return;
	}
	/* Too many pieces to keep apart: fold the rest into the last slot.
	 * The damage stays covered (a superset), only detection suffers. */
	d->fed[VD_MAX_FED - 1] = video_rect_union(&d->fed[VD_MAX_FED - 1], r);
}

/* Merge touching rectangles of @r (in place) until none touch.
 * @return the number of clusters left at the front of @r. */
static size_t
vd_cluster(struct vrde_rect *r, size_t n)
{
	bool merged = true;

	while (merged) {
		merged = false;
		for (size_t i = 0; i < n; i++) {
			for (size_t j = i + 1; j < n; j++) {
				if (!video_rect_touches(&r[i], &r[j]))
					continue;
				r[i] = video_rect_union(&r[i], &r[j]);
				r[j] = r[--n];
				merged = true;
				j--;
			}
		}
	}
	return n;
}

/* Big enough, and an aspect ratio between 1:2 and 3:1 (w/h). */
static bool
vd_eligible(const struct video_detector *d, const struct vrde_rect *r)
{
	if (r->w < d->p.min_size || r->h < d->p.min_size)
		return false;
	return (uint64_t)r->w * 2 >= r->h && (uint64_t)r->w <= 3ull * r->h;
}

static size_t
vd_emit(struct video_event *ev, size_t n, size_t max,
	enum video_event_type type, const struct vd_stream *s,
	enum video_end_reason reason)
{
	if (n >= max)
		return n;
	ev[n].type = type;
	ev[n].stream_id = s->id;
	ev[n].rect = s->rect;
	ev[n].reason = reason;
	return n + 1;
}

/* Does @c belong to stream @s?  1: a frame of it, -1: it cuts into it
 * (shape change), 0: unrelated. */
static int
vd_stream_relation(const struct video_detector *d, const struct vd_stream *s,
		   const struct vrde_rect *c)
{
	struct vrde_rect loose = video_rect_grow(&s->rect, d->p.jitter);

	if (video_rect_contains(&loose, c))
		return 1;
	return video_rect_intersects(&s->rect, c) ? -1 : 0;
}

static void
vd_rect_edges(const struct vrde_rect *r, int64_t e[4])
{
	e[0] = r->x;
	e[1] = r->y;
	e[2] = (int64_t)r->x + r->w;
	e[3] = (int64_t)r->y + r->h;
}

static void
vd_edges_start(struct vd_edges *ed, const struct vrde_rect *r)
{
	vd_rect_edges(r, ed->lo);
	vd_rect_edges(r, ed->hi);
}

/* Would @r keep every edge's range within 2 * jitter?  Then add it. */
static bool
vd_edges_add(struct vd_edges *ed, const struct vrde_rect *r, uint32_t jitter,
	     bool commit)
{
	int64_t e[4];

	vd_rect_edges(r, e);
	for (int i = 0; i < 4; i++) {
		int64_t lo = e[i] < ed->lo[i] ? e[i] : ed->lo[i];
		int64_t hi = e[i] > ed->hi[i] ? e[i] : ed->hi[i];

		if (hi - lo > 2 * (int64_t)jitter)
			return false;
	}
	for (int i = 0; commit && i < 4; i++) {
		ed->lo[i] = e[i] < ed->lo[i] ? e[i] : ed->lo[i];
		ed->hi[i] = e[i] > ed->hi[i] ? e[i] : ed->hi[i];
	}
	return true;
}

static struct vd_candidate *
vd_find_candidate(struct video_detector *d, const struct vrde_rect *c)
{
	for (size_t i = 0; i < VD_MAX_CAND; i++) {
		if (d->cand[i].used &&
		    vd_edges_add(&d->cand[i].edges, c, d->p.jitter, false))
			return &d->cand[i];
	}
	return NULL;
}

static void
vd_new_candidate(struct video_detector *d, const struct vrde_rect *c,
		 uint64_t now)
{
	struct vd_candidate *slot = &d->cand[0];

	/* A free slot, else the one idle for longest. */
	for (size_t i = 0; i < VD_MAX_CAND; i++) {
		if (!d->cand[i].used) {
			slot = &d->cand[i];
			break;
		}
		if (d->cand[i].last_ms < slot->last_ms)
			slot = &d->cand[i];
	}
	slot->used = true;
	vd_edges_start(&slot->edges, c);
	slot->bbox = *c;
	slot->frames = 1;
	slot->last_ms = now;
}

static struct vd_stream *
vd_free_stream(struct video_detector *d, const struct vrde_rect *area)
{
	struct vd_stream *slot = NULL;

	for (size_t i = 0; i < VIDEO_DETECTOR_MAX_STREAMS; i++) {
		struct vd_stream *s = &d->streams[i];

		if (s->active && video_rect_intersects(&s->rect, area))
			return NULL; /* never two streams on one area */
		if (!s->active && !slot)
			slot = s;
	}
	return slot;
}

/* Count a sighting of @c for its candidate; promote it to a stream on
 * the frame after the VideoDetectionFrames-th. */
static size_t
vd_candidate_frame(struct video_detector *d, const struct vrde_rect *c,
		   uint64_t now, struct video_event *ev, size_t n, size_t max)
{
	struct vd_candidate *k = vd_find_candidate(d, c);
	struct vd_stream *s;
	uint64_t gap;

	if (!k) {
		vd_new_candidate(d, c, now);
		return n;
	}
	gap = now - k->last_ms;
	if (gap < d->p.min_ms) {
		/* Faster than any video: not a frame, and the next gap is
		 * measured from here, so a constant rush never counts. */
		k->last_ms = now;
		return n;
	}
	if (gap > d->p.max_ms) {
		vd_edges_start(&k->edges, c);
		k->bbox = *c;
		k->frames = 1;
		k->last_ms = now;
		return n;
	}
	vd_edges_add(&k->edges, c, d->p.jitter, true);
	k->bbox = video_rect_union(&k->bbox, c);
	k->last_ms = now;
	if (k->frames < d->p.frames) {
		k->frames++;
		return n;
	}
	s = vd_free_stream(d, &k->bbox);
	if (!s)
		return n;
	s->active = true;
	s->hit = false; /* its first frame is the START event itself */
	s->id = d->next_id++;
	if (d->next_id == 0)
		d->next_id = 1;
	s->rect = k->bbox;
	s->last_ms = now;
	k->used = false;
	return vd_emit(ev, n, max, VIDEO_EVENT_START, s, VIDEO_END_NONE);
}

/* Match this refresh's clusters against streams and candidates. */
static size_t
vd_match(struct video_detector *d, struct vrde_rect *c, size_t nc, uint64_t now,
	 struct video_event *ev, size_t n, size_t max)
{
	for (size_t i = 0; i < nc; i++) {
		bool taken = false;

		for (size_t j = 0; j < VIDEO_DETECTOR_MAX_STREAMS; j++) {
			struct vd_stream *s = &d->streams[j];
			int rel;

			if (!s->active)
				continue;
			rel = vd_stream_relation(d, s, &c[i]);
			if (rel > 0) {
				s->hit = true;
				s->last_ms = now;
				taken = true;
			} else if (rel < 0) {
				s->active = false;
				n = vd_emit(ev, n, max, VIDEO_EVENT_END, s,
					    VIDEO_END_SHAPE);
			}
		}
		if (!taken && vd_eligible(d, &c[i]))
			n = vd_candidate_frame(d, &c[i], now, ev, n, max);
	}
	return n;
}

/* Fed damage minus the active streams' areas. */
static void
vd_residual(struct video_detector *d)
{
	d->n_residual = 0;
	for (size_t i = 0; i < d->n_fed; i++) {
		struct vrde_rect work[VD_MAX_RESIDUAL];
		size_t nw = 1;

		work[0] = d->fed[i];
		for (size_t j = 0; j < VIDEO_DETECTOR_MAX_STREAMS; j++) {
			const struct vd_stream *s = &d->streams[j];
			struct vrde_rect next[VD_MAX_RESIDUAL];
			size_t nn = 0;

			if (!s->active)
				continue;
			for (size_t k = 0; k < nw; k++) {
				if (nn + 4 > VD_MAX_RESIDUAL) {
					/* Too fragmented: keep it whole. */
					next[0] = d->fed[i];
					nn = 1;
					break;
				}
				nn += video_rect_subtract(&work[k], &s->rect,
							  &next[nn]);
			}
			memcpy(work, next, nn * sizeof(*work));
			nw = nn;
		}
		for (size_t k = 0; k < nw; k++) {
			if (d->n_residual == VD_MAX_RESIDUAL) {
				/* Out of room: keep the damage whole. */
				d->residual[VD_MAX_RESIDUAL - 1] =
				    video_rect_union(
					&d->residual[VD_MAX_RESIDUAL - 1],
					&d->fed[i]);
				break;
			}
			d->residual[d->n_residual++] = work[k];
		}
	}
}

size_t
video_detector_commit(struct video_detector *d, uint64_t now_ms,
		      struct video_event *ev, size_t max)
{
	struct vrde_rect clusters[VD_MAX_FED];
	size_t nc, n = 0;

	if (!d->p.enabled) {
		n = video_detector_reset(d, ev, max);
		vd_residual(d);
		d->n_fed = 0;
		return n;
	}
	memcpy(clusters, d->fed, d->n_fed * sizeof(*clusters));
	nc = vd_cluster(clusters, d->n_fed);
	for (size_t j = 0; j < VIDEO_DETECTOR_MAX_STREAMS; j++)
		d->streams[j].hit = false;
	n = vd_match(d, clusters, nc, now_ms, ev, n, max);
	for (size_t j = 0; j < VIDEO_DETECTOR_MAX_STREAMS; j++) {
		struct vd_stream *s = &d->streams[j];

		if (!s->active)
			continue;
		if (s->hit) {
			n = vd_emit(ev, n, max, VIDEO_EVENT_FRAME, s,
				    VIDEO_END_NONE);
		} else if (now_ms - s->last_ms > d->p.video_decay_ms) {
			s->active = false;
			n = vd_emit(ev, n, max, VIDEO_EVENT_END, s,
				    VIDEO_END_TIMEOUT);
		}
	}
	for (size_t i = 0; i < VD_MAX_CAND; i++) {
		if (d->cand[i].used &&
		    now_ms - d->cand[i].last_ms > d->p.history_ms)
			d->cand[i].used = false;
	}
	vd_residual(d);
	d->n_fed = 0;
	return n;
}

size_t
video_detector_residual(const struct video_detector *d,
			const struct vrde_rect **rects)
{
	*rects = d->residual;
	return d->n_residual;
}

bool
video_detector_covers(const struct video_detector *d, const struct vrde_rect *r)
{
	for (size_t j = 0; j < VIDEO_DETECTOR_MAX_STREAMS; j++) {
		if (d->streams[j].active &&
		    video_rect_contains(&d->streams[j].rect, r))
			return true;
	}
	return false;
}

size_t
video_detector_streams(const struct video_detector *d, struct video_event *out,
		       size_t max)
{
	size_t n = 0;

	for (size_t j = 0; j < VIDEO_DETECTOR_MAX_STREAMS; j++) {
		if (d->streams[j].active)
			n = vd_emit(out, n, max, VIDEO_EVENT_FRAME,
				    &d->streams[j], VIDEO_END_NONE);
	}
	return n;
}

size_t
video_detector_reset(struct video_detector *d, struct video_event *ev,
		     size_t max)
{
	size_t n = 0;

	for (size_t j = 0; j < VIDEO_DETECTOR_MAX_STREAMS; j++) {
		struct vd_stream *s = &d->streams[j];

		if (s->active) {
			s->active = false;
			n = vd_emit(ev, n, max, VIDEO_EVENT_END, s,
				    VIDEO_END_DISABLED);
		}
	}
	memset(d->cand, 0, sizeof(d->cand));
	return n;
}
