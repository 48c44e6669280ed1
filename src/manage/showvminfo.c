/*
 * showvminfo.c - `showvminfo <vm> [--machinereadable|--json]`.
 *
 * The information is collected once as key/value pairs with VBoxManage's
 * machine-readable keys, then printed in one of three forms.  For a
 * running VM the control socket's `info` answer supplies the run-time keys
 * (VMState, accelerator, vrdeport, VRDE client keys); without a socket the
 * VM is powered off and vrdeport is -1, as in VBoxManage.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manage.h"

struct kv {
	char *key;
	char *value;
	bool quoted; /* a string ("...") rather than a number */
};

struct kvlist {
	struct kv *v;
	size_t n;
};

static void __attribute__((format(printf, 4, 5)))
kv_add(struct kvlist *l, const char *key, bool quoted, const char *fmt, ...)
{
	struct kv *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	va_list ap;

	if (!nv)
		abort();
	l->v = nv;
	nv[l->n].key = strdup(key);
	nv[l->n].quoted = quoted;
	va_start(ap, fmt);
	if (vasprintf(&nv[l->n].value, fmt, ap) < 0)
		abort();
	va_end(ap);
	l->n++;
}

static void
kv_set(struct kvlist *l, const char *key, bool quoted, const char *value)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key)) {
			free(l->v[i].value);
			l->v[i].value = strdup(value);
			l->v[i].quoted = quoted;
			if (!l->v[i].value)
				abort();
			return;
		}
	kv_add(l, key, quoted, "%s", value);
}

static void
kv_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
}

/* A line from the server: key="value", key=value or the VRDEClients==N
 * quirk (kept verbatim as key "VRDEClients" and value "=N"). */
static void
kv_add_line(const char *line, void *ctx)
{
	struct kvlist *l = ctx;
	const char *eq = strchr(line, '=');
	size_t vl;
	char key[256];

	if (!eq || eq == line || (size_t)(eq - line) >= sizeof(key))
		return;
	snprintf(key, sizeof(key), "%.*s", (int)(eq - line), line);
	vl = strlen(eq + 1);
	if (vl >= 2 && eq[1] == '"' && eq[vl] == '"') {
		char *v = strndup(eq + 2, vl - 2), *o = v;

		for (const char *p = v; *p; p++) { /* undo \" and \\ */
			if (*p == '\\' && p[1])
				p++;
			*o++ = *p;
		}
		*o = '\0';
		kv_add(l, key, true, "%s", v);
		free(v);
	} else {
		kv_add(l, key, false, "%s", eq + 1);
	}
}

static const char *const mg_info_vrde_keys[] = {
    "TCP/Ports",
    "TCP/Address",
    "VideoChannel/Enabled",
    "VideoChannel/Quality",
    "VideoChannel/DownscaleProtection",
    "Client/DisableDisplay",
    "Client/DisableInput",
    "Client/DisableAudio",
    "Client/DisableUSB",
    "Client/DisableClipboard",
    "Client/DisableUpstreamAudio",
    "Client/DisableRDPDR",
    "H3DRedirect/Enabled",
    "Security/Method",
    "Security/ServerCertificate",
    "Security/ServerPrivateKey",
    "Security/CACertificate",
    "Audio/RateCorrectionMode",
    "Audio/LogPath",
};

static const char *
onoff(bool b)
{
	return b ? "on" : "off";
}

