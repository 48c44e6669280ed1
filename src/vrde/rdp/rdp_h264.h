/*
 * rdp_h264.h - the RDP module's H.264 encoder for AVC420 (rdp_h264.c).
 */
#ifndef VIREO_VRDE_RDP_H264_H
#define VIREO_VRDE_RDP_H264_H

#include <stdbool.h>
#include <stdint.h>

struct rdp_h264_params {
	uint32_t width, height; /* multiples of 16 */
	int quality;		/* VideoChannel/Quality, 10..100 */
	uint32_t max_kbps;	/* VideoChannel/MaxBitRate; 0: no cap */
	uint32_t fps;		/* nominal frame rate */
};

struct rdp_h264;

/** An encoder for @p.  NULL on failure. */
struct rdp_h264 *rdp_h264_new(const struct rdp_h264_params *p);
void rdp_h264_free(struct rdp_h264 *e);
/** Whether @e encodes pictures of @w x @h with the same settings as @p,
 * so a new stream of that size can take it over. */
bool rdp_h264_fits(const struct rdp_h264 *e, const struct rdp_h264_params *p);
/** Encode one BGRX picture of the encoder's size (stride @stride);
 * @idr asks for an instantaneous decoder refresh (a client that has no
 * earlier picture of this stream).  *@out stays valid until the next
 * call.  @return 0 or -errno. */
int rdp_h264_encode(struct rdp_h264 *e, const uint8_t *bgrx, uint32_t stride,
		    bool idr, const uint8_t **out, uint32_t *len);
/** The quantizer to announce in the AVC420 metablock (0..51). */
int rdp_h264_qp(const struct rdp_h264 *e);
/** "x264" (libx264 directly) or "freerdp" (FreeRDP's wrapper). */
const char *rdp_h264_backend(void);

#endif /* VIREO_VRDE_RDP_H264_H */
