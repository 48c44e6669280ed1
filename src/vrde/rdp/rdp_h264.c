/*
 * rdp_h264.c - H.264 for AVC420, low latency, following its settings.
 *
 * FreeRDP 2.11's encoder wrapper (libavcodec over libx264 in Debian) only
 * takes an average bit rate: on simple pictures x264 reaches its lowest
 * quantizer before that rate (bench/results: "final ratefactor -10.5",
 * average QP 0.9) and VideoChannel/Quality changed nothing.  With libx264
 * driven directly the quality is a constant rate factor, from CRF 47 at
 * quality 10 to 11 at 100, so bytes follow it, and VideoChannel/MaxBitRate
 * caps the rate with a VBV buffer of two frames, short enough not to add
 * latency.  The settings are x264's "superfast" preset with "zerolatency"
 * tuning: no B-frames, no lookahead, every frame out as soon as it is in;
 * one thread (the client thread), a key frame only when asked for (a new
 * client or stream) and at most every 10 s.  "superfast" over "veryfast"
 * (bench/README.md, 640x368 test video): 35-45 % less CPU per frame and
 * fewer bytes at the same PSNR at quality 30, 75 and 100; "ultrafast"
 * would drop CABAC too, which costs bytes on natural video.
 *
 * Without libx264 at build time, FreeRDP's wrapper is used as before.
 * The colour conversion is FreeRDP's own in both cases (the one its
 * decoder inverts).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <winpr/crt.h>
#include <freerdp/codec/color.h>
#include <freerdp/codec/h264.h>
#include <freerdp/primitives.h>
#ifdef HAVE_X264
#include <x264.h>
#endif

#include "rdp_h264.h"

struct rdp_h264 {
	struct rdp_h264_params p;
	int qp;
#ifdef HAVE_X264
	x264_t *x;
	uint8_t *yuv[3];
	uint32_t ystride[3];
#else
	H264_CONTEXT *ctx;
	uint8_t *out;
#endif
};

static int
rdp_h264_crf(int quality)
{
	int q = quality < 10 ? 10 : quality > 100 ? 100 : quality;

	return 51 - (q * 2 + 2) / 5; /* 10 -> 47, 75 -> 21, 100 -> 11 */
}

bool
rdp_h264_fits(const struct rdp_h264 *e, const struct rdp_h264_params *p)
{
#ifndef HAVE_X264
	return false; /* the wrapper cannot be asked for a key frame */
#endif
	return e && e->p.width == p->width && e->p.height == p->height &&
	       e->p.quality == p->quality && e->p.max_kbps == p->max_kbps &&
	       e->p.fps == p->fps;
}

int
rdp_h264_qp(const struct rdp_h264 *e)
{
	return e->qp;
}

#ifdef HAVE_X264

const char *
rdp_h264_backend(void)
{
	return "x264";
}

struct rdp_h264 *
rdp_h264_new(const struct rdp_h264_params *p)
{
	struct rdp_h264 *e = calloc(1, sizeof(*e));
	x264_param_t xp;

	if (!e)
		return NULL;
	e->p = *p;
	e->qp = rdp_h264_crf(p->quality);
	if (x264_param_default_preset(&xp, "superfast", "zerolatency") < 0)
		goto fail;
	xp.i_log_level = X264_LOG_ERROR;
	xp.i_width = (int)p->width;
	xp.i_height = (int)p->height;
	xp.i_csp = X264_CSP_I420;
	xp.i_fps_num = p->fps ? p->fps : 30;
	xp.i_fps_den = 1;
	xp.i_threads = 1;
	xp.i_bframe = 0;
	xp.rc.i_lookahead = 0;
	xp.i_keyint_max = (int)xp.i_fps_num * 10;
	xp.b_annexb = 1;
	xp.b_repeat_headers = 1;
	xp.rc.i_rc_method = X264_RC_CRF;
	xp.rc.f_rf_constant = (float)e->qp;
	if (p->max_kbps) {
		xp.rc.i_vbv_max_bitrate = (int)p->max_kbps;
		xp.rc.i_vbv_buffer_size =
		    (int)(p->max_kbps * 2 / (uint32_t)xp.i_fps_num) + 1;
	}
	xp.vui.b_fullrange = 0; /* as FreeRDP's wrapper leaves it */
	if (x264_param_apply_profile(&xp, "high") < 0)
		goto fail;
	e->x = x264_encoder_open(&xp);
	if (!e->x)
		goto fail;
	e->ystride[0] = p->width;
	e->ystride[1] = e->ystride[2] = p->width / 2;
	e->yuv[0] = malloc((size_t)p->width * p->height);
	e->yuv[1] = malloc((size_t)p->width * p->height / 4);
	e->yuv[2] = malloc((size_t)p->width * p->height / 4);
	if (!e->yuv[0] || !e->yuv[1] || !e->yuv[2])
		goto fail;
	return e;
fail:
	rdp_h264_free(e);
	return NULL;
}

