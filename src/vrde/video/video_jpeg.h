/*
 * video_jpeg.h - JPEG frames for the video channel, via libjpeg-turbo's
 * TurboJPEG API (SIMD encoders, one call per frame).
 *
 * A handle keeps the TurboJPEG instance and an output buffer sized for the
 * largest frame seen, so encoding a stream allocates nothing per frame.
 * Handles are not thread-safe; use one per encoding thread.
 */
#ifndef VIREO_VIDEO_JPEG_H
#define VIREO_VIDEO_JPEG_H

#include <stddef.h>
#include <stdint.h>

#include "vrde/vrde.h"

struct video_jpeg;

/** @return a compressor handle, or NULL (out of memory / TurboJPEG). */
struct video_jpeg *video_jpeg_new(void);
void video_jpeg_free(struct video_jpeg *j);
/** TurboJPEG's message about the last encoder error. */
const char *video_jpeg_error(struct video_jpeg *j);

/**
 * Encode @r of an XRGB8888 image (bytes B,G,R,X; @stride bytes per line;
 * @pixels points at pixel (0,0)) at @quality (clamped to 10..100; 90 and
 * above keep full chroma, below that chroma is 4:2:0 as in VirtualBox's
 * MJPEG).  *@out points into the handle's buffer, valid until the next
 * call.  @return 0, -EINVAL for an empty rectangle, -EIO on an encoder
 * error (see video_jpeg_error()), -ENOMEM.
 */
int video_jpeg_encode(struct video_jpeg *j, const uint8_t *pixels,
		      uint32_t stride, const struct vrde_rect *r, int quality,
		      const uint8_t **out, size_t *len);

/**
 * Decode a JPEG frame into @dst (XRGB8888, @stride bytes per line) of
 * @width x @height pixels; the frame must have exactly that size.
 * @return 0, -EINVAL (not a JPEG / wrong size), -EIO.
 */
int video_jpeg_decode(struct video_jpeg *j, const uint8_t *data, size_t len,
		      uint8_t *dst, uint32_t stride, uint32_t width,
		      uint32_t height);

#endif /* VIREO_VIDEO_JPEG_H */
