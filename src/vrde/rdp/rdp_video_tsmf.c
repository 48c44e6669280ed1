/*
 * rdp_video_tsmf.c - MJPEG over MS-RDPEV ("TSMF") for one client: the
 * dynamic channels of tsmf_server (libvireo-video) mapped onto FreeRDP's
 * virtual channel manager, and the JPEG frames, encoded once per stream
 * frame and shared by every TSMF client of the screen.
 *
 * A client without a "TSMF" listener (xfreerdp, Remmina) refuses the
 * channel; one that accepts but never answers the capabilities gets
 * RDP_VIDEO_TSMF_WAIT_MS; either way it then gets the next path.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/channels/wtsvc.h>

#include "rdp_video.h"
#include "rdp_video_int.h"
#include "tsmf_proto.h"

#define RDP_VIDEO_TSMF_WAIT_MS 5000
#define RDP_VIDEO_TSMF_FPS     30

static int
rdp_tsmf_open_cb(void *ctx)
{
	struct rdp_client *c = ctx;
	struct rdp_video_client *cv = c->video;
	DWORD *sid = NULL, len = 0, session = 0;

	for (int i = 0; i < RDP_VIDEO_TSMF_CHAN; i++) {
		if (cv->chan[i].state)
			continue;
		if (WTSQuerySessionInformationA(c->vcm, WTS_CURRENT_SESSION,
						WTSSessionId, (LPSTR *)&sid,
						&len) &&
		    sid) {
			session = *sid;
			WTSFreeMemory(sid);
		}
		cv->chan[i].h = WTSVirtualChannelOpenEx(
		    session, TSMF_CHANNEL_NAME, WTS_CHANNEL_OPTION_DYNAMIC);
		if (!cv->chan[i].h)
			return -EIO;
		cv->chan[i].state = 1;
		return i + 1;
	}
	return -ENOSPC;
}

static int
rdp_tsmf_write_cb(void *ctx, int chan, const uint8_t *data, size_t len)
{
	struct rdp_client *c = ctx;
	struct rdp_vchan *ch = &c->video->chan[chan - 1];
	ULONG written = 0;

	if (chan < 1 || chan > RDP_VIDEO_TSMF_CHAN || ch->state != 2 ||
	    len > UINT32_MAX)
		return -EBADF;
	if (!WTSVirtualChannelWrite(ch->h, (PCHAR)data, (ULONG)len, &written))
		return -EIO;
	c->video->bytes += len;
	return 0;
}

static void
rdp_tsmf_close_cb(void *ctx, int chan)
{
	struct rdp_client *c = ctx;
	struct rdp_vchan *ch;

	if (chan < 1 || chan > RDP_VIDEO_TSMF_CHAN)
		return;
	ch = &c->video->chan[chan - 1];
	if (ch->state)
		WTSVirtualChannelClose(ch->h);
	memset(ch, 0, sizeof(*ch));
}

static const struct tsmf_server_ops rdp_tsmf_ops = {
    rdp_tsmf_open_cb, rdp_tsmf_write_cb, rdp_tsmf_close_cb};

void
rdp_video_tsmf_open(struct rdp_client *c)
{
	struct rdp_video_client *cv = c->video;

	cv->tsmf = tsmf_server_new(&rdp_tsmf_ops, c);
	if (!cv->tsmf || tsmf_server_start(cv->tsmf) < 0) {
		tsmf_server_free(cv->tsmf);
		cv->tsmf = NULL;
		cv->tsmf_state = -1;
		return;
	}
	cv->tsmf_state = 1;
	cv->tsmf_deadline = vmod_now_ms() + RDP_VIDEO_TSMF_WAIT_MS;
}

/* Give up on TSMF for this client. */
static void
rdp_tsmf_fail(struct rdp_client *c, const char *why)
{
	struct rdp_video_client *cv = c->video;

	tsmf_server_free(cv->tsmf); /* closes its channels */
	cv->tsmf = NULL;
	cv->tsmf_state = -1;
	rdp_info(c->srv, "client %u: no video redirection channel (%s)",
		 c->vc.id, why);
}

/* Opening channels: ready, still pending, or refused by the client. */
static void
rdp_tsmf_poll_open(struct rdp_client *c, int i)
{
	struct rdp_vchan *ch = &c->video->chan[i];
	void *buf = NULL;
	DWORD len = 0;
	BOOL ok;

	ok = WTSVirtualChannelQuery(ch->h, WTSVirtualChannelReady, &buf, &len);
	if (ok && buf && *(BOOL *)buf) {
		ch->state = 2;
		tsmf_server_channel_open(c->video->tsmf, i + 1);
	} else if (!ok) {
		WTSVirtualChannelClose(ch->h);
		memset(ch, 0, sizeof(*ch));
		tsmf_server_channel_closed(c->video->tsmf, i + 1);
	}
	if (buf)
		WTSFreeMemory(buf);
}

static void
rdp_tsmf_poll_read(struct rdp_client *c, int i)
{
	struct rdp_vchan *ch = &c->video->chan[i];
	uint8_t stack[512];
	uint8_t *buf = stack;
	ULONG size = sizeof(stack), n = 0;

	for (int msgs = 0; msgs < 64 && ch->state == 2; msgs++) {
		if (!WTSVirtualChannelRead(ch->h, 0, (PCHAR)buf, size, &n)) {
			if (GetLastError() != ERROR_INSUFFICIENT_BUFFER ||
			    n > 1u << 20 || buf != stack)
				break;
			buf = malloc(n);
			size = n;
			if (!buf)
				return;
			continue;
		}
		if (n == 0)
			break;
		if (tsmf_server_on_data(c->video->tsmf, i + 1, buf, n) < 0)
			rdp_debug(c->srv,
				  "client %u: bad TSMF message (%lu "
				  "bytes) ignored",
				  c->vc.id, (unsigned long)n);
	}
	if (buf != stack)
		free(buf);
}

