/*
 * modifyvm.c - `modifyvm <vm> options...`: VBoxManage's option names in
 * both the 6.1 (--vrdeport) and 7.x (--vrde-port) spellings, plus vireo's
 * boot-source options.  Every option is checked and applied to the
 * in-memory settings first; the file is saved only when all of them were
 * valid, so a bad value leaves it untouched.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manage.h"

enum {
	MV_NAME = 1,
	MV_OSTYPE,
	MV_MEMORY,
	MV_CPUS,
	MV_HWVIRTEX,
	MV_VRAM,
	MV_MONITORS,
	MV_GRAPHICS,
	MV_BOOT,
	MV_NIC,
	MV_NATPF,
	MV_VRDE,
	MV_VRDEPORT,
	MV_VRDEADDRESS,
	MV_VRDEAUTHTYPE,
	MV_VRDEAUTHLIB,
	MV_VRDEMULTICON,
	MV_VRDEREUSECON,
	MV_VRDEVIDEO,
	MV_VRDEVIDEOQ,
	MV_VRDEPROP,
	MV_VRDEEXTPACK,
	MV_BOOTSOURCE,
	MV_KERNEL,
	MV_INITRD,
	MV_CMDLINE,
	MV_UART,
	MV_UARTMODE,
	MV_UARTTYPE,
	MV_USBOHCI,
	MV_USBEHCI,
	MV_USBXHCI,
	MV_MOUSE,
	MV_TELEPORTER,
	MV_TPPORT,
	MV_TPADDRESS,
	MV_TPPASSWORD,
	MV_TPPASSFILE,
	MV_AUTOSTOP,
};

static const struct manage_opt modifyvm_opts[] = {
    {MV_NAME, "--name", NULL, true},
    {MV_OSTYPE, "--ostype", "--os-type", true},
    {MV_MEMORY, "--memory", NULL, true},
    {MV_CPUS, "--cpus", NULL, true},
    {MV_HWVIRTEX, "--hwvirtex", NULL, true},
    {MV_VRAM, "--vram", NULL, true},
    {MV_MONITORS, "--monitorcount", "--monitor-count", true},
    {MV_GRAPHICS, "--graphicscontroller", "--graphics-controller", true},
    {MV_BOOT, "--boot", NULL, true, true},
    {MV_NIC, "--nic", NULL, true, true},
    {MV_NATPF, "--natpf", "--nat-pf", true, true},
    {MV_VRDE, "--vrde", NULL, true},
    {MV_VRDEPORT, "--vrdeport", "--vrde-port", true},
    {MV_VRDEADDRESS, "--vrdeaddress", "--vrde-address", true},
    {MV_VRDEAUTHTYPE, "--vrdeauthtype", "--vrde-auth-type", true},
    {MV_VRDEAUTHLIB, "--vrdeauthlibrary", "--vrde-auth-library", true},
    {MV_VRDEMULTICON, "--vrdemulticon", "--vrde-multi-con", true},
    {MV_VRDEREUSECON, "--vrdereusecon", "--vrde-reuse-con", true},
    {MV_VRDEVIDEO, "--vrdevideochannel", "--vrde-video-channel", true},
    {MV_VRDEVIDEOQ, "--vrdevideochannelquality", "--vrde-video-channel-quality",
     true},
    {MV_VRDEPROP, "--vrdeproperty", "--vrde-property", true},
    {MV_VRDEEXTPACK, "--vrdeextpack", "--vrde-extpack", true},
    {MV_BOOTSOURCE, "--boot-source", "--bootsource", true},
    {MV_KERNEL, "--kernel", NULL, true},
    {MV_INITRD, "--initrd", NULL, true},
    {MV_CMDLINE, "--cmdline", NULL, true},
    {MV_UART, "--uart", NULL, true, true},
    {MV_UARTMODE, "--uartmode", "--uart-mode", true, true},
    {MV_UARTTYPE, "--uarttype", "--uart-type", true, true},
    {MV_USBOHCI, "--usbohci", "--usb-ohci", true},
    {MV_USBEHCI, "--usbehci", "--usb-ehci", true},
    {MV_USBXHCI, "--usbxhci", "--usb-xhci", true},
    {MV_MOUSE, "--mouse", NULL, true},
    {MV_TELEPORTER, "--teleporter", NULL, true},
    {MV_TPPORT, "--teleporterport", "--teleporter-port", true},
    {MV_TPADDRESS, "--teleporteraddress", "--teleporter-address", true},
    {MV_TPPASSWORD, "--teleporterpassword", "--teleporter-password", true},
    {MV_TPPASSFILE, "--teleporterpasswordfile", "--teleporter-password-file",
     true},
    {MV_AUTOSTOP, "--autostop-type", "--autostoptype", true},
    {0},
};

static int
mv_bad(const char *opt, const char *v, const char *want)
{
	return manage_syntax("invalid value '%s' for %s (expected %s)", v, opt,
			     want);
}

static int
mv_number(const char *opt, const char *v, unsigned long lo, unsigned long hi,
	  uint32_t *out)
{
	unsigned long x;
	char want[64];

	if (manage_parse_uint(v, lo, hi, &x)) {
		snprintf(want, sizeof(want), "%lu..%lu", lo, hi);
		return mv_bad(opt, v, want);
	}
	*out = (uint32_t)x;
	return MANAGE_OK;
}

static int
mv_onoff(const char *opt, const char *v, bool *out)
{
	return manage_parse_onoff(v, out) ? mv_bad(opt, v, "on|off")
					  : MANAGE_OK;
}

/* on: KVM (the software CPU when /dev/kvm is not usable); off: the
 * software CPU (vireo-headless(1), --accel) */
