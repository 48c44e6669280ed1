/*
 * video-check.c - how close a picture is to the testcard's video.
 *
 *   video-check FILE.ppm X Y W H
 *
 * Reads a binary PPM (P6; the probe's framebuffer dump or its last TSMF
 * frame) and compares the W x H area at X,Y with TESTCARD_VIDEO_PIXEL for
 * every frame number (the picture repeats every 128 frames), then prints
 * the best match: "frame F mean M p99 P max X" (F modulo 128; M the mean
 * absolute error per channel; 99% of the channel values are within P).
 * Exit status 0, or 2 for an unreadable file or an area outside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/testcard.h"

static unsigned char *
read_ppm(const char *path, unsigned *w, unsigned *h)
{
	FILE *f = fopen(path, "rb");
	unsigned char *px = NULL;
	unsigned max;

	if (!f)
		return NULL;
	if (fscanf(f, "P6 %u %u %u", w, h, &max) == 3 && max == 255 &&
	    fgetc(f) != EOF && *w && *h && *w <= 16384 && *h <= 16384) {
		px = malloc((size_t)*w * *h * 3);
		if (px && fread(px, 3, (size_t)*w * *h, f) != (size_t)*w * *h) {
			free(px);
			px = NULL;
		}
	}
	fclose(f);
	return px;
}

struct score {
	double mean;
	int p99, max;
};

static struct score
score(const unsigned char *px, unsigned pw, unsigned x0, unsigned y0,
      unsigned w, unsigned h, unsigned f)
{
	unsigned long long hist[256] = {0}, sum = 0, acc = 0;
	unsigned long long total = (unsigned long long)w * h * 3;
	struct score s = {0, 0, 0};

	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++) {
			const unsigned char *p =
			    px + ((size_t)(y0 + y) * pw + x0 + x) * 3;
			unsigned v = TESTCARD_VIDEO_PIXEL(x, y, f);
			int d[3] = {abs(p[0] - (int)(v >> 16 & 0xff)),
				    abs(p[1] - (int)(v >> 8 & 0xff)),
				    abs(p[2] - (int)(v & 0xff))};

			for (int c = 0; c < 3; c++) {
				hist[d[c]]++;
				sum += (unsigned)d[c];
				s.max = d[c] > s.max ? d[c] : s.max;
			}
		}
	}
	s.mean = (double)sum / (double)total;
	for (s.p99 = 0; s.p99 < 255; s.p99++) {
		acc += hist[s.p99];
		if (acc * 100 >= total * 99)
			break;
	}
	return s;
}

int
main(int argc, char **argv)
{
	unsigned pw, ph, x, y, w, h, best_f = 0;
	struct score best = {1e9, 255, 255};
	unsigned char *px;

	if (argc != 6 || sscanf(argv[2], "%u", &x) != 1 ||
	    sscanf(argv[3], "%u", &y) != 1 || sscanf(argv[4], "%u", &w) != 1 ||
	    sscanf(argv[5], "%u", &h) != 1) {
		fprintf(stderr, "usage: video-check FILE.ppm X Y W H\n");
		return 2;
	}
	px = read_ppm(argv[1], &pw, &ph);
	if (!px || !w || !h || x + w > pw || y + h > ph) {
		fprintf(stderr,
			"video-check: %s: not a PPM of at least %ux%u\n",
			argv[1], x + w, y + h);
		return 2;
	}
	for (unsigned f = 0; f < 128; f++) {
		struct score s = score(px, pw, x, y, w, h, f);

		if (s.mean < best.mean) {
			best = s;
			best_f = f;
		}
	}
	printf("frame %u mean %.2f p99 %d max %d\n", best_f, best.mean,
	       best.p99, best.max);
	free(px);
	return 0;
}