void
rdp_video_tsmf_poll(struct rdp_client *c)
{
	struct rdp_video_client *cv = c->video;

	if (!cv->tsmf)
		return;
	for (int i = 0; i < RDP_VIDEO_TSMF_CHAN && cv->tsmf; i++) {
		if (cv->chan[i].state == 1)
			rdp_tsmf_poll_open(c, i);
		if (cv->chan[i].state == 2)
			rdp_tsmf_poll_read(c, i);
	}
	if (cv->tsmf_state == 1 && tsmf_server_ready(cv->tsmf)) {
		cv->tsmf_state = 2;
		rdp_info(c->srv, "client %u: video redirection (TSMF) ready",
			 c->vc.id);
	} else if (cv->tsmf_state == 1 && !cv->chan[0].state) {
		rdp_tsmf_fail(c, "refused by the client");
	} else if (cv->tsmf_state == 1 && vmod_now_ms() > cv->tsmf_deadline) {
		rdp_tsmf_fail(c, "no answer");
	}
}

bool
rdp_video_tsmf_ready(struct rdp_client *c)
{
	return c->video && c->video->tsmf_state == 2;
}

bool
rdp_video_tsmf_pending(struct rdp_client *c)
{
	return c->video &&
	       (c->video->tsmf_state == 0 || c->video->tsmf_state == 1);
}

int
rdp_video_tsmf_start(struct rdp_client *c, struct rdp_vcstream *vs)
{
	return tsmf_server_video_start(c->video->tsmf, vs->id, &vs->rect,
				       RDP_VIDEO_TSMF_FPS);
}

/* The JPEG of the stream's latest frame: the screen's cached one, or
 * encoded now and cached for the other clients.  *@seq: its frame. */
static struct vmod_blob *
rdp_tsmf_jpeg(struct rdp_client *c, struct rdp_vcstream *vs, uint64_t *seq)
{
	struct rdp_screen *s = &c->srv->screens[c->vc.screen];
	struct rdp_video_client *cv = c->video;
	struct rdp_vstream *st = NULL;
	struct vmod_blob *b = NULL;
	const uint8_t *jpg;
	size_t len;

	pthread_mutex_lock(&s->fb.lock);
	for (int i = 0; s->video && i < RDP_VIDEO_MAX; i++) {
		if (s->video->streams[i].active &&
		    s->video->streams[i].id == vs->id)
			st = &s->video->streams[i];
	}
	if (st) {
		*seq = st->seq;
		st->jpeg_sends++;
		if (st->jpeg && st->jpeg_seq == st->seq)
			b = vmod_blob_ref(st->jpeg);
	}
	pthread_mutex_unlock(&s->fb.lock);
	if (!st || b)
		return b;
	if (!cv->jpeg)
		cv->jpeg = video_jpeg_new();
	if (!cv->jpeg || rdp_video_copy(c, vs->id, *seq, &vs->rect, vs->rect.w,
					vs->rect.h) < 0)
		return NULL;
	{
		struct vrde_rect whole = {0, 0, vs->rect.w, vs->rect.h};

		if (video_jpeg_encode(cv->jpeg, cv->buf, vs->rect.w * 4, &whole,
				      cv->quality, &jpg, &len) < 0) {
			rdp_warn(c->srv, "client %u: JPEG: %s", c->vc.id,
				 video_jpeg_error(cv->jpeg));
			return NULL;
		}
	}
	b = len <= UINT32_MAX ? vmod_blob_new(jpg, (uint32_t)len) : NULL;
	if (!b)
		return NULL;
	pthread_mutex_lock(&s->fb.lock);
	for (int i = 0; s->video && i < RDP_VIDEO_MAX; i++) {
		st = &s->video->streams[i];
		if (st->active && st->id == vs->id)
			st->jpeg_encodes++;
		if (st->active && st->id == vs->id && st->jpeg_seq < *seq) {
			vmod_blob_unref(st->jpeg);
			st->jpeg = vmod_blob_ref(b);
			st->jpeg_seq = *seq;
		}
	}
	pthread_mutex_unlock(&s->fb.lock);
	return b;
}

int
rdp_video_tsmf_frame(struct rdp_client *c, struct rdp_vcstream *vs,
		     uint64_t seq)
{
	struct rdp_video_client *cv = c->video;
	struct vmod_blob *b;
	uint64_t got = seq;
	int rc;

	if (!tsmf_server_video_can_send(cv->tsmf, vs->id))
		return 0;
	b = rdp_tsmf_jpeg(c, vs, &got);
	if (!b)
		return 0;
	rc = tsmf_server_video_frame(cv->tsmf, vs->id, b->data, b->len,
				     (uint64_t)vmod_now_ms());
	vmod_blob_unref(b);
	if (rc < 0)
		return rc == -EAGAIN ? 0 : rc;
	cv->frames++;
	return 1;
}

void
rdp_video_tsmf_end(struct rdp_client *c, struct rdp_vcstream *vs)
{
	if (c->video->tsmf)
		tsmf_server_video_end(c->video->tsmf, vs->id);
}

void
rdp_video_tsmf_close(struct rdp_client *c)
{
	tsmf_server_free(c->video->tsmf);
	c->video->tsmf = NULL;
}