static int
mv_hwvirtex(struct settings_machine *m, const char *v)
{
	bool on;
	int rc = mv_onoff("--hwvirtex", v, &on);

	return rc ? rc : settings_machine_set_hwvirtex(m, on);
}

static int
mv_boot(struct settings_machine *m, int pos, const char *v)
{
	static const char *const names[] = {"none", "floppy", "dvd", "disk",
					    "net"};

	if (pos < 1 || pos > SETTINGS_BOOT_POSITIONS)
		return manage_syntax("--boot%d: positions are 1..4", pos);
	for (int i = 0; i < 5; i++)
		if (strcasecmp(v, names[i]) == 0) {
			settings_machine_set_boot_order(
			    m, (unsigned)pos, (enum settings_boot_device)i);
			return MANAGE_OK;
		}
	return mv_bad("--boot<n>", v, "none|floppy|dvd|disk|net");
}

static int
mv_nic(struct settings_machine *m, int n, const char *v)
{
	static const char *const other[] = {"bridged", "intnet",     "hostonly",
					    "generic", "natnetwork", "cloud"};

	if (n < 1 || n > 8)
		return manage_syntax("--nic%d: adapters are 1..8", n);
	for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++)
		if (!strcasecmp(v, other[i]))
			return manage_syntax("--nic%d %s: vireo supports only "
					     "none, null and nat",
					     n, v);
	if (strcasecmp(v, "none") && strcasecmp(v, "null") &&
	    strcasecmp(v, "nat"))
		return mv_bad("--nic<n>", v, "none|null|nat");
	if (!strcasecmp(v, "none"))
		v = "none";
	else
		v = !strcasecmp(v, "nat") ? "nat" : "null";
	return settings_machine_set_nic(m, (uint32_t)(n - 1), v) ? MANAGE_FAIL
								 : MANAGE_OK;
}

