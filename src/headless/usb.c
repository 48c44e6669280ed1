/*
 * usb.c - remote USB (vireo-usb(7)): a client's USB devices, reported by
 * the VRDE module, judged against the VM's USB device filters and put on
 * the VM's OHCI root hub as proxies (vmm.h, usb_remote.c) whose URBs go
 * to the module's usb_* entry points.
 *
 * usb_device_added() is judged at once, in the module's thread (the
 * answer is its return value); everything that touches the VMM (attach,
 * completions, detach) is queued, in the order the module reported it,
 * for this file's own thread.  So a module may call the USB callbacks
 * from any thread, with any of its locks held, even from inside
 * usb_submit(); and the VMM's locks are never taken under a module's.
 * The proxy's ops (submit, cancel, reset) run in the VMM's USB frame
 * thread with the device's lock held and call the module directly.
 *
 * A device entry lives from usb_device_added() until this thread frees
 * its proxy; only this thread frees entries, so while it handles an
 * event the entry it found stays valid without the lock.
 */
#define LOG_TAG "usb"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headless.h"
#include "log.h"
#include "usbfilter.h"

#define HL_USB_MAX	16 /* devices taken at once, all clients together */
/* The most IN data a completion carries (the VMM's transfers are 8 KiB
 * at most): more is cut, and the VMM cuts it to the transfer anyway. */
#define HL_USB_DATA_MAX 65536u

enum hl_usb_ev_kind {
	HL_USB_EV_ATTACH = 0,
	HL_USB_EV_COMPLETE,
	HL_USB_EV_REMOVED,
	HL_USB_EV_CLIENT_LEFT,
	HL_USB_EV_SERVER_STOP,
};

struct hl_usb_ev {
	struct hl_usb_ev *next;
	enum hl_usb_ev_kind kind;
	struct headless_server *s;
	uint32_t id; /* device id, or client id for CLIENT_LEFT */
	uint64_t handle;
	uint32_t status, actual;
	bool *done; /* SERVER_STOP: set when handled */
	uint8_t data[];
};

struct hl_usb_dev {
	bool used;
	bool attached;
	bool gone; /* atomic: the module forgot it: ops do not call it */
	struct headless_server *s;
	uint32_t device_id, client_id;
	int port; /* 1-based once attached */
	struct vmm_usb_remote *r;
	uint16_t vid, pid, rev;
	char product[128], manufacturer[128], serial[128];
};

struct hl_usb {
	struct headless *hl;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* an event was queued, or one was done */
	pthread_t thread;
	bool quit;
	struct hl_usb_ev *head, **tail;
	struct hl_usb_dev dev[HL_USB_MAX];
};

/* ---- the proxy's ops: the VMM's frame thread, device lock held ------- */

static int
hl_usb_op_submit(void *ctx, const struct vmm_usb_urb *u)
{
	struct hl_usb_dev *d = ctx;
	struct vrde_usb_urb urb = {
	    .handle = u->handle,
	    .device_id = d->device_id,
	    .type = u->type,
	    .endpoint = u->endpoint,
	    .short_ok = u->short_ok,
	    .length = u->length,
	    .data = u->data,
	};

	if (__atomic_load_n(&d->gone, __ATOMIC_ACQUIRE))
		return -ENODEV;
	memcpy(urb.setup, u->setup, sizeof(urb.setup));
	return d->s->ep->usb_submit(d->s->srv, &urb);
}

static void
hl_usb_op_cancel(void *ctx, uint64_t handle)
{
	struct hl_usb_dev *d = ctx;

	if (!__atomic_load_n(&d->gone, __ATOMIC_ACQUIRE))
		d->s->ep->usb_cancel(d->s->srv, d->device_id, handle);
}

static void
hl_usb_op_reset(void *ctx)
{
	struct hl_usb_dev *d = ctx;

	if (!__atomic_load_n(&d->gone, __ATOMIC_ACQUIRE))
		d->s->ep->usb_reset(d->s->srv, d->device_id);
}

static const struct vmm_usb_remote_ops hl_usb_ops = {
    .submit = hl_usb_op_submit,
    .cancel = hl_usb_op_cancel,
    .reset = hl_usb_op_reset,
};

/* ---- filters ------------------------------------------------------------ */

