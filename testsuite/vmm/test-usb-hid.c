/*
 * test-usb-hid.c - the emulated USB tablet's HID report descriptor, read
 * the way a guest reads it and checked against the layout the tablet
 * promises (reference/usb-facts.md §4: a 6-byte report of buttons, pad,
 * X and Y as 16-bit values 0..0x7fff, wheel as a signed byte).
 *
 * The descriptor comes through the USB device layer (usb_core.c):
 * GET_DESCRIPTOR(configuration) for the HID descriptor and its
 * wDescriptorLength, GET_DESCRIPTOR(HID) and GET_DESCRIPTOR(report) on
 * the interface, in 8-byte pieces as over a full-speed default pipe.  A
 * small HID 1.11 item parser (§6.2.2) turns it into the report's fields
 * (bit offset, size, count, usages, logical range, flags); each field is
 * compared with the expected one written out here from the facts, not
 * copied from usb_tablet_hid.h.  Then reports the tablet produces for
 * known pointer states are decoded with the parsed offsets, so a
 * descriptor and a report builder that disagree fail.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmm/usb.h"

#define HID_FIELDS_MAX 16
#define HID_USAGES_MAX 8

/* HID 1.11 §6.2.2.4 Main item flags, and the usage pages used here
 * (HID Usage Tables §4, §12). */
#define HID_CONSTANT	0x01
#define HID_VARIABLE	0x02
#define HID_RELATIVE	0x04
#define HID_PAGE_GD	0x01
#define HID_PAGE_BUTTON 0x09
#define HID_GD_POINTER	0x01
#define HID_GD_MOUSE	0x02
#define HID_GD_X	0x30
#define HID_GD_Y	0x31
#define HID_GD_WHEEL	0x38

/* One Input item: @count fields of @size bits from bit @offset. */
struct hid_field {
	uint32_t offset, size, count, flags;
	uint32_t page;
	uint32_t usage[HID_USAGES_MAX]; /* explicit usages, in order */
	uint32_t nusage;
	uint32_t usage_min, usage_max; /* a usage range (0, 0: none) */
	int32_t logical_min, logical_max;
	int32_t physical_min, physical_max;
};

struct hid_desc {
	struct hid_field field[HID_FIELDS_MAX];
	uint32_t nfield;
	uint32_t bits; /* the input report's length */
	/* the outermost collection: its type and usage */
	uint32_t app_type, app_page, app_usage;
	uint32_t collections, depth_max;
	const char *err;
};

/* ---- reading through the device layer --------------------------------- */

static int
hid_xfer(struct usb_device *d, uint8_t pid, uint8_t ep, uint8_t *buf,
	 uint32_t len, uint32_t *actual)
{
	struct usb_packet p = {.pid = pid, .ep = ep, .data = buf, .len = len};
	int r = usb_packet_submit(d, &p);

	if (actual)
		*actual = p.actual;
	return r;
}

/* A control read: SETUP, IN data in 8-byte pieces until a short one,
 * status OUT.  @return the bytes read, or -1 when a stage failed. */
static int
hid_control_in(struct usb_device *d, uint8_t type, uint8_t req, uint16_t value,
	       uint16_t index, uint16_t len, uint8_t *out)
{
	uint8_t s[8] = {type,		req,	    (uint8_t)value, value >> 8,
			(uint8_t)index, index >> 8, (uint8_t)len,   len >> 8};
	uint32_t got = 0, n = 8;

	if (hid_xfer(d, USB_PID_SETUP, 0, s, 8, NULL) != USB_RES_OK)
		return -1;
	while (got < len && n == 8) {
		if (hid_xfer(d, USB_PID_IN, 0, out + got, 8, &n) != USB_RES_OK)
			return -1;
		got += n;
	}
	if (hid_xfer(d, USB_PID_OUT, 0, s, 0, NULL) != USB_RES_OK)
		return -1;
	return (int)got;
}

static int
hid_control_out(struct usb_device *d, uint8_t type, uint8_t req, uint16_t value,
		uint16_t index)
{
	uint8_t s[8] = {
	    type, req, (uint8_t)value, value >> 8, (uint8_t)index, index >> 8,
	    0,	  0};

	if (hid_xfer(d, USB_PID_SETUP, 0, s, 8, NULL) != USB_RES_OK)
		return -1;
	return hid_xfer(d, USB_PID_IN, 0, s, 0, NULL) == USB_RES_OK ? 0 : -1;
}

/* ---- the HID item parser ------------------------------------------------ */

/* The item data @v of @n bytes, sign-extended (logical and physical
 * extents are signed, HID 1.11 §6.2.2.7). */
static int32_t
hid_signed(uint32_t v, uint32_t n)
{
	if (n == 1)
		return (int8_t)v;
	if (n == 2)
		return (int16_t)v;
	return (int32_t)v;
}

