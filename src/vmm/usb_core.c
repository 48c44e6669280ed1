/*
 * usb_core.c - the USB device layer (usb.h): the default pipe's
 * control-transfer stages, the requests the layer answers itself,
 * halted endpoints, and the bookkeeping of packets in flight.
 *
 * A control transfer is SETUP, an optional data stage, and a status
 * stage in the other direction.  An IN request runs at SETUP (it is fully
 * described by the setup packet), so its data is ready, or in flight,
 * when the data stage asks; an OUT request runs at the status stage,
 * once its data is in.  A stage that arrives while the request is in
 * flight is held (USB_RES_ASYNC) and finished by usb_control_complete().
 *
 * SET_ADDRESS never reaches a device: the address belongs to the bus
 * (the guest's numbering), and takes effect after the status stage as
 * the USB specification says.  A remote device keeps its own address.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "state.h"
#include "usb.h"

void
usb_device_init(struct usb_device *d, const struct usb_device_ops *ops,
		enum usb_speed speed, void *priv)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->speed = speed;
	d->priv = priv;
	pthread_mutex_init(&d->lock, NULL);
}

void
usb_device_fini(struct usb_device *d)
{
	pthread_mutex_destroy(&d->lock);
}

uint8_t
usb_device_addr(struct usb_device *d)
{
	uint8_t a;

	pthread_mutex_lock(&d->lock);
	a = d->addr;
	pthread_mutex_unlock(&d->lock);
	return a;
}

static uint16_t
usb_setup_u16(const uint8_t *s, int off)
{
	return (uint16_t)(s[off] | s[off + 1] << 8);
}

/* Finish the held stage packet (device lock held). */
static void
usb_ctl_release(struct usb_device *d, int result, uint32_t actual)
{
	struct usb_packet *p = d->ctl.waiting;

	if (!p)
		return;
	p->result = result;
	p->actual = actual;
	p->in_flight = false;
	p->done = true;
	d->ctl.waiting = NULL;
}

/* Run the request in ctl.setup: the layer's own, else the device's. */
static int
usb_ctl_request(struct usb_device *d)
{
	const uint8_t *s = d->ctl.setup;
	uint16_t value = usb_setup_u16(s, 2), index = usb_setup_u16(s, 4);
	uint16_t wlen = usb_setup_u16(s, 6);
	uint32_t actual = 0;
	int r;

	if (s[0] == 0x00 && s[1] == USB_REQ_SET_ADDRESS) {
		if (value > 127 || wlen)
			return USB_RES_STALL;
		d->ctl.new_addr = (uint8_t)(0x80 | value);
		d->ctl.len = 0;
		return USB_RES_OK;
	}
	if (s[0] == 0x02 && s[1] == USB_REQ_CLEAR_FEATURE && value == 0)
		d->halted[!!(index & 0x80)][index & 15] = false;
	if (s[0] == 0x00 && s[1] == USB_REQ_SET_CONFIGURATION)
		d->config = (uint8_t)value;
	r = d->ops->control(d, s, d->ctl.buf, &actual);
	d->ctl.len = actual < wlen ? actual : wlen;
	return r;
}

/* The request ran (now or in flight): set the next stage. */
static void
usb_ctl_after(struct usb_device *d, int r)
{
	bool in = d->ctl.setup[0] & 0x80;

	if (r == USB_RES_ASYNC) {
		d->ctl.state = USB_CTL_WAIT;
	} else if (r != USB_RES_OK) {
		d->ctl.state = USB_CTL_STALLED;
	} else if (in) {
		d->ctl.state = USB_CTL_DATA_IN;
		d->ctl.pos = 0;
	} else {
		d->ctl.state = USB_CTL_IDLE; /* the status stage is done */
		if (d->ctl.new_addr & 0x80)
			d->addr = d->ctl.new_addr & 0x7f;
		d->ctl.new_addr = 0;
	}
}

static int
usb_ctl_setup(struct usb_device *d, struct usb_packet *p)
{
	uint16_t wlen;

	if (p->len != 8)
		return USB_RES_STALL;
	if (d->ctl.state == USB_CTL_WAIT) { /* a new SETUP ends the old */
		d->ops->cancel(d, NULL);
		usb_ctl_release(d, USB_RES_STALL, 0);
	}
	memcpy(d->ctl.setup, p->data, 8);
	d->ctl.len = d->ctl.pos = 0;
	d->ctl.new_addr = 0;
	wlen = usb_setup_u16(d->ctl.setup, 6);
	p->actual = 8;
	if (wlen > USB_CTL_MAX)
		d->ctl.state = USB_CTL_STALLED;
	else if (d->ctl.setup[0] & 0x80)
		usb_ctl_after(d, usb_ctl_request(d));
	else
		d->ctl.state = wlen ? USB_CTL_DATA_OUT : USB_CTL_STATUS;
	return USB_RES_OK; /* a device always acknowledges SETUP */
}