/* "name,tcp|udp,[hostip],hostport,[guestip],guestport" */
static int
mv_natpf_add(struct settings_machine *m, int n, const char *v)
{
	char *copy = strdup(v), *f[6], *p = copy;
	struct settings_port_forward pf = {0};
	unsigned long hp, gp;
	int i, rc;

	for (i = 0; i < 6 && p; i++) {
		f[i] = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
	}
	if (i != 6 || p || !*f[0] || strchr(f[0], '/') ||
	    (strcasecmp(f[1], "tcp") && strcasecmp(f[1], "udp")) ||
	    manage_parse_uint(f[3], 1, 65535, &hp) ||
	    manage_parse_uint(f[5], 1, 65535, &gp)) {
		free(copy);
		return mv_bad("--natpf<n>", v,
			      "name,tcp|udp,[hostip],hostport,[guestip],"
			      "guestport");
	}
	pf = (struct settings_port_forward){f[0],	  f[1], f[2],
					    (uint16_t)hp, f[4], (uint16_t)gp};
	rc =
	    settings_machine_set_port_forward(m, (uint32_t)(n - 1), &pf, false);
	if (rc == -ENOENT)
		rc = manage_syntax("--natpf%d: adapter %d is not NAT", n, n);
	else if (rc == -EEXIST)
		rc = manage_syntax("--natpf%d: a rule named '%s' exists", n,
				   pf.name);
	else if (rc)
		rc = MANAGE_FAIL;
	free(copy); /* pf's strings point into it */
	return rc;
}

static int
mv_natpf(struct settings_machine *m, struct manage_scan *s)
{
	struct settings_port_forward pf = {0};
	int n = s->index;

	if (n < 1 || n > 8)
		return manage_syntax("--natpf%d: adapters are 1..8", n);
	if (strcmp(s->arg, "delete") != 0)
		return mv_natpf_add(m, n, s->arg);
	if (s->i >= s->argc)
		return manage_syntax("--natpf%d delete needs a rule name", n);
	pf.name = s->argv[s->i++];
	if (settings_machine_set_port_forward(m, (uint32_t)(n - 1), &pf, true))
		return manage_syntax("--natpf%d: no rule named '%s'", n,
				     pf.name);
	return MANAGE_OK;
}

static int
mv_prop(struct settings_machine *m, const char *v)
{
	const char *eq = strchr(v, '=');
	char *name;
	int rc;

	if (!eq || eq == v)
		return mv_bad("--vrde-property", v, "name=[value]");
	name = strndup(v, (size_t)(eq - v));
	rc = settings_vrde_set_property(m, name, eq[1] ? eq + 1 : NULL);
	free(name);
	return rc ? MANAGE_FAIL : MANAGE_OK;
}

static int
mv_graphics(struct settings_machine *m, const char *v)
{
	static const char *const names[] = {"None", "VBoxVGA", "VMSVGA",
					    "VBoxSVGA"};

	for (int i = 0; i < 4; i++)
		if (!strcasecmp(v, names[i])) {
			free(m->graphics_controller);
			m->graphics_controller = strdup(names[i]);
			return MANAGE_OK;
		}
	return mv_bad("--graphicscontroller", v,
		      "none|vboxvga|vmsvga|vboxsvga");
}

static int
mv_replace(char **field, const char *v)
{
	free(*field);
	*field = v ? strdup(v) : NULL;
	return MANAGE_OK;
}

