/*
 * usb_tablet.c - the emulated USB tablet: a full-speed HID device with
 * one interrupt IN endpoint reporting an absolute pointer, so the
 * guest's pointer sits exactly where the viewer's is (no acceleration,
 * no drift, as with a relative PS/2 mouse).
 *
 * The report is the layout QEMU's and VirtualBox's tablets use (see
 * reference/usb-facts.md §4), 6 bytes: buttons (3 bits, 5 pad), X and Y
 * as little-endian 16-bit values 0..0x7fff, wheel (signed 8 bits); its
 * report descriptor is in usb_tablet_hid.h.  Linux binds it with
 * usbhid/hid-generic.  The IDs are QEMU's tablet's (0627:0001),
 * which guests already know; the strings say vireo.
 *
 * Reports are queued so a click between two polls is not lost; the
 * queue merges motion when it fills.  With nothing new the endpoint
 * NAKs (the HID idle rate is 0: report on change only).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "usb.h"
#include "usb_tablet_hid.h"

#define TAB_REPORT_LEN 6
#define TAB_QUEUE      32

struct tablet {
	struct usb_device dev;
	uint8_t q[TAB_QUEUE][TAB_REPORT_LEN];
	uint32_t q_head, q_count;
	uint8_t last[TAB_REPORT_LEN]; /* the state GET_REPORT answers */
	uint8_t idle, protocol;
};

static const uint8_t tab_device_desc[18] = {
    18,	  USB_DT_DEVICE,
    0x10, 0x01, /* bcdUSB 1.10 */
    0,	  0,
    0,	  8,	/* class per interface; bMaxPacketSize0 8 */
    0x27, 0x06, /* idVendor 0627 */
    0x01, 0x00, /* idProduct 0001 */
    0x00, 0x01, /* bcdDevice 1.00 */
    1,	  2,
    3,	  1, /* strings; one configuration */
};

#define TAB_CONFIG_LEN (9 + 9 + 9 + 7)
static const uint8_t tab_config_desc[TAB_CONFIG_LEN] = {
    /* configuration 1: one interface, bus powered, remote wakeup, 100 mA */
    9, USB_DT_CONFIG, TAB_CONFIG_LEN, 0, 1, 1, 0, 0xa0, 50,
    /* interface 0: HID, no boot subclass */
    9, 4, 0, 0, 1, 3, 0, 0, 0,
    /* HID 1.11, one report descriptor */
    9, 0x21, 0x11, 0x01, 0, 1, 0x22, sizeof(usb_tablet_report_desc), 0,
    /* endpoint 0x81: interrupt IN, 8 bytes, every 10 ms */
    7, 5, 0x81, 3, 8, 0, 10};

static const char *const tab_strings[] = {NULL, "vireo", "vireo USB Tablet",
					  "1"};

/* String descriptor @i (0: the language list, US English) into @out. */
static uint32_t
tab_string(uint8_t i, uint8_t *out)
{
	const char *s;
	uint32_t n = 2;

	if (i == 0) {
		static const uint8_t langs[] = {4, USB_DT_STRING, 0x09, 0x04};

		memcpy(out, langs, sizeof(langs));
		return sizeof(langs);
	}
	if (i >= sizeof(tab_strings) / sizeof(tab_strings[0]))
		return 0;
	for (s = tab_strings[i]; *s && n < 254; s++) { /* ASCII as UTF-16LE */
		out[n++] = (uint8_t)*s;
		out[n++] = 0;
	}
	out[0] = (uint8_t)n;
	out[1] = USB_DT_STRING;
	return n;
}

