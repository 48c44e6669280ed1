/*
 * rdp_urbdrc.c - remote USB: the server side of MS-RDPEUSB over the
 * dynamic channel "URBDRC", between a client's USB devices and the host's
 * USB callbacks (vrde.h version 2).
 *
 * Per client: one control channel, opened once the session is up (unless
 * Client/DisableUSB is "1" or the host has no USB callbacks), and one more
 * "URBDRC" channel per ADD_VIRTUAL_CHANNEL the client sends, each carrying
 * one device.  Every channel runs the sequence that both FreeRDP 2.11 and
 * mstsc accept (usb-facts §2): capability request, IFACE_RELEASE 0,
 * CHANNEL_CREATED, IFACE_RELEASE 0x40000002 (FreeRDP sends
 * ADD_VIRTUAL_CHANNEL / ADD_DEVICE only on that).  A device channel then
 * gets REGISTER_REQUEST_CALLBACK and an enumeration of our own (device
 * descriptor, configuration 0, the strings) before the host hears of the
 * device through usb_device_added().
 *
 * The host's URBs map onto TS_URBs (see rdp_urbdrc_submit): control
 * transfers go to the default pipe, except SET_CONFIGURATION, SET_INTERFACE
 * and CLEAR_FEATURE(ENDPOINT_HALT), which become SELECT_CONFIGURATION,
 * SELECT_INTERFACE and a pipe reset; bulk and interrupt transfers go to the
 * pipe handle the client returned for the endpoint.  Completions are
 * matched by RequestId and reach the host exactly once.
 *
 * Threads: the client's session thread reads and writes its channels
 * (rdp_urbdrc_poll); the host calls usb_submit/cancel/reset/release from
 * any thread, which only queue messages under the server-wide USB lock
 * and wake the session thread.  Host callbacks are never called with the
 * lock held (the host may submit from inside usb_complete()).
 *
 * Limits (documented in vireo-vrde-rdp(7)): URBDRC_DEVICES_MAX device
 * channels per client, URBDRC_URBS_MAX URBs queued per device,
 * URBDRC_XFER_MAX bytes per URB, URBDRC_MSG_MAX bytes per client message,
 * URBDRC_HANDSHAKE_MS for a channel to get from open to an enumerated
 * device.  A client breaking the protocol on a device channel loses that
 * channel (one log line), never the session.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <winpr/wtsapi.h>
#include <freerdp/channels/wtsvc.h>

#include "rdp.h"
#include "rdp_urbdrc_pdu.h"

#define URBDRC_DEVICES_MAX   16 /* device channels per client */
#define URBDRC_URBS_MAX	     64 /* host URBs queued per device */
#define URBDRC_PEND_MAX	     (2 * URBDRC_URBS_MAX + 8) /* + cancelled */
#define URBDRC_XFER_MAX	     (1u << 20)		       /* bytes of one URB */
#define URBDRC_MSG_MAX	     (URBDRC_XFER_MAX + 4096)
#define URBDRC_CONFIG_MAX    4096 /* configuration descriptor bytes */
#define URBDRC_HANDSHAKE_MS  15000
#define URBDRC_COMPLETION_ID 0x100 /* first RequestCompletion id */

enum urbdrc_state {
	CH_OPENING, /* waiting for the client to accept the channel */
	CH_CAPS,    /* capability request sent */
	CH_CREATED, /* CHANNEL_CREATED sent */
	CH_READY,   /* control: serves ADD_VIRTUAL_CHANNEL; device: waits
		       for ADD_DEVICE */
	CH_ENUM,    /* device: our own descriptor reads */
	CH_ACTIVE,  /* device: reported to the host */
	CH_CLOSING, /* flush what is queued, then close */
	CH_DEAD,
};

/* What a pending request is for. */
enum urbdrc_pend_kind {
	P_FREE = 0,
	P_HOST,	     /* a host URB */
	P_ENUM,	     /* our enumeration */
	P_RESET,     /* IO_CONTROL RESET_PORT */
	P_CANCELLED, /* host URB completed as cancelled; answer expected */
};

/* How a host URB went to the client. */
enum urbdrc_map {
	M_PLAIN = 0,
	M_SELECT_CONFIG,
	M_SELECT_IF,
	M_RESET_PIPE,
};

struct urbdrc_pend {
	uint8_t kind; /* enum urbdrc_pend_kind */
	uint8_t map;  /* enum urbdrc_map */
	bool in;
	bool short_ok;
	uint32_t request_id;
	uint64_t handle;
	uint32_t length; /* the most the client may return */
	uint64_t seq;	 /* order, for evicting old cancelled entries */
};

struct urbdrc_out {
	struct urbdrc_out *next;
	size_t len;
	uint8_t data[];
};

struct urbdrc_ch {
	struct urbdrc_ch *next;	 /* the client's channels */
	struct urbdrc_ch *dnext; /* the server's reported devices */
	struct rdp_client *c;
	HANDLE h;
	enum urbdrc_state state;
	bool control;
	bool reported; /* usb_device_added() took it */
	bool bad_logged;
	uint32_t msgid;
	int64_t deadline_ms; /* handshake and enumeration; 0 none */
	struct urbdrc_out *outq, **outq_tail;
	/* device */
	uint32_t usbdev, completion, device_id;
	uint32_t text_msgid; /* our QUERY_DEVICE_TEXT */
	bool text_asked;     /* ... not answered yet */
	struct urbdrc_add_device *add;
	int enum_step;
	uint8_t devdesc[18];
	uint8_t *config; /* configuration index 0, whole */
	uint32_t config_len;
	uint16_t langid;
	char str[3][128]; /* manufacturer, product, serial (UTF-8) */
	uint32_t config_handle;
	uint32_t pipe[32]; /* handle by endpoint: number | 16 for IN */
	uint32_t pipe_ok;  /* bit set: pipe[] entry valid */
	struct urbdrc_pend pend[URBDRC_PEND_MAX];
	uint32_t nhost; /* P_HOST entries */
	uint32_t next_req;
	uint64_t seq;
};

struct rdp_urbdrc {
	struct urbdrc_ch *chans; /* the control channel first */
	uint32_t ndevices;
	bool full_logged;
};

/* Server-wide state: the reported devices and the lock of everything
 * here (all clients' channels). */
struct rdp_usb {
	pthread_mutex_t lock;
	struct urbdrc_ch *devs;
	uint32_t next_device_id;
	uint32_t next_completion;
};

/* A host callback to make once the lock is dropped. */
struct urbdrc_done {
	uint64_t handle;
	uint32_t device_id;
	uint32_t status;
	uint32_t actual;
	const uint8_t *data;
};

struct urbdrc_calls {
	struct urbdrc_done *v;
	uint32_t n, cap;
	uint32_t removed[URBDRC_DEVICES_MAX + 1]; /* usb_device_removed */
	uint32_t nremoved;
};

static const struct vrde_host_callbacks *
urbdrc_cb(struct rdp_server *srv)
{
	return srv->core.host.cb;
}

