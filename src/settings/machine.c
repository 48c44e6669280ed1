/*
 * machine.c - load, create, save and free machine (.vbox) files, and the
 * typed scalar fields of struct settings_machine.
 *
 * The libxml2 tree is kept for the machine's lifetime.  At save, a typed
 * field is written back only when it differs from what was loaded, so an
 * unmodified file is rewritten with exactly the nodes it had.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "settings_priv.h"

#define LOG_TAG "settings"
#include "log.h"

xmlNodePtr
machine_hardware(struct settings_machine *m, bool create)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr hw = sx_child(p->machine, "Hardware");

	if (!hw && create)
		hw = sx_add(p->machine, "Hardware");
	return hw;
}

/* <Hardware><Platform architecture="x86">, created if missing (1.20). */
static xmlNodePtr
machine_platform_node(struct settings_machine *m)
{
	xmlNodePtr hw = machine_hardware(m, true);
	xmlNodePtr plat = sx_child(hw, "Platform");

	if (!plat) {
		plat = sx_add(hw, "Platform");
		sx_set(plat, "architecture", "x86");
	}
	return plat;
}

/* <CPU> sits in <Hardware> up to 1.19 and in <Hardware><Platform> from
 * 1.20; read whichever exists. */
static xmlNodePtr
machine_cpu_node(struct settings_machine *m, bool create)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr hw = machine_hardware(m, create), cpu;

	cpu = sx_child(hw, "CPU");
	if (!cpu)
		cpu = sx_path(hw, "Platform/CPU");
	if (cpu || !create)
		return cpu;
	if (p->minor >= 20)
		return sx_add(machine_platform_node(m), "CPU");
	return sx_add(hw, "CPU");
}

/* <HardwareVirtEx> is a child of <CPU> up to 1.19 and of
 * <Platform><x86> from 1.20; read whichever exists. */
static xmlNodePtr
machine_hwvirtex_node(struct settings_machine *m, bool create)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr n = sx_child(machine_cpu_node(m, false), "HardwareVirtEx");

	if (!n)
		n = sx_path(machine_hardware(m, false),
			    "Platform/x86/HardwareVirtEx");
	if (n || !create)
		return n;
	if (p->minor >= 20)
		return sx_add(sx_ensure(machine_platform_node(m), "x86"),
			      "HardwareVirtEx");
	return sx_add(machine_cpu_node(m, true), "HardwareVirtEx");
}

