/*
 * tsmf_parse.c - MS-RDPEV message parsers (see tsmf_proto.h).
 *
 * Every read goes through a bounds-checked cursor; a message shorter than
 * its fields, or with counts that point past its end, is -EBADMSG and
 * nothing of it is used.  Unknown functions parse to their header only so
 * that a newer peer's messages can be skipped.
 */
#include "tsmf_proto.h"

#include <errno.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static bool
rd_need(struct rd *r, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static uint32_t
rd_u32(struct rd *r)
{
	uint32_t v;

	if (!rd_need(r, 4))
		return 0;
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
	    (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return v;
}

static uint16_t
rd_u16(struct rd *r)
{
	uint16_t v;

	if (!rd_need(r, 2))
		return 0;
	v = (uint16_t)(r->p[0] | r->p[1] << 8);
	r->p += 2;
	r->left -= 2;
	return v;
}

static uint64_t
rd_u64(struct rd *r)
{
	uint64_t lo = rd_u32(r);

	return lo | (uint64_t)rd_u32(r) << 32;
}

static const uint8_t *
rd_skip(struct rd *r, size_t n)
{
	const uint8_t *at = r->p;

	if (!rd_need(r, n))
		return NULL;
	r->p += n;
	r->left -= n;
	return at;
}

static void
rd_guid(struct rd *r, struct tsmf_guid *g)
{
	const uint8_t *at = rd_skip(r, sizeof(g->b));

	if (at)
		memcpy(g->b, at, sizeof(g->b));
}

/* numCapabilities, then {type, length, data} each; u32 values kept. */
static void
rd_caps(struct rd *r, uint32_t *n_out, struct tsmf_capability *caps)
{
	uint32_t n = rd_u32(r);

	*n_out = 0;
	if (n > r->left / 8) {
		r->bad = true;
		return;
	}
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		uint32_t type = rd_u32(r);
		uint32_t len = rd_u32(r);
		struct rd v = {r->p, len, false};

		if (!rd_skip(r, len))
			return;
		if (*n_out < TSMF_MAX_CAPS) {
			caps[*n_out].type = type;
			caps[*n_out].value = len >= 4 ? rd_u32(&v) : 0;
			(*n_out)++;
		}
	}
}

/* TS_AM_MEDIA_TYPE with a VIDEOINFOHEADER format block. */
static void
rd_media_type(struct rd *r, struct tsmf_video_format *f)
{
	uint32_t cb;
	struct rd fb;

	rd_guid(r, &f->major);
	rd_guid(r, &f->sub);
	f->fixed_size_samples = rd_u32(r);
	f->temporal_compression = rd_u32(r);
	f->sample_size = rd_u32(r);
	rd_guid(r, &f->format);
	cb = rd_u32(r);
	fb.p = r->p;
	fb.left = cb;
	fb.bad = false;
	if (!rd_skip(r, cb))
		return;
	if (!tsmf_guid_equal(&f->format, &tsmf_guid_format_videoinfo))
		return;	 /* another format block: only the GUIDs matter */
	rd_skip(&fb, 8); /* rcSource left, top */
	f->width = rd_u32(&fb);
	f->height = rd_u32(&fb);
	rd_skip(&fb, 16); /* rcTarget */
	f->bit_rate = rd_u32(&fb);
	rd_u32(&fb); /* dwBitErrorRate */
	f->avg_time_per_frame = rd_u64(&fb);
	rd_skip(&fb, 14); /* biSize, biWidth, biHeight, biPlanes */
	f->bit_count = rd_u16(&fb);
	f->compression = rd_u32(&fb);
	if (fb.bad)
		r->bad = true;
}

static void
rd_geometry(struct rd *r, struct tsmf_geometry *g)
{
	uint32_t size = rd_u32(r);
	uint32_t cb;
	struct rd gi = {r->p, size, false};

	if (size < 44 || !rd_skip(r, size)) {
		r->bad = true;
		return;
	}
	g->window_id = rd_u64(&gi);
	g->window_state = rd_u32(&gi);
	g->width = rd_u32(&gi);
	g->height = rd_u32(&gi);
	g->left = rd_u32(&gi);
	g->top = rd_u32(&gi);
	rd_u64(&gi); /* Reserved */
	g->client_left = rd_u32(&gi);
	g->client_top = rd_u32(&gi);
	cb = rd_u32(r);
	if (cb % 16 || cb / 16 > r->left / 16) {
		r->bad = true;
		return;
	}
	g->n_visible = 0;
	for (uint32_t i = 0; i < cb / 16; i++) {
		uint32_t v[4];

		for (int k = 0; k < 4; k++)
			v[k] = rd_u32(r);
		if (g->n_visible < 4) {
			g->visible[g->n_visible].top = v[0];
			g->visible[g->n_visible].left = v[1];
			g->visible[g->n_visible].bottom = v[2];
			g->visible[g->n_visible].right = v[3];
			g->n_visible++;
		}
	}
}

static void
rd_sample(struct rd *r, struct tsmf_server_msg *m)
{
	struct tsmf_sample *s = &m->u.sample;

	m->stream_id = rd_u32(r);
	if (rd_u32(r) < 1) { /* numSample */
		r->bad = true;
		return;
	}
	s->start = rd_u64(r);
	s->end = rd_u64(r);
	s->throttle_duration = rd_u64(r);
	s->flags = rd_u32(r);
	s->extensions = rd_u32(r);
	s->len = rd_u32(r);
	s->data = rd_skip(r, s->len);
}

/* The body of a server-data request, after its presentation id. */
static void
rd_server_data(struct rd *r, struct tsmf_server_msg *m)
{
	switch (m->hdr.function_id) {
	case TSMF_ON_NEW_PRESENTATION:
		m->u.platform_cookie = rd_u32(r);
		break;
	case TSMF_SET_CHANNEL_PARAMS:
	case TSMF_ON_END_OF_STREAM:
	case TSMF_REMOVE_STREAM:
	case TSMF_ON_FLUSH:
		m->stream_id = rd_u32(r);
		break;
	case TSMF_ADD_STREAM:
		m->stream_id = rd_u32(r);
		if (rd_u32(r) < 1) { /* numMediaType */
			r->bad = true;
			break;
		}
		rd_media_type(r, &m->u.format);
		break;
	case TSMF_SET_VIDEO_WINDOW:
		m->u.window.window_id = rd_u64(r);
		m->u.window.parent = rd_u64(r);
		break;
	case TSMF_UPDATE_GEOMETRY_INFO:
		rd_geometry(r, &m->u.geometry);
		break;
	case TSMF_ON_PLAYBACK_STARTED:
		m->u.started.offset = rd_u64(r);
		m->u.started.is_seek = rd_u32(r);
		break;
	case TSMF_ON_SAMPLE:
		rd_sample(r, m);
		break;
	default:
		break; /* no body we need */
	}
}

static bool
has_presentation(uint32_t fn)
{
	switch (fn) {
	case TSMF_EXCHANGE_CAPABILITIES_REQ:
	case TSMF_CHECK_FORMAT_SUPPORT_REQ:
		return false;
	default:
		return fn >= TSMF_EXCHANGE_CAPABILITIES_REQ &&
		       fn <= TSMF_SET_SOURCE_VIDEO_RECT;
	}
}

int
tsmf_parse_server_msg(const uint8_t *p, size_t len, struct tsmf_server_msg *m)
{
	struct rd r = {p, len, false};
	uint32_t iid;

	memset(m, 0, sizeof(*m));
	m->hdr.interface_id = rd_u32(&r);
	m->hdr.message_id = rd_u32(&r);
	m->hdr.function_id = rd_u32(&r);
	if (r.bad)
		return -EBADMSG;
	iid = m->hdr.interface_id & ~TSMF_IID_MASK;
	if (iid == TSMF_IID_CAPABILITIES &&
	    m->hdr.function_id == TSMF_RIM_EXCHANGE_CAPABILITY_REQUEST) {
		m->u.rim_caps_value = rd_u32(&r);
	} else if (iid == TSMF_IID_SERVER_DATA &&
		   m->hdr.function_id == TSMF_EXCHANGE_CAPABILITIES_REQ) {
		rd_caps(&r, &m->u.caps.n, m->u.caps.caps);
	} else if (iid == TSMF_IID_SERVER_DATA &&
		   has_presentation(m->hdr.function_id)) {
		rd_guid(&r, &m->presentation);
		rd_server_data(&r, m);
	}
	return r.bad ? -EBADMSG : 0;
}

/* The body of a response to the request m->answers.  The capabilities
 * interface's only request shares its FunctionId (0x100) with
 * EXCHANGE_CAPABILITIES_REQ, so the interface decides first. */
static void
rd_response(struct rd *r, struct tsmf_client_msg *m)
{
	if ((m->hdr.interface_id & ~TSMF_IID_MASK) == TSMF_IID_CAPABILITIES) {
		m->u.rim_caps_value = rd_u32(r);
		m->result = rd_u32(r);
		return;
	}
	switch (m->answers) {
	case TSMF_EXCHANGE_CAPABILITIES_REQ:
		rd_caps(r, &m->u.caps.n, m->u.caps.caps);
		m->result = rd_u32(r);
		break;
	case TSMF_SET_TOPOLOGY_REQ:
		m->u.topology_ready = rd_u32(r);
		m->result = rd_u32(r);
		break;
	case TSMF_SHUTDOWN_PRESENTATION_REQ:
		m->result = rd_u32(r);
		break;
	default:
		break;
	}
}

int
tsmf_parse_client_msg(const uint8_t *p, size_t len, tsmf_pending_fn pending,
		      void *ctx, struct tsmf_client_msg *m)
{
	struct rd r = {p, len, false};
	uint32_t iid, mask;

	memset(m, 0, sizeof(*m));
	m->hdr.interface_id = rd_u32(&r);
	m->hdr.message_id = rd_u32(&r);
	if (r.bad)
		return -EBADMSG;
	iid = m->hdr.interface_id & ~TSMF_IID_MASK;
	mask = m->hdr.interface_id & TSMF_IID_MASK;
	/* Responses: the STUB mask, or the capabilities interface (whose
	 * requests only the server sends). */
	if (mask == TSMF_MASK_STUB || iid == TSMF_IID_CAPABILITIES) {
		m->response = true;
		m->answers = pending ? pending(ctx, m->hdr.interface_id,
					       m->hdr.message_id)
				     : 0;
		if (!m->answers && iid == TSMF_IID_CAPABILITIES)
			m->answers = TSMF_RIM_EXCHANGE_CAPABILITY_REQUEST;
		if (!m->answers)
			return -ENOENT;
		rd_response(&r, m);
		return r.bad ? -EBADMSG : 0;
	}
	m->hdr.function_id = rd_u32(&r);
	if (iid == TSMF_IID_CLIENT_NOTIFY &&
	    m->hdr.function_id == TSMF_PLAYBACK_ACK) {
		m->u.ack.stream_id = rd_u32(&r);
		m->u.ack.duration = rd_u64(&r);
		m->u.ack.bytes = rd_u64(&r);
	} else if (iid == TSMF_IID_CLIENT_NOTIFY &&
		   m->hdr.function_id == TSMF_CLIENT_EVENT_NOTIFICATION) {
		m->u.event.stream_id = rd_u32(&r);
		m->u.event.event_id = rd_u32(&r);
		rd_skip(&r, rd_u32(&r)); /* cbData, pBlob */
	}
	return r.bad ? -EBADMSG : 0;
}