static int
tab_get_descriptor(uint16_t value, uint8_t *data, uint32_t *actual)
{
	const void *src = NULL;
	uint32_t n = 0;

	switch (value >> 8) {
	case USB_DT_DEVICE:
		src = tab_device_desc, n = sizeof(tab_device_desc);
		break;
	case USB_DT_CONFIG:
		src = tab_config_desc, n = sizeof(tab_config_desc);
		break;
	case USB_DT_STRING:
		n = tab_string((uint8_t)value, data);
		if (!n)
			return USB_RES_STALL;
		*actual = n;
		return USB_RES_OK;
	case 0x21: /* HID */
		src = tab_config_desc + 18, n = 9;
		break;
	case 0x22: /* report */
		src = usb_tablet_report_desc,
		n = sizeof(usb_tablet_report_desc);
		break;
	default:
		return USB_RES_STALL;
	}
	memcpy(data, src, n);
	*actual = n;
	return USB_RES_OK;
}

/* Standard and HID class requests; @data holds wLength bytes of room. */
static int
tab_control(struct usb_device *d, const uint8_t setup[8], uint8_t *data,
	    uint32_t *actual)
{
	struct tablet *t = d->priv;
	uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
	uint16_t req = (uint16_t)(setup[0] << 8 | setup[1]);

	*actual = 0;
	switch (req) {
	case 0x8000 | USB_REQ_GET_STATUS:
	case 0x8100 | USB_REQ_GET_STATUS:
	case 0x8200 | USB_REQ_GET_STATUS:
		data[0] = data[1] = 0;
		*actual = 2;
		return USB_RES_OK;
	case 0x8000 | USB_REQ_GET_DESCRIPTOR:
	case 0x8100 | USB_REQ_GET_DESCRIPTOR: /* HID and report: interface */
		return tab_get_descriptor(value, data, actual);
	case 0x8000 | USB_REQ_GET_CONFIGURATION:
		data[0] = d->config;
		*actual = 1;
		return USB_RES_OK;
	case USB_REQ_SET_CONFIGURATION:
		return value <= 1 ? USB_RES_OK : USB_RES_STALL;
	case 0x8100 | USB_REQ_GET_INTERFACE:
		data[0] = 0;
		*actual = 1;
		return USB_RES_OK;
	case 0x0100 | USB_REQ_SET_INTERFACE:
		return value == 0 ? USB_RES_OK : USB_RES_STALL;
	case USB_REQ_CLEAR_FEATURE: /* remote wakeup */
	case USB_REQ_SET_FEATURE:
	case 0x0200 | USB_REQ_CLEAR_FEATURE: /* endpoint halt: the layer */
		return USB_RES_OK;
	case 0xa101: /* GET_REPORT */
		memcpy(data, t->last, TAB_REPORT_LEN);
		*actual = TAB_REPORT_LEN;
		return USB_RES_OK;
	case 0xa102: /* GET_IDLE */
		data[0] = t->idle;
		*actual = 1;
		return USB_RES_OK;
	case 0xa103: /* GET_PROTOCOL */
		data[0] = t->protocol;
		*actual = 1;
		return USB_RES_OK;
	case 0x210a: /* SET_IDLE */
		t->idle = (uint8_t)(value >> 8);
		return USB_RES_OK;
	case 0x210b: /* SET_PROTOCOL */
		t->protocol = (uint8_t)value;
		return USB_RES_OK;
	}
	return USB_RES_STALL;
}

static int
tab_transfer(struct usb_device *d, struct usb_packet *p)
{
	struct tablet *t = d->priv;
	uint32_t n = TAB_REPORT_LEN;

	if (p->ep != 1 || p->pid != USB_PID_IN || !d->config)
		return USB_RES_STALL;
	if (!t->q_count)
		return USB_RES_NAK;
	if (n > p->len)
		n = p->len;
	memcpy(p->data, t->q[t->q_head], n);
	t->q_head = (t->q_head + 1) % TAB_QUEUE;
	t->q_count--;
	p->actual = n;
	return USB_RES_OK;
}

static void
tab_cancel(struct usb_device *d, struct usb_packet *p)
{
	(void)d; /* nothing is ever in flight */
	(void)p;
}

