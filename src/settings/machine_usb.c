/*
 * machine_usb.c - a machine's USB: the host controllers and device filters
 * (<Hardware><USB><Controllers>, <DeviceFilters>; <USBController> in files
 * before 1.14) and the pointing device (<Hardware><HID Pointing=>), which
 * decides whether the guest gets the emulated USB tablet.
 *
 * Like the other list views these are derived from the tree after every
 * edit; the setters edit the elements in place, so attributes vireo does
 * not model (port, maskedInterfaces, action) stay.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings_priv.h"

/* VirtualBox's PointingHIDType names, as the file spells them. */
static const char *const usb_hid_names[] = {
    "None",	  "PS2Mouse",	   "USBMouse",		"USBTablet",
    "ComboMouse", "USBMultiTouch", "USBMTScreenPlusPad"};
#define USB_HID_NAMES (sizeof(usb_hid_names) / sizeof(usb_hid_names[0]))

static int
usb_add_ctl(struct settings_machine_priv *p, const char *name, const char *type)
{
	struct settings_usb_controller *nv;

	nv = realloc(p->usb_ctls, (p->n_usb_ctls + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->usb_ctls = nv;
	nv[p->n_usb_ctls].name = settings_strdup(name ? name : type);
	nv[p->n_usb_ctls].type = settings_strdup(type);
	p->n_usb_ctls++;
	return 0;
}

static int
usb_parse_filter(struct settings_machine_priv *p, xmlNodePtr f,
		 struct sx_ctx *c)
{
	struct settings_usb_filter *nv, *u;

	nv = realloc(p->usb_filters, (p->n_usb_filters + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->usb_filters = nv;
	u = &nv[p->n_usb_filters++];
	memset(u, 0, sizeof(*u));
	u->name = sx_attr(f, "name");
	u->active = sx_attr_bool(c, f, "active", true);
	u->remote = sx_attr(f, "remote");
	u->remote_set = u->remote != NULL;
	u->vendor_id = sx_attr(f, "vendorId");
	u->product_id = sx_attr(f, "productId");
	u->revision = sx_attr(f, "revision");
	u->manufacturer = sx_attr(f, "manufacturer");
	u->product = sx_attr(f, "product");
	u->serial_number = sx_attr(f, "serialNumber");
	u->port = sx_attr(f, "port");
	u->masked_interfaces = sx_attr(f, "maskedInterfaces");
	return 0;
}

static void
usb_parse_hid(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr hid = sx_child(machine_hardware(m, false), "HID");
	char *v = sx_attr(hid, "Pointing");

	p->pointing = SETTINGS_POINTING_PS2MOUSE;
	for (size_t i = 0; v && i < USB_HID_NAMES; i++)
		if (!strcasecmp(v, usb_hid_names[i]))
			p->pointing = (enum settings_pointing)i;
	if (v && strcasecmp(v, usb_hid_names[p->pointing]))
		sx_fail(c, hid, -EINVAL,
			"<HID> Pointing=\"%s\" is not a pointing device type",
			v);
	free(v);
}

/* <USB><Controllers> from 1.14; <USBController enabled enabledEhci> in
 * older files, with the filters in either element. */
int
usb_parse(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr hw = machine_hardware(m, false);
	xmlNodePtr usb = sx_child(hw, "USB"),
		   old = sx_child(hw, "USBController");
	xmlNodePtr filters = NULL;
	int rc = 0;

	usb_parse_hid(m, c);
	if (usb) {
		for (xmlNodePtr k = sx_path(usb, "Controllers/Controller");
		     k && !rc; k = sx_next(k, "Controller")) {
			char *name = sx_attr(k, "name"),
			     *type = sx_attr(k, "type");

			rc = usb_add_ctl(p, name, type ? type : "OHCI");
			free(name);
			free(type);
		}
		filters = sx_child(usb, "DeviceFilters");
	} else if (old) {
		if (sx_attr_bool(c, old, "enabled", false))
			rc = usb_add_ctl(p, "OHCI", "OHCI");
		if (!rc && sx_attr_bool(c, old, "enabledEhci", false))
			rc = usb_add_ctl(p, "EHCI", "EHCI");
		filters = sx_child(old, "DeviceFilters");
	}
	for (xmlNodePtr f = sx_child(filters, "DeviceFilter"); f && !rc;
	     f = sx_next(f, "DeviceFilter"))
		rc = usb_parse_filter(p, f, c);
	return rc;
}

size_t
settings_machine_usb_controllers(const struct settings_machine *m,
				 const struct settings_usb_controller **out)
{
	*out = machine_priv(m)->usb_ctls;
	return machine_priv(m)->n_usb_ctls;
}

size_t
settings_machine_usb_filters(const struct settings_machine *m,
			     const struct settings_usb_filter **out)
{
	*out = machine_priv(m)->usb_filters;
	return machine_priv(m)->n_usb_filters;
}

bool
settings_machine_usb_controller(const struct settings_machine *m,
				const char *type)
{
	const struct settings_machine_priv *p = machine_priv(m);

	for (size_t i = 0; i < p->n_usb_ctls; i++)
		if (!strcasecmp(p->usb_ctls[i].type, type))
			return true;
	return false;
}

static void
usb_filter_free(struct settings_usb_filter *u)
{
	free(u->name);
	free(u->remote);
	free(u->vendor_id);
	free(u->product_id);
	free(u->revision);
	free(u->manufacturer);
	free(u->product);
	free(u->serial_number);
	free(u->port);
	free(u->masked_interfaces);
}

void
usb_free_views(struct settings_machine_priv *p)
{
	for (size_t i = 0; i < p->n_usb_ctls; i++) {
		free(p->usb_ctls[i].name);
		free(p->usb_ctls[i].type);
	}
	free(p->usb_ctls);
	p->usb_ctls = NULL;
	p->n_usb_ctls = 0;
	for (size_t i = 0; i < p->n_usb_filters; i++)
		usb_filter_free(&p->usb_filters[i]);
	free(p->usb_filters);
	p->usb_filters = NULL;
	p->n_usb_filters = 0;
}

/* ---- edits ----------------------------------------------------------- */

/* The element holding controllers and filters: <USB>, or an old file's
 * <USBController>; a new <USB> when @create and neither exists. */
static xmlNodePtr
usb_node(struct settings_machine *m, bool create)
{
	xmlNodePtr hw = machine_hardware(m, create), usb;

	usb = sx_child(hw, "USB");
	if (!usb)
		usb = sx_child(hw, "USBController");
	if (!usb && create)
		usb = sx_add(hw, "USB");
	return usb;
}

static bool
usb_is_old(xmlNodePtr usb)
{
	return usb && !xmlStrcmp(usb->name, BAD_CAST "USBController");
}

/* The controller element of @type in a 1.14+ <USB>, or NULL. */
static xmlNodePtr
usb_ctl_node(xmlNodePtr usb, const char *type)
{
	for (xmlNodePtr k = sx_path(usb, "Controllers/Controller"); k;
	     k = sx_next(k, "Controller")) {
		char *t = sx_attr(k, "type");
		bool hit = !strcasecmp(t ? t : "OHCI", type);

		free(t);
		if (hit)
			return k;
	}
	return NULL;
}

int
settings_machine_set_usb_controller(struct settings_machine *m,
				    const char *type, bool on)
{
	static const struct {
		const char *type, *name, *old_attr;
	} kinds[] = {
	    {"OHCI", "OHCI", "enabled"},
	    {"EHCI", "EHCI", "enabledEhci"},
	    {"XHCI", "xHCI", NULL},
	};
	struct sx_ctx c = {.path = m->path};
	xmlNodePtr usb, k;
	size_t i;

	for (i = 0; i < 3; i++)
		if (!strcasecmp(type, kinds[i].type))
			break;
	if (i == 3)
		return -EINVAL;
	usb = usb_node(m, on);
	if (!usb)
		return 0; /* off, and there is no USB at all */
	if (usb_is_old(usb)) {
		if (!kinds[i].old_attr)
			return on ? -ENOTSUP : 0;
		sx_set(usb, kinds[i].old_attr, on ? "true" : "false");
		return machine_reparse(m, &c);
	}
	k = usb_ctl_node(usb, kinds[i].type);
	if (on && !k) {
		k = sx_add(sx_ensure(usb, "Controllers"), "Controller");
		sx_set(k, "name", kinds[i].name);
		sx_set(k, "type", kinds[i].type);
	} else if (!on && k) {
		sx_remove(k);
	}
	return machine_reparse(m, &c);
}

static xmlNodePtr
usb_filter_node(xmlNodePtr usb, size_t index)
{
	xmlNodePtr f = sx_child(sx_child(usb, "DeviceFilters"), "DeviceFilter");

	while (f && index--)
		f = sx_next(f, "DeviceFilter");
	return f;
}

static void
usb_filter_write(xmlNodePtr f, const struct settings_usb_filter_edit *e)
{
	const struct {
		const char *attr, *v;
	} a[] = {
	    {"name", e->name},
	    {"vendorId", e->vendor_id},
	    {"productId", e->product_id},
	    {"revision", e->revision},
	    {"manufacturer", e->manufacturer},
	    {"product", e->product},
	    {"serialNumber", e->serial_number},
	    {"remote", e->remote},
	};

	if (e->active >= 0)
		sx_set(f, "active", e->active ? "true" : "false");
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		if (a[i].v) /* "" removes: VirtualBox leaves empty ones out */
			sx_set(f, a[i].attr,
			       *a[i].v || !strcmp(a[i].attr, "name") ? a[i].v
								     : NULL);
}

int
settings_machine_usb_filter_edit(struct settings_machine *m, size_t index,
				 bool insert,
				 const struct settings_usb_filter_edit *e)
{
	struct sx_ctx c = {.path = m->path};
	size_t n = machine_priv(m)->n_usb_filters;
	xmlNodePtr usb, f, at;

	if (insert ? index > n : index >= n)
		return -ENOENT;
	if (insert && (!e->name || !*e->name))
		return -EINVAL;
	usb = usb_node(m, true);
	if (insert) {
		xmlNodePtr list = sx_ensure(usb, "DeviceFilters");

		at = usb_filter_node(usb, index);
		f = at ? sx_insert_before(at, "DeviceFilter")
		       : sx_add(list, "DeviceFilter");
		if (!f)
			return -ENOMEM;
		sx_set(f, "name", e->name);
		sx_set(f, "active", e->active == 0 ? "false" : "true");
	} else {
		f = usb_filter_node(usb, index);
	}
	usb_filter_write(f, e);
	return machine_reparse(m, &c);
}

int
settings_machine_usb_filter_remove(struct settings_machine *m, size_t index)
{
	struct sx_ctx c = {.path = m->path};
	xmlNodePtr f = usb_filter_node(usb_node(m, false), index);

	if (!f)
		return -ENOENT;
	sx_remove(f);
	return machine_reparse(m, &c);
}

/* ---- the pointing device ------------------------------------------------ */

enum settings_pointing
settings_machine_pointing(const struct settings_machine *m)
{
	return machine_priv(m)->pointing;
}

const char *
settings_pointing_name(enum settings_pointing t)
{
	return (unsigned)t < USB_HID_NAMES ? usb_hid_names[t] : "PS2Mouse";
}

int
settings_machine_set_pointing(struct settings_machine *m,
			      enum settings_pointing t)
{
	struct sx_ctx c = {.path = m->path};
	xmlNodePtr hid;

	if ((unsigned)t >= USB_HID_NAMES)
		return -EINVAL;
	hid = sx_ensure(machine_hardware(m, true), "HID");
	sx_set(hid, "Pointing", usb_hid_names[t]);
	return machine_reparse(m, &c);
}
