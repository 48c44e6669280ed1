/*
 * test-h264.c - the RDP module's H.264 encoder (rdp_h264.c) follows its
 * settings: the same 40 frames cost fewer bytes at a lower
 * VideoChannel/Quality (30 < 75 < 100), a VideoChannel/MaxBitRate cap
 * bounds them, and what it sends decodes (FreeRDP's AVC420 decoder, the
 * one xfreerdp runs) to the picture, closer at a higher quality.  Bytes
 * and pixels only, no timing.  Without libx264 at build time the
 * settings cannot steer FreeRDP's wrapper: the quality checks SKIP.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/codec/color.h>
#include <freerdp/codec/h264.h>

#include "tap.h"
#include "vrde/rdp/rdp_h264.h"

#define W      320
#define H      192
#define FRAMES 40

static uint32_t pic[W * H], got[W * H];

/* A moving picture with detail: gradients, a sliding box, some noise. */
static void
paint(int f)
{
	uint32_t seed = 777u + (uint32_t)f;

	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint32_t r = (uint32_t)(x * 255 / W + f * 3) & 255;
			uint32_t g = (uint32_t)(y * 255 / H) & 255;
			uint32_t b = (uint32_t)((x ^ y) + f * 5) & 255;
			seed = seed * 1103515245u + 12345u;
			if (x > 40 + f * 4 && x < 120 + f * 4 && y > 50 &&
			    y < 130)
				r = g = b = (seed >> 16) & 255;
			pic[y * W + x] = r << 16 | g << 8 | b;
		}
}

/* Encode FRAMES frames; @return total bytes (0 on failure); the mean
 * absolute error of the last frame, decoded, in *@err. */
static size_t
run(int quality, uint32_t max_kbps, double *err)
{
	struct rdp_h264_params p = {W, H, quality, max_kbps, 25};
	struct rdp_h264 *e = rdp_h264_new(&p);
	H264_CONTEXT *dec = h264_context_new(FALSE);
	RECTANGLE_16 all = {0, 0, W, H};
	const uint8_t *out;
	uint32_t len;
	size_t total = 0;
	uint64_t sum = 0;

	*err = 1e9;
	if (!e || !dec || !h264_context_reset(dec, W, H))
		goto done;
	for (int f = 0; f < FRAMES; f++) {
		paint(f);
		if (rdp_h264_encode(e, (const uint8_t *)pic, W * 4, f == 0,
				    &out, &len) < 0) {
			total = 0;
			goto done;
		}
		total += len;
		if (len && avc420_decompress(dec, out, len, (BYTE *)got,
					     PIXEL_FORMAT_BGRX32, W * 4, W, H,
					     &all, 1) < 0) {
			total = 0;
			goto done;
		}
	}
	for (int i = 0; i < W * H; i++)
		for (int k = 0; k < 24; k += 8)
			sum += (uint64_t)abs((int)(pic[i] >> k & 255) -
					     (int)(got[i] >> k & 255));
	*err = (double)sum / (W * H * 3);
done:
	rdp_h264_free(e);
	h264_context_free(dec);
	return total;
}

int
main(void)
{
	double e30, e75, e100, ecap;
	size_t b30, b75, b100, bcap;
	/* 40 frames at 25 fps are 1.6 s: 200 kbit/s allow 40,000 bytes */
	const uint32_t cap = 200;
	const size_t cap_bytes = (size_t)cap * 1000 / 8 * FRAMES / 25;

	tap_plan(6);
	b100 = run(100, 0, &e100);
	tap_ok(b100 > 0 && e100 < 6,
	       "quality 100: %zu bytes, decodes to the picture (mean error "
	       "%.2f)",
	       b100, e100);
	if (strcmp(rdp_h264_backend(), "x264")) {
		for (int i = 0; i < 5; i++)
			tap_skip("built without libx264: FreeRDP's wrapper "
				 "ignores the quality");
		return tap_done();
	}
	b75 = run(75, 0, &e75);
	b30 = run(30, 0, &e30);
	tap_ok(b30 > 0 && b30 < b75 && b75 < b100,
	       "bytes follow the quality: %zu < %zu < %zu", b30, b75, b100);
	tap_ok(e30 >= e75 && e75 >= e100,
	       "so does the error: %.2f >= %.2f >= %.2f", e30, e75, e100);
	tap_ok(e30 < 40, "quality 30 still shows the picture (error %.2f)",
	       e30);
	bcap = run(100, cap, &ecap);
	tap_ok(bcap > 0 && bcap < b100,
	       "a %u kbit/s cap at quality 100: %zu bytes (uncapped %zu)", cap,
	       bcap, b100);
	tap_ok(bcap <= cap_bytes * 3 / 2,
	       "and close to the cap: %zu <= 1.5 x %zu", bcap, cap_bytes);
	return tap_done();
}