/* Remote "no" (or false, 0): the filter is for host devices only. */
static bool
hl_usb_filter_remote_ok(const struct settings_usb_filter *f)
{
	const char *r = f->remote_set ? f->remote : NULL;

	return !r || (strcasecmp(r, "no") && strcasecmp(r, "false") &&
		      strcmp(r, "0"));
}

static bool
hl_usb_filter_match(const struct settings_usb_filter *f,
		    const struct vrde_usb_device_desc *d)
{
	bool bad = false, ok;

	if (!f->active || !hl_usb_filter_remote_ok(f))
		return false;
	ok = usbfilter_num_match(f->vendor_id, d->vendor_id, &bad) &&
	     usbfilter_num_match(f->product_id, d->product_id, &bad) &&
	     usbfilter_num_match(f->revision, d->bcd_device, &bad) &&
	     usbfilter_str_match(f->manufacturer, d->manufacturer) &&
	     usbfilter_str_match(f->product, d->product) &&
	     usbfilter_str_match(f->serial_number, d->serial) &&
	     !(f->port && *f->port); /* a host port: never a remote device */
	if (bad)
		log_warn("USB device filter '%s': a vendor id, product id or "
			 "revision vireo does not understand; it matches "
			 "nothing",
			 f->name ? f->name : "");
	return ok && !bad;
}

/* The first active filter for remote devices matching @d, or NULL. */
static const char *
hl_usb_match(struct headless *hl, const struct vrde_usb_device_desc *d)
{
	const struct settings_usb_filter *f;
	size_t n = settings_machine_usb_filters(hl->m, &f);

	for (size_t i = 0; i < n; i++)
		if (hl_usb_filter_match(&f[i], d))
			return f[i].name ? f[i].name : "";
	return NULL;
}

/* ---- the queue ------------------------------------------------------------
 */

