/*
 * rdp_gfx_pdu.c - graphics pipeline PDUs (MS-RDPEGFX 2.2.1-2.2.2).
 *
 * Every PDU is RDPGFX_HEADER (cmdId, flags, pduLength including the
 * header, little-endian) and a body.  The server writes several PDUs into
 * one message (a whole frame), which rdp_gfx.c compresses as one.  The
 * client sends uncompressed messages of one or more PDUs; only the
 * capability advertisement and frame acknowledgements matter here, every
 * other PDU is skipped by its length.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "rdp_gfx_pdu.h"

#define GFX_HEADER	     8
#define GFX_WIRE1	     0x0001
#define GFX_SOLIDFILL	     0x0004
#define GFX_SURFACETOSURFACE 0x0005
#define GFX_CREATESURFACE    0x0009
#define GFX_DELETESURFACE    0x000a
#define GFX_STARTFRAME	     0x000b
#define GFX_ENDFRAME	     0x000c
#define GFX_FRAMEACK	     0x000d
#define GFX_RESETGRAPHICS    0x000e
#define GFX_MAPSURFACE	     0x000f
#define GFX_CAPSADVERTISE    0x0012
#define GFX_CAPSCONFIRM	     0x0013
#define GFX_XRGB_8888	     0x20
#define GFX_CAPSDATA_MAX     1024 /* far beyond any known capability set */

static uint32_t
gfx_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t
gfx_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int
gfx_parse_caps(const uint8_t *p, uint32_t n, struct rdp_gfx_in *in)
{
	uint16_t count;
	uint32_t off = 2, len;

	if (n < 2)
		return -EBADMSG;
	count = gfx_rd16(p);
	in->caps = true;
	in->ncaps = 0;
	for (uint16_t i = 0; i < count; i++) {
		if (n - off < 8)
			return -EBADMSG;
		len = gfx_rd32(p + off + 4);
		if (len > GFX_CAPSDATA_MAX || n - off - 8 < len)
			return -EBADMSG;
		if (in->ncaps < RDP_GFX_MAX_CAPS) {
			struct rdp_gfx_capset *cs = &in->cap[in->ncaps++];
			cs->version = gfx_rd32(p + off);
			cs->length = len;
			cs->flags = len >= 4 ? gfx_rd32(p + off + 8) : 0;
		}
		off += 8 + len;
	}
	return 0;
}

int
rdp_gfx_parse(const uint8_t *p, size_t n, struct rdp_gfx_in *in)
{
	uint16_t cmd;
	uint32_t len;
	int rc;

	memset(in, 0, sizeof(*in));
	while (n) {
		if (n < GFX_HEADER)
			return -EBADMSG;
		cmd = gfx_rd16(p);
		len = gfx_rd32(p + 4);
		if (len < GFX_HEADER || len > n)
			return -EBADMSG;
		if (cmd == GFX_CAPSADVERTISE) {
			rc = gfx_parse_caps(p + GFX_HEADER, len - GFX_HEADER,
					    in);
			if (rc < 0)
				return rc;
		} else if (cmd == GFX_FRAMEACK) {
			if (len - GFX_HEADER < 12)
				return -EBADMSG;
			in->ack = true;
			in->ack_queue = gfx_rd32(p + GFX_HEADER);
			in->ack_frame = gfx_rd32(p + GFX_HEADER + 4);
		} else {
			in->other++;
		}
		p += len;
		n -= len;
	}
	return 0;
}

static void
gfx_put16(struct rdp_zbuf *b, uint32_t v)
{
	uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	rdp_zbuf_put(b, le, 2);
}

static void
gfx_put32(struct rdp_zbuf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24)};

	rdp_zbuf_put(b, le, 4);
}

static void
gfx_header(struct rdp_zbuf *b, uint16_t cmd, uint32_t body)
{
	gfx_put16(b, cmd);
	gfx_put16(b, 0);
	gfx_put32(b, GFX_HEADER + body);
}

void
rdp_gfx_put_caps_confirm(struct rdp_zbuf *b, const struct rdp_gfx_capset *cs)
{
	static const uint8_t zero[GFX_CAPSDATA_MAX];
	uint32_t len = cs->length > GFX_CAPSDATA_MAX ? 4 : cs->length;

	gfx_header(b, GFX_CAPSCONFIRM, 8 + len);
	gfx_put32(b, cs->version);
	gfx_put32(b, len);
	if (len >= 4) {
		gfx_put32(b, cs->flags);
		rdp_zbuf_put(b, zero, len - 4);
	} else {
		rdp_zbuf_put(b, zero, len);
	}
}

