/*
 * test-urbdrc.c - the MS-RDPEUSB messages of the RDP module
 * (src/vrde/rdp/rdp_urbdrc_pdu.c): the server's requests byte for byte
 * against layouts written out by hand from MS-RDPEUSB §2.2 and from what
 * FreeRDP 2.11's client reads (channels/urbdrc/client/data_transfer.c),
 * client messages laid out the way FreeRDP 2.11 writes them, every
 * message through its builder and the other side's parser, and every
 * prefix of every message refused with an error (never read past).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vrde/rdp/rdp_urbdrc_pdu.h"

static const uint8_t le32_0[4];

/* @b holds exactly @n bytes of @want. */
static void
same(const struct urbdrc_buf *b, const uint8_t *want, size_t n,
     const char *name)
{
	tap_ok(b->len == n && !memcmp(b->data, want, n),
	       "%s: %zu bytes as laid out", name, n);
	if (b->len != n || memcmp(b->data, want, n)) {
		tap_diag("got %zu bytes:", b->len);
		for (size_t i = 0; i < b->len; i++)
			tap_diag("  [%zu] %02x want %02x", i, b->data[i],
				 i < n ? want[i] : 0);
	}
}

/* Every strict prefix of @p fails to parse as a client message. */
static void
prefixes_client(const uint8_t *p, size_t n, const char *name)
{
	struct urbdrc_msg m;
	const char *err;
	size_t bad = 0;

	for (size_t k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1);

		memcpy(copy, p, k);
		err = NULL;
		if (urbdrc_parse_client(copy, k, &m, &err) != -EBADMSG || !err)
			bad++;
		free(copy);
	}
	tap_ok(bad == 0, "%s: all %zu shorter prefixes refused with a reason",
	       name, n);
}

static void
prefixes_server(const uint8_t *p, size_t n, const char *name)
{
	struct urbdrc_req q;
	const char *err;
	size_t bad = 0;

	for (size_t k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1);

		memcpy(copy, p, k);
		err = NULL;
		if (urbdrc_parse_server(copy, k, &q, &err) == 0 &&
		    !(k >= 12 && (q.fn == URBDRC_FN_RELEASE)))
			bad++;
		free(copy);
	}
	tap_ok(bad == 0, "%s: shorter prefixes refused", name);
}

static void
test_fixed_requests(void)
{
	struct urbdrc_buf b = {0};
	static const uint8_t caps[] = {0, 0, 0, 0, 7, 0, 0, 0,
				       0, 1, 0, 0, 1, 0, 0, 0};
	static const uint8_t rel[] = {0x02, 0, 0, 0x40, 9, 0, 0, 0, 1, 0, 0, 0};
	static const uint8_t created[] = {0x02, 0, 0, 0x40, 1, 0, 0, 0,
					  0,	1, 0, 0,    1, 0, 0, 0,
					  0,	0, 0, 0,    0, 0, 0, 0};
	static const uint8_t reg[] = {5, 0, 0, 0x40, 2, 0, 0, 0, 0x01, 1,
				      0, 0, 1, 0,    0, 0, 0, 1, 0,    0};
	static const uint8_t cancel[] = {5, 0, 0, 0x40, 3,    0, 0, 0,
					 0, 1, 0, 0,	0x2a, 0, 0, 0};
	static const uint8_t retract[] = {5, 0, 0, 0x40, 4, 0, 0, 0,
					  7, 1, 0, 0,	 1, 0, 0, 0};
	static const uint8_t ioctl[] = {
	    5,	  0, 0, 0x40, 5, 0, 0, 0, 0x02, 1, 0,	 0, 0x07, 0,
	    0x22, 0, 0, 0,    0, 0, 0, 0, 0,	0, 0x63, 0, 0,	  0};
	static const uint8_t text[] = {5, 0, 0, 0x40, 6, 0, 0, 0, 4, 1,
				       0, 0, 0, 0,    0, 0, 9, 4, 0, 0};

	urbdrc_put_caps_request(&b, 7);
	same(&b, caps, sizeof(caps), "RIM_EXCHANGE_CAPABILITY_REQUEST");
	b.len = 0;
	urbdrc_put_release(&b, 0x40000002, 9);
	same(&b, rel, sizeof(rel), "IFACE_RELEASE 0x40000002");
	b.len = 0;
	urbdrc_put_channel_created(&b, 0x40000002, 1);
	same(&b, created, sizeof(created), "CHANNEL_CREATED v1.0");
	b.len = 0;
	urbdrc_put_register_callback(&b, 5, 2, 0x100);
	same(&b, reg, sizeof(reg), "REGISTER_REQUEST_CALLBACK");
	b.len = 0;
	urbdrc_put_cancel(&b, 5, 3, 42);
	same(&b, cancel, sizeof(cancel), "CANCEL_REQUEST");
	b.len = 0;
	urbdrc_put_retract(&b, 5, 4, URBDRC_RETRACT_BLOCKED_BY_POLICY);
	same(&b, retract, sizeof(retract), "RETRACT_DEVICE(BlockedByPolicy)");
	b.len = 0;
	urbdrc_put_io_control(&b, 5, 5, false, URBDRC_IOCTL_RESET_PORT, NULL, 0,
			      0, 0x63);
	same(&b, ioctl, sizeof(ioctl), "IO_CONTROL RESET_PORT");
	b.len = 0;
	urbdrc_put_query_text(&b, 5, 6, URBDRC_TEXT_DESCRIPTION, 0x409);
	same(&b, text, sizeof(text), "QUERY_DEVICE_TEXT");
	urbdrc_buf_free(&b);
	(void)le32_0;
}