static int
machine_abs_path(const char *path, char **abs, char **folder)
{
	char cwd[PATH_MAX], buf[PATH_MAX * 2], copy[PATH_MAX * 2];

	if (path[0] == '/') {
		snprintf(buf, sizeof(buf), "%s", path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		snprintf(buf, sizeof(buf), "%s/%s", cwd, path);
	}
	snprintf(copy, sizeof(copy), "%s", buf);
	*abs = strdup(buf);
	*folder = strdup(dirname(copy));
	return *abs && *folder ? 0 : -ENOMEM;
}

static void
machine_read_scalars(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr hw = machine_hardware(m, false);
	xmlNodePtr disp = sx_child(hw, "Display");
	char *ctl;

	m->name = sx_attr(p->machine, "name");
	m->ostype = sx_attr(p->machine, "OSType");
	m->cpus = sx_attr_u32(c, machine_cpu_node(m, false), "count", 1);
	m->ram_mb = sx_attr_u32(c, sx_child(hw, "Memory"), "RAMSize", 128);
	m->vram_mb = sx_attr_u32(c, disp, "VRAMSize", 8);
	m->monitor_count = sx_attr_u32(c, disp, "monitorCount", 1);
	ctl = sx_attr(disp, "controller");
	m->graphics_controller = ctl ? ctl : strdup("VBoxVGA");
	if (m->monitor_count < 1 || m->monitor_count > 64)
		sx_fail(c, disp, -EINVAL, "monitorCount=%u is outside 1..64",
			m->monitor_count);
	if (m->cpus < 1)
		sx_fail(c, machine_cpu_node(m, false), -EINVAL,
			"CPU count must be at least 1");
	p->hwvirtex =
	    sx_attr_bool(c, machine_hwvirtex_node(m, false), "enabled", true);
}

static int
machine_snapshot(struct settings_machine *m)
{
	struct settings_machine *o = &machine_priv(m)->orig;

	free(o->name);
	free(o->ostype);
	free(o->graphics_controller);
	machine_vrde_free(&o->vrde);
	o->name = settings_strdup(m->name);
	o->ostype = settings_strdup(m->ostype);
	o->graphics_controller = settings_strdup(m->graphics_controller);
	o->cpus = m->cpus;
	o->ram_mb = m->ram_mb;
	o->vram_mb = m->vram_mb;
	o->monitor_count = m->monitor_count;
	return machine_vrde_copy(&o->vrde, &m->vrde);
}

static int
machine_from_doc(xmlDocPtr doc, unsigned minor, const char *path,
		 struct settings_machine **out, struct settings_error *err)
{
	struct settings_machine *m = calloc(1, sizeof(*m));
	struct settings_machine_priv *p = calloc(1, sizeof(*p));
	struct sx_ctx c = {.path = path, .err = err};
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *uuid;

	if (!m || !p) {
		free(m);
		free(p);
		xmlFreeDoc(doc);
		return -ENOMEM;
	}
	m->priv = p;
	p->doc = doc;
	p->minor = minor;
	p->lock_fd = -1;
	p->version = sx_attr(root, "version");
	p->machine = sx_child(root, "Machine");
	if (!p->machine) {
		sx_fail(&c, root, -EINVAL, "no <Machine> element");
		goto fail;
	}
	uuid = sx_attr(p->machine, "uuid");
	if (!uuid)
		sx_fail(&c, p->machine, -EINVAL, "<Machine> has no uuid");
	else if (settings_uuid_normalize(uuid, m->uuid) < 0)
		sx_fail(&c, p->machine, -EINVAL,
			"<Machine> uuid \"%s\" is not a uuid", uuid);
	free(uuid);
	if (c.rc)
		goto fail;
	if (machine_abs_path(path, &m->path, &m->folder) < 0) {
		sx_fail(&c, NULL, -ENOMEM, "out of memory");
		goto fail;
	}
	machine_read_scalars(m, &c);
	if (!m->name)
		sx_fail(&c, p->machine, -EINVAL, "<Machine> has no name");
	if (!c.rc)
		machine_vrde_parse(m, &c);
	if (!c.rc)
		machine_reparse(m, &c);
	if (!c.rc && machine_snapshot(m) < 0)
		sx_fail(&c, NULL, -ENOMEM, "out of memory");
	if (c.rc)
		goto fail;
	*out = m;
	return 0;
fail:
	settings_machine_free(m);
	return c.rc;
}

int
settings_machine_load_buffer(const char *buf, size_t len, const char *path,
			     struct settings_machine **out,
			     struct settings_error *err)
{
	xmlDocPtr doc;
	unsigned minor;
	int rc;

	*out = NULL;
	rc = sx_parse(buf, len, path, &doc, err);
	if (rc)
		return rc;
	rc = sx_check_root(doc, path, &minor, err);
	if (rc) {
		xmlFreeDoc(doc);
		return rc;
	}
	return machine_from_doc(doc, minor, path, out, err);
}

int
settings_machine_load(const char *path, struct settings_machine **out,
		      struct settings_error *err)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	rc = sx_read_file(path, &buf, &len);
	if (rc) {
		settings_error_set(err, "%s: cannot read: %s", path,
				   strerror(-rc));
		return rc;
	}
	rc = settings_machine_load_buffer(buf, len, path, out, err);
	free(buf);
	return rc;
}

int
settings_machine_load_locked(const char *path, struct settings_machine **out,
			     struct settings_error *err)
{
	int fd = settings_lock_file(path), rc;

	*out = NULL;
	if (fd < 0) {
		settings_error_set(err, "%s: cannot lock: %s", path,
				   strerror(-fd));
		return fd;
	}
	rc = settings_machine_load(path, out, err);
	if (rc) {
		close(fd);
		return rc;
	}
	machine_priv(*out)->lock_fd = fd;
	return 0;
}

