/*
 * test-video-jpeg.c - JPEG frames of the video channel.
 *
 * Encodes a synthetic 640x360 frame (smooth gradients, a few hard edges,
 * like the testcard's video rectangle) from inside a larger framebuffer,
 * decodes it with TurboJPEG directly (not through the wrapper), and checks
 * the mean and maximum per-channel error at several qualities.  Bytes per
 * frame at quality 30, 75 and 100 are printed as TAP diagnostics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "tap.h"
#include "video_jpeg.h"

#define FB_W 1024
#define FB_H 768

static void
fill_frame(uint8_t *fb, uint32_t stride)
{
	for (uint32_t y = 0; y < FB_H; y++) {
		for (uint32_t x = 0; x < FB_W; x++) {
			uint8_t *p = fb + y * stride + x * 4;

			p[0] = (uint8_t)(x / 4);       /* B */
			p[1] = (uint8_t)(y / 3);       /* G */
			p[2] = (uint8_t)((x + y) / 7); /* R */
			p[3] = 0;
			/* a white box with a black frame: hard edges */
			if (x >= 300 && x < 400 && y >= 150 && y < 250) {
				int edge =
				    x < 304 || x >= 396 || y < 154 || y >= 246;

				p[0] = p[1] = p[2] = edge ? 0 : 255;
			}
		}
	}
}

struct err {
	double mean;
	int max;
};

/* Decode @jpg with plain TurboJPEG and compare with @r of @fb. */
static int
compare(const uint8_t *jpg, size_t len, const uint8_t *fb, uint32_t stride,
	const struct vrde_rect *r, struct err *e)
{
	tjhandle h = tjInitDecompress();
	int w, hh, ss, cs;
	uint8_t *out;
	uint64_t sum = 0;

	if (!h || tjDecompressHeader3(h, jpg, len, &w, &hh, &ss, &cs) ||
	    (uint32_t)w != r->w || (uint32_t)hh != r->h)
		return -EINVAL;
	out = malloc((size_t)w * hh * 4);
	if (tjDecompress2(h, jpg, len, out, w, w * 4, hh, TJPF_BGRX, 0)) {
		free(out);
		return -EIO;
	}
	e->max = 0;
	for (int y = 0; y < hh; y++) {
		for (int x = 0; x < w; x++) {
			const uint8_t *a = out + ((size_t)y * w + x) * 4;
			const uint8_t *b = fb + (size_t)(r->y + y) * stride +
					   (size_t)(r->x + x) * 4;

			for (int c = 0; c < 3; c++) {
				int d = abs(a[c] - b[c]);

				sum += (uint64_t)d;
				e->max = d > e->max ? d : e->max;
			}
		}
	}
	e->mean = (double)sum / ((double)w * hh * 3);
	free(out);
	tjDestroy(h);
	return 0;
}

int
main(void)
{
	static const struct {
		int q;
		double mean; /* limits, generous but able to fail */
		int max;
	} qs[] = {{30, 3.0, 100}, {75, 1.5, 60}, {100, 0.75, 6}};
	uint32_t stride = FB_W * 4;
	uint8_t *fb = malloc((size_t)stride * FB_H);
	struct video_jpeg *j = video_jpeg_new();
	struct vrde_rect r = {200, 100, 640, 360};
	struct vrde_rect empty = {0, 0, 0, 10};
	size_t sizes[3];
	const uint8_t *out;
	size_t len;
	uint8_t *dec;

	tap_plan(10);
	fill_frame(fb, stride);
	tap_ok(j != NULL, "TurboJPEG handle created");
	for (int i = 0; i < 3; i++) {
		struct err e = {0, 0};
		int rc =
		    video_jpeg_encode(j, fb, stride, &r, qs[i].q, &out, &len);

		sizes[i] = len;
		if (rc == 0)
			rc = compare(out, len, fb, stride, &r, &e);
		tap_ok(rc == 0 && e.mean <= qs[i].mean && e.max <= qs[i].max,
		       "quality %d: 640x360 round trip, mean error %.2f <= "
		       "%.1f, max %d <= %d",
		       qs[i].q, e.mean, qs[i].mean, e.max, qs[i].max);
		tap_diag("quality %d: %zu bytes per 640x360 frame (%.3f "
			 "bits/pixel)",
			 qs[i].q, len, len * 8.0 / (640.0 * 360.0));
	}
	tap_ok(sizes[0] < sizes[1] && sizes[1] < sizes[2],
	       "higher quality, more bytes (%zu < %zu < %zu)", sizes[0],
	       sizes[1], sizes[2]);
	tap_ok(video_jpeg_encode(j, fb, stride, &empty, 75, &out, &len) ==
		   -EINVAL,
	       "an empty rectangle is refused");
	/* the wrapper's decoder, used by the probe client */
	dec = malloc(640 * 360 * 4);
	video_jpeg_encode(j, fb, stride, &r, 100, &out, &len);
	tap_ok(video_jpeg_decode(j, out, len, dec, 640 * 4, 640, 360) == 0 &&
		   abs(dec[(100 * 640 + 150) * 4 + 1] -
		       fb[(200) * stride + 350 * 4 + 1]) <= 12,
	       "video_jpeg_decode() places the pixels");
	tap_ok(video_jpeg_decode(j, out, len, dec, 640 * 4, 320, 360) ==
		   -EINVAL,
	       "a frame of the wrong size is refused");
	tap_ok(video_jpeg_decode(j, (const uint8_t *)"not a jpeg", 10, dec,
				 640 * 4, 640, 360) == -EINVAL,
	       "garbage is refused");
	tap_ok(video_jpeg_encode(j, fb, stride, &r, 5, &out, &len) == 0 &&
		   len < sizes[0],
	       "quality below 10 is clamped, not refused");
	free(dec);
	video_jpeg_free(j);
	free(fb);
	return tap_done();
}