static void
test_transfers(void)
{
	struct urbdrc_buf b = {0};
	struct urbdrc_urb u = {.fn = URBDRC_URB_CONTROL_TRANSFER,
			       .request_id = 0x11,
			       .pipe = 0,
			       .flags = URBDRC_XFER_DEFAULT_PIPE |
					URBDRC_XFER_DIRECTION_IN |
					URBDRC_XFER_SHORT_OK,
			       .setup = {0x80, 6, 0, 1, 0, 0, 18, 0}};
	/* TRANSFER_IN: hdr, CbTsUrb 24, TS_URB {Size 24, fn 8, RequestId
	 * 0x11, PipeHandle 0, Flags 0xb, setup}, OutputBufferSize 18 */
	static const uint8_t ctl_in[] = {
	    5, 0,  0,	 0x40, 8, 0,	0, 0, 0x05, 1, 0,  0, 24, 0,	0,
	    0, 24, 0,	 8,    0, 0x11, 0, 0, 0,    0, 0,  0, 0,  0x0b, 0,
	    0, 0,  0x80, 6,    0, 1,	0, 0, 18,   0, 18, 0, 0,  0};
	static const uint8_t bulk_out[] = {
	    5,	  0,	0, 0x40, 9, 0, 0, 0,	0x06, 1, 0,   0,    16,
	    0,	  0,	0, 16,	 0, 9, 0, 0x12, 0,    0, 0,   0x01, 0x02,
	    0x05, 0x05, 0, 0,	 0, 0, 3, 0,	0,    0, 'a', 'b',  'c'};
	struct urbdrc_req q;
	const char *err = NULL;

	tap_ok(urbdrc_put_transfer(&b, 5, 8, &u, 18, NULL, 0) == 0,
	       "control IN builds");
	same(&b, ctl_in, sizeof(ctl_in), "TRANSFER_IN CONTROL_TRANSFER");
	tap_ok(urbdrc_parse_server(b.data, b.len, &q, &err) == 0 &&
		   q.fn == URBDRC_FN_TRANSFER_IN && q.urb_fn == 8 &&
		   q.request_id == 0x11 && q.out_size == 18 && q.urb_len == 16,
	       "the client's parser reads it back");
	prefixes_server(b.data, b.len, "TRANSFER_IN");
	b.len = 0;
	u = (struct urbdrc_urb){.fn = URBDRC_URB_BULK_OR_INTERRUPT,
				.request_id = 0x12,
				.pipe = 0x05050201,
				.flags = 0};
	tap_ok(urbdrc_put_transfer(&b, 5, 9, &u, 0, (const uint8_t *)"abc",
				   3) == 0,
	       "bulk OUT builds");
	same(&b, bulk_out, sizeof(bulk_out), "TRANSFER_OUT BULK_OR_INTERRUPT");
	tap_ok(urbdrc_parse_server(b.data, b.len, &q, &err) == 0 &&
		   q.fn == URBDRC_FN_TRANSFER_OUT && q.out_len == 3 &&
		   !memcmp(q.out, "abc", 3),
	       "OUT data read back");
	/* a TRANSFER_OUT claiming more than follows */
	b.data[b.len - 7] = 4;
	err = NULL;
	tap_ok(urbdrc_parse_server(b.data, b.len, &q, &err) == -EBADMSG && err,
	       "OUT claiming more bytes than follow refused: %s",
	       err ? err : "(none)");
	urbdrc_buf_free(&b);
}

