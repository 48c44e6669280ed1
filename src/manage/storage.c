/*
 * storage.c - createmedium, storagectl and storageattach.  vireo only
 * knows RAW images: createmedium makes a sparse file and registers it in
 * the global MediaRegistry; storageattach copies the medium into the
 * machine's own MediaRegistry, as VirtualBox does when it attaches one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "manage.h"

static char *
mg_storage_abs(const char *p)
{
	char cwd[PATH_MAX], *s;

	if (p[0] == '/')
		return strdup(p);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&s, "%s/%s", cwd, p) < 0)
		return NULL;
	return s;
}

static int
mg_storage_create_file(const char *path, unsigned long mb)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	/* sparse: no block is written until the guest writes it */
	if (ftruncate(fd, (off_t)mb << 20) < 0)
		rc = -errno;
	close(fd);
	if (rc)
		unlink(path);
	return rc;
}

enum { CM_FILENAME = 1, CM_SIZE, CM_SIZEBYTE, CM_FORMAT, CM_VARIANT };

int
cmd_createmedium(int argc, char **argv)
{
	static const struct manage_opt opts[] = {
	    {CM_FILENAME, "--filename", NULL, true},
	    {CM_SIZE, "--size", NULL, true},
	    {CM_SIZEBYTE, "--sizebyte", NULL, true},
	    {CM_FORMAT, "--format", NULL, true},
	    {CM_VARIANT, "--variant", NULL, true},
	    {0},
	};
	const char *file = NULL, *format = "RAW";
	struct settings_registry *r;
	char uuid[SETTINGS_UUID_LEN + 1], *path;
	unsigned long mb = 0, bytes = 0;
	struct manage_scan s;
	int id, rc, i0 = 0;

	if (argc > 0 && (!strcmp(argv[0], "disk") || !strcmp(argv[0], "hdd")))
		i0 = 1;
	manage_scan_init(&s, argc - i0, argv + i0);
	while ((id = manage_scan_next(&s, opts)) != MANAGE_END) {
		if (id == MANAGE_BAD)
			return MANAGE_SYNTAX;
		if (id == MANAGE_POSITIONAL)
			return manage_syntax("createmedium: only 'disk' media "
					     "(unexpected '%s')",
					     s.arg);
		if (id == CM_FILENAME)
			file = s.arg;
		else if (id == CM_SIZE &&
			 manage_parse_uint(s.arg, 1, 1UL << 31, &mb))
			return manage_syntax("invalid --size '%s' (MB)", s.arg);
		else if (id == CM_SIZEBYTE &&
			 (manage_parse_uint(s.arg, 1, ULONG_MAX, &bytes) ||
			  bytes % (1 << 20)))
			return manage_syntax("--sizebyte must be a multiple "
					     "of 1 MiB");
		else if (id == CM_FORMAT)
			format = s.arg;
	}
	if (bytes)
		mb = bytes >> 20;
	if (!file || !mb)
		return manage_syntax("usage: createmedium disk --filename <f> "
				     "--size <MB> [--format RAW]");
	if (strcasecmp(format, "RAW"))
		return manage_syntax("vireo only creates RAW images, not '%s'",
				     format);
	path = mg_storage_abs(file);
	if (!path || manage_open_registry(true, &r)) {
		free(path);
		return MANAGE_FAIL;
	}
	settings_uuid_generate(uuid);
	rc = mg_storage_create_file(path, mb);
	if (rc) {
		manage_error("cannot create '%s': %s", path, strerror(-rc));
		rc = MANAGE_FAIL;
	} else if (settings_registry_add_hard_disk(r, uuid, path, "RAW")) {
		manage_error("'%s' is already registered", path);
		unlink(path);
		rc = MANAGE_FAIL;
	} else if ((rc = manage_save_registry(r))) {
		unlink(path);
	} else {
		printf("Medium created. UUID: %.36s\n", uuid + 1);
	}
	settings_registry_free(r);
	free(path);
	return rc;
}

enum {
	SC_NAME = 1,
	SC_ADD,
	SC_CONTROLLER,
	SC_PORTCOUNT,
	SC_BOOTABLE,
	SC_HOSTIOCACHE,
	SC_REMOVE
};

struct storagectl_args {
	const char *name, *add, *controller;
	unsigned long ports;
	bool remove;
};

