/*
 * rdp_zgfx.h - RDP 8.0 bulk compression (MS-RDPEGFX 2.2.5, "ZGFX") of the
 * graphics pipeline's channel data, server side.
 */
#ifndef VIREO_VRDE_RDP_ZGFX_H
#define VIREO_VRDE_RDP_ZGFX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; @oom is set once a growth failed and stays. */
struct rdp_zbuf {
	uint8_t *data;
	size_t len, cap;
	bool oom;
};

/** Make room for @more bytes.  @return false (and set oom) when out of
 * memory. */
bool rdp_zbuf_reserve(struct rdp_zbuf *b, size_t more);
void rdp_zbuf_put(struct rdp_zbuf *b, const void *p, size_t n);
void rdp_zbuf_free(struct rdp_zbuf *b);

struct rdp_zgfx;

/** A compressor with an empty history (the client's decompressor starts
 * empty when the channel opens).  NULL when out of memory. */
struct rdp_zgfx *rdp_zgfx_new(void);
void rdp_zgfx_free(struct rdp_zgfx *z);

/** Append @len bytes of @in to @out as one RDP_SEGMENTED_DATA structure
 * (segments of at most 65535 bytes, each compressed against everything
 * sent before, or stored when that is shorter).  Every byte sent on the
 * channel must pass through the same compressor, in order: the client's
 * history follows it.  @return 0 or -ENOMEM. */
int rdp_zgfx_compress(struct rdp_zgfx *z, const uint8_t *in, size_t len,
		      struct rdp_zbuf *out);

#endif /* VIREO_VRDE_RDP_ZGFX_H */
