/*
 * video_jpeg.c - TurboJPEG wrapper (see video_jpeg.h).
 *
 * TurboJPEG can grow its own output buffer, but a buffer allocated once
 * with tjBufSize() for the frame size and passed with TJFLAG_NOREALLOC
 * keeps the per-frame path free of allocations.  TJPF_BGRX is exactly the
 * in-memory byte order of the host's XRGB8888 framebuffer, so no pixel is
 * converted before the encoder.
 */
#include "video_jpeg.h"

#include <errno.h>
#include <stdlib.h>
#include <turbojpeg.h>

struct video_jpeg {
	tjhandle enc;
	tjhandle dec;
	unsigned char *buf;
	unsigned long cap; /* bytes allocated at buf */
};

struct video_jpeg *
video_jpeg_new(void)
{
	struct video_jpeg *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->enc = tjInitCompress();
	if (!j->enc) {
		free(j);
		return NULL;
	}
	return j;
}

const char *
video_jpeg_error(struct video_jpeg *j)
{
	return tjGetErrorStr2(j->enc);
}

void
video_jpeg_free(struct video_jpeg *j)
{
	if (!j)
		return;
	if (j->enc)
		tjDestroy(j->enc);
	if (j->dec)
		tjDestroy(j->dec);
	tjFree(j->buf);
	free(j);
}

static int
jpeg_reserve(struct video_jpeg *j, uint32_t w, uint32_t h, int subsamp)
{
	unsigned long need = tjBufSize((int)w, (int)h, subsamp);

	if (need == (unsigned long)-1)
		return -EINVAL;
	if (need <= j->cap)
		return 0;
	tjFree(j->buf);
	j->buf = tjAlloc((int)need);
	j->cap = j->buf ? need : 0;
	return j->buf ? 0 : -ENOMEM;
}

int
video_jpeg_encode(struct video_jpeg *j, const uint8_t *pixels, uint32_t stride,
		  const struct vrde_rect *r, int quality, const uint8_t **out,
		  size_t *len)
{
	int subsamp, rc;
	unsigned long size;
	const uint8_t *src;

	if (r->w == 0 || r->h == 0 || r->x < 0 || r->y < 0 || r->w > 65535 ||
	    r->h > 65535)
		return -EINVAL;
	quality = quality < 10 ? 10 : quality > 100 ? 100 : quality;
	subsamp = quality >= 90 ? TJSAMP_444 : TJSAMP_420;
	rc = jpeg_reserve(j, r->w, r->h, subsamp);
	if (rc)
		return rc;
	src = pixels + (size_t)r->y * stride + (size_t)r->x * 4;
	size = j->cap;
	if (tjCompress2(j->enc, src, (int)r->w, (int)stride, (int)r->h,
			TJPF_BGRX, &j->buf, &size, subsamp, quality,
			TJFLAG_NOREALLOC) != 0)
		return -EIO;
	*out = j->buf;
	*len = size;
	return 0;
}

int
video_jpeg_decode(struct video_jpeg *j, const uint8_t *data, size_t len,
		  uint8_t *dst, uint32_t stride, uint32_t width,
		  uint32_t height)
{
	int w, h, subsamp, colorspace;

	if (!j->dec) {
		j->dec = tjInitDecompress();
		if (!j->dec)
			return -ENOMEM;
	}
	if (len == 0 || len > 0x7fffffff ||
	    tjDecompressHeader3(j->dec, data, (unsigned long)len, &w, &h,
				&subsamp, &colorspace) != 0)
		return -EINVAL;
	if ((uint32_t)w != width || (uint32_t)h != height)
		return -EINVAL;
	if (tjDecompress2(j->dec, data, (unsigned long)len, dst, w, (int)stride,
			  h, TJPF_BGRX, 0) != 0)
		return -EIO;
	return 0;
}
