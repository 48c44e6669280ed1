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
 * VideoChannel/Quality sets the encoder's bit rate: about 0.6 bit per
 * pixel at 100, scaling linearly (FreeRDP's x264 path ignores QP).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <winpr/crt.h>
#include <winpr/sysinfo.h>
#include <freerdp/channels/rdpgfx.h>
#include <freerdp/codec/color.h>

#include "rdp_video.h"
#include "rdp_video_int.h"

#define RDP_AVC_SURFACE_BASE   0x100 /* surface ids of video streams */
#define RDP_AVC_FPS	       30
#define RDP_AVC_SCREEN_SURFACE 1 /* rdp_gfx.c's surface of the screen */

static uint32_t
rdp_avc_bitrate(uint32_t w, uint32_t h, int quality)
{
	uint64_t br =
	    (uint64_t)w * h * RDP_AVC_FPS * (uint64_t)quality * 6 / 1000;

	return br < 100000 ? 100000 : br > 50000000 ? 50000000 : (uint32_t)br;
}

/* FreeRDP 2.11's h264_context_free() leaves the encoder's YUV planes
 * (allocated by avc420_compress()) behind: free them first. */
static void
rdp_avc_free(struct rdp_vcstream *vs)
{
	if (!vs->h264) {
		return;
	}
	for (int i = 0; i < 3; i++) {
		_aligned_free(vs->h264->pYUVData[i]);
		vs->h264->pYUVData[i] = NULL;
	}
	h264_context_free(vs->h264);
	vs->h264 = NULL;
}

int
rdp_video_avc_start(struct rdp_client *c, struct rdp_vcstream *vs)
{
	RdpgfxServerContext *gfx = c->gfx;
	RDPGFX_CREATE_SURFACE_PDU cs = {0};
	int slot = (int)(vs - c->video->s);

	if (!gfx || !c->gfx_surface) {
		return -EAGAIN;
	}
	vs->sw = (vs->rect.w + 15) & ~15u;
	vs->sh = (vs->rect.h + 15) & ~15u;
	vs->surface_id = (uint16_t)(RDP_AVC_SURFACE_BASE + slot);
	vs->h264 = h264_context_new(TRUE);
	if (!vs->h264) {
		return -ENOMEM;
	}
	vs->h264->RateControlMode = H264_RATECONTROL_VBR;
	vs->h264->BitRate = rdp_avc_bitrate(vs->sw, vs->sh, c->video->quality);
	vs->h264->FrameRate = RDP_AVC_FPS;
	vs->h264->QP = 0;
	if (!h264_context_reset(vs->h264, vs->sw, vs->sh)) {
		rdp_avc_free(vs);
		return -EIO;
	}
	cs.surfaceId = vs->surface_id;
	cs.width = (UINT16)vs->sw;
	cs.height = (UINT16)vs->sh;
	cs.pixelFormat = GFX_PIXEL_FORMAT_XRGB_8888;
	if (gfx->CreateSurface(gfx, &cs) != CHANNEL_RC_OK) {
		rdp_avc_free(vs);
		return -EIO;
	}
	vs->surface = true;
	return 0;
}

/* AVC420 into the stream's surface, then copy it onto the screen. */
static int
rdp_avc_commands(struct rdp_client *c, struct rdp_vcstream *vs, BYTE *data,
		 UINT32 len)
{
	RdpgfxServerContext *gfx = c->gfx;
	RECTANGLE_16 region = {0, 0, (UINT16)vs->rect.w, (UINT16)vs->rect.h};
	RDPGFX_H264_QUANT_QUALITY qq = {.qp = 22,
					.qualityVal = (BYTE)c->video->quality};
	RDPGFX_AVC420_BITMAP_STREAM avc = {.meta = {.numRegionRects = 1,
						    .regionRects = &region,
						    .quantQualityVals = &qq},
					   .length = len,
					   .data = data};
	RDPGFX_SURFACE_COMMAND cmd = {.surfaceId = vs->surface_id,
				      .codecId = RDPGFX_CODECID_AVC420,
				      .format = PIXEL_FORMAT_BGRX32,
				      .left = 0,
				      .top = 0,
				      .right = vs->sw,
				      .bottom = vs->sh,
				      .width = vs->sw,
				      .height = vs->sh,
				      .length = 0,
				      .data = NULL,
				      .extra = &avc};
	RDPGFX_POINT16 dst = {(UINT16)vs->rect.x, (UINT16)vs->rect.y};
	RDPGFX_SURFACE_TO_SURFACE_PDU s2s = {.surfaceIdSrc = vs->surface_id,
					     .surfaceIdDest =
						 RDP_AVC_SCREEN_SURFACE,
					     .rectSrc = region,
					     .destPtsCount = 1,
					     .destPts = &dst};

	if (gfx->SurfaceCommand(gfx, &cmd) != CHANNEL_RC_OK ||
	    gfx->SurfaceToSurface(gfx, &s2s) != CHANNEL_RC_OK) {
		return -EIO;
	}
	return 0;
}

int
rdp_video_avc_frame(struct rdp_client *c, struct rdp_vcstream *vs, uint64_t seq)
{
	RdpgfxServerContext *gfx = c->gfx;
	RDPGFX_START_FRAME_PDU sf;
	RDPGFX_END_FRAME_PDU ef;
	BYTE *out = NULL;
	UINT32 len = 0;
	int rc;

	if (!gfx || !vs->surface || !c->gfx_surface ||
	    c->frame_id - atomic_load(&c->frame_acked) >= RDP_GFX_INFLIGHT) {
		return 0;
	}
	rc = rdp_video_copy(c, vs->id, seq, &vs->rect, vs->sw, vs->sh);
	if (rc < 0) {
		return 0;
	}
	if (avc420_compress(vs->h264, c->video->buf, PIXEL_FORMAT_BGRX32,
			    vs->sw * 4, vs->sw, vs->sh, &out, &len) < 0 ||
	    !out) {
		return -EIO;
	}
	sf.frameId = ++c->frame_id;
	sf.timestamp = (UINT32)(GetTickCount64() & 0xffffffffu);
	ef.frameId = sf.frameId;
	if (atomic_load(&c->gfx_noack)) {
		atomic_store(&c->frame_acked, sf.frameId);
	}
	rc = gfx->StartFrame(gfx, &sf) == CHANNEL_RC_OK ? 0 : -EIO;
	if (rc == 0) {
		rc = rdp_avc_commands(c, vs, out, len);
	}
	if (rc == 0 && gfx->EndFrame(gfx, &ef) != CHANNEL_RC_OK) {
		rc = -EIO;
	}
	if (rc == 0) {
		c->video->frames++;
		c->video->bytes += len;
	}
	return rc < 0 ? rc : 1;
}

void
rdp_video_avc_end(struct rdp_client *c, struct rdp_vcstream *vs)
{
	RDPGFX_DELETE_SURFACE_PDU del = {.surfaceId = vs->surface_id};

	if (vs->surface && c->gfx) {
		c->gfx->DeleteSurface(c->gfx, &del);
	}
	vs->surface = false;
	rdp_avc_free(vs);
}
