/*
 * rdp_bitmap.c - the legacy screen path: BitmapUpdate with planar tiles
 * (no alpha plane for clients that allow skipping it, with alpha for
 * rdesktop, which only accepts that form) or interleaved RLE for sessions
 * below 32 bpp.  Works with every RDP client.  Updates are split to stay
 * under the client's MultifragMaxRequestSize; clients that acknowledge
 * frame markers get them, so their in-flight frames are bounded as well.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include <freerdp/update.h>

#include "rdp.h"

enum rdp_codec
rdp_bitmap_choose_codec(rdpSettings *s)
{
	switch (s->ColorDepth) {
	case 15:
		return RDP_CODEC_INTERLEAVED_15;
	case 16:
		return RDP_CODEC_INTERLEAVED_16;
	case 24:
		return RDP_CODEC_INTERLEAVED_24;
	default:
		/* FreeRDP swaps R and B of planar streams that carry an alpha
		 * plane; clients that allow skipping it get none. */
		return s->DrawAllowSkipAlpha ? RDP_CODEC_PLANAR_NA
					     : RDP_CODEC_PLANAR_ALPHA;
	}
}

static uint32_t
rdp_codec_bpp(enum rdp_codec codec)
{
	switch (codec) {
	case RDP_CODEC_INTERLEAVED_15:
		return 15;
	case RDP_CODEC_INTERLEAVED_16:
		return 16;
	case RDP_CODEC_INTERLEAVED_24:
		return 24;
	default:
		return 32;
	}
}

static void
rdp_bitmap_fill(BITMAP_DATA *b, const struct rdp_tile_out *t, uint32_t bpp)
{
	uint32_t bytes = (bpp + 7) / 8;

	b->destLeft = t->x;
	b->destTop = t->y;
	b->destRight = t->x + t->cw - 1;
	b->destBottom = t->y + t->ch - 1;
	b->width = t->w;
	b->height = t->h;
	b->bitsPerPixel = bpp;
	b->compressed = TRUE;
	b->bitmapDataStream = t->blob->data;
	b->bitmapLength = t->blob->len;
	b->cbCompFirstRowSize = 0;
	b->cbCompMainBodySize = t->blob->len;
	b->cbScanWidth = t->w * bytes;
	b->cbUncompressedSize = t->w * t->h * bytes;
}

/* Send @n tiles in as few BitmapUpdates as the fragment limit allows. */
static int
rdp_bitmap_emit(struct rdp_client *c, BITMAP_DATA *bd, uint32_t n)
{
	rdpContext *ctx = &c->ctx;
	uint32_t max = c->peer->settings->MultifragMaxRequestSize;
	uint32_t i = 0, start, size;
	BITMAP_UPDATE bu = {0};

	if (max < 0x3f80)
		max = 0x3f80;
	while (i < n) {
		start = i;
		size = 1024;
		do {
			size += bd[i].bitmapLength + 32;
			i++;
		} while (i < n && size + bd[i].bitmapLength + 32 < max);
		bu.count = bu.number = i - start;
		bu.rectangles = &bd[start];
		if (!ctx->update->BitmapUpdate(ctx, &bu))
			return -EIO;
	}
	return 0;
}

/* RemoteFX tiles as SurfaceBits (same per-tile messages as the graphics
 * pipeline uses, so they are shared with pipeline clients too). */
static int
rdp_bitmap_send_rfx(struct rdp_client *c, struct rdp_tile_out *t, uint32_t n)
{
	rdpContext *ctx = &c->ctx;
	SURFACE_BITS_COMMAND cmd = {0};
	SURFACE_FRAME_MARKER fm;
	int rc = 0;

	fm.frameAction = SURFACECMD_FRAMEACTION_BEGIN;
	fm.frameId = ++c->frame_id;
	if (c->frame_ack)
		ctx->update->SurfaceFrameMarker(ctx, &fm);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		cmd.cmdType = CMDTYPE_STREAM_SURFACE_BITS;
		cmd.destLeft = t[i].x;
		cmd.destTop = t[i].y;
		cmd.destRight = t[i].x + t[i].w;
		cmd.destBottom = t[i].y + t[i].h;
		cmd.bmp.bpp = 32;
		cmd.bmp.codecID = (UINT16)c->peer->settings->RemoteFxCodecId;
		cmd.bmp.width = (UINT16)t[i].w;
		cmd.bmp.height = (UINT16)t[i].h;
		cmd.bmp.bitmapDataLength = t[i].blob->len;
		cmd.bmp.bitmapData = t[i].blob->data;
		if (!ctx->update->SurfaceBits(ctx, &cmd))
			rc = -EIO;
	}
	fm.frameAction = SURFACECMD_FRAMEACTION_END;
	if (c->frame_ack)
		ctx->update->SurfaceFrameMarker(ctx, &fm);
	return rc;
}

int
rdp_bitmap_send(struct rdp_client *c)
{
	rdpContext *ctx = &c->ctx;
	struct rdp_tile_out *t;
	SURFACE_FRAME_MARKER fm;
	BITMAP_DATA *bd;
	uint32_t n, bpp = rdp_codec_bpp(c->codec);
	int rc = rdp_screen_take(c, &t, &n);

	if (rc < 0 || !n)
		return rc;
	if (c->codec == RDP_CODEC_GFX_RFX) {
		rc = rdp_bitmap_send_rfx(c, t, n);
		rdp_tiles_free(t, n);
		return rc;
	}
	bd = calloc(n, sizeof(*bd));
	if (!bd) {
		rdp_tiles_free(t, n);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		rdp_bitmap_fill(&bd[i], &t[i], bpp);
	if (c->frame_ack) {
		fm.frameAction = SURFACECMD_FRAMEACTION_BEGIN;
		fm.frameId = ++c->frame_id;
		ctx->update->SurfaceFrameMarker(ctx, &fm);
	}
	rc = rdp_bitmap_emit(c, bd, n);
	if (c->frame_ack) {
		fm.frameAction = SURFACECMD_FRAMEACTION_END;
		ctx->update->SurfaceFrameMarker(ctx, &fm);
	}
	free(bd);
	rdp_tiles_free(t, n);
	return rc;
}

int
rdp_bitmap_resize(struct rdp_client *c)
{
	rdpSettings *s = c->peer->settings;

	if (!s->DesktopResize) {
		rdp_warn(c->srv,
			 "client %u cannot follow the new screen size "
			 "(no DesktopResize); disconnecting",
			 c->vc.id);
		return -ENOTSUP;
	}
	s->DesktopWidth = c->width;
	s->DesktopHeight = c->height;
	/* Reactivation: Activate runs again and re-arms the client. */
	c->activated = false;
	if (!c->ctx.update->DesktopResize(&c->ctx))
		return -EIO;
	return 0;
}