int
settings_machine_new(const char *path, const char *name, const char *ostype,
		     const char *uuid, struct settings_machine **out,
		     struct settings_error *err)
{
	static const char skel[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<!--\n"
	    "** DO NOT EDIT THIS FILE.\n"
	    "** If you make changes to this file while any VirtualBox "
	    "related application\n"
	    "** is running, your changes will be overwritten later, "
	    "without taking effect.\n"
	    "** Use VBoxManage or vireo-manage instead.\n"
	    "-->\n"
	    "<VirtualBox xmlns=\"http://www.virtualbox.org/\" "
	    "version=\"1.19-linux\">\n"
	    "  <Machine uuid=\"\" name=\"\" OSType=\"Other\">\n"
	    "    <Hardware>\n"
	    "      <Memory RAMSize=\"128\"/>\n"
	    "    </Hardware>\n"
	    "  </Machine>\n"
	    "</VirtualBox>\n";
	char id[SETTINGS_UUID_LEN + 1];
	xmlDocPtr doc;
	xmlNodePtr mach;
	int rc;

	*out = NULL;
	if (uuid) {
		if (settings_uuid_normalize(uuid, id) < 0) {
			settings_error_set(err, "invalid uuid \"%s\"", uuid);
			return -EINVAL;
		}
	} else {
		settings_uuid_generate(id);
	}
	rc = sx_parse(skel, sizeof(skel) - 1, path, &doc, err);
	if (rc)
		return rc;
	mach = sx_child(xmlDocGetRootElement(doc), "Machine");
	sx_set(mach, "uuid", id);
	sx_set(mach, "name", name);
	sx_set(mach, "OSType", ostype ? ostype : "Other");
	return machine_from_doc(doc, 19, path, out, err);
}

static void
machine_write_display(struct settings_machine *m, struct settings_machine *o)
{
	xmlNodePtr disp;

	if (m->vram_mb == o->vram_mb && m->monitor_count == o->monitor_count &&
	    strcmp(m->graphics_controller ? m->graphics_controller : "VBoxVGA",
		   o->graphics_controller ? o->graphics_controller
					  : "VBoxVGA") == 0)
		return;
	disp = sx_ensure(machine_hardware(m, true), "Display");
	sx_set(disp, "controller", m->graphics_controller);
	sx_set_u32(disp, "VRAMSize", m->vram_mb);
	sx_set_u32(disp, "monitorCount", m->monitor_count);
}

static void
machine_write_scalars(struct settings_machine *m)
{
	struct settings_machine_priv *p = machine_priv(m);
	struct settings_machine *o = &p->orig;

	if (m->name && (!o->name || strcmp(m->name, o->name)))
		sx_set(p->machine, "name", m->name);
	if (m->ostype && (!o->ostype || strcmp(m->ostype, o->ostype)))
		sx_set(p->machine, "OSType", m->ostype);
	if (m->cpus != o->cpus) {
		xmlNodePtr cpu = machine_cpu_node(m, m->cpus != 1);

		if (cpu && m->cpus == 1)
			sx_set(cpu, "count", NULL); /* 1 is the default */
		else if (cpu)
			sx_set_u32(cpu, "count", m->cpus);
	}
	if (m->ram_mb != o->ram_mb)
		sx_set_u32(sx_ensure(machine_hardware(m, true), "Memory"),
			   "RAMSize", m->ram_mb);
	machine_write_display(m, o);
	machine_vrde_write(m);
}

int
settings_machine_serialize(struct settings_machine *m, char **buf, size_t *len)
{
	machine_write_scalars(m);
	return settings_doc_dump(machine_priv(m)->doc, buf, len);
}

int
settings_machine_save(struct settings_machine *m, struct settings_error *err)
{
	struct settings_machine_priv *p = machine_priv(m);
	char *buf;
	size_t len;
	int rc;

	rc = settings_machine_serialize(m, &buf, &len);
	if (rc) {
		settings_error_set(err, "%s: cannot serialise: %s", m->path,
				   strerror(-rc));
		return rc;
	}
	rc = settings_write_file(m->path, buf, len, &p->lock_fd, err);
	free(buf);
	if (!rc)
		rc = machine_snapshot(m);
	return rc;
}

void
settings_machine_free(struct settings_machine *m)
{
	struct settings_machine_priv *p;

	if (!m)
		return;
	p = machine_priv(m);
	if (p) {
		if (p->lock_fd >= 0)
			close(p->lock_fd);
		machine_free_views(p);
		free(p->orig.name);
		free(p->orig.ostype);
		free(p->orig.graphics_controller);
		machine_vrde_free(&p->orig.vrde);
		free(p->version);
		xmlFreeDoc(p->doc);
		free(p);
	}
	free(m->name);
	free(m->ostype);
	free(m->path);
	free(m->folder);
	free(m->graphics_controller);
	machine_vrde_free(&m->vrde);
	free(m);
}

const char *
settings_machine_version(const struct settings_machine *m)
{
	return machine_priv(m)->version;
}

const char *
settings_machine_get_extradata(const struct settings_machine *m,
			       const char *key)
{
	struct settings_machine_priv *p = machine_priv(m);

	for (size_t i = 0; i < p->n_extradata; i++)
		if (strcmp(p->extradata[i].name, key) == 0)
			return p->extradata[i].value;
	return NULL;
}

long
settings_machine_extradata_line(const struct settings_machine *m,
				const char *key)
{
	return extradata_line(machine_priv(m)->machine, key);
}

size_t
settings_machine_extradata(const struct settings_machine *m,
			   const struct settings_property **items)
{
	*items = machine_priv(m)->extradata;
	return machine_priv(m)->n_extradata;
}

int
settings_machine_set_extradata(struct settings_machine *m, const char *key,
			       const char *value)
{
	struct settings_machine_priv *p = machine_priv(m);
	int rc = extradata_set(p->machine, key, value);

	if (rc)
		return rc;
	props_free(p->extradata, p->n_extradata);
	return extradata_parse(p->machine, &p->extradata, &p->n_extradata);
}

char *
settings_machine_state_file(const struct settings_machine *m)
{
	char *v = sx_attr(machine_priv(m)->machine, "stateFile");

	if (v && !*v) {
		free(v);
		v = NULL;
	}
	return v;
}

int
settings_machine_set_state_file(struct settings_machine *m, const char *path)
{
	sx_set(machine_priv(m)->machine, "stateFile", path);
	return 0;
}

static const char *const machine_autostop_names[] = {
    "Disabled", "SaveState", "PowerOff", "AcpiShutdown"};

const char *
settings_autostop_name(enum settings_autostop a)
{
	return (unsigned)a < 4 ? machine_autostop_names[a] : NULL;
}

int
settings_machine_autostop(const struct settings_machine *m,
			  enum settings_autostop *out, char **raw)
{
	xmlNodePtr as = sx_child(machine_priv(m)->machine, "Autostart");
	char *v = as ? sx_attr(as, "autostop") : NULL;
	int rc = -EINVAL;

