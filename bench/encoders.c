/*
 * encoders.c - single-core throughput and output size of every codec an
 * RDP server built on FreeRDP 2.11 can use, plus libjpeg-turbo.
 *
 * Each (codec, content) cell encodes the fixed synthetic frames of
 * frames.c, cycling through their phases, for a given CPU time, and prints
 * one JSON object per line: megapixels per CPU second and bytes per frame.
 * The process is pinned to one CPU so that codecs with internal thread
 * pools (RemoteFX, x264 through libavcodec) are measured on one core, the
 * way a per-screen encoder on a busy host sees them.  Planar and
 * interleaved are cut in 64x64 tiles, as RDP bitmap updates are (and as
 * FreeRDP's shadow server does); RemoteFX, H.264 and JPEG take the whole
 * frame.
 *
 * Usage: encoders [--codec a,b] [--content a,b] [--seconds S]
 *                 [--width W] [--height H] [--cpu N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <freerdp/codec/color.h>
#include <freerdp/codec/h264.h>
#include <freerdp/codec/interleaved.h>
#include <freerdp/codec/planar.h>
#include <freerdp/codec/rfx.h>
#include <turbojpeg.h>
#include <winpr/stream.h>
#include <winpr/wlog.h>

#include "frames.h"

#define ENC_PHASES 8
#define ENC_TILE   64

struct enc_state {
	unsigned w, h;
	int param; /* bpp or JPEG quality */
	BITMAP_PLANAR_CONTEXT *planar;
	BITMAP_INTERLEAVED_CONTEXT *interleaved;
	RFX_CONTEXT *rfx;
	wStream *stream;
	H264_CONTEXT *h264;
	tjhandle tj;
	uint8_t *buf;
	unsigned long buf_size;
};

struct enc_codec {
	const char *name;
	int param;
	int (*init)(struct enc_state *st);
	long (*encode)(struct enc_state *st, const uint8_t *px, size_t stride);
};

static int
enc_planar_init(struct enc_state *st)
{
	/* No alpha plane: what a server sends to clients with SkipAlpha. */
	st->planar = freerdp_bitmap_planar_context_new(
	    PLANAR_FORMAT_HEADER_RLE | PLANAR_FORMAT_HEADER_NA, ENC_TILE,
	    ENC_TILE);
	return st->planar ? 0 : -ENOMEM;
}

static long
enc_planar_tile(struct enc_state *st, const uint8_t *src, unsigned w,
		unsigned h, size_t stride)
{
	UINT32 size = 0;
	BYTE *out =
	    freerdp_bitmap_compress_planar(st->planar, src, PIXEL_FORMAT_BGRX32,
					   w, h, (UINT32)stride, NULL, &size);

	if (!out)
		return -1;
	free(out);
	return size;
}

static int
enc_interleaved_init(struct enc_state *st)
{
	st->interleaved = bitmap_interleaved_context_new(TRUE);
	st->buf_size = ENC_TILE * ENC_TILE * 4 + 1024;
	st->buf = malloc(st->buf_size);
	return st->interleaved && st->buf ? 0 : -ENOMEM;
}

static long
enc_interleaved_tile(struct enc_state *st, const uint8_t *src, unsigned w,
		     unsigned h, size_t stride)
{
	UINT32 size = (UINT32)st->buf_size;

	if (!interleaved_compress(st->interleaved, st->buf, &size, w, h, src,
				  PIXEL_FORMAT_BGRX32, (UINT32)stride, 0, 0,
				  NULL, (UINT32)st->param))
		return -1;
	return size;
}

/* Cuts the frame in 64x64 tiles (the last row/column smaller). */
static long
enc_tiled(struct enc_state *st, const uint8_t *px, size_t stride,
	  long (*tile)(struct enc_state *, const uint8_t *, unsigned, unsigned,
		       size_t))
{
	long total = 0;

	for (unsigned y = 0; y < st->h; y += ENC_TILE) {
		unsigned th = st->h - y < ENC_TILE ? st->h - y : ENC_TILE;
		for (unsigned x = 0; x < st->w; x += ENC_TILE) {
			unsigned tw =
			    st->w - x < ENC_TILE ? st->w - x : ENC_TILE;
			long n =
			    tile(st, px + y * stride + x * 4, tw, th, stride);
			if (n < 0)
				return -1;
			total += n;
		}
	}
	return total;
}

static long
enc_planar_encode(struct enc_state *st, const uint8_t *px, size_t stride)
{
	return enc_tiled(st, px, stride, enc_planar_tile);
}

static long
enc_interleaved_encode(struct enc_state *st, const uint8_t *px, size_t stride)
{
	return enc_tiled(st, px, stride, enc_interleaved_tile);
}