/* A configuration: one vendor interface, bulk OUT 0x01 and IN 0x81. */
static const uint8_t loop_config[] = {
    9, 2, 32, 0, 1, 1, 0,  0x80, 50, 9, 4, 0,	 0, 2,	0xff, 0,
    0, 0, 7,  5, 1, 2, 64, 0,	 0,  7, 5, 0x81, 2, 64, 0,    0};

static void
test_select_config(void)
{
	struct urbdrc_buf b = {0};
	struct urbdrc_urb u = {.fn = URBDRC_URB_SELECT_CONFIGURATION,
			       .request_id = 3,
			       .config = loop_config,
			       .config_len = sizeof(loop_config)};
	struct urbdrc_req q;
	const char *err = NULL;
	struct urbdrc_pipe ep[4];
	const uint8_t *t;

	tap_ok(urbdrc_config_endpoints(loop_config, sizeof(loop_config), -1, 0,
				       ep, 4) == 2 &&
		   ep[0].ep == 0x01 && ep[1].ep == 0x81 && ep[1].mps == 64 &&
		   ep[1].type == 2,
	       "configuration walk finds both bulk endpoints");
	tap_ok(urbdrc_config_endpoints(loop_config, sizeof(loop_config), -1, 0,
				       ep, 1) == -EBADMSG,
	       "more endpoints than room is an error, not a truncation");
	tap_ok(urbdrc_put_transfer(&b, 5, 1, &u, 0, NULL, 0) == 0,
	       "SELECT_CONFIGURATION builds");
	tap_ok(urbdrc_parse_server(b.data, b.len, &q, &err) == 0 &&
		   q.urb_fn == 0 && q.out_size == 0,
	       "and parses");
	/* body: DescValid 1, pad, NumInterfaces 1, IFINFO {Length 36,
	 * PipesExpected 2, If 0, Alt 0, pad, NumPipes 2, 2 x 12}, config */
	t = q.urb;
	tap_ok(q.urb_len == 8 + 36 + sizeof(loop_config) && t[0] == 1 &&
		   t[4] == 1 && t[8] == 36 && t[10] == 2 && t[16] == 2 &&
		   t[20] == 64 && t[32] == 64 &&
		   !memcmp(t + 44, loop_config, sizeof(loop_config)),
	       "SELECT_CONFIGURATION body as FreeRDP's msusb_msconfig_read "
	       "expects it");
	b.len = 0;
	u.config = NULL;
	tap_ok(urbdrc_put_transfer(&b, 5, 1, &u, 0, NULL, 0) == 0 &&
		   b.len == 12 + 4 + 8 + 8 + 4,
	       "unconfigure: ConfigurationDescriptorIsValid 0");
	b.len = 0;
	u.config = loop_config;
	u.config_len = 20; /* cut inside the endpoint */
	tap_ok(urbdrc_put_transfer(&b, 5, 1, &u, 0, NULL, 0) == -EINVAL,
	       "a descriptor overrunning its length is refused");
	urbdrc_buf_free(&b);
}

/* FreeRDP 2.11's SELECT_CONFIGURATION completion (urb_select_
 * configuration + msusb_msconfig_write), written out. */
static void
test_select_result(void)
{
	struct urbdrc_buf b = {0}, r = {0};
	struct urbdrc_msg m;
	struct urbdrc_select_result res;
	const char *err = NULL;

	urbdrc_put_u32(&r, 0x1234);	 /* ConfigurationHandle */
	urbdrc_put_u32(&r, 1);		 /* NumInterfaces */
	urbdrc_put_u16(&r, 16 + 2 * 20); /* Length */
	urbdrc_put_u8(&r, 0);		 /* InterfaceNumber */
	urbdrc_put_u8(&r, 0);		 /* AlternateSetting */
	urbdrc_put_u32(&r, 0x000000ff);	 /* class/sub/proto/pad */
	urbdrc_put_u32(&r, 0x5678);	 /* InterfaceHandle */
	urbdrc_put_u32(&r, 2);
	for (int i = 0; i < 2; i++) {
		urbdrc_put_u16(&r, 64);
		urbdrc_put_u8(&r, i ? 0x81 : 0x01);
		urbdrc_put_u8(&r, 0);
		urbdrc_put_u32(&r, 2);
		urbdrc_put_u32(&r, 0x01050000u | (i ? 0x81 : 0x01));
		urbdrc_put_u32(&r, 0x10000);
		urbdrc_put_u32(&r, 0);
	}
	urbdrc_put_urb_done(&b, 0x100, 1, 3, true, 0, 0, r.data,
			    (uint32_t)r.len, 0, NULL, 0);
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == 0 &&
		   m.kind == URBDRC_K_URB_DONE_NO_DATA && m.request_id == 3 &&
		   m.result_len == r.len,
	       "URB_COMPLETION_NO_DATA with a select result parses");
	tap_ok(urbdrc_parse_select_result(m.result, m.result_len, false, &res,
					  &err) == 0 &&
		   res.config_handle == 0x1234 && res.npipes == 2 &&
		   res.pipe[1].ep == 0x81 && res.pipe[1].handle == 0x01050081,
	       "pipe handles taken from it");
	prefixes_client(b.data, b.len, "URB_COMPLETION_NO_DATA");
	tap_ok(urbdrc_parse_select_result(m.result, m.result_len - 1, false,
					  &res, &err) == -EBADMSG,
	       "a select result one byte short refused: %s", err ? err : "?");
	/* NumPipes far beyond the message */
	r.data[20] = 0xff;
	r.data[21] = 0xff;
	err = NULL;
	tap_ok(urbdrc_parse_select_result(r.data, r.len, false, &res, &err) ==
		   -EBADMSG,
	       "NumberOfPipes overrunning refused: %s", err ? err : "?");
	urbdrc_buf_free(&b);
	urbdrc_buf_free(&r);
}

