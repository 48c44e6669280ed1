/*
 * usb_remote.c - the proxy of a USB device that lives elsewhere (a
 * remote-display client's, vireo-usb(7)): a struct usb_device whose
 * requests and transfers become URBs for the front end's ops
 * (vmm.h) and finish when the front end reports their end.
 *
 * Every request returns USB_RES_ASYNC.  The URBs in flight are kept in a
 * small table under the device lock, keyed by handle; a completion looks
 * its URB up and finishes the packet under that same lock, so it can
 * never land on a packet the controller cancelled (and may have reused
 * for another TD) in between.  A cancel takes the URB out of the table
 * before telling the front end, so a completion racing with it is
 * dropped.
 *
 * The proxy does not know the device's endpoint types until the guest
 * reads a configuration descriptor; it reads the endpoint descriptors in
 * every one that passes through (an endpoint never described is bulk).
 */
#define LOG_TAG "usb-remote"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "usb.h"
#include "vmm_internal.h"

/* The controller has at most 16 transfers and one control request in
 * flight per device; room for both with margin. */
#define REMOTE_URBS 32

struct remote_urb {
	bool used;
	bool control;
	uint64_t handle;
	struct usb_packet *p; /* transfers: the controller's packet */
};

struct vmm_usb_remote {
	struct usb_device dev; /* first: the layer hands us &dev */
	struct vmm *vm;
	const struct vmm_usb_remote_ops *ops;
	void *ctx;
	int port; /* 0-based, -1: not on a port */
	uint64_t next_handle;
	uint8_t ep_type[2][16]; /* [IN][number]: bmAttributes & 3 */
	struct remote_urb urb[REMOTE_URBS];
};

static struct vmm_usb_remote *
remote_of(struct usb_device *d)
{
	return d->priv;
}

static struct remote_urb *
remote_slot(struct vmm_usb_remote *r)
{
	for (int i = 0; i < REMOTE_URBS; i++)
		if (!r->urb[i].used)
			return &r->urb[i];
	return NULL;
}

static struct remote_urb *
remote_find(struct vmm_usb_remote *r, uint64_t handle)
{
	for (int i = 0; i < REMOTE_URBS; i++)
		if (r->urb[i].used && r->urb[i].handle == handle)
			return &r->urb[i];
	return NULL;
}

/* Hand @u (filled but for the handle) to the front end.  @return the
 * front end's answer; the slot stays used only on success. */
static int
remote_submit(struct vmm_usb_remote *r, struct remote_urb *slot,
	      struct vmm_usb_urb *u)
{
	int rc;

	u->handle = ++r->next_handle;
	if (!u->handle)
		u->handle = ++r->next_handle;
	slot->used = true;
	slot->handle = u->handle;
	rc = r->ops->submit(r->ctx, u);
	if (rc < 0)
		slot->used = false;
	log_debug("URB %llu: type %u endpoint 0x%02x, %u bytes: %d",
		  (unsigned long long)u->handle, u->type, u->endpoint,
		  u->length, rc);
	return rc;
}

static int
remote_control(struct usb_device *d, const uint8_t setup[8], uint8_t *data,
	       uint32_t *actual)
{
	struct vmm_usb_remote *r = remote_of(d);
	struct remote_urb *slot = remote_slot(r);
	struct vmm_usb_urb u = {.type = VMM_USB_XFER_CONTROL,
				.endpoint = (uint8_t)(setup[0] & 0x80),
				.short_ok = 1};
	int rc;

	*actual = 0;
	if (!slot)
		return USB_RES_STALL;
	memcpy(u.setup, setup, 8);
	u.length = (uint32_t)(setup[6] | setup[7] << 8);
	u.data = (setup[0] & 0x80) ? NULL : data;
	slot->control = true;
	slot->p = NULL;
	rc = remote_submit(r, slot, &u);
	if (rc < 0) {
		log_debug("control request %02x/%02x refused by the remote "
			  "side: %d",
			  setup[0], setup[1], rc);
		return USB_RES_STALL;
	}
	return USB_RES_ASYNC;
}

static int
remote_transfer(struct usb_device *d, struct usb_packet *p)
{
	struct vmm_usb_remote *r = remote_of(d);
	bool in = p->pid == USB_PID_IN;
	struct remote_urb *slot = remote_slot(r);
	struct vmm_usb_urb u = {.short_ok = 1};
	uint8_t t = r->ep_type[in][p->ep & 15];
	int rc;

	if (!slot)
		return USB_RES_NAK;
	if (t == 1) /* isochronous: not supported (the controller skips) */
		return USB_RES_STALL;
	u.type = t == 3 ? VMM_USB_XFER_INTERRUPT : VMM_USB_XFER_BULK;
	u.endpoint = (uint8_t)((p->ep & 15) | (in ? 0x80 : 0));
	u.length = p->len;
	u.data = in ? NULL : p->data;
	slot->control = false;
	slot->p = p;
	rc = remote_submit(r, slot, &u);
	if (rc == 0)
		return USB_RES_ASYNC;
	if (rc == -EBUSY)
		return USB_RES_NAK;
	return rc == -ENODEV ? USB_RES_NODEV : USB_RES_STALL;
}

/* Forget @slot and tell the front end (device lock held). */
static void
remote_drop(struct vmm_usb_remote *r, struct remote_urb *slot)
{
	uint64_t h = slot->handle;

	slot->used = false;
	slot->p = NULL;
	r->ops->cancel(r->ctx, h);
}

