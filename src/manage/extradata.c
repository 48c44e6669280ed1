/*
 * extradata.c - setextradata, getextradata and setproperty, with
 * VBoxManage's output formats ("Value: X", "No value set!",
 * "Key: K, Value: V").
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "manage.h"

static bool
is_global(const char *s)
{
	return strcmp(s, "global") == 0;
}

/* The global ExtraData (@vm "global") or that of machine @vm, opened
 * for reading or (@write) changing.  Exactly one of *@r, *@m is set. */
static int
open_owner(const char *vm, bool write, struct settings_registry **r,
	   struct settings_machine **m)
{
	*r = NULL;
	*m = NULL;
	return is_global(vm) ? manage_open_registry(write, r)
			     : manage_open_vm(vm, write, m);
}

int
cmd_setextradata(int argc, char **argv)
{
	struct settings_machine *m;
	struct settings_registry *r;
	const char *value = argc == 3 ? argv[2] : NULL;
	int rc;

	if (argc < 2 || argc > 3 || !*argv[1])
		return manage_syntax("usage: setextradata <vm>|global <key> "
				     "[<value>]");
	/* VBoxManage: an empty value deletes the key too */
	if (value && !*value)
		value = NULL;
	if (open_owner(argv[0], true, &r, &m))
		return MANAGE_FAIL;
	if (r)
		rc = settings_registry_set_extradata(r, argv[1], value)
			 ? MANAGE_FAIL
			 : manage_save_registry(r);
	else
		rc = settings_machine_set_extradata(m, argv[1], value)
			 ? MANAGE_FAIL
			 : manage_save_vm(m);
	settings_registry_free(r);
	settings_machine_free(m);
	return rc;
}

static void
print_items(const struct settings_property *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("Key: %s, Value: %s\n", items[i].name, items[i].value);
}

static void
print_value(const char *v)
{
	if (v)
		printf("Value: %s\n", v);
	else
		puts("No value set!");
}

int
cmd_getextradata(int argc, char **argv)
{
	const struct settings_property *items;
	struct settings_machine *m;
	struct settings_registry *r;

	if (argc != 2)
		return manage_syntax("usage: getextradata <vm>|global "
				     "<key>|enumerate");
	if (open_owner(argv[0], false, &r, &m))
		return MANAGE_FAIL;
	if (!strcmp(argv[1], "enumerate")) {
		size_t n = r ? settings_registry_extradata(r, &items)
			     : settings_machine_extradata(m, &items);

		print_items(items, n);
	} else {
		print_value(r ? settings_registry_get_extradata(r, argv[1])
			      : settings_machine_get_extradata(m, argv[1]));
	}
	settings_registry_free(r);
	settings_machine_free(m);
	return MANAGE_OK;
}

int
cmd_setproperty(int argc, char **argv)
{
	struct settings_registry *r;
	const char *v;
	int rc;

	if (argc != 2)
		return manage_syntax("usage: setproperty vrdeauthlibrary|"
				     "vrdeextpack|machinefolder "
				     "<value>|default");
	v = strcmp(argv[1], "default") ? argv[1] : NULL;
	/* VBoxManage's "null" resets the module to the default */
	if (!strcmp(argv[0], "vrdeextpack") && v && !strcmp(v, "null"))
		v = NULL;
	if (strcmp(argv[0], "vrdeauthlibrary") &&
	    strcmp(argv[0], "vrdpauthlibrary") &&
	    strcmp(argv[0], "vrdeextpack") && strcmp(argv[0], "machinefolder"))
		return manage_syntax("setproperty: unknown property '%s'",
				     argv[0]);
	if (argv[0][0] == 'm' && v && v[0] != '/')
		return manage_syntax("machinefolder must be an absolute path");
	if (manage_open_registry(true, &r))
		return MANAGE_FAIL;
	if (argv[0][0] == 'm')
		rc = settings_registry_set_machine_folder(r, v);
	else if (!strcmp(argv[0], "vrdeextpack"))
		rc = settings_registry_set_vrde_ext_pack(r, v);
	else
		rc = settings_registry_set_auth_library(r, v);
	rc = rc ? MANAGE_FAIL : manage_save_registry(r);
	settings_registry_free(r);
	return rc;
}
