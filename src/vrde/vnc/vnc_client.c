/*
 * vnc_client.c - one thread per viewer: the RFB handshake, the message
 * loop and framebuffer updates.
 *
 * The socket is non-blocking; every wait is a poll() with a deadline (the
 * logon timeout during the handshake, VNC_WRITE_TIMEOUT_MS for a viewer
 * that stops reading), so a stalled viewer only ever holds its own thread.
 * The thread sleeps in poll() on the socket and an eventfd that update(),
 * the pointer entry points and disconnect() write.  An update is sent
 * only while the viewer has asked for one (FramebufferUpdateRequest), as
 * RFB wants; the tiles come from vnc_screen_collect(), shared with every
 * viewer of the screen using the same configuration.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "util/log.h"
#include "vnc.h"

#define VNC_WRITE_TIMEOUT_MS 30000
/* not logged on, per address: a browser loading the console opens a
 * dozen connections at once */

/* TigerVNC's JPEG qualities for levels 0..9. */
static const uint8_t vnc_jpeg_quality[10] = {15, 29, 41, 42, 62,
					     77, 79, 86, 92, 100};

/* ---- I/O -------------------------------------------------------------- */

ssize_t
vnc_raw_io(struct vnc_client *c, void *buf, size_t n, bool wr, short *want)
{
	ssize_t r;
	int e;

	*want = wr ? POLLOUT : POLLIN;
	if (c->ssl) {
		r = wr ? SSL_write(c->ssl, buf, (int)n)
		       : SSL_read(c->ssl, buf, (int)n);
		if (r > 0)
			return r;
		e = SSL_get_error(c->ssl, (int)r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			*want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			return -EAGAIN;
		}
		return e == SSL_ERROR_ZERO_RETURN ? 0 : -ECONNRESET;
	}
	r = wr ? send(c->fd, buf, n, MSG_NOSIGNAL) : recv(c->fd, buf, n, 0);
	if (r >= 0)
		return r;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

static int
vnc_wait(struct vnc_client *c, short events, int64_t deadline)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	int64_t left;
	int r;

	for (;;) {
		if (atomic_load(&c->quit))
			return -ECANCELED;
		left = deadline - vmod_mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 500 ? 500 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int
vnc_io_wait(struct vnc_client *c, bool rd, int64_t deadline)
{
	return vnc_wait(c, rd ? POLLIN : POLLOUT, deadline);
}

/* RFB bytes in or out: through the WebSocket layer for browsers. */
static ssize_t
vnc_io(struct vnc_client *c, void *buf, size_t n, bool wr, short *want)
{
	if (c->ws && !wr)
		return vnc_ws_read(c, buf, n, want);
	return vnc_raw_io(c, buf, n, wr, want);
}

int
vnc_write_all(struct vnc_client *c, const void *buf, size_t n)
{
	return c->ws ? vnc_ws_write(c, buf, n) : vnc_raw_write_all(c, buf, n);
}

/* Move all @n bytes in (@wr false) or out (true: at the socket level,
 * a megabyte at a time) before @deadline, counting them in @count. */
static int
vnc_xfer_all(struct vnc_client *c, uint8_t *p, size_t n, bool wr,
	     int64_t deadline, atomic_ullong *count)
{
	short want;
	ssize_t r;
	int rc;

	while (n) {
		r = vnc_io(c, p, wr && n > (1u << 20) ? (1u << 20) : n, wr,
			   &want);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			atomic_fetch_add(count, (uint64_t)r);
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (r != -EAGAIN)
			return (int)r;
		rc = vnc_wait(c, want, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
vnc_raw_write_all(struct vnc_client *c, const void *buf, size_t n)
{
	return vnc_xfer_all(c, (uint8_t *)buf, n, true,
			    vmod_mono_ms() + VNC_WRITE_TIMEOUT_MS,
			    &c->vc.bytes_sent);
}

int
vnc_read_exact(struct vnc_client *c, void *buf, size_t n)
{
	return vnc_xfer_all(c, buf, n, false,
			    c->begin_mono + c->srv->logon_timeout_ms,
			    &c->vc.bytes_received);
}

/* ---- output buffer ------------------------------------------------------ */

struct vnc_out {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static uint8_t *
vnc_out_room(struct vnc_out *o, size_t n)
{
	uint8_t *p;

	if (o->failed)
		return NULL;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;

		while (cap < o->len + n)
			cap *= 2;
		p = realloc(o->p, cap);
		if (!p) {
			o->failed = true;
			return NULL;
		}
		o->p = p;
		o->cap = cap;
	}
	p = o->p + o->len;
	o->len += n;
	return p;
}

static void
vnc_out_put(struct vnc_out *o, const void *d, size_t n)
{
	uint8_t *p = vnc_out_room(o, n);

	if (p && n)
		memcpy(p, d, n);
}

static void
vnc_out_u8(struct vnc_out *o, uint8_t v)
{
	vnc_out_put(o, &v, 1);
}

static void
vnc_out_u16(struct vnc_out *o, uint16_t v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};

	vnc_out_put(o, b, 2);
}

static void
vnc_out_u32(struct vnc_out *o, uint32_t v)
{
	uint8_t b[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};

	vnc_out_put(o, b, 4);
}

static void
vnc_out_rect(struct vnc_out *o, uint16_t x, uint16_t y, uint16_t w, uint16_t h,
	     int32_t enc)
{
	vnc_out_u16(o, x);
	vnc_out_u16(o, y);
	vnc_out_u16(o, w);
	vnc_out_u16(o, h);
	vnc_out_u32(o, (uint32_t)enc);
}

/* ---- handshake ----------------------------------------------------------- */

static int
vnc_server_init(struct vnc_client *c)
{
	struct vnc_server *srv = c->srv;
	struct vnc_out o = {0};
	uint8_t pf[16];
	int rc;

	vmod_fb_ensure_filled(vmod_screen_fb(srv, c->vc.screen));
	vmod_fb_geometry(vmod_screen_fb(srv, c->vc.screen), &c->width,
			 &c->height, &c->geom_seen);
	/* a screen the guest has not switched on (yet): viewers get a
	 * black one of VNC_BLANK_W x VNC_BLANK_H, as 0x0 breaks many */
	c->blank = !c->width || !c->height;
	if (c->blank) {
		c->width = VNC_BLANK_W;
		c->height = VNC_BLANK_H;
	}
	vnc_out_u16(&o, (uint16_t)c->width);
	vnc_out_u16(&o, (uint16_t)c->height);
	vnc_pixfmt_write(pf, &vnc_native_pf);
	vnc_out_put(&o, pf, sizeof(pf));
	vnc_out_u32(&o, (uint32_t)strlen(srv->name));
	vnc_out_put(&o, srv->name, strlen(srv->name));
	rc = o.failed ? -ENOMEM : vnc_write_all(c, o.p, o.len);
	free(o.p);
	return rc;
}

static int
vnc_handshake(struct vnc_client *c)
{
	uint8_t ver[12], shared;
	int rc;

	rc = vnc_web_accept(c);
	if (rc < 0)
		return rc;
	rc = vnc_write_all(c, "RFB 003.008\n", 12);
	if (rc == 0)
		rc = vnc_read_exact(c, ver, sizeof(ver));
	if (rc < 0)
		return rc;
	c->minor = vnc_parse_version(ver, sizeof(ver));
	if (c->minor < 0) {
		vnc_warn(c->srv,
			 "client %u (%s): not an RFB 3.x client; "
			 "dropped",
			 c->vc.id, c->vc.address);
		return -EPROTO;
	}
	rc = vnc_auth_run(c);
	if (rc < 0)
		return rc;
	/* ClientInit: the shared flag.  Sharing is the host's policy
	 * (allowMultiConnection), so the flag is read and not obeyed. */
	rc = vnc_read_exact(c, &shared, 1);
	if (rc == 0)
		rc = vnc_server_init(c);
	return rc;
}

/* ---- client messages ------------------------------------------------------
 */

static void
vnc_emit(struct vnc_client *c, const struct vrde_input_event *ev)
{
	struct vnc_server *srv = c->srv;

	if (!srv->disable_input)
		srv->core.host.cb->input(srv->core.host.ctx, c->vc.id,
					 c->vc.screen, ev);
}

static void
vnc_on_key(struct vnc_client *c, const struct vnc_msg *m)
{
	struct vrde_input_event ev = {.type = VRDE_INPUT_SCANCODE};
	int code;

	if (m->u.key.keycode) {
		/* QEMU's XT code: the 0x80 bit stands for the E0 prefix */
		code = (int)(m->u.key.keycode & 0x7f);
		if (m->u.key.keycode & 0x80)
			code |= 0x100;
		if (m->u.key.keycode > 0xff)
			code = 0;
	} else {
		code = vnc_keysym_to_xt(c->srv->keymap, m->u.key.keysym);
	}
	if (!code) {
		vnc_debug(c->srv,
			  "client %u: no scancode for keysym 0x%x "
			  "(keycode 0x%x)",
			  c->vc.id, m->u.key.keysym, m->u.key.keycode);
		return;
	}
	ev.u.key.scancode = (uint8_t)(code & 0x7f);
	ev.u.key.flags = (m->u.key.down ? 0 : VRDE_KEY_RELEASE) |
			 (code & 0x100 ? VRDE_KEY_E0 : 0);
	vnc_emit(c, &ev);
}

static void
vnc_on_pointer(struct vnc_client *c, const struct vnc_msg *m)
{
	struct vrde_input_event ev = {.type = VRDE_INPUT_POINTER};
	uint8_t mask = m->u.ptr.mask, pressed = mask & ~c->buttons;

	ev.u.pointer.x = m->u.ptr.x;
	ev.u.pointer.y = m->u.ptr.y;
	ev.u.pointer.buttons = (mask & 1 ? VRDE_BUTTON_LEFT : 0) |
			       (mask & 2 ? VRDE_BUTTON_MIDDLE : 0) |
			       (mask & 4 ? VRDE_BUTTON_RIGHT : 0) |
			       (mask & 0x80 ? VRDE_BUTTON_X1 : 0);
	/* wheel "buttons" 4..7 count when they go down */
	ev.u.pointer.wheel = (pressed & 8 ? 1 : 0) - (pressed & 16 ? 1 : 0);
	ev.u.pointer.hwheel = (pressed & 64 ? 1 : 0) - (pressed & 32 ? 1 : 0);
	c->buttons = mask;
	vnc_emit(c, &ev);
}

static void
vnc_on_encodings(struct vnc_client *c, const struct vnc_msg *m)
{
	struct vnc_config cfg = {.enc = VNC_ENC_RAW, .pf = c->pf};
	bool have = false;
	int level = -1;

	c->want_cursor = c->want_desksize = c->want_extdesk = false;
	c->want_qemukey = c->want_lastrect = false;
	for (uint32_t i = 0; i < m->u.encs.n; i++) {
		int32_t e = m->u.encs.enc[i];

		if (!have && (e == VNC_ENC_TIGHT || e == VNC_ENC_ZRLE ||
			      e == VNC_ENC_HEXTILE || e == VNC_ENC_RAW)) {
			cfg.enc = e;
			have = true;
		} else if (e == VNC_PSEUDO_CURSOR) {
			c->want_cursor = true;
		} else if (e == VNC_PSEUDO_DESKSIZE) {
			c->want_desksize = true;
		} else if (e == VNC_PSEUDO_EXTDESK) {
			if (!c->want_extdesk)
				c->extdesk_pending = true;
			c->want_extdesk = true;
		} else if (e == VNC_PSEUDO_QEMUKEY) {
			c->want_qemukey = true;
		} else if (e == VNC_PSEUDO_LASTRECT) {
			c->want_lastrect = true;
		} else if (e >= VNC_PSEUDO_QUAL_LO && e <= VNC_PSEUDO_QUAL_HI &&
			   level < 0) {
			level = e - VNC_PSEUDO_QUAL_LO;
		}
	}
	if (cfg.enc == VNC_ENC_TIGHT && level >= 0)
		cfg.jpeg = vnc_jpeg_quality[level];
	if (!c->want_cursor)
		c->pointer_gen_sent = 0;
	vnc_screen_attach(c, &cfg);
	vnc_debug(c->srv, "client %u: encoding %d, JPEG quality %d", c->vc.id,
		  cfg.enc, cfg.jpeg);
}

static int
vnc_on_message(struct vnc_client *c, const struct vnc_msg *m)
{
	struct vnc_server *srv = c->srv;
	struct vnc_config cfg;

	switch (m->type) {
	case VNC_MSG_SET_PIXEL_FORMAT:
		c->pf = m->u.pf;
		cfg = c->cfg;
		cfg.pf = c->pf;
		vnc_screen_attach(c, &cfg);
		c->full_requested = true;
		break;
	case VNC_MSG_SET_ENCODINGS:
		vnc_on_encodings(c, m);
		break;
	case VNC_MSG_UPDATE_REQUEST:
		c->update_requested = true;
		if (!m->u.req.incremental)
			c->full_requested = true;
		break;
	case VNC_MSG_KEY:
	case VNC_MSG_QEMU:
		vnc_on_key(c, m);
		break;
	case VNC_MSG_POINTER:
		vnc_on_pointer(c, m);
		break;
	case VNC_MSG_CUT_TEXT:
		c->skip = m->u.cut.len;
		break;
	case VNC_MSG_SET_DESKTOP_SIZE:
		if (srv->core.host.cb->video_mode_hint)
			srv->core.host.cb->video_mode_hint(
			    srv->core.host.ctx, c->vc.screen, m->u.size.w,
			    m->u.size.h);
		c->extdesk_reply = true;
		break;
	}
	return 0;
}

/* Consume what is buffered.  @return 0 or -EPROTO (logged). */
static int
vnc_process_input(struct vnc_client *c)
{
	size_t off = 0;
	struct vnc_msg m;
	char err[160];
	int n;

	for (;;) {
		if (c->skip) {
			size_t k = c->in_len - off < c->skip ? c->in_len - off
							     : c->skip;

			off += k;
			c->skip -= k;
			if (c->skip)
				break;
		}
		n = vnc_parse_msg(c->in + off, c->in_len - off, &m, err,
				  sizeof(err));
		if (n < 0) {
			char a[96];

			vnc_warn(c->srv, "client %u (%s): %s; dropped",
				 c->vc.id,
				 log_escape(a, sizeof(a), c->vc.address), err);
			return -EPROTO;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		vnc_on_message(c, &m);
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	/* a message that cannot fit the buffer is one the parser refuses
	 * by its limits first; this is the last line of defence */
	if (c->in_len == sizeof(c->in)) {
		vnc_warn(c->srv,
			 "client %u: message larger than %zu bytes; "
			 "dropped",
			 c->vc.id, sizeof(c->in));
		return -EPROTO;
	}
	return 0;
}

/* ---- updates ----------------------------------------------------------------
 */

static void
vnc_put_cursor(struct vnc_client *c, struct vnc_out *o)
{
	struct vmod_pointer *p = &c->srv->core.pointer;
	uint32_t w, h, mask_row;
	uint8_t *px, *mask;

	pthread_mutex_lock(&c->srv->core.lock);
	c->pointer_gen_sent = p->gen;
	w = p->hidden || !p->argb ? 0 : p->width;
	h = p->hidden || !p->argb ? 0 : p->height;
	vnc_out_rect(o, w ? (uint16_t)p->hot_x : 0, h ? (uint16_t)p->hot_y : 0,
		     (uint16_t)w, (uint16_t)h, VNC_PSEUDO_CURSOR);
	mask_row = (w + 7) / 8;
	px = vnc_out_room(o, (size_t)w * h * (c->pf.bpp / 8));
	if (px)
		vnc_convert(&c->pf, (const uint8_t *)p->argb, (size_t)w * h,
			    px);
	mask = vnc_out_room(o, (size_t)mask_row * h);
	if (mask) {
		memset(mask, 0, (size_t)mask_row * h);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				if ((p->argb[y * w + x] >> 24) >= 0x80)
					mask[y * mask_row + x / 8] |=
					    0x80 >> (x % 8);
	}
	pthread_mutex_unlock(&c->srv->core.lock);
}

static void
vnc_put_extdesk(struct vnc_client *c, struct vnc_out *o, uint16_t reason,
		uint16_t status)
{
	vnc_out_rect(o, reason, status, (uint16_t)c->width, (uint16_t)c->height,
		     VNC_PSEUDO_EXTDESK);
	vnc_out_u8(o, 1);
	vnc_out_u8(o, 0);
	vnc_out_u16(o, 0);
	vnc_out_u32(o, 0); /* screen id */
	vnc_out_u16(o, 0);
	vnc_out_u16(o, 0);
	vnc_out_u16(o, (uint16_t)c->width);
	vnc_out_u16(o, (uint16_t)c->height);
	vnc_out_u32(o, 0);
}

static void
vnc_put_tile(struct vnc_client *c, struct vnc_out *o,
	     const struct vnc_tile_out *t)
{
	static const uint8_t zlib_header[2] = {0x78, 0x01};
	bool hdr = c->cfg.enc == VNC_ENC_ZRLE && !c->zrle_header_sent;

	vnc_out_rect(o, t->x, t->y, t->w, t->h, c->cfg.enc);
	if (c->cfg.enc == VNC_ENC_ZRLE) {
		vnc_out_u32(o, t->blob->len + (hdr ? 2 : 0));
		if (hdr)
			vnc_out_put(o, zlib_header, 2);
		c->zrle_header_sent = true;
	}
	vnc_out_put(o, t->blob->data, t->blob->len);
}

/* The screen changed size: tell the viewer, or drop it if it cannot
 * follow.  @return 0, or -EPROTO. */
static int
vnc_put_resize(struct vnc_client *c, struct vnc_out *o, uint16_t *nrects)
{
	uint32_t w, h;
	uint64_t g;

	vmod_fb_geometry(vmod_screen_fb(c->srv, c->vc.screen), &w, &h, &g);
	c->geom_seen = g;
	c->blank = !w || !h;
	if (c->blank) {
		w = VNC_BLANK_W;
		h = VNC_BLANK_H;
		c->full_requested = true;
	}
	if (w == c->width && h == c->height)
		return 0;
	if (!c->want_extdesk && !c->want_desksize) {
		vnc_warn(c->srv,
			 "client %u: screen %u is now %ux%u and the "
			 "viewer cannot resize (no DesktopSize); dropped",
			 c->vc.id, c->vc.screen + 1, w, h);
		return -EPROTO;
	}
	c->width = w;
	c->height = h;
	if (c->want_extdesk)
		vnc_put_extdesk(c, o, 0, 0);
	else
		vnc_out_rect(o, 0, 0, (uint16_t)w, (uint16_t)h,
			     VNC_PSEUDO_DESKSIZE);
	(*nrects)++;
	c->full_requested = true;
	return 0;
}

/* The black screen of a head that is off, in the viewer's encoding: one
 * encoded tile sent for every place (each stands alone, vnc_enc.c). */
static int
vnc_put_blank(struct vnc_client *c, struct vnc_out *o, uint16_t *nrects)
{
	static const uint8_t black[VNC_TILE * VNC_TILE * 4];
	struct vnc_tile_out t = {.w = VNC_TILE, .h = VNC_TILE};

	if (!c->enc && !(c->enc = vnc_encoder_new()))
		return -ENOMEM;
	t.blob = vnc_encode(c->enc, &c->cfg, black, VNC_TILE * 4, VNC_TILE,
			    VNC_TILE);
	if (!t.blob)
		return -EIO;
	for (t.y = 0; t.y < VNC_BLANK_H; t.y += VNC_TILE)
		for (t.x = 0; t.x < VNC_BLANK_W; t.x += VNC_TILE) {
			vnc_put_tile(c, o, &t);
			(*nrects)++;
		}
	vmod_blob_unref(t.blob);
	return 0;
}

static int
vnc_send_update(struct vnc_client *c)
{
	struct vnc_out o = {0};
	struct vnc_tile_out *tiles = NULL;
	uint16_t nrects = 0;
	uint32_t nt = 0;
	uint64_t pgen;
	int rc = 0;

	vnc_out_room(&o, 4); /* header, filled in below */
	if (c->want_qemukey && !c->qemukey_sent) {
		vnc_out_rect(&o, 0, 0, 0, 0, VNC_PSEUDO_QEMUKEY);
		c->qemukey_sent = true;
		nrects++;
	}
	if (c->extdesk_pending || c->extdesk_reply) {
		vnc_put_extdesk(c, &o, c->extdesk_reply ? 1 : 0, 0);
		c->extdesk_pending = c->extdesk_reply = false;
		nrects++;
	}
	pthread_mutex_lock(&c->srv->core.lock);
	pgen = c->srv->core.pointer.gen;
	pthread_mutex_unlock(&c->srv->core.lock);
	if (c->want_cursor && pgen != c->pointer_gen_sent) {
		vnc_put_cursor(c, &o);
		nrects++;
	}
	for (int tries = 0; tries < 3; tries++) {
		rc = vnc_screen_collect(c, c->full_requested, &tiles, &nt);
		if (rc != -ESTALE)
			break;
		rc = vnc_put_resize(c, &o, &nrects);
		if (rc < 0)
			break;
	}
	if (rc == -ESTALE)
		rc = 0; /* resizing still; the next wake sends it */
	if (rc < 0)
		goto out;
	if (c->blank && c->full_requested && !nt)
		rc = vnc_put_blank(c, &o, &nrects);
	if (rc < 0)
		goto out;
	c->full_requested = false;
	for (uint32_t i = 0; i < nt && nrects < 65535; i++, nrects++)
		vnc_put_tile(c, &o, &tiles[i]);
	if (!nrects)
		goto out; /* nothing new: the request stays pending */
	if (o.failed) {
		rc = -ENOMEM;
		goto out;
	}
	o.p[0] = 0; /* FramebufferUpdate */
	o.p[1] = 0;
	o.p[2] = nrects >> 8;
	o.p[3] = nrects & 0xff;
	c->update_requested = false;
	rc = vnc_write_all(c, o.p, o.len);
out:
	vnc_tiles_free(tiles, nt);
	free(o.p);
	return rc;
}

static bool
vnc_has_news(struct vnc_client *c)
{
	bool ptr;

	if (c->full_requested || c->extdesk_pending || c->extdesk_reply ||
	    (c->want_qemukey && !c->qemukey_sent))
		return true;
	pthread_mutex_lock(&c->srv->core.lock);
	ptr = c->want_cursor && c->srv->core.pointer.gen != c->pointer_gen_sent;
	pthread_mutex_unlock(&c->srv->core.lock);
	return ptr || vnc_screen_dirty(c);
}

/* ---- the thread ---------------------------------------------------------- */

static int
vnc_loop(struct vnc_client *c)
{
	struct pollfd p[2];
	uint64_t v;
	short want;
	ssize_t r;
	int rc;

	while (!atomic_load(&c->quit)) {
		if (c->update_requested && vnc_has_news(c)) {
			rc = vnc_send_update(c);
			if (rc < 0)
				return rc;
		}
		p[0] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = c->wake_fd, .events = POLLIN};
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents & POLLIN)
			(void)!read(c->wake_fd, &v, sizeof(v));
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		/* read until the socket and the TLS and WebSocket layers'
		 * buffers are empty: poll() sees only the socket */
		for (;;) {
			r = vnc_io(c, c->in + c->in_len,
				   sizeof(c->in) - c->in_len, false, &want);
			if (r == -EAGAIN)
				break;
			if (r <= 0)
				return r == 0 ? 0 : (int)r;
			atomic_fetch_add(&c->vc.bytes_received, (uint64_t)r);
			c->in_len += (size_t)r;
			rc = vnc_process_input(c);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static void
vnc_client_free(struct vnc_client *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	vnc_encoder_free(c->enc);
	free(c);
}

static void *
vnc_client_thread(void *arg)
{
	struct vnc_client *c = arg;
	struct vnc_server *srv = c->srv;
	int rc;

	rc = vnc_handshake(c);
	if (rc == 0) {
		pthread_mutex_lock(&srv->core.lock);
		c->vc.connected = true;
		srv->core.total_clients++;
		pthread_mutex_unlock(&srv->core.lock);
		srv->core.host.cb->client_connect(srv->core.host.ctx, c->vc.id);
		rc = vnc_loop(c);
		vnc_info(srv, "client %u (%s) left: %s", c->vc.id,
			 c->vc.address, rc == 0 ? "closed" : strerror(-rc));
	} else if (rc != -EPROTO && rc != -EACCES && rc != -ECONNABORTED) {
		vnc_info(srv,
			 "client %u (%s) dropped during the handshake: "
			 "%s",
			 c->vc.id, c->vc.address, strerror(-rc));
	}
	srv->core.host.cb->client_disconnect(srv->core.host.ctx, c->vc.id);
	vnc_screen_detach(c);
	pthread_mutex_lock(&srv->core.lock);
	vmod_client_remove(&srv->core, &c->vc);
	pthread_mutex_unlock(&srv->core.lock);
	vmod_thread_done(&srv->core);
	vnc_client_free(c);
	return NULL;
}

/* Viewers not logged on yet from @address.  Lock held. */
static uint32_t
vnc_pending_from(struct vnc_server *srv, const char *address)
{
	struct vnc_client *c;
	uint32_t n = 0;

	vmod_for_each_client(&srv->core, c, struct vnc_client, vc) n +=
	    !c->logged_on && !strcmp(c->vc.address, address);
	return n;
}

int
vnc_client_start(struct vnc_server *srv, int fd, uint32_t screen,
		 const char *address)
{
	struct vnc_client *c;
	int one = 1, rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->srv = srv;
	c->fd = fd;
	c->vc.screen = screen;
	c->cache = -1;
	c->pf = vnc_native_pf;
	c->cfg.pf = vnc_native_pf;
	c->vc.begin_ms = vmod_now_ms();
	c->begin_mono = vmod_mono_ms();
	snprintf(c->vc.address, sizeof(c->vc.address), "%s", address);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_mutex_lock(&srv->core.lock);
	if (srv->core.stopping ||
	    (uint32_t)srv->core.nthreads >= srv->max_clients ||
	    vnc_pending_from(srv, address) >= srv->max_pending_per_addr) {
		rc = srv->core.stopping ? -ESHUTDOWN : -EMFILE;
		pthread_mutex_unlock(&srv->core.lock);
		if (rc == -EMFILE)
			vnc_warn(srv,
				 "refusing %s: %u viewers (VNC/MaxClients) "
				 "or %u not logged on from that address "
				 "(Security/MaxPendingPerAddress)",
				 address, srv->max_clients,
				 srv->max_pending_per_addr);
		c->fd = -1; /* the caller closes it */
		vnc_client_free(c);
		return rc;
	}
	vmod_client_add(&srv->core, &c->vc);
	srv->core.nthreads++;
	rc = -pthread_create(&c->thread, NULL, vnc_client_thread, c);
	if (rc < 0) {
		vmod_client_remove(&srv->core, &c->vc);
		srv->core.nthreads--;
		pthread_mutex_unlock(&srv->core.lock);
		goto fail;
	}
	pthread_mutex_unlock(&srv->core.lock);
	vnc_debug(srv, "client %u from %s on screen %u", c->vc.id, address,
		  screen + 1);
	return 0;
fail:
	vnc_err(srv, "cannot serve %s: %s", address, strerror(-rc));
	c->fd = -1;
	vnc_client_free(c);
	return rc;
}

void
vnc_client_kick(struct vmod_client *vc)
{
	struct vnc_client *c = vnc_client_of(vc);
	uint64_t one = 1;

	atomic_store(&c->quit, true);
	(void)!write(c->wake_fd, &one, sizeof(one));
}

void
vnc_client_wake_screen(struct vnc_server *srv, uint32_t screen)
{
	struct vnc_client *c;
	uint64_t one = 1;

	pthread_mutex_lock(&srv->core.lock);
	vmod_for_each_client(&srv->core, c, struct vnc_client,
			     vc) if (c->vc.screen == screen &&
				     c->vc.connected)(
	    void) !write(c->wake_fd, &one, sizeof(one));
	pthread_mutex_unlock(&srv->core.lock);
}

void
vnc_client_wake_all(struct vmod_server *core)
{
	struct vnc_server *srv = (struct vnc_server *)core;

	for (uint32_t s = 0; s < srv->nscreens; s++)
		vnc_client_wake_screen(srv, s);
}