/* IN data stage: the next piece of what the request returned. */
static int
usb_ctl_data_in(struct usb_device *d, struct usb_packet *p)
{
	uint32_t n = d->ctl.len - d->ctl.pos;

	if (n > p->len)
		n = p->len;
	memcpy(p->data, d->ctl.buf + d->ctl.pos, n);
	d->ctl.pos += n;
	p->actual = n;
	return USB_RES_OK;
}

/* Status IN of an OUT request (or a short OUT data stage): run it. */
static int
usb_ctl_status_in(struct usb_device *d, struct usb_packet *p)
{
	int r;

	if (d->ctl.state == USB_CTL_DATA_OUT) { /* fewer than wLength */
		d->ctl.setup[6] = (uint8_t)d->ctl.pos;
		d->ctl.setup[7] = (uint8_t)(d->ctl.pos >> 8);
	}
	r = usb_ctl_request(d);
	usb_ctl_after(d, r);
	if (r == USB_RES_ASYNC)
		return USB_RES_ASYNC;
	p->actual = 0;
	return r == USB_RES_OK ? USB_RES_OK : USB_RES_STALL;
}

static int
usb_ctl_packet(struct usb_device *d, struct usb_packet *p)
{
	enum usb_ctl_state st = d->ctl.state;
	int r = USB_RES_STALL;

	if (p->pid == USB_PID_SETUP)
		return usb_ctl_setup(d, p);
	if (st == USB_CTL_WAIT) { /* hold the stage until the request ends */
		if (d->ctl.waiting)
			return USB_RES_NAK;
		d->ctl.waiting = p;
		return USB_RES_ASYNC;
	}
	if (p->pid == USB_PID_IN) {
		if (st == USB_CTL_DATA_IN)
			return usb_ctl_data_in(d, p);
		if (st == USB_CTL_STATUS || st == USB_CTL_DATA_OUT)
			r = usb_ctl_status_in(d, p);
		if (r == USB_RES_ASYNC)
			d->ctl.waiting = p;
		return r;
	}
	if (st == USB_CTL_DATA_OUT) {
		uint16_t wlen = usb_setup_u16(d->ctl.setup, 6);

		if (p->len > wlen - d->ctl.pos)
			return USB_RES_BABBLE;
		memcpy(d->ctl.buf + d->ctl.pos, p->data, p->len);
		d->ctl.pos += p->len;
		p->actual = p->len;
		return USB_RES_OK;
	}
	if (st == USB_CTL_DATA_IN) { /* status OUT of an IN request */
		d->ctl.state = USB_CTL_IDLE;
		p->actual = 0;
		return USB_RES_OK;
	}
	return USB_RES_STALL;
}

int
usb_packet_submit(struct usb_device *d, struct usb_packet *p)
{
	bool in = p->pid == USB_PID_IN;
	int r;

	p->actual = 0;
	p->done = false;
	p->dev = d;
	pthread_mutex_lock(&d->lock);
	if (p->ep == 0) {
		r = usb_ctl_packet(d, p);
	} else if (p->ep > 15 || d->halted[in][p->ep] || !d->ops->transfer) {
		r = USB_RES_STALL;
	} else {
		r = d->ops->transfer(d, p);
		if (r == USB_RES_STALL)
			d->halted[in][p->ep] = true;
	}
	p->in_flight = r == USB_RES_ASYNC;
	p->result = r;
	pthread_mutex_unlock(&d->lock);
	return r;
}

int
usb_packet_poll(struct usb_packet *p)
{
	int r;

	if (!p->dev)
		return p->result;
	pthread_mutex_lock(&p->dev->lock);
	r = p->in_flight ? USB_RES_ASYNC : p->result;
	pthread_mutex_unlock(&p->dev->lock);
	return r;
}

void
usb_packet_cancel(struct usb_packet *p)
{
	struct usb_device *d = p->dev;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	if (p->in_flight) {
		if (p == d->ctl.waiting) {
			/* the request itself is abandoned with its stage */
			d->ctl.waiting = NULL;
			if (d->ctl.state == USB_CTL_WAIT)
				d->ops->cancel(d, NULL);
			d->ctl.state = USB_CTL_IDLE;
		} else {
			d->ops->cancel(d, p);
		}
		p->in_flight = false;
		p->result = USB_RES_CANCELLED;
	}
	pthread_mutex_unlock(&d->lock);
}

void
usb_packet_complete(struct usb_device *d, struct usb_packet *p, int result,
		    uint32_t actual)
{
	pthread_mutex_lock(&d->lock);
	usb_packet_complete_locked(d, p, result, actual);
	pthread_mutex_unlock(&d->lock);
}

void
usb_packet_complete_locked(struct usb_device *d, struct usb_packet *p,
			   int result, uint32_t actual)
{
	if (p->in_flight && p != d->ctl.waiting) {
		p->result = result;
		p->actual = actual < p->len ? actual : p->len;
		if (result == USB_RES_STALL && p->ep < 16)
			d->halted[p->pid == USB_PID_IN][p->ep] = true;
		p->in_flight = false;
		p->done = true;
	}
}

void
usb_control_complete(struct usb_device *d, int result, const void *data,
		     uint32_t actual)
{
	pthread_mutex_lock(&d->lock);
	usb_control_complete_locked(d, result, data, actual);
	pthread_mutex_unlock(&d->lock);
}

