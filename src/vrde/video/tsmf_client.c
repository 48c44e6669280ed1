/*
 * tsmf_client.c - minimal MS-RDPEV receiver (see tsmf_client.h).
 *
 * Presentations are found by the GUID every server-data message carries,
 * so it does not matter on which channel a message arrives.  A sample of
 * an unknown presentation, or one whose JPEG does not decode to the size
 * ADD_STREAM announced, is counted as bad and otherwise ignored.
 */
#include "tsmf_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tsmf_proto.h"
#include "video_jpeg.h"

#define TSC_MAX_PRES 8

struct tsc_pres {
	bool used;
	struct tsmf_guid guid;
	uint32_t stream_id;
	uint32_t width; /* from ADD_STREAM */
	uint32_t height;
	int32_t left; /* from UPDATE_GEOMETRY_INFO */
	int32_t top;
	uint8_t *pixels; /* decode buffer, width * height * 4 */
};

struct tsmf_client {
	const struct tsmf_client_ops *ops;
	void *ctx;
	struct tsc_pres pres[TSC_MAX_PRES];
	struct video_jpeg *jpeg;
	struct tsmf_buf buf;
	struct tsmf_client_stats stats;
};

struct tsmf_client *
tsmf_client_new(const struct tsmf_client_ops *ops, void *ctx)
{
	struct tsmf_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->jpeg = video_jpeg_new();
	if (!c->jpeg) {
		free(c);
		return NULL;
	}
	c->ops = ops;
	c->ctx = ctx;
	tsmf_buf_init(&c->buf);
	return c;
}

static void
tsc_pres_free(struct tsc_pres *p)
{
	free(p->pixels);
	memset(p, 0, sizeof(*p));
}

void
tsmf_client_free(struct tsmf_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < TSC_MAX_PRES; i++)
		tsc_pres_free(&c->pres[i]);
	video_jpeg_free(c->jpeg);
	tsmf_buf_free(&c->buf);
	free(c);
}

static int
tsc_send(struct tsmf_client *c, void *chan)
{
	int rc = c->buf.err;

	if (!rc && c->buf.len)
		rc = c->ops->write(c->ctx, chan, c->buf.data, c->buf.len);
	tsmf_buf_reset(&c->buf);
	return rc;
}

static struct tsc_pres *
tsc_find(struct tsmf_client *c, const struct tsmf_guid *g)
{
	for (int i = 0; i < TSC_MAX_PRES; i++) {
		if (c->pres[i].used && tsmf_guid_equal(&c->pres[i].guid, g))
			return &c->pres[i];
	}
	return NULL;
}

static void
tsc_new_presentation(struct tsmf_client *c, const struct tsmf_guid *g)
{
	struct tsc_pres *p = tsc_find(c, g);

	for (int i = 0; i < TSC_MAX_PRES && !p; i++) {
		if (!c->pres[i].used)
			p = &c->pres[i];
	}
	if (!p) {
		p = &c->pres[0]; /* a server that never shuts down */
		tsc_pres_free(p);
	}
	p->used = true;
	p->guid = *g;
	c->stats.presentations++;
}

static void
tsc_add_stream(struct tsmf_client *c, const struct tsmf_server_msg *m)
{
	struct tsc_pres *p = tsc_find(c, &m->presentation);
	const struct tsmf_video_format *f = &m->u.format;

	if (!p || !tsmf_guid_equal(&f->sub, &tsmf_guid_subtype_mjpg) ||
	    f->width == 0 || f->height == 0 || f->width > 8192 ||
	    f->height > 8192) {
		c->stats.bad++;
		return;
	}
	free(p->pixels);
	p->pixels = malloc((size_t)f->width * f->height * 4);
	p->width = p->pixels ? f->width : 0;
	p->height = p->pixels ? f->height : 0;
	p->stream_id = m->stream_id;
}

static void
tsc_sample(struct tsmf_client *c, const struct tsmf_server_msg *m)
{
	struct tsc_pres *p = tsc_find(c, &m->presentation);
	struct tsmf_client_frame f;

	if (!p || !p->pixels ||
	    video_jpeg_decode(c->jpeg, m->u.sample.data, m->u.sample.len,
			      p->pixels, p->width * 4, p->width, p->height)) {
		c->stats.bad++;
		return;
	}
	c->stats.frames++;
	c->stats.jpeg_bytes += m->u.sample.len;
	memset(&f, 0, sizeof(f));
	f.x = p->left;
	f.y = p->top;
	f.width = p->width;
	f.height = p->height;
	f.pixels = p->pixels;
	f.stride = p->width * 4;
	f.start = m->u.sample.start;
	f.jpeg_bytes = m->u.sample.len;
	f.stream_id = m->stream_id;
	c->ops->frame(c->ctx, &f);
}