static int
mv_vrde(struct settings_machine *m, int id, const char *v)
{
	static const char *const auth[] = {"null", "external", "guest"};
	struct settings_vrde *d = &m->vrde;
	const char *ports;
	char num[16];
	uint32_t q;
	bool b;
	int rc;

	switch (id) {
	case MV_VRDE:
		return mv_onoff("--vrde", v, &d->enabled);
	case MV_VRDEPORT:
		if (manage_check_ports(v, &ports))
			return mv_bad("--vrde-port", v,
				      "a port list such as 5000,5010-5012");
		return settings_vrde_set_property(m, "TCP/Ports", ports);
	case MV_VRDEADDRESS:
		return settings_vrde_set_property(m, "TCP/Address", v);
	case MV_VRDEAUTHTYPE:
		for (int i = 0; i < 3; i++)
			if (!strcasecmp(v, auth[i])) {
				d->auth_type = (enum settings_auth_type)i;
				return MANAGE_OK;
			}
		return mv_bad("--vrde-auth-type", v, "null|external|guest");
	case MV_VRDEAUTHLIB:
		return mv_replace(&d->auth_library,
				  strcmp(v, "default") ? v : NULL);
	case MV_VRDEEXTPACK:
		return mv_replace(&d->ext_pack,
				  strcmp(v, "default") ? v : NULL);
	case MV_VRDEMULTICON:
		return mv_onoff("--vrde-multi-con", v,
				&d->allow_multi_connection);
	case MV_VRDEREUSECON:
		return mv_onoff("--vrde-reuse-con", v,
				&d->reuse_single_connection);
	case MV_VRDEVIDEO:
		if ((rc = mv_onoff("--vrde-video-channel", v, &b)))
			return rc;
		return settings_vrde_set_property(m, "VideoChannel/Enabled",
						  b ? "true" : "false");
	case MV_VRDEVIDEOQ:
		if ((rc = mv_number("--vrde-video-channel-quality", v, 10, 100,
				    &q)))
			return rc;
		snprintf(num, sizeof(num), "%u", q);
		return settings_vrde_set_property(m, "VideoChannel/Quality",
						  num);
	case MV_VRDEPROP:
		return mv_prop(m, v);
	}
	return MANAGE_SYNTAX;
}

static int
mv_vireo(struct settings_machine *m, int id, const char *v)
{
	static const char *const keys[] = {
	    [MV_KERNEL] = "vireo/Boot/Kernel",
	    [MV_INITRD] = "vireo/Boot/Initrd",
	    [MV_CMDLINE] = "vireo/Boot/Cmdline",
	};

	if (id == MV_BOOTSOURCE) {
		if (strcmp(v, "testcard") && strcmp(v, "linux"))
			return mv_bad("--boot-source", v, "testcard|linux");
		return settings_machine_set_extradata(m, "vireo/Boot/Source", v)
			   ? MANAGE_FAIL
			   : MANAGE_OK;
	}
	if (id != MV_CMDLINE && *v && v[0] != '/')
		return mv_bad(id == MV_KERNEL ? "--kernel" : "--initrd", v,
			      "an absolute path");
	return settings_machine_set_extradata(m, keys[id], *v ? v : NULL)
		   ? MANAGE_FAIL
		   : MANAGE_OK;
}

/* The port of slot @n - 1 as the file has it, else VirtualBox's
 * defaults for that slot (disabled). */
static struct settings_uart
mv_uart_current(struct settings_machine *m, int n)
{
	static const uint32_t bases[] = {0x3f8, 0x2f8};
	static const uint32_t irqs[] = {4, 3};
	const struct settings_uart *u = settings_machine_uart(m, n - 1);
	struct settings_uart d = {.slot = (uint32_t)(n - 1),
				  .io_base = bases[n - 1],
				  .irq = irqs[n - 1],
				  .path = ""};

	return u ? *u : d;
}

/* "--uart1 off", "--uart1 0x3f8 4" (also "0x3f8,4"). */
static int
mv_uart(struct settings_machine *m, struct manage_scan *s)
{
	struct settings_uart u;
	unsigned long irq;
	char *end;
	const char *irqs;
	unsigned long base;
	int n = s->index;

	if (n < 1 || n > 2)
		return manage_syntax("--uart%d: vireo has 2 serial ports "
				     "(--uart1, --uart2)",
				     n);
	u = mv_uart_current(m, n);
	if (!strcasecmp(s->arg, "off")) {
		u.enabled = false;
		return settings_machine_set_uart(m, &u);
	}
	errno = 0;
	base = strtoul(s->arg, &end, 0);
	if (*end == ',')
		irqs = end + 1;
	else if (*end == '\0' && s->i < s->argc)
		irqs = s->argv[s->i++];
	else
		return mv_bad("--uart<n>", s->arg, "off or <I/O base> <IRQ>");
	if (errno || end == s->arg || base == 0 || base > 0xfff8)
		return mv_bad("--uart<n>", s->arg,
			      "an I/O base such as 0x3f8 (up to 0xfff8)");
	if (manage_parse_uint(irqs, 1, 15, &irq) || irq == 1 || irq == 2 ||
	    irq == 8 || irq == 12)
		return mv_bad("--uart<n> IRQ", irqs,
			      "3..7, 9..11 or 13..15 (1, 2, 8 and 12 are "
			      "taken)");
	u.enabled = true;
	u.io_base = (uint32_t)base;
	u.irq = (uint32_t)irq;
	return settings_machine_set_uart(m, &u);
}

