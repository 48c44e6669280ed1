/*
 * test-tsmf-proto.c - MS-RDPEV messages written, then parsed back.
 *
 * Every server request the RDP module sends and every client answer the
 * probe client sends is written with tsmf_write_*() and parsed with the
 * parser of the other side; each field must come back as written.  Some
 * byte-level checks pin the wire layout independently of the parser
 * (header words, the MJPG GUID, the sample's data offset), and truncated
 * or inflated messages must be refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tsmf_proto.h"

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static struct tsmf_buf b;
static struct tsmf_guid pres;

static int
parse_srv(struct tsmf_server_msg *m)
{
	return tsmf_parse_server_msg(b.data, b.len, m);
}

static void
check_header(const struct tsmf_server_msg *m, uint32_t iid, uint32_t id,
	     uint32_t fn, const char *what)
{
	tap_ok(m->hdr.interface_id == iid && m->hdr.message_id == id &&
		   m->hdr.function_id == fn && le32(b.data) == iid &&
		   le32(b.data + 4) == id && le32(b.data + 8) == fn,
	       "%s: header iid 0x%x msg %u fn 0x%x", what, iid, id, fn);
}

static void
test_capabilities(void)
{
	struct tsmf_capability caps[2] = {
	    {TSMF_CAP_VERSION, 2}, {TSMF_CAP_PLATFORM, TSMF_PLATFORM_DSHOW}};
	struct tsmf_server_msg m;

	tsmf_buf_reset(&b);
	tsmf_write_rim_exchange_caps(&b, 0, TSMF_RIM_CAPABILITY_VERSION_01);
	tap_ok(parse_srv(&m) == 0 && b.len == 16 &&
		   m.u.rim_caps_value == TSMF_RIM_CAPABILITY_VERSION_01,
	       "RIM_EXCHANGE_CAPABILITY_REQUEST: 16 bytes, value 1");
	check_header(&m, TSMF_IID_CAPABILITIES, 0,
		     TSMF_RIM_EXCHANGE_CAPABILITY_REQUEST, "RIM caps");
	tsmf_buf_reset(&b);
	tsmf_write_exchange_caps_req(&b, 1, caps, 2);
	tap_ok(parse_srv(&m) == 0 && b.len == 12 + 4 + 2 * 12 &&
		   m.u.caps.n == 2 && m.u.caps.caps[0].type == 1 &&
		   m.u.caps.caps[0].value == 2 && m.u.caps.caps[1].type == 2 &&
		   m.u.caps.caps[1].value == TSMF_PLATFORM_DSHOW,
	       "EXCHANGE_CAPABILITIES_REQ: version 2, platform DSHOW");
	check_header(&m, TSMF_IID_SERVER_DATA | TSMF_MASK_PROXY, 1,
		     TSMF_EXCHANGE_CAPABILITIES_REQ, "EXCHANGE_CAPABILITIES");
}

static void
test_presentation(void)
{
	struct tsmf_server_msg m;

	tsmf_buf_reset(&b);
	tsmf_write_new_presentation(&b, 2, &pres, TSMF_PLATFORM_COOKIE_DSHOW);
	tap_ok(parse_srv(&m) == 0 && tsmf_guid_equal(&m.presentation, &pres) &&
		   m.u.platform_cookie == TSMF_PLATFORM_COOKIE_DSHOW &&
		   b.len == 12 + 16 + 4,
	       "ON_NEW_PRESENTATION: id and DSHOW cookie");
	tsmf_buf_reset(&b);
	tsmf_write_set_channel_params(&b, 3, &pres, 7);
	tap_ok(parse_srv(&m) == 0 &&
		   m.hdr.function_id == TSMF_SET_CHANNEL_PARAMS &&
		   tsmf_guid_equal(&m.presentation, &pres) && m.stream_id == 7,
	       "SET_CHANNEL_PARAMS: presentation and stream 7");
	tsmf_buf_reset(&b);
	tsmf_write_set_topology_req(&b, 4, &pres);
	tap_ok(parse_srv(&m) == 0 &&
		   m.hdr.function_id == TSMF_SET_TOPOLOGY_REQ && b.len == 28,
	       "SET_TOPOLOGY_REQ");
	tsmf_buf_reset(&b);
	tsmf_write_shutdown_presentation(&b, 9, &pres);
	tap_ok(parse_srv(&m) == 0 &&
		   m.hdr.function_id == TSMF_SHUTDOWN_PRESENTATION_REQ &&
		   tsmf_guid_equal(&m.presentation, &pres) && b.len == 28,
	       "SHUTDOWN_PRESENTATION_REQ");
	tsmf_buf_reset(&b);
	tsmf_write_playback_started(&b, 5, &pres, 123456789ull, 0);
	tap_ok(parse_srv(&m) == 0 && m.u.started.offset == 123456789ull &&
		   m.u.started.is_seek == 0,
	       "ON_PLAYBACK_STARTED: offset and seek flag");
	tsmf_buf_reset(&b);
	tsmf_write_end_of_stream(&b, 10, &pres, 7);
	tap_ok(parse_srv(&m) == 0 && m.stream_id == 7 &&
		   m.hdr.function_id == TSMF_ON_END_OF_STREAM,
	       "ON_END_OF_STREAM");
	tsmf_buf_reset(&b);
	tsmf_write_remove_stream(&b, 11, &pres, 7);
	tap_ok(parse_srv(&m) == 0 && m.stream_id == 7 &&
		   m.hdr.function_id == TSMF_REMOVE_STREAM,
	       "REMOVE_STREAM");
}

static void
test_add_stream(void)
{
	struct tsmf_video_format f = {0};
	struct tsmf_server_msg m;
	const uint8_t *sub;

	f.width = 640;
	f.height = 360;
	f.bit_rate = 2000000;
	f.avg_time_per_frame = 400000; /* 25 fps */
	tsmf_buf_reset(&b);
	tsmf_write_add_stream(&b, 6, &pres, 7, &f);
	tap_ok(parse_srv(&m) == 0 && m.stream_id == 7 &&
		   tsmf_guid_equal(&m.presentation, &pres),
	       "ADD_STREAM parses: stream 7 of the presentation");
	sub = b.data + 12 + 16 + 8 + 16;
	tap_ok(b.len == 12 + 16 + 8 + 16 + 16 + 12 + 16 + 4 + 88 &&
		   !memcmp(sub, "MJPG", 4) &&
		   tsmf_guid_equal(&m.u.format.major, &tsmf_guid_media_video) &&
		   tsmf_guid_equal(&m.u.format.sub, &tsmf_guid_subtype_mjpg) &&
		   tsmf_guid_equal(&m.u.format.format,
				   &tsmf_guid_format_videoinfo),
	       "ADD_STREAM: Video / MJPG / VideoInfo, 88-byte format");
	tap_ok(m.u.format.width == 640 && m.u.format.height == 360 &&
		   m.u.format.bit_rate == 2000000 &&
		   m.u.format.avg_time_per_frame == 400000 &&
		   m.u.format.bit_count == 24 &&
		   m.u.format.compression == 0x47504a4du,
	       "ADD_STREAM: 640x360, 2 Mbit/s, 40 ms/frame, 24 bpp MJPG");
}