static void
mg_info_vrde(struct kvlist *l, const struct settings_machine *m, bool running)
{
	static const char *const auth[] = {"null", "external", "guest"};
	const struct settings_vrde *v = &m->vrde;
	const char *ports = settings_vrde_get_property(m, "TCP/Ports");
	const char *addr = settings_vrde_get_property(m, "TCP/Address");
	const char *vc = settings_vrde_get_property(m, "VideoChannel/Enabled");
	const char *q = settings_vrde_get_property(m, "VideoChannel/Quality");
	bool vc_on = vc && (!strcmp(vc, "true") || !strcmp(vc, "1"));

	struct settings_registry *r = NULL;
	const char *pack, *mod;

	kv_add(l, "vrde", true, "%s", onoff(v->enabled));
	if (!v->enabled)
		return;
	/* which module serves: the VM's pack, else the global one */
	if (manage_open_registry(false, &r))
		r = NULL;
	pack = settings_vrde_ext_pack(m, r ? settings_registry_vrde_ext_pack(r)
					   : NULL);
	mod = settings_vrde_module(pack);
	kv_add(l, "vrdeextpack", true, "%s", pack);
	kv_add(l, "vireo-vrde-module", true, "vireo-vrde-%s.so", mod);
	if (r)
		settings_registry_free(r);
	if (!running) {
		char fp[128];

		kv_add(l, "vrdeport", false, "-1");
		/* a running VM reports the certificate it actually serves */
		if (manage_cert_fingerprint(m, fp, sizeof(fp)) == 0)
			kv_add(l, "VRDECertFingerprint", true, "%s", fp);
	}
	kv_add(l, "vrdeports", true, "%s",
	       ports && strcmp(ports, "0") && strcmp(ports, "default") ? ports
	       : strcmp(mod, "vnc")				       ? "3389"
				    : "5900");
	kv_add(l, "vrdeaddress", true, "%s", addr ? addr : "");
	kv_add(l, "vrdeauthtype", true, "%s", auth[v->auth_type % 3]);
	kv_add(l, "vrdemulticon", true, "%s", onoff(v->allow_multi_connection));
	kv_add(l, "vrdereusecon", true, "%s",
	       onoff(v->reuse_single_connection));
	kv_add(l, "vrdevideochannel", true, "%s", onoff(vc_on));
	if (vc_on)
		kv_add(l, "vrdevideochannelquality", true, "%s", q ? q : "75");
	for (size_t i = 0;
	     i < sizeof(mg_info_vrde_keys) / sizeof(*mg_info_vrde_keys); i++) {
		const char *p =
		    settings_vrde_get_property(m, mg_info_vrde_keys[i]);
		char key[80];

		snprintf(key, sizeof(key), "vrdeproperty[%s]",
			 mg_info_vrde_keys[i]);
		if (p)
			kv_add(l, key, true, "%s", p);
		else
			kv_add(l, key, false, "<not set>");
	}
}

static void
mg_info_boot_net(struct kvlist *l, const struct settings_machine *m)
{
	static const char *const boot[] = {"none", "floppy", "dvd", "disk",
					   "net"};
	static const char *const att[] = {"null",      "nat",	   "bridged",
					  "intnet",    "hostonly", "generic",
					  "natnetwork"};
	enum settings_boot_device order[SETTINGS_BOOT_POSITIONS];
	const struct settings_nic *nics;
	size_t n = settings_machine_nics(m, &nics);
	char key[64];

	settings_machine_boot_order(m, order);
	for (int i = 0; i < SETTINGS_BOOT_POSITIONS; i++) {
		snprintf(key, sizeof(key), "boot%d", i + 1);
		kv_add(l, key, true, "%s", boot[order[i] % 5]);
	}
	for (size_t i = 0; i < n; i++) {
		const struct settings_nic *c = &nics[i];
		unsigned s = c->slot + 1;

		snprintf(key, sizeof(key), "nic%u", s);
		kv_add(l, key, true, "%s",
		       c->enabled ? att[c->attachment % 7] : "none");
		if (!c->enabled)
			continue;
		snprintf(key, sizeof(key), "nictype%u", s);
		kv_add(l, key, true, "%s", c->adapter_type);
		snprintf(key, sizeof(key), "macaddress%u", s);
		kv_add(l, key, true, "%s", c->mac ? c->mac : "");
		snprintf(key, sizeof(key), "cableconnected%u", s);
		kv_add(l, key, true, "%s", onoff(c->cable));
		for (size_t k = 0; k < c->n_forwards; k++) {
			const struct settings_port_forward *f = &c->forwards[k];

			snprintf(key, sizeof(key), "Forwarding(%zu)", k);
			kv_add(l, key, true, "%s,%s,%s,%u,%s,%u", f->name,
			       f->proto, f->host_ip, f->host_port, f->guest_ip,
			       f->guest_port);
		}
	}
}