/* "[ADDR:]PORT" or, for a client, "HOST:PORT": the port part 1..65535. */
static bool
mv_tcp_ok(const char *v, bool need_host)
{
	const char *colon = strrchr(v, ':');
	unsigned long port;

	if (need_host && (!colon || colon == v))
		return false;
	return manage_parse_uint(colon ? colon + 1 : v, 1, 65535, &port) == 0;
}

/* "disconnected", "server|client PIPE", "tcpserver [ADDR:]PORT",
 * "tcpclient HOST:PORT", "file FILE". */
static int
mv_uartmode(struct settings_machine *m, struct manage_scan *s)
{
	static const struct {
		const char *word;
		enum settings_uart_mode mode;
		bool server;
	} modes[] = {
	    {"server", SETTINGS_UART_PIPE, true},
	    {"client", SETTINGS_UART_PIPE, false},
	    {"tcpserver", SETTINGS_UART_TCP, true},
	    {"tcpclient", SETTINGS_UART_TCP, false},
	    {"file", SETTINGS_UART_FILE, false},
	};
	const char *want = "disconnected|server PIPE|client PIPE|tcpserver "
			   "PORT|tcpclient HOST:PORT|file FILE";
	struct settings_uart u;
	const char *arg;
	int n = s->index;

	if (n < 1 || n > 2)
		return manage_syntax("--uart-mode%d: vireo has 2 serial ports",
				     n);
	u = mv_uart_current(m, n);
	if (!strcasecmp(s->arg, "disconnected")) {
		u.mode = SETTINGS_UART_DISCONNECTED;
		u.server = false;
		return settings_machine_set_uart(m, &u);
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		if (strcasecmp(s->arg, modes[i].word))
			continue;
		if (s->i >= s->argc)
			return manage_syntax("--uart-mode%d %s needs a value",
					     n, modes[i].word);
		arg = s->argv[s->i++];
		if (modes[i].mode == SETTINGS_UART_TCP
			? !mv_tcp_ok(arg, !modes[i].server)
			: (arg[0] != '/' || strlen(arg) > 107))
			return mv_bad("--uart-mode<n>", arg,
				      modes[i].mode == SETTINGS_UART_TCP
					  ? (modes[i].server ? "[ADDR:]PORT"
							     : "HOST:PORT")
					  : "an absolute path (at most 107 "
					    "bytes)");
		u.mode = modes[i].mode;
		u.server = modes[i].server;
		u.path = (char *)arg; /* copied into the tree */
		return settings_machine_set_uart(m, &u);
	}
	if (s->arg[0] == '/')
		return manage_syntax("--uart-mode%d %s: vireo does not pass "
				     "host serial devices through",
				     n, s->arg);
	return mv_bad("--uart-mode<n>", s->arg, want);
}

static int
mv_uarttype(struct settings_machine *m, struct manage_scan *s)
{
	static const enum settings_uart_type types[] = {
	    SETTINGS_UART_16550A, SETTINGS_UART_16450, SETTINGS_UART_16750};
	struct settings_uart u;
	int n = s->index;

	if (n < 1 || n > 2)
		return manage_syntax("--uart-type%d: vireo has 2 serial ports",
				     n);
	u = mv_uart_current(m, n);
	for (size_t i = 0; i < 3; i++)
		if (!strcasecmp(s->arg, settings_uart_type_name(types[i]))) {
			u.type = types[i];
			return settings_machine_set_uart(m, &u);
		}
	return mv_bad("--uart-type<n>", s->arg, "16450|16550A|16750");
}