void
usb_control_complete_locked(struct usb_device *d, int result, const void *data,
			    uint32_t actual)
{
	struct usb_packet *p;
	uint16_t wlen;

	if (d->ctl.state != USB_CTL_WAIT)
		return; /* cancelled meanwhile */
	wlen = usb_setup_u16(d->ctl.setup, 6);
	if (result == USB_RES_OK && (d->ctl.setup[0] & 0x80)) {
		d->ctl.len = actual < wlen ? actual : wlen;
		if (data)
			memcpy(d->ctl.buf, data, d->ctl.len);
	}
	usb_ctl_after(d, result == USB_RES_OK ? USB_RES_OK : USB_RES_STALL);
	p = d->ctl.waiting;
	if (!p)
		return;
	if (d->ctl.state == USB_CTL_STALLED) {
		usb_ctl_release(d, USB_RES_STALL, 0);
	} else if (p->pid == USB_PID_IN && d->ctl.state == USB_CTL_DATA_IN) {
		int r = usb_ctl_data_in(d, p); /* sets p->actual */

		usb_ctl_release(d, r, p->actual);
	} else {
		usb_ctl_release(d, USB_RES_OK, 0); /* a status stage */
	}
	if (p->pid == USB_PID_OUT && d->ctl.state == USB_CTL_DATA_IN)
		d->ctl.state = USB_CTL_IDLE; /* that OUT was the status */
}

void
usb_device_reset(struct usb_device *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->ctl.state == USB_CTL_WAIT)
		d->ops->cancel(d, NULL);
	usb_ctl_release(d, USB_RES_CANCELLED, 0);
	memset(&d->ctl.setup, 0, sizeof(d->ctl.setup));
	d->ctl.state = USB_CTL_IDLE;
	d->ctl.len = d->ctl.pos = 0;
	d->ctl.new_addr = 0;
	d->addr = 0;
	d->config = 0;
	memset(d->halted, 0, sizeof(d->halted));
	if (d->ops->reset)
		d->ops->reset(d);
	pthread_mutex_unlock(&d->lock);
}

/* ---- saved state ----------------------------------------------------------
 */

void
usb_device_save(struct usb_device *d, struct vmm_sw *w)
{
	uint32_t halted[2] = {0, 0};
	enum usb_ctl_state st;

	pthread_mutex_lock(&d->lock);
	for (int in = 0; in < 2; in++)
		for (int ep = 0; ep < 16; ep++)
			halted[in] |= (uint32_t)d->halted[in][ep] << ep;
	/* a request in flight is not kept: the stage is retried */
	st = d->ctl.state == USB_CTL_WAIT ? USB_CTL_IDLE : d->ctl.state;
	vmm_sw_u8(w, d->addr);
	vmm_sw_u8(w, d->config);
	vmm_sw_u32(w, halted[0]);
	vmm_sw_u32(w, halted[1]);
	vmm_sw_u8(w, (uint8_t)st);
	vmm_sw_bytes(w, d->ctl.setup, 8);
	vmm_sw_u32(w, d->ctl.len);
	vmm_sw_u32(w, d->ctl.pos);
	vmm_sw_u8(w, d->ctl.new_addr);
	vmm_sw_bytes(w, d->ctl.buf, d->ctl.len);
	pthread_mutex_unlock(&d->lock);
}

int
usb_device_load(struct usb_device *d, struct vmm_sr *r, char *err,
		size_t errlen)
{
	uint8_t addr = vmm_sr_u8(r), config = vmm_sr_u8(r);
	uint32_t halted[2], len, pos;
	uint8_t st, setup[8], new_addr;

	halted[0] = vmm_sr_u32(r);
	halted[1] = vmm_sr_u32(r);
	st = vmm_sr_u8(r);
	vmm_sr_bytes(r, setup, 8);
	len = vmm_sr_u32(r);
	pos = vmm_sr_u32(r);
	new_addr = vmm_sr_u8(r);
	if (addr > 127 || st > USB_CTL_STALLED || st == USB_CTL_WAIT ||
	    len > USB_CTL_MAX || pos > len ||
	    (new_addr && !(new_addr & 0x80))) {
		snprintf(err, errlen,
			 "USB device: address %u, control stage %u, %u of %u "
			 "bytes: not a state it can be in",
			 addr, st, pos, len);
		return -EPROTO;
	}
	pthread_mutex_lock(&d->lock);
	d->addr = addr;
	d->config = config;
	for (int in = 0; in < 2; in++)
		for (int ep = 0; ep < 16; ep++)
			d->halted[in][ep] = (halted[in] >> ep) & 1;
	d->ctl.state = (enum usb_ctl_state)st;
	memcpy(d->ctl.setup, setup, 8);
	d->ctl.len = len;
	d->ctl.pos = pos;
	d->ctl.new_addr = new_addr;
	d->ctl.waiting = NULL;
	vmm_sr_bytes(r, d->ctl.buf, len);
	pthread_mutex_unlock(&d->lock);
	return r->err;
}