static void
mg_info_storage(struct kvlist *l, const struct settings_machine *m)
{
	const struct settings_controller *c;
	const struct settings_attachment *a;
	size_t nc = settings_machine_controllers(m, &c);
	size_t na = settings_machine_attachments(m, &a);
	char key[300];

	for (size_t i = 0; i < nc; i++) {
		snprintf(key, sizeof(key), "storagecontrollername%zu", i);
		kv_add(l, key, true, "%s", c[i].name);
		snprintf(key, sizeof(key), "storagecontrollertype%zu", i);
		kv_add(l, key, true, "%s", c[i].type ? c[i].type : "");
		snprintf(key, sizeof(key), "storagecontrollerportcount%zu", i);
		kv_add(l, key, true, "%u", c[i].port_count);
		snprintf(key, sizeof(key), "storagecontrollerbootable%zu", i);
		kv_add(l, key, true, "%s", onoff(c[i].bootable));
	}
	for (size_t i = 0; i < na; i++) {
		snprintf(key, sizeof(key), "%s-%d-%d", a[i].controller,
			 a[i].port, a[i].device);
		kv_add(l, key, true, "%s",
		       a[i].medium_path	  ? a[i].medium_path
		       : a[i].medium_uuid ? a[i].medium_uuid
					  : "emptydrive");
		if (a[i].medium_uuid) {
			snprintf(key, sizeof(key), "%s-ImageUUID-%d-%d",
				 a[i].controller, a[i].port, a[i].device);
			kv_add(l, key, true, "%.36s", a[i].medium_uuid + 1);
		}
	}
}

/* VBoxManage's hidpointing values */
static const char *
mg_hid_name(const struct settings_machine *m)
{
	static const char *const names[] = {
	    "none",	  "ps2mouse",	   "usbmouse",		"usbtablet",
	    "combomouse", "usbmultitouch", "usbmtscreenpluspad"};
	unsigned t = (unsigned)settings_machine_pointing(m);

	return t < sizeof(names) / sizeof(*names) ? names[t] : "ps2mouse";
}

static void
mg_info_usb(struct kvlist *l, const struct settings_machine *m)
{
	const struct settings_usb_controller *c;
	const struct settings_usb_filter *f;
	size_t nc = settings_machine_usb_controllers(m, &c);
	size_t nf = settings_machine_usb_filters(m, &f);
	bool ohci = false, ehci = false, xhci = false;
	char key[64];

	for (size_t i = 0; i < nc; i++) {
		ohci |= !strcmp(c[i].type, "OHCI");
		ehci |= !strcmp(c[i].type, "EHCI");
		xhci |= !strcmp(c[i].type, "XHCI");
	}
	kv_add(l, "hidpointing", true, "%s", mg_hid_name(m));
	kv_add(l, "usb", true, "%s", onoff(ohci));
	kv_add(l, "ehci", true, "%s", onoff(ehci));
	kv_add(l, "xhci", true, "%s", onoff(xhci));
	for (size_t i = 0; i < nf; i++) {
		const struct {
			const char *k, *v;
		} fields[] = {
		    {"USBFilterName", f[i].name},
		    {"USBFilterVendorId", f[i].vendor_id},
		    {"USBFilterProductId", f[i].product_id},
		    {"USBFilterRevision", f[i].revision},
		    {"USBFilterManufacturer", f[i].manufacturer},
		    {"USBFilterProduct", f[i].product},
		    {"USBFilterRemote", f[i].remote},
		    {"USBFilterSerialNumber", f[i].serial_number},
		};

		snprintf(key, sizeof(key), "USBFilterActive%zu", i + 1);
		kv_add(l, key, true, "%s", onoff(f[i].active));
		for (size_t k = 0; k < sizeof(fields) / sizeof(*fields); k++) {
			snprintf(key, sizeof(key), "%s%zu", fields[k].k, i + 1);
			kv_add(l, key, true, "%s",
			       fields[k].v ? fields[k].v : "");
		}
	}
}

