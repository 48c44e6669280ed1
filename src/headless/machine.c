/*
 * machine.c - what vireo-headless takes from the VM's settings: the VMM
 * configuration, the VRDE properties the module asks for, the auth
 * library and ExtraData lookups for it.
 *
 * Properties set with --vrdeproperty or controlvm apply to this run only
 * and are never written back to the .vbox file.
 */
#define LOG_TAG "machine"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headless.h"
#include "log.h"
#include "modpath.h"

#ifndef PKGLIBDIR
#define PKGLIBDIR "/usr/local/lib/vireo"
#endif

#define MACHINE_DEFAULT_CMDLINE "console=ttyS0 nokaslr"

/* The testcard/kernel path: ExtraData, else $VIREO_TESTCARD, else the
 * installed one (conventions.md). */
static const char *
hl_machine_kernel(struct headless *hl, enum vmm_boot_kind boot)
{
	const char *k =
	    settings_machine_get_extradata(hl->m, "vireo/Boot/Kernel");
	const char *env = getenv("VIREO_TESTCARD");

	if (k && k[0])
		return k;
	if (boot == VMM_BOOT_LINUX)
		return NULL;
	if (env && env[0])
		return env;
	return PKGLIBDIR "/testcard.elf";
}

/* "FILE:LINE: " of ExtraData @key (line left out when unknown). */
static void
hl_machine_where(struct headless *hl, const char *key, char *buf, size_t size)
{
	long line = settings_machine_extradata_line(hl->m, key);

	if (line > 0)
		snprintf(buf, size, "%s:%ld", hl->m->path, line);
	else
		snprintf(buf, size, "%s", hl->m->path);
}

/* --accel wins; else HardwareVirtEx on asks for KVM, falling back to the
 * software CPU when /dev/kvm is not usable, and off asks for the
 * software CPU. */
static enum vmm_accel
hl_machine_accel(struct headless *hl)
{
	if (hl->opts.accel_given)
		return hl->opts.accel;
	return settings_machine_hwvirtex(hl->m) ? VMM_ACCEL_AUTO
						: VMM_ACCEL_SOFTWARE;
}

/* USB: the OHCI controller, and the USB tablet when the pointing device
 * is USBTablet (which needs the controller, as in VirtualBox).  EHCI and
 * xHCI (modifyvm refuses them; a file may still have them) and the
 * other USB pointing devices are not emulated: said once, not fatal. */
static int
hl_machine_usb(struct headless *hl, struct vmm_config *cfg, char *err,
	       size_t errsize)
{
	const struct settings_machine *m = hl->m;
	enum settings_pointing pt = settings_machine_pointing(m);

	cfg->usb_ohci = settings_machine_usb_controller(m, "OHCI");
	if (settings_machine_usb_controller(m, "EHCI") ||
	    settings_machine_usb_controller(m, "XHCI"))
		log_warn("%s: EHCI and xHCI USB controllers are not emulated "
			 "(vireo has OHCI); ignored",
			 m->path);
	if (pt == SETTINGS_POINTING_USBTABLET) {
		if (!cfg->usb_ohci) {
			snprintf(err, errsize,
				 "%s: the pointing device is USBTablet but "
				 "the VM has no OHCI USB controller "
				 "(vireo-manage modifyvm --usbohci on)",
				 m->path);
			return -EINVAL;
		}
		cfg->usb_tablet = true;
	} else if (pt != SETTINGS_POINTING_PS2MOUSE &&
		   pt != SETTINGS_POINTING_NONE) {
		log_warn("%s: pointing device %s is not emulated; the guest "
			 "gets the PS/2 mouse",
			 m->path, settings_pointing_name(pt));
	}
	return 0;
}