bool
rdp_urbdrc_host_has_usb(const struct vrde_host_callbacks *cb)
{
	return cb && cb->hdr.version >= 2 &&
	       cb->hdr.size >=
		   offsetof(struct vrde_host_callbacks, usb_complete) +
		       sizeof(cb->usb_complete) &&
	       cb->usb_device_added && cb->usb_device_removed &&
	       cb->usb_complete;
}

int
rdp_urbdrc_init(struct rdp_server *srv)
{
	struct rdp_usb *u;

	srv->usb_enabled =
	    !srv->disable_usb && rdp_urbdrc_host_has_usb(urbdrc_cb(srv));
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	pthread_mutex_init(&u->lock, NULL);
	u->next_device_id = 1;
	u->next_completion = URBDRC_COMPLETION_ID;
	srv->usb = u;
	return 0;
}

void
rdp_urbdrc_fini(struct rdp_server *srv)
{
	if (!srv->usb)
		return;
	pthread_mutex_destroy(&srv->usb->lock);
	free(srv->usb);
	srv->usb = NULL;
}

/* ---- calls made after the lock is dropped ------------------------------- */

static void
urbdrc_calls_add(struct urbdrc_calls *k, uint64_t handle, uint32_t device_id,
		 uint32_t status, uint32_t actual, const uint8_t *data)
{
	struct urbdrc_done *v;

	if (k->n == k->cap) {
		uint32_t cap = k->cap ? k->cap * 2 : 16;

		v = realloc(k->v, cap * sizeof(*v));
		if (!v)
			return; /* cannot happen in practice; see below */
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] =
	    (struct urbdrc_done){handle, device_id, status, actual, data};
}

static void
urbdrc_calls_run(struct rdp_server *srv, struct urbdrc_calls *k)
{
	const struct vrde_host_callbacks *cb = urbdrc_cb(srv);

	for (uint32_t i = 0; i < k->n; i++) {
		struct vrde_usb_completion c = {
		    .handle = k->v[i].handle,
		    .device_id = k->v[i].device_id,
		    .status = k->v[i].status,
		    .actual = k->v[i].actual,
		    .data = k->v[i].data,
		};
		cb->usb_complete(srv->core.host.ctx, &c);
	}
	for (uint32_t i = 0; i < k->nremoved; i++)
		cb->usb_device_removed(srv->core.host.ctx, k->removed[i]);
	free(k->v);
	*k = (struct urbdrc_calls){0};
}

/* ---- queueing messages --------------------------------------------------- */

/* Queue @b's message on @ch (consumes @b).  @return 0 or -ENOMEM. */
static int
urbdrc_queue(struct urbdrc_ch *ch, struct urbdrc_buf *b)
{
	struct urbdrc_out *o;

	if (b->oom) {
		urbdrc_buf_free(b);
		return -ENOMEM;
	}
	o = malloc(sizeof(*o) + b->len);
	if (!o) {
		urbdrc_buf_free(b);
		return -ENOMEM;
	}
	o->next = NULL;
	o->len = b->len;
	memcpy(o->data, b->data, b->len);
	urbdrc_buf_free(b);
	if (!ch->outq_tail)
		ch->outq_tail = &ch->outq;
	*ch->outq_tail = o;
	ch->outq_tail = &o->next;
	return 0;
}

static void
urbdrc_outq_free(struct urbdrc_ch *ch)
{
	while (ch->outq) {
		struct urbdrc_out *o = ch->outq;

		ch->outq = o->next;
		free(o);
	}
	ch->outq_tail = &ch->outq;
}

/* ---- pending requests -----------------------------------------------------
 */

static struct urbdrc_pend *
urbdrc_pend_find(struct urbdrc_ch *ch, uint32_t request_id)
{
	for (int i = 0; i < URBDRC_PEND_MAX; i++)
		if (ch->pend[i].kind != P_FREE &&
		    ch->pend[i].request_id == request_id)
			return &ch->pend[i];
	return NULL;
}

static struct urbdrc_pend *
urbdrc_pend_by_handle(struct urbdrc_ch *ch, uint64_t handle)
{
	for (int i = 0; i < URBDRC_PEND_MAX; i++)
		if (ch->pend[i].kind == P_HOST && ch->pend[i].handle == handle)
			return &ch->pend[i];
	return NULL;
}

/* A free entry with a fresh RequestId; the oldest cancelled entry is
 * given up when none is free. */
static struct urbdrc_pend *
urbdrc_pend_new(struct urbdrc_ch *ch, enum urbdrc_pend_kind kind)
{
	struct urbdrc_pend *p = NULL, *old = NULL;

	for (int i = 0; i < URBDRC_PEND_MAX && !p; i++) {
		if (ch->pend[i].kind == P_FREE)
			p = &ch->pend[i];
		else if (ch->pend[i].kind == P_CANCELLED &&
			 (!old || ch->pend[i].seq < old->seq))
			old = &ch->pend[i];
	}
	if (!p)
		p = old;
	if (!p)
		return NULL;
	do {
		ch->next_req = (ch->next_req + 1) & 0x7FFFFFFFu;
	} while (!ch->next_req || urbdrc_pend_find(ch, ch->next_req));
	*p = (struct urbdrc_pend){.kind = (uint8_t)kind,
				  .request_id = ch->next_req,
				  .seq = ++ch->seq};
	return p;
}

static void
urbdrc_pend_drop(struct urbdrc_ch *ch, struct urbdrc_pend *p)
{
	if (p->kind == P_HOST)
		ch->nhost--;
	p->kind = P_FREE;
}

/* Every host URB of @ch completes with @status (queued in @k); with
 * @tell, the client gets a CANCEL_REQUEST for each. */
static void
urbdrc_pend_flush(struct urbdrc_ch *ch, uint32_t status, bool tell,
		  struct urbdrc_calls *k)
{
	for (int i = 0; i < URBDRC_PEND_MAX; i++) {
		struct urbdrc_pend *p = &ch->pend[i];

		if (p->kind != P_HOST)
			continue;
		urbdrc_calls_add(k, p->handle, ch->device_id, status, 0, NULL);
		if (tell) {
			struct urbdrc_buf b = {0};

			urbdrc_put_cancel(&b, ch->usbdev, ch->msgid++,
					  p->request_id);
			urbdrc_queue(ch, &b);
			ch->nhost--;
			p->kind = P_CANCELLED;
			p->handle = 0;
		} else {
			urbdrc_pend_drop(ch, p);
		}
	}
}

/* ---- channels -------------------------------------------------------------
 */

static struct rdp_usb *
urbdrc_usb(struct urbdrc_ch *ch)
{
	return ch->c->srv->usb;
}

static void
urbdrc_unlink_device(struct urbdrc_ch *ch)
{
	struct rdp_usb *u = urbdrc_usb(ch);

	for (struct urbdrc_ch **pp = &u->devs; *pp; pp = &(*pp)->dnext)
		if (*pp == ch) {
			*pp = ch->dnext;
			break;
		}
	ch->dnext = NULL;
}

/* The device channel @ch ends (closed by the client, broken, or the
 * client left): its URBs complete as gone, the host hears it is removed.
 * Under the lock; the calls go to @k. */