static void
test_window(void)
{
	struct tsmf_geometry g = {0};
	struct tsmf_server_msg m;

	tsmf_buf_reset(&b);
	tsmf_write_set_video_window(&b, 7, &pres, 0x1122334455667788ull, 42);
	tap_ok(parse_srv(&m) == 0 &&
		   m.u.window.window_id == 0x1122334455667788ull &&
		   m.u.window.parent == 42,
	       "SET_VIDEO_WINDOW: window and parent ids");
	g.window_id = 0x1122334455667788ull;
	g.window_state = 0;
	g.width = 640;
	g.height = 360;
	g.left = 100;
	g.top = 80;
	g.client_left = 100;
	g.client_top = 80;
	g.n_visible = 1;
	g.visible[0].top = 0;
	g.visible[0].left = 0;
	g.visible[0].bottom = 360;
	g.visible[0].right = 640;
	tsmf_buf_reset(&b);
	tsmf_write_update_geometry(&b, 8, &pres, &g);
	tap_ok(parse_srv(&m) == 0 && b.len == 12 + 16 + 4 + 48 + 4 + 16 &&
		   le32(b.data + 28) == 48 &&
		   m.u.geometry.window_id == g.window_id &&
		   m.u.geometry.width == 640 && m.u.geometry.height == 360 &&
		   m.u.geometry.left == 100 && m.u.geometry.top == 80 &&
		   m.u.geometry.client_left == 100 &&
		   m.u.geometry.client_top == 80 &&
		   m.u.geometry.n_visible == 1 &&
		   m.u.geometry.visible[0].bottom == 360 &&
		   m.u.geometry.visible[0].right == 640,
	       "UPDATE_GEOMETRY_INFO: window 640x360 at 100,80, one visible "
	       "rect");
}