static void
tab_reset(struct usb_device *d)
{
	struct tablet *t = d->priv;

	t->q_head = t->q_count = 0;
	t->idle = 0;
	t->protocol = 1; /* report protocol */
}

static void
tab_destroy(struct usb_device *d)
{
	usb_device_fini(d);
	free(d->priv);
}

static const struct usb_device_ops tab_ops = {
    .name = "usb-tablet",
    .control = tab_control,
    .transfer = tab_transfer,
    .cancel = tab_cancel,
    .reset = tab_reset,
    .destroy = tab_destroy,
};

struct usb_device *
usb_tablet_create(void)
{
	struct tablet *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	usb_device_init(&t->dev, &tab_ops, USB_SPEED_FULL, t);
	t->protocol = 1;
	return &t->dev;
}

void
usb_tablet_event(struct usb_device *d, uint32_t x, uint32_t y, uint32_t buttons,
		 int32_t wheel)
{
	struct tablet *t = d->priv;
	uint8_t r[TAB_REPORT_LEN];
	uint32_t tail;

	x = x > 0x7fff ? 0x7fff : x;
	y = y > 0x7fff ? 0x7fff : y;
	wheel = wheel > 127 ? 127 : wheel < -127 ? -127 : wheel;
	r[0] = (uint8_t)(buttons & 7);
	r[1] = (uint8_t)x;
	r[2] = (uint8_t)(x >> 8);
	r[3] = (uint8_t)y;
	r[4] = (uint8_t)(y >> 8);
	r[5] = (uint8_t)(int8_t)wheel;
	pthread_mutex_lock(&d->lock);
	memcpy(t->last, r, sizeof(r));
	if (t->q_count == TAB_QUEUE) {
		/* full: the newest queued state is replaced (motion merges;
		 * its button edge is kept by the one before) */
		tail = (t->q_head + t->q_count - 1) % TAB_QUEUE;
		memcpy(t->q[tail], r, sizeof(r));
	} else {
		tail = (t->q_head + t->q_count++) % TAB_QUEUE;
		memcpy(t->q[tail], r, sizeof(r));
	}
	pthread_mutex_unlock(&d->lock);
}

/* Saved state: the layer's part, then the queue in order, the last
 * report, idle rate and protocol. */
void
usb_tablet_save(struct usb_device *d, struct vmm_sw *w)
{
	struct tablet *t = d->priv;

	usb_device_save(d, w);
	pthread_mutex_lock(&d->lock);
	vmm_sw_u32(w, t->q_count);
	for (uint32_t i = 0; i < t->q_count; i++)
		vmm_sw_bytes(w, t->q[(t->q_head + i) % TAB_QUEUE],
			     TAB_REPORT_LEN);
	vmm_sw_bytes(w, t->last, TAB_REPORT_LEN);
	vmm_sw_u8(w, t->idle);
	vmm_sw_u8(w, t->protocol);
	pthread_mutex_unlock(&d->lock);
}

int
usb_tablet_load(struct usb_device *d, struct vmm_sr *r, char *err,
		size_t errlen)
{
	struct tablet *t = d->priv;
	uint32_t n;
	int rc = usb_device_load(d, r, err, errlen);

	if (rc)
		return rc;
	n = vmm_sr_u32(r);
	if (n > TAB_QUEUE) {
		snprintf(err, errlen,
			 "USB tablet: %u queued reports (at most "
			 "%d)",
			 n, TAB_QUEUE);
		return -EPROTO;
	}
	pthread_mutex_lock(&d->lock);
	t->q_head = 0;
	t->q_count = n;
	for (uint32_t i = 0; i < n; i++)
		vmm_sr_bytes(r, t->q[i], TAB_REPORT_LEN);
	vmm_sr_bytes(r, t->last, TAB_REPORT_LEN);
	t->idle = vmm_sr_u8(r);
	t->protocol = vmm_sr_u8(r);
	pthread_mutex_unlock(&d->lock);
	return r->err;
}