struct hid_state {
	/* global items */
	uint32_t page, size, count;
	int32_t lmin, lmax, pmin, pmax;
	/* local items, cleared after each Main item */
	uint32_t usage[HID_USAGES_MAX], nusage, umin, umax;
	uint32_t depth;
};

static void
hid_input(struct hid_desc *h, struct hid_state *s, uint32_t flags)
{
	struct hid_field *f;

	if (h->nfield == HID_FIELDS_MAX) {
		h->err = "too many fields";
		return;
	}
	f = &h->field[h->nfield++];
	f->offset = h->bits;
	f->size = s->size;
	f->count = s->count;
	f->flags = flags;
	f->page = s->page;
	memcpy(f->usage, s->usage, sizeof(f->usage));
	f->nusage = s->nusage;
	f->usage_min = s->umin;
	f->usage_max = s->umax;
	f->logical_min = s->lmin;
	f->logical_max = s->lmax;
	f->physical_min = s->pmin;
	f->physical_max = s->pmax;
	h->bits += s->size * s->count;
}

/* One short item: @tag (bTag << 4 | bType << 2) with data @v (@n bytes). */
static void
hid_item(struct hid_desc *h, struct hid_state *s, uint8_t tag, uint32_t v,
	 uint32_t n)
{
	switch (tag) {
	case 0x80: /* Input */
		hid_input(h, s, v);
		break;
	case 0xa0: /* Collection */
		if (s->depth == 0) {
			h->app_type = v;
			h->app_page = s->page;
			h->app_usage = s->nusage ? s->usage[0] : 0;
		}
		h->collections++;
		if (++s->depth > h->depth_max)
			h->depth_max = s->depth;
		break;
	case 0xc0: /* End Collection */
		if (s->depth == 0)
			h->err = "End Collection without a Collection";
		else
			s->depth--;
		break;
	case 0x90: /* Output */
	case 0xb0: /* Feature */
		h->err = "an Output or Feature item (a tablet has none)";
		break;
	case 0x04:
		s->page = v;
		return;
	case 0x14:
		s->lmin = hid_signed(v, n);
		return;
	case 0x24:
		s->lmax = hid_signed(v, n);
		return;
	case 0x34:
		s->pmin = hid_signed(v, n);
		return;
	case 0x44:
		s->pmax = hid_signed(v, n);
		return;
	case 0x74:
		s->size = v;
		return;
	case 0x94:
		s->count = v;
		return;
	case 0x08:
		if (s->nusage < HID_USAGES_MAX)
			s->usage[s->nusage++] = v;
		return;
	case 0x18:
		s->umin = v;
		return;
	case 0x28:
		s->umax = v;
		return;
	default:
		h->err = "an item this tablet should not need";
		return;
	}
	/* a Main item ends the local items */
	memset(s->usage, 0, sizeof(s->usage));
	s->nusage = s->umin = s->umax = 0;
}

static void
hid_parse(const uint8_t *p, size_t n, struct hid_desc *h)
{
	struct hid_state s = {0};
	static const uint32_t len[4] = {0, 1, 2, 4};

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < n && !h->err;) {
		uint8_t b = p[i];
		uint32_t dn = len[b & 3], v = 0;

		if (b == 0xfe) {
			h->err = "a long item";
			break;
		}
		if (i + 1 + dn > n) {
			h->err = "an item cut short at the end";
			break;
		}
		for (uint32_t k = 0; k < dn; k++)
			v |= (uint32_t)p[i + 1 + k] << (8 * k);
		hid_item(h, &s, b & 0xfc, v, dn);
		i += 1 + dn;
	}
	if (!h->err && s.depth)
		h->err = "a Collection not ended";
}

/* The unsigned value of @size bits at bit @offset of @r (LSB first). */
static uint32_t
hid_bits(const uint8_t *r, uint32_t offset, uint32_t size)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < size; i++)
		if (r[(offset + i) / 8] >> ((offset + i) % 8) & 1)
			v |= 1u << i;
	return v;
}

static int32_t
hid_bits_signed(const uint8_t *r, uint32_t offset, uint32_t size)
{
	uint32_t v = hid_bits(r, offset, size);

	if (size < 32 && (v >> (size - 1) & 1))
		v |= ~0u << size;
	return (int32_t)v;
}

/* ---- the checks ---------------------------------------------------------- */

static struct usb_device *tab;
static uint8_t report_desc[512];
static int report_len;
static struct hid_desc hd;

/* The HID descriptor inside the configuration, and the report
 * descriptor it announces. */
