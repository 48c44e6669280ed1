/*
 * rdp_gfx_pdu.h - graphics pipeline (MS-RDPEGFX) PDUs: the ones the
 * server writes, and the parser of what a client sends (rdp_gfx_pdu.c).
 */
#ifndef VIREO_VRDE_RDP_GFX_PDU_H
#define VIREO_VRDE_RDP_GFX_PDU_H

#include <stdbool.h>
#include <stdint.h>

#include "rdp_zgfx.h"

#define RDP_GFX_MAX_CAPS 32 /* capability sets kept from one advertise */

struct rdp_gfx_capset {
	uint32_t version, length, flags;
};

/* What one message from the client said (later PDUs win). */
struct rdp_gfx_in {
	bool caps; /* a CapsAdvertise came */
	uint16_t ncaps;
	struct rdp_gfx_capset cap[RDP_GFX_MAX_CAPS];
	bool ack; /* a FrameAcknowledge came */
	uint32_t ack_frame, ack_queue;
	uint32_t other; /* PDUs of other kinds, skipped */
};

/** Parse the client's message @p[0..n) (one or more PDUs) into @in
 * (zeroed first).  @return 0, or -EBADMSG when a PDU is cut short or
 * malformed (what came before it is kept in @in). */
int rdp_gfx_parse(const uint8_t *p, size_t n, struct rdp_gfx_in *in);

/* PDU writers: append one PDU to @b. */
void rdp_gfx_put_caps_confirm(struct rdp_zbuf *b,
			      const struct rdp_gfx_capset *cs);
void rdp_gfx_put_reset(struct rdp_zbuf *b, uint32_t w, uint32_t h);
void rdp_gfx_put_create_surface(struct rdp_zbuf *b, uint16_t id, uint16_t w,
				uint16_t h);
void rdp_gfx_put_delete_surface(struct rdp_zbuf *b, uint16_t id);
void rdp_gfx_put_map_surface(struct rdp_zbuf *b, uint16_t id);
void rdp_gfx_put_start_frame(struct rdp_zbuf *b, uint32_t frame,
			     uint32_t timestamp);
void rdp_gfx_put_end_frame(struct rdp_zbuf *b, uint32_t frame);
/** WireToSurface1 for rectangle @x,@y,@w,@h: @pre (codec-specific
 * header, may be empty) followed by @data. */
void rdp_gfx_put_wire1(struct rdp_zbuf *b, uint16_t surface, uint16_t codec,
		       uint16_t x, uint16_t y, uint16_t w, uint16_t h,
		       const uint8_t *pre, uint32_t prelen, const uint8_t *data,
		       uint32_t len);
/** SolidFill of one rectangle with @xrgb. */
void rdp_gfx_put_solid_fill(struct rdp_zbuf *b, uint16_t surface, uint32_t xrgb,
			    uint16_t x, uint16_t y, uint16_t w, uint16_t h);
/** SurfaceToSurface of @w x @h at @sx,@sy to @dx,@dy. */
void rdp_gfx_put_surface_to_surface(struct rdp_zbuf *b, uint16_t src,
				    uint16_t dst, uint16_t sx, uint16_t sy,
				    uint16_t w, uint16_t h, uint16_t dx,
				    uint16_t dy);

#endif /* VIREO_VRDE_RDP_GFX_PDU_H */