static int
storagectl_parse(int argc, char **argv, struct storagectl_args *a)
{
	static const struct manage_opt opts[] = {
	    {SC_NAME, "--name", NULL, true},
	    {SC_ADD, "--add", NULL, true},
	    {SC_CONTROLLER, "--controller", NULL, true},
	    {SC_PORTCOUNT, "--portcount", "--port-count", true},
	    {SC_BOOTABLE, "--bootable", NULL, true},
	    {SC_HOSTIOCACHE, "--hostiocache", "--host-io-cache", true},
	    {SC_REMOVE, "--remove", NULL, false},
	    {0},
	};
	struct manage_scan s;
	bool b;
	int id;

	manage_scan_args(&s, argc, argv, NULL, 0);
	while ((id = manage_scan_next(&s, opts)) > 0) {
		if (id == SC_NAME)
			a->name = s.arg;
		else if (id == SC_ADD)
			a->add = s.arg;
		else if (id == SC_CONTROLLER)
			a->controller = s.arg;
		else if (id == SC_PORTCOUNT &&
			 manage_parse_uint(s.arg, 1, 30, &a->ports))
			return manage_syntax("invalid --portcount '%s'", s.arg);
		else if ((id == SC_BOOTABLE || id == SC_HOSTIOCACHE) &&
			 manage_parse_onoff(s.arg, &b))
			return manage_syntax("invalid on|off value '%s'",
					     s.arg);
		else if (id == SC_REMOVE)
			a->remove = true;
	}
	if (id == MANAGE_BAD)
		return MANAGE_SYNTAX;
	if (!a->name)
		return manage_syntax("storagectl needs --name");
	return MANAGE_OK;
}

/* storagectl --controller for an existing controller: its bus again. */
static const char *
storagectl_bus_of(const struct settings_machine *m, const char *name)
{
	static const struct {
		const char *type, *bus;
	} map[] = {{"PIIX3", "ide"},	    {"PIIX4", "ide"},
		   {"ICH6", "ide"},	    {"AHCI", "sata"},
		   {"LsiLogic", "scsi"},    {"BusLogic", "scsi"},
		   {"LsiLogicSas", "sas"},  {"I82078", "floppy"},
		   {"USB", "usb"},	    {"NVMe", "pcie"},
		   {"VirtioSCSI", "virtio"}};
	const struct settings_controller *c;
	size_t n = settings_machine_controllers(m, &c);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].name, name) && c[i].type)
			for (size_t k = 0; k < sizeof(map) / sizeof(*map); k++)
				if (!strcmp(map[k].type, c[i].type))
					return map[k].bus;
	return NULL;
}

int
cmd_storagectl(int argc, char **argv)
{
	struct storagectl_args a = {0};
	struct settings_machine *m;
	const char *bus;
	int rc;

	if (argc < 1 || argv[0][0] == '-')
		return manage_syntax("usage: storagectl <vm> --name <name> "
				     "[--add <bus>] [--controller <type>] ...");
	if ((rc = storagectl_parse(argc - 1, argv + 1, &a)))
		return rc;
	if (manage_open_vm(argv[0], true, &m))
		return MANAGE_FAIL;
	bus = a.add ? a.add : storagectl_bus_of(m, a.name);
	if (a.remove)
		rc = settings_machine_remove_controller(m, a.name);
	else if (!bus)
		rc = -ENOENT;
	else
		rc = settings_machine_set_controller(
		    m, a.name, bus, a.controller, (uint32_t)a.ports);
	if (rc == -EINVAL) {
		rc = manage_syntax("invalid bus/controller '%s'/'%s'",
				   bus ? bus : "",
				   a.controller ? a.controller : "");
	} else if (rc == -ENOENT) {
		manage_error("no storage controller named '%s'", a.name);
		rc = MANAGE_FAIL;
	} else if (!rc) {
		rc = manage_save_vm(m);
	} else {
		rc = MANAGE_FAIL;
	}
	settings_machine_free(m);
	return rc;
}

enum { SA_CTL = 1, SA_PORT, SA_DEVICE, SA_TYPE, SA_MEDIUM };

struct attach_args {
	const char *ctl, *type, *medium;
	unsigned long port, device;
};

