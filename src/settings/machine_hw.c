/*
 * machine_hw.c - the list-shaped parts of <Hardware>: boot order, network
 * adapters with NAT port forwards (USB: machine_usb.c).
 *
 * These are read-only views re-derived from the tree after every edit;
 * the setters edit the tree directly, so whatever vireo does not model
 * inside those elements (DNS, aliases, other attachment kinds kept in
 * <DisabledModes>) stays where it was.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings_priv.h"

static const char *const boot_names[] = {"None", "Floppy", "DVD", "HardDisk",
					 "Network"};

/* Attachment elements of <Adapter>, indexed by settings_nic_attachment. */
static const char *const nic_modes[] = {NULL,
					"NAT",
					"BridgedInterface",
					"InternalNetwork",
					"HostOnlyInterface",
					"GenericInterface",
					"NATNetwork"};
#define NIC_MODES (sizeof(nic_modes) / sizeof(nic_modes[0]))

const char *
settings_boot_device_name(enum settings_boot_device dev)
{
	return (unsigned)dev < 5 ? boot_names[dev] : "None";
}

static void
boot_parse(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr boot = sx_child(machine_hardware(m, false), "Boot");
	static const enum settings_boot_device def[] = {
	    SETTINGS_BOOTDEV_FLOPPY, SETTINGS_BOOTDEV_DVD,
	    SETTINGS_BOOTDEV_HARDDISK, SETTINGS_BOOTDEV_NONE};

	memcpy(p->boot, def, sizeof(def));
	if (!boot)
		return;
	for (int i = 0; i < SETTINGS_BOOT_POSITIONS; i++)
		p->boot[i] = SETTINGS_BOOTDEV_NONE;
	for (xmlNodePtr o = sx_child(boot, "Order"); o;
	     o = sx_next(o, "Order")) {
		uint32_t pos = sx_attr_u32(c, o, "position", 0);
		char *dev = sx_attr(o, "device");
		int found = -1;

		for (int i = 0; dev && i < 5; i++)
			if (strcasecmp(dev, boot_names[i]) == 0)
				found = i;
		if (pos < 1 || pos > SETTINGS_BOOT_POSITIONS || found < 0)
			sx_fail(c, o, -EINVAL, "invalid boot <Order>");
		else
			p->boot[pos - 1] = (enum settings_boot_device)found;
		free(dev);
	}
}

void
settings_machine_boot_order(const struct settings_machine *m,
			    enum settings_boot_device *order)
{
	memcpy(order, machine_priv(m)->boot, sizeof(machine_priv(m)->boot));
}

int
settings_machine_set_boot_order(struct settings_machine *m, unsigned position,
				enum settings_boot_device dev)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr hw, boot, o;

	if (position < 1 || position > SETTINGS_BOOT_POSITIONS ||
	    (unsigned)dev > SETTINGS_BOOTDEV_NETWORK)
		return -EINVAL;
	hw = machine_hardware(m, true);
	boot = sx_child(hw, "Boot");
	if (!boot) {
		/* VirtualBox writes all four positions */
		boot = sx_add(hw, "Boot");
		for (unsigned i = 0; i < SETTINGS_BOOT_POSITIONS; i++) {
			o = sx_add(boot, "Order");
			sx_set_u32(o, "position", i + 1);
			sx_set(o, "device", boot_names[p->boot[i]]);
		}
	}
	for (o = sx_child(boot, "Order"); o; o = sx_next(o, "Order")) {
		char *pos = sx_attr(o, "position");
		bool hit = pos && strtoul(pos, NULL, 10) == position;

		free(pos);
		if (hit)
			break;
	}
	if (!o) {
		o = sx_add(boot, "Order");
		sx_set_u32(o, "position", position);
	}
	sx_set(o, "device", boot_names[dev]);
	p->boot[position - 1] = dev;
	return 0;
}

static void
nic_free(struct settings_nic *n)
{
	free(n->adapter_type);
	free(n->mac);
	for (size_t i = 0; i < n->n_forwards; i++) {
		free(n->forwards[i].name);
		free(n->forwards[i].proto);
		free(n->forwards[i].host_ip);
		free(n->forwards[i].guest_ip);
	}
	free(n->forwards);
}

