/*
 * internal.c - `internalcommands passwordhash` and `internalcommands
 * setcredentials`: the password formats of simple auth (conventions.md).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "manage.h"

#define PBKDF2_ITERATIONS 100000

static int
internal_passwordhash(int argc, char **argv)
{
	static const struct manage_opt opts[] = {
	    {1, "--algorithm", NULL, true},
	    {2, "--nt", NULL, false},
	    {0},
	};
	const char *pw = NULL, *alg = "pbkdf2";
	struct manage_scan s;
	char out[256];
	bool nt = false;
	int id, rc;

	manage_scan_init(&s, argc, argv);
	while ((id = manage_scan_next(&s, opts)) != MANAGE_END) {
		if (id == MANAGE_BAD)
			return MANAGE_SYNTAX;
		if (id == MANAGE_POSITIONAL && pw)
			return manage_syntax("unexpected argument: %s", s.arg);
		if (id == MANAGE_POSITIONAL)
			pw = s.arg;
		else if (id == 1)
			alg = s.arg;
		else
			nt = true;
	}
	if (!pw)
		return manage_syntax("usage: internalcommands passwordhash "
				     "[--algorithm sha256|pbkdf2] [--nt] "
				     "<password>");
	if (nt)
		rc = settings_password_nt_hash(pw, out, sizeof(out));
	else if (!strcmp(alg, "sha256"))
		rc = settings_password_hash_sha256(pw, out, sizeof(out));
	else if (!strcmp(alg, "pbkdf2"))
		rc = settings_password_hash_pbkdf2(pw, PBKDF2_ITERATIONS, out,
						   sizeof(out));
	else
		return manage_syntax("unknown algorithm '%s' (sha256|pbkdf2)",
				     alg);
	if (rc) {
		manage_error("cannot hash the password");
		return MANAGE_FAIL;
	}
	printf("Password hash: %s\n", out);
	return MANAGE_OK;
}

/* ExtraData VBoxAuthSimple/users/<user> (salted) and .../nthash. */
static int
internal_setcredentials(int argc, char **argv)
{
	char key[512], nkey[520], hash[256], nt[64];
	struct settings_registry *r = NULL;
	struct settings_machine *m = NULL;
	int rc;

	if (argc != 3 || !*argv[1] || strchr(argv[1], '/'))
		return manage_syntax("usage: internalcommands setcredentials "
				     "<vm>|global <user> <password>");
	snprintf(key, sizeof(key), "VBoxAuthSimple/users/%s", argv[1]);
	snprintf(nkey, sizeof(nkey), "%s/nthash", key);
	if (settings_password_hash_pbkdf2(argv[2], PBKDF2_ITERATIONS, hash,
					  sizeof(hash)) ||
	    settings_password_nt_hash(argv[2], nt, sizeof(nt))) {
		manage_error("cannot hash the password");
		return MANAGE_FAIL;
	}
	if (!strcmp(argv[0], "global")) {
		if (manage_open_registry(true, &r))
			return MANAGE_FAIL;
		rc = settings_registry_set_extradata(r, key, hash) ||
		     settings_registry_set_extradata(r, nkey, nt);
		rc = rc ? MANAGE_FAIL : manage_save_registry(r);
		settings_registry_free(r);
		return rc;
	}
	if (manage_open_vm(argv[0], true, &m))
		return MANAGE_FAIL;
	rc = settings_machine_set_extradata(m, key, hash) ||
	     settings_machine_set_extradata(m, nkey, nt);
	rc = rc ? MANAGE_FAIL : manage_save_vm(m);
	settings_machine_free(m);
	return rc;
}

int
cmd_internalcommands(int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "passwordhash"))
		return internal_passwordhash(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "setcredentials"))
		return internal_setcredentials(argc - 1, argv + 1);
	return manage_syntax("usage: internalcommands passwordhash|"
			     "setcredentials ...");
}