static void
urbdrc_device_gone(struct urbdrc_ch *ch, struct urbdrc_calls *k)
{
	urbdrc_pend_flush(ch, VRDE_USB_NODEV, false, k);
	if (ch->reported) {
		urbdrc_unlink_device(ch);
		if (k->nremoved < URBDRC_DEVICES_MAX + 1)
			k->removed[k->nremoved++] = ch->device_id;
		ch->reported = false;
	}
}

/* Close @ch for a protocol violation @why (one log line per channel). */
static void
urbdrc_bad(struct urbdrc_ch *ch, const char *why, struct urbdrc_calls *k)
{
	struct rdp_client *c = ch->c;

	if (!ch->bad_logged)
		rdp_warn(c->srv,
			 "client %u: USB %s channel (device %u): %s; closing "
			 "that channel",
			 c->vc.id, ch->control ? "control" : "device",
			 ch->device_id, why);
	ch->bad_logged = true;
	if (!ch->control)
		urbdrc_device_gone(ch, k);
	ch->state = CH_DEAD;
}

/* Open one more "URBDRC" instance.  @return the channel or NULL. */
static struct urbdrc_ch *
urbdrc_open(struct rdp_client *c, bool control)
{
	struct urbdrc_ch *ch = calloc(1, sizeof(*ch));
	DWORD *sid = NULL, len = 0, session = 0;

	if (!ch)
		return NULL;
	if (WTSQuerySessionInformationA(c->vcm, WTS_CURRENT_SESSION,
					WTSSessionId, (LPSTR *)&sid, &len) &&
	    sid) {
		session = *sid;
		WTSFreeMemory(sid);
	}
	ch->h = WTSVirtualChannelOpenEx(session, URBDRC_CHANNEL_NAME,
					WTS_CHANNEL_OPTION_DYNAMIC);
	if (!ch->h) {
		free(ch);
		return NULL;
	}
	ch->c = c;
	ch->control = control;
	ch->state = CH_OPENING;
	ch->outq_tail = &ch->outq;
	ch->deadline_ms = vmod_mono_ms() + URBDRC_HANDSHAKE_MS;
	return ch;
}

static void
urbdrc_send_caps(struct urbdrc_ch *ch)
{
	struct urbdrc_buf b = {0};

	urbdrc_put_caps_request(&b, ch->msgid++);
	urbdrc_queue(ch, &b);
	ch->state = CH_CAPS;
}

/* After the capability response: IFACE_RELEASE 0, CHANNEL_CREATED. */
static void
urbdrc_send_created(struct urbdrc_ch *ch)
{
	struct urbdrc_buf b = {0};

	urbdrc_put_release(&b, URBDRC_IF_CAPS, ch->msgid++);
	urbdrc_queue(ch, &b);
	urbdrc_put_channel_created(&b, URBDRC_MASK_PROXY | URBDRC_IF_SERVER_NTF,
				   ch->msgid++);
	urbdrc_queue(ch, &b);
	ch->state = CH_CREATED;
}

/* After the client's CHANNEL_CREATED: IFACE_RELEASE 0x40000002. */
static void
urbdrc_send_ready(struct urbdrc_ch *ch)
{
	struct urbdrc_buf b = {0};

	urbdrc_put_release(&b, URBDRC_MASK_PROXY | URBDRC_IF_SERVER_NTF,
			   ch->msgid++);
	urbdrc_queue(ch, &b);
	ch->state = CH_READY;
}

/* ---- enumeration ------------------------------------------------------- */

/* Send GET_DESCRIPTOR(@type, @index, @lang) for @len bytes. */
static void
urbdrc_enum_get(struct urbdrc_ch *ch, uint8_t type, uint8_t index,
		uint16_t lang, uint32_t len, struct urbdrc_calls *k)
{
	struct urbdrc_pend *p = urbdrc_pend_new(ch, P_ENUM);
	struct urbdrc_urb u = {.fn = URBDRC_URB_GET_DESCRIPTOR_DEVICE,
			       .desc_index = index,
			       .desc_type = type,
			       .lang = lang};
	struct urbdrc_buf b = {0};

	if (!p) {
		urbdrc_bad(ch, "no room for a request", k);
		return;
	}
	p->in = true;
	p->length = len;
	u.request_id = p->request_id;
	urbdrc_put_transfer(&b, ch->usbdev, ch->msgid++, &u, len, NULL, 0);
	urbdrc_queue(ch, &b);
}

/* The string index enumeration step @step asks for (0 none). */
static uint8_t
urbdrc_enum_string_index(struct urbdrc_ch *ch, int step)
{
	return step >= 4 && step <= 6 ? ch->devdesc[14 + step - 4] : 0;
}

/* Ask for what step @step needs, skipping strings the device lacks.
 * Steps: 1 device descriptor, 2 configuration header, 3 whole
 * configuration, 4 language ids then 4..6 strings, 7 done. */
static void urbdrc_report(struct urbdrc_ch *ch, struct urbdrc_calls *k);

static void
urbdrc_enum_next(struct urbdrc_ch *ch, struct urbdrc_calls *k)
{
	uint8_t idx;

	for (;;) {
		ch->enum_step++;
		switch (ch->enum_step) {
		case 1:
			urbdrc_enum_get(ch, 1, 0, 0, 18, k);
			return;
		case 2:
			urbdrc_enum_get(ch, 2, 0, 0, 9, k);
			return;
		case 3:
			urbdrc_enum_get(ch, 2, 0, 0, ch->config_len, k);
			return;
		case 4:
		case 5:
		case 6:
			idx = urbdrc_enum_string_index(ch, ch->enum_step);
			if (!idx)
				continue;
			if (!ch->langid) {
				/* the language ids first, then this step */
				ch->enum_step = 3 + 10;
				urbdrc_enum_get(ch, 3, 0, 0, 255, k);
				return;
			}
			urbdrc_enum_get(ch, 3, idx, ch->langid, 255, k);
			return;
		case 14: /* after the language ids */
			ch->enum_step = 3;
			if (!ch->langid)
				ch->enum_step = 6; /* none: no strings */
			continue;
		default:
			urbdrc_report(ch, k);
			return;
		}
	}
}

/* A string descriptor into @out as UTF-8 (ASCII, '?' for the rest). */
static void
urbdrc_string(const uint8_t *d, uint32_t n, char *out, size_t size)
{
	size_t o = 0;

	if (n >= 2 && d[0] <= n)
		n = d[0];
	for (uint32_t i = 2; i + 1 < n && o + 1 < size; i += 2) {
		uint16_t cu = (uint16_t)(d[i] | d[i + 1] << 8);

		out[o++] = cu >= 0x20 && cu < 0x7f ? (char)cu : '?';
	}
	out[o] = '\0';
}