static int
enc_rfx_init(struct enc_state *st)
{
	st->rfx = rfx_context_new(TRUE);
	st->stream = Stream_New(NULL, 1 << 20);
	if (!st->rfx || !st->stream ||
	    !rfx_context_reset(st->rfx, st->w, st->h))
		return -ENOMEM;
	rfx_context_set_pixel_format(st->rfx, PIXEL_FORMAT_BGRX32);
	return 0;
}

static long
enc_rfx_encode(struct enc_state *st, const uint8_t *px, size_t stride)
{
	RFX_RECT rect = {0, 0, (UINT16)st->w, (UINT16)st->h};
	RFX_MESSAGE *msg =
	    rfx_encode_message(st->rfx, &rect, 1, px, st->w, st->h, stride);
	long n = -1;

	if (!msg)
		return -1;
	Stream_SetPosition(st->stream, 0);
	if (rfx_write_message(st->rfx, st->stream, msg))
		n = (long)Stream_GetPosition(st->stream);
	rfx_message_free(st->rfx, msg);
	return n;
}

static int
enc_h264_init(struct enc_state *st)
{
	st->h264 = h264_context_new(TRUE);
	if (!st->h264)
		return -ENOMEM;
	/* What FreeRDP's shadow server configures: VBR, 10 Mbit/s, 30 fps. */
	st->h264->RateControlMode = H264_RATECONTROL_VBR;
	st->h264->BitRate = 10000000;
	st->h264->FrameRate = 30;
	st->h264->QP = 0;
	return h264_context_reset(st->h264, st->w, st->h) ? 0 : -EINVAL;
}

static long
enc_h264_encode(struct enc_state *st, const uint8_t *px, size_t stride)
{
	BYTE *out = NULL;
	UINT32 size = 0;

	if (avc420_compress(st->h264, px, PIXEL_FORMAT_BGRX32, (UINT32)stride,
			    st->w, st->h, &out, &size) < 0)
		return -1;
	return size;
}

static int
enc_jpeg_init(struct enc_state *st)
{
	st->tj = tjInitCompress();
	st->buf_size = tjBufSize((int)st->w, (int)st->h, TJSAMP_420);
	st->buf = tjAlloc((int)st->buf_size);
	return st->tj && st->buf ? 0 : -ENOMEM;
}

static long
enc_jpeg_encode(struct enc_state *st, const uint8_t *px, size_t stride)
{
	unsigned long size = st->buf_size;

	if (tjCompress2(st->tj, px, (int)st->w, (int)stride, (int)st->h,
			TJPF_BGRX, &st->buf, &size, TJSAMP_420, st->param,
			TJFLAG_NOREALLOC | TJFLAG_FASTDCT) != 0)
		return -1;
	return (long)size;
}

static const struct enc_codec enc_codecs[] = {
    {"planar", 32, enc_planar_init, enc_planar_encode},
    {"interleaved16", 16, enc_interleaved_init, enc_interleaved_encode},
    {"interleaved24", 24, enc_interleaved_init, enc_interleaved_encode},
    {"rfx", 0, enc_rfx_init, enc_rfx_encode},
    {"avc420", 0, enc_h264_init, enc_h264_encode},
    {"jpeg30", 30, enc_jpeg_init, enc_jpeg_encode},
    {"jpeg75", 75, enc_jpeg_init, enc_jpeg_encode},
    {"jpeg100", 100, enc_jpeg_init, enc_jpeg_encode},
};

static void
enc_state_free(struct enc_state *st)
{
	if (st->planar)
		freerdp_bitmap_planar_context_free(st->planar);
	if (st->interleaved)
		bitmap_interleaved_context_free(st->interleaved);
	if (st->rfx)
		rfx_context_free(st->rfx);
	if (st->stream)
		Stream_Free(st->stream, TRUE);
	if (st->h264)
		h264_context_free(st->h264);
	if (st->tj) {
		tjDestroy(st->tj);
		tjFree(st->buf);
	} else {
		free(st->buf);
	}
}

