/*
 * vm.c - createvm, registervm, unregistervm and list: the machine
 * registry side of vireo-manage.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manage.h"

/* UUIDs are printed without braces, as VBoxManage does. */
static const char *
vm_bare_uuid(const char *uuid, char *buf)
{
	memcpy(buf, uuid + 1, 36);
	buf[36] = '\0';
	return buf;
}

static int
vm_mkdirs(const char *dir)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			if (!c)
				return 0;
			*p = c;
		}
	}
}

enum {
	CV_NAME = 1,
	CV_OSTYPE,
	CV_REGISTER,
	CV_BASEFOLDER,
	CV_UUID,
	CV_DEFAULT,
	CV_GROUPS
};

static const struct manage_opt createvm_opts[] = {
    {CV_NAME, "--name", "-name", true},
    {CV_OSTYPE, "--ostype", "--os-type", true},
    {CV_REGISTER, "--register", "-register", false},
    {CV_BASEFOLDER, "--basefolder", "--base-folder", true},
    {CV_UUID, "--uuid", NULL, true},
    {CV_DEFAULT, "--default", NULL, false},
    {CV_GROUPS, "--groups", NULL, true},
    {0},
};

struct createvm_args {
	const char *name, *ostype, *base, *uuid;
	bool reg;
};

static int
createvm_parse(int argc, char **argv, struct createvm_args *a)
{
	struct manage_scan s;
	int id;

	manage_scan_args(&s, argc, argv, NULL, 0);
	while ((id = manage_scan_next(&s, createvm_opts)) > 0) {
		switch (id) {
		case CV_NAME:
			a->name = s.arg;
			break;
		case CV_OSTYPE:
			a->ostype = s.arg;
			break;
		case CV_REGISTER:
			a->reg = true;
			break;
		case CV_BASEFOLDER:
			a->base = s.arg;
			break;
		case CV_UUID:
			a->uuid = s.arg;
			break;
		default: /* --default, --groups: accepted, nothing to do */
			break;
		}
	}
	if (id == MANAGE_BAD)
		return MANAGE_SYNTAX;
	if (!a->name || !*a->name || strchr(a->name, '/'))
		return manage_syntax("createvm needs --name <name> (no '/')");
	if (a->uuid) {
		char u[SETTINGS_UUID_LEN + 1];

		if (settings_uuid_normalize(a->uuid, u))
			return manage_syntax("invalid uuid: %s", a->uuid);
	}
	return MANAGE_OK;
}

static int
createvm_write(struct createvm_args *a, struct settings_registry *r,
	       const char *path)
{
	struct settings_machine *m;
	struct settings_error err = {{0}};
	char bare[40];
	int rc;

	if (settings_machine_new(path, a->name, a->ostype, a->uuid, &m, &err)) {
		manage_error("%s", err.msg);
		return MANAGE_FAIL;
	}
	rc = manage_save_vm(m);
	if (!rc && a->reg) {
		if (settings_registry_add_machine(r, m->uuid, m->path)) {
			manage_error("a machine with UUID %s is already "
				     "registered",
				     m->uuid);
			unlink(m->path);
			rc = MANAGE_FAIL;
		} else {
			rc = manage_save_registry(r);
		}
	}
	if (!rc)
		printf("Virtual machine '%s' is created%s.\nUUID: %s\n"
		       "Settings file: '%s'\n",
		       a->name, a->reg ? " and registered" : "",
		       vm_bare_uuid(m->uuid, bare), m->path);
	settings_machine_free(m);
	return rc;
}

/* Names must stay unique among registered machines: commands find a
 * machine by its name. */
static bool
vm_name_taken(const struct settings_registry *r, const char *name)
{
	char *path = NULL;
	char u[SETTINGS_UUID_LEN + 1];
	bool taken;

	if (settings_uuid_normalize(name, u) == 0)
		return true; /* a uuid-shaped name would be ambiguous */
	taken = settings_registry_find(r, name, &path) == 0;
	free(path);
	return taken;
}

int
cmd_createvm(int argc, char **argv)
{
	struct createvm_args a = {0};
	struct settings_registry *r;
	char dir[PATH_MAX], path[PATH_MAX + 256], cwd[PATH_MAX];
	int rc = createvm_parse(argc, argv, &a);

	if (rc)
		return rc;
	if (manage_open_registry(true, &r))
		return MANAGE_FAIL;
	if (!a.base)
		a.base = settings_registry_machine_folder(r);
	if (a.base[0] != '/' && getcwd(cwd, sizeof(cwd)))
		rc =
		    snprintf(dir, sizeof(dir), "%s/%s/%s", cwd, a.base, a.name);
	else
		rc = snprintf(dir, sizeof(dir), "%s/%s", a.base, a.name);
	if (rc < 0 || (size_t)rc >= sizeof(dir)) {
		manage_error("machine folder path too long");
		rc = MANAGE_FAIL;
	} else if (a.reg && vm_name_taken(r, a.name)) {
		manage_error("a machine named '%s' is already registered",
			     a.name);
		rc = MANAGE_FAIL;
	} else if (snprintf(path, sizeof(path), "%s/%s.vbox", dir, a.name),
		   access(path, F_OK) == 0) {
		manage_error("Machine settings file '%s' already exists", path);
		rc = MANAGE_FAIL;
	} else if ((rc = vm_mkdirs(dir)) < 0) {
		manage_error("cannot create '%s': %s", dir, strerror(-rc));
		rc = MANAGE_FAIL;
	} else {
		rc = createvm_write(&a, r, path);
	}
	settings_registry_free(r);
	return rc;
}

