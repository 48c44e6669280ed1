/*
 * vrde-record.c - vireo-vrde-record.so, a VRDE module for the test suite
 * that records every call the host makes and checks the host's side of
 * the vrde.h contract.
 *
 * It binds a real TCP port from TCP/Ports (so "port busy" is real) but
 * speaks no protocol.  Properties (pass them with --vrdeproperty):
 *   Record/Log       file the record is appended to, one line per event
 *   Record/Commands  a FIFO; each line makes the module act like a client
 *                    (see record_command()), so tests can log on, type,
 *                    point and leave without an RDP client
 *   Record/ABI       "version" or "size": hand the host a bad table;
 *                    "v1": act as a module built for ABI version 1 (it
 *                    refuses a version-2 host table with -EPROTO)
 *   Record/USBBytes  bytes the loopback device's bulk IN sends in all
 *                    (default 1 MiB)
 * Remote USB (commands "usbadd CLIENT loop|other", "usbdel DEVICE"):
 * synthetic devices reported through usb_device_added.  "loop" is a
 * vendor-class device (1209:0001) with a bulk loopback pair: its bulk IN
 * (0x81) sends Record/USBBytes bytes of a fixed pattern, its bulk OUT
 * (0x02) checks what comes back against the same pattern; both sides'
 * CRC-32 are recorded when all came back.  "other" (1209:0002) is a
 * vendor device with no endpoints.  The module does not look at
 * Client/DisableUSB, so that the host's own refusal is what a test sees.
 * Contract violations are recorded as lines starting with "VIOLATION".
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vrde/vrde.h"

#define REC_MAX_CLIENTS 32
#define REC_MAX_SCREENS 16
#define REC_MAX_USB	8
#define REC_USB_PARKED	64

/* A synthetic remote USB device. */
struct rec_usb {
	bool used;
	bool loop; /* the loopback device, else "other" */
	uint32_t id, client;
	uint64_t total, in_pos, out_pos;
	uint32_t in_crc, out_crc;
	uint64_t mismatches;
	bool reported;
	uint8_t config; /* bConfigurationValue set */
	/* bulk INs waiting for data that will never come (all sent) */
	struct {
		bool used;
		uint64_t handle;
	} parked[REC_USB_PARKED];
};

struct vrde_server {
	const struct vrde_host_callbacks *cb;
	void *ctx;
	struct vrde_entry_points ep;
	pthread_mutex_t lock;
	FILE *log;
	int listen_fd;
	int cmd_fd;
	int wake[2];
	pthread_t thread;
	bool thread_on;
	bool enabled;
	uint32_t clients[REC_MAX_CLIENTS];
	int n_clients;
	unsigned pending[REC_MAX_SCREENS]; /* updates since last NULL */
	struct vrde_screen_info geo[REC_MAX_SCREENS];
	bool v1;		  /* acting as a version-1 module */
	pthread_mutex_t usb_lock; /* the table below */
	struct rec_usb usb[REC_MAX_USB];
	uint32_t usb_next_id;
	uint64_t usb_bytes; /* Record/USBBytes */
};

static void __attribute__((format(printf, 2, 3)))
rec(struct vrde_server *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->log)
		return;
	pthread_mutex_lock(&s->lock);
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->log);
	fflush(s->log);
	pthread_mutex_unlock(&s->lock);
}

static int
rec_prop(struct vrde_server *s, const char *name, char *buf, size_t size)
{
	int n = s->cb->get_property(s->ctx, name, buf, size);

	if (n < 0)
		buf[0] = '\0';
	return n;
}

static void rec_usb_client_gone(struct vrde_server *s, uint32_t client);

/* ---- client table ---------------------------------------------------- */

