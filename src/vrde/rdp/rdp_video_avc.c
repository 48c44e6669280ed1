/*
 * rdp_video_avc.c - H.264 (AVC420) video through the graphics pipeline
 * for clients without TSMF (xfreerdp, Remmina, newer mstsc).
 *
 * FreeRDP's client keeps one H.264 decoder per surface, sized to the
 * surface, and ignores a command's position; so each stream gets an
 * off-screen surface of its own (the rectangle rounded up to 16 pixels),
 * every frame is encoded into it, and SurfaceToSurface copies the visible
 * part onto the screen surface, all inside one StartFrame/EndFrame that
 * the client's frame acknowledgements bound like every other frame.
 * VideoChannel/Quality and VideoChannel/MaxBitRate set the encoder's
 * rate control (rdp_h264.c).  An encoder outlives its stream by one: the
 * next stream of the same size takes it over with a key frame.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <winpr/crt.h>
#include <winpr/sysinfo.h>
#include <freerdp/channels/rdpgfx.h>
#include <freerdp/codec/color.h>

#include "rdp.h"
#include "rdp_gfx_pdu.h"
#include "rdp_h264.h"
#include "rdp_video.h"
#include "rdp_video_int.h"

#define RDP_AVC_SURFACE_BASE   0x100 /* surface ids of video streams */
#define RDP_AVC_FPS	       30
#define RDP_AVC_SCREEN_SURFACE 1 /* rdp_gfx.c's surface of the screen */

static void
rdp_avc_params(struct rdp_client *c, const struct rdp_vcstream *vs,
	       struct rdp_h264_params *p)
{
	p->width = vs->sw;
	p->height = vs->sh;
	p->quality = c->video->quality;
	p->max_kbps = c->video->max_kbps;
	p->fps = RDP_AVC_FPS;
}

int
rdp_video_avc_start(struct rdp_client *c, struct rdp_vcstream *vs)
{
	struct rdp_video_client *cv = c->video;
	struct rdp_h264_params p;
	int slot = (int)(vs - cv->s);

	if (!c->gfx || !c->gfx_surface)
		return -EAGAIN;
	vs->sw = (vs->rect.w + 15) & ~15u;
	vs->sh = (vs->rect.h + 15) & ~15u;
	vs->surface_id = (uint16_t)(RDP_AVC_SURFACE_BASE + slot);
	rdp_avc_params(c, vs, &p);
	/* a stream of the size an ended one had takes its encoder over
	 * (a window moved or the player restarted), opening none */
	if (rdp_h264_fits(cv->spare, &p)) {
		vs->enc = cv->spare;
		cv->spare = NULL;
		cv->reused++;
	} else {
		vs->enc = rdp_h264_new(&p);
	}
	if (!vs->enc)
		return -ENOMEM;
	vs->need_idr = true;
	rdp_gfx_put_create_surface(rdp_gfx_pdus(c), vs->surface_id,
				   (uint16_t)vs->sw, (uint16_t)vs->sh);
	if (rdp_gfx_flush(c) < 0) {
		rdp_h264_free(vs->enc);
		vs->enc = NULL;
		return -EIO;
	}
	vs->surface = true;
	return 0;
}

/* AVC420 into the stream's surface, then copy it onto the screen.  The
 * bitmap data starts with the RFX_AVC420_METABLOCK: one region (the
 * visible rectangle) and its quantization and quality. */
static void
rdp_avc_commands(struct rdp_client *c, struct rdp_vcstream *vs,
		 const uint8_t *data, uint32_t len)
{
	uint16_t w = (uint16_t)vs->rect.w, h = (uint16_t)vs->rect.h;
	uint8_t meta[4 + 8 + 2] = {1,
				   0,
				   0,
				   0, /* numRegionRects */
				   0,
				   0,
				   0,
				   0,
				   (uint8_t)w,
				   (uint8_t)(w >> 8),
				   (uint8_t)h,
				   (uint8_t)(h >> 8),
				   (uint8_t)rdp_h264_qp(vs->enc),
				   (uint8_t)c->video->quality};

	rdp_gfx_put_wire1(rdp_gfx_pdus(c), vs->surface_id,
			  RDPGFX_CODECID_AVC420, 0, 0, (uint16_t)vs->sw,
			  (uint16_t)vs->sh, meta, sizeof(meta), data, len);
	rdp_gfx_put_surface_to_surface(
	    rdp_gfx_pdus(c), vs->surface_id, RDP_AVC_SCREEN_SURFACE, 0, 0, w, h,
	    (uint16_t)vs->rect.x, (uint16_t)vs->rect.y);
}

int
rdp_video_avc_frame(struct rdp_client *c, struct rdp_vcstream *vs, uint64_t seq)
{
	const uint8_t *out = NULL;
	uint32_t len = 0, id;
	int rc;

	if (!c->gfx || !vs->surface || !c->gfx_surface ||
	    c->frame_id - atomic_load(&c->frame_acked) >= RDP_GFX_INFLIGHT)
		return 0;
	rc = rdp_video_copy(c, vs->id, seq, &vs->rect, vs->sw, vs->sh);
	if (rc < 0)
		return 0;
	if (rdp_h264_encode(vs->enc, c->video->buf, vs->sw * 4, vs->need_idr,
			    &out, &len) < 0)
		return -EIO;
	vs->need_idr = false;
	if (!len)
		return 0;
	id = rdp_gfx_frame_start(c);
	rdp_avc_commands(c, vs, out, len);
	rc = rdp_gfx_frame_end(c, id);
	if (rc == 0) {
		c->video->frames++;
		c->video->bytes += len;
	}
	return rc < 0 ? rc : 1;
}

void
rdp_video_avc_end(struct rdp_client *c, struct rdp_vcstream *vs)
{
	if (vs->surface && c->gfx) {
		rdp_gfx_put_delete_surface(rdp_gfx_pdus(c), vs->surface_id);
		rdp_gfx_flush(c);
	}
	vs->surface = false;
	/* keep the encoder for a stream of the same size */
	if (vs->enc) {
		rdp_h264_free(c->video->spare);
		c->video->spare = vs->enc;
		vs->enc = NULL;
	}
}
