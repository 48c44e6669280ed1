/*
 * rdp_gfx.c - the graphics pipeline (MS-RDPEGFX) path: one surface the
 * size of the client's VM screen, planar (lossless) tiles inside
 * StartFrame/EndFrame, frame acknowledgements bounding what is in flight,
 * ResetGraphics when the screen changes size.
 *
 * FreeRDP's rdpgfx server runs its own reader thread, so the capability
 * and acknowledgement callbacks only set atomics and wake the client
 * thread; every PDU is sent from the client thread.
 *
 * Hook for more codecs (video regions): rdp_gfx_send() is the one place a
 * frame is assembled.  An extra codec adds a surface (CreateSurface with
 * its own id), sends its SurfaceCommand(s) between StartFrame and EndFrame
 * next to the planar tiles, and lets the acknowledgement accounting below
 * bound it together with everything else.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <winpr/sysinfo.h>
#include <freerdp/channels/rdpgfx.h>

#include "rdp.h"

#define RDP_GFX_SURFACE 1

static UINT
rdp_gfx_caps_advertise(RdpgfxServerContext *gfx,
		       const RDPGFX_CAPS_ADVERTISE_PDU *adv)
{
	static const UINT32 order[] = {
	    RDPGFX_CAPVERSION_107, RDPGFX_CAPVERSION_106, RDPGFX_CAPVERSION_105,
	    RDPGFX_CAPVERSION_104, RDPGFX_CAPVERSION_103, RDPGFX_CAPVERSION_102,
	    RDPGFX_CAPVERSION_101, RDPGFX_CAPVERSION_10,  RDPGFX_CAPVERSION_81,
	    RDPGFX_CAPVERSION_8};
	struct rdp_client *c = gfx->custom;
	RDPGFX_CAPS_CONFIRM_PDU pdu;
	RDPGFX_CAPSET caps;
	UINT rc;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		for (UINT16 k = 0; k < adv->capsSetCount; k++) {
			if (adv->capsSets[k].version != order[i])
				continue;
			caps = adv->capsSets[k];
			/* planar only for now: no H.264 */
			if (caps.version >= RDPGFX_CAPVERSION_10)
				caps.flags |= RDPGFX_CAPS_FLAG_AVC_DISABLED;
			else
				caps.flags &= ~RDPGFX_CAPS_FLAG_AVC420_ENABLED;
			rdp_video_gfx_caps(c, &adv->capsSets[k], &caps);
			pdu.capsSet = &caps;
			rc = gfx->CapsConfirm(gfx, &pdu);
			if (rc == CHANNEL_RC_OK) {
				atomic_store(&c->gfx_ready, true);
				SetEvent(c->wake);
			}
			return rc;
		}
	}
	rdp_warn(c->srv, "client %u: no known graphics pipeline version",
		 c->id);
	return CHANNEL_RC_UNSUPPORTED_VERSION;
}

static UINT
rdp_gfx_frame_ack(RdpgfxServerContext *gfx,
		  const RDPGFX_FRAME_ACKNOWLEDGE_PDU *ack)
{
	struct rdp_client *c = gfx->custom;

	if (ack->queueDepth == SUSPEND_FRAME_ACKNOWLEDGEMENT)
		atomic_store(&c->gfx_noack, true);
	atomic_store(&c->frame_acked, ack->frameId);
	SetEvent(c->wake);
	return CHANNEL_RC_OK;
}

int
rdp_gfx_open(struct rdp_client *c)
{
	RdpgfxServerContext *gfx = rdpgfx_server_context_new(c->vcm);

	if (!gfx)
		return -ENOMEM;
	gfx->rdpcontext = &c->ctx;
	gfx->custom = c;
	gfx->CapsAdvertise = rdp_gfx_caps_advertise;
	gfx->FrameAcknowledge = rdp_gfx_frame_ack;
	c->gfx = gfx;
	if (!gfx->Open(gfx)) {
		rdpgfx_server_context_free(gfx);
		c->gfx = NULL;
		return -EIO;
	}
	return 0;
}

void
rdp_gfx_close(struct rdp_client *c)
{
	if (!c->gfx)
		return;
	c->gfx->Close(c->gfx);
	rdpgfx_server_context_free(c->gfx);
	c->gfx = NULL;
	atomic_store(&c->gfx_ready, false);
}

