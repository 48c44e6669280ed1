/*
 * machine_storage.c - <StorageControllers> with their <AttachedDevice>s,
 * resolved through the machine's <MediaRegistry> to image paths.
 *
 * StorageControllers is a child of <Machine> up to settings 1.16 and of
 * <Hardware> from 1.17; both are read, and a new one is created where the
 * file's version puts it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings_priv.h"

/* storagectl --add bus -> default chip, allowed chips, default ports */
static const struct storage_bus {
	const char *bus;
	const char *types[4];
	uint32_t ports;
} storage_buses[] = {
    {"ide", {"PIIX4", "PIIX3", "ICH6"}, 2},
    {"sata", {"AHCI"}, 30},
    {"scsi", {"LsiLogic", "BusLogic"}, 16},
    {"sas", {"LsiLogicSas"}, 8},
    {"floppy", {"I82078"}, 1},
    {"usb", {"USB"}, 8},
    {"pcie", {"NVMe"}, 1},
    {"virtio", {"VirtioSCSI"}, 1},
};

xmlNodePtr
storage_controllers_node(struct settings_machine *m, bool create)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr hw = machine_hardware(m, create);
	xmlNodePtr n = sx_child(hw, "StorageControllers");

	if (!n)
		n = sx_child(p->machine, "StorageControllers");
	if (n || !create)
		return n;
	return sx_add(p->minor >= 17 ? hw : p->machine, "StorageControllers");
}

static char *
storage_abs(const struct settings_machine *m, const char *loc)
{
	char *s;

	if (!loc)
		return NULL;
	if (loc[0] == '/')
		return strdup(loc);
	if (asprintf(&s, "%s/%s", m->folder, loc) < 0)
		return NULL;
	return s;
}

static bool
storage_uuid_eq(xmlNodePtr n, const char *uuid)
{
	char *u = sx_attr(n, "uuid"), norm[SETTINGS_UUID_LEN + 1];
	bool eq = u && settings_uuid_normalize(u, norm) == 0 &&
		  strcmp(norm, uuid) == 0;

	free(u);
	return eq;
}

/* HardDisk elements nest (differencing images under their parent). */
static xmlNodePtr
storage_find_in(xmlNodePtr list, const char *elem, const char *uuid)
{
	for (xmlNodePtr n = sx_child(list, elem); n; n = sx_next(n, elem)) {
		xmlNodePtr hit;

		if (storage_uuid_eq(n, uuid))
			return n;
		if ((hit = storage_find_in(n, elem, uuid)))
			return hit;
	}
	return NULL;
}

static xmlNodePtr
storage_find_medium(struct settings_machine *m, const char *uuid)
{
	xmlNodePtr reg = sx_child(machine_priv(m)->machine, "MediaRegistry");
	xmlNodePtr hit =
	    storage_find_in(sx_child(reg, "HardDisks"), "HardDisk", uuid);

	if (!hit)
		hit =
		    storage_find_in(sx_child(reg, "DVDImages"), "Image", uuid);
	if (!hit)
		hit = storage_find_in(sx_child(reg, "FloppyImages"), "Image",
				      uuid);
	return hit;
}

