/*
 * fuzz-registry.c - libFuzzer target for the global registry file
 * (src/settings/registry.c, vireo.xml), which any user-writable config
 * directory can hold.
 *
 * Any input must load or fail with a message naming the file; a registry
 * that loads must survive every accessor and a few edits.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "settings.h"

#define FUZZ_PATH "/fuzz/vireo.xml"

static void
fuzz_read(struct settings_registry *r)
{
	const struct settings_registry_entry *e;
	const struct settings_property *p;
	char uuid[SETTINGS_UUID_LEN + 1], *loc = NULL, *fmt = NULL, *path;
	const char *s;
	size_t n, sum = 0;

	n = settings_registry_machines(r, &e);
	for (size_t i = 0; i < n; i++) {
		sum += strlen(e[i].uuid) + (e[i].path ? strlen(e[i].path) : 0);
		if (settings_registry_find(r, e[i].uuid, &path) == 0) {
			sum += strlen(path);
			free(path);
		}
	}
	n = settings_registry_extradata(r, &p);
	for (size_t i = 0; i < n; i++) {
		sum += strlen(p[i].name) + strlen(p[i].value);
		s = settings_registry_get_extradata(r, p[i].name);
		FUZZ_ASSERT(s != NULL);
	}
	s = settings_registry_auth_library(r);
	sum += s ? strlen(s) : 0;
	s = settings_registry_machine_folder(r);
	sum += s ? strlen(s) : 0;
	if (settings_registry_find(r, "vm", &path) == 0)
		free(path);
	if (settings_registry_find_hard_disk(r, "/x.img", uuid, &loc, &fmt) ==
	    0) {
		sum += strlen(uuid) + (loc ? strlen(loc) : 0);
		free(loc);
		free(fmt);
	}
	if (sum == (size_t)-1)
		abort(); /* keep the reads */
}

static void
fuzz_edit(struct settings_registry *r)
{
	static const char u[] = "{0a1b2c3d-0000-4000-8000-00000000000f}";

	settings_registry_add_machine(r, u, "/vms/vm/vm.vbox");
	settings_registry_set_extradata(r, "GUI/Fuzz", "1");
	settings_registry_set_auth_library(r, "simple");
	settings_registry_set_machine_folder(r, "/vms");
	settings_registry_add_hard_disk(r, u, "/x.img", "RAW");
	settings_registry_remove_machine(r, u);
	fuzz_read(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings_error err = {{0}};
	struct settings_registry *r = NULL;

	if (settings_registry_load_buffer((const char *)data, size, FUZZ_PATH,
					  &r, &err) != 0) {
		FUZZ_ASSERT(!strncmp(err.msg, FUZZ_PATH, strlen(FUZZ_PATH)));
		return 0;
	}
	fuzz_read(r);
	fuzz_edit(r);
	settings_registry_free(r);
	return 0;
}