/* A VM that is not running but has a state file is "saved". */
static bool
mg_info_saved(const struct settings_machine *m)
{
	char *f = settings_machine_state_file(m);
	bool saved = f != NULL;

	free(f);
	return saved;
}

/* VBoxManage's keys: uart1="0x03f8,4" or "off", uartmode1="disconnected",
 * "file,PATH", "server,PATH", "client,PATH", "tcpserver,PORT",
 * "tcpclient,HOST:PORT" or the device path, uarttype1="16550A". */
static void
mg_info_uart(struct kvlist *l, const struct settings_machine *m)
{
	char key[32];

	for (uint32_t slot = 0; slot < 2; slot++) {
		const struct settings_uart *u = settings_machine_uart(m, slot);
		unsigned n = slot + 1;

		snprintf(key, sizeof(key), "uart%u", n);
		if (!u || !u->enabled) {
			kv_add(l, key, true, "off");
			continue;
		}
		kv_add(l, key, true, "%#06x,%u", u->io_base, u->irq);
		snprintf(key, sizeof(key), "uartmode%u", n);
		switch (u->mode) {
		case SETTINGS_UART_FILE:
			kv_add(l, key, true, "file,%s", u->path);
			break;
		case SETTINGS_UART_PIPE:
			kv_add(l, key, true, "%s,%s",
			       u->server ? "server" : "client", u->path);
			break;
		case SETTINGS_UART_TCP:
			kv_add(l, key, true, "%s,%s",
			       u->server ? "tcpserver" : "tcpclient", u->path);
			break;
		case SETTINGS_UART_DEVICE:
			kv_add(l, key, true, "%s", u->path);
			break;
		default:
			kv_add(l, key, true, "disconnected");
			break;
		}
		snprintf(key, sizeof(key), "uarttype%u", n);
		kv_add(l, key, true, "%s", settings_uart_type_name(u->type));
	}
}

/* VBoxManage's keys, the password as its stored hash (as VBoxManage
 * shows it); vireo adds the fingerprint of the certificate the target
 * presents (the VM's, shared with its RDP server) for the source's
 * --fingerprint.  A running VM reports the one it serves. */
static void
mg_info_teleporter(struct kvlist *l, const struct settings_machine *m,
		   bool running)
{
	struct settings_teleporter t;
	char fp[128];

	if (settings_machine_teleporter(m, &t))
		return;
	kv_add(l, "teleporterenabled", true, "%s", onoff(t.enabled));
	kv_add(l, "teleporterport", false, "%u", t.port);
	kv_add(l, "teleporteraddress", true, "%s", t.address);
	kv_add(l, "teleporterpassword", true, "%s", t.password);
	if (!running && t.enabled &&
	    manage_cert_fingerprint(m, fp, sizeof(fp)) == 0)
		kv_add(l, "teleporterfingerprint", true, "%s", fp);
	settings_teleporter_free(&t);
}

static void
mg_info_collect(struct kvlist *l, const struct settings_machine *m,
		bool running)
{
	kv_add(l, "name", true, "%s", m->name);
	kv_add(l, "ostype", true, "%s", m->ostype ? m->ostype : "Other");
	kv_add(l, "UUID", true, "%.36s", m->uuid + 1);
	kv_add(l, "CfgFile", true, "%s", m->path);
	kv_add(l, "memory", false, "%u", m->ram_mb);
	kv_add(l, "vram", false, "%u", m->vram_mb);
	kv_add(l, "cpus", false, "%u", m->cpus);
	kv_add(l, "hwvirtex", true, "%s", onoff(settings_machine_hwvirtex(m)));
	kv_add(l, "monitorcount", false, "%u", m->monitor_count);
	kv_add(l, "graphicscontroller", true, "%s", m->graphics_controller);
	mg_info_boot_net(l, m);
	mg_info_storage(l, m);
	mg_info_usb(l, m);
	mg_info_uart(l, m);
	if (!running)
		kv_add(l, "VMState", true, "%s",
		       mg_info_saved(m) ? "saved" : "poweroff");
	mg_info_vrde(l, m, running);
	mg_info_teleporter(l, m, running);
	kv_add(l, "vireo-boot-source", true, "%s",
	       settings_machine_boot_kind(m) == SETTINGS_BOOT_LINUX
		   ? "linux"
		   : "testcard");
}