static int
attach_parse(int argc, char **argv, struct attach_args *a)
{
	static const struct manage_opt opts[] = {
	    {SA_CTL, "--storagectl", NULL, true},
	    {SA_PORT, "--port", NULL, true},
	    {SA_DEVICE, "--device", NULL, true},
	    {SA_TYPE, "--type", NULL, true},
	    {SA_MEDIUM, "--medium", NULL, true},
	    {0},
	};
	static const char *const types[][2] = {
	    {"hdd", "HardDisk"}, {"dvddrive", "DVD"}, {"fdd", "Floppy"}};
	struct manage_scan s;
	int id;

	manage_scan_args(&s, argc, argv, NULL, 0);
	while ((id = manage_scan_next(&s, opts)) > 0) {
		if (id == SA_CTL) {
			a->ctl = s.arg;
		} else if (id == SA_MEDIUM) {
			a->medium = s.arg;
		} else if ((id == SA_PORT || id == SA_DEVICE) &&
			   manage_parse_uint(s.arg, 0, 29,
					     id == SA_PORT ? &a->port
							   : &a->device)) {
			return manage_syntax("invalid port/device '%s'", s.arg);
		} else if (id == SA_TYPE) {
			a->type = NULL;
			for (size_t i = 0; i < 3; i++)
				if (!strcmp(s.arg, types[i][0]))
					a->type = types[i][1];
			if (!a->type)
				return manage_syntax("invalid --type '%s' "
						     "(hdd|dvddrive|fdd)",
						     s.arg);
		}
	}
	if (id == MANAGE_BAD)
		return MANAGE_SYNTAX;
	if (!a->ctl || !a->medium)
		return manage_syntax("storageattach needs --storagectl and "
				     "--medium");
	if (!a->type)
		a->type = "HardDisk";
	return MANAGE_OK;
}

/* --medium: none, a uuid or path from the global registry, or a path. */
static int
attach_resolve(const char *medium, char uuid[SETTINGS_UUID_LEN + 1],
	       char **path, char **format)
{
	struct settings_registry *r;
	char *abs = NULL;
	int rc;

	if (manage_open_registry(false, &r))
		return MANAGE_FAIL;
	rc = settings_registry_find_hard_disk(r, medium, uuid, path, format);
	if (rc && settings_uuid_normalize(medium, uuid) != 0) {
		abs = mg_storage_abs(medium);
		rc = abs ? settings_registry_find_hard_disk(r, abs, uuid, path,
							    format)
			 : -ENOMEM;
		if (rc && abs && access(abs, R_OK) == 0) {
			uuid[0] = '\0'; /* unregistered: a new uuid */
			*path = abs;
			*format = strdup("RAW");
			abs = NULL;
			rc = 0;
		}
	}
	free(abs);
	settings_registry_free(r);
	if (rc)
		manage_error("cannot find medium '%s'", medium);
	return rc ? MANAGE_FAIL : MANAGE_OK;
}

int
cmd_storageattach(int argc, char **argv)
{
	struct attach_args a = {0};
	struct settings_machine *m;
	char uuid[SETTINGS_UUID_LEN + 1] = "", *path = NULL, *format = NULL;
	int rc;

	if (argc < 1 || argv[0][0] == '-')
		return manage_syntax("usage: storageattach <vm> --storagectl "
				     "<name> --port <n> --device <n> --type "
				     "hdd|dvddrive|fdd --medium <file>|none");
	if ((rc = attach_parse(argc - 1, argv + 1, &a)))
		return rc;
	if (strcmp(a.medium, "none") &&
	    attach_resolve(a.medium, uuid, &path, &format))
		return MANAGE_FAIL;
	if (manage_open_vm(argv[0], true, &m)) {
		free(path);
		free(format);
		return MANAGE_FAIL;
	}
	rc = settings_machine_attach(m, a.ctl, (int32_t)a.port,
				     (int32_t)a.device, a.type, path,
				     uuid[0] ? uuid : NULL, format);
	if (rc == -ENOENT)
		manage_error("no storage controller named '%s'", a.ctl);
	else if (rc)
		manage_error("cannot attach '%s': %s", a.medium, strerror(-rc));
	rc = rc ? MANAGE_FAIL : manage_save_vm(m);
	settings_machine_free(m);
	free(path);
	free(format);
	return rc;
}