int
hl_machine_vmm_config(struct headless *hl, struct vmm_config *cfg,
		      char *serial_log, size_t size, char *err, size_t errsize)
{
	const struct settings_machine *m = hl->m;
	const char *src =
	    settings_machine_get_extradata(m, "vireo/Boot/Source");
	const char *cmdline;
	char where[4200];

	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = m->cpus ? m->cpus : 1;
	cfg->ram_bytes = (uint64_t)(m->ram_mb ? m->ram_mb : 128) << 20;
	cfg->heads = m->monitor_count ? m->monitor_count : 1;
	if (cfg->heads > VMM_MAX_HEADS) {
		snprintf(err, errsize,
			 "%s: monitorCount %u is more than the %d screens "
			 "vireo has",
			 m->path, cfg->heads, VMM_MAX_HEADS);
		return -EINVAL;
	}
	cfg->vram_bytes = (uint64_t)(m->vram_mb ? m->vram_mb : 8) << 20;
	hl_machine_where(hl, "vireo/Boot/Source", where, sizeof(where));
	if (!src || !src[0] || strcasecmp(src, "testcard") == 0) {
		cfg->boot = VMM_BOOT_TESTCARD;
	} else if (strcasecmp(src, "linux") == 0) {
		cfg->boot = VMM_BOOT_LINUX;
	} else {
		snprintf(err, errsize,
			 "%s: ExtraData vireo/Boot/Source is '%s'; expected "
			 "testcard or linux",
			 where, src);
		return -EINVAL;
	}
	cfg->kernel = hl_machine_kernel(hl, cfg->boot);
	if (!cfg->kernel) {
		snprintf(err, errsize,
			 "%s: ExtraData vireo/Boot/Source is linux but "
			 "vireo/Boot/Kernel is not set",
			 where);
		return -EINVAL;
	}
	cfg->initrd = settings_machine_get_extradata(m, "vireo/Boot/Initrd");
	cmdline = settings_machine_get_extradata(m, "vireo/Boot/Cmdline");
	cfg->cmdline =
	    cmdline ? cmdline
		    : (cfg->boot == VMM_BOOT_LINUX ? MACHINE_DEFAULT_CMDLINE
						   : NULL);
	if (snprintf(serial_log, size, "%s/Logs/serial.log", m->folder) >=
	    (int)size) {
		snprintf(err, errsize, "%s: machine folder name too long",
			 m->path);
		return -ENAMETOOLONG;
	}
	cfg->serial_log = serial_log;
	/* bhyve's fbuf "wait", released by a viewer that logged on rather
	 * than by any TCP connect */
	hl->wait_for_logon =
	    hl_machine_feature_disabled(hl, "Client/WaitForLogon");
	cfg->start_paused = hl->opts.start_paused || hl->wait_for_logon;
	cfg->accel = hl_machine_accel(hl);
	if (hl_machine_usb(hl, cfg, err, errsize))
		return -EINVAL;
	return hl_serial_vmm_config(hl, cfg, err, errsize);
}

static int
hl_machine_copy(const char *value, char *buf, size_t size)
{
	size_t n = strlen(value);

	if (n >= size)
		return -ENOSPC;
	memcpy(buf, value, n + 1);
	return (int)n;
}

/* This run's override of @name: NULL if none, "" if deleted. */
static const char *
hl_machine_override(struct headless *hl, const char *name)
{
	for (int i = hl->n_props - 1; i >= 0; i--) {
		if (strcmp(hl->props[i].name, name) == 0)
			return hl->props[i].value;
	}
	return NULL;
}

/* The raw VRDE property: override, else settings.  Caller holds lock. */
static const char *
hl_machine_raw_property(struct headless *hl, const char *name)
{
	const char *v = hl_machine_override(hl, name);

	if (!v)
		v = settings_vrde_get_property(hl->m, name);
	return v && v[0] ? v : NULL;
}

static const char *
hl_machine_auth_type_name(enum settings_auth_type t)
{
	switch (t) {
	case SETTINGS_AUTH_EXTERNAL:
		return "External";
	case SETTINGS_AUTH_GUEST:
		return "Guest";
	default:
		return "Null";
	}
}

