/*
 * video_rect.h - small rectangle arithmetic shared by the video code
 * (intersection, union, containment, subtraction).  Rectangles are
 * struct vrde_rect; an empty one has w == 0 or h == 0.
 */
#ifndef VIREO_VIDEO_RECT_H
#define VIREO_VIDEO_RECT_H

#include <stdbool.h>
#include <stddef.h>

#include "vrde/vrde.h"

bool video_rect_empty(const struct vrde_rect *r);
/** Whether @a and @b share at least one pixel. */
bool video_rect_intersects(const struct vrde_rect *a,
			   const struct vrde_rect *b);
/** Whether @a and @b overlap or share an edge (so their union is one
 * area, as when a damage tracker splits an area into bands). */
bool video_rect_touches(const struct vrde_rect *a, const struct vrde_rect *b);
/** Whether @inner lies entirely inside @outer. */
bool video_rect_contains(const struct vrde_rect *outer,
			 const struct vrde_rect *inner);
/** The bounding box of @a and @b (an empty rectangle is ignored). */
struct vrde_rect video_rect_union(const struct vrde_rect *a,
				  const struct vrde_rect *b);
/** @r grown by @n pixels on every side (x, y may go negative). */
struct vrde_rect video_rect_grow(const struct vrde_rect *r, uint32_t n);
/** Whether every edge of @a is within @tol pixels of @b's. */
bool video_rect_near(const struct vrde_rect *a, const struct vrde_rect *b,
		     uint32_t tol);
/**
 * @r minus @cut: the up to 4 pieces (above, below, left, right) into @out.
 * @return the number of pieces (0 when @cut covers @r; 1 and @r itself
 * when they do not intersect).
 */
size_t video_rect_subtract(const struct vrde_rect *r,
			   const struct vrde_rect *cut,
			   struct vrde_rect out[4]);

#endif /* VIREO_VIDEO_RECT_H */