void
rdp_gfx_put_reset(struct rdp_zbuf *b, uint32_t w, uint32_t h)
{
	/* one primary monitor; the PDU has a fixed size of 340 bytes */
	static const uint8_t pad[340];
	size_t start = b->len;

	gfx_header(b, GFX_RESETGRAPHICS, 340 - GFX_HEADER);
	gfx_put32(b, w);
	gfx_put32(b, h);
	gfx_put32(b, 1);
	gfx_put32(b, 0);
	gfx_put32(b, 0);
	gfx_put32(b, w - 1);
	gfx_put32(b, h - 1);
	gfx_put32(b, 1); /* MONITOR_PRIMARY */
	if (!b->oom)
		rdp_zbuf_put(b, pad, 340 - (b->len - start));
}

void
rdp_gfx_put_create_surface(struct rdp_zbuf *b, uint16_t id, uint16_t w,
			   uint16_t h)
{
	uint8_t fmt = GFX_XRGB_8888;

	gfx_header(b, GFX_CREATESURFACE, 7);
	gfx_put16(b, id);
	gfx_put16(b, w);
	gfx_put16(b, h);
	rdp_zbuf_put(b, &fmt, 1);
}

void
rdp_gfx_put_delete_surface(struct rdp_zbuf *b, uint16_t id)
{
	gfx_header(b, GFX_DELETESURFACE, 2);
	gfx_put16(b, id);
}

void
rdp_gfx_put_map_surface(struct rdp_zbuf *b, uint16_t id)
{
	gfx_header(b, GFX_MAPSURFACE, 12);
	gfx_put16(b, id);
	gfx_put16(b, 0);
	gfx_put32(b, 0);
	gfx_put32(b, 0);
}

void
rdp_gfx_put_start_frame(struct rdp_zbuf *b, uint32_t frame, uint32_t timestamp)
{
	gfx_header(b, GFX_STARTFRAME, 8);
	gfx_put32(b, timestamp);
	gfx_put32(b, frame);
}

void
rdp_gfx_put_end_frame(struct rdp_zbuf *b, uint32_t frame)
{
	gfx_header(b, GFX_ENDFRAME, 4);
	gfx_put32(b, frame);
}

static void
gfx_put_rect(struct rdp_zbuf *b, uint16_t x, uint16_t y, uint16_t w, uint16_t h)
{
	gfx_put16(b, x);
	gfx_put16(b, y);
	gfx_put16(b, (uint32_t)x + w);
	gfx_put16(b, (uint32_t)y + h);
}

void
rdp_gfx_put_wire1(struct rdp_zbuf *b, uint16_t surface, uint16_t codec,
		  uint16_t x, uint16_t y, uint16_t w, uint16_t h,
		  const uint8_t *pre, uint32_t prelen, const uint8_t *data,
		  uint32_t len)
{
	uint8_t fmt = GFX_XRGB_8888;

	gfx_header(b, GFX_WIRE1, 17 + prelen + len);
	gfx_put16(b, surface);
	gfx_put16(b, codec);
	rdp_zbuf_put(b, &fmt, 1);
	gfx_put_rect(b, x, y, w, h);
	gfx_put32(b, prelen + len);
	rdp_zbuf_put(b, pre, prelen);
	rdp_zbuf_put(b, data, len);
}

void
rdp_gfx_put_solid_fill(struct rdp_zbuf *b, uint16_t surface, uint32_t xrgb,
		       uint16_t x, uint16_t y, uint16_t w, uint16_t h)
{
	/* RDPGFX_COLOR32 is B, G, R, XA */
	uint8_t px[4] = {(uint8_t)xrgb, (uint8_t)(xrgb >> 8),
			 (uint8_t)(xrgb >> 16), 0xff};

	gfx_header(b, GFX_SOLIDFILL, 16);
	gfx_put16(b, surface);
	rdp_zbuf_put(b, px, 4);
	gfx_put16(b, 1);
	gfx_put_rect(b, x, y, w, h);
}

void
rdp_gfx_put_surface_to_surface(struct rdp_zbuf *b, uint16_t src, uint16_t dst,
			       uint16_t sx, uint16_t sy, uint16_t w, uint16_t h,
			       uint16_t dx, uint16_t dy)
{
	gfx_header(b, GFX_SURFACETOSURFACE, 18);
	gfx_put16(b, src);
	gfx_put16(b, dst);
	gfx_put_rect(b, sx, sy, w, h);
	gfx_put16(b, 1);
	gfx_put16(b, dx);
	gfx_put16(b, dy);
}