	*out = SETTINGS_AUTOSTOP_DISABLED;
	if (!v || !*v)
		rc = 0;
	for (unsigned i = 0; rc && i < 4; i++) {
		if (!strcasecmp(v, machine_autostop_names[i])) {
			*out = (enum settings_autostop)i;
			rc = 0;
		}
	}
	if (raw)
		*raw = v;
	else
		free(v);
	return rc;
}

int
settings_machine_set_autostop(struct settings_machine *m,
			      enum settings_autostop a)
{
	const char *name = settings_autostop_name(a);

	if (!name)
		return -EINVAL;
	sx_set(sx_ensure(machine_priv(m)->machine, "Autostart"), "autostop",
	       name);
	return 0;
}

bool
settings_machine_hwvirtex(const struct settings_machine *m)
{
	return machine_priv(m)->hwvirtex;
}

int
settings_machine_set_hwvirtex(struct settings_machine *m, bool on)
{
	/* absent means on: only "off" needs the element */
	xmlNodePtr n = machine_hwvirtex_node(m, !on);

	if (!n && !on)
		return -ENOMEM;
	if (n)
		sx_set_bool(n, "enabled", on);
	machine_priv(m)->hwvirtex = on;
	return 0;
}

enum settings_boot_kind
settings_machine_boot_kind(const struct settings_machine *m)
{
	const char *v = settings_machine_get_extradata(m, "vireo/Boot/Source");

	return v && strcmp(v, "linux") == 0 ? SETTINGS_BOOT_LINUX
					    : SETTINGS_BOOT_TESTCARD;
}
