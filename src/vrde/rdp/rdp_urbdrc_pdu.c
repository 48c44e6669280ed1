/*
 * rdp_urbdrc_pdu.c - MS-RDPEUSB messages: builders and bounds-checked
 * parsers (rdp_urbdrc_pdu.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdp_urbdrc_pdu.h"

/* ---- output ------------------------------------------------------------ */

void
urbdrc_buf_free(struct urbdrc_buf *b)
{
	free(b->data);
	*b = (struct urbdrc_buf){0};
}

static uint8_t *
urbdrc_grow(struct urbdrc_buf *b, size_t n)
{
	size_t cap;
	uint8_t *d;

	if (b->oom)
		return NULL;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d) {
			b->oom = true;
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	d = b->data + b->len;
	b->len += n;
	return d;
}

void
urbdrc_put_bytes(struct urbdrc_buf *b, const void *p, size_t n)
{
	uint8_t *d = n ? urbdrc_grow(b, n) : NULL;

	if (d)
		memcpy(d, p, n);
}

void
urbdrc_put_u8(struct urbdrc_buf *b, uint8_t v)
{
	urbdrc_put_bytes(b, &v, 1);
}

void
urbdrc_put_u16(struct urbdrc_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	urbdrc_put_bytes(b, x, 2);
}

void
urbdrc_put_u32(struct urbdrc_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};

	urbdrc_put_bytes(b, x, 4);
}

/* Overwrite a u16 already written at @off. */
static void
urbdrc_patch_u16(struct urbdrc_buf *b, size_t off, uint16_t v)
{
	if (!b->oom && off + 2 <= b->len) {
		b->data[off] = (uint8_t)v;
		b->data[off + 1] = (uint8_t)(v >> 8);
	}
}

static void
urbdrc_patch_u32(struct urbdrc_buf *b, size_t off, uint32_t v)
{
	urbdrc_patch_u16(b, off, (uint16_t)v);
	urbdrc_patch_u16(b, off + 2, (uint16_t)(v >> 16));
}

/* One code point of UTF-8 at *@s (advanced); U+FFFD for bad bytes. */
static uint32_t
urbdrc_utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c = *p++;
	int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

	if (c >= 0x80 && !more) {
		*s = p;
		return 0xFFFD;
	}
	c &= more == 3 ? 0x07 : more == 2 ? 0x0F : more == 1 ? 0x1F : 0x7F;
	for (; more; more--, p++) {
		if ((*p & 0xC0) != 0x80) {
			*s = p;
			return 0xFFFD;
		}
		c = c << 6 | (*p & 0x3F);
	}
	*s = p;
	return c > 0x10FFFF ? 0xFFFD : c;
}

uint32_t
urbdrc_put_utf16z(struct urbdrc_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	uint32_t n = 0, c;

	while (*p) {
		c = urbdrc_utf8_next(&p);
		if (c >= 0x10000) {
			c -= 0x10000;
			urbdrc_put_u16(b, (uint16_t)(0xD800 | c >> 10));
			urbdrc_put_u16(b, (uint16_t)(0xDC00 | (c & 0x3FF)));
			n += 2;
		} else {
			urbdrc_put_u16(b, (uint16_t)c);
			n++;
		}
	}
	urbdrc_put_u16(b, 0);
	return n + 1;
}

static void
urbdrc_put_hdr(struct urbdrc_buf *b, uint32_t iface, uint32_t msgid,
	       uint32_t fn)
{
	urbdrc_put_u32(b, iface);
	urbdrc_put_u32(b, msgid);
	urbdrc_put_u32(b, fn);
}

/* The header and then @n u32 fields at @v: all there is to most server
 * requests, which differ only in these. */
static void
urbdrc_put_msg(struct urbdrc_buf *b, uint32_t iface, uint32_t msgid,
	       uint32_t fn, size_t n, const uint32_t *v)
{
	urbdrc_put_hdr(b, iface, msgid, fn);
	for (size_t i = 0; i < n; i++)
		urbdrc_put_u32(b, v[i]);
}

/* ---- server to client -------------------------------------------------- */

void
urbdrc_put_caps_request(struct urbdrc_buf *b, uint32_t msgid)
{
	/* RIM_CAPABILITY_VERSION_01 */
	urbdrc_put_msg(b, URBDRC_IF_CAPS, msgid, URBDRC_FN_CAPS_REQUEST, 1,
		       (const uint32_t[]){1});
}

void
urbdrc_put_release(struct urbdrc_buf *b, uint32_t iface, uint32_t msgid)
{
	urbdrc_put_hdr(b, iface, msgid, URBDRC_FN_RELEASE);
}

