/*
 * internal.c - `internalcommands passwordhash` and `internalcommands
 * setcredentials`: the password formats of simple auth (conventions.md).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth/vireo-auth.h"
#include "manage.h"

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

	manage_scan_args(&s, argc, argv, &pw, 1);
	while ((id = manage_scan_next(&s, opts)) > 0)
		if (id == 1)
			alg = s.arg;
		else
			nt = true;
	if (id == MANAGE_BAD)
		return MANAGE_SYNTAX;
	if (!pw)
		return manage_syntax("usage: internalcommands passwordhash "
				     "[--algorithm sha256|pbkdf2] [--nt] "
				     "<password>");
	if (nt)
		rc = settings_password_nt_hash(pw, out, sizeof(out));
	else if (!strcmp(alg, "sha256"))
		rc = settings_password_hash_sha256(pw, out, sizeof(out));
	else if (!strcmp(alg, "pbkdf2"))
		rc = settings_password_hash_pbkdf2(
		    pw, VIREO_AUTH_PBKDF2_DEFAULT_ITERATIONS, out, sizeof(out));
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

#define INTERNAL_PASSWORD_MAX 1024

/* VBoxManage's --passwordfile: the first line of FILE, or of stdin for
 * "-" (or "stdin", as --teleporter-password-file takes it).  @return 0,
 * or -1 after printing why. */
int
manage_read_password(const char *file, char *pw, size_t size)
{
	bool in = !strcmp(file, "-") || !strcmp(file, "stdin");
	const char *name = in ? "stdin" : file;
	FILE *f = in ? stdin : fopen(file, "re");
	bool whole;

	if (!f) {
		manage_error("cannot open the password file %s: %s", file,
			     strerror(errno));
		return -1;
	}
	pw[0] = '\0';
	/* one line: a terminal gives it without an end of file */
	if (!fgets(pw, (int)size, f))
		pw[0] = '\0';
	whole = strchr(pw, '\n') || feof(f);
	if (f != stdin)
		fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	if (!whole) {
		manage_error("the password in %s is longer than %d bytes", name,
			     (int)size - 2);
		return -1;
	}
	if (!pw[0]) {
		manage_error("%s holds no password", name);
		return -1;
	}
	return 0;
}

struct internal_cred {
	char key[512], nkey[520];
	char hash[256], nt[64];
	bool nla;
};

/* The salted hash, and the NT hash only when NLA is asked for: an NT hash
 * is password-equivalent for NLA, so the salt would protect nothing. */
static int
internal_cred_hash(struct internal_cred *c, const char *user, const char *pw)
{
	snprintf(c->key, sizeof(c->key), "VBoxAuthSimple/users/%s", user);
	snprintf(c->nkey, sizeof(c->nkey), "%s/nthash", c->key);
	if (settings_password_hash_pbkdf2(pw,
					  VIREO_AUTH_PBKDF2_DEFAULT_ITERATIONS,
					  c->hash, sizeof(c->hash)) ||
	    (c->nla && settings_password_nt_hash(pw, c->nt, sizeof(c->nt)))) {
		manage_error("cannot hash the password");
		return -1;
	}
	return 0;
}

/* Without --nla an old NT hash is deleted: it would still let the old
 * password in over NLA. */
static int
internal_cred_store_vm(const char *vm, struct internal_cred *c)
{
	struct settings_machine *m = NULL;
	const char *method;
	int rc;

	if (manage_open_vm(vm, true, &m))
		return MANAGE_FAIL;
	rc = settings_machine_set_extradata(m, c->key, c->hash) ||
	     settings_machine_set_extradata(m, c->nkey, c->nla ? c->nt : NULL);
	rc = rc ? MANAGE_FAIL : manage_save_vm(m);
	method = settings_vrde_get_property(m, "Security/Method");
	if (rc == MANAGE_OK && !c->nla && method && !strcasecmp(method, "NLA"))
		fprintf(stderr,
			"vireo-manage: warning: Security/Method of '%s' is NLA "
			"and no NT hash was stored (--nla): this user cannot "
			"log on\n",
			m->name);
	settings_machine_free(m);
	return rc;
}

static int
internal_cred_store_global(struct internal_cred *c)
{
	struct settings_registry *r = NULL;
	int rc;

	if (manage_open_registry(true, &r))
		return MANAGE_FAIL;
	rc = settings_registry_set_extradata(r, c->key, c->hash) ||
	     settings_registry_set_extradata(r, c->nkey, c->nla ? c->nt : NULL);
	rc = rc ? MANAGE_FAIL : manage_save_registry(r);
	settings_registry_free(r);
	return rc;
}

/* ExtraData VBoxAuthSimple/users/<user> (salted) and, with --nla,
 * .../nthash.  The password comes from argv (visible to other local users
 * in /proc/PID/cmdline while we run) or, better, from --passwordfile. */
static int
internal_setcredentials(int argc, char **argv)
{
	static const struct manage_opt opts[] = {
	    {1, "--passwordfile", NULL, true},
	    {2, "--nla", NULL, false},
	    {0},
	};
	char pwbuf[INTERNAL_PASSWORD_MAX + 2];
	const char *pos[3], *file = NULL, *pw = NULL;
	struct internal_cred c = {0};
	struct manage_scan s;
	int id, npos = 0, rc;

	manage_scan_args(&s, argc, argv, pos, 3);
	while ((id = manage_scan_next(&s, opts)) > 0)
		if (id == 1)
			file = s.arg;
		else
			c.nla = true;
	if (id == MANAGE_BAD)
		return MANAGE_SYNTAX;
	npos = s.npos;
	if (npos < 2 || npos != 2 + !file || !*pos[1] || strchr(pos[1], '/'))
		return manage_syntax(
		    "usage: internalcommands setcredentials <vm>|global <user> "
		    "<password>|--passwordfile <file>|- [--nla]");
	if (file && manage_read_password(file, pwbuf, sizeof(pwbuf)))
		return MANAGE_FAIL;
	pw = file ? pwbuf : pos[2];
	rc = internal_cred_hash(&c, pos[1], pw);
	OPENSSL_cleanse(pwbuf, sizeof(pwbuf));
	if (rc)
		rc = MANAGE_FAIL;
	else if (!strcmp(pos[0], "global"))
		rc = internal_cred_store_global(&c);
	else
		rc = internal_cred_store_vm(pos[0], &c);
	OPENSSL_cleanse(&c, sizeof(c));
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