/* An enumeration answer: @ok, @data of @n bytes. */
static void
urbdrc_enum_answer(struct urbdrc_ch *ch, bool ok, const uint8_t *data,
		   uint32_t n, struct urbdrc_calls *k)
{
	uint8_t idx;

	switch (ch->enum_step) {
	case 1:
		if (!ok || n < 18 || data[1] != 1) {
			urbdrc_bad(
			    ch, "the device descriptor could not be read", k);
			return;
		}
		memcpy(ch->devdesc, data, 18);
		break;
	case 2:
		if (!ok || n < 9 || data[1] != 2 ||
		    (uint32_t)(data[2] | data[3] << 8) < 9) {
			urbdrc_bad(ch,
				   "the configuration descriptor could not be "
				   "read",
				   k);
			return;
		}
		ch->config_len = (uint32_t)(data[2] | data[3] << 8);
		if (ch->config_len > URBDRC_CONFIG_MAX) {
			urbdrc_bad(ch, "configuration descriptor too long", k);
			return;
		}
		break;
	case 3:
		if (!ok || n != ch->config_len) {
			urbdrc_bad(ch,
				   "the configuration descriptor could not be "
				   "read whole",
				   k);
			return;
		}
		ch->config = malloc(n);
		if (!ch->config) {
			urbdrc_bad(ch, "out of memory", k);
			return;
		}
		memcpy(ch->config, data, n);
		break;
	case 13: /* language ids */
		if (ok && n >= 4 && data[1] == 3)
			ch->langid = (uint16_t)(data[2] | data[3] << 8);
		break;
	default: /* a string; a device failing one just has none */
		idx = urbdrc_enum_string_index(ch, ch->enum_step);
		if (ok && idx && n >= 2 && data[1] == 3)
			urbdrc_string(data, n, ch->str[ch->enum_step - 4],
				      sizeof(ch->str[0]));
		break;
	}
	urbdrc_enum_next(ch, k);
}

/* The speed the capabilities and descriptor suggest. */
static uint8_t
urbdrc_speed(const struct urbdrc_ch *ch)
{
	uint16_t bcd = (uint16_t)(ch->devdesc[2] | ch->devdesc[3] << 8);

	if (ch->add->caps.high_speed)
		return bcd >= 0x0300 ? VRDE_USB_SPEED_SUPER
				     : VRDE_USB_SPEED_HIGH;
	return VRDE_USB_SPEED_FULL;
}

/* Enumerated: ready for the host, which is told once the lock is dropped
 * (rdp_urbdrc_poll's urbdrc_offer). */
static void
urbdrc_report(struct urbdrc_ch *ch, struct urbdrc_calls *k)
{
	struct rdp_usb *u = urbdrc_usb(ch);

	ch->device_id = u->next_device_id++;
	if (!u->next_device_id)
		u->next_device_id = 1;
	ch->reported = true;
	ch->dnext = u->devs;
	u->devs = ch;
	ch->state = CH_ACTIVE;
	ch->deadline_ms = 0;
}

/* Tell the host about the device just enumerated (lock not held). */
static void
urbdrc_offer(struct urbdrc_ch *ch)
{
	struct rdp_server *srv = ch->c->srv;
	struct vrde_usb_device_desc d;
	const uint8_t *dd = ch->devdesc;
	char loc[URBDRC_STR_MAX];
	struct urbdrc_calls k = {0};
	struct urbdrc_buf b = {0};
	int rc;

	snprintf(loc, sizeof(loc), "%s", ch->add->instance_id);
	d = (struct vrde_usb_device_desc){
	    .client_id = ch->c->vc.id,
	    .device_id = ch->device_id,
	    .bcd_usb = (uint16_t)(dd[2] | dd[3] << 8),
	    .dev_class = dd[4],
	    .dev_subclass = dd[5],
	    .dev_protocol = dd[6],
	    .vendor_id = (uint16_t)(dd[8] | dd[9] << 8),
	    .product_id = (uint16_t)(dd[10] | dd[11] << 8),
	    .bcd_device = (uint16_t)(dd[12] | dd[13] << 8),
	    .speed = urbdrc_speed(ch),
	    .manufacturer = ch->str[0][0] ? ch->str[0] : NULL,
	    .product = ch->str[1][0] ? ch->str[1] : NULL,
	    .serial = ch->str[2][0] ? ch->str[2] : NULL,
	    .location = loc,
	};
	rdp_info(srv,
		 "client %u: USB device %u: %04x:%04x class %02x/%02x/%02x "
		 "usb %x.%02x speed %u \"%s\" at %s",
		 d.client_id, d.device_id, d.vendor_id, d.product_id,
		 d.dev_class, d.dev_subclass, d.dev_protocol, d.bcd_usb >> 8,
		 d.bcd_usb & 0xff, d.speed, d.product ? d.product : "",
		 d.location);
	rc = urbdrc_cb(srv)->usb_device_added(srv->core.host.ctx, &d);
	if (rc == 0)
		return;
	rdp_info(srv,
		 "client %u: USB device %u refused by the host (%s): "
		 "RETRACT_DEVICE",
		 d.client_id, d.device_id, strerror(-rc));
	pthread_mutex_lock(&srv->usb->lock);
	/* URBs the host may have sent meanwhile still end exactly once */
	urbdrc_pend_flush(ch, VRDE_USB_NODEV, false, &k);
	urbdrc_unlink_device(ch);
	ch->reported = false;
	urbdrc_put_retract(&b, ch->usbdev, ch->msgid++,
			   URBDRC_RETRACT_BLOCKED_BY_POLICY);
	urbdrc_queue(ch, &b);
	ch->state = CH_CLOSING;
	pthread_mutex_unlock(&srv->usb->lock);
	urbdrc_calls_run(srv, &k);
}

/* ---- client messages ------------------------------------------------------
 */

/* USBD_STATUS to the host's status. */
static uint32_t
urbdrc_status(uint32_t usbd)
{
	switch (usbd) {
	case URBDRC_USBD_SUCCESS:
		return VRDE_USB_OK;
	case URBDRC_USBD_STALL_PID:
		return VRDE_USB_STALL;
	case URBDRC_USBD_DEV_NOT_RESPONDING:
	case URBDRC_USBD_DEVICE_GONE:
		return VRDE_USB_NODEV;
	case URBDRC_USBD_BABBLE:
	case URBDRC_USBD_DATA_OVERRUN:
	case URBDRC_USBD_BUFFER_OVERRUN:
		return VRDE_USB_BABBLE;
	case URBDRC_USBD_DATA_UNDERRUN:
		return VRDE_USB_SHORT;
	case URBDRC_USBD_CANCELED:
		return VRDE_USB_CANCELLED;
	}
	return VRDE_USB_ERROR;
}

static void
urbdrc_pipe_set(struct urbdrc_ch *ch, uint8_t ep, uint32_t handle)
{
	unsigned i = (ep & 0x0f) | (ep & 0x80 ? 16 : 0);

	ch->pipe[i] = handle;
	ch->pipe_ok |= 1u << i;
}

static bool
urbdrc_pipe_get(const struct urbdrc_ch *ch, uint8_t ep, uint32_t *handle)
{
	unsigned i = (ep & 0x0f) | (ep & 0x80 ? 16 : 0);

	if (!(ch->pipe_ok & 1u << i))
		return false;
	*handle = ch->pipe[i];
	return true;
}

/* A SELECT_* result: keep the pipe handles.  @return false when it does
 * not parse. */
static bool
urbdrc_select_done(struct urbdrc_ch *ch, const struct urbdrc_msg *m,
		   bool select_if)
{
	struct urbdrc_select_result r;

	if (urbdrc_parse_select_result(m->result, m->result_len, select_if, &r,
				       NULL) < 0)
		return false;
	if (!select_if) {
		ch->config_handle = r.config_handle;
		ch->pipe_ok = 0;
	}
	for (uint32_t i = 0; i < r.npipes; i++)
		urbdrc_pipe_set(ch, r.pipe[i].ep, r.pipe[i].handle);
	return true;
}