void
urbdrc_put_channel_created(struct urbdrc_buf *b, uint32_t iface, uint32_t msgid)
{
	/* major 1, minor 0, capabilities 0 */
	urbdrc_put_msg(b, iface, msgid, URBDRC_FN_CHANNEL_CREATED, 3,
		       (const uint32_t[]){1, 0, 0});
}

void
urbdrc_put_register_callback(struct urbdrc_buf *b, uint32_t usbdev,
			     uint32_t msgid, uint32_t completion)
{
	/* NumRequestCompletion 1, then the completion channel's id */
	urbdrc_put_msg(b, URBDRC_MASK_PROXY | usbdev, msgid,
		       URBDRC_FN_REGISTER_CALLBACK, 2,
		       (const uint32_t[]){1, completion});
}

void
urbdrc_put_cancel(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
		  uint32_t request_id)
{
	urbdrc_put_msg(b, URBDRC_MASK_PROXY | usbdev, msgid,
		       URBDRC_FN_CANCEL_REQUEST, 1, &request_id);
}

void
urbdrc_put_retract(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
		   uint32_t reason)
{
	urbdrc_put_msg(b, URBDRC_MASK_PROXY | usbdev, msgid,
		       URBDRC_FN_RETRACT_DEVICE, 1, &reason);
}

void
urbdrc_put_io_control(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
		      bool internal, uint32_t code, const uint8_t *in,
		      uint32_t in_len, uint32_t out_size, uint32_t request_id)
{
	urbdrc_put_msg(b, URBDRC_MASK_PROXY | usbdev, msgid,
		       internal ? URBDRC_FN_INTERNAL_IO_CONTROL
				: URBDRC_FN_IO_CONTROL,
		       2, (const uint32_t[]){code, in_len});
	urbdrc_put_bytes(b, in, in_len);
	urbdrc_put_u32(b, out_size);
	urbdrc_put_u32(b, request_id);
}

void
urbdrc_put_query_text(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
		      uint32_t type, uint32_t locale)
{
	urbdrc_put_msg(b, URBDRC_MASK_PROXY | usbdev, msgid,
		       URBDRC_FN_QUERY_DEVICE_TEXT, 2,
		       (const uint32_t[]){type, locale});
}

/* TS_USBD_INTERFACE_INFORMATION of @iface/@alt from @cfg: u16 Length,
 * u16 PipesExpected, u8 If, u8 Alt, u16 pad, u32 NumPipes, 12 bytes a
 * pipe.  @return 0 or -EINVAL. */
static int
urbdrc_put_ifinfo(struct urbdrc_buf *b, const uint8_t *cfg, size_t n,
		  uint8_t iface, uint8_t alt)
{
	struct urbdrc_pipe ep[URBDRC_PIPES_MAX];
	int k =
	    urbdrc_config_endpoints(cfg, n, iface, alt, ep, URBDRC_PIPES_MAX);

	if (k < 0)
		return -EINVAL;
	urbdrc_put_u16(b, (uint16_t)(12 + 12 * k));
	urbdrc_put_u16(b, (uint16_t)k);
	urbdrc_put_u8(b, iface);
	urbdrc_put_u8(b, alt);
	urbdrc_put_u16(b, 0);
	urbdrc_put_u32(b, (uint32_t)k);
	for (int i = 0; i < k; i++) {
		urbdrc_put_u16(b, ep[i].mps);
		urbdrc_put_u16(b, 0);
		urbdrc_put_u32(b, 0x10000); /* MaximumTransferSize */
		urbdrc_put_u32(b, 0);	    /* PipeFlags */
	}
	return 0;
}

/* The interface numbers of a configuration descriptor (alternate 0). */
static int
urbdrc_config_ifaces(const uint8_t *cfg, size_t n, uint8_t *out, int max)
{
	int k = 0;

	for (size_t off = 0; off + 2 <= n;) {
		uint8_t len = cfg[off];

		if (len < 2 || off + len > n)
			return -EINVAL;
		if (cfg[off + 1] == 4 && len >= 9 && cfg[off + 3] == 0) {
			if (k == max)
				return -EINVAL;
			out[k++] = cfg[off + 2];
		}
		off += len;
	}
	return k;
}

static int
urbdrc_put_select_config(struct urbdrc_buf *b, const struct urbdrc_urb *u)
{
	uint8_t ifs[URBDRC_IFACES_MAX];
	int k;

	if (!u->config) {
		urbdrc_put_u8(b, 0); /* ConfigurationDescriptorIsValid */
		urbdrc_put_bytes(b, "\0\0\0", 3);
		urbdrc_put_u32(b, 0);
		return 0;
	}
	if (u->config_len < 9 || u->config[1] != 2)
		return -EINVAL;
	k = urbdrc_config_ifaces(u->config, u->config_len, ifs,
				 URBDRC_IFACES_MAX);
	if (k < 0)
		return -EINVAL;
	urbdrc_put_u8(b, 1);
	urbdrc_put_bytes(b, "\0\0\0", 3);
	urbdrc_put_u32(b, (uint32_t)k);
	for (int i = 0; i < k; i++)
		if (urbdrc_put_ifinfo(b, u->config, u->config_len, ifs[i], 0))
			return -EINVAL;
	urbdrc_put_bytes(b, u->config, u->config_len);
	return 0;
}

