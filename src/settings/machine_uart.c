/*
 * machine_uart.c - the serial ports, <Hardware><UART><Port .../>:
 * slot, enabled, IOBase (IOAddress from settings 1.20), IRQ, hostMode,
 * path, server and uartType, as VirtualBox writes them.
 *
 * Like the other list views this one is derived from the tree after
 * every edit; the setter edits the <Port> element in place, so
 * attributes vireo does not model stay.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings_priv.h"

static const char *const uart_modes[] = {"Disconnected", "RawFile", "HostPipe",
					 "HostDevice", "TCP"};
static const char *const uart_types[] = {"16550A", "16450", "16750"};

const char *
settings_uart_mode_name(enum settings_uart_mode mode)
{
	return (unsigned)mode < 5 ? uart_modes[mode] : "Disconnected";
}

const char *
settings_uart_type_name(enum settings_uart_type type)
{
	return (unsigned)type < 3 ? uart_types[type] : "16550A";
}

/* IOBase="0x3F8" (VirtualBox writes hex; decimal is read too). */
static uint32_t
uart_attr_io(struct sx_ctx *c, xmlNodePtr port, const char *name)
{
	char *v = sx_attr(port, name), *end;
	unsigned long x;

	if (!v)
		return 0;
	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno || end == v || *end || v[0] == '-' || x == 0 || x > 0xfff8) {
		sx_fail(c, port, -EINVAL,
			"<Port> %s=\"%s\" is not an I/O port (1..0xfff8)", name,
			v);
		x = 0;
	}
	free(v);
	return (uint32_t)x;
}

static int
uart_attr_enum(struct sx_ctx *c, xmlNodePtr port, const char *name,
	       const char *const *names, int n, int def)
{
	char *v = sx_attr(port, name);
	int found = v ? -1 : def;

	for (int i = 0; v && i < n; i++)
		if (strcasecmp(v, names[i]) == 0)
			found = i;
	if (found < 0)
		sx_fail(c, port, -EINVAL, "<Port> %s=\"%s\" is not known", name,
			v);
	free(v);
	return found < 0 ? def : found;
}

static void
uart_parse_one(struct settings_uart *u, xmlNodePtr port, struct sx_ctx *c)
{
	memset(u, 0, sizeof(*u));
	u->slot = sx_attr_u32(c, port, "slot", 0);
	if (u->slot >= SETTINGS_MAX_UARTS)
		sx_fail(c, port, -EINVAL, "<Port> slot %u is not 0..%d",
			u->slot, SETTINGS_MAX_UARTS - 1);
	u->enabled = sx_attr_bool(c, port, "enabled", false);
	u->io_base = uart_attr_io(c, port, "IOAddress");
	if (!u->io_base)
		u->io_base = uart_attr_io(c, port, "IOBase");
	u->irq = sx_attr_u32(c, port, "IRQ", 0);
	if (u->irq > 15)
		sx_fail(c, port, -EINVAL, "<Port> IRQ %u is not 0..15", u->irq);
	u->mode = (enum settings_uart_mode)uart_attr_enum(
	    c, port, "hostMode", uart_modes, 5, SETTINGS_UART_DISCONNECTED);
	u->type = (enum settings_uart_type)uart_attr_enum(
	    c, port, "uartType", uart_types, 3, SETTINGS_UART_16550A);
	u->server = sx_attr_bool(c, port, "server", false);
	u->path = sx_attr(port, "path");
	if (!u->path)
		u->path = settings_strdup("");
}

int
uart_parse(struct settings_machine *m, struct sx_ctx *c)
{
	struct settings_machine_priv *p = machine_priv(m);
	xmlNodePtr uart = sx_child(machine_hardware(m, false), "UART");

	for (xmlNodePtr port = sx_child(uart, "Port"); port;
	     port = sx_next(port, "Port")) {
		struct settings_uart u;
		size_t i;

		uart_parse_one(&u, port, c);
		if (c->rc || !u.path) {
			free(u.path);
			return c->rc ? c->rc : -ENOMEM;
		}
		for (i = 0; i < p->n_uarts; i++)
			if (p->uarts[i].slot == u.slot)
				break;
		if (i < p->n_uarts) {
			sx_fail(c, port, -EINVAL, "a second <Port> slot %u",
				u.slot);
			free(u.path);
			return c->rc;
		}
		p->uarts[p->n_uarts++] = u;
	}
	return 0;
}

void
uart_free_views(struct settings_machine_priv *p)
{
	for (size_t i = 0; i < p->n_uarts; i++)
		free(p->uarts[i].path);
	p->n_uarts = 0;
}

size_t
settings_machine_uarts(const struct settings_machine *m,
		       const struct settings_uart **out)
{
	*out = machine_priv(m)->uarts;
	return machine_priv(m)->n_uarts;
}

const struct settings_uart *
settings_machine_uart(const struct settings_machine *m, uint32_t slot)
{
	const struct settings_machine_priv *p = machine_priv(m);

	for (size_t i = 0; i < p->n_uarts; i++)
		if (p->uarts[i].slot == slot)
			return &p->uarts[i];
	return NULL;
}

static xmlNodePtr
uart_port_node(struct settings_machine *m, uint32_t slot)
{
	xmlNodePtr uart = sx_ensure(machine_hardware(m, true), "UART"), port;

	for (port = sx_child(uart, "Port"); port;
	     port = sx_next(port, "Port")) {
		char *s = sx_attr(port, "slot");
		bool hit = s && strtoul(s, NULL, 10) == slot;

		free(s);
		if (hit)
			return port;
	}
	port = sx_add(uart, "Port");
	sx_set_u32(port, "slot", slot);
	return port;
}

int
settings_machine_set_uart(struct settings_machine *m,
			  const struct settings_uart *u)
{
	struct sx_ctx c = {.path = m->path};
	xmlNodePtr port;
	char hex[16];
	bool tcp_or_pipe;

	if (u->slot >= SETTINGS_MAX_UARTS || u->irq > 15 ||
	    u->io_base > 0xfff8 || (unsigned)u->mode > SETTINGS_UART_TCP ||
	    (unsigned)u->type > SETTINGS_UART_16750)
		return -EINVAL;
	port = uart_port_node(m, u->slot);
	sx_set(port, "enabled", u->enabled ? "true" : "false");
	snprintf(hex, sizeof(hex), "0x%X", u->io_base);
	/* the attribute the file already has, else its version's name */
	if (machine_priv(m)->minor >= 20 &&
	    !xmlHasProp(port, BAD_CAST "IOBase")) {
		sx_set(port, "IOAddress", hex);
	} else {
		sx_set(port, "IOBase", hex);
		sx_set(port, "IOAddress", NULL);
	}
	sx_set_u32(port, "IRQ", u->irq);
	sx_set(port, "hostMode", uart_modes[u->mode]);
	tcp_or_pipe =
	    u->mode == SETTINGS_UART_PIPE || u->mode == SETTINGS_UART_TCP;
	sx_set(port, "server",
	       tcp_or_pipe ? (u->server ? "true" : "false") : NULL);
	sx_set(port, "path",
	       u->mode != SETTINGS_UART_DISCONNECTED && u->path ? u->path
								: NULL);
	sx_set(port, "uartType", uart_types[u->type]);
	return machine_reparse(m, &c);
}