static void
remote_cancel(struct usb_device *d, struct usb_packet *p)
{
	struct vmm_usb_remote *r = remote_of(d);

	for (int i = 0; i < REMOTE_URBS; i++) {
		struct remote_urb *s = &r->urb[i];

		if (s->used && (p ? s->p == p : s->control))
			remote_drop(r, s);
	}
}

static void
remote_reset(struct usb_device *d)
{
	struct vmm_usb_remote *r = remote_of(d);

	for (int i = 0; i < REMOTE_URBS; i++)
		if (r->urb[i].used)
			remote_drop(r, &r->urb[i]);
	memset(r->ep_type, 0, sizeof(r->ep_type));
	r->ops->reset(r->ctx);
}

/* The VM is destroyed with the proxy still attached (the front end
 * should have freed it first): nothing more reaches the front end. */
static void
remote_destroy(struct usb_device *d)
{
	struct vmm_usb_remote *r = remote_of(d);

	usb_device_fini(d);
	free(r);
}

static const struct usb_device_ops remote_ops = {
    .name = "remote",
    .control = remote_control,
    .transfer = remote_transfer,
    .cancel = remote_cancel,
    .reset = remote_reset,
    .destroy = remote_destroy,
};

/* Endpoint types from a configuration descriptor the guest read. */
static void
remote_snoop_config(struct vmm_usb_remote *r, const uint8_t *c, uint32_t n)
{
	for (uint32_t i = 0; i + 2 <= n && c[i] >= 2 && i + c[i] <= n;
	     i += c[i]) {
		if (c[i + 1] == 5 && c[i] >= 7) /* ENDPOINT */
			r->ep_type[!!(c[i + 2] & 0x80)][c[i + 2] & 15] =
			    c[i + 3] & 3;
	}
}

static int
remote_result(int status)
{
	switch (status) {
	case VMM_USB_OK:
	case VMM_USB_SHORT: /* short_ok is always set: not an error */
		return USB_RES_OK;
	case VMM_USB_STALL:
		return USB_RES_STALL;
	case VMM_USB_NODEV:
		return USB_RES_NODEV;
	case VMM_USB_BABBLE:
		return USB_RES_BABBLE;
	default:
		return USB_RES_IOERR;
	}
}

void
vmm_usb_remote_complete(struct vmm_usb_remote *r, uint64_t handle, int status,
			const uint8_t *data, uint32_t actual)
{
	struct usb_device *d = &r->dev;
	struct remote_urb *slot;
	int res = remote_result(status);

	pthread_mutex_lock(&d->lock);
	slot = remote_find(r, handle);
	log_debug("URB %llu: status %d, %u bytes%s", (unsigned long long)handle,
		  status, actual, slot ? "" : " (cancelled: ignored)");
	if (!slot)
		goto out; /* cancelled, or not ours */
	slot->used = false;
	if (slot->control) {
		const uint8_t *s = d->ctl.setup;

		if (!data)
			actual = 0;
		if (res == USB_RES_OK && s[0] == 0x80 &&
		    s[1] == USB_REQ_GET_DESCRIPTOR && s[3] == USB_DT_CONFIG)
			remote_snoop_config(r, data, actual);
		usb_control_complete_locked(
		    d, res == USB_RES_OK ? USB_RES_OK : USB_RES_STALL, data,
		    actual);
	} else {
		struct usb_packet *p = slot->p;

		if (actual > p->len)
			actual = p->len;
		if (p->pid == USB_PID_IN && !data)
			actual = 0;
		if (p->pid == USB_PID_IN && actual)
			memcpy(p->data, data, actual);
		usb_packet_complete_locked(d, p, res, actual);
	}
	slot->p = NULL;
out:
	pthread_mutex_unlock(&d->lock);
}

int
vmm_usb_remote_ports(const struct vmm *vm)
{
	if (!vm->cfg.usb_ohci)
		return 0;
	return VIREO_OHCI_PORTS - (vm->cfg.usb_tablet ? 1 : 0);
}

struct vmm_usb_remote *
vmm_usb_remote_new(struct vmm *vm, const struct vmm_usb_remote_ops *ops,
		   void *ctx, bool low_speed)
{
	struct vmm_usb_remote *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	usb_device_init(&r->dev, &remote_ops,
			low_speed ? USB_SPEED_LOW : USB_SPEED_FULL, r);
	r->vm = vm;
	r->ops = ops;
	r->ctx = ctx;
	r->port = -1;
	return r;
}

int
vmm_usb_remote_attach(struct vmm_usb_remote *r)
{
	int port;

	if (r->port >= 0)
		return -EBUSY;
	port = vmm_ohci_attach(r->vm, &r->dev);
	if (port < 0)
		return port;
	r->port = port;
	return port + 1;
}

void
vmm_usb_remote_free(struct vmm_usb_remote *r)
{
	if (!r)
		return;
	if (r->port >= 0 && vmm_ohci_detach(r->vm, r->port) != &r->dev)
		log_warn("remote USB device on port %d was not there at "
			 "detach",
			 r->port + 1);
	/* what the controller did not cancel (a control request whose
	 * stage the guest had not yet asked for) */
	pthread_mutex_lock(&r->dev.lock);
	for (int i = 0; i < REMOTE_URBS; i++)
		if (r->urb[i].used)
			remote_drop(r, &r->urb[i]);
	pthread_mutex_unlock(&r->dev.lock);
	usb_device_fini(&r->dev);
	free(r);
}
