/*
 * tsmf_write.c - MS-RDPEV message writers (see tsmf_proto.h).
 *
 * Layouts are those of [MS-RDPEV] section 2.2.  Each writer appends one
 * complete message to a tsmf_buf; a failed allocation sets b->err, later
 * writes become no-ops, and the caller checks err once before sending.
 */
#include "tsmf_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* {73646976-0000-0010-8000-00AA00389B71} */
const struct tsmf_guid tsmf_guid_media_video = {
    {0x76, 0x69, 0x64, 0x73, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa,
     0x00, 0x38, 0x9b, 0x71}};
/* {47504A4D-0000-0010-8000-00AA00389B71}: FOURCC "MJPG" */
const struct tsmf_guid tsmf_guid_subtype_mjpg = {
    {0x4d, 0x4a, 0x50, 0x47, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa,
     0x00, 0x38, 0x9b, 0x71}};
/* {05589F80-C356-11CE-BF01-00AA0055595A} */
const struct tsmf_guid tsmf_guid_format_videoinfo = {
    {0x80, 0x9f, 0x58, 0x05, 0x56, 0xc3, 0xce, 0x11, 0xbf, 0x01, 0x00, 0xaa,
     0x00, 0x55, 0x59, 0x5a}};

#define TSMF_FOURCC_MJPG     0x47504a4du
#define TSMF_VIDEOINFO_BYTES 88u /* VIDEOINFOHEADER incl. bitmap header */
#define TSMF_GEOMETRY_BYTES  48u /* GEOMETRY_INFO with its padding */

void
tsmf_buf_init(struct tsmf_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
tsmf_buf_reset(struct tsmf_buf *b)
{
	b->len = 0;
	b->err = 0;
}

void
tsmf_buf_free(struct tsmf_buf *b)
{
	free(b->data);
	tsmf_buf_init(b);
}

static uint8_t *
buf_grow(struct tsmf_buf *b, size_t n)
{
	uint8_t *p;

	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	p = b->data + b->len;
	b->len += n;
	return p;
}

static void
put_bytes(struct tsmf_buf *b, const void *src, size_t n)
{
	uint8_t *p = buf_grow(b, n);

	if (p && n)
		memcpy(p, src, n);
}

static void
put_u16(struct tsmf_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put_bytes(b, x, sizeof(x));
}

static void
put_u32(struct tsmf_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};

	put_bytes(b, x, sizeof(x));
}