/* (Re)create the surface for the current session size. */
static int
rdp_gfx_reset(struct rdp_client *c)
{
	RdpgfxServerContext *gfx = c->gfx;
	MONITOR_DEF mon = {.left = 0,
			   .top = 0,
			   .right = (INT32)c->width - 1,
			   .bottom = (INT32)c->height - 1,
			   .flags = MONITOR_PRIMARY};
	RDPGFX_RESET_GRAPHICS_PDU reset = {.width = c->width,
					   .height = c->height,
					   .monitorCount = 1,
					   .monitorDefArray = &mon};
	RDPGFX_CREATE_SURFACE_PDU cs = {.surfaceId = RDP_GFX_SURFACE,
					.width = (UINT16)c->width,
					.height = (UINT16)c->height,
					.pixelFormat =
					    GFX_PIXEL_FORMAT_XRGB_8888};
	RDPGFX_MAP_SURFACE_TO_OUTPUT_PDU map = {.surfaceId = RDP_GFX_SURFACE};
	RDPGFX_DELETE_SURFACE_PDU del = {.surfaceId = RDP_GFX_SURFACE};

	if (c->gfx_surface && gfx->DeleteSurface(gfx, &del) != CHANNEL_RC_OK)
		return -EIO;
	c->gfx_surface = false;
	if (gfx->ResetGraphics(gfx, &reset) != CHANNEL_RC_OK ||
	    gfx->CreateSurface(gfx, &cs) != CHANNEL_RC_OK ||
	    gfx->MapSurfaceToOutput(gfx, &map) != CHANNEL_RC_OK)
		return -EIO;
	c->gfx_surface = true;
	rdp_video_gfx_reset(c);
	c->need_full = true;
	c->codec = c->srv->gfx_rfx ? RDP_CODEC_GFX_RFX : RDP_CODEC_GFX_PLANAR;
	return 0;
}

int
rdp_gfx_resize(struct rdp_client *c)
{
	return rdp_gfx_reset(c);
}

static int
rdp_gfx_tile(struct rdp_client *c, const struct rdp_tile_out *t)
{
	RDPGFX_SURFACE_COMMAND cmd = {
	    .surfaceId = RDP_GFX_SURFACE,
	    .codecId = c->codec == RDP_CODEC_GFX_RFX ? RDPGFX_CODECID_CAVIDEO
						     : RDPGFX_CODECID_PLANAR,
	    .format = PIXEL_FORMAT_BGRX32,
	    .left = t->x,
	    .top = t->y,
	    .right = t->x + t->w,
	    .bottom = t->y + t->h,
	    .width = t->w,
	    .height = t->h,
	    .length = t->blob->len,
	    .data = t->blob->data,
	};

	return c->gfx->SurfaceCommand(c->gfx, &cmd) == CHANNEL_RC_OK ? 0 : -EIO;
}

int
rdp_gfx_send(struct rdp_client *c)
{
	RdpgfxServerContext *gfx = c->gfx;
	RDPGFX_START_FRAME_PDU sf;
	RDPGFX_END_FRAME_PDU ef;
	struct rdp_tile_out *t;
	bool all;
	uint32_t n;
	int rc;

	if (!c->gfx_surface) {
		rc = rdp_gfx_reset(c);
		if (rc < 0)
			return rc;
	}
	all = c->need_full;
	rc = rdp_screen_collect(c, c->codec, all, &t, &n);
	if (rc < 0)
		return rc == -ESTALE ? 0 : rc;
	if (all)
		c->need_full = false;
	if (!n)
		return 0;
	sf.frameId = ++c->frame_id;
	sf.timestamp = (UINT32)(GetTickCount64() & 0xffffffffu);
	ef.frameId = sf.frameId;
	if (atomic_load(&c->gfx_noack))
		atomic_store(&c->frame_acked, sf.frameId);
	rc = gfx->StartFrame(gfx, &sf) == CHANNEL_RC_OK ? 0 : -EIO;
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = rdp_gfx_tile(c, &t[i]);
	if (rc == 0 && gfx->EndFrame(gfx, &ef) != CHANNEL_RC_OK)
		rc = -EIO;
	rdp_tiles_free(t, n);
	return rc;
}