static int
hl_machine_host_property(struct headless *hl, const char *name, char *buf,
			 size_t size)
{
	char num[32];
	const char *sub = name + strlen("Host/");

	if (strcmp(sub, "MachineFolder") == 0)
		return hl_machine_copy(hl->m->folder, buf, size);
	if (strcmp(sub, "MachineName") == 0)
		return hl_machine_copy(hl->m->name, buf, size);
	if (strcmp(sub, "MachineUUID") == 0)
		return hl_machine_copy(hl->m->uuid, buf, size);
	if (strcmp(sub, "AuthType") == 0)
		return hl_machine_copy(
		    hl_machine_auth_type_name(hl->m->vrde.auth_type), buf,
		    size);
	if (strcmp(sub, "AuthHasNtHashes") == 0)
		return hl_machine_copy(hl->nt_hashes == 1 ? "1" : "0", buf,
				       size);
	if (strcmp(sub, "AuthGrantsAll") == 0)
		return hl_machine_copy(hl->auth_grants_all ? "1" : "0", buf,
				       size);
	if (strcmp(sub, "ScreenCount") == 0) {
		snprintf(num, sizeof(num), "%u", hl->heads);
		return hl_machine_copy(num, buf, size);
	}
	return -ENOENT;
}

/* Client/DisableX falls back to ExtraData VRDE/Feature/Client/DisableX,
 * then VRDP/Feature/..., as VirtualBox does. */
static const char *
hl_machine_client_fallback(struct headless *hl, const char *name)
{
	char key[HEADLESS_STR];
	const char *v;

	snprintf(key, sizeof(key), "VRDE/Feature/%s", name);
	v = settings_machine_get_extradata(hl->m, key);
	if (!v || !v[0]) {
		snprintf(key, sizeof(key), "VRDP/Feature/%s", name);
		v = settings_machine_get_extradata(hl->m, key);
	}
	return v && v[0] ? v : NULL;
}

int
hl_machine_get_property(struct headless *hl, const char *name, char *buf,
			size_t size)
{
	const char *v;
	int rc;

	if (!name)
		return -ENOENT;
	if (strncmp(name, "Host/", 5) == 0)
		return hl_machine_host_property(hl, name, buf, size);
	pthread_mutex_lock(&hl->lock);
	v = hl_machine_raw_property(hl, name);
	if (!v && strncmp(name, "Client/", 7) == 0)
		v = hl_machine_client_fallback(hl, name);
	/* "0", "default" and unset all mean the module's own port: RFB's
	 * 5900 for the VNC module, else RDP's 3389 */
	if (strcmp(name, "TCP/Ports") == 0 &&
	    (!v || strcmp(v, "0") == 0 || strcmp(v, "default") == 0))
		v = hl->vrde_module && !strcmp(hl->vrde_module, "vnc") ? "5900"
								       : "3389";
	rc = v ? hl_machine_copy(v, buf, size) : -ENOENT;
	pthread_mutex_unlock(&hl->lock);
	return rc;
}

int
hl_machine_set_property(struct headless *hl, const char *name,
			const char *value)
{
	struct headless_prop *p;
	char *n = strdup(name), *v = strdup(value ? value : "");

	if (!n || !v || !name[0]) {
		free(n);
		free(v);
		return -EINVAL;
	}
	pthread_mutex_lock(&hl->lock);
	p = realloc(hl->props, (size_t)(hl->n_props + 1) * sizeof(*p));
	if (!p) {
		pthread_mutex_unlock(&hl->lock);
		free(n);
		free(v);
		return -ENOMEM;
	}
	hl->props = p;
	p[hl->n_props].name = n;
	p[hl->n_props].value = v;
	hl->n_props++;
	pthread_mutex_unlock(&hl->lock);
	return 0;
}

bool
hl_machine_feature_disabled(struct headless *hl, const char *feature)
{
	char buf[16];

	return hl_machine_get_property(hl, feature, buf, sizeof(buf)) > 0 &&
	       strcmp(buf, "1") == 0;
}

const char *
hl_machine_auth_library(struct headless *hl)
{
	const char *lib = hl->m->vrde.auth_library;

	if (!lib || !lib[0])
		lib = settings_registry_auth_library(hl->reg);
	if (!lib || !lib[0])
		lib = "pam";
	return modpath_auth_alias(lib);
}

int
hl_machine_get_extradata(void *ctx, const char *key, char *buf, size_t size)
{
	struct headless *hl = ctx;
	const char *v = settings_machine_get_extradata(hl->m, key);

	if (!v && hl->reg)
		v = settings_registry_get_extradata(hl->reg, key);
	if (!v)
		return -ENOENT;
	return hl_machine_copy(v, buf, size);
}