static void
test_descriptors(void)
{
	uint8_t cfg[255], hid[64];
	int n, i, hid_at = -1;
	uint16_t announced = 0;

	n = hid_control_in(tab, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 255,
			   cfg);
	tap_ok(n >= 9 && cfg[1] == USB_DT_CONFIG && n == (cfg[2] | cfg[3] << 8),
	       "configuration descriptor read whole (%d bytes)", n);
	for (i = 0; n > 0 && i + 2 <= n && cfg[i] >= 2; i += cfg[i]) {
		if (cfg[i + 1] == 4)
			tap_ok(cfg[i + 5] == 3 && cfg[i + 4] == 1,
			       "interface %u: class HID (3), one endpoint",
			       cfg[i + 2]);
		if (cfg[i + 1] == 0x21 && hid_at < 0)
			hid_at = i;
	}
	tap_ok(hid_at >= 0 && cfg[hid_at] == 9 && cfg[hid_at + 5] == 1 &&
		   cfg[hid_at + 6] == 0x22,
	       "a HID descriptor follows: one class descriptor, of type report "
	       "(0x22)");
	if (hid_at < 0)
		return;
	announced = (uint16_t)(cfg[hid_at + 7] | cfg[hid_at + 8] << 8);
	n = hid_control_in(tab, 0x81, USB_REQ_GET_DESCRIPTOR, 0x2100, 0, 9,
			   hid);
	tap_ok(n == 9 && !memcmp(hid, cfg + hid_at, 9),
	       "GET_DESCRIPTOR(HID) on the interface: the same 9 bytes");
	/* the guest asks for exactly wDescriptorLength (Linux usbhid);
	 * ask for more too, so a descriptor longer than announced shows */
	report_len = hid_control_in(tab, 0x81, USB_REQ_GET_DESCRIPTOR, 0x2200,
				    0, announced, report_desc);
	n = hid_control_in(tab, 0x81, USB_REQ_GET_DESCRIPTOR, 0x2200, 0,
			   sizeof(report_desc), report_desc);
	tap_ok(announced > 0 && report_len == announced && n == announced,
	       "report descriptor: wDescriptorLength %u, the device has %d "
	       "bytes (%d when asked for exactly that)",
	       announced, n, report_len);
	report_len = n;
}

/* Field @i of the parsed descriptor is @want (compared member by
 * member, each difference a diagnostic). */
static void
check_field(uint32_t i, const struct hid_field *want, const char *name)
{
	const struct hid_field *f = &hd.field[i];
	int bad = 0;

	if (i >= hd.nfield) {
		tap_ok(0, "%s: no field %u (only %u)", name, i, hd.nfield);
		return;
	}
#define HID_SAME(m)                                                            \
	if (f->m != want->m) {                                                 \
		tap_diag("%s: " #m " %ld, want %ld", name, (long)f->m,         \
			 (long)want->m);                                       \
		bad++;                                                         \
	}
	HID_SAME(offset)
	HID_SAME(size)
	HID_SAME(count)
	HID_SAME(flags)
	HID_SAME(page)
	HID_SAME(nusage)
	HID_SAME(usage[0])
	HID_SAME(usage[1])
	HID_SAME(usage_min)
	HID_SAME(usage_max)
	HID_SAME(logical_min)
	HID_SAME(logical_max)
#undef HID_SAME
	if (f->physical_min != want->physical_min ||
	    f->physical_max != want->physical_max) {
		/* physical extents matter only where they are given */
		if (want->physical_max) {
			tap_diag("%s: physical %d..%d, want %d..%d", name,
				 f->physical_min, f->physical_max,
				 want->physical_min, want->physical_max);
			bad++;
		}
	}
	tap_ok(!bad, "%s: bits %u..%u, %u x %u bits", name, f->offset,
	       f->offset + f->size * f->count - 1, f->count, f->size);
}