static void
test_sample(void)
{
	static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 1,    2,
				       3,    4,	   5,	 6,    0xff, 0xd9};
	struct tsmf_sample s = {0};
	struct tsmf_server_msg m;
	int rc;

	s.start = 40 * TSMF_TICKS_PER_MS;
	s.end = 80 * TSMF_TICKS_PER_MS;
	s.throttle_duration = 40 * TSMF_TICKS_PER_MS;
	s.extensions = TSMF_SAMPLE_CLEANPOINT;
	s.data = jpeg;
	s.len = sizeof(jpeg);
	tsmf_buf_reset(&b);
	tsmf_write_on_sample(&b, 12, &pres, 7, &s);
	rc = parse_srv(&m);
	tap_ok(rc == 0 && m.stream_id == 7 && m.u.sample.start == 400000 &&
		   m.u.sample.end == 800000 &&
		   m.u.sample.throttle_duration == 400000 &&
		   m.u.sample.extensions == TSMF_SAMPLE_CLEANPOINT &&
		   m.u.sample.len == sizeof(jpeg),
	       "ON_SAMPLE: stream, 100-ns times, extensions, length");
	tap_ok(rc == 0 && m.u.sample.data == b.data + 12 + 16 + 8 + 36 &&
		   !memcmp(m.u.sample.data, jpeg, sizeof(jpeg)),
	       "ON_SAMPLE: the JPEG bytes follow the 36-byte sample header");
	tap_ok(tsmf_parse_server_msg(b.data, b.len - 1, &m) == -EBADMSG,
	       "ON_SAMPLE one byte short is refused");
	/* cbData claiming more than the message holds */
	b.data[12 + 16 + 8 + 32] = 0xff;
	tap_ok(tsmf_parse_server_msg(b.data, b.len, &m) == -EBADMSG,
	       "ON_SAMPLE with an inflated cbData is refused");
	tap_ok(tsmf_parse_server_msg(b.data, 11, &m) == -EBADMSG,
	       "a message shorter than its header is refused");
}

/* What the server has asked and not yet had answered. */
static uint32_t
pending(void *ctx, uint32_t iid, uint32_t msg_id)
{
	const uint32_t *table = ctx; /* msg id -> function id */

	return msg_id < 16 ? table[msg_id] : 0;
}