/* A device text: cut at a character when longer than kept, refused only
 * when it overruns the message. */
static void
test_text_limits(struct urbdrc_buf *b)
{
	char want[URBDRC_STR_MAX];
	struct urbdrc_msg m;
	const char *err = NULL;
	char long_text[126 * 3 + 1];
	size_t i;
	int rc;

	/* 126 x U+4E2D: a full USB string descriptor, 378 bytes of UTF-8 */
	for (i = 0; i < 126; i++)
		memcpy(long_text + 3 * i, "\xe4\xb8\xad", 3);
	long_text[3 * i] = '\0';
	memcpy(want, long_text, 85 * 3); /* 85 whole characters fit in 255 */
	want[85 * 3] = '\0';
	urbdrc_put_text_response(b, 5, 7, long_text, 0x1234);
	tap_ok(urbdrc_parse_client(b->data, b->len, &m, &err) == 0 &&
		   m.kind == URBDRC_K_TEXT_RSP && m.text_cut &&
		   !strcmp(m.text, want) && m.hresult == 0x1234,
	       "a 126-character CJK device text is cut at a character, not "
	       "refused");
	b->len -= 6; /* the NUL and the HResult gone: cch overruns */
	rc = urbdrc_parse_client(b->data, b->len, &m, &err);
	tap_ok(rc == -EBADMSG,
	       "a device text overrunning the message "
	       "refused: %s",
	       err ? err : "?");
	b->len = 0;
	/* cch without the NUL (seen from clients): the text, then HResult */
	urbdrc_put_u32(b, URBDRC_MASK_STUB | 5);
	urbdrc_put_u32(b, 8);
	urbdrc_put_u32(b, 2);
	urbdrc_put_bytes(b, "O\0K\0", 4);
	urbdrc_put_u32(b, 0);
	tap_ok(urbdrc_parse_client(b->data, b->len, &m, &err) == 0 &&
		   !strcmp(m.text, "OK") && !m.text_cut,
	       "a device text without its NUL");
	b->len = 0;
}

