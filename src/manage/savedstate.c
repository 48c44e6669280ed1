/*
 * savedstate.c - discardstate and adoptstate: the saved state of a VM
 * that is not running (Machine/@stateFile in its .vbox).
 *
 * discardstate forgets the state ("equivalent to unplugging the power
 * cable", VirtualBox's manual says): the .vbox is saved without it
 * first, then the file is deleted, so a crash in between leaves a stray
 * file, never a .vbox naming a missing one.  adoptstate checks the file
 * whole (header, every record's checksum, the END record) before the
 * .vbox names it; whether it fits the VM's configuration is checked when
 * the VM starts, which refuses it then with the reason.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manage.h"
#include "vmm/state.h"

/* @rel as the .vbox has it, made absolute against the machine folder. */
static void
mg_state_abs(const struct settings_machine *m, const char *rel, char *out,
	     size_t size)
{
	if (rel[0] == '/')
		snprintf(out, size, "%s", rel);
	else
		snprintf(out, size, "%s/%s", m->folder, rel);
}

/* Open @vm locked, refusing a running one. */
static int
mg_state_open(const char *vm, const char *verb, struct settings_machine **m)
{
	if (manage_open_vm(vm, true, m))
		return MANAGE_FAIL;
	if (manage_vm_running(*m)) {
		manage_error("machine '%s' is running; %s works on a VM that "
			     "is powered off or saved",
			     (*m)->name, verb);
		settings_machine_free(*m);
		*m = NULL;
		return MANAGE_FAIL;
	}
	return MANAGE_OK;
}

int
cmd_discardstate(int argc, char **argv)
{
	struct settings_machine *m;
	char path[PATH_MAX];
	char *rel;
	int rc;

	if (argc != 1 || argv[0][0] == '-')
		return manage_syntax("usage: discardstate <vm>");
	if (mg_state_open(argv[0], "discardstate", &m))
		return MANAGE_FAIL;
	rel = settings_machine_state_file(m);
	if (!rel) {
		manage_error("machine '%s' is not in the saved state", m->name);
		settings_machine_free(m);
		return MANAGE_FAIL;
	}
	mg_state_abs(m, rel, path, sizeof(path));
	settings_machine_set_state_file(m, NULL);
	rc = manage_save_vm(m);
	if (!rc && unlink(path) < 0 && errno != ENOENT)
		manage_error("the state is discarded, but %s could not be "
			     "removed: %s",
			     path, strerror(errno));
	free(rel);
	settings_machine_free(m);
	return rc;
}

/* The whole file read through: a damaged one is refused now, not at the
 * next start. */
static int
mg_state_check(const char *path)
{
	char err[512];

	if (vmm_state_check_file(path, err, sizeof(err)) == 0)
		return MANAGE_OK;
	manage_error("%s is not a usable saved state: %s", path, err);
	return MANAGE_FAIL;
}

int
cmd_adoptstate(int argc, char **argv)
{
	struct settings_machine *m;
	char path[PATH_MAX], *old;
	int rc;

	if (argc != 2 || argv[0][0] == '-')
		return manage_syntax("usage: adoptstate <vm> <state-file>");
	if (!realpath(argv[1], path)) {
		manage_error("cannot find %s: %s", argv[1], strerror(errno));
		return MANAGE_FAIL;
	}
	if (mg_state_check(path))
		return MANAGE_FAIL;
	if (mg_state_open(argv[0], "adoptstate", &m))
		return MANAGE_FAIL;
	old = settings_machine_state_file(m);
	if (old) {
		manage_error("machine '%s' already has a saved state (%s); "
			     "discard it first",
			     m->name, old);
		free(old);
		settings_machine_free(m);
		return MANAGE_FAIL;
	}
	settings_machine_set_state_file(m, path);
	rc = manage_save_vm(m);
	settings_machine_free(m);
	return rc;
}