static int
storage_parse_att(struct settings_machine *m, const char *ctl, xmlNodePtr d,
		  struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	struct settings_attachment *a, *nv;
	xmlNodePtr img = sx_child(d, "Image"), med;
	char *u;

	nv = realloc(p->atts, (p->n_atts + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->atts = nv;
	a = &nv[p->n_atts++];
	memset(a, 0, sizeof(*a));
	a->controller = strdup(ctl);
	a->type = sx_attr(d, "type");
	a->port = (int32_t)sx_attr_u32(c, d, "port", 0);
	a->device = (int32_t)sx_attr_u32(c, d, "device", 0);
	u = sx_attr(img, "uuid");
	if (u) {
		a->medium_uuid = calloc(1, SETTINGS_UUID_LEN + 1);
		if (!a->medium_uuid ||
		    settings_uuid_normalize(u, a->medium_uuid) < 0) {
			sx_fail(c, img, -EINVAL, "invalid uuid \"%s\"", u);
			free(u);
			return c->rc;
		}
		free(u);
		med = storage_find_medium(m, a->medium_uuid);
		if (med) {
			char *loc = sx_attr(med, "location");

			a->medium_path = storage_abs(m, loc);
			a->medium_format = sx_attr(med, "format");
			free(loc);
		}
	}
	if (!a->type)
		a->type = strdup("HardDisk");
	return 0;
}

int
storage_parse(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr list = storage_controllers_node(m, false);

	for (xmlNodePtr s = sx_child(list, "StorageController"); s;
	     s = sx_next(s, "StorageController")) {
		struct settings_controller *nv, *k;
		int rc;

		nv = realloc(p->ctls, (p->n_ctls + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->ctls = nv;
		k = &nv[p->n_ctls++];
		k->name = sx_attr(s, "name");
		k->type = sx_attr(s, "type");
		k->port_count = sx_attr_u32(c, s, "PortCount", 0);
		k->bootable = sx_attr_bool(c, s, "Bootable", true);
		if (!k->name) {
			sx_fail(c, s, -EINVAL,
				"<StorageController> has no name");
			return c->rc;
		}
		for (xmlNodePtr d = sx_child(s, "AttachedDevice"); d;
		     d = sx_next(d, "AttachedDevice"))
			if ((rc = storage_parse_att(m, k->name, d, c)))
				return rc;
	}
	return 0;
}

size_t
settings_machine_controllers(const struct settings_machine *m,
			     const struct settings_controller **out)
{
	*out = machine_priv(m)->ctls;
	return machine_priv(m)->n_ctls;
}

size_t
settings_machine_attachments(const struct settings_machine *m,
			     const struct settings_attachment **out)
{
	*out = machine_priv(m)->atts;
	return machine_priv(m)->n_atts;
}

static xmlNodePtr
storage_find_ctl(struct settings_machine *m, const char *name)
{
	xmlNodePtr list = storage_controllers_node(m, false);

	for (xmlNodePtr s = sx_child(list, "StorageController"); s;
	     s = sx_next(s, "StorageController")) {
		char *n = sx_attr(s, "name");
		bool hit = n && strcmp(n, name) == 0;

		free(n);
		if (hit)
			return s;
	}
	return NULL;
}

static const struct storage_bus *
storage_bus_of(const char *bus, const char **type)
{
	for (size_t i = 0; i < sizeof(storage_buses) / sizeof(*storage_buses);
	     i++) {
		const struct storage_bus *b = &storage_buses[i];

		if (strcasecmp(bus, b->bus) != 0)
			continue;
		if (!*type) {
			*type = b->types[0];
			return b;
		}
		for (size_t t = 0; t < 4 && b->types[t]; t++)
			if (strcasecmp(*type, b->types[t]) == 0) {
				*type = b->types[t];
				return b;
			}
		/* VBoxManage's spellings of the same chips */
		if (strcasecmp(*type, "IntelAhci") == 0 &&
		    !strcmp(b->bus, "sata"))
			return *type = "AHCI", b;
		if (strcasecmp(*type, "VirtIO") == 0 &&
		    !strcmp(b->bus, "virtio"))
			return *type = "VirtioSCSI", b;
		return NULL;
	}
	return NULL;
}

int
settings_machine_set_controller(struct settings_machine *m, const char *name,
				const char *bus, const char *type,
				uint32_t port_count)
{
	struct sx_ctx c = {.path = m->path};
	const struct storage_bus *b = storage_bus_of(bus, &type);
	xmlNodePtr s;

	if (!b || !name || !*name)
		return -EINVAL;
	s = storage_find_ctl(m, name);
	if (!s) {
		s = sx_add(storage_controllers_node(m, true),
			   "StorageController");
		sx_set(s, "name", name);
		sx_set(s, "PortCount", NULL);
		sx_set_u32(s, "PortCount", port_count ? port_count : b->ports);
		sx_set(s, "useHostIOCache", "false");
		sx_set(s, "Bootable", "true");
	} else if (port_count) {
		sx_set_u32(s, "PortCount", port_count);
	}
	sx_set(s, "type", type);
	return machine_reparse(m, &c);
}

int
settings_machine_remove_controller(struct settings_machine *m, const char *name)
{
	struct sx_ctx c = {.path = m->path};
	xmlNodePtr s = storage_find_ctl(m, name);

	if (!s)
		return -ENOENT;
	sx_remove(s);
	return machine_reparse(m, &c);
}

static xmlNodePtr
storage_find_by_location(xmlNodePtr list, const char *elem,
			 const struct settings_machine *m, const char *path)
{
	for (xmlNodePtr n = sx_child(list, elem); n; n = sx_next(n, elem)) {
		char *loc = sx_attr(n, "location"), *abs = storage_abs(m, loc);
		bool hit = abs && strcmp(abs, path) == 0;

		free(loc);
		free(abs);
		if (hit)
			return n;
	}
	return NULL;
}

/* Register @path in the machine's MediaRegistry; @uuid gets its uuid. */
static int
storage_register(struct settings_machine *m, const char *type, const char *path,
		 const char *want_uuid, const char *format,
		 char uuid[SETTINGS_UUID_LEN + 1])
{
	bool hd = strcasecmp(type, "HardDisk") == 0;
	const char *listname = hd			      ? "HardDisks"
			       : strcasecmp(type, "DVD") == 0 ? "DVDImages"
							      : "FloppyImages";
	const char *elem = hd ? "HardDisk" : "Image";
	xmlNodePtr reg, list, n;
	char *u;

	reg = sx_child(machine_priv(m)->machine, "MediaRegistry");
	list = sx_child(reg, listname);
	n = storage_find_by_location(list, elem, m, path);
	if (n) {
		u = sx_attr(n, "uuid");
		int rc = u ? settings_uuid_normalize(u, uuid) : -EINVAL;

		free(u);
		return rc;
	}
	if (want_uuid) {
		if (settings_uuid_normalize(want_uuid, uuid) < 0)
			return -EINVAL;
	} else {
		settings_uuid_generate(uuid);
	}
	if (!reg)
		reg = sx_add(machine_priv(m)->machine, "MediaRegistry");
	if (!list)
		list = sx_add(reg, listname);
	n = sx_add(list, elem);
	sx_set(n, "uuid", uuid);
	sx_set(n, "location", path);
	if (hd) {
		sx_set(n, "format", format ? format : "RAW");
		sx_set(n, "type", "Normal");
	}
	return 0;
}

int
settings_machine_attach(struct settings_machine *m, const char *controller,
			int32_t port, int32_t device, const char *type,
			const char *medium_path, const char *medium_uuid,
			const char *format)
{
	struct sx_ctx c = {.path = m->path};
	char uuid[SETTINGS_UUID_LEN + 1];
	xmlNodePtr s = storage_find_ctl(m, controller), d, next;
	int rc;

	if (!s)
		return -ENOENT;
	if (port < 0 || device < 0 || !type ||
	    (strcmp(type, "HardDisk") && strcmp(type, "DVD") &&
	     strcmp(type, "Floppy")) ||
	    (medium_path && medium_path[0] != '/'))
		return -EINVAL;
	for (d = sx_child(s, "AttachedDevice"); d; d = next) {
		next = sx_next(d, "AttachedDevice");
		if (sx_attr_u32(&c, d, "port", 0) == (uint32_t)port &&
		    sx_attr_u32(&c, d, "device", 0) == (uint32_t)device)
			sx_remove(d);
	}
	if (medium_path) {
		rc = storage_register(m, type, medium_path, medium_uuid, format,
				      uuid);
		if (rc)
			return rc;
		d = sx_add(s, "AttachedDevice");
		sx_set(d, "type", type);
		sx_set_u32(d, "port", (uint32_t)port);
		sx_set_u32(d, "device", (uint32_t)device);
		sx_set(sx_add(d, "Image"), "uuid", uuid);
	}
	c.rc = 0;
	return machine_reparse(m, &c);
}
