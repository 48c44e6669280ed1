/*
 * machine_vrde.c - <Hardware><RemoteDisplay>: the typed VRDE settings and
 * the VRDE property list.
 *
 * Old files keep the port and bind address as attributes and the video
 * channel as a <VideoChannel> child; they are folded into the properties
 * TCP/Ports, TCP/Address, VideoChannel/Enabled and VideoChannel/Quality on
 * load (explicit <VRDEProperties> win, as in VirtualBox).  They are only
 * rewritten in the property form when the properties change.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings_priv.h"

static const char *const machine_vrde_auth_names[] = {"Null", "External",
						      "Guest"};

void
machine_vrde_free(struct settings_vrde *v)
{
	props_free(v->props, v->n_props);
	free(v->auth_library);
	free(v->ext_pack);
	memset(v, 0, sizeof(*v));
}

int
machine_vrde_copy(struct settings_vrde *dst, const struct settings_vrde *src)
{
	*dst = *src;
	dst->auth_library = settings_strdup(src->auth_library);
	dst->ext_pack = settings_strdup(src->ext_pack);
	dst->props = calloc(src->n_props + 1, sizeof(*dst->props));
	if (!dst->props)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_props; i++) {
		dst->props[i].name = strdup(src->props[i].name);
		dst->props[i].value = strdup(src->props[i].value);
	}
	return 0;
}

static struct settings_property *
machine_vrde_find(const struct settings_vrde *v, const char *name)
{
	for (size_t i = 0; i < v->n_props; i++)
		if (strcmp(v->props[i].name, name) == 0)
			return &v->props[i];
	return NULL;
}

static int
machine_vrde_put(struct settings_vrde *v, const char *name, const char *value)
{
	struct settings_property *p = machine_vrde_find(v, name), *np;

	if (!value || !*value) {
		if (p) {
			size_t i = (size_t)(p - v->props);

			free(p->name);
			free(p->value);
			memmove(p, p + 1, (v->n_props - i - 1) * sizeof(*p));
			v->n_props--;
		}
		return 0;
	}
	if (p) {
		char *nv = strdup(value);

		if (!nv)
			return -ENOMEM;
		free(p->value);
		p->value = nv;
		return 0;
	}
	np = realloc(v->props, (v->n_props + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	v->props = np;
	np[v->n_props].name = strdup(name);
	np[v->n_props].value = strdup(value);
	v->n_props++;
	return 0;
}

static void
machine_vrde_parse_legacy(struct settings_vrde *v, xmlNodePtr rd,
			  struct sx_ctx *c)
{
	xmlNodePtr vc = sx_child(rd, "VideoChannel");
	char *port = sx_attr(rd, "port"), *addr = sx_attr(rd, "netAddress");
	char q[16];

	if (port)
		machine_vrde_put(v, "TCP/Ports", port);
	if (addr)
		machine_vrde_put(v, "TCP/Address", addr);
	free(port);
	free(addr);
	if (vc) {
		bool on = sx_attr_bool(c, vc, "enabled", false);

		machine_vrde_put(v, "VideoChannel/Enabled",
				 on ? "true" : "false");
		snprintf(q, sizeof(q), "%u", sx_attr_u32(c, vc, "quality", 75));
		machine_vrde_put(v, "VideoChannel/Quality", q);
	}
}

static void
machine_vrde_parse_auth(struct settings_vrde *v, xmlNodePtr rd,
			struct sx_ctx *c)
{
	char *t = sx_attr(rd, "authType");

	v->auth_type = SETTINGS_AUTH_NULL;
	if (!t)
		return;
	for (size_t i = 0; i < 3; i++)
		if (strcasecmp(t, machine_vrde_auth_names[i]) == 0) {
			v->auth_type = (enum settings_auth_type)i;
			free(t);
			return;
		}
	sx_fail(c, rd, -EINVAL,
		"authType=\"%s\" is not Null, External or Guest", t);
	free(t);
}

int
machine_vrde_parse(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_vrde *v = &m->vrde;
	xmlNodePtr rd = sx_child(machine_hardware(m, false), "RemoteDisplay");

	memset(v, 0, sizeof(*v));
	v->auth_timeout_ms = 5000;
	v->props = calloc(1, sizeof(*v->props));
	if (!v->props || !rd)
		return v->props ? 0 : -ENOMEM;
	v->enabled = sx_attr_bool(c, rd, "enabled", false);
	machine_vrde_parse_auth(v, rd, c);
	v->auth_timeout_ms = sx_attr_u32(c, rd, "authTimeout", 5000);
	v->allow_multi_connection =
	    sx_attr_bool(c, rd, "allowMultiConnection", false);
	v->reuse_single_connection =
	    sx_attr_bool(c, rd, "reuseSingleConnection", false);
	v->auth_library = sx_attr(rd, "authLibrary");
	v->ext_pack = sx_attr(rd, "VRDEExtPack");
	machine_vrde_parse_legacy(v, rd, c);
	for (xmlNodePtr p = sx_path(rd, "VRDEProperties/Property"); p;
	     p = sx_next(p, "Property")) {
		char *name = sx_attr(p, "name"), *value = sx_attr(p, "value");

		if (name && value)
			machine_vrde_put(v, name, value);
		free(name);
		free(value);
	}
	return c->rc;
}

static bool
machine_vrde_str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

static bool
machine_vrde_props_differ(const struct settings_vrde *a,
			  const struct settings_vrde *b)
{
	if (a->n_props != b->n_props)
		return true;
	for (size_t i = 0; i < a->n_props; i++) {
		struct settings_property *o =
		    machine_vrde_find(b, a->props[i].name);

		if (!o || strcmp(o->value, a->props[i].value) != 0)
			return true;
	}
	return false;
}

/* Rewrite <VRDEProperties> to hold exactly v's properties, keeping the
 * elements (and their order) of the ones that stay. */