/* --autostop-type disabled|savestate|poweroff|acpishutdown: what a
 * host stop (vireo@.service, vireo-headless --graceful-stop) does. */
static int
mv_autostop(struct settings_machine *m, const char *v)
{
	for (enum settings_autostop a = SETTINGS_AUTOSTOP_DISABLED;
	     settings_autostop_name(a); a++)
		if (!strcasecmp(v, settings_autostop_name(a)))
			return settings_machine_set_autostop(m, a) ? MANAGE_FAIL
								   : MANAGE_OK;
	return mv_bad("--autostop-type", v,
		      "disabled|savestate|poweroff|acpishutdown");
}

/* --usbohci on|off; EHCI and xHCI only off (vireo's VMM has OHCI only). */
static int
mv_usb(struct settings_machine *m, int id, const char *v)
{
	static const char *const opt[] = {"--usbohci", "--usbehci",
					  "--usbxhci"};
	static const char *const type[] = {"OHCI", "EHCI", "XHCI"};
	int i = id - MV_USBOHCI, rc;
	bool on;

	if ((rc = mv_onoff(opt[i], v, &on)))
		return rc;
	if (on && i > 0)
		return manage_syntax("%s on: not implemented (vireo emulates "
				     "an OHCI (USB 1.1) controller only; use "
				     "--usbohci on)",
				     opt[i]);
	rc = settings_machine_set_usb_controller(m, type[i], on);
	return rc ? MANAGE_FAIL : MANAGE_OK;
}

/* --mouse ps2|usbtablet (VBoxManage's names; the other kinds are not
 * emulated). */
static int
mv_mouse(struct settings_machine *m, const char *v)
{
	static const char *const other[] = {"usb", "usbmultitouch",
					    "usbmtscreenpluspad", "none"};

	if (!strcasecmp(v, "ps2"))
		return settings_machine_set_pointing(
		    m, SETTINGS_POINTING_PS2MOUSE);
	if (!strcasecmp(v, "usbtablet"))
		return settings_machine_set_pointing(
		    m, SETTINGS_POINTING_USBTABLET);
	for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++)
		if (!strcasecmp(v, other[i]))
			return manage_syntax("--mouse %s: not implemented "
					     "(vireo emulates ps2 and "
					     "usbtablet)",
					     v);
	return mv_bad("--mouse", v, "ps2|usbtablet");
}

/* --teleporter*: read, change one field, write back (the password only
 * ever as its hash; "" clears it, as VBoxManage's empty password). */
static int
mv_teleporter(struct settings_machine *m, int id, const char *v)
{
	struct settings_teleporter t;
	char pw[1024];
	int rc = settings_machine_teleporter(m, &t);

	if (rc)
		return rc;
	switch (id) {
	case MV_TELEPORTER:
		rc = mv_onoff("--teleporter", v, &t.enabled);
		break;
	case MV_TPPORT:
		rc = mv_number("--teleporter-port", v, 0, 65535, &t.port);
		break;
	case MV_TPADDRESS:
		free(t.address);
		t.address = strdup(v);
		rc = t.address ? MANAGE_OK : -ENOMEM;
		break;
	case MV_TPPASSWORD:
	case MV_TPPASSFILE:
		if (id == MV_TPPASSFILE &&
		    manage_read_password(v, pw, sizeof(pw))) {
			rc = MANAGE_FAIL;
			break;
		}
		if (id == MV_TPPASSWORD)
			snprintf(pw, sizeof(pw), "%s", v);
		if (settings_teleporter_is_hashed(pw))
			rc = manage_syntax("the teleporter password looks "
					   "like a stored hash; give the "
					   "password itself");
		else if (!pw[0])
			t.password[0] = '\0';
		else if (settings_teleporter_hash(pw, t.password,
						  sizeof(t.password)))
			rc = MANAGE_FAIL;
		memset(pw, 0, sizeof(pw));
		break;
	}
	if (!rc)
		rc = settings_machine_set_teleporter(m, &t);
	settings_teleporter_free(&t);
	return rc;
}