/* A completion for a host URB @p. */
static void
urbdrc_host_done(struct urbdrc_ch *ch, struct urbdrc_pend *p,
		 const struct urbdrc_msg *m, struct urbdrc_calls *k)
{
	uint32_t status = urbdrc_status(m->usbd_status), actual = 0;
	const uint8_t *data = NULL;

	if (m->kind == URBDRC_K_IOCTL_DONE) {
		urbdrc_bad(ch, "IOCONTROL_COMPLETION for a transfer", k);
		return;
	}
	if (m->kind == URBDRC_K_URB_DONE && !p->in) {
		/* FreeRDP 2.11 echoes OUT data in URB_COMPLETION */
		actual = m->out_size;
	} else if (m->kind == URBDRC_K_URB_DONE) {
		actual = m->data_len;
		data = m->data;
	} else {
		actual = p->in ? 0 : m->out_size;
	}
	if (actual > p->length) {
		urbdrc_bad(ch, "completion with more bytes than asked for", k);
		return;
	}
	if (p->map == M_SELECT_CONFIG && status == VRDE_USB_OK &&
	    !urbdrc_select_done(ch, m, false)) {
		urbdrc_bad(ch, "malformed SELECT_CONFIGURATION result", k);
		return;
	}
	/* FreeRDP 2.11's SELECT_INTERFACE result is malformed; its pipe
	 * handles do not change with the setting, so the old ones do */
	if (p->map == M_SELECT_IF && status == VRDE_USB_OK)
		urbdrc_select_done(ch, m, true);
	if (p->map != M_PLAIN)
		actual = 0, data = NULL;
	if (status == VRDE_USB_OK && p->in && actual < p->length &&
	    !p->short_ok)
		status = VRDE_USB_SHORT;
	urbdrc_calls_add(k, p->handle, ch->device_id, status, actual, data);
	urbdrc_pend_drop(ch, p);
}

static void
urbdrc_completion(struct urbdrc_ch *ch, const struct urbdrc_msg *m,
		  struct urbdrc_calls *k)
{
	struct urbdrc_pend *p;

	if (ch->state != CH_ENUM && ch->state != CH_ACTIVE &&
	    ch->state != CH_CLOSING) {
		urbdrc_bad(ch, "completion before any request", k);
		return;
	}
	if ((m->iface & URBDRC_ID_BITS) != ch->completion) {
		urbdrc_bad(ch,
			   "completion on another RequestCompletion "
			   "interface",
			   k);
		return;
	}
	p = urbdrc_pend_find(ch, m->request_id);
	if (!p) {
		urbdrc_bad(ch, "completion with an unknown RequestId", k);
		return;
	}
	switch (p->kind) {
	case P_ENUM:
		urbdrc_pend_drop(ch, p);
		if (m->kind == URBDRC_K_IOCTL_DONE || m->data_len > p->length) {
			urbdrc_bad(ch, "malformed descriptor completion", k);
			return;
		}
		urbdrc_enum_answer(
		    ch, m->usbd_status == 0,
		    m->kind == URBDRC_K_URB_DONE ? m->data : NULL,
		    m->kind == URBDRC_K_URB_DONE ? m->data_len : 0, k);
		return;
	case P_RESET:
	case P_CANCELLED:
		/* RESET_PORT: FreeRDP claims 4 bytes and sends none; either
		 * way nothing waits for it */
		urbdrc_pend_drop(ch, p);
		return;
	case P_HOST:
		urbdrc_host_done(ch, p, m, k);
		return;
	}
}

static void
urbdrc_add_device(struct urbdrc_ch *ch, const struct urbdrc_msg *m,
		  struct urbdrc_calls *k)
{
	struct rdp_usb *u = urbdrc_usb(ch);
	struct urbdrc_buf b = {0};

	for (struct urbdrc_ch *o = ch->c->urbdrc->chans; o; o = o->next)
		if (o != ch && o->add && o->usbdev == m->dev.usbdev &&
		    o->state != CH_DEAD) {
			urbdrc_bad(ch, "ADD_DEVICE with a UsbDevice in use", k);
			return;
		}
	ch->add = malloc(sizeof(*ch->add));
	if (!ch->add) {
		urbdrc_bad(ch, "out of memory", k);
		return;
	}
	*ch->add = m->dev;
	ch->usbdev = m->dev.usbdev;
	ch->completion = u->next_completion++;
	if (u->next_completion > URBDRC_ID_BITS)
		u->next_completion = URBDRC_COMPLETION_ID;
	rdp_debug(ch->c->srv, "client %u: ADD_DEVICE %u %s", ch->c->vc.id,
		  ch->usbdev, m->dev.hw_id[0]);
	urbdrc_put_register_callback(&b, ch->usbdev, ch->msgid++,
				     ch->completion);
	urbdrc_queue(ch, &b);
	/* the client's own name for the device, for the log only */
	ch->text_msgid = ch->msgid++;
	ch->text_asked = true;
	urbdrc_put_query_text(&b, ch->usbdev, ch->text_msgid,
			      URBDRC_TEXT_DESCRIPTION, URBDRC_TEXT_LOCALE);
	urbdrc_queue(ch, &b);
	ch->state = CH_ENUM;
	ch->enum_step = 0;
	urbdrc_enum_next(ch, k);
}

/* The answer to our QUERY_DEVICE_TEXT: one log line.  Any other text
 * response (unasked, a second one, another device's) is harmless and
 * ignored. */
static void
urbdrc_text(struct urbdrc_ch *ch, const struct urbdrc_msg *m)
{
	char text[4 * URBDRC_STR_MAX], hw[4 * URBDRC_STR_MAX]; /* never cut */

	if (!ch->text_asked || m->msgid != ch->text_msgid ||
	    (m->iface & URBDRC_ID_BITS) != ch->usbdev) {
		rdp_debug(ch->c->srv,
			  "client %u: a device text not asked for, ignored",
			  ch->c->vc.id);
		return;
	}
	ch->text_asked = false;
	rdp_info(ch->c->srv,
		 "client %u: USB device %s: the client describes it as "
		 "\"%s\"%s (hresult 0x%x)",
		 ch->c->vc.id, rdp_escape(hw, sizeof(hw), ch->add->hw_id[0]),
		 rdp_escape(text, sizeof(text), m->text),
		 m->text_cut ? " (cut)" : "", m->hresult);
}

static void
urbdrc_add_channel(struct urbdrc_ch *ctl)
{
	struct rdp_client *c = ctl->c;
	struct rdp_urbdrc *ud = c->urbdrc;
	struct urbdrc_ch *ch;

	if (ud->ndevices >= URBDRC_DEVICES_MAX) {
		if (!ud->full_logged)
			rdp_warn(c->srv,
				 "client %u: more than %u USB devices: "
				 "ADD_VIRTUAL_CHANNEL ignored",
				 c->vc.id, URBDRC_DEVICES_MAX);
		ud->full_logged = true;
		return;
	}
	ch = urbdrc_open(c, false);
	if (!ch) {
		rdp_warn(c->srv, "client %u: cannot open a USB device channel",
			 c->vc.id);
		return;
	}
	ch->next = ctl->next;
	ctl->next = ch;
	ud->ndevices++;
}

