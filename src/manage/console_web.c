/*
 * console_web.c - "console VM --web": the browser console's address.
 *
 * The running VM issues a token (control socket request "consoletoken")
 * that its VNC module accepts once, within a minute, in place of a
 * password, Proxmox-style.  The address printed is
 * https://HOST:PORT/?token=TOKEN: HOST is --address, else the VRDE
 * TCP/Address, else "localhost"; PORT is the port the module listens on.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "manage.h"

struct console_web_reply {
	char token[80];
	char port[8];
	char ttl[8];
};

static void
console_web_line(const char *line, void *ctx)
{
	struct console_web_reply *r = ctx;

	if (!strncmp(line, "token=", 6))
		snprintf(r->token, sizeof(r->token), "%s", line + 6);
	else if (!strncmp(line, "port=", 5))
		snprintf(r->port, sizeof(r->port), "%s", line + 5);
	else if (!strncmp(line, "ttl=", 4))
		snprintf(r->ttl, sizeof(r->ttl), "%s", line + 4);
}

int
manage_console_web(const char *vm, const char *address)
{
	static const char *const req[] = {"consoletoken"};
	struct console_web_reply r = {0};
	struct settings_machine *m;
	const char *host;
	int rc;

	if (manage_open_vm(vm, false, &m))
		return MANAGE_FAIL;
	host = address ? address : settings_vrde_get_property(m, "TCP/Address");
	if (!host || !host[0])
		host = "localhost";
	rc = manage_ctl_request(m, req, 1, console_web_line, &r);
	if (rc == -ENOENT) {
		manage_error("machine '%s' is not currently running", m->name);
	} else if (rc < 0) {
		manage_error("control socket of '%s': %s", m->name,
			     strerror(-rc));
	} else if (rc == 0 && (!r.token[0] || !r.port[0])) {
		manage_error("'%s' answered without a token", m->name);
		rc = 1;
	}
	if (rc == 0) {
		/* a literal IPv6 address needs brackets in a URL */
		printf(strchr(host, ':') ? "https://[%s]:%s/?token=%s\n"
					 : "https://%s:%s/?token=%s\n",
		       host, r.port, r.token);
		fprintf(stderr,
			"The address is good once, within %s seconds; its "
			"certificate is the VM's (showvminfo: "
			"VRDECertFingerprint).\n",
			r.ttl[0] ? r.ttl : "60");
	}
	settings_machine_free(m);
	return rc ? MANAGE_FAIL : MANAGE_OK;
}