static void
test_layout(void)
{
	/* usb-facts §4: buttons (3 bits: left, right, middle as Button 1,
	 * 2, 3, each 0/1) and 5 bits of pad, X and Y little-endian 16 bits
	 * with logical and physical extents 0..0x7fff, absolute; the wheel
	 * a signed byte, relative (notches), covering the -127..127 the
	 * tablet sends (usb.h). */
	static const struct hid_field buttons = {.offset = 0,
						 .size = 1,
						 .count = 3,
						 .flags = HID_VARIABLE,
						 .page = HID_PAGE_BUTTON,
						 .usage_min = 1,
						 .usage_max = 3,
						 .logical_min = 0,
						 .logical_max = 1};
	static const struct hid_field xy = {.offset = 8,
					    .size = 16,
					    .count = 2,
					    .flags = HID_VARIABLE,
					    .page = HID_PAGE_GD,
					    .nusage = 2,
					    .usage = {HID_GD_X, HID_GD_Y},
					    .logical_min = 0,
					    .logical_max = 0x7fff,
					    .physical_min = 0,
					    .physical_max = 0x7fff};
	static const struct hid_field wheel = {.offset = 40,
					       .size = 8,
					       .count = 1,
					       .flags =
						   HID_VARIABLE | HID_RELATIVE,
					       .page = HID_PAGE_GD,
					       .nusage = 1,
					       .usage = {HID_GD_WHEEL},
					       .logical_min = -127,
					       .logical_max = 127};

	hid_parse(report_desc, report_len > 0 ? (size_t)report_len : 0, &hd);
	tap_ok(!hd.err, "the report descriptor parses (%s)",
	       hd.err ? hd.err : "short items, collections balanced");
	tap_ok(hd.app_type == 1 && hd.app_page == HID_PAGE_GD &&
		   hd.app_usage == HID_GD_MOUSE,
	       "an Application collection of Generic Desktop / Mouse (what "
	       "hid-generic binds as a pointer)");
	tap_ok(hd.collections == 2 && hd.depth_max == 2,
	       "with one Physical collection inside (%u collections, depth %u)",
	       hd.collections, hd.depth_max);
	tap_ok(hd.nfield == 4, "four Input items (%u)", hd.nfield);
	check_field(0, &buttons, "buttons");
	/* the pad: only where it lies and that it is constant matters */
	tap_ok(hd.nfield > 1 && hd.field[1].offset == 3 &&
		   hd.field[1].size * hd.field[1].count == 5 &&
		   (hd.field[1].flags & HID_CONSTANT),
	       "padding: bits 3..7, constant");
	check_field(2, &xy, "X and Y");
	check_field(3, &wheel, "wheel");
	tap_ok(hd.bits == 48, "the input report is 6 bytes (%u bits)", hd.bits);
}

/* Decode one report with the parsed fields into @v: buttons bits, X,
 * Y, wheel. */
static void
decode(const uint8_t *r, int32_t v[4])
{
	const struct hid_field *b = &hd.field[0], *xy = &hd.field[2],
			       *w = &hd.field[3];

	v[0] = (int32_t)hid_bits(r, b->offset, b->size * b->count);
	v[1] = (int32_t)hid_bits(r, xy->offset, xy->size);
	v[2] = (int32_t)hid_bits(r, xy->offset + xy->size, xy->size);
	v[3] = hid_bits_signed(r, w->offset, w->size);
}

static void
test_reports(void)
{
	static const struct {
		uint32_t x, y, buttons;
		int32_t wheel;
	} ev[] = {
	    {0x1234, 0x0abc, 5, -3},   /* left and middle, wheel toward */
	    {0, 0x7fff, 2, 127},       /* right: the corner, a big notch */
	    {0x7fff, 0x0001, 0, -127}, /* released */
	};
	uint8_t r[16], g[16];
	uint32_t n = 0;
	int32_t v[4];

	if (hd.nfield != 4) {
		for (int i = 0; i < 8; i++)
			tap_skip("the descriptor's fields are not as expected");
		return;
	}
	tap_ok(hid_control_out(tab, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0) == 0,
	       "SET_CONFIGURATION(1)");
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		usb_tablet_event(tab, ev[i].x, ev[i].y, ev[i].buttons,
				 ev[i].wheel);
		memset(r, 0xee, sizeof(r));
		if (hid_xfer(tab, USB_PID_IN, 1, r, 8, &n) != USB_RES_OK)
			n = 0;
		decode(r, v);
		tap_ok(n == hd.bits / 8 && v[0] == (int32_t)ev[i].buttons &&
			   v[1] == (int32_t)ev[i].x &&
			   v[2] == (int32_t)ev[i].y && v[3] == ev[i].wheel,
		       "report for (0x%x, 0x%x) buttons %u wheel %d: %u bytes "
		       "read back as (0x%x, 0x%x) buttons %d wheel %d",
		       ev[i].x, ev[i].y, ev[i].buttons, ev[i].wheel, n, v[1],
		       v[2], v[0], v[3]);
		tap_ok(hid_bits(r, hd.field[1].offset, hd.field[1].size) == 0,
		       "  its padding bits are 0");
	}
	tap_ok(hid_control_in(tab, 0xa1, 0x01, 0x0100, 0, 8, g) ==
		       (int)(hd.bits / 8) &&
		   !memcmp(g, r, hd.bits / 8),
	       "GET_REPORT(input) answers the last report, same layout");
}

int
main(void)
{
	tap_plan(22);
	tab = usb_tablet_create();
	if (!tab)
		tap_skip_all("cannot create the tablet");
	test_descriptors();
	test_layout();
	test_reports();
	tab->ops->destroy(tab);
	return tap_done();
}