static void
tsc_caps(struct tsmf_client *c, const struct tsmf_server_msg *m)
{
	for (uint32_t i = 0; i < m->u.caps.n; i++) {
		if (m->u.caps.caps[i].type == TSMF_CAP_VERSION)
			c->stats.caps_version = m->u.caps.caps[i].value;
		else if (m->u.caps.caps[i].type == TSMF_CAP_PLATFORM)
			c->stats.caps_platform = m->u.caps.caps[i].value;
	}
}

/* Handle a server-data request; write its answer, if any, to c->buf. */
static void
tsc_server_data(struct tsmf_client *c, const struct tsmf_server_msg *m)
{
	static const struct tsmf_capability caps[2] = {
	    {TSMF_CAP_VERSION, 2},
	    {TSMF_CAP_PLATFORM, TSMF_PLATFORM_MF | TSMF_PLATFORM_DSHOW},
	};
	struct tsc_pres *p;
	uint32_t id = m->hdr.message_id;

	switch (m->hdr.function_id) {
	case TSMF_EXCHANGE_CAPABILITIES_REQ:
		tsc_caps(c, m);
		tsmf_write_exchange_caps_rsp(&c->buf, id, caps, 2, 0);
		break;
	case TSMF_ON_NEW_PRESENTATION:
		tsc_new_presentation(c, &m->presentation);
		break;
	case TSMF_ADD_STREAM:
		tsc_add_stream(c, m);
		break;
	case TSMF_SET_TOPOLOGY_REQ:
		tsmf_write_set_topology_rsp(&c->buf, id, 1, 0);
		break;
	case TSMF_UPDATE_GEOMETRY_INFO:
		p = tsc_find(c, &m->presentation);
		if (p) {
			p->left = (int32_t)m->u.geometry.left;
			p->top = (int32_t)m->u.geometry.top;
		}
		break;
	case TSMF_ON_PLAYBACK_STARTED:
		tsmf_write_client_event(&c->buf, id, 0,
					TSMF_EVENT_START_COMPLETED);
		break;
	case TSMF_ON_SAMPLE:
		tsc_sample(c, m);
		tsmf_write_playback_ack(&c->buf, id, m->stream_id,
					m->u.sample.throttle_duration,
					m->u.sample.len);
		break;
	case TSMF_ON_END_OF_STREAM:
		tsmf_write_client_event(&c->buf, id, m->stream_id,
					TSMF_EVENT_END_OF_STREAM);
		break;
	case TSMF_SHUTDOWN_PRESENTATION_REQ:
		p = tsc_find(c, &m->presentation);
		if (p)
			tsc_pres_free(p);
		c->stats.shutdowns++;
		tsmf_write_shutdown_rsp(&c->buf, id, 0);
		break;
	default:
		break; /* SET_CHANNEL_PARAMS, SET_VIDEO_WINDOW: nothing */
	}
}

int
tsmf_client_on_data(struct tsmf_client *c, void *chan, const uint8_t *p,
		    size_t len)
{
	struct tsmf_server_msg m;
	uint32_t iid;

	if (tsmf_parse_server_msg(p, len, &m)) {
		c->stats.bad++;
		return -EBADMSG;
	}
	iid = m.hdr.interface_id & ~TSMF_IID_MASK;
	if (iid == TSMF_IID_CAPABILITIES &&
	    m.hdr.function_id == TSMF_RIM_EXCHANGE_CAPABILITY_REQUEST)
		tsmf_write_rim_caps_rsp(&c->buf, m.hdr.message_id,
					TSMF_RIM_CAPABILITY_VERSION_01, 0);
	else if (iid == TSMF_IID_SERVER_DATA)
		tsc_server_data(c, &m);
	return tsc_send(c, chan);
}

void
tsmf_client_get_stats(const struct tsmf_client *c, struct tsmf_client_stats *st)
{
	*st = c->stats;
}