static void
print_escaped(FILE *f, const char *s, bool json)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (json && (unsigned char)*s < 0x20) {
			fprintf(f, "\\u%04x", *s);
			continue;
		}
		fputc(*s, f);
	}
}

static void
print_machine(const struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *k = l->v[i].key;

		/* VBoxManage quotes the storage keys ("SATA-0-0"), whose
		 * controller part may hold any character */
		if (strchr(k, '-') && strncmp(k, "vrdeproperty[", 13)) {
			putchar('"');
			print_escaped(stdout, k, false);
			fputs("\"=", stdout);
		} else {
			printf("%s=", k);
		}
		if (l->v[i].quoted) {
			putchar('"');
			print_escaped(stdout, l->v[i].value, false);
			putchar('"');
		} else {
			fputs(l->v[i].value, stdout);
		}
		putchar('\n');
	}
}

static bool
is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void
print_json(const struct kvlist *l)
{
	puts("{");
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->v[i].value;

		if (!l->v[i].quoted && v[0] == '=')
			v++; /* VRDEClients==N */
		fputs("  \"", stdout);
		print_escaped(stdout, l->v[i].key, true);
		fputs("\": ", stdout);
		if (!l->v[i].quoted && is_number(v)) {
			fputs(v, stdout);
		} else if (!l->v[i].quoted && !strcmp(v, "<not set>")) {
			fputs("null", stdout);
		} else {
			putchar('"');
			print_escaped(stdout, v, true);
			putchar('"');
		}
		puts(i + 1 < l->n ? "," : "");
	}
	puts("}");
}

static const char *
kv_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return l->v[i].value;
	return NULL;
}

/* A running VM's remote USB devices (the control socket's USBAttach*
 * keys), under VBoxManage's heading. */
static void
print_human_usb_attached(const struct kvlist *l)
{
	static const struct {
		const char *label, *key;
	} fk[] = {
	    {"VendorId:", "USBAttachVendorId"},
	    {"ProductId:", "USBAttachProductId"},
	    {"Revision:", "USBAttachRevision"},
	    {"Manufacturer:", "USBAttachManufacturer"},
	    {"Product:", "USBAttachProduct"},
	    {"SerialNumber:", "USBAttachSerialNumber"},
	    {"Remote:", "USBAttachRemote"},
	};
	char key[64];
	size_t n;

	snprintf(key, sizeof(key), "USBAttachVendorId1");
	if (!kv_get(l, key))
		return;
	printf("Currently attached USB devices:\n\n");
	for (n = 1;; n++) {
		snprintf(key, sizeof(key), "USBAttachVendorId%zu", n);
		if (!kv_get(l, key))
			break;
		for (size_t k = 0; k < sizeof(fk) / sizeof(*fk); k++) {
			const char *v;

			snprintf(key, sizeof(key), "%s%zu", fk[k].key, n);
			v = kv_get(l, key);
			printf("%-24s%s\n", fk[k].label, v ? v : "");
		}
		putchar('\n');
	}
}

/* As VBoxManage prints them: the pointing device, the three controller
 * kinds, then each filter as "Label: value" lines. */
