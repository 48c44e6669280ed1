/*
 * vnc_proto.c - the parser of what an RFB client sends after the
 * handshake, and of its ProtocolVersion.  Pure functions over a byte
 * buffer (no I/O, no allocation), so that the fuzz target runs exactly the
 * code the module runs.  Every length is checked against the buffer and
 * against an explicit limit (vnc.h) before it is used.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vnc.h"

const struct vnc_pixfmt vnc_native_pf = {
    .bpp = 32,
    .depth = 24,
    .big_endian = 0,
    .true_color = 1,
    .rmax = 255,
    .gmax = 255,
    .bmax = 255,
    .rshift = 16,
    .gshift = 8,
    .bshift = 0,
};

static uint16_t
vnc_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
vnc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void
vnc_pixfmt_read(const uint8_t *p, struct vnc_pixfmt *pf)
{
	pf->bpp = p[0];
	pf->depth = p[1];
	pf->big_endian = p[2] != 0;
	pf->true_color = p[3] != 0;
	pf->rmax = vnc_get16(p + 4);
	pf->gmax = vnc_get16(p + 6);
	pf->bmax = vnc_get16(p + 8);
	pf->rshift = p[10];
	pf->gshift = p[11];
	pf->bshift = p[12];
}

void
vnc_pixfmt_write(uint8_t *p, const struct vnc_pixfmt *pf)
{
	memset(p, 0, 16);
	p[0] = pf->bpp;
	p[1] = pf->depth;
	p[2] = pf->big_endian;
	p[3] = pf->true_color;
	p[4] = pf->rmax >> 8;
	p[5] = pf->rmax & 0xff;
	p[6] = pf->gmax >> 8;
	p[7] = pf->gmax & 0xff;
	p[8] = pf->bmax >> 8;
	p[9] = pf->bmax & 0xff;
	p[10] = pf->rshift;
	p[11] = pf->gshift;
	p[12] = pf->bshift;
}

/* A colour channel must fit the pixel: max + 1 a power of two (what every
 * viewer sends) and max << shift inside bpp bits. */
static bool
vnc_channel_ok(uint16_t max, uint8_t shift, uint8_t bpp)
{
	if (!max || (max & (max + 1u)) || shift >= bpp)
		return false;
	return ((uint64_t)max << shift) < (1ull << bpp);
}

int
vnc_pixfmt_check(const struct vnc_pixfmt *pf, char *err, size_t size)
{
	if (pf->bpp != 8 && pf->bpp != 16 && pf->bpp != 32) {
		snprintf(err, size,
			 "SetPixelFormat: %u bits per pixel "
			 "(8, 16 or 32)",
			 pf->bpp);
		return -EPROTO;
	}
	if (!pf->true_color) {
		snprintf(err, size,
			 "SetPixelFormat: colour-map formats are "
			 "not supported (true colour only)");
		return -EPROTO;
	}
	if (!vnc_channel_ok(pf->rmax, pf->rshift, pf->bpp) ||
	    !vnc_channel_ok(pf->gmax, pf->gshift, pf->bpp) ||
	    !vnc_channel_ok(pf->bmax, pf->bshift, pf->bpp)) {
		snprintf(err, size,
			 "SetPixelFormat: a colour channel does "
			 "not fit %u bits (max %u/%u/%u shift %u/%u/%u)",
			 pf->bpp, pf->rmax, pf->gmax, pf->bmax, pf->rshift,
			 pf->gshift, pf->bshift);
		return -EPROTO;
	}
	return 0;
}

int
vnc_parse_version(const uint8_t *buf, size_t len)
{
	int major, minor;

	if (len < 12 || memcmp(buf, "RFB ", 4) || buf[7] != '.' ||
	    buf[11] != '\n')
		return -EPROTO;
	for (int i = 4; i < 11; i++)
		if (i != 7 && (buf[i] < '0' || buf[i] > '9'))
			return -EPROTO;
	major = (buf[4] - '0') * 100 + (buf[5] - '0') * 10 + (buf[6] - '0');
	minor = (buf[8] - '0') * 100 + (buf[9] - '0') * 10 + (buf[10] - '0');
	if (major != 3)
		return -EPROTO;
	/* RFB: an unknown 3.x below 3.7 is 3.3; above 3.8 (Apple's 3.889)
	 * is 3.8 */
	if (minor >= 8)
		return 8;
	return minor == 7 ? 7 : 3;
}