/* Whether @ch may take a message of @kind now: the handshake in its
 * order, devices announced on the control channel once it is up, one
 * ADD_DEVICE on each device channel, completions on device channels.
 * @return NULL, or what urbdrc_bad says. */
static const char *
urbdrc_out_of_turn(const struct urbdrc_ch *ch, enum urbdrc_kind kind)
{
	bool up = ch->state == CH_CREATED || ch->state == CH_READY;

	switch (kind) {
	case URBDRC_K_CAPS_RSP:
		return ch->state != CH_CAPS
			   ? "capability response not asked for"
			   : NULL;
	case URBDRC_K_CHANNEL_CREATED:
		return ch->state != CH_CREATED ? "CHANNEL_CREATED out of turn"
					       : NULL;
	case URBDRC_K_ADD_VIRTUAL_CHANNEL:
		return !ch->control || !up ? "ADD_VIRTUAL_CHANNEL out of turn"
					   : NULL;
	case URBDRC_K_ADD_DEVICE:
		return ch->control || ch->add || !up ? "ADD_DEVICE out of turn"
						     : NULL;
	case URBDRC_K_IOCTL_DONE:
	case URBDRC_K_URB_DONE:
	case URBDRC_K_URB_DONE_NO_DATA:
		return ch->control ? "completion on the control channel" : NULL;
	case URBDRC_K_RELEASE:
	case URBDRC_K_TEXT_RSP:
		break;
	}
	return NULL;
}

/* One message from the client on @ch.  Under the lock. */
static void
urbdrc_message(struct urbdrc_ch *ch, const uint8_t *p, size_t n,
	       struct urbdrc_calls *k)
{
	struct urbdrc_msg *m = malloc(sizeof(*m));
	const char *err = "";
	struct rdp_client *c = ch->c;

	if (!m) {
		urbdrc_bad(ch, "out of memory", k);
		return;
	}
	if (urbdrc_parse_client(p, n, m, &err) < 0 ||
	    (err = urbdrc_out_of_turn(ch, m->kind))) {
		urbdrc_bad(ch, err, k);
		goto out;
	}
	switch (m->kind) {
	case URBDRC_K_CAPS_RSP:
		if (ch->control)
			rdp_info(c->srv,
				 "client %u: URBDRC capabilities exchanged "
				 "(version %u, hresult 0x%x)",
				 c->vc.id, m->capability, m->hresult);
		urbdrc_send_created(ch);
		break;
	case URBDRC_K_CHANNEL_CREATED:
		if (ch->control)
			rdp_info(c->srv,
				 "client %u: URBDRC channel created (client "
				 "version %u.%u)",
				 c->vc.id, m->major, m->minor);
		urbdrc_send_ready(ch);
		break;
	case URBDRC_K_RELEASE:
		break;
	case URBDRC_K_ADD_VIRTUAL_CHANNEL:
		urbdrc_add_channel(ch);
		break;
	case URBDRC_K_ADD_DEVICE:
		urbdrc_add_device(ch, m, k);
		break;
	case URBDRC_K_TEXT_RSP:
		urbdrc_text(ch, m);
		break;
	case URBDRC_K_IOCTL_DONE:
	case URBDRC_K_URB_DONE:
	case URBDRC_K_URB_DONE_NO_DATA:
		urbdrc_completion(ch, m, k);
		break;
	}
out:
	free(m);
}

/* ---- the session thread ----------------------------------------------------
 */

/* Is the client's end of @ch open?  Moves OPENING on.  @return false
 * when the channel is refused or closed. */
static bool
urbdrc_check_open(struct urbdrc_ch *ch)
{
	void *ready = NULL;
	DWORD len = 0;
	BOOL ok;

	ok =
	    WTSVirtualChannelQuery(ch->h, WTSVirtualChannelReady, &ready, &len);
	if (ok && ready && *(BOOL *)ready && ch->state == CH_OPENING)
		urbdrc_send_caps(ch);
	if (ready)
		WTSFreeMemory(ready);
	return ok;
}

/* Read what the client sent on @ch (at most 64 messages a turn).
 * FreeRDP 2.11's WTSVirtualChannelRead() hands out a message in pieces
 * when the buffer is shorter (no ERROR_INSUFFICIENT_BUFFER), so each
 * message's size is asked for first (NULL buffer) and read whole. */
static void
urbdrc_read(struct urbdrc_ch *ch, struct urbdrc_calls *k, bool *offer)
{
	struct rdp_server *srv = ch->c->srv;
	uint8_t stack[512], *buf = stack, *big;
	ULONG size = sizeof(stack), n = 0, got = 0;

	for (int msgs = 0; msgs < 64 && ch->state != CH_DEAD; msgs++) {
		if (!WTSVirtualChannelRead(ch->h, 0, NULL, 0, &n))
			break; /* nothing queued */
		if (n > URBDRC_MSG_MAX) {
			pthread_mutex_lock(&srv->usb->lock);
			urbdrc_bad(ch, "message too long", k);
			pthread_mutex_unlock(&srv->usb->lock);
			break;
		}
		if (n > size) {
			big = buf == stack ? malloc(n) : realloc(buf, n);
			if (!big)
				break;
			buf = big;
			size = n;
		}
		/* a buffer of at least one byte: an empty message is taken */
		if (!WTSVirtualChannelRead(ch->h, 0, (PCHAR)buf, n ? n : 1,
					   &got) ||
		    got != n)
			break;
		if (n == 0)
			continue;
		pthread_mutex_lock(&srv->usb->lock);
		bool before = ch->state == CH_ACTIVE;
		urbdrc_message(ch, buf, n, k);
		*offer = !before && ch->state == CH_ACTIVE;
		pthread_mutex_unlock(&srv->usb->lock);
		/* completions point into @buf: hand them over now */
		urbdrc_calls_run(srv, k);
		if (*offer) {
			urbdrc_offer(ch);
			*offer = false;
		}
	}
	if (buf != stack)
		free(buf);
}

/* Write what is queued on @ch.  @return false when writing failed. */
static bool
urbdrc_write(struct urbdrc_ch *ch)
{
	struct rdp_usb *u = urbdrc_usb(ch);
	struct urbdrc_out *q;
	ULONG written = 0;
	bool ok = true;

	pthread_mutex_lock(&u->lock);
	q = ch->outq;
	ch->outq = NULL;
	ch->outq_tail = &ch->outq;
	pthread_mutex_unlock(&u->lock);
	while (q) {
		struct urbdrc_out *next = q->next;

		if (ok && !WTSVirtualChannelWrite(ch->h, (PCHAR)q->data,
						  (ULONG)q->len, &written))
			ok = false;
		free(q);
		q = next;
	}
	return ok;
}

static void
urbdrc_free(struct urbdrc_ch *ch)
{
	if (ch->h)
		WTSVirtualChannelClose(ch->h);
	urbdrc_outq_free(ch);
	free(ch->add);
	free(ch->config);
	free(ch);
}

