/*
 * video_rect.c - rectangle arithmetic for the video detector and the
 * delivery code.  Coordinates are computed in int64_t so that
 * x + w never overflows whatever the guest reports.
 */
#include "video_rect.h"

#include <stdint.h>

static int64_t
rect_right(const struct vrde_rect *r)
{
	return (int64_t)r->x + r->w;
}

static int64_t
rect_bottom(const struct vrde_rect *r)
{
	return (int64_t)r->y + r->h;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
abs64(int64_t a)
{
	return a < 0 ? -a : a;
}

bool
video_rect_empty(const struct vrde_rect *r)
{
	return r->w == 0 || r->h == 0;
}

bool
video_rect_intersects(const struct vrde_rect *a, const struct vrde_rect *b)
{
	if (video_rect_empty(a) || video_rect_empty(b))
		return false;
	return a->x < rect_right(b) && b->x < rect_right(a) &&
	       a->y < rect_bottom(b) && b->y < rect_bottom(a);
}

bool
video_rect_touches(const struct vrde_rect *a, const struct vrde_rect *b)
{
	if (video_rect_empty(a) || video_rect_empty(b))
		return false;
	return a->x <= rect_right(b) && b->x <= rect_right(a) &&
	       a->y <= rect_bottom(b) && b->y <= rect_bottom(a);
}

bool
video_rect_contains(const struct vrde_rect *outer,
		    const struct vrde_rect *inner)
{
	return inner->x >= outer->x && inner->y >= outer->y &&
	       rect_right(inner) <= rect_right(outer) &&
	       rect_bottom(inner) <= rect_bottom(outer);
}

struct vrde_rect
video_rect_union(const struct vrde_rect *a, const struct vrde_rect *b)
{
	struct vrde_rect u;
	int64_t x0, y0;

	if (video_rect_empty(a))
		return *b;
	if (video_rect_empty(b))
		return *a;
	x0 = min64(a->x, b->x);
	y0 = min64(a->y, b->y);
	u.x = (int32_t)x0;
	u.y = (int32_t)y0;
	u.w = (uint32_t)(max64(rect_right(a), rect_right(b)) - x0);
	u.h = (uint32_t)(max64(rect_bottom(a), rect_bottom(b)) - y0);
	return u;
}

struct vrde_rect
video_rect_grow(const struct vrde_rect *r, uint32_t n)
{
	struct vrde_rect g = *r;

	g.x -= (int32_t)n;
	g.y -= (int32_t)n;
	g.w += 2 * n;
	g.h += 2 * n;
	return g;
}

bool
video_rect_near(const struct vrde_rect *a, const struct vrde_rect *b,
		uint32_t tol)
{
	return abs64((int64_t)a->x - b->x) <= tol &&
	       abs64((int64_t)a->y - b->y) <= tol &&
	       abs64(rect_right(a) - rect_right(b)) <= tol &&
	       abs64(rect_bottom(a) - rect_bottom(b)) <= tol;
}

static size_t
rect_piece(struct vrde_rect out[4], size_t n, int64_t x0, int64_t y0,
	   int64_t x1, int64_t y1)
{
	if (x1 <= x0 || y1 <= y0)
		return n;
	out[n].x = (int32_t)x0;
	out[n].y = (int32_t)y0;
	out[n].w = (uint32_t)(x1 - x0);
	out[n].h = (uint32_t)(y1 - y0);
	return n + 1;
}

size_t
video_rect_subtract(const struct vrde_rect *r, const struct vrde_rect *cut,
		    struct vrde_rect out[4])
{
	int64_t top, bottom;
	size_t n = 0;

	if (!video_rect_intersects(r, cut)) {
		out[0] = *r;
		return video_rect_empty(r) ? 0 : 1;
	}
	/* Full-width bands above and below the cut, then the parts left
	 * and right of it within the cut's rows. */
	top = max64(r->y, cut->y);
	bottom = min64(rect_bottom(r), rect_bottom(cut));
	n = rect_piece(out, n, r->x, r->y, rect_right(r), top);
	n = rect_piece(out, n, r->x, bottom, rect_right(r), rect_bottom(r));
	n = rect_piece(out, n, r->x, top, max64(r->x, cut->x), bottom);
	n = rect_piece(out, n, min64(rect_right(r), rect_right(cut)), top,
		       rect_right(r), bottom);
	return n;
}