static double
enc_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs one cell and prints its JSON line; returns 0 or -1. */
static int
enc_run_cell(const struct enc_codec *c, enum frames_kind kind,
	     uint8_t *const frames[ENC_PHASES], unsigned w, unsigned h,
	     double seconds)
{
	struct enc_state st = {.w = w, .h = h, .param = c->param};
	size_t stride = (size_t)w * 4;
	unsigned long frames_done = 0;
	double bytes = 0;

	if (c->init(&st) < 0) {
		fprintf(stderr, "encoders: %s: cannot create the encoder\n",
			c->name);
		enc_state_free(&st);
		return -1;
	}
	/* Warm-up: first frame (H.264 key frame, table set-up) not timed. */
	if (c->encode(&st, frames[0], stride) < 0)
		goto fail;
	double cpu0 = enc_now(CLOCK_PROCESS_CPUTIME_ID);
	double wall0 = enc_now(CLOCK_MONOTONIC), cpu = 0;
	while (cpu < seconds || frames_done < 3) {
		long n = c->encode(&st, frames[(frames_done + 1) % ENC_PHASES],
				   stride);
		if (n < 0)
			goto fail;
		bytes += (double)n;
		frames_done++;
		cpu = enc_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	}
	double wall = enc_now(CLOCK_MONOTONIC) - wall0;
	double mpix = (double)w * h * frames_done / 1e6;
	printf("{\"bench\":\"encoder\",\"codec\":\"%s\",\"content\":\"%s\","
	       "\"width\":%u,\"height\":%u,\"frames\":%lu,\"cpu_s\":%.4f,"
	       "\"wall_s\":%.4f,\"mpix_per_cpu_s\":%.2f,\"fps_per_core\":%.2f,"
	       "\"bytes_per_frame\":%.0f,\"compression\":%.2f}\n",
	       c->name, frames_kind_name(kind), w, h, frames_done, cpu, wall,
	       mpix / cpu, frames_done / cpu, bytes / frames_done,
	       (double)w * h * 4 * frames_done / (bytes > 0 ? bytes : 1));
	fflush(stdout);
	enc_state_free(&st);
	return 0;
fail:
	fprintf(stderr, "encoders: %s failed on %s content\n", c->name,
		frames_kind_name(kind));
	enc_state_free(&st);
	return -1;
}

/* True when `name` is in the comma-separated `list` (NULL = all). */
static int
enc_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',')) {
		p += *p == ',';
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || !p[n]))
			return 1;
	}
	return !list;
}

static int
enc_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "encoders: cannot pin to CPU %d: %s\n", cpu,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void
enc_usage(void)
{
	fprintf(stderr, "usage: encoders [--codec a,b] [--content a,b] "
			"[--seconds S] [--width W] [--height H] [--cpu N]\n");
	fprintf(stderr, "codecs:");
	for (size_t i = 0; i < sizeof(enc_codecs) / sizeof(enc_codecs[0]); i++)
		fprintf(stderr, " %s", enc_codecs[i].name);
	fprintf(stderr, "\ncontents: text ui photo noise\n");
}

int
main(int argc, char **argv)
{
	const char *codecs = NULL, *contents = NULL;
	unsigned w = 1920, h = 1080;
	double seconds = 1.0;
	int cpu = sched_getcpu(), failed = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			enc_usage();
			return 2;
		}
		if (!strcmp(argv[i], "--codec")) {
			codecs = v;
		} else if (!strcmp(argv[i], "--content")) {
			contents = v;
		} else if (!strcmp(argv[i], "--seconds")) {
			seconds = atof(v);
		} else if (!strcmp(argv[i], "--width")) {
			w = (unsigned)atoi(v);
		} else if (!strcmp(argv[i], "--height")) {
			h = (unsigned)atoi(v);
		} else if (!strcmp(argv[i], "--cpu")) {
			cpu = atoi(v);
		} else {
			enc_usage();
			return 2;
		}
		i++;
	}
	if (w < 64 || h < 64 || w > 8192 || h > 8192 || w % 4 || seconds <= 0) {
		fprintf(stderr, "encoders: bad size or duration\n");
		return 2;
	}
	WLog_SetLogLevel(WLog_GetRoot(), WLOG_FATAL);
	if (enc_pin(cpu < 0 ? 0 : cpu) < 0)
		return 1;
	uint8_t *frames[ENC_PHASES];
	for (int p = 0; p < ENC_PHASES; p++) {
		frames[p] = aligned_alloc(64, (size_t)w * h * 4);
		if (!frames[p]) {
			fprintf(stderr, "encoders: out of memory\n");
			return 1;
		}
	}
	for (int k = 0; k < FRAMES_COUNT; k++) {
		if (!enc_listed(contents, frames_kind_name(k)))
			continue;
		for (int p = 0; p < ENC_PHASES; p++)
			frames_render(k, (unsigned)p, frames[p], w, h,
				      (size_t)w * 4);
		for (size_t c = 0;
		     c < sizeof(enc_codecs) / sizeof(enc_codecs[0]); c++) {
			if (enc_listed(codecs, enc_codecs[c].name))
				failed |= enc_run_cell(&enc_codecs[c], k,
						       frames, w, h, seconds);
		}
	}
	for (int p = 0; p < ENC_PHASES; p++)
		free(frames[p]);
	return failed ? 1 : 0;
}