static int
mv_apply(struct settings_machine *m, int id, struct manage_scan *s)
{
	const char *v = s->arg;

	switch (id) {
	case MV_NAME:
		if (!*v || strchr(v, '/'))
			return mv_bad("--name", v, "a name without '/'");
		return mv_replace(&m->name, v);
	case MV_OSTYPE:
		return mv_replace(&m->ostype, v);
	case MV_MEMORY:
		return mv_number("--memory", v, 4, 2097152, &m->ram_mb);
	case MV_CPUS:
		return mv_number("--cpus", v, 1, 64, &m->cpus);
	case MV_HWVIRTEX:
		return mv_hwvirtex(m, v);
	case MV_VRAM:
		return mv_number("--vram", v, 0, 256, &m->vram_mb);
	case MV_MONITORS:
		return mv_number("--monitorcount", v, 1, 64, &m->monitor_count);
	case MV_GRAPHICS:
		return mv_graphics(m, v);
	case MV_BOOT:
		return mv_boot(m, s->index, v);
	case MV_NIC:
		return mv_nic(m, s->index, v);
	case MV_NATPF:
		return mv_natpf(m, s);
	case MV_UART:
		return mv_uart(m, s);
	case MV_UARTMODE:
		return mv_uartmode(m, s);
	case MV_UARTTYPE:
		return mv_uarttype(m, s);
	case MV_USBOHCI:
	case MV_USBEHCI:
	case MV_USBXHCI:
		return mv_usb(m, id, v);
	case MV_MOUSE:
		return mv_mouse(m, v);
	case MV_BOOTSOURCE:
	case MV_KERNEL:
	case MV_INITRD:
	case MV_CMDLINE:
		return mv_vireo(m, id, v);
	case MV_TELEPORTER:
	case MV_TPPORT:
	case MV_TPADDRESS:
	case MV_TPPASSWORD:
	case MV_TPPASSFILE:
		return mv_teleporter(m, id, v);
	case MV_AUTOSTOP:
		return mv_autostop(m, v);
	default:
		return mv_vrde(m, id, v);
	}
}

int
cmd_modifyvm(int argc, char **argv)
{
	struct settings_machine *m;
	struct manage_scan s;
	int id, rc = MANAGE_OK, n = 0;

	if (argc < 1 || argv[0][0] == '-')
		return manage_syntax("usage: modifyvm <vm> <options>");
	/* the lock is held from load to save: no other writer in between */
	if (manage_open_vm(argv[0], true, &m))
		return MANAGE_FAIL;
	if (manage_vm_running(m)) {
		manage_error("machine '%s' is running; use controlvm or power "
			     "it off first",
			     m->name);
		settings_machine_free(m);
		return MANAGE_FAIL;
	}
	manage_scan_args(&s, argc - 1, argv + 1, NULL, 0);
	while (!rc &&
	       (id = manage_scan_next(&s, modifyvm_opts)) != MANAGE_END) {
		if (id == MANAGE_BAD)
			rc = MANAGE_SYNTAX;
		else
			rc = mv_apply(m, id, &s);
		/* settings_* setters return -errno; report them as failures */
		if (rc < 0) {
			manage_error("cannot apply the options: %s",
				     strerror(-rc));
			rc = MANAGE_FAIL;
		}
		n++;
	}
	if (!rc && n == 0)
		rc = manage_syntax("modifyvm: no options given");
	if (!rc)
		rc = manage_save_vm(m);
	settings_machine_free(m);
	return rc;
}