static void
print_human_usb(const struct kvlist *l, const struct settings_machine *m)
{
	static const char *const ptr[] = {"None",
					  "PS/2 Mouse",
					  "USB Mouse",
					  "USB Tablet",
					  "PS/2 and USB Mouse",
					  "USB Multi-Touch",
					  "USB Multi-Touch Screen + Touchpad"};
	static const struct {
		const char *label, *key;
	} fk[] = {
	    {"Name:", "USBFilterName"},
	    {"VendorId:", "USBFilterVendorId"},
	    {"ProductId:", "USBFilterProductId"},
	    {"Revision:", "USBFilterRevision"},
	    {"Manufacturer:", "USBFilterManufacturer"},
	    {"Product:", "USBFilterProduct"},
	    {"Remote:", "USBFilterRemote"},
	    {"Serial Number:", "USBFilterSerialNumber"},
	};
	const struct settings_usb_filter *f;
	size_t nf = settings_machine_usb_filters(m, &f);
	unsigned t = (unsigned)settings_machine_pointing(m);
	char key[64];

	printf("%-24s%s\n", "Pointing Device:", ptr[t % 7]);
	printf("%-24s%s\n", "OHCI USB:",
	       !strcmp(kv_get(l, "usb"), "on") ? "enabled" : "disabled");
	printf("%-24s%s\n", "EHCI USB:",
	       !strcmp(kv_get(l, "ehci"), "on") ? "enabled" : "disabled");
	printf("%-24s%s\n", "xHCI USB:",
	       !strcmp(kv_get(l, "xhci"), "on") ? "enabled" : "disabled");
	printf("\nUSB Device Filters:\n\n");
	if (!nf)
		printf("<none>\n\n");
	for (size_t i = 0; i < nf; i++) {
		printf("%-24s%zu\n", "Index:", i);
		printf("%-24s%s\n", "Active:", f[i].active ? "yes" : "no");
		for (size_t k = 0; k < sizeof(fk) / sizeof(*fk); k++) {
			snprintf(key, sizeof(key), "%s%zu", fk[k].key, i + 1);
			printf("%-24s%s\n", fk[k].label, kv_get(l, key));
		}
		putchar('\n');
	}
	print_human_usb_attached(l);
}

static void
print_human(const struct kvlist *l, const struct settings_machine *m)
{
	const char *state = kv_get(l, "VMState");

	printf("%-24s%s\n", "Name:", m->name);
	printf("%-24s%s\n", "Guest OS:", m->ostype ? m->ostype : "Other");
	printf("%-24s%.36s\n", "UUID:", m->uuid + 1);
	printf("%-24s%s\n", "Config file:", m->path);
	printf("%-24s%uMB\n", "Memory size:", m->ram_mb);
	printf("%-24s%uMB\n", "VRAM size:", m->vram_mb);
	printf("%-24s%u\n", "Number of CPUs:", m->cpus);
	printf("%-24s%u\n", "Monitor count:", m->monitor_count);
	printf("%-24s%s\n", "Graphics Controller:", m->graphics_controller);
	printf("%-24s%s\n",
	       "Hardw. virt.ext:", onoff(settings_machine_hwvirtex(m)));
	printf("%-24s%s\n", "State:", state ? state : "poweroff");
	/* a running VM's server says which CPU it really got */
	if (kv_get(l, "accelerator"))
		printf("%-24s%s\n", "Accelerator:", kv_get(l, "accelerator"));
	if (m->vrde.enabled)
		printf("%-24senabled (Address %s, Ports %s, MultiConn: %s, "
		       "ReuseSingleConn: %s, Authentication type: %s)\n",
		       "VRDE:",
		       *kv_get(l, "vrdeaddress") ? kv_get(l, "vrdeaddress")
						 : "0.0.0.0",
		       kv_get(l, "vrdeports"), kv_get(l, "vrdemulticon"),
		       kv_get(l, "vrdereusecon"), kv_get(l, "vrdeauthtype"));
	else
		printf("%-24sdisabled\n", "VRDE:");
	for (unsigned n = 1; n <= 2; n++) {
		char key[32], label[16];
		const char *v, *mode, *type;

		snprintf(key, sizeof(key), "uart%u", n);
		snprintf(label, sizeof(label), "UART %u:", n);
		v = kv_get(l, key);
		if (!v || !strcmp(v, "off")) {
			printf("%-24sdisabled\n", label);
			continue;
		}
		snprintf(key, sizeof(key), "uartmode%u", n);
		mode = kv_get(l, key);
		snprintf(key, sizeof(key), "uarttype%u", n);
		type = kv_get(l, key);
		printf("%-24sI/O base: %.*s, IRQ: %s, %s, %s\n", label,
		       (int)strcspn(v, ","), v, strchr(v, ',') + 1,
		       mode ? mode : "", type ? type : "");
	}
	print_human_usb(l, m);
	printf("%-24s%s\n", "Teleporter Enabled:",
	       kv_get(l, "teleporterenabled") ? kv_get(l, "teleporterenabled")
					      : "off");
	printf("%-24s%s\n", "Teleporter Port:",
	       kv_get(l, "teleporterport") ? kv_get(l, "teleporterport") : "0");
	printf("%-24s%s\n", "Teleporter Address:",
	       kv_get(l, "teleporteraddress") ? kv_get(l, "teleporteraddress")
					      : "");
	printf("%-24s%s\n", "Teleporter Password:",
	       kv_get(l, "teleporterpassword") ? kv_get(l, "teleporterpassword")
					       : "");
	if (kv_get(l, "teleporterfingerprint"))
		printf("%-24s%s\n", "Teleporter Fingerprint:",
		       kv_get(l, "teleporterfingerprint"));
	if (m->vrde.enabled && kv_get(l, "vrdeextpack"))
		printf("%-24s%s\n",
		       "VRDE Extension Pack:", kv_get(l, "vrdeextpack"));
	for (size_t i = 0; i < l->n; i++) { /* the rest, as key: value */
		const char *k = l->v[i].key;
		char label[300];

		if (!strchr(k, '[') && !strchr(k, '-') &&
		    strncmp(k, "nic", 3) && strncmp(k, "boot", 4) &&
		    strncmp(k, "VRDE", 4))
			continue;
		snprintf(label, sizeof(label), "%s:", k);
		printf("%-23s %s\n", label,
		       l->v[i].value[0] == '=' ? l->v[i].value + 1
					       : l->v[i].value);
	}
}

