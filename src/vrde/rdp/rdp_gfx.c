/*
 * rdp_gfx.c - the graphics pipeline (MS-RDPEGFX) path: one surface the
 * size of the client's VM screen, planar (lossless) tiles inside
 * StartFrame/EndFrame, frame acknowledgements bounding what is in flight,
 * ResetGraphics when the screen changes size.
 *
 * The channel is this module's own, not FreeRDP's rdpgfx server: that one
 * (2.11) sends every PDU uncompressed, which made the pipeline cost about
 * 32 times the bytes of bitmap updates for the same damage (fast-path
 * updates do get FreeRDP's bulk compressor).  Here a frame's PDUs are
 * collected into one message and compressed with RDP 8.0 bulk
 * compression (rdp_zgfx.c), whose history finds tiles sent frames ago.
 * Everything runs on the client thread: the channel is polled after
 * every look at the socket, like the TSMF channels.
 *
 * Hook for more codecs (video regions, rdp_video_avc.c): a frame is
 * rdp_gfx_frame_start(), any rdp_gfx_* commands, rdp_gfx_frame_end();
 * the acknowledgement accounting bounds all of them together.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <winpr/sysinfo.h>
#include <freerdp/channels/rdpgfx.h>
#include <freerdp/channels/wtsvc.h>

#include "rdp.h"
#include "rdp_gfx_pdu.h"

#define RDP_GFX_SURFACE 1
#define RDP_GFX_MSG_MAX (1u << 20) /* a client message is a few dozen bytes */

struct rdp_gfx {
	HANDLE chan;
	int state;	      /* 1: opening, 2: open */
	struct rdp_zgfx *z;   /* the channel's compression history */
	struct rdp_zbuf pdus; /* PDUs not sent yet */
	struct rdp_zbuf wire; /* compressed message */
	uint64_t raw, sent;   /* bytes before and after compression */
};

/* The best capability set we know: planar, AVC420 when video wants it. */
static void
rdp_gfx_caps(struct rdp_client *c, const struct rdp_gfx_in *in)
{
	static const UINT32 order[] = {
	    RDPGFX_CAPVERSION_107, RDPGFX_CAPVERSION_106, RDPGFX_CAPVERSION_105,
	    RDPGFX_CAPVERSION_104, RDPGFX_CAPVERSION_103, RDPGFX_CAPVERSION_102,
	    RDPGFX_CAPVERSION_101, RDPGFX_CAPVERSION_10,  RDPGFX_CAPVERSION_81,
	    RDPGFX_CAPVERSION_8};
	RDPGFX_CAPSET adv, caps;
	struct rdp_gfx_capset out;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		for (uint16_t k = 0; k < in->ncaps; k++) {
			if (in->cap[k].version != order[i])
				continue;
			adv.version = in->cap[k].version;
			adv.length = in->cap[k].length;
			adv.flags = in->cap[k].flags;
			caps = adv;
			/* planar only unless video asks for H.264 */
			if (caps.version >= RDPGFX_CAPVERSION_10)
				caps.flags |= RDPGFX_CAPS_FLAG_AVC_DISABLED;
			else
				caps.flags &= ~RDPGFX_CAPS_FLAG_AVC420_ENABLED;
			rdp_video_gfx_caps(c, &adv, &caps);
			out.version = caps.version;
			out.length = caps.length;
			out.flags = caps.flags;
			rdp_gfx_put_caps_confirm(&c->gfx->pdus, &out);
			if (rdp_gfx_flush(c) == 0) {
				atomic_store(&c->gfx_ready, true);
				SetEvent(c->wake);
			}
			return;
		}
	}
	rdp_warn(c->srv, "client %u: no known graphics pipeline version",
		 c->vc.id);
}

static void
rdp_gfx_message(struct rdp_client *c, const uint8_t *p, size_t n)
{
	struct rdp_gfx_in in;

	if (rdp_gfx_parse(p, n, &in) < 0)
		rdp_debug(c->srv,
			  "client %u: malformed graphics pipeline message "
			  "(%zu bytes), rest ignored",
			  c->vc.id, n);
	if (in.ack) {
		if (in.ack_queue == SUSPEND_FRAME_ACKNOWLEDGEMENT)
			atomic_store(&c->gfx_noack, true);
		atomic_store(&c->frame_acked, in.ack_frame);
	}
	if (in.caps && !atomic_load(&c->gfx_ready))
		rdp_gfx_caps(c, &in);
}

int
rdp_gfx_open(struct rdp_client *c)
{
	struct rdp_gfx *g = calloc(1, sizeof(*g));
	DWORD *sid = NULL, len = 0, session = 0;

	if (!g)
		return -ENOMEM;
	g->z = rdp_zgfx_new();
	if (WTSQuerySessionInformationA(c->vcm, WTS_CURRENT_SESSION,
					WTSSessionId, (LPSTR *)&sid, &len) &&
	    sid) {
		session = *sid;
		WTSFreeMemory(sid);
	}
	if (g->z)
		g->chan =
		    WTSVirtualChannelOpenEx(session, RDPGFX_DVC_CHANNEL_NAME,
					    WTS_CHANNEL_OPTION_DYNAMIC);
	if (!g->z || !g->chan) {
		rdp_zgfx_free(g->z);
		free(g);
		return -EIO;
	}
	g->state = 1;
	c->gfx = g;
	return 0;
}