int
cmd_registervm(int argc, char **argv)
{
	struct settings_machine *m;
	struct settings_registry *r;
	struct settings_error err = {{0}};
	int rc;

	if (argc != 1 || argv[0][0] == '-')
		return manage_syntax("usage: registervm <file.vbox>");
	if (settings_machine_load(argv[0], &m, &err)) {
		manage_error("%s", err.msg);
		return MANAGE_FAIL;
	}
	rc = manage_open_registry(true, &r);
	if (!rc) {
		rc = settings_registry_add_machine(r, m->uuid, m->path);
		if (rc)
			manage_error("machine '%s' (UUID %s) is already "
				     "registered",
				     m->name, m->uuid);
		rc = rc ? MANAGE_FAIL : manage_save_registry(r);
		settings_registry_free(r);
	}
	settings_machine_free(m);
	return rc;
}

/* --delete: the settings file, its -prev/-tmp, the logs, the hard disk
 * images it owns, and the folder when nothing else is left in it. */
static void
unregister_delete(struct settings_machine *m)
{
	const struct settings_attachment *a;
	size_t n = settings_machine_attachments(m, &a);
	char buf[PATH_MAX + 64];
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < n; i++)
		if (a[i].medium_path && !strcmp(a[i].type, "HardDisk"))
			unlink(a[i].medium_path);
	snprintf(buf, sizeof(buf), "%s/Logs", m->folder);
	if ((d = opendir(buf))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(buf, sizeof(buf), "%s/Logs/%s",
					 m->folder, e->d_name);
				unlink(buf);
			}
		closedir(d);
		snprintf(buf, sizeof(buf), "%s/Logs", m->folder);
		rmdir(buf);
	}
	snprintf(buf, sizeof(buf), "%s-prev", m->path);
	unlink(buf);
	snprintf(buf, sizeof(buf), "%s-tmp", m->path);
	unlink(buf);
	unlink(m->path);
	rmdir(m->folder);
}

int
cmd_unregistervm(int argc, char **argv)
{
	static const struct manage_opt opts[] = {
	    {1, "--delete", NULL, false},
	    {2, "--delete-all", NULL, false},
	    {0},
	};
	struct settings_machine *m;
	struct settings_registry *r;
	struct manage_scan s;
	const char *vm = NULL;
	bool del = false;
	int id, rc;

	manage_scan_args(&s, argc, argv, &vm, 1);
	while ((id = manage_scan_next(&s, opts)) > 0)
		del = true;
	if (id == MANAGE_BAD)
		return MANAGE_SYNTAX;
	if (!vm)
		return manage_syntax("usage: unregistervm <vm> [--delete]");
	if (manage_open_vm(vm, false, &m))
		return MANAGE_FAIL;
	if (manage_vm_running(m)) {
		manage_error("machine '%s' is running; power it off first",
			     m->name);
		settings_machine_free(m);
		return MANAGE_FAIL;
	}
	rc = manage_open_registry(true, &r);
	if (!rc) {
		if (settings_registry_remove_machine(r, m->uuid) == 0) {
			rc = manage_save_registry(r);
		} else if (!del) {
			manage_error("machine '%s' is not registered", m->name);
			rc = MANAGE_FAIL;
		}
		settings_registry_free(r);
	}
	if (!rc && del)
		unregister_delete(m);
	settings_machine_free(m);
	return rc;
}

int
cmd_list(int argc, char **argv)
{
	const struct settings_registry_entry *e;
	struct settings_registry *r;
	bool running;
	size_t n;

	if (argc != 1 ||
	    (strcmp(argv[0], "vms") && strcmp(argv[0], "runningvms")))
		return manage_syntax("usage: list vms|runningvms");
	running = strcmp(argv[0], "runningvms") == 0;
	if (manage_open_registry(false, &r))
		return MANAGE_FAIL;
	n = settings_registry_machines(r, &e);
	for (size_t i = 0; i < n; i++) {
		struct settings_machine *m;
		struct settings_error err = {{0}};

		if (settings_machine_load(e[i].path, &m, &err)) {
			/* VBoxManage lists such machines as inaccessible */
			if (!running)
				printf("\"<inaccessible>\" %s\n", e[i].uuid);
			continue;
		}
		if (!running || manage_vm_running(m))
			printf("\"%s\" %s\n", m->name, m->uuid);
		settings_machine_free(m);
	}
	settings_registry_free(r);
	return MANAGE_OK;
}