/* One turn on one channel.  @return false when @ch is to be freed. */
static bool
urbdrc_turn(struct urbdrc_ch *ch)
{
	struct rdp_server *srv = ch->c->srv;
	struct urbdrc_calls k = {0};
	bool open, offer = false;

	open = urbdrc_check_open(ch);
	if (ch->state != CH_OPENING)
		urbdrc_read(ch, &k, &offer);
	if (ch->state != CH_DEAD && !urbdrc_write(ch)) {
		pthread_mutex_lock(&srv->usb->lock);
		urbdrc_bad(ch, "writing to the channel failed", &k);
		pthread_mutex_unlock(&srv->usb->lock);
	}
	pthread_mutex_lock(&srv->usb->lock);
	if (ch->state == CH_CLOSING && !ch->outq)
		ch->state = CH_DEAD;
	if (!open && ch->state != CH_DEAD) {
		if (ch->state == CH_OPENING && ch->control)
			rdp_info(srv,
				 "client %u: no URBDRC channel (the "
				 "client has no USB redirection)",
				 ch->c->vc.id);
		else if (ch->reported)
			rdp_info(srv,
				 "client %u: USB device %u unplugged (its "
				 "channel closed)",
				 ch->c->vc.id, ch->device_id);
		if (!ch->control)
			urbdrc_device_gone(ch, &k);
		ch->state = CH_DEAD;
	}
	if (ch->deadline_ms && vmod_mono_ms() > ch->deadline_ms &&
	    ch->state != CH_DEAD && ch->state != CH_ACTIVE &&
	    !(ch->control && ch->state == CH_READY))
		urbdrc_bad(ch, "no answer from the client in time", &k);
	if (ch->control && ch->state == CH_READY)
		ch->deadline_ms = 0;
	pthread_mutex_unlock(&srv->usb->lock);
	urbdrc_calls_run(srv, &k);
	return ch->state != CH_DEAD;
}

void
rdp_urbdrc_poll(struct rdp_client *c)
{
	struct rdp_server *srv = c->srv;
	struct rdp_urbdrc *ud = c->urbdrc;

	if (!ud) {
		if (!srv->usb_enabled || c->urbdrc_tried || !c->activated)
			return;
		if (!WTSVirtualChannelManagerIsChannelJoined(c->vcm,
							     "drdynvc") ||
		    WTSVirtualChannelManagerGetDrdynvcState(c->vcm) !=
			DRDYNVC_STATE_READY)
			return;
		c->urbdrc_tried = true;
		ud = calloc(1, sizeof(*ud));
		if (!ud)
			return;
		ud->chans = urbdrc_open(c, true);
		if (!ud->chans) {
			free(ud);
			rdp_warn(srv, "client %u: cannot open URBDRC",
				 c->vc.id);
			return;
		}
		pthread_mutex_lock(&srv->usb->lock);
		c->urbdrc = ud;
		pthread_mutex_unlock(&srv->usb->lock);
	}
	for (struct urbdrc_ch **pp = &ud->chans; *pp;) {
		struct urbdrc_ch *ch = *pp;

		if (urbdrc_turn(ch)) {
			pp = &ch->next;
			continue;
		}
		pthread_mutex_lock(&srv->usb->lock);
		*pp = ch->next;
		if (!ch->control)
			ud->ndevices--;
		pthread_mutex_unlock(&srv->usb->lock);
		urbdrc_free(ch);
	}
}

void
rdp_urbdrc_close(struct rdp_client *c)
{
	struct rdp_server *srv = c->srv;
	struct rdp_urbdrc *ud = c->urbdrc;
	struct urbdrc_calls k = {0};
	struct urbdrc_ch *ch;

	if (!ud)
		return;
	pthread_mutex_lock(&srv->usb->lock);
	for (ch = ud->chans; ch; ch = ch->next)
		if (!ch->control)
			urbdrc_device_gone(ch, &k);
	c->urbdrc = NULL;
	pthread_mutex_unlock(&srv->usb->lock);
	urbdrc_calls_run(srv, &k);
	while ((ch = ud->chans)) {
		ud->chans = ch->next;
		urbdrc_free(ch);
	}
	free(ud);
}

/* ---- the host's entry points ------------------------------------------------
 */

/* The reported device @id, under the lock. */
static struct urbdrc_ch *
urbdrc_find(struct rdp_server *srv, uint32_t id)
{
	for (struct urbdrc_ch *ch = srv->usb->devs; ch; ch = ch->dnext)
		if (ch->device_id == id && ch->state == CH_ACTIVE)
			return ch;
	return NULL;
}

static void
urbdrc_wake(struct urbdrc_ch *ch)
{
	if (ch->c->wake)
		SetEvent(ch->c->wake);
}

/* How a control URB's setup maps onto a TS_URB (fills @u and @p->map).
 * @return 0, or a VRDE status to complete with at once (+1, so 0 stays
 * "sent"). */
static int
urbdrc_map_control(struct urbdrc_ch *ch, const struct vrde_usb_urb *urb,
		   struct urbdrc_urb *u, struct urbdrc_pend *p)
{
	const uint8_t *s = urb->setup;
	uint8_t type = s[0] & 0x60, rcpt = s[0] & 0x1f;
	uint16_t value = (uint16_t)(s[2] | s[3] << 8);
	uint16_t index = (uint16_t)(s[4] | s[5] << 8);

	if (type == 0 && rcpt == 0 && s[1] == 0x09) { /* SET_CONFIGURATION */
		u->fn = URBDRC_URB_SELECT_CONFIGURATION;
		p->map = M_SELECT_CONFIG;
		if ((value & 0xff) == 0)
			return 0; /* unconfigure */
		if (!ch->config || ch->config[5] != (value & 0xff))
			return VRDE_USB_STALL + 1; /* not configuration 0 */
		u->config = ch->config;
		u->config_len = ch->config_len;
		return 0;
	}
	if (type == 0 && rcpt == 1 && s[1] == 0x0B) { /* SET_INTERFACE */
		if (!ch->config || !ch->config_handle)
			return VRDE_USB_STALL + 1;
		u->fn = URBDRC_URB_SELECT_INTERFACE;
		u->config_handle = ch->config_handle;
		u->iface = (uint8_t)index;
		u->alt = (uint8_t)value;
		u->config = ch->config;
		u->config_len = ch->config_len;
		p->map = M_SELECT_IF;
		return 0;
	}
	if (type == 0 && rcpt == 2 && s[1] == 0x01 && value == 0) {
		/* CLEAR_FEATURE(ENDPOINT_HALT) */
		if (!urbdrc_pipe_get(ch, (uint8_t)index, &u->pipe))
			return VRDE_USB_STALL + 1;
		u->fn = URBDRC_URB_SYNC_RESET_PIPE_CLEAR;
		p->map = M_RESET_PIPE;
		return 0;
	}
	u->fn = URBDRC_URB_CONTROL_TRANSFER;
	u->pipe = 0;
	u->flags = URBDRC_XFER_DEFAULT_PIPE;
	if (p->in)
		u->flags |= URBDRC_XFER_DIRECTION_IN | URBDRC_XFER_SHORT_OK;
	memcpy(u->setup, s, 8);
	return 0;
}