static int
vnc_parse_encodings(const uint8_t *buf, size_t len, struct vnc_msg *m,
		    char *err, size_t size)
{
	uint32_t n = vnc_get16(buf + 2);

	if (n > VNC_MAX_ENC_MSG) {
		snprintf(err, size, "SetEncodings: %u encodings (limit %u)", n,
			 VNC_MAX_ENC_MSG);
		return -EPROTO;
	}
	if (len < 4 + (size_t)n * 4)
		return 0;
	m->u.encs.n = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (m->u.encs.n < VNC_MAX_ENCODINGS)
			m->u.encs.enc[m->u.encs.n++] =
			    (int32_t)vnc_get32(buf + 4 + i * 4);
	}
	return (int)(4 + n * 4);
}

static int
vnc_parse_desktop_size(const uint8_t *buf, size_t len, struct vnc_msg *m,
		       char *err, size_t size)
{
	uint32_t n;

	if (len < 8)
		return 0;
	n = buf[6];
	if (n < 1 || n > VNC_MAX_DESK_SCREEN) {
		snprintf(err, size, "SetDesktopSize: %u screens (1..%u)", n,
			 VNC_MAX_DESK_SCREEN);
		return -EPROTO;
	}
	if (len < 8 + (size_t)n * 16)
		return 0;
	m->u.size.w = vnc_get16(buf + 2);
	m->u.size.h = vnc_get16(buf + 4);
	return (int)(8 + n * 16);
}

static int
vnc_parse_qemu(const uint8_t *buf, size_t len, struct vnc_msg *m, char *err,
	       size_t size)
{
	if (len < 2)
		return 0;
	if (buf[1] != 0) { /* only the extended key event is announced */
		snprintf(err, size,
			 "QEMU client message subtype %u is not "
			 "supported",
			 buf[1]);
		return -EPROTO;
	}
	if (len < 12)
		return 0;
	m->u.key.down = vnc_get16(buf + 2) != 0;
	m->u.key.keysym = vnc_get32(buf + 4);
	m->u.key.keycode = vnc_get32(buf + 8);
	return 12;
}

int
vnc_parse_msg(const uint8_t *buf, size_t len, struct vnc_msg *m, char *err,
	      size_t size)
{
	if (len < 1)
		return 0;
	memset(m, 0, sizeof(*m));
	m->type = buf[0];
	switch (buf[0]) {
	case VNC_MSG_SET_PIXEL_FORMAT:
		if (len < 20)
			return 0;
		vnc_pixfmt_read(buf + 4, &m->u.pf);
		if (vnc_pixfmt_check(&m->u.pf, err, size) < 0)
			return -EPROTO;
		return 20;
	case VNC_MSG_SET_ENCODINGS:
		if (len < 4)
			return 0;
		return vnc_parse_encodings(buf, len, m, err, size);
	case VNC_MSG_UPDATE_REQUEST:
		if (len < 10)
			return 0;
		m->u.req.incremental = buf[1] != 0;
		m->u.req.x = vnc_get16(buf + 2);
		m->u.req.y = vnc_get16(buf + 4);
		m->u.req.w = vnc_get16(buf + 6);
		m->u.req.h = vnc_get16(buf + 8);
		return 10;
	case VNC_MSG_KEY:
		if (len < 8)
			return 0;
		m->u.key.down = buf[1] != 0;
		m->u.key.keysym = vnc_get32(buf + 4);
		return 8;
	case VNC_MSG_POINTER:
		if (len < 6)
			return 0;
		m->u.ptr.mask = buf[1];
		m->u.ptr.x = vnc_get16(buf + 2);
		m->u.ptr.y = vnc_get16(buf + 4);
		return 6;
	case VNC_MSG_CUT_TEXT:
		if (len < 8)
			return 0;
		/* the text is discarded as it arrives (the clipboard is not
		 * shared); ExtendedClipboard's negative length is a length
		 * too */
		m->u.cut.len = vnc_get32(buf + 4);
		if (m->u.cut.len & 0x80000000u)
			m->u.cut.len = -m->u.cut.len;
		if (m->u.cut.len > VNC_MAX_CUT_TEXT) {
			snprintf(err, size,
				 "ClientCutText of %u bytes (limit "
				 "%u)",
				 m->u.cut.len, VNC_MAX_CUT_TEXT);
			return -EPROTO;
		}
		return 8;
	case VNC_MSG_SET_DESKTOP_SIZE:
		return vnc_parse_desktop_size(buf, len, m, err, size);
	case VNC_MSG_QEMU:
		return vnc_parse_qemu(buf, len, m, err, size);
	default:
		snprintf(err, size, "unknown client message type %u", buf[0]);
		return -EPROTO;
	}
}
