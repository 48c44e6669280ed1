/*
 * fuzz-settings.c - libFuzzer target for the .vbox loader.
 *
 * Any input must either load or fail with a message naming the file; a
 * file that loads must survive every accessor and a few edits, and its
 * unmodified serialisation must load again (a rewrite never produces a
 * file vireo itself cannot read).  Built with clang -fsanitize=fuzzer,
 * address, undefined; make check runs it briefly over the fixtures.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

static void
fuzz_touch(struct settings_machine *m)
{
	const struct settings_nic *n;
	const struct settings_attachment *a;
	const struct settings_controller *c;
	const struct settings_usb_filter *f;
	const struct settings_usb_controller *u;
	const struct settings_property *p;
	enum settings_boot_device b[SETTINGS_BOOT_POSITIONS];
	size_t sum = 0;

	for (size_t i = 0, k = settings_machine_nics(m, &n); i < k; i++)
		for (size_t j = 0; j < n[i].n_forwards; j++)
			sum += strlen(n[i].forwards[j].name);
	for (size_t i = 0, k = settings_machine_attachments(m, &a); i < k; i++)
		sum += a[i].medium_path ? strlen(a[i].medium_path) : 0;
	for (size_t i = 0, k = settings_machine_controllers(m, &c); i < k; i++)
		sum += strlen(c[i].name);
	for (size_t i = 0, k = settings_machine_usb_filters(m, &f); i < k; i++)
		sum += f[i].name ? strlen(f[i].name) : 0;
	for (size_t i = 0, k = settings_machine_usb_controllers(m, &u); i < k;
	     i++)
		sum += strlen(u[i].type);
	for (size_t i = 0, k = settings_machine_extradata(m, &p); i < k; i++)
		sum += strlen(p[i].name) + strlen(p[i].value);
	settings_machine_boot_order(m, b);
	sum += settings_vrde_get_property(m, "TCP/Ports") != NULL;
	if (sum == (size_t)-1)
		abort(); /* keep the reads from being optimised away */
}

static void
fuzz_edit(struct settings_machine *m)
{
	char *buf;
	size_t len;

	m->cpus = 3;
	m->vrde.enabled = !m->vrde.enabled;
	settings_vrde_set_property(m, "TCP/Ports", "5000");
	settings_machine_set_extradata(m, "vireo/Boot/Source", "linux");
	settings_machine_set_boot_order(m, 2, SETTINGS_BOOTDEV_NETWORK);
	settings_machine_set_nic(m, 1, "nat");
	settings_machine_set_controller(m, "SATA", "sata", NULL, 0);
	settings_machine_attach(m, "SATA", 0, 0, "HardDisk", "/x.img", NULL,
				"RAW");
	if (settings_machine_serialize(m, &buf, &len) == 0)
		free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings_error err = {{0}};
	struct settings_machine *m = NULL, *again = NULL;
	char *buf;
	size_t len;

	if (settings_machine_load_buffer((const char *)data, size,
					 "/fuzz/in.vbox", &m, &err) != 0) {
		if (strncmp(err.msg, "/fuzz/in.vbox", 13) != 0)
			abort(); /* every error names the file */
		return 0;
	}
	fuzz_touch(m);
	if (settings_machine_serialize(m, &buf, &len) == 0) {
		if (settings_machine_load_buffer(buf, len, "/fuzz/out.vbox",
						 &again, &err) != 0)
			abort(); /* vireo wrote a file it cannot read */
		settings_machine_free(again);
		free(buf);
	}
	fuzz_edit(m);
	settings_machine_free(m);
	return 0;
}