/* showvminfo's options; SI_HUMAN (no option) is the default form */
enum { SI_HUMAN = 0, SI_MACHINEREADABLE, SI_JSON, SI_DETAILS };

int
cmd_showvminfo(int argc, char **argv)
{
	static const struct manage_opt opts[] = {
	    {SI_MACHINEREADABLE, "--machinereadable", "--machine-readable",
	     false},
	    {SI_JSON, "--json", NULL, false},
	    {SI_DETAILS, "--details", NULL, false},
	    {0},
	};
	struct kvlist l = {0};
	struct settings_machine *m;
	struct manage_scan s;
	const char *vm = NULL, *req[] = {"info"};
	int id, form = SI_HUMAN, rc;

	manage_scan_args(&s, argc, argv, &vm, 1);
	while ((id = manage_scan_next(&s, opts)) > 0)
		if (id != SI_DETAILS) /* accepted, no extra detail */
			form = id;
	if (id == MANAGE_BAD)
		return MANAGE_SYNTAX;
	if (!vm)
		return manage_syntax("usage: showvminfo <vm> "
				     "[--machinereadable|--json]");
	if (manage_open_vm(vm, false, &m))
		return MANAGE_FAIL;
	struct kvlist run = {0};

	/* run-time keys come from the server; no answer = powered off */
	rc = manage_ctl_request(m, req, 1, kv_add_line, &run);
	mg_info_collect(&l, m, rc == 0);
	/* a run-time value replaces the setting's (teleporterport: the port
	 * a target listens on when the settings say 0, any free one) */
	for (size_t i = 0; rc == 0 && i < run.n; i++)
		kv_set(&l, run.v[i].key, run.v[i].quoted, run.v[i].value);
	kv_free(&run);
	if (form == SI_MACHINEREADABLE)
		print_machine(&l);
	else if (form == SI_JSON)
		print_json(&l);
	else
		print_human(&l, m);
	kv_free(&l);
	settings_machine_free(m);
	return MANAGE_OK;
}