static void
hl_usb_queue(struct hl_usb *u, struct hl_usb_ev *ev)
{
	pthread_mutex_lock(&u->lock);
	ev->next = NULL;
	*u->tail = ev;
	u->tail = &ev->next;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

static struct hl_usb_ev *
hl_usb_ev_new(enum hl_usb_ev_kind kind, struct headless_server *s, uint32_t id,
	      size_t extra)
{
	struct hl_usb_ev *ev = calloc(1, sizeof(*ev) + extra);

	if (ev) {
		ev->kind = kind;
		ev->s = s;
		ev->id = id;
	}
	return ev;
}

/* Caller holds u->lock. */
static struct hl_usb_dev *
hl_usb_find(struct hl_usb *u, struct headless_server *s, uint32_t id)
{
	for (int i = 0; i < HL_USB_MAX; i++)
		if (u->dev[i].used && u->dev[i].s == s &&
		    u->dev[i].device_id == id)
			return &u->dev[i];
	return NULL;
}

/* ---- the callbacks (module threads) ------------------------------------- */

static const char *
hl_usb_speed_name(uint8_t speed)
{
	static const char *const names[] = {"unknown", "low", "full", "high",
					    "super"};

	return speed < 5 ? names[speed] : "unknown";
}

static void
hl_usb_log_arrival(const struct vrde_usb_device_desc *d)
{
	char m[128], p[128], s[128], l[128];

	log_escape(m, sizeof(m), d->manufacturer ? d->manufacturer : "");
	log_escape(p, sizeof(p), d->product ? d->product : "");
	log_escape(s, sizeof(s), d->serial ? d->serial : "");
	log_escape(l, sizeof(l), d->location ? d->location : "");
	log_info("remote USB device %u of client %u arrived: %04x:%04x "
		 "rev %04x class %02x/%02x/%02x, %s speed, manufacturer "
		 "\"%s\", product \"%s\", serial \"%s\", at \"%s\"",
		 d->device_id, d->client_id, d->vendor_id, d->product_id,
		 d->bcd_device, d->dev_class, d->dev_subclass, d->dev_protocol,
		 hl_usb_speed_name(d->speed), m, p, s, l);
}

static int
hl_usb_refuse(const struct vrde_usb_device_desc *d, int rc, const char *why)
{
	log_info("remote USB device %u (%04x:%04x) refused: %s", d->device_id,
		 d->vendor_id, d->product_id, why);
	return rc;
}

static bool
hl_usb_client_ok(struct headless *hl, uint32_t client_id)
{
	struct headless_client *c;
	bool ok;

	pthread_mutex_lock(&hl->lock);
	c = logon_find(hl, client_id);
	ok = c && c->granted;
	pthread_mutex_unlock(&hl->lock);
	return ok;
}

static void
hl_usb_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Reserve an entry for @d (a port is free: checked here).  @return 0 or
 * a negative errno with the reason logged. */
static int
hl_usb_reserve(struct hl_usb *u, struct headless_server *s,
	       const struct vrde_usb_device_desc *d, struct hl_usb_dev **out)
{
	int ports = vmm_usb_remote_ports(u->hl->vm), used = 0;
	struct hl_usb_dev *e = NULL;
	char why[96];

	pthread_mutex_lock(&u->lock);
	for (int i = 0; i < HL_USB_MAX; i++) {
		if (u->dev[i].used)
			used++;
		else if (!e)
			e = &u->dev[i];
	}
	if (s->usb_closed) { /* the server is being stopped */
		pthread_mutex_unlock(&u->lock);
		return hl_usb_refuse(d, -EACCES, "the VRDE server stops");
	}
	if (hl_usb_find(u, s, d->device_id)) {
		pthread_mutex_unlock(&u->lock);
		return hl_usb_refuse(d, -EEXIST, "reported twice");
	}
	if (used >= ports || !e) {
		pthread_mutex_unlock(&u->lock);
		snprintf(why, sizeof(why),
			 "no free root-hub port (%d of %d in use)", used,
			 ports);
		return hl_usb_refuse(d, -ENOSPC, why);
	}
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->s = s;
	e->device_id = d->device_id;
	e->client_id = d->client_id;
	e->vid = d->vendor_id;
	e->pid = d->product_id;
	e->rev = d->bcd_device;
	hl_usb_copy(e->product, sizeof(e->product), d->product);
	hl_usb_copy(e->manufacturer, sizeof(e->manufacturer), d->manufacturer);
	hl_usb_copy(e->serial, sizeof(e->serial), d->serial);
	pthread_mutex_unlock(&u->lock);
	*out = e;
	return 0;
}

int
hl_usb_added(struct headless_server *s, const struct vrde_usb_device_desc *d)
{
	struct headless *hl = s->hl;
	struct hl_usb *u = hl->usb;
	struct hl_usb_dev *e;
	struct hl_usb_ev *ev;
	const char *filter;
	int rc;

	hl_usb_log_arrival(d);
	if (!u || !s->usb)
		return hl_usb_refuse(d, -EACCES,
				     "the VRDE module has no USB entry points");
	if (hl->disable_usb)
		return hl_usb_refuse(d, -EACCES, "Client/DisableUSB is 1");
	if (!d->device_id)
		return hl_usb_refuse(d, -EINVAL, "device id 0");
	if (!hl_usb_client_ok(hl, d->client_id))
		return hl_usb_refuse(d, -EACCES, "its client is not logged on");
	if (!hl->vm || vmm_usb_remote_ports(hl->vm) <= 0)
		return hl_usb_refuse(d, -ENODEV,
				     "the VM has no USB controller");
	filter = hl_usb_match(hl, d);
	if (!filter)
		return hl_usb_refuse(d, -EACCES,
				     "no active USB device filter for remote "
				     "devices matches it");
	ev = hl_usb_ev_new(HL_USB_EV_ATTACH, s, d->device_id, 0);
	if (!ev)
		return hl_usb_refuse(d, -ENOMEM, "out of memory");
	rc = hl_usb_reserve(u, s, d, &e);
	if (rc < 0) {
		free(ev);
		return rc;
	}
	log_info("remote USB device %u (%04x:%04x) matches filter '%s'",
		 d->device_id, d->vendor_id, d->product_id, filter);
	e->r = vmm_usb_remote_new(hl->vm, &hl_usb_ops, e,
				  d->speed == VRDE_USB_SPEED_LOW);
	if (!e->r) {
		pthread_mutex_lock(&u->lock);
		e->used = false;
		pthread_mutex_unlock(&u->lock);
		free(ev);
		return hl_usb_refuse(d, -ENOMEM, "out of memory");
	}
	hl_usb_queue(u, ev);
	return 0;
}

void
hl_usb_removed(struct headless_server *s, uint32_t device_id)
{
	struct hl_usb_ev *ev;

	if (!s->hl->usb)
		return;
	ev = hl_usb_ev_new(HL_USB_EV_REMOVED, s, device_id, 0);
	if (ev)
		hl_usb_queue(s->hl->usb, ev);
	else
		log_err("out of memory: remote USB device %u stays attached",
			device_id);
}

void
hl_usb_complete(struct headless_server *s, const struct vrde_usb_completion *c)
{
	uint32_t n = c->data ? c->actual : 0;
	struct hl_usb_ev *ev;

	if (!s->hl->usb)
		return;
	if (n > HL_USB_DATA_MAX)
		n = HL_USB_DATA_MAX;
	ev = hl_usb_ev_new(HL_USB_EV_COMPLETE, s, c->device_id, n);
	if (!ev) {
		/* the guest's transfer fails instead of hanging */
		ev = hl_usb_ev_new(HL_USB_EV_COMPLETE, s, c->device_id, 0);
		if (!ev)
			return;
		ev->status = VRDE_USB_ERROR;
	} else {
		ev->status = c->status;
		ev->actual = c->actual;
		if (n)
			memcpy(ev->data, c->data, n);
		if (c->data)
			ev->actual = n;
	}
	ev->handle = c->handle;
	hl_usb_queue(s->hl->usb, ev);
}

void
hl_usb_client_left(struct headless_server *s, uint32_t client_id)
{
	struct hl_usb_ev *ev;

	if (!s->hl->usb)
		return;
	ev = hl_usb_ev_new(HL_USB_EV_CLIENT_LEFT, s, client_id, 0);
	if (ev)
		hl_usb_queue(s->hl->usb, ev);
}

/* ---- the thread -----------------------------------------------------------
 */

/* Take @e off the VM and free it.  @release: tell the module it is no
 * longer used (it still knows the device). */
static void
hl_usb_drop(struct hl_usb *u, struct hl_usb_dev *e, bool release,
	    const char *why)
{
	if (!release)
		__atomic_store_n(&e->gone, true, __ATOMIC_RELEASE);
	vmm_usb_remote_free(e->r); /* the guest sees the port disconnect */
	if (e->attached)
		log_info("remote USB device %u (%04x:%04x) detached from port "
			 "%d: %s",
			 e->device_id, e->vid, e->pid, e->port, why);
	else
		log_info("remote USB device %u (%04x:%04x) dropped before it "
			 "was attached: %s",
			 e->device_id, e->vid, e->pid, why);
	if (release)
		e->s->ep->usb_release(e->s->srv, e->device_id);
	pthread_mutex_lock(&u->lock);
	e->used = false;
	e->r = NULL;
	pthread_mutex_unlock(&u->lock);
}

static struct hl_usb_dev *
hl_usb_lookup(struct hl_usb *u, struct headless_server *s, uint32_t id)
{
	struct hl_usb_dev *e;

	pthread_mutex_lock(&u->lock);
	e = hl_usb_find(u, s, id);
	pthread_mutex_unlock(&u->lock);
	return e;
}

static void
hl_usb_do_attach(struct hl_usb *u, struct hl_usb_dev *e)
{
	int port = vmm_usb_remote_attach(e->r);

	if (port < 0) {
		log_warn("remote USB device %u (%04x:%04x) could not be "
			 "attached: %s; released",
			 e->device_id, e->vid, e->pid,
			 port == -ENOSPC ? "no free root-hub port"
					 : strerror(-port));
		hl_usb_drop(u, e, true, "not attached");
		return;
	}
	e->port = port;
	e->attached = true;
	log_info("remote USB device %u (%04x:%04x) of client %u attached to "
		 "port %d",
		 e->device_id, e->vid, e->pid, e->client_id, port);
}

static void
hl_usb_handle(struct hl_usb *u, struct hl_usb_ev *ev)
{
	struct hl_usb_dev *e = NULL;

	switch (ev->kind) {
	case HL_USB_EV_ATTACH:
		if ((e = hl_usb_lookup(u, ev->s, ev->id)) && !e->attached)
			hl_usb_do_attach(u, e);
		break;
	case HL_USB_EV_COMPLETE:
		if ((e = hl_usb_lookup(u, ev->s, ev->id)))
			vmm_usb_remote_complete(e->r, ev->handle,
						(int)ev->status, ev->data,
						ev->actual);
		break;
	case HL_USB_EV_REMOVED:
		if ((e = hl_usb_lookup(u, ev->s, ev->id)))
			hl_usb_drop(u, e, false, "unplugged on the client");
		break;
	case HL_USB_EV_CLIENT_LEFT:
	case HL_USB_EV_SERVER_STOP:
		for (int i = 0; i < HL_USB_MAX; i++) {
			e = &u->dev[i];
			if (!e->used || e->s != ev->s ||
			    (ev->kind == HL_USB_EV_CLIENT_LEFT &&
			     e->client_id != ev->id))
				continue;
			hl_usb_drop(u, e, true,
				    ev->kind == HL_USB_EV_CLIENT_LEFT
					? "its client left"
					: "the VRDE server stops");
		}
		break;
	}
}

static void *
hl_usb_thread(void *arg)
{
	struct hl_usb *u = arg;

	pthread_mutex_lock(&u->lock);
	for (;;) {
		struct hl_usb_ev *ev = u->head;

		if (!ev) {
			if (u->quit)
				break;
			pthread_cond_wait(&u->cond, &u->lock);
			continue;
		}
		u->head = ev->next;
		if (!u->head)
			u->tail = &u->head;
		pthread_mutex_unlock(&u->lock);
		hl_usb_handle(u, ev);
		pthread_mutex_lock(&u->lock);
		if (ev->done) {
			*ev->done = true;
			pthread_cond_broadcast(&u->cond);
		}
		free(ev);
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

int
hl_usb_init(struct headless *hl)
{
	struct hl_usb *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return -ENOMEM;
	u->hl = hl;
	u->tail = &u->head;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	rc = pthread_create(&u->thread, NULL, hl_usb_thread, u);
	if (rc) {
		pthread_cond_destroy(&u->cond);
		pthread_mutex_destroy(&u->lock);
		free(u);
		return -rc;
	}
	hl->usb = u;
	return 0;
}

void
hl_usb_server_stop(struct headless *hl, struct headless_server *s)
{
	struct hl_usb *u = hl->usb;
	struct hl_usb_ev *ev;
	bool done = false;

	if (!u || !(ev = hl_usb_ev_new(HL_USB_EV_SERVER_STOP, s, 0, 0)))
		return;
	ev->done = &done;
	pthread_mutex_lock(&u->lock);
	s->usb_closed = true; /* hl_usb_added() takes nothing more */
	pthread_mutex_unlock(&u->lock);
	hl_usb_queue(u, ev);
	pthread_mutex_lock(&u->lock);
	while (!done)
		pthread_cond_wait(&u->cond, &u->lock);
	pthread_mutex_unlock(&u->lock);
}

void
hl_usb_fini(struct headless *hl)
{
	struct hl_usb *u = hl->usb;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	u->quit = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	/* servers release their devices before they stop: none is left */
	for (int i = 0; i < HL_USB_MAX; i++)
		if (u->dev[i].used)
			vmm_usb_remote_free(u->dev[i].r);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	hl->usb = NULL;
	free(u);
}

/* VBoxManage's "Currently attached USB devices" keys, and vireo's. */
void
hl_usb_info(struct headless *hl, FILE *f)
{
	struct hl_usb *u = hl->usb;
	int n = 0;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	for (int i = 0; i < HL_USB_MAX; i++) {
		struct hl_usb_dev *e = &u->dev[i];
		char key[64], val[160];

		if (!e->used || !e->attached)
			continue;
		n++;
		fprintf(f, "USBAttachVendorId%d=\"0x%04x\"\n", n, e->vid);
		fprintf(f, "USBAttachProductId%d=\"0x%04x\"\n", n, e->pid);
		fprintf(f, "USBAttachRevision%d=\"0x%04x\"\n", n, e->rev);
		snprintf(key, sizeof(key), "USBAttachManufacturer%d", n);
		hl_info_str(f, key, e->manufacturer);
		snprintf(key, sizeof(key), "USBAttachProduct%d", n);
		hl_info_str(f, key, e->product);
		snprintf(key, sizeof(key), "USBAttachSerialNumber%d", n);
		hl_info_str(f, key, e->serial);
		snprintf(key, sizeof(key), "USBAttachRemote%d", n);
		snprintf(val, sizeof(val), "client %u port %d", e->client_id,
			 e->port);
		hl_info_str(f, key, val);
	}
	pthread_mutex_unlock(&u->lock);
}