void
rdp_h264_free(struct rdp_h264 *e)
{
	if (!e)
		return;
	if (e->x)
		x264_encoder_close(e->x);
	for (int i = 0; i < 3; i++)
		free(e->yuv[i]);
	free(e);
}

int
rdp_h264_encode(struct rdp_h264 *e, const uint8_t *bgrx, uint32_t stride,
		bool idr, const uint8_t **out, uint32_t *len)
{
	primitives_t *prims = primitives_get();
	prim_size_t roi = {e->p.width, e->p.height};
	x264_picture_t in, pic;
	x264_nal_t *nal;
	int nnal, size;

	if (prims->RGBToYUV420_8u_P3AC4R(bgrx, PIXEL_FORMAT_BGRX32, stride,
					 e->yuv, e->ystride,
					 &roi) != PRIMITIVES_SUCCESS)
		return -EIO;
	x264_picture_init(&in);
	in.img.i_csp = X264_CSP_I420;
	in.img.i_plane = 3;
	for (int i = 0; i < 3; i++) {
		in.img.plane[i] = e->yuv[i];
		in.img.i_stride[i] = (int)e->ystride[i];
	}
	in.i_type = idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
	size = x264_encoder_encode(e->x, &nal, &nnal, &in, &pic);
	if (size < 0)
		return -EIO;
	/* zerolatency: every picture comes out at once, its NAL units
	 * contiguous in memory */
	*out = nnal ? nal[0].p_payload : NULL;
	*len = (uint32_t)size;
	return 0;
}

#else /* FreeRDP's wrapper */

const char *
rdp_h264_backend(void)
{
	return "freerdp";
}

/* About 0.6 bit per pixel at quality 100, capped: this wrapper has an
 * average rate and nothing else. */
static uint32_t
rdp_h264_bitrate(const struct rdp_h264_params *p)
{
	uint64_t br = (uint64_t)p->width * p->height * (p->fps ? p->fps : 30) *
		      (uint64_t)p->quality * 6 / 1000;

	if (p->max_kbps && br > (uint64_t)p->max_kbps * 1000)
		br = (uint64_t)p->max_kbps * 1000;
	return br < 100000 ? 100000 : br > 50000000 ? 50000000 : (uint32_t)br;
}

struct rdp_h264 *
rdp_h264_new(const struct rdp_h264_params *p)
{
	struct rdp_h264 *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->p = *p;
	e->qp = 22;
	e->ctx = h264_context_new(TRUE);
	if (!e->ctx) {
		free(e);
		return NULL;
	}
	e->ctx->RateControlMode = H264_RATECONTROL_VBR;
	e->ctx->BitRate = rdp_h264_bitrate(p);
	e->ctx->FrameRate = p->fps ? p->fps : 30;
	e->ctx->QP = 0;
	if (!h264_context_reset(e->ctx, p->width, p->height)) {
		rdp_h264_free(e);
		return NULL;
	}
	return e;
}

/* FreeRDP 2.11's h264_context_free() leaves the encoder's YUV planes
 * (allocated by avc420_compress()) behind: free them first. */
void
rdp_h264_free(struct rdp_h264 *e)
{
	if (!e)
		return;
	if (e->ctx) {
		for (int i = 0; i < 3; i++) {
			_aligned_free(e->ctx->pYUVData[i]);
			e->ctx->pYUVData[i] = NULL;
		}
		h264_context_free(e->ctx);
	}
	free(e);
}

int
rdp_h264_encode(struct rdp_h264 *e, const uint8_t *bgrx, uint32_t stride,
		bool idr, const uint8_t **out, uint32_t *len)
{
	BYTE *o = NULL;
	UINT32 n = 0;

	(void)idr; /* the wrapper starts every encoder with a key frame */
	if (avc420_compress(e->ctx, bgrx, PIXEL_FORMAT_BGRX32, stride,
			    e->p.width, e->p.height, &o, &n) < 0 ||
	    !o)
		return -EIO;
	*out = o;
	*len = n;
	return 0;
}

#endif