/* The TS_URB body after its header. */
static int
urbdrc_put_urb_body(struct urbdrc_buf *b, const struct urbdrc_urb *u)
{
	switch (u->fn) {
	case URBDRC_URB_SELECT_CONFIGURATION:
		return urbdrc_put_select_config(b, u);
	case URBDRC_URB_SELECT_INTERFACE:
		if (!u->config)
			return -EINVAL;
		urbdrc_put_u32(b, u->config_handle);
		return urbdrc_put_ifinfo(b, u->config, u->config_len, u->iface,
					 u->alt);
	case URBDRC_URB_PIPE_REQUEST:
	case URBDRC_URB_SYNC_RESET_PIPE_CLEAR:
	case URBDRC_URB_SYNC_RESET_PIPE:
	case URBDRC_URB_SYNC_CLEAR_STALL:
		urbdrc_put_u32(b, u->pipe);
		return 0;
	case URBDRC_URB_CONTROL_TRANSFER:
	case URBDRC_URB_CONTROL_TRANSFER_EX:
		urbdrc_put_u32(b, u->pipe);
		urbdrc_put_u32(b, u->flags);
		if (u->fn == URBDRC_URB_CONTROL_TRANSFER_EX)
			urbdrc_put_u32(b, u->timeout);
		urbdrc_put_bytes(b, u->setup, 8);
		return 0;
	case URBDRC_URB_BULK_OR_INTERRUPT:
		urbdrc_put_u32(b, u->pipe);
		urbdrc_put_u32(b, u->flags);
		return 0;
	case URBDRC_URB_GET_DESCRIPTOR_DEVICE:
	case URBDRC_URB_GET_DESCRIPTOR_EP:
	case URBDRC_URB_GET_DESCRIPTOR_IF:
		urbdrc_put_u8(b, u->desc_index);
		urbdrc_put_u8(b, u->desc_type);
		urbdrc_put_u16(b, u->lang);
		return 0;
	case URBDRC_URB_VENDOR_DEVICE:
	case URBDRC_URB_VENDOR_INTERFACE:
	case URBDRC_URB_VENDOR_ENDPOINT:
	case URBDRC_URB_VENDOR_OTHER:
	case URBDRC_URB_CLASS_DEVICE:
	case URBDRC_URB_CLASS_INTERFACE:
	case URBDRC_URB_CLASS_ENDPOINT:
	case URBDRC_URB_CLASS_OTHER:
		urbdrc_put_u32(b, u->flags);
		urbdrc_put_u8(b, 0); /* ReqTypeReservedBits */
		urbdrc_put_u8(b, u->request);
		urbdrc_put_u16(b, u->value);
		urbdrc_put_u16(b, u->index);
		urbdrc_put_u16(b, 0);
		return 0;
	}
	return -EINVAL;
}