static int
nic_parse_forwards(struct settings_nic *n, xmlNodePtr nat, struct sx_ctx *c)
{
	for (xmlNodePtr f = sx_child(nat, "Forwarding"); f;
	     f = sx_next(f, "Forwarding")) {
		struct settings_port_forward *v, *nv;
		uint32_t hp = sx_attr_u32(c, f, "hostport", 0);
		uint32_t gp = sx_attr_u32(c, f, "guestport", 0);

		if (hp > 65535 || gp > 65535) {
			sx_fail(c, f, -EINVAL, "port number above 65535");
			return c->rc;
		}
		nv = realloc(n->forwards, (n->n_forwards + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		n->forwards = nv;
		v = &nv[n->n_forwards++];
		v->name = sx_attr(f, "name");
		v->proto =
		    strdup(sx_attr_u32(c, f, "proto", 1) ? "tcp" : "udp");
		v->host_ip = sx_attr(f, "hostip");
		v->guest_ip = sx_attr(f, "guestip");
		if (!v->name)
			v->name = strdup("");
		if (!v->host_ip)
			v->host_ip = strdup("");
		if (!v->guest_ip)
			v->guest_ip = strdup("");
		v->host_port = (uint16_t)hp;
		v->guest_port = (uint16_t)gp;
	}
	return 0;
}

static int
nic_parse_one(struct settings_nic *n, xmlNodePtr a, struct sx_ctx *c)
{
	memset(n, 0, sizeof(*n));
	n->slot = sx_attr_u32(c, a, "slot", 0);
	n->enabled = sx_attr_bool(c, a, "enabled", false);
	n->cable = sx_attr_bool(c, a, "cable", true);
	n->adapter_type = sx_attr(a, "type");
	if (!n->adapter_type)
		n->adapter_type = strdup("Am79C973");
	n->mac = sx_attr(a, "MACAddress");
	n->attachment = SETTINGS_NIC_NULL;
	for (size_t i = 1; i < NIC_MODES; i++) {
		xmlNodePtr mode = sx_child(a, nic_modes[i]);

		if (mode) {
			n->attachment = (enum settings_nic_attachment)i;
			if (i == SETTINGS_NIC_NAT)
				return nic_parse_forwards(n, mode, c);
			break;
		}
	}
	return 0;
}

static int
nics_parse(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr net = sx_child(machine_hardware(m, false), "Network");

	for (xmlNodePtr a = sx_child(net, "Adapter"); a;
	     a = sx_next(a, "Adapter")) {
		struct settings_nic *nv;
		int rc;

		nv = realloc(p->nics, (p->n_nics + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->nics = nv;
		rc = nic_parse_one(&nv[p->n_nics], a, c);
		p->n_nics++;
		if (rc)
			return rc;
	}
	return 0;
}

size_t
settings_machine_nics(const struct settings_machine *m,
		      const struct settings_nic **nics)
{
	*nics = machine_priv(m)->nics;
	return machine_priv(m)->n_nics;
}

static xmlNodePtr
nic_adapter(struct settings_machine *m, uint32_t slot, bool create)
{
	xmlNodePtr net = sx_child(machine_hardware(m, create), "Network"), a;
	char mac[13];
	uint8_t rnd[3];

	for (a = sx_child(net, "Adapter"); a; a = sx_next(a, "Adapter")) {
		char *s = sx_attr(a, "slot");
		bool hit = s && strtoul(s, NULL, 10) == slot;

		free(s);
		if (hit)
			return a;
	}
	if (!create)
		return NULL;
	if (!net)
		net = sx_add(machine_hardware(m, true), "Network");
	a = sx_add(net, "Adapter");
	sx_set_u32(a, "slot", slot);
	sx_set(a, "enabled", "false");
	/* VirtualBox's OUI 08:00:27, random low half */
	settings_random_bytes(rnd, sizeof(rnd));
	snprintf(mac, sizeof(mac), "080027%02X%02X%02X", rnd[0], rnd[1],
		 rnd[2]);
	sx_set(a, "MACAddress", mac);
	sx_set(a, "cable", "true");
	sx_set(a, "type", "82540EM");
	return a;
}

/* Park the current attachment in <DisabledModes> (VirtualBox keeps the
 * inactive ones there) and bring back @want from there if present. */
static xmlNodePtr
nic_switch_mode(xmlNodePtr a, const char *want)
{
	xmlNodePtr dis = sx_child(a, "DisabledModes"), cur, back = NULL;

	for (size_t i = 1; i < NIC_MODES; i++) {
		cur = sx_child(a, nic_modes[i]);
		if (!cur || (want && strcmp(nic_modes[i], want) == 0))
			continue;
		if (!dis)
			dis = sx_add(a, "DisabledModes");
		sx_move(cur, dis);
	}
	if (!want)
		return NULL;
	if ((cur = sx_child(a, want)))
		return cur;
	if ((back = sx_child(dis, want))) {
		sx_move(back, a);
		return back;
	}
	return sx_add(a, want);
}

int
settings_machine_set_nic(struct settings_machine *m, uint32_t slot,
			 const char *kind)
{
	struct sx_ctx c = {.path = m->path};
	xmlNodePtr a;

	if (slot > 35)
		return -EINVAL;
	if (strcmp(kind, "none") == 0) {
		a = nic_adapter(m, slot, false);
		if (a)
			sx_set(a, "enabled", "false");
	} else if (strcmp(kind, "null") == 0 || strcmp(kind, "nat") == 0) {
		a = nic_adapter(m, slot, true);
		sx_set(a, "enabled", "true");
		nic_switch_mode(a, strcmp(kind, "nat") == 0 ? "NAT" : NULL);
	} else {
		return -EINVAL;
	}
	return machine_reparse(m, &c);
}

static bool
pf_same_name(xmlNodePtr f, const char *name)
{
	char *n = sx_attr(f, "name");
	bool same = n && strcmp(n, name) == 0;

	free(n);
	return same;
}

int
settings_machine_set_port_forward(struct settings_machine *m, uint32_t slot,
				  const struct settings_port_forward *pf,
				  bool remove)
{
	struct sx_ctx c = {.path = m->path};
	xmlNodePtr a = nic_adapter(m, slot, false), nat, f;

	nat = sx_child(a, "NAT");
	if (!nat)
		return -ENOENT;
	for (f = sx_child(nat, "Forwarding"); f; f = sx_next(f, "Forwarding"))
		if (pf_same_name(f, pf->name))
			break;
	if (remove) {
		if (!f)
			return -ENOENT;
		sx_remove(f);
		return machine_reparse(m, &c);
	}
	if (f)
		return -EEXIST;
	f = sx_add(nat, "Forwarding");
	sx_set(f, "name", pf->name);
	sx_set(f, "proto", strcasecmp(pf->proto, "udp") == 0 ? "0" : "1");
	if (pf->host_ip && *pf->host_ip)
		sx_set(f, "hostip", pf->host_ip);
	sx_set_u32(f, "hostport", pf->host_port);
	if (pf->guest_ip && *pf->guest_ip)
		sx_set(f, "guestip", pf->guest_ip);
	sx_set_u32(f, "guestport", pf->guest_port);
	return machine_reparse(m, &c);
}

static void
storage_free_views(struct settings_machine_priv *p)
{
	for (size_t i = 0; i < p->n_ctls; i++) {
		free(p->ctls[i].name);
		free(p->ctls[i].type);
	}
	free(p->ctls);
	for (size_t i = 0; i < p->n_atts; i++) {
		free(p->atts[i].controller);
		free(p->atts[i].type);
		free(p->atts[i].medium_uuid);
		free(p->atts[i].medium_path);
		free(p->atts[i].medium_format);
	}
	free(p->atts);
	p->ctls = NULL;
	p->atts = NULL;
	p->n_ctls = p->n_atts = 0;
}

void
machine_free_views(struct settings_machine_priv *p)
{
	props_free(p->extradata, p->n_extradata);
	p->extradata = NULL;
	p->n_extradata = 0;
	for (size_t i = 0; i < p->n_nics; i++)
		nic_free(&p->nics[i]);
	free(p->nics);
	p->nics = NULL;
	p->n_nics = 0;
	usb_free_views(p);
	storage_free_views(p);
	uart_free_views(p);
}

int
machine_reparse(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	int rc;

	machine_free_views(p);
	rc = extradata_parse(p->machine, &p->extradata, &p->n_extradata);
	if (!rc) {
		boot_parse(m, c);
		rc = nics_parse(m, c);
	}
	if (!rc)
		rc = usb_parse(m, c);
	if (!rc)
		rc = storage_parse(m, c);
	if (!rc)
		rc = uart_parse(m, c);
	if (!rc)
		rc = teleporter_parse(m, c);
	if (rc && !c->rc)
		sx_fail(c, NULL, rc, "%s", strerror(-rc));
	return c->rc;
}