static bool
rec_client_del(struct vrde_server *s, uint32_t id)
{
	bool found = false;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n_clients; i++) {
		if (s->clients[i] == id) {
			s->clients[i] = s->clients[--s->n_clients];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static void
rec_client_add(struct vrde_server *s, uint32_t id)
{
	pthread_mutex_lock(&s->lock);
	if (s->n_clients < REC_MAX_CLIENTS)
		s->clients[s->n_clients++] = id;
	pthread_mutex_unlock(&s->lock);
}

static void
rec_drop_client(struct vrde_server *s, uint32_t id, const char *why)
{
	if (!rec_client_del(s, id))
		return;
	if (!s->v1)
		rec_usb_client_gone(s, id);
	rec(s, "dropped id=%u (%s)", id, why);
	s->cb->client_disconnect(s->ctx, id);
}

/* ---- entry points ---------------------------------------------------- */

static void
rec_stop_thread(struct vrde_server *s)
{
	if (!s->thread_on)
		return;
	if (write(s->wake[1], "x", 1) < 0)
		rec(s, "VIOLATION cannot wake command thread");
	pthread_join(s->thread, NULL);
	s->thread_on = false;
}

static void
rec_destroy(struct vrde_server *s)
{
	rec_stop_thread(s);
	rec(s, "destroy clients=%d", s->n_clients);
	while (s->n_clients)
		rec_drop_client(s, s->clients[0], "destroy");
	for (int i = 0; i < REC_MAX_SCREENS; i++) {
		if (s->pending[i])
			rec(s,
			    "VIOLATION screen %d: %u updates never completed",
			    i, s->pending[i]);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->cmd_fd >= 0)
		close(s->cmd_fd);
	close(s->wake[0]);
	close(s->wake[1]);
	if (s->log)
		fclose(s->log);
	pthread_mutex_destroy(&s->usb_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int
rec_enable(struct vrde_server *s, bool enable)
{
	rec(s, "enable %d", enable);
	s->enabled = enable;
	if (!enable) {
		while (s->n_clients)
			rec_drop_client(s, s->clients[0], "disabled");
	}
	return 0;
}

static void
rec_disconnect(struct vrde_server *s, uint32_t id, bool reconnect)
{
	rec(s, "disconnect id=%u reconnect=%d", id, reconnect);
	rec_drop_client(s, id, "host");
}

static void
rec_resize(struct vrde_server *s, uint32_t screen)
{
	struct vrde_screen_info info;
	int rc;

	if (screen >= REC_MAX_SCREENS) {
		rec(s, "VIOLATION resize of screen %u", screen);
		return;
	}
	if (s->pending[screen])
		rec(s, "VIOLATION resize of screen %u inside a refresh",
		    screen);
	rc = s->cb->screen_query(s->ctx, screen, &info);
	if (rc < 0) {
		rec(s, "resize screen=%u query=%d", screen, rc);
		return;
	}
	s->geo[screen] = info;
	rec(s, "resize screen=%u %ux%u enabled=%u origin=%d,%d stride=%u",
	    screen, info.width, info.height, info.enabled, info.x_origin,
	    info.y_origin, info.stride);
}

static void
rec_update(struct vrde_server *s, uint32_t screen, const struct vrde_rect *r)
{
	const struct vrde_screen_info *g;

	if (!s->enabled)
		rec(s, "VIOLATION update before enable_connections");
	if (screen >= REC_MAX_SCREENS) {
		rec(s, "VIOLATION update of screen %u", screen);
		return;
	}
	g = &s->geo[screen];
	if (!r) {
		const uint32_t *px = (const uint32_t *)g->pixels;

		/* pixels may be read during update(): sample (8,40), in the
		 * testcard's first colour bar */
		rec(s, "complete screen=%u rects=%u pixel8_40=%06x", screen,
		    s->pending[screen],
		    px && g->width > 8 && g->height > 40
			? px[40 * (g->stride / 4) + 8] & 0xffffffu
			: 0u);
		s->pending[screen] = 0;
		return;
	}
	if (r->x < 0 || r->y < 0 || r->x + r->w > g->width ||
	    r->y + r->h > g->height || !r->w || !r->h)
		rec(s, "VIOLATION rect %d,%d %ux%u outside screen %u (%ux%u)",
		    r->x, r->y, r->w, r->h, screen, g->width, g->height);
	s->pending[screen]++;
}

static void
rec_pointer_shape(struct vrde_server *s, const struct vrde_pointer_shape *p)
{
	rec(s, "pointer_shape %ux%u", p ? p->width : 0, p ? p->height : 0);
}

static void
rec_pointer_hide(struct vrde_server *s)
{
	rec(s, "pointer_hide");
}

static int
rec_query_info(struct vrde_server *s, uint32_t id, uint32_t code, void *buf,
	       size_t size)
{
	uint64_t v64 = 0;
	const char *str = NULL;

	switch (code) {
	case VRDE_QI_BYTES_SENT:
		v64 = 1000 + id;
		break;
	case VRDE_QI_BYTES_RECEIVED:
		v64 = 2000 + id;
		break;
	case VRDE_QI_CLIENT_NAME:
		str = "recorder";
		break;
	case VRDE_QI_ENCRYPTION:
		str = "RDP";
		break;
	default:
		return 0;
	}
	if (str) {
		if (strlen(str) + 1 > size)
			return (int)strlen(str) + 1;
		memcpy(buf, str, strlen(str) + 1);
		return (int)strlen(str);
	}
	if (size < sizeof(v64))
		return sizeof(v64);
	memcpy(buf, &v64, sizeof(v64));
	return sizeof(v64);
}

/* ---- remote USB: synthetic devices ------------------------------------ */

static const uint8_t rec_usb_dev_desc[18] = {18,   1,	 0x10, 0x01, 0xff, 0,
					     0,	   64,	 0x09, 0x12, 0x01, 0x00,
					     0x00, 0x01, 1,    2,    3,	   1};
static const uint8_t rec_usb_loop_cfg[32] = {
    9, 2, 32, 0, 1,    1, 0,  0x80, 50, 9, 4, 0,    0, 2,  0xff, 0,
    0, 0, 7,  5, 0x81, 2, 64, 0,    0,	7, 5, 0x02, 2, 64, 0,	 0};
static const uint8_t rec_usb_other_cfg[18] = {9, 2, 18, 0, 1, 1,    0, 0x80, 50,
					      9, 4, 0,	0, 0, 0xff, 0, 0,    0};

/* The loopback stream: byte @i of it. */
static uint8_t
rec_pattern(uint64_t i)
{
	return (uint8_t)(((uint32_t)i * 0x9e3779b1u) >> 13 ^
			 (uint32_t)(i >> 9));
}

static uint32_t
rec_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* Caller holds usb_lock. */
static struct rec_usb *
rec_usb_find(struct vrde_server *s, uint32_t id)
{
	for (int i = 0; i < REC_MAX_USB; i++)
		if (s->usb[i].used && s->usb[i].id == id)
			return &s->usb[i];
	return NULL;
}

static void
rec_usb_done(struct vrde_server *s, const struct vrde_usb_urb *u,
	     uint32_t status, const uint8_t *data, uint32_t actual)
{
	struct vrde_usb_completion c = {.handle = u->handle,
					.device_id = u->device_id,
					.status = status,
					.actual = actual,
					.data = data};

	s->cb->usb_complete(s->ctx, &c);
}

/* Complete every parked IN of @d with @status (usb_lock held). */
static void
rec_usb_unpark(struct vrde_server *s, struct rec_usb *d, uint32_t status)
{
	for (int i = 0; i < REC_USB_PARKED; i++) {
		struct vrde_usb_completion c = {.handle = d->parked[i].handle,
						.device_id = d->id,
						.status = status};

		if (!d->parked[i].used)
			continue;
		d->parked[i].used = false;
		s->cb->usb_complete(s->ctx, &c);
	}
}

static const uint8_t *
rec_usb_string(struct rec_usb *d, uint8_t idx, uint8_t *buf, uint32_t *len)
{
	static const char *const loop[] = {"vireo", "loopback", "L1"};
	static const char *const other[] = {"vireo", "other", "O1"};
	const char *str;

	if (idx == 0) {
		static const uint8_t langs[4] = {4, 3, 0x09, 0x04};

		*len = 4;
		return langs;
	}
	if (idx > 3)
		return NULL;
	str = (d->loop ? loop : other)[idx - 1];
	*len = 2 + 2 * (uint32_t)strlen(str);
	buf[0] = (uint8_t)*len;
	buf[1] = 3;
	for (size_t i = 0; str[i]; i++) {
		buf[2 + 2 * i] = (uint8_t)str[i];
		buf[3 + 2 * i] = 0;
	}
	return buf;
}

/* A control request on the default pipe (usb_lock held). */
static void
rec_usb_control(struct vrde_server *s, struct rec_usb *d,
		const struct vrde_usb_urb *u)
{
	const uint8_t *st = u->setup;
	uint16_t value = (uint16_t)(st[2] | st[3] << 8);
	uint16_t wlen = (uint16_t)(st[6] | st[7] << 8);
	const uint8_t *reply = NULL;
	uint8_t buf[64] = {0};
	uint32_t len = 0;
	bool ok = true;

	rec(s, "usb control device=%u %02x %02x %04x len=%u", d->id, st[0],
	    st[1], value, wlen);
	if (u->length != wlen)
		rec(s, "VIOLATION control URB length %u, wLength %u", u->length,
		    wlen);
	if (st[0] == 0x80 && st[1] == 6 && value >> 8 == 1) {
		reply = rec_usb_dev_desc;
		len = sizeof(rec_usb_dev_desc);
	} else if (st[0] == 0x80 && st[1] == 6 && value >> 8 == 2) {
		reply = d->loop ? rec_usb_loop_cfg : rec_usb_other_cfg;
		len = d->loop ? sizeof(rec_usb_loop_cfg)
			      : sizeof(rec_usb_other_cfg);
	} else if (st[0] == 0x80 && st[1] == 6 && value >> 8 == 3) {
		reply = rec_usb_string(d, (uint8_t)value, buf, &len);
		ok = reply != NULL;
	} else if (st[0] == 0x00 && st[1] == 5) {
		rec(s, "VIOLATION SET_ADDRESS reached the module");
		ok = false;
	} else if (st[0] == 0x00 && st[1] == 9) {
		d->config = (uint8_t)value;
	} else if (st[0] == 0x80 && (st[1] == 0 || st[1] == 8)) {
		buf[0] = st[1] == 8 ? d->config : 0;
		reply = buf;
		len = st[1] == 8 ? 1 : 2;
	} else if (!(st[0] == 0x01 && st[1] == 0x0b) &&
		   !(st[0] == 0x02 && st[1] == 1)) {
		ok = false; /* not SET_INTERFACE nor CLEAR_FEATURE(HALT) */
	}
	if (len > wlen)
		len = wlen;
	rec_usb_done(s, u, ok ? VRDE_USB_OK : VRDE_USB_STALL, reply,
		     ok ? len : 0);
}

/* Bulk IN: the next piece of the pattern, or park it (all sent). */
static int
rec_usb_in(struct vrde_server *s, struct rec_usb *d,
	   const struct vrde_usb_urb *u)
{
	uint64_t left = d->total - d->in_pos;
	uint32_t n = u->length < left ? u->length : (uint32_t)left;
	uint8_t *buf;

	if (!n) {
		for (int i = 0; i < REC_USB_PARKED; i++) {
			if (d->parked[i].used)
				continue;
			d->parked[i].used = true;
			d->parked[i].handle = u->handle;
			return 0;
		}
		return -EBUSY;
	}
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = rec_pattern(d->in_pos + i);
	d->in_crc = rec_crc32(d->in_crc, buf, n);
	d->in_pos += n;
	rec_usb_done(s, u, VRDE_USB_OK, buf, n);
	free(buf);
	return 0;
}

/* Bulk OUT: what came back, checked against what was sent. */
static void
rec_usb_out(struct vrde_server *s, struct rec_usb *d,
	    const struct vrde_usb_urb *u)
{
	for (uint32_t i = 0; i < u->length; i++)
		if (u->data[i] != rec_pattern(d->out_pos + i))
			d->mismatches++;
	d->out_crc = rec_crc32(d->out_crc, u->data, u->length);
	d->out_pos += u->length;
	rec_usb_done(s, u, VRDE_USB_OK, NULL, u->length);
	if (d->out_pos >= d->total && !d->reported) {
		d->reported = true;
		rec(s,
		    "usb echo device=%u in=%llu out=%llu in_crc=%08x "
		    "out_crc=%08x mismatches=%llu",
		    d->id, (unsigned long long)d->in_pos,
		    (unsigned long long)d->out_pos, d->in_crc, d->out_crc,
		    (unsigned long long)d->mismatches);
	}
}

static int
rec_usb_submit(struct vrde_server *s, const struct vrde_usb_urb *u)
{
	struct rec_usb *d;
	int rc = 0;

	if (!u || !u->handle) {
		rec(s, "VIOLATION usb_submit without a handle");
		return -EINVAL;
	}
	if (s->v1)
		rec(s, "VIOLATION usb_submit on a version-1 module");
	pthread_mutex_lock(&s->usb_lock);
	d = rec_usb_find(s, u->device_id);
	if (!d) {
		rc = -ENODEV;
	} else if (u->type == VRDE_USB_XFER_CONTROL) {
		rec_usb_control(s, d, u);
	} else if (u->type != VRDE_USB_XFER_BULK) {
		rc = u->type == VRDE_USB_XFER_ISOC ? -ENOTSUP : -EINVAL;
	} else if (d->loop && u->endpoint == 0x81) {
		rc = rec_usb_in(s, d, u);
	} else if (d->loop && u->endpoint == 0x02) {
		if (u->length && !u->data)
			rec(s, "VIOLATION OUT URB without data");
		else
			rec_usb_out(s, d, u);
	} else {
		rec_usb_done(s, u, VRDE_USB_STALL, NULL, 0);
	}
	pthread_mutex_unlock(&s->usb_lock);
	return rc;
}

static int
rec_usb_cancel(struct vrde_server *s, uint32_t id, uint64_t handle)
{
	struct rec_usb *d;
	int rc = -ENOENT;

	pthread_mutex_lock(&s->usb_lock);
	d = rec_usb_find(s, id);
	for (int i = 0; d && i < REC_USB_PARKED; i++) {
		struct vrde_usb_completion c = {.handle = handle,
						.device_id = id,
						.status = VRDE_USB_CANCELLED};

		if (!d->parked[i].used || d->parked[i].handle != handle)
			continue;
		d->parked[i].used = false;
		s->cb->usb_complete(s->ctx, &c);
		rc = 0;
	}
	pthread_mutex_unlock(&s->usb_lock);
	rec(s, "usb_cancel device=%u rc=%d", id, rc);
	return rc;
}

static int
rec_usb_reset(struct vrde_server *s, uint32_t id)
{
	struct rec_usb *d;

	pthread_mutex_lock(&s->usb_lock);
	d = rec_usb_find(s, id);
	if (d) {
		rec_usb_unpark(s, d, VRDE_USB_CANCELLED);
		d->config = 0;
	}
	pthread_mutex_unlock(&s->usb_lock);
	rec(s, "usb_reset device=%u rc=%d", id, d ? 0 : -ENODEV);
	return d ? 0 : -ENODEV;
}

static void
rec_usb_release(struct vrde_server *s, uint32_t id)
{
	struct rec_usb *d;

	pthread_mutex_lock(&s->usb_lock);
	d = rec_usb_find(s, id);
	if (d) {
		rec_usb_unpark(s, d, VRDE_USB_CANCELLED);
		d->used = false;
	}
	pthread_mutex_unlock(&s->usb_lock);
	rec(s, "usb_release device=%u known=%d", id, d != NULL);
}

/* The device leaves: its parked URBs end, then the host is told. */
static void
rec_usb_remove(struct vrde_server *s, uint32_t id, const char *why)
{
	struct rec_usb *d;

	pthread_mutex_lock(&s->usb_lock);
	d = rec_usb_find(s, id);
	if (d) {
		rec_usb_unpark(s, d, VRDE_USB_NODEV);
		d->used = false;
	}
	pthread_mutex_unlock(&s->usb_lock);
	if (!d)
		return;
	rec(s, "usbdel device=%u (%s)", id, why);
	s->cb->usb_device_removed(s->ctx, id);
}

static void
rec_cmd_usbadd(struct vrde_server *s, char **a, int n)
{
	struct vrde_usb_device_desc desc = {0};
	struct rec_usb *d = NULL;
	bool loop;
	int rc;

	if (n < 3 || (strcmp(a[2], "loop") && strcmp(a[2], "other"))) {
		rec(s, "bad command: usbadd CLIENT loop|other");
		return;
	}
	if (s->v1) {
		rec(s, "usbadd refused: a version-1 module has no USB");
		return;
	}
	loop = !strcmp(a[2], "loop");
	pthread_mutex_lock(&s->usb_lock);
	for (int i = 0; i < REC_MAX_USB && !d; i++)
		if (!s->usb[i].used)
			d = &s->usb[i];
	if (d) {
		memset(d, 0, sizeof(*d));
		d->used = true;
		d->loop = loop;
		d->id = ++s->usb_next_id;
		d->client = (uint32_t)strtoul(a[1], NULL, 10);
		d->total = s->usb_bytes;
	}
	pthread_mutex_unlock(&s->usb_lock);
	if (!d) {
		rec(s, "usbadd refused: table full");
		return;
	}
	desc.client_id = d->client;
	desc.device_id = d->id;
	desc.bcd_usb = 0x0110;
	desc.vendor_id = 0x1209;
	desc.product_id = loop ? 0x0001 : 0x0002;
	desc.bcd_device = 0x0100;
	desc.dev_class = 0xff;
	desc.speed = VRDE_USB_SPEED_FULL;
	desc.manufacturer = "vireo";
	desc.product = loop ? "loopback" : "other";
	desc.serial = loop ? "L1" : "O1";
	desc.location = loop ? "recorder-1" : "recorder-2";
	rc = s->cb->usb_device_added(s->ctx, &desc);
	rec(s, "usbadd device=%u client=%u kind=%s rc=%d", desc.device_id,
	    desc.client_id, a[2], rc);
	if (rc < 0) {
		pthread_mutex_lock(&s->usb_lock);
		d->used = false;
		pthread_mutex_unlock(&s->usb_lock);
	}
}

/* A client leaves: its devices first (vrde.h: removed, then gone). */
static void
rec_usb_client_gone(struct vrde_server *s, uint32_t client)
{
	for (int i = 0; i < REC_MAX_USB; i++) {
		uint32_t id = 0;

		pthread_mutex_lock(&s->usb_lock);
		if (s->usb[i].used && s->usb[i].client == client)
			id = s->usb[i].id;
		pthread_mutex_unlock(&s->usb_lock);
		if (id)
			rec_usb_remove(s, id, "client left");
	}
}

/* ---- simulated clients ----------------------------------------------- */

static void
rec_cmd_logon(struct vrde_server *s, char **a, int n)
{
	struct vrde_logon l = {0};
	int rc;

	if (n < 6) {
		rec(s, "bad command: logon ID USER PASS DOMAIN ADDR [SCREEN]");
		return;
	}
	l.client_id = (uint32_t)strtoul(a[1], NULL, 10);
	l.user = a[2];
	l.password = strcmp(a[3], "-") ? a[3] : "";
	l.domain = strcmp(a[4], "-") ? a[4] : "";
	l.address = a[5];
	l.screen = n > 6 ? (uint32_t)strtoul(a[6], NULL, 10) : 0;
	l.security = "RDP";
	if (!s->enabled) {
		rec(s, "logon id=%u refused: connections disabled",
		    l.client_id);
		return;
	}
	rc = s->cb->client_logon(s->ctx, &l);
	rec(s, "logon id=%u user=%s rc=%d", l.client_id, l.user, rc);
	if (rc == 0) {
		rec_client_add(s, l.client_id);
		s->cb->client_connect(s->ctx, l.client_id);
	} else {
		s->cb->client_disconnect(s->ctx, l.client_id);
	}
}

static void
rec_input(struct vrde_server *s, char **a, int n)
{
	struct vrde_input_event ev = {0};
	uint32_t id = n > 1 ? (uint32_t)strtoul(a[1], NULL, 10) : 0;
	uint32_t screen = 0;

	if (!strcmp(a[0], "key") && n >= 3) {
		ev.type = VRDE_INPUT_SCANCODE;
		ev.u.key.scancode = (uint8_t)strtoul(a[2], NULL, 16);
		for (int i = 3; i < n; i++) {
			if (!strcmp(a[i], "up"))
				ev.u.key.flags |= VRDE_KEY_RELEASE;
			if (!strcmp(a[i], "e0"))
				ev.u.key.flags |= VRDE_KEY_E0;
		}
	} else if (!strcmp(a[0], "ptr") && n >= 6) {
		ev.type = VRDE_INPUT_POINTER;
		screen = (uint32_t)strtoul(a[2], NULL, 10);
		ev.u.pointer.x = atoi(a[3]);
		ev.u.pointer.y = atoi(a[4]);
		ev.u.pointer.buttons = (uint32_t)strtoul(a[5], NULL, 0);
		ev.u.pointer.wheel = n > 6 ? atoi(a[6]) : 0;
	} else if (!strcmp(a[0], "cad")) {
		ev.type = VRDE_INPUT_CAD;
	} else if (!strcmp(a[0], "sync") && n >= 3) {
		ev.type = VRDE_INPUT_SYNC;
		ev.u.sync.locks = (uint32_t)strtoul(a[2], NULL, 0);
	} else {
		rec(s, "bad command: %s", a[0]);
		return;
	}
	s->cb->input(s->ctx, id, screen, &ev);
	rec(s, "input %s id=%u", a[0], id);
}

static void
rec_cmd_pixel(struct vrde_server *s, char **a, int n)
{
	struct vrde_screen_info info;
	uint32_t screen, x, y, px = 0;
	int rc;

	if (n < 4)
		return;
	screen = (uint32_t)strtoul(a[1], NULL, 10);
	x = (uint32_t)strtoul(a[2], NULL, 10);
	y = (uint32_t)strtoul(a[3], NULL, 10);
	s->cb->screen_lock(s->ctx, screen);
	rc = s->cb->screen_query(s->ctx, screen, &info);
	if (rc == 0 && x < info.width && y < info.height && info.pixels)
		memcpy(&px, info.pixels + (size_t)y * info.stride + 4 * x, 4);
	s->cb->screen_unlock(s->ctx, screen);
	rec(s, "pixel screen=%u %u,%u rc=%d rgb=%06x", screen, x, y, rc,
	    px & 0xffffffu);
}

static void
rec_cmd_nthash(struct vrde_server *s, char **a, int n)
{
	uint8_t h[16] = {0};
	char hex[33];
	int rc = s->cb->get_nt_hash(s->ctx, n > 1 ? a[1] : "", "", h);

	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	rec(s, "nthash user=%s rc=%d hash=%s", n > 1 ? a[1] : "", rc,
	    rc == 0 ? hex : "-");
}

static void
rec_command(struct vrde_server *s, char *line)
{
	char *a[16], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t", &save); t && n < 16;
	     t = strtok_r(NULL, " \t", &save))
		a[n++] = t;
	if (!n)
		return;
	if (!strcmp(a[0], "logon")) {
		rec_cmd_logon(s, a, n);
	} else if (!strcmp(a[0], "bye") && n > 1) {
		uint32_t id = (uint32_t)strtoul(a[1], NULL, 10);

		rec(s, "bye id=%u", id);
		rec_drop_client(s, id, "client left");
	} else if (!strcmp(a[0], "hint") && n > 3) {
		s->cb->video_mode_hint(s->ctx, (uint32_t)atoi(a[1]),
				       (uint32_t)atoi(a[2]),
				       (uint32_t)atoi(a[3]));
		rec(s, "hint %s %sx%s", a[1], a[2], a[3]);
	} else if (!strcmp(a[0], "pixel")) {
		rec_cmd_pixel(s, a, n);
	} else if (!strcmp(a[0], "usbadd")) {
		rec_cmd_usbadd(s, a, n);
	} else if (!strcmp(a[0], "usbdel") && n > 1) {
		rec_usb_remove(s, (uint32_t)strtoul(a[1], NULL, 10),
			       "unplugged");
	} else if (!strcmp(a[0], "nthash")) {
		rec_cmd_nthash(s, a, n);
	} else if (!strcmp(a[0], "prop") && n > 1) {
		char buf[512];
		int rc = rec_prop(s, a[1], buf, sizeof(buf));

		rec(s, "prop %s rc=%d value=%s", a[1], rc, buf);
	} else {
		rec_input(s, a, n);
	}
}

static void *
rec_thread(void *arg)
{
	struct vrde_server *s = arg;
	char buf[4096];
	size_t have = 0;

	for (;;) {
		struct pollfd p[2] = {{.fd = s->cmd_fd, .events = POLLIN},
				      {.fd = s->wake[0], .events = POLLIN}};
		ssize_t r;
		char *nl;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		r = read(s->cmd_fd, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			continue;
		have += (size_t)r;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			rec_command(s, buf);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			have = 0;
	}
	return NULL;
}

/* ---- creation -------------------------------------------------------- */

/* Bind the first free port of a "a,b-c" list on @addr. */
static int
rec_listen(struct vrde_server *s, const char *ports, const char *addr)
{
	char list[256], *save = NULL;

	snprintf(list, sizeof(list), "%s", ports);
	for (char *item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(item, '-');
		int lo = atoi(item), hi = dash ? atoi(dash + 1) : lo;

		for (int port = lo; port > 0 && port <= hi && port < 65536;
		     port++) {
			struct sockaddr_in sa = {.sin_family = AF_INET,
						 .sin_port = htons(port)};
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			inet_pton(AF_INET, addr, &sa.sin_addr);
			if (fd >= 0 &&
			    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			    listen(fd, 4) == 0) {
				s->listen_fd = fd;
				return port;
			}
			if (fd >= 0)
				close(fd);
		}
	}
	return 0;
}

static const struct vrde_entry_points rec_entry_points = {
    .hdr = {VRDE_ABI_VERSION, sizeof(struct vrde_entry_points)},
    .destroy = rec_destroy,
    .enable_connections = rec_enable,
    .disconnect = rec_disconnect,
    .resize = rec_resize,
    .update = rec_update,
    .pointer_shape = rec_pointer_shape,
    .pointer_hide = rec_pointer_hide,
    .query_info = rec_query_info,
    .usb_submit = rec_usb_submit,
    .usb_cancel = rec_usb_cancel,
    .usb_reset = rec_usb_reset,
    .usb_release = rec_usb_release,
};

static void
rec_open_files(struct vrde_server *s)
{
	char path[1024];

	if (rec_prop(s, "Record/Log", path, sizeof(path)) > 0)
		s->log = fopen(path, "ae");
	if (rec_prop(s, "Record/Commands", path, sizeof(path)) > 0) {
		s->cmd_fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (s->cmd_fd < 0)
			rec(s, "cannot open %s: %s", path, strerror(errno));
	}
}

/* A host table of a version this module reads (vrde.h "Versions"). */
static bool
rec_table_ok(const struct vrde_host_callbacks *cb)
{
	if (!cb || cb->hdr.version < VRDE_ABI_VERSION_MIN ||
	    cb->hdr.version > VRDE_ABI_VERSION)
		return false;
	return cb->hdr.size >=
	       (cb->hdr.version == 1 ? VRDE_HOST_CB_SIZE_V1 : sizeof(*cb));
}

static void
rec_free_early(struct vrde_server *s)
{
	if (s->cmd_fd >= 0)
		close(s->cmd_fd);
	if (s->log)
		fclose(s->log);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->usb_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int
vireo_vrde_create(const struct vrde_host_callbacks *cb, void *ctx,
		  const struct vrde_entry_points **ep, struct vrde_server **out)
{
	struct vrde_server *s;
	char ports[256], addr[64], abi[32], bytes[32];
	int port;

	if (!rec_table_ok(cb))
		return -EPROTO;
	s = calloc(1, sizeof(*s));
	if (!s || pipe2(s->wake, O_CLOEXEC) < 0) {
		free(s);
		return -ENOMEM;
	}
	s->cb = cb;
	s->ctx = ctx;
	s->listen_fd = s->cmd_fd = -1;
	s->ep = rec_entry_points;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->usb_lock, NULL);
	rec_open_files(s);
	if (rec_prop(s, "Record/ABI", abi, sizeof(abi)) <= 0)
		abi[0] = '\0';
	if (!strcmp(abi, "v1") && cb->hdr.version != 1) {
		/* what a module built against version 1 does */
		rec(s, "create refused cbversion=%u (a version-1 module)",
		    cb->hdr.version);
		rec_free_early(s);
		return -EPROTO;
	}
	rec(s, "create cbversion=%u cbsize=%u", cb->hdr.version, cb->hdr.size);
	/* a version-1 host table has no USB callbacks */
	s->v1 = cb->hdr.version == 1;
	if (!strcmp(abi, "v1")) {
		s->ep.hdr.version = 1;
		s->ep.hdr.size = VRDE_ENTRY_POINTS_SIZE_V1;
	} else if (!strcmp(abi, "version")) {
		s->ep.hdr.version = VRDE_ABI_VERSION + 41;
	} else if (!strcmp(abi, "size")) {
		s->ep.hdr.size = 8;
	}
	s->usb_bytes = 1u << 20;
	if (rec_prop(s, "Record/USBBytes", bytes, sizeof(bytes)) > 0)
		s->usb_bytes = strtoull(bytes, NULL, 10);
	if (rec_prop(s, "TCP/Ports", ports, sizeof(ports)) <= 0)
		snprintf(ports, sizeof(ports), "3389");
	if (rec_prop(s, "TCP/Address", addr, sizeof(addr)) <= 0)
		snprintf(addr, sizeof(addr), "127.0.0.1");
	port = rec_listen(s, ports, addr);
	rec(s, "listening port=%d address=%s", port, addr);
	cb->listening(ctx, (uint32_t)port);
	if (s->cmd_fd >= 0 &&
	    pthread_create(&s->thread, NULL, rec_thread, s) == 0)
		s->thread_on = true;
	*ep = &s->ep;
	*out = s;
	return 0;
}