int
urbdrc_put_transfer(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
		    const struct urbdrc_urb *u, uint32_t out_size,
		    const uint8_t *out, uint32_t out_len)
{
	size_t start = b->len, cb_off, urb_off;
	int rc;

	urbdrc_put_hdr(b, URBDRC_MASK_PROXY | usbdev, msgid,
		       out ? URBDRC_FN_TRANSFER_OUT : URBDRC_FN_TRANSFER_IN);
	cb_off = b->len;
	urbdrc_put_u32(b, 0); /* CbTsUrb, patched */
	urb_off = b->len;
	urbdrc_put_u16(b, 0); /* Size, patched */
	urbdrc_put_u16(b, u->fn);
	urbdrc_put_u32(b, u->request_id & 0x7FFFFFFFu);
	rc = urbdrc_put_urb_body(b, u);
	if (rc < 0 || b->len - urb_off > 0xFFFF) {
		b->len = start < b->len ? start : b->len;
		return -EINVAL;
	}
	urbdrc_patch_u32(b, cb_off, (uint32_t)(b->len - urb_off));
	urbdrc_patch_u16(b, urb_off, (uint16_t)(b->len - urb_off));
	urbdrc_put_u32(b, out ? out_len : out_size);
	if (out)
		urbdrc_put_bytes(b, out, out_len);
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

struct urbdrc_rd {
	const uint8_t *p;
	size_t n, off;
	const char *err;
};

static bool
urbdrc_need(struct urbdrc_rd *r, size_t k, const char *what)
{
	if (r->n - r->off >= k)
		return true;
	if (!r->err)
		r->err = what;
	return false;
}

/* The next @width (1, 2 or 4) bytes, little-endian; 0 and @what kept
 * as the error when fewer are left. */
static uint32_t
urbdrc_le(struct urbdrc_rd *r, size_t width, const char *what)
{
	uint32_t v = 0;

	if (!urbdrc_need(r, width, what))
		return 0;
	for (size_t i = 0; i < width; i++)
		v |= (uint32_t)r->p[r->off + i] << (8 * i);
	r->off += width;
	return v;
}

/* named by width, as the fields are in MS-RDPEUSB's tables */
#define urbdrc_u32(r, what) urbdrc_le(r, 4, what)
#define urbdrc_u16(r, what) ((uint16_t)urbdrc_le(r, 2, what))
#define urbdrc_u8(r, what)  ((uint8_t)urbdrc_le(r, 1, what))

/* UTF-16LE code units to UTF-8 into @out (NUL-terminated, at most
 * @size).  Stops at a NUL unit.  @return false when it does not fit;
 * @out then holds the whole characters that did. */
static bool
urbdrc_utf16_to_utf8(const uint8_t *p, uint32_t units, char *out, size_t size)
{
	size_t o = 0;

	for (uint32_t i = 0; i < units; i++) {
		uint32_t c = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8);
		char enc[4];
		size_t k;

		if (!c)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < units) {
			uint32_t lo =
			    (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8);
			if (lo >= 0xDC00 && lo < 0xE000) {
				c = 0x10000 + ((c - 0xD800) << 10) +
				    (lo - 0xDC00);
				i++;
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		if (c < 0x80) {
			enc[0] = (char)c;
			k = 1;
		} else if (c < 0x800) {
			enc[0] = (char)(0xC0 | c >> 6);
			enc[1] = (char)(0x80 | (c & 0x3F));
			k = 2;
		} else if (c < 0x10000) {
			enc[0] = (char)(0xE0 | c >> 12);
			enc[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			enc[2] = (char)(0x80 | (c & 0x3F));
			k = 3;
		} else {
			enc[0] = (char)(0xF0 | c >> 18);
			enc[1] = (char)(0x80 | ((c >> 12) & 0x3F));
			enc[2] = (char)(0x80 | ((c >> 6) & 0x3F));
			enc[3] = (char)(0x80 | (c & 0x3F));
			k = 4;
		}
		if (o + k + 1 > size) {
			out[o] = '\0';
			return false;
		}
		memcpy(out + o, enc, k);
		o += k;
	}
	out[o] = '\0';
	return true;
}

/* u32 cch, then cch UTF-16 units; @out gets the first string, @out2 (if
 * not NULL) the second of a multi-sz. */
static bool
urbdrc_str(struct urbdrc_rd *r, char *out, char *out2, const char *what)
{
	uint32_t cch = urbdrc_u32(r, what);
	const uint8_t *p;
	uint32_t first = 0;

	if (r->err)
		return false;
	if (cch > (r->n - r->off) / 2) {
		r->err = what;
		return false;
	}
	p = r->p + r->off;
	r->off += (size_t)cch * 2;
	while (first < cch && (p[2 * first] | p[2 * first + 1]))
		first++;
	if (!urbdrc_utf16_to_utf8(p, first, out, URBDRC_STR_MAX)) {
		r->err = what;
		return false;
	}
	if (out2) {
		out2[0] = '\0';
		if (first + 1 < cch &&
		    !urbdrc_utf16_to_utf8(p + 2 * (first + 1), cch - first - 1,
					  out2, URBDRC_STR_MAX)) {
			r->err = what;
			return false;
		}
	}
	return true;
}

/* QUERY_DEVICE_TEXT response after the header: u32 cch, the text, u32
 * HResult.  A text longer than m->text is cut at a character, not
 * refused: a product string may be 126 CJK characters, 378 bytes of
 * UTF-8, and the text only goes to a log line.  Overrunning the message
 * is an error. */
static void
urbdrc_parse_text(struct urbdrc_rd *r, struct urbdrc_msg *m)
{
	const char *what = "QUERY_DEVICE_TEXT response: text overruns the "
			   "message";
	uint32_t cch = urbdrc_u32(r, what);
	const uint8_t *p;

	if (r->err)
		return;
	if (cch > (r->n - r->off) / 2) {
		r->err = what;
		return;
	}
	p = r->p + r->off;
	r->off += (size_t)cch * 2;
	m->text_cut = !urbdrc_utf16_to_utf8(p, cch, m->text, sizeof(m->text));
	m->hresult = urbdrc_u32(r, "QUERY_DEVICE_TEXT response: no HResult");
}

static void
urbdrc_parse_add_device(struct urbdrc_rd *r, struct urbdrc_add_device *d)
{
	char unused[URBDRC_STR_MAX];
	uint32_t num = urbdrc_u32(r, "ADD_DEVICE: no NumUsbDevice");
	uint32_t *c = &d->caps.cb_size;

	if (!r->err && num != 1)
		r->err = "ADD_DEVICE: NumUsbDevice is not 1";
	d->usbdev = urbdrc_u32(r, "ADD_DEVICE: no UsbDevice");
	if (!r->err && (d->usbdev == 0 || d->usbdev > URBDRC_ID_BITS))
		r->err = "ADD_DEVICE: UsbDevice out of range";
	if (!r->err)
		urbdrc_str(r, d->instance_id, NULL,
			   "ADD_DEVICE: DeviceInstanceId overruns the message "
			   "or is too long");
	if (!r->err)
		urbdrc_str(r, d->hw_id[0], d->hw_id[1],
			   "ADD_DEVICE: HardwareIds overrun the message or "
			   "are too long");
	if (!r->err)
		urbdrc_str(r, d->compat_id, unused,
			   "ADD_DEVICE: CompatibilityIds overrun the message "
			   "or are too long");
	if (!r->err)
		urbdrc_str(r, d->container_id, NULL,
			   "ADD_DEVICE: ContainerId overruns the message or is "
			   "too long");
	for (int i = 0; i < 7; i++)
		c[i] = urbdrc_u32(r, "ADD_DEVICE: USB_DEVICE_CAPABILITIES "
				     "cut short");
	if (!r->err && d->caps.cb_size != 28)
		r->err = "ADD_DEVICE: USB_DEVICE_CAPABILITIES CbSize is not 28";
}

/* IOCONTROL_COMPLETION, URB_COMPLETION(_NO_DATA) after the header. */
static void
urbdrc_parse_completion(struct urbdrc_rd *r, struct urbdrc_msg *m)
{
	uint32_t cb;

	m->request_id = urbdrc_u32(r, "completion: no RequestId");
	if (m->kind == URBDRC_K_IOCTL_DONE) {
		m->hresult = urbdrc_u32(r, "IOCONTROL_COMPLETION: no HResult");
		m->information =
		    urbdrc_u32(r, "IOCONTROL_COMPLETION: no Information");
		m->out_size =
		    urbdrc_u32(r, "IOCONTROL_COMPLETION: no OutputBufferSize");
	} else {
		cb = urbdrc_u32(r, "URB completion: no CbTsUrbResult");
		if (r->err)
			return;
		if (cb < 8 || cb > r->n - r->off) {
			r->err = "URB completion: CbTsUrbResult out of range";
			return;
		}
		m->result_size = urbdrc_u16(r, "");
		m->result_fn = urbdrc_u16(r, "");
		m->usbd_status = urbdrc_u32(r, "");
		if (r->err)
			return;
		m->result = r->p + r->off;
		m->result_len = cb - 8;
		r->off += cb - 8;
		m->hresult = urbdrc_u32(r, "URB completion: no HResult");
		m->out_size =
		    urbdrc_u32(r, "URB completion: no OutputBufferSize");
	}
	if (r->err)
		return;
	/* What follows is the data: IOCTL and URB_COMPLETION carry it;
	 * FreeRDP 2.11 claims 4 bytes more than it sends for RESET_PORT,
	 * so the caller gets what is there and the claim separately. */
	m->data = r->p + r->off;
	m->data_len = (uint32_t)(r->n - r->off);
	if (m->kind == URBDRC_K_URB_DONE_NO_DATA)
		m->data_len = 0;
	else if (m->kind == URBDRC_K_URB_DONE && m->data_len != m->out_size)
		r->err = "URB_COMPLETION: OutputBufferSize is not the number "
			 "of bytes that follow";
	else if (m->data_len > m->out_size)
		m->data_len = m->out_size;
	r->off = r->n;
}

int
urbdrc_parse_client(const uint8_t *p, size_t n, struct urbdrc_msg *m,
		    const char **err)
{
	struct urbdrc_rd r = {.p = p, .n = n};
	uint32_t id, mask;

	memset(m, 0, sizeof(*m));
	m->iface = urbdrc_u32(&r, "message shorter than its header");
	m->msgid = urbdrc_u32(&r, "message shorter than its header");
	id = m->iface & URBDRC_ID_BITS;
	mask = m->iface & URBDRC_MASK_BITS;
	if (r.err)
		goto bad;
	if (mask == URBDRC_MASK_NONE && id == URBDRC_IF_CAPS) {
		m->kind = URBDRC_K_CAPS_RSP;
		m->capability = urbdrc_u32(&r, "capability response cut short");
		m->hresult = urbdrc_u32(&r, "capability response cut short");
		goto done;
	}
	if (mask == URBDRC_MASK_STUB) {
		m->kind = URBDRC_K_TEXT_RSP;
		urbdrc_parse_text(&r, m);
		goto done;
	}
	if (mask != URBDRC_MASK_PROXY) {
		r.err = "InterfaceId with an unknown mask";
		goto bad;
	}
	m->fn = urbdrc_u32(&r, "request without FunctionId");
	if (r.err)
		goto bad;
	if (m->fn == URBDRC_FN_RELEASE) {
		m->kind = URBDRC_K_RELEASE;
	} else if (id == URBDRC_IF_CLIENT_NTF &&
		   m->fn == URBDRC_FN_CHANNEL_CREATED) {
		m->kind = URBDRC_K_CHANNEL_CREATED;
		m->major = urbdrc_u32(&r, "CHANNEL_CREATED cut short");
		m->minor = urbdrc_u32(&r, "CHANNEL_CREATED cut short");
		m->caps = urbdrc_u32(&r, "CHANNEL_CREATED cut short");
	} else if (id == URBDRC_IF_DEVSINK &&
		   m->fn == URBDRC_FN_ADD_VIRTUAL_CHANNEL) {
		m->kind = URBDRC_K_ADD_VIRTUAL_CHANNEL;
	} else if (id == URBDRC_IF_DEVSINK && m->fn == URBDRC_FN_ADD_DEVICE) {
		m->kind = URBDRC_K_ADD_DEVICE;
		urbdrc_parse_add_device(&r, &m->dev);
	} else if (id > URBDRC_IF_CLIENT_NTF &&
		   m->fn >= URBDRC_FN_IOCONTROL_COMPLETION &&
		   m->fn <= URBDRC_FN_URB_COMPLETION_NO_DATA) {
		m->kind = m->fn == URBDRC_FN_IOCONTROL_COMPLETION
			      ? URBDRC_K_IOCTL_DONE
			  : m->fn == URBDRC_FN_URB_COMPLETION
			      ? URBDRC_K_URB_DONE
			      : URBDRC_K_URB_DONE_NO_DATA;
		urbdrc_parse_completion(&r, m);
	} else {
		r.err = "unknown FunctionId for its InterfaceId";
	}
done:
	if (!r.err)
		return 0;
bad:
	if (err)
		*err = r.err;
	return -EBADMSG;
}

int
urbdrc_parse_select_result(const uint8_t *p, size_t n, bool select_if,
			   struct urbdrc_select_result *res, const char **err)
{
	struct urbdrc_rd r = {.p = p, .n = n};
	uint32_t nifs = 1;

	memset(res, 0, sizeof(*res));
	if (!select_if) {
		res->config_handle =
		    urbdrc_u32(&r, "select result: no ConfigurationHandle");
		nifs = urbdrc_u32(&r, "select result: no NumInterfaces");
		if (!r.err && nifs > URBDRC_IFACES_MAX)
			r.err = "select result: too many interfaces";
	}
	for (uint32_t i = 0; i < nifs && !r.err; i++) {
		uint8_t ifn, alt;
		uint32_t np;

		urbdrc_u16(&r, "select result: interface cut short");
		ifn = urbdrc_u8(&r, "select result: interface cut short");
		alt = urbdrc_u8(&r, "select result: interface cut short");
		urbdrc_u32(&r, "select result: interface cut short");
		urbdrc_u32(&r, "select result: interface cut short");
		np = urbdrc_u32(&r, "select result: interface cut short");
		if (r.err)
			break;
		if (np > (r.n - r.off) / 20) {
			r.err = "select result: pipes overrun the message";
			break;
		}
		if (np > URBDRC_PIPES_MAX - res->npipes) {
			r.err = "select result: too many pipes";
			break;
		}
		for (uint32_t k = 0; k < np; k++) {
			struct urbdrc_pipe *q = &res->pipe[res->npipes++];

			q->iface = ifn;
			q->alt = alt;
			q->mps = urbdrc_u16(&r, "");
			q->ep = urbdrc_u8(&r, "");
			q->interval = urbdrc_u8(&r, "");
			q->type = urbdrc_u32(&r, "");
			q->handle = urbdrc_u32(&r, "");
			q->max_transfer = urbdrc_u32(&r, "");
			urbdrc_u32(&r, "");
		}
		res->nifaces++;
	}
	if (!r.err)
		return 0;
	if (err)
		*err = r.err;
	return -EBADMSG;
}

/* ---- the client's side --------------------------------------------------- */

static void
urbdrc_parse_transfer(struct urbdrc_rd *r, struct urbdrc_req *q)
{
	uint32_t cb = urbdrc_u32(r, "transfer: no CbTsUrb");

	if (r->err)
		return;
	if (cb < 8 || cb > r->n - r->off) {
		r->err = "transfer: CbTsUrb out of range";
		return;
	}
	q->urb_size = urbdrc_u16(r, "");
	q->urb_fn = urbdrc_u16(r, "");
	q->request_id = urbdrc_u32(r, "");
	q->no_ack = (q->request_id & 0x80000000u) != 0;
	q->request_id &= 0x7FFFFFFFu;
	q->urb = r->p + r->off;
	q->urb_len = cb - 8;
	r->off += cb - 8;
	q->out_size = urbdrc_u32(r, "transfer: no OutputBufferSize");
	if (r->err)
		return;
	if (q->fn == URBDRC_FN_TRANSFER_OUT) {
		if (q->out_size != r->n - r->off) {
			r->err = "TRANSFER_OUT: OutputBufferSize is not the "
				 "number of bytes that follow";
			return;
		}
		q->out = r->p + r->off;
		q->out_len = q->out_size;
		r->off = r->n;
	}
}

int
urbdrc_parse_server(const uint8_t *p, size_t n, struct urbdrc_req *q,
		    const char **err)
{
	struct urbdrc_rd r = {.p = p, .n = n};

	memset(q, 0, sizeof(*q));
	q->iface = urbdrc_u32(&r, "message shorter than its header");
	q->msgid = urbdrc_u32(&r, "message shorter than its header");
	q->fn = urbdrc_u32(&r, "message shorter than its header");
	if (r.err)
		goto bad;
	if (q->fn == URBDRC_FN_RELEASE)
		goto done;
	switch (q->iface) {
	case URBDRC_IF_CAPS:
		if (q->fn != URBDRC_FN_CAPS_REQUEST)
			r.err = "unknown function on the capability interface";
		q->capability = urbdrc_u32(&r, "capability request cut short");
		goto done;
	case URBDRC_MASK_PROXY | URBDRC_IF_SERVER_NTF:
		q->major = urbdrc_u32(&r, "CHANNEL_CREATED cut short");
		q->minor = urbdrc_u32(&r, "CHANNEL_CREATED cut short");
		urbdrc_u32(&r, "CHANNEL_CREATED cut short");
		goto done;
	}
	if ((q->iface & URBDRC_MASK_BITS) != URBDRC_MASK_PROXY) {
		r.err = "request with an InterfaceId not of a device";
		goto bad;
	}
	switch (q->fn) {
	case URBDRC_FN_CANCEL_REQUEST:
		q->request_id = urbdrc_u32(&r, "CANCEL_REQUEST cut short");
		break;
	case URBDRC_FN_REGISTER_CALLBACK:
		q->count =
		    urbdrc_u32(&r, "REGISTER_REQUEST_CALLBACK cut short");
		if (q->count)
			q->completion = urbdrc_u32(
			    &r, "REGISTER_REQUEST_CALLBACK cut short");
		break;
	case URBDRC_FN_IO_CONTROL:
	case URBDRC_FN_INTERNAL_IO_CONTROL:
		q->code = urbdrc_u32(&r, "IO_CONTROL cut short");
		q->in_len = urbdrc_u32(&r, "IO_CONTROL cut short");
		if (!r.err && q->in_len > r.n - r.off) {
			r.err = "IO_CONTROL: input overruns the message";
			break;
		}
		q->in = r.p + r.off;
		r.off += q->in_len;
		q->out_size = urbdrc_u32(&r, "IO_CONTROL cut short");
		q->request_id = urbdrc_u32(&r, "IO_CONTROL cut short");
		break;
	case URBDRC_FN_QUERY_DEVICE_TEXT:
		q->text_type = urbdrc_u32(&r, "QUERY_DEVICE_TEXT cut short");
		q->locale = urbdrc_u32(&r, "QUERY_DEVICE_TEXT cut short");
		break;
	case URBDRC_FN_TRANSFER_IN:
	case URBDRC_FN_TRANSFER_OUT:
		urbdrc_parse_transfer(&r, q);
		break;
	case URBDRC_FN_RETRACT_DEVICE:
		q->reason = urbdrc_u32(&r, "RETRACT_DEVICE cut short");
		break;
	default:
		r.err = "unknown FunctionId";
	}
done:
	if (!r.err)
		return 0;
bad:
	if (err)
		*err = r.err;
	return -EBADMSG;
}

void
urbdrc_put_caps_response(struct urbdrc_buf *b, uint32_t msgid)
{
	urbdrc_put_u32(b, URBDRC_IF_CAPS);
	urbdrc_put_u32(b, msgid);
	urbdrc_put_u32(b, 1);
	urbdrc_put_u32(b, 0);
}

void
urbdrc_put_add_virtual_channel(struct urbdrc_buf *b, uint32_t msgid)
{
	urbdrc_put_hdr(b, URBDRC_MASK_PROXY | URBDRC_IF_DEVSINK, msgid,
		       URBDRC_FN_ADD_VIRTUAL_CHANNEL);
}

/* cch + a multi-sz of two strings (the second may be ""). */
static void
urbdrc_put_multisz(struct urbdrc_buf *b, const char *a, const char *c)
{
	size_t off = b->len;
	uint32_t n;

	urbdrc_put_u32(b, 0);
	n = urbdrc_put_utf16z(b, a);
	if (c && *c)
		n += urbdrc_put_utf16z(b, c);
	urbdrc_put_u16(b, 0);
	urbdrc_patch_u32(b, off, n + 1);
}

static void
urbdrc_put_str(struct urbdrc_buf *b, const char *s)
{
	size_t off = b->len;

	urbdrc_put_u32(b, 0);
	urbdrc_patch_u32(b, off, urbdrc_put_utf16z(b, s));
}

void
urbdrc_put_add_device(struct urbdrc_buf *b, const struct urbdrc_add_device *d)
{
	const uint32_t *c = &d->caps.cb_size;

	urbdrc_put_hdr(b, URBDRC_MASK_PROXY | URBDRC_IF_DEVSINK, 0,
		       URBDRC_FN_ADD_DEVICE);
	urbdrc_put_u32(b, 1);
	urbdrc_put_u32(b, d->usbdev);
	urbdrc_put_str(b, d->instance_id);
	urbdrc_put_multisz(b, d->hw_id[0], d->hw_id[1]);
	urbdrc_put_multisz(b, d->compat_id, NULL);
	urbdrc_put_str(b, d->container_id);
	for (int i = 0; i < 7; i++)
		urbdrc_put_u32(b, c[i]);
}

void
urbdrc_put_text_response(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
			 const char *text, uint32_t hresult)
{
	urbdrc_put_u32(b, URBDRC_MASK_STUB | usbdev);
	urbdrc_put_u32(b, msgid);
	urbdrc_put_str(b, text);
	urbdrc_put_u32(b, hresult);
}

void
urbdrc_put_ioctl_done(struct urbdrc_buf *b, uint32_t completion, uint32_t msgid,
		      uint32_t request_id, uint32_t hresult,
		      uint32_t information, const uint8_t *data, uint32_t len)
{
	urbdrc_put_hdr(b, URBDRC_MASK_PROXY | completion, msgid,
		       URBDRC_FN_IOCONTROL_COMPLETION);
	urbdrc_put_u32(b, request_id);
	urbdrc_put_u32(b, hresult);
	urbdrc_put_u32(b, information);
	urbdrc_put_u32(b, len);
	urbdrc_put_bytes(b, data, len);
}

void
urbdrc_put_urb_done(struct urbdrc_buf *b, uint32_t completion, uint32_t msgid,
		    uint32_t request_id, bool no_data, uint16_t urb_fn,
		    uint32_t usbd_status, const uint8_t *result,
		    uint32_t result_len, uint32_t out_size, const uint8_t *data,
		    uint32_t data_len)
{
	urbdrc_put_hdr(b, URBDRC_MASK_PROXY | completion, msgid,
		       no_data ? URBDRC_FN_URB_COMPLETION_NO_DATA
			       : URBDRC_FN_URB_COMPLETION);
	urbdrc_put_u32(b, request_id);
	urbdrc_put_u32(b, 8 + result_len);
	urbdrc_put_u16(b, (uint16_t)(8 + result_len));
	urbdrc_put_u16(b, urb_fn);
	urbdrc_put_u32(b, usbd_status);
	urbdrc_put_bytes(b, result, result_len);
	urbdrc_put_u32(b, 0); /* HResult */
	urbdrc_put_u32(b, out_size);
	if (!no_data)
		urbdrc_put_bytes(b, data, data_len);
}

/* ---- USB descriptors ---------------------------------------------------- */

int
urbdrc_config_endpoints(const uint8_t *cfg, size_t n, int iface, uint8_t alt,
			struct urbdrc_pipe *out, int max)
{
	int k = 0, cur_if = -1, cur_alt = -1;

	for (size_t off = 0; off + 2 <= n;) {
		uint8_t len = cfg[off], type = cfg[off + 1];

		if (len < 2 || off + len > n)
			return -EBADMSG;
		if (type == 4 && len >= 9) {
			cur_if = cfg[off + 2];
			cur_alt = cfg[off + 3];
		} else if (type == 5 && len >= 7 &&
			   (iface < 0 ? cur_alt == 0
				      : cur_if == iface && cur_alt == alt)) {
			if (k == max)
				return -EBADMSG;
			out[k] = (struct urbdrc_pipe){
			    .iface = (uint8_t)cur_if,
			    .alt = (uint8_t)cur_alt,
			    .ep = cfg[off + 2],
			    .type = cfg[off + 3] & 3u,
			    .mps = (uint16_t)(cfg[off + 4] | cfg[off + 5] << 8),
			    .interval = cfg[off + 6],
			};
			k++;
		}
		off += len;
	}
	return k;
}