static void
machine_vrde_write_props(xmlNodePtr rd, const struct settings_vrde *v)
{
	xmlNodePtr list, p, next;

	sx_set(rd, "port", NULL);
	sx_set(rd, "netAddress", NULL);
	if ((p = sx_child(rd, "VideoChannel")))
		sx_remove(p);
	list = sx_ensure(rd, "VRDEProperties");
	for (p = sx_child(list, "Property"); p; p = next) {
		char *name = sx_attr(p, "name");
		struct settings_property *keep =
		    name ? machine_vrde_find(v, name) : NULL;

		next = sx_next(p, "Property");
		if (keep)
			sx_set(p, "value", keep->value);
		else
			sx_remove(p);
		free(name);
	}
	for (size_t i = 0; i < v->n_props; i++) {
		bool found = false;

		for (p = sx_child(list, "Property"); p && !found;
		     p = sx_next(p, "Property")) {
			char *name = sx_attr(p, "name");

			found = name && strcmp(name, v->props[i].name) == 0;
			free(name);
		}
		if (!found) {
			p = sx_add(list, "Property");
			sx_set(p, "name", v->props[i].name);
			sx_set(p, "value", v->props[i].value);
		}
	}
}

void
machine_vrde_write(struct settings_machine *m)
{
	struct settings_vrde *v = &m->vrde, *o = &machine_priv(m)->orig.vrde;
	bool props = machine_vrde_props_differ(v, o);
	xmlNodePtr rd;

	if (v->enabled == o->enabled && v->auth_type == o->auth_type &&
	    v->auth_timeout_ms == o->auth_timeout_ms &&
	    v->allow_multi_connection == o->allow_multi_connection &&
	    v->reuse_single_connection == o->reuse_single_connection &&
	    !machine_vrde_str_differs(v->auth_library, o->auth_library) &&
	    !machine_vrde_str_differs(v->ext_pack, o->ext_pack) && !props)
		return;
	rd = sx_child(machine_hardware(m, true), "RemoteDisplay");
	if (!rd) {
		rd = sx_add(machine_hardware(m, true), "RemoteDisplay");
		sx_set_bool(rd, "enabled", v->enabled);
	}
	if (v->enabled != o->enabled)
		sx_set_bool(rd, "enabled", v->enabled);
	if (v->auth_type != o->auth_type)
		sx_set(rd, "authType",
		       machine_vrde_auth_names[v->auth_type % 3]);
	if (v->auth_timeout_ms != o->auth_timeout_ms)
		sx_set_u32(rd, "authTimeout", v->auth_timeout_ms);
	if (v->allow_multi_connection != o->allow_multi_connection)
		sx_set_bool(rd, "allowMultiConnection",
			    v->allow_multi_connection);
	if (v->reuse_single_connection != o->reuse_single_connection)
		sx_set_bool(rd, "reuseSingleConnection",
			    v->reuse_single_connection);
	if (machine_vrde_str_differs(v->auth_library, o->auth_library))
		sx_set(rd, "authLibrary", v->auth_library);
	if (machine_vrde_str_differs(v->ext_pack, o->ext_pack))
		sx_set(rd, "VRDEExtPack", v->ext_pack);
	if (props)
		machine_vrde_write_props(rd, v);
}

const char *
settings_vrde_get_property(const struct settings_machine *m, const char *name)
{
	struct settings_property *p = machine_vrde_find(&m->vrde, name);

	return p ? p->value : NULL;
}

int
settings_vrde_set_property(struct settings_machine *m, const char *name,
			   const char *value)
{
	if (!name || !*name)
		return -EINVAL;
	return machine_vrde_put(&m->vrde, name, value);
}

const char *
settings_vrde_ext_pack(const struct settings_machine *m, const char *global)
{
	if (m->vrde.ext_pack && m->vrde.ext_pack[0])
		return m->vrde.ext_pack;
	return global && global[0] ? global : "RDP";
}

const char *
settings_vrde_module(const char *name)
{
	if (!name || !name[0] || !strcasecmp(name, "RDP") ||
	    !strcmp(name, "Oracle VM VirtualBox Extension Pack") ||
	    !strcmp(name, "Oracle VirtualBox Extension Pack"))
		return "rdp";
	if (!strcasecmp(name, "VNC"))
		return "vnc";
	return name;
}
