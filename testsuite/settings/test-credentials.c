/*
 * test-credentials.c - what `vireo-manage internalcommands setcredentials`
 * and `passwordhash` write is accepted by the real simple auth library:
 *   test-credentials <machine.vbox> <user> <password> [<user> <password>]...
 * loads the machine with the settings library, dlopens vireo-auth-simple.so
 * from $VIREO_MODULE_DIR and asks it about right and wrong passwords and
 * the NT hash.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/vireo-auth.h"
#include "settings.h"
#include "tap.h"

static int
cred_extradata(void *ctx, const char *key, char *buf, size_t size)
{
	const char *v = settings_machine_get_extradata(ctx, key);

	if (!v)
		return -ENOENT;
	if (strlen(v) >= size)
		return -ENOSPC;
	strcpy(buf, v);
	return (int)strlen(v);
}

static int
cred_ask(vireo_auth_entry_fn entry, struct settings_machine *m,
	 const char *user, const char *pw)
{
	struct vireo_auth_request req = {
	    .version = VIREO_AUTH_ABI_VERSION,
	    .size = sizeof(req),
	    .caller = "vrde",
	    .vm_uuid = m->uuid,
	    .user = user,
	    .password = pw,
	    .domain = "",
	    .logon = 1,
	    .get_extradata = cred_extradata,
	    .ctx = m,
	};

	return entry(&req);
}

static void
cred_check(vireo_auth_entry_fn entry, vireo_auth_nt_hash_fn nt,
	   struct settings_machine *m, const char *user, const char *pw)
{
	struct vireo_auth_request req = {
	    .version = VIREO_AUTH_ABI_VERSION,
	    .size = sizeof(req),
	    .user = user,
	    .get_extradata = cred_extradata,
	    .ctx = m,
	};
	char want[64] = "", got[64] = "";
	uint8_t h[16];

	tap_ok(cred_ask(entry, m, user, pw) == VIREO_AUTH_GRANTED,
	       "%s: simple auth grants the right password", user);
	tap_ok(cred_ask(entry, m, user, "wrong") == VIREO_AUTH_DENIED,
	       "%s: and denies a wrong one", user);
	settings_password_nt_hash(pw, want, sizeof(want));
	if (nt(&req, h) == 0)
		for (int i = 0; i < 16; i++)
			sprintf(got + 2 * i, "%02x", h[i]);
	tap_ok(strcmp(got, want) == 0, "%s: simple auth supplies the NT hash",
	       user);
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("VIREO_MODULE_DIR");
	struct settings_machine *m = NULL;
	struct settings_error err = {{0}};
	vireo_auth_entry_fn entry;
	vireo_auth_nt_hash_fn nt;
	char so[4096];
	void *lib;

	if (argc < 4 || argc % 2)
		return 2;
	snprintf(so, sizeof(so), "%s/vireo-auth-simple.so", dir ? dir : ".");
	lib = dlopen(so, RTLD_NOW);
	if (!lib)
		tap_skip_all("vireo-auth-simple.so not built");
	entry = (vireo_auth_entry_fn)dlsym(lib, VIREO_AUTH_ENTRY_SYMBOL);
	nt = (vireo_auth_nt_hash_fn)dlsym(lib, VIREO_AUTH_NT_HASH_SYMBOL);
	tap_plan(1 + 3 * (argc - 2) / 2);
	tap_ok(settings_machine_load(argv[1], &m, &err) == 0 && entry && nt,
	       "load %s, find the entry points %s", argv[1], err.msg);
	if (!m || !entry || !nt)
		return 1;
	for (int i = 2; i + 1 < argc; i += 2)
		cred_check(entry, nt, m, argv[i], argv[i + 1]);
	settings_machine_free(m);
	return tap_done();
}