static void
test_client_messages(void)
{
	struct urbdrc_buf b = {0};
	struct urbdrc_msg m;
	struct urbdrc_add_device d = {
	    .usbdev = 5,
	    .instance_id = "\\\\?\\usb#vid_1209&pid_0001#5#",
	    .hw_id = {"USB\\VID_1209&PID_0001&REV_0100",
		      "USB\\VID_1209&PID_0001"},
	    .compat_id = "USB\\Class_FF&SubClass_00&Prot_00",
	    .container_id = "{00000000-0000-0000-0000-000000000005}",
	    .caps = {28, 2, 0x600, 0x200, 0, 1, 80}};
	static const uint8_t caps_rsp[] = {0, 0, 0, 0, 7, 0, 0, 0,
					   1, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t created[] = {3, 0, 0, 0x40, 1, 0, 0, 0,
					  0, 1, 0, 0,	 1, 0, 0, 0,
					  0, 0, 0, 0,	 0, 0, 0, 0};
	const char *err = NULL;

	tap_ok(urbdrc_parse_client(caps_rsp, sizeof(caps_rsp), &m, &err) == 0 &&
		   m.kind == URBDRC_K_CAPS_RSP && m.msgid == 7 &&
		   m.capability == 1,
	       "capability response as FreeRDP writes it");
	prefixes_client(caps_rsp, sizeof(caps_rsp), "capability response");
	tap_ok(urbdrc_parse_client(created, sizeof(created), &m, &err) == 0 &&
		   m.kind == URBDRC_K_CHANNEL_CREATED && m.major == 1,
	       "client CHANNEL_CREATED on 0x40000003");
	prefixes_client(created, sizeof(created), "CHANNEL_CREATED");

	urbdrc_put_add_device(&b, &d);
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == 0 &&
		   m.kind == URBDRC_K_ADD_DEVICE && m.dev.usbdev == 5 &&
		   !strcmp(m.dev.hw_id[0], d.hw_id[0]) &&
		   !strcmp(m.dev.hw_id[1], d.hw_id[1]) &&
		   !strcmp(m.dev.compat_id, d.compat_id) &&
		   !strcmp(m.dev.instance_id, d.instance_id) &&
		   !strcmp(m.dev.container_id, d.container_id) &&
		   m.dev.caps.high_speed == 1 &&
		   m.dev.caps.usb_version == 0x200,
	       "ADD_DEVICE round trip: ids, multi-sz, capabilities");
	/* cchHwIds: two strings of 30 and 21 units, their NULs, and the
	 * closing NUL, as FreeRDP counts (len0 + len1 + 3) */
	{
		size_t off = 12 + 8 + 4 + 2 * (strlen(d.instance_id) + 1);
		uint32_t cch = (uint32_t)(b.data[off] | b.data[off + 1] << 8);

		tap_ok(cch == strlen(d.hw_id[0]) + strlen(d.hw_id[1]) + 3,
		       "cchHwIds counts as FreeRDP's does (%u)", cch);
	}
	prefixes_client(b.data, b.len, "ADD_DEVICE");
	/* cchDeviceInstanceId far too large */
	b.data[20] = 0xff;
	b.data[21] = 0xff;
	err = NULL;
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == -EBADMSG && err,
	       "string count beyond the message refused: %s", err ? err : "?");
	b.len = 0;

	urbdrc_put_urb_done(&b, 0x100, 8, 0x11, false, 0, 0, NULL, 0, 18,
			    (const uint8_t *)"0123456789abcdefgh", 18);
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == 0 &&
		   m.kind == URBDRC_K_URB_DONE && m.data_len == 18 &&
		   !memcmp(m.data, "0123456789abcdefgh", 18) &&
		   m.iface == (URBDRC_MASK_PROXY | 0x100),
	       "URB_COMPLETION with 18 bytes of IN data");
	prefixes_client(b.data, b.len, "URB_COMPLETION");
	b.data[b.len - 18 - 4] = 19; /* OutputBufferSize one too many */
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == -EBADMSG,
	       "URB_COMPLETION claiming more data than sent refused: %s",
	       err ? err : "?");
	b.len = 0;

	/* FreeRDP 2.11's RESET_PORT completion: claims 4, sends none */
	urbdrc_put_ioctl_done(&b, 0x100, 9, 0x63, 0, 4, NULL, 0);
	b.data[24] = 4; /* OutputBufferSize 4 */
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == 0 &&
		   m.kind == URBDRC_K_IOCTL_DONE && m.out_size == 4 &&
		   m.data_len == 0,
	       "IOCONTROL_COMPLETION claiming 4 bytes and sending none "
	       "tolerated");
	b.len = 0;

	urbdrc_put_text_response(&b, 5, 6, "Loop \xc3\xa9", 0);
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == 0 &&
		   m.kind == URBDRC_K_TEXT_RSP &&
		   !strcmp(m.text, "Loop \xc3\xa9"),
	       "QUERY_DEVICE_TEXT response, UTF-16 to UTF-8");
	tap_ok(!m.text_cut && m.hresult == 0, "  not cut, HResult 0");
	b.len = 0;
	test_text_limits(&b);

	urbdrc_put_add_virtual_channel(&b, 0);
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == 0 &&
		   m.kind == URBDRC_K_ADD_VIRTUAL_CHANNEL,
	       "ADD_VIRTUAL_CHANNEL");
	b.len = 0;
	/* unknown mask 3 */
	urbdrc_put_u32(&b, 0xC0000001);
	urbdrc_put_u32(&b, 0);
	urbdrc_put_u32(&b, 0x100);
	tap_ok(urbdrc_parse_client(b.data, b.len, &m, &err) == -EBADMSG,
	       "InterfaceId mask 3 refused: %s", err ? err : "?");
	urbdrc_buf_free(&b);
}

int
main(void)
{
	test_fixed_requests();
	test_transfers();
	test_select_config();
	test_select_result();
	test_client_messages();
	tap_plan(tap_count);
	return tap_done();
}