void
rdp_gfx_close(struct rdp_client *c)
{
	struct rdp_gfx *g = c->gfx;

	if (!g)
		return;
	if (g->raw)
		rdp_debug(c->srv,
			  "client %u: graphics pipeline %llu bytes, %llu "
			  "after compression",
			  c->vc.id, (unsigned long long)g->raw,
			  (unsigned long long)g->sent);
	WTSVirtualChannelClose(g->chan);
	rdp_zgfx_free(g->z);
	rdp_zbuf_free(&g->pdus);
	rdp_zbuf_free(&g->wire);
	free(g);
	c->gfx = NULL;
	atomic_store(&c->gfx_ready, false);
}

/* Channel ready or refused; then the client's messages. */
int
rdp_gfx_poll(struct rdp_client *c)
{
	struct rdp_gfx *g = c->gfx;
	uint8_t stack[512], *buf = stack;
	ULONG size = sizeof(stack), n = 0;
	void *ready = NULL;
	DWORD len = 0;
	int rc = 0;
	BOOL ok;

	if (!g)
		return 0;
	if (g->state == 1) {
		ok = WTSVirtualChannelQuery(g->chan, WTSVirtualChannelReady,
					    &ready, &len);
		if (ok && ready && *(BOOL *)ready)
			g->state = 2;
		if (ready)
			WTSFreeMemory(ready);
		if (!ok)
			return -EIO; /* refused: bitmap updates */
	}
	for (int msgs = 0; msgs < 64 && g->state == 2; msgs++) {
		if (!WTSVirtualChannelRead(g->chan, 0, (PCHAR)buf, size, &n)) {
			if (GetLastError() != ERROR_INSUFFICIENT_BUFFER ||
			    buf != stack)
				break;
			if (n > RDP_GFX_MSG_MAX) {
				/* it would stay first in the queue for good */
				rdp_warn(c->srv,
					 "client %u: graphics pipeline message "
					 "of %lu bytes (at most %u)",
					 c->vc.id, (unsigned long)n,
					 RDP_GFX_MSG_MAX);
				rc = -EMSGSIZE;
				break;
			}
			buf = malloc(n);
			size = n;
			if (!buf)
				return -ENOMEM;
			continue;
		}
		if (n == 0)
			break;
		rdp_gfx_message(c, buf, n);
	}
	if (buf != stack)
		free(buf);
	return rc;
}

int
rdp_gfx_flush(struct rdp_client *c)
{
	struct rdp_gfx *g = c->gfx;
	ULONG written = 0;
	int rc = 0;

	if (!g->pdus.len)
		return 0;
	g->wire.len = 0;
	if (g->pdus.oom ||
	    rdp_zgfx_compress(g->z, g->pdus.data, g->pdus.len, &g->wire) < 0)
		rc = -ENOMEM;
	else if (!WTSVirtualChannelWrite(g->chan, (PCHAR)g->wire.data,
					 (ULONG)g->wire.len, &written))
		rc = -EIO;
	g->raw += g->pdus.len;
	g->sent += g->wire.len;
	g->pdus.len = 0;
	return rc;
}

struct rdp_zbuf *
rdp_gfx_pdus(struct rdp_client *c)
{
	return &c->gfx->pdus;
}

uint32_t
rdp_gfx_frame_start(struct rdp_client *c)
{
	uint32_t id = ++c->frame_id;

	rdp_gfx_put_start_frame(&c->gfx->pdus, id,
				(uint32_t)(GetTickCount64() & 0xffffffffu));
	if (atomic_load(&c->gfx_noack))
		atomic_store(&c->frame_acked, id);
	return id;
}

int
rdp_gfx_frame_end(struct rdp_client *c, uint32_t id)
{
	rdp_gfx_put_end_frame(&c->gfx->pdus, id);
	return rdp_gfx_flush(c);
}

/* (Re)create the surface for the current session size. */
static int
rdp_gfx_reset(struct rdp_client *c)
{
	struct rdp_zbuf *b = &c->gfx->pdus;

	if (c->gfx_surface)
		rdp_gfx_put_delete_surface(b, RDP_GFX_SURFACE);
	c->gfx_surface = false;
	rdp_gfx_put_reset(b, c->width, c->height);
	rdp_gfx_put_create_surface(b, RDP_GFX_SURFACE, (uint16_t)c->width,
				   (uint16_t)c->height);
	rdp_gfx_put_map_surface(b, RDP_GFX_SURFACE);
	if (rdp_gfx_flush(c) < 0)
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

static void
rdp_gfx_tile(struct rdp_client *c, const struct rdp_tile_out *t)
{
	rdp_gfx_put_wire1(&c->gfx->pdus, RDP_GFX_SURFACE,
			  c->codec == RDP_CODEC_GFX_RFX ? RDPGFX_CODECID_CAVIDEO
							: RDPGFX_CODECID_PLANAR,
			  (uint16_t)t->x, (uint16_t)t->y, (uint16_t)t->w,
			  (uint16_t)t->h, NULL, 0, t->blob->data, t->blob->len);
}

int
rdp_gfx_send(struct rdp_client *c)
{
	struct rdp_tile_out *t;
	uint32_t n, id;
	int rc;

	if (!c->gfx_surface) {
		rc = rdp_gfx_reset(c);
		if (rc < 0)
			return rc;
	}
	rc = rdp_screen_take(c, &t, &n);
	if (rc < 0 || !n)
		return rc;
	id = rdp_gfx_frame_start(c);
	for (uint32_t i = 0; i < n; i++)
		rdp_gfx_tile(c, &t[i]);
	rc = rdp_gfx_frame_end(c, id);
	rdp_tiles_free(t, n);
	return rc;
}