static void
put_u64(struct tsmf_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void
put_guid(struct tsmf_buf *b, const struct tsmf_guid *g)
{
	put_bytes(b, g->b, sizeof(g->b));
}

/* A request: interface, message and function id. */
static void
put_request(struct tsmf_buf *b, uint32_t iid, uint32_t msg_id, uint32_t fn)
{
	put_u32(b, iid);
	put_u32(b, msg_id);
	put_u32(b, fn);
}

/* A server-data request that starts with the presentation id. */
static void
put_pres_request(struct tsmf_buf *b, uint32_t msg_id, uint32_t fn,
		 const struct tsmf_guid *pres)
{
	put_request(b, TSMF_IID_SERVER_DATA | TSMF_MASK_PROXY, msg_id, fn);
	put_guid(b, pres);
}

/* A response: no FunctionId. */
static void
put_response(struct tsmf_buf *b, uint32_t iid, uint32_t msg_id)
{
	put_u32(b, iid);
	put_u32(b, msg_id);
}

static void
put_caps(struct tsmf_buf *b, const struct tsmf_capability *caps, uint32_t n)
{
	put_u32(b, n);
	for (uint32_t i = 0; i < n; i++) {
		put_u32(b, caps[i].type);
		put_u32(b, 4);
		put_u32(b, caps[i].value);
	}
}

void
tsmf_write_rim_exchange_caps(struct tsmf_buf *b, uint32_t msg_id,
			     uint32_t value)
{
	put_request(b, TSMF_IID_CAPABILITIES | TSMF_MASK_NONE, msg_id,
		    TSMF_RIM_EXCHANGE_CAPABILITY_REQUEST);
	put_u32(b, value);
}

void
tsmf_write_exchange_caps_req(struct tsmf_buf *b, uint32_t msg_id,
			     const struct tsmf_capability *caps, uint32_t n)
{
	put_request(b, TSMF_IID_SERVER_DATA | TSMF_MASK_PROXY, msg_id,
		    TSMF_EXCHANGE_CAPABILITIES_REQ);
	put_caps(b, caps, n);
}

void
tsmf_write_new_presentation(struct tsmf_buf *b, uint32_t msg_id,
			    const struct tsmf_guid *pres,
			    uint32_t platform_cookie)
{
	put_pres_request(b, msg_id, TSMF_ON_NEW_PRESENTATION, pres);
	put_u32(b, platform_cookie);
}

void
tsmf_write_set_channel_params(struct tsmf_buf *b, uint32_t msg_id,
			      const struct tsmf_guid *pres, uint32_t stream_id)
{
	put_pres_request(b, msg_id, TSMF_SET_CHANNEL_PARAMS, pres);
	put_u32(b, stream_id);
}

/* VIDEOINFOHEADER: rcSource, rcTarget, dwBitRate, dwBitErrorRate,
 * AvgTimePerFrame, then a BITMAPINFOHEADER. */
static void
put_videoinfo(struct tsmf_buf *b, const struct tsmf_video_format *f)
{
	uint16_t bits = f->bit_count ? f->bit_count : 24;
	uint32_t fourcc = f->compression ? f->compression : TSMF_FOURCC_MJPG;

	for (int i = 0; i < 2; i++) {
		put_u32(b, 0);
		put_u32(b, 0);
		put_u32(b, f->width);
		put_u32(b, f->height);
	}
	put_u32(b, f->bit_rate);
	put_u32(b, 0);
	put_u64(b, f->avg_time_per_frame);
	put_u32(b, 40); /* biSize */
	put_u32(b, f->width);
	put_u32(b, f->height);
	put_u16(b, 1); /* biPlanes */
	put_u16(b, bits);
	put_u32(b, fourcc);
	put_u32(b, f->width * f->height * (bits / 8u)); /* biSizeImage */
	put_u32(b, 0);					/* biXPelsPerMeter */
	put_u32(b, 0);
	put_u32(b, 0); /* biClrUsed */
	put_u32(b, 0);
}

static const struct tsmf_guid *
guid_or(const struct tsmf_guid *g, const struct tsmf_guid *dflt)
{
	static const struct tsmf_guid zero;

	return memcmp(g, &zero, sizeof(zero)) ? g : dflt;
}

void
tsmf_write_add_stream(struct tsmf_buf *b, uint32_t msg_id,
		      const struct tsmf_guid *pres, uint32_t stream_id,
		      const struct tsmf_video_format *f)
{
	put_pres_request(b, msg_id, TSMF_ADD_STREAM, pres);
	put_u32(b, stream_id);
	put_u32(b, 1); /* numMediaType */
	put_guid(b, guid_or(&f->major, &tsmf_guid_media_video));
	put_guid(b, guid_or(&f->sub, &tsmf_guid_subtype_mjpg));
	put_u32(b, f->fixed_size_samples);
	put_u32(b, f->temporal_compression);
	put_u32(b, f->sample_size);
	put_guid(b, guid_or(&f->format, &tsmf_guid_format_videoinfo));
	put_u32(b, TSMF_VIDEOINFO_BYTES);
	put_videoinfo(b, f);
}

void
tsmf_write_set_topology_req(struct tsmf_buf *b, uint32_t msg_id,
			    const struct tsmf_guid *pres)
{
	put_pres_request(b, msg_id, TSMF_SET_TOPOLOGY_REQ, pres);
}

void
tsmf_write_set_video_window(struct tsmf_buf *b, uint32_t msg_id,
			    const struct tsmf_guid *pres, uint64_t window_id,
			    uint64_t parent)
{
	put_pres_request(b, msg_id, TSMF_SET_VIDEO_WINDOW, pres);
	put_u64(b, window_id);
	put_u64(b, parent);
}

void
tsmf_write_update_geometry(struct tsmf_buf *b, uint32_t msg_id,
			   const struct tsmf_guid *pres,
			   const struct tsmf_geometry *g)
{
	uint32_t n = g->n_visible > 4 ? 4 : g->n_visible;

	put_pres_request(b, msg_id, TSMF_UPDATE_GEOMETRY_INFO, pres);
	put_u32(b, TSMF_GEOMETRY_BYTES); /* numGeometryInfo: bytes */
	put_u64(b, g->window_id);
	put_u32(b, g->window_state);
	put_u32(b, g->width);
	put_u32(b, g->height);
	put_u32(b, g->left);
	put_u32(b, g->top);
	put_u64(b, 0); /* Reserved */
	put_u32(b, g->client_left);
	put_u32(b, g->client_top);
	put_u32(b, 0); /* Padding */
	put_u32(b, n * 16);
	for (uint32_t i = 0; i < n; i++) {
		put_u32(b, g->visible[i].top);
		put_u32(b, g->visible[i].left);
		put_u32(b, g->visible[i].bottom);
		put_u32(b, g->visible[i].right);
	}
}

void
tsmf_write_playback_started(struct tsmf_buf *b, uint32_t msg_id,
			    const struct tsmf_guid *pres, uint64_t offset,
			    uint32_t is_seek)
{
	put_pres_request(b, msg_id, TSMF_ON_PLAYBACK_STARTED, pres);
	put_u64(b, offset);
	put_u32(b, is_seek);
}

void
tsmf_write_on_sample(struct tsmf_buf *b, uint32_t msg_id,
		     const struct tsmf_guid *pres, uint32_t stream_id,
		     const struct tsmf_sample *s)
{
	put_pres_request(b, msg_id, TSMF_ON_SAMPLE, pres);
	put_u32(b, stream_id);
	put_u32(b, 1); /* numSample */
	put_u64(b, s->start);
	put_u64(b, s->end);
	put_u64(b, s->throttle_duration);
	put_u32(b, s->flags);
	put_u32(b, s->extensions);
	put_u32(b, s->len);
	put_bytes(b, s->data, s->len);
}

void
tsmf_write_end_of_stream(struct tsmf_buf *b, uint32_t msg_id,
			 const struct tsmf_guid *pres, uint32_t stream_id)
{
	put_pres_request(b, msg_id, TSMF_ON_END_OF_STREAM, pres);
	put_u32(b, stream_id);
}

void
tsmf_write_remove_stream(struct tsmf_buf *b, uint32_t msg_id,
			 const struct tsmf_guid *pres, uint32_t stream_id)
{
	put_pres_request(b, msg_id, TSMF_REMOVE_STREAM, pres);
	put_u32(b, stream_id);
}

void
tsmf_write_shutdown_presentation(struct tsmf_buf *b, uint32_t msg_id,
				 const struct tsmf_guid *pres)
{
	put_pres_request(b, msg_id, TSMF_SHUTDOWN_PRESENTATION_REQ, pres);
}

void
tsmf_write_rim_caps_rsp(struct tsmf_buf *b, uint32_t msg_id, uint32_t value,
			uint32_t result)
{
	put_response(b, TSMF_IID_CAPABILITIES | TSMF_MASK_NONE, msg_id);
	put_u32(b, value);
	put_u32(b, result);
}

void
tsmf_write_exchange_caps_rsp(struct tsmf_buf *b, uint32_t msg_id,
			     const struct tsmf_capability *caps, uint32_t n,
			     uint32_t result)
{
	put_response(b, TSMF_IID_SERVER_DATA | TSMF_MASK_STUB, msg_id);
	put_caps(b, caps, n);
	put_u32(b, result);
}

void
tsmf_write_set_topology_rsp(struct tsmf_buf *b, uint32_t msg_id, uint32_t ready,
			    uint32_t result)
{
	put_response(b, TSMF_IID_SERVER_DATA | TSMF_MASK_STUB, msg_id);
	put_u32(b, ready);
	put_u32(b, result);
}

void
tsmf_write_shutdown_rsp(struct tsmf_buf *b, uint32_t msg_id, uint32_t result)
{
	put_response(b, TSMF_IID_SERVER_DATA | TSMF_MASK_STUB, msg_id);
	put_u32(b, result);
}

void
tsmf_write_playback_ack(struct tsmf_buf *b, uint32_t msg_id, uint32_t stream_id,
			uint64_t duration, uint64_t bytes)
{
	put_request(b, TSMF_IID_CLIENT_NOTIFY | TSMF_MASK_PROXY, msg_id,
		    TSMF_PLAYBACK_ACK);
	put_u32(b, stream_id);
	put_u64(b, duration);
	put_u64(b, bytes);
}

void
tsmf_write_client_event(struct tsmf_buf *b, uint32_t msg_id, uint32_t stream_id,
			uint32_t event_id)
{
	put_request(b, TSMF_IID_CLIENT_NOTIFY | TSMF_MASK_PROXY, msg_id,
		    TSMF_CLIENT_EVENT_NOTIFICATION);
	put_u32(b, stream_id);
	put_u32(b, event_id);
	put_u32(b, 0); /* cbData */
}

void
tsmf_guid_make(struct tsmf_guid *g, uint64_t seed)
{
	/* A version-4-shaped GUID from a 64-bit mix of @seed; it only has
	 * to differ between presentations of one session. */
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;

	for (int i = 0; i < 16; i++) {
		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= x >> 32;
		g->b[i] = (uint8_t)x;
	}
	g->b[7] = (uint8_t)((g->b[7] & 0x0f) | 0x40);
	g->b[8] = (uint8_t)((g->b[8] & 0x3f) | 0x80);
}

bool
tsmf_guid_equal(const struct tsmf_guid *a, const struct tsmf_guid *b)
{
	return !memcmp(a->b, b->b, sizeof(a->b));
}