static int
urbdrc_submit_locked(struct rdp_server *srv, const struct vrde_usb_urb *urb,
		     int *now)
{
	struct urbdrc_ch *ch = urbdrc_find(srv, urb->device_id);
	struct urbdrc_urb u = {0};
	struct urbdrc_buf b = {0};
	struct urbdrc_pend *p;
	bool in;
	int rc;

	if (!ch)
		return -ENODEV;
	if (urb->type == VRDE_USB_XFER_CONTROL) {
		in = (urb->setup[0] & 0x80) != 0;
		if (urb->length !=
		    (uint32_t)(urb->setup[6] | urb->setup[7] << 8))
			return -EINVAL;
	} else {
		in = (urb->endpoint & 0x80) != 0;
		if (!(urb->endpoint & 0x0f))
			return -EINVAL;
	}
	if (ch->nhost >= URBDRC_URBS_MAX)
		return -EBUSY;
	if (urbdrc_pend_by_handle(ch, urb->handle))
		return -EINVAL;
	p = urbdrc_pend_new(ch, P_HOST);
	if (!p)
		return -EBUSY;
	p->in = in;
	p->short_ok = urb->short_ok != 0;
	p->handle = urb->handle;
	p->length = urb->length;
	ch->nhost++;
	if (urb->type == VRDE_USB_XFER_CONTROL) {
		rc = urbdrc_map_control(ch, urb, &u, p);
		if (rc > 0) {
			urbdrc_pend_drop(ch, p);
			*now = rc - 1;
			return 0;
		}
	} else {
		if (!urbdrc_pipe_get(ch, urb->endpoint, &u.pipe)) {
			urbdrc_pend_drop(ch, p);
			return -EINVAL; /* not configured, or no such pipe */
		}
		u.fn = URBDRC_URB_BULK_OR_INTERRUPT;
		u.flags =
		    in ? URBDRC_XFER_DIRECTION_IN | URBDRC_XFER_SHORT_OK : 0;
	}
	u.request_id = p->request_id;
	/* select requests and pipe resets go IN with no data */
	if (p->map != M_PLAIN) {
		p->in = true;
		p->length = 0;
	}
	rc = urbdrc_put_transfer(
	    &b, ch->usbdev, ch->msgid++, &u, p->in ? p->length : 0,
	    p->in ? NULL : (urb->length ? urb->data : u.setup),
	    p->in ? 0 : urb->length);
	if (rc == 0)
		rc = urbdrc_queue(ch, &b);
	else
		urbdrc_buf_free(&b);
	if (rc < 0) {
		urbdrc_pend_drop(ch, p);
		return rc;
	}
	urbdrc_wake(ch);
	return 0;
}

int
rdp_urbdrc_submit(struct vrde_server *vs, const struct vrde_usb_urb *urb)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct vrde_usb_completion c;
	int rc, now = -1;
	bool in;

	if (!urb || !urb->handle)
		return -EINVAL;
	if (urb->type == VRDE_USB_XFER_ISOC)
		return -ENOTSUP;
	in = urb->type == VRDE_USB_XFER_CONTROL ? (urb->setup[0] & 0x80) != 0
						: (urb->endpoint & 0x80) != 0;
	if (urb->type > VRDE_USB_XFER_INTERRUPT ||
	    urb->length > URBDRC_XFER_MAX || (!in && urb->length && !urb->data))
		return -EINVAL;
	if (!srv->usb)
		return -ENODEV;
	pthread_mutex_lock(&srv->usb->lock);
	rc = urbdrc_submit_locked(srv, urb, &now);
	pthread_mutex_unlock(&srv->usb->lock);
	if (rc == 0 && now >= 0) {
		c = (struct vrde_usb_completion){.handle = urb->handle,
						 .device_id = urb->device_id,
						 .status = (uint32_t)now};
		urbdrc_cb(srv)->usb_complete(srv->core.host.ctx, &c);
	}
	return rc;
}

int
rdp_urbdrc_cancel(struct vrde_server *vs, uint32_t device_id, uint64_t handle)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct urbdrc_ch *ch;
	struct urbdrc_pend *p = NULL;
	struct urbdrc_buf b = {0};
	struct vrde_usb_completion c = {.handle = handle,
					.device_id = device_id,
					.status = VRDE_USB_CANCELLED};

	if (!srv->usb)
		return -ENOENT;
	pthread_mutex_lock(&srv->usb->lock);
	ch = urbdrc_find(srv, device_id);
	if (ch)
		p = urbdrc_pend_by_handle(ch, handle);
	if (p) {
		urbdrc_put_cancel(&b, ch->usbdev, ch->msgid++, p->request_id);
		urbdrc_queue(ch, &b);
		ch->nhost--;
		p->kind = P_CANCELLED; /* its answer is still expected */
		p->handle = 0;
		urbdrc_wake(ch);
	}
	pthread_mutex_unlock(&srv->usb->lock);
	if (!p)
		return -ENOENT;
	urbdrc_cb(srv)->usb_complete(srv->core.host.ctx, &c);
	return 0;
}

int
rdp_urbdrc_reset(struct vrde_server *vs, uint32_t device_id)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct urbdrc_calls k = {0};
	struct urbdrc_buf b = {0};
	struct urbdrc_pend *p;
	struct urbdrc_ch *ch;

	if (!srv->usb)
		return -ENODEV;
	pthread_mutex_lock(&srv->usb->lock);
	ch = urbdrc_find(srv, device_id);
	if (ch) {
		urbdrc_pend_flush(ch, VRDE_USB_CANCELLED, true, &k);
		p = urbdrc_pend_new(ch, P_RESET);
		if (p) {
			urbdrc_put_io_control(&b, ch->usbdev, ch->msgid++,
					      false, URBDRC_IOCTL_RESET_PORT,
					      NULL, 0, 0, p->request_id);
			urbdrc_queue(ch, &b);
		}
		urbdrc_wake(ch);
	}
	pthread_mutex_unlock(&srv->usb->lock);
	urbdrc_calls_run(srv, &k);
	return ch ? 0 : -ENODEV;
}

void
rdp_urbdrc_release(struct vrde_server *vs, uint32_t device_id)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct urbdrc_calls k = {0};
	struct urbdrc_buf b = {0};
	struct urbdrc_ch *ch;

	if (!srv->usb)
		return;
	pthread_mutex_lock(&srv->usb->lock);
	ch = urbdrc_find(srv, device_id);
	if (ch) {
		urbdrc_pend_flush(ch, VRDE_USB_CANCELLED, true, &k);
		urbdrc_unlink_device(ch);
		ch->reported = false;
		urbdrc_put_retract(&b, ch->usbdev, ch->msgid++,
				   URBDRC_RETRACT_BLOCKED_BY_POLICY);
		urbdrc_queue(ch, &b);
		ch->state = CH_CLOSING;
		rdp_info(srv, "client %u: USB device %u released by the host",
			 ch->c->vc.id, device_id);
		urbdrc_wake(ch);
	}
	pthread_mutex_unlock(&srv->usb->lock);
	urbdrc_calls_run(srv, &k);
}
