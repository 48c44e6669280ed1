/*
 * test-credentials.c - what `vireo-manage internalcommands setcredentials`
 * and `passwordhash` write is accepted by the real simple auth library:
 *   test-credentials <machine.vbox> CHECK...
 * loads the machine with the settings library, dlopens vireo-auth-simple.so
 * from $VIREO_MODULE_DIR and asks it, for each CHECK:
 *   <user> <password>     right and wrong passwords and the NT hash (3 tests)
 *   -n <user> <password>  right and wrong passwords, and no NT hash (3)
 *   -d <user> <password>  this password is denied (1)
 *   -w <user> <password>  denied after at least a default-count PBKDF2 (1)
 * The work is counted by this program's own PKCS5_PBKDF2_HMAC, which the
 * library binds to (the program exports its symbols) and which hands each
 * call on to OpenSSL's.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/vireo-auth.h"
#include "settings.h"
#include "tap.h"

static unsigned long cred_iterations;

int
PKCS5_PBKDF2_HMAC(const char *pass, int passlen, const unsigned char *salt,
		  int saltlen, int iter, const EVP_MD *digest, int keylen,
		  unsigned char *out)
{
	static int (*real)(const char *, int, const unsigned char *, int, int,
			   const EVP_MD *, int, unsigned char *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "PKCS5_PBKDF2_HMAC");
	cred_iterations += iter > 0 ? (unsigned long)iter : 0;
	return real ? real(pass, passlen, salt, saltlen, iter, digest, keylen,
			   out)
		    : 0;
}

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
	   struct settings_machine *m, const char *user, const char *pw,
	   bool want_nt)
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
	int rc;

	tap_ok(cred_ask(entry, m, user, pw) == VIREO_AUTH_GRANTED,
	       "%s: simple auth grants the right password", user);
	tap_ok(cred_ask(entry, m, user, "wrong") == VIREO_AUTH_DENIED,
	       "%s: and denies a wrong one", user);
	rc = nt(&req, h);
	if (!want_nt) {
		tap_ok(rc == -ENOENT, "%s: no NT hash (rc %d)", user, rc);
		return;
	}
	settings_password_nt_hash(pw, want, sizeof(want));
	if (rc == 0)
		for (int i = 0; i < 16; i++)
			sprintf(got + 2 * i, "%02x", h[i]);
	tap_ok(strcmp(got, want) == 0, "%s: simple auth supplies the NT hash",
	       user);
}

static void
cred_deny(vireo_auth_entry_fn entry, struct settings_machine *m,
	  const char *user, const char *pw, bool work)
{
	unsigned long before = cred_iterations, done;
	int rc = cred_ask(entry, m, user, pw);

	done = cred_iterations - before;
	if (!work) {
		tap_ok(rc == VIREO_AUTH_DENIED, "%s: '%s' is denied", user, pw);
		return;
	}
	tap_ok(rc == VIREO_AUTH_DENIED &&
		   done >= VIREO_AUTH_PBKDF2_DEFAULT_ITERATIONS,
	       "%s: denied after %lu PBKDF2 iterations (at least %u)", user,
	       done, VIREO_AUTH_PBKDF2_DEFAULT_ITERATIONS);
}

static int
cred_count(int argc, char **argv)
{
	int n = 1;

	for (int i = 2; i < argc;) {
		if (argv[i][0] == '-' && i + 2 < argc) {
			n += argv[i][1] == 'n' ? 3 : 1;
			i += 3;
		} else if (argv[i][0] != '-' && i + 1 < argc) {
			n += 3;
			i += 2;
		} else {
			return -1;
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("VIREO_MODULE_DIR");
	struct settings_machine *m = NULL;
	struct settings_error err = {{0}};
	vireo_auth_entry_fn entry;
	vireo_auth_nt_hash_fn nt;
	int plan = cred_count(argc, argv);
	char so[4096];
	void *lib;

	if (argc < 4 || plan < 0)
		return 2;
	snprintf(so, sizeof(so), "%s/vireo-auth-simple.so", dir ? dir : ".");
	lib = dlopen(so, RTLD_NOW);
	if (!lib)
		tap_skip_all("vireo-auth-simple.so not built");
	entry = (vireo_auth_entry_fn)dlsym(lib, VIREO_AUTH_ENTRY_SYMBOL);
	nt = (vireo_auth_nt_hash_fn)dlsym(lib, VIREO_AUTH_NT_HASH_SYMBOL);
	tap_plan(plan);
	tap_ok(settings_machine_load(argv[1], &m, &err) == 0 && entry && nt,
	       "load %s, find the entry points %s", argv[1], err.msg);
	if (!m || !entry || !nt)
		return 1;
	for (int i = 2; i < argc;) {
		if (argv[i][0] != '-') {
			cred_check(entry, nt, m, argv[i], argv[i + 1], true);
			i += 2;
			continue;
		}
		if (argv[i][1] == 'n')
			cred_check(entry, nt, m, argv[i + 1], argv[i + 2],
				   false);
		else
			cred_deny(entry, m, argv[i + 1], argv[i + 2],
				  argv[i][1] == 'w');
		i += 3;
	}
	settings_machine_free(m);
	return tap_done();
}
