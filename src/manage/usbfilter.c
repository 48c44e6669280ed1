/*
 * usbfilter.c - `usbfilter add|modify|remove <index> --target <vm> ...`:
 * a VM's USB device filters, with VBoxManage's options.  The filters
 * select which of a remote client's USB devices the VM gets
 * (vireo-usb(7)); vireo has no host USB, so there are no global filters
 * and no --action.
 *
 * As in modifyvm, every value is checked before the file is touched.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manage.h"

enum {
	UF_TARGET = 1,
	UF_NAME,
	UF_ACTIVE,
	UF_VENDOR,
	UF_PRODUCT_ID,
	UF_REVISION,
	UF_MANUFACTURER,
	UF_PRODUCT,
	UF_SERIAL,
	UF_REMOTE,
	UF_ACTION,
	UF_PORT,
	UF_MASKED,
};

static const struct manage_opt usbfilter_opts[] = {
    {UF_TARGET, "--target", NULL, true},
    {UF_NAME, "--name", NULL, true},
    {UF_ACTIVE, "--active", NULL, true},
    {UF_VENDOR, "--vendorid", "--vendor-id", true},
    {UF_PRODUCT_ID, "--productid", "--product-id", true},
    {UF_REVISION, "--revision", NULL, true},
    {UF_MANUFACTURER, "--manufacturer", NULL, true},
    {UF_PRODUCT, "--product", NULL, true},
    {UF_SERIAL, "--serialnumber", "--serial-number", true},
    {UF_REMOTE, "--remote", NULL, true},
    {UF_ACTION, "--action", NULL, true},
    {UF_PORT, "--port", NULL, true},
    {UF_MASKED, "--maskedinterfaces", "--masked-interfaces", true},
    {0},
};

/* "" (any), or 1..4 hex digits: a vendor, product or bcdDevice value. */
static bool
uf_hex16(const char *v)
{
	size_t n = strlen(v);

	if (n > 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)v[i]))
			return false;
	return true;
}

struct uf_args {
	const char *target;
	struct settings_usb_filter_edit e;
	int given; /* options other than --target */
};

static int
uf_option(struct uf_args *a, int id, const char *v)
{
	static const char *const hexopt[] = {
	    [UF_VENDOR] = "--vendorid",
	    [UF_PRODUCT_ID] = "--productid",
	    [UF_REVISION] = "--revision",
	};
	bool b;

	switch (id) {
	case UF_TARGET:
		a->target = v;
		return MANAGE_OK;
	case UF_NAME:
		if (!*v)
			return manage_syntax("--name: a filter needs a name");
		a->e.name = v;
		break;
	case UF_ACTIVE:
		if (manage_parse_onoff(v, &b))
			return manage_syntax("invalid value '%s' for --active "
					     "(expected yes|no)",
					     v);
		a->e.active = b;
		break;
	case UF_VENDOR:
	case UF_PRODUCT_ID:
	case UF_REVISION:
		if (!uf_hex16(v))
			return manage_syntax("invalid value '%s' for %s "
					     "(expected up to 4 hex digits, "
					     "e.g. 0627)",
					     v, hexopt[id]);
		if (id == UF_VENDOR)
			a->e.vendor_id = v;
		else if (id == UF_PRODUCT_ID)
			a->e.product_id = v;
		else
			a->e.revision = v;
		break;
	case UF_MANUFACTURER:
		a->e.manufacturer = v;
		break;
	case UF_PRODUCT:
		a->e.product = v;
		break;
	case UF_SERIAL:
		a->e.serial_number = v;
		break;
	case UF_REMOTE:
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "no"))
			a->e.remote = !strcasecmp(v, "yes") ? "yes" : "no";
		else if (!strcasecmp(v, "any") || !*v)
			a->e.remote = "";
		else
			return manage_syntax("invalid value '%s' for --remote "
					     "(expected yes|no|any)",
					     v);
		break;
	case UF_ACTION:
		return manage_syntax("--action: only global filters have an "
				     "action, and vireo has no host USB "
				     "(no global filters)");
	default:
		return manage_syntax("--port and --maskedinterfaces: not "
				     "implemented");
	}
	a->given++;
	return MANAGE_OK;
}

static int
uf_apply(struct settings_machine *m, const char *verb, size_t index,
	 const struct uf_args *a)
{
	size_t n;
	const struct settings_usb_filter *f;
	int rc;

	n = settings_machine_usb_filters(m, &f);
	if (!strcmp(verb, "remove"))
		rc = settings_machine_usb_filter_remove(m, index);
	else
		rc = settings_machine_usb_filter_edit(m, index, *verb == 'a',
						      &a->e);
	if (rc == -ENOENT) {
		manage_error("usbfilter %s: no filter index %zu (the VM has "
			     "%zu filter%s%s)",
			     verb, index, n, n == 1 ? "" : "s",
			     *verb == 'a' ? "; add takes 0..count" : "");
		return MANAGE_FAIL;
	}
	if (rc) {
		manage_error("usbfilter %s: %s", verb, strerror(-rc));
		return MANAGE_FAIL;
	}
	return MANAGE_OK;
}

int
cmd_usbfilter(int argc, char **argv)
{
	struct uf_args a = {.e = {.active = -1}};
	struct settings_machine *m;
	struct manage_scan s;
	const char *pos[2] = {NULL, NULL}, *verb;
	unsigned long index;
	int id, rc = MANAGE_OK;

	manage_scan_args(&s, argc, argv, pos, 2);
	while (!rc && (id = manage_scan_next(&s, usbfilter_opts)) != MANAGE_END)
		rc =
		    id == MANAGE_BAD ? MANAGE_SYNTAX : uf_option(&a, id, s.arg);
	if (rc)
		return rc;
	verb = pos[0];
	if (!verb || (strcmp(verb, "add") && strcmp(verb, "modify") &&
		      strcmp(verb, "remove")))
		return manage_syntax("usage: usbfilter add|modify|remove "
				     "<index> --target <vm> [options]");
	if (!pos[1] || manage_parse_uint(pos[1], 0, 1023, &index))
		return manage_syntax("usbfilter %s: the index must be a "
				     "number (0-based)",
				     verb);
	if (!a.target)
		return manage_syntax("usbfilter %s: --target <vm> is "
				     "required",
				     verb);
	if (!strcasecmp(a.target, "global"))
		return manage_syntax("usbfilter --target global: vireo has "
				     "no host USB, so no global filters");
	if (!strcmp(verb, "add") && !a.e.name)
		return manage_syntax("usbfilter add: --name is required");
	if (!strcmp(verb, "remove") && a.given)
		return manage_syntax("usbfilter remove takes only <index> "
				     "and --target");
	if (!strcmp(verb, "modify") && !a.given)
		return manage_syntax("usbfilter modify: nothing to change");
	if (manage_open_vm(a.target, true, &m))
		return MANAGE_FAIL;
	if (manage_vm_running(m)) {
		manage_error("machine '%s' is running; power it off to "
			     "change its USB filters",
			     m->name);
		rc = MANAGE_FAIL;
	}
	if (!rc)
		rc = uf_apply(m, verb, (size_t)index, &a);
	if (!rc)
		rc = manage_save_vm(m);
	settings_machine_free(m);
	return rc;
}