static void
test_client(void)
{
	uint32_t table[16] = {0};
	struct tsmf_capability caps[2] = {
	    {TSMF_CAP_VERSION, 2},
	    {TSMF_CAP_PLATFORM, TSMF_PLATFORM_MF | TSMF_PLATFORM_DSHOW}};
	struct tsmf_client_msg m;

	table[1] = TSMF_EXCHANGE_CAPABILITIES_REQ;
	table[4] = TSMF_SET_TOPOLOGY_REQ;
	table[9] = TSMF_SHUTDOWN_PRESENTATION_REQ;
	tsmf_buf_reset(&b);
	tsmf_write_rim_caps_rsp(&b, 0, 1, 0);
	tap_ok(tsmf_parse_client_msg(b.data, b.len, pending, table, &m) == 0 &&
		   m.response && m.u.rim_caps_value == 1 && m.result == 0,
	       "client: RIM capability response");
	tsmf_buf_reset(&b);
	tsmf_write_exchange_caps_rsp(&b, 1, caps, 2, 0);
	tap_ok(tsmf_parse_client_msg(b.data, b.len, pending, table, &m) == 0 &&
		   m.response && m.answers == TSMF_EXCHANGE_CAPABILITIES_REQ &&
		   m.u.caps.n == 2 &&
		   m.u.caps.caps[1].value ==
		       (TSMF_PLATFORM_MF | TSMF_PLATFORM_DSHOW) &&
		   m.result == 0 && le32(b.data) == 0x80000000u,
	       "client: EXCHANGE_CAPABILITIES_RSP (STUB, caps, result)");
	tsmf_buf_reset(&b);
	tsmf_write_set_topology_rsp(&b, 4, 1, 0);
	tap_ok(tsmf_parse_client_msg(b.data, b.len, pending, table, &m) == 0 &&
		   m.answers == TSMF_SET_TOPOLOGY_REQ &&
		   m.u.topology_ready == 1 && m.result == 0,
	       "client: SET_TOPOLOGY_RSP ready");
	tsmf_buf_reset(&b);
	tsmf_write_shutdown_rsp(&b, 9, 0x80004005u);
	tap_ok(tsmf_parse_client_msg(b.data, b.len, pending, table, &m) == 0 &&
		   m.answers == TSMF_SHUTDOWN_PRESENTATION_REQ &&
		   m.result == 0x80004005u,
	       "client: SHUTDOWN_PRESENTATION_RSP with its HRESULT");
	tsmf_buf_reset(&b);
	tsmf_write_shutdown_rsp(&b, 13, 0);
	tap_ok(tsmf_parse_client_msg(b.data, b.len, pending, table, &m) ==
		   -ENOENT,
	       "client: a response to nothing pending is refused");
	tsmf_buf_reset(&b);
	tsmf_write_playback_ack(&b, 12, 7, 400000, 5208);
	tap_ok(tsmf_parse_client_msg(b.data, b.len, pending, table, &m) == 0 &&
		   !m.response && m.hdr.function_id == TSMF_PLAYBACK_ACK &&
		   m.u.ack.stream_id == 7 && m.u.ack.duration == 400000 &&
		   m.u.ack.bytes == 5208 && b.len == 32,
	       "client: PLAYBACK_ACK stream, duration, bytes");
	tsmf_buf_reset(&b);
	tsmf_write_client_event(&b, 10, 7, TSMF_EVENT_END_OF_STREAM);
	tap_ok(tsmf_parse_client_msg(b.data, b.len, pending, table, &m) == 0 &&
		   m.hdr.function_id == TSMF_CLIENT_EVENT_NOTIFICATION &&
		   m.u.event.stream_id == 7 &&
		   m.u.event.event_id == TSMF_EVENT_END_OF_STREAM,
	       "client: CLIENT_EVENT_NOTIFICATION end of stream");
	tap_ok(tsmf_parse_client_msg(b.data, b.len - 2, pending, table, &m) ==
		   -EBADMSG,
	       "client: a truncated notification is refused");
}

int
main(void)
{
	struct tsmf_guid other;

	tap_plan(31);
	tsmf_buf_init(&b);
	tsmf_guid_make(&pres, 1);
	tsmf_guid_make(&other, 2);
	tap_ok(!tsmf_guid_equal(&pres, &other) && (pres.b[7] >> 4) == 4,
	       "presentation ids differ per seed and look like GUIDs");
	test_capabilities();
	test_presentation();
	test_add_stream();
	test_window();
	test_sample();
	test_client();
	tap_ok(b.err == 0, "no allocation failed");
	tsmf_buf_free(&b);
	return tap_done();
}
