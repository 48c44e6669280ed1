/*
 * test-auth.c - the auth libraries through the real helper process.
 *
 * Drives src/headless/authcall.c exactly as vireo-headless does: each call
 * forks vireo-authd, which loads the library from $VIREO_MODULE_DIR.
 * Covers null, simple (VirtualBox SHA-256, pbkdf2, DOMAIN\ prefix, NT
 * hash), PAM for real through pam_wrapper + pam_matrix, a library that
 * hangs (killed at the time limit), one that crashes, and name lookup.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/vireo-auth.h"
#include "headless/authcall.h"
#include "headless/modpath.h"
#include "tap.h"

#define PAM_WRAPPER_LIB "/usr/lib/x86_64-linux-gnu/libpam_wrapper.so"
#define PAM_MATRIX	"/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so"

/* ExtraData the simple library sees. */
static const char *const test_extradata[][2] = {
    {"VBoxAuthSimple/users/alice",
     "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"},
    {"VBoxAuthSimple/users/bob",
     "pbkdf2-sha256$100000$00112233445566778899aabbccddeeff$"
     "2147d14169e0af3690f720de3f98dd89d63e4dbb08a702ebbda7b33f0fe97a69"},
    /* the right hash of hunter2, one iteration under the floor */
    {"VBoxAuthSimple/users/dave",
     "pbkdf2-sha256$99999$00112233445566778899aabbccddeeff$"
     "181f37e6f6bac15442b5d6dbd19036f5717b37d68a7545c8daaaf837bd254e03"},
    {"VBoxAuthSimple/users/bob/nthash", "8846f7eaee8fb117ad06bdd830b7586c"},
    {"VBoxAuthSimple/users/carol", "pbkdf2-sha256$10$00$00"},
};

static int
test_lookup(void *ctx, const char *key, char *buf, size_t size)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(test_extradata) / sizeof(*test_extradata);
	     i++) {
		if (strcmp(key, test_extradata[i][0]) == 0) {
			size_t n = strlen(test_extradata[i][1]);

			if (n >= size)
				return -ENOSPC;
			memcpy(buf, test_extradata[i][1], n + 1);
			return (int)n;
		}
	}
	return -ENOENT;
}

/* Run vireo_auth_entry of library @name.  @return result or -errno. */
static int
test_entry(const char *name, const char *user, const char *pw, int timeout)
{
	char path[4096];
	struct authcall_req req = {
	    .library = path,
	    .vm_uuid = "{6f1c3d2e-0000-4000-8000-000000000001}",
	    .user = user,
	    .password = pw,
	    .domain = "",
	    .logon = 1,
	    .client_id = 7,
	};
	int result = -1;
	int rc = modpath_resolve("auth", modpath_auth_alias(name), path,
				 sizeof(path));

	if (rc < 0)
		return rc;
	rc = authcall_entry(&req, test_lookup, NULL, timeout, &result);
	return rc < 0 ? rc : result;
}

static void
test_simple(void)
{
	char path[4096];
	uint8_t hash[16];
	struct authcall_req req = {.library = path, .user = "bob"};
	static const uint8_t want[16] = {0x88, 0x46, 0xf7, 0xea, 0xee, 0x8f,
					 0xb1, 0x17, 0xad, 0x06, 0xbd, 0xd8,
					 0x30, 0xb7, 0x58, 0x6c};

	tap_ok(test_entry("simple", "alice", "secret", 5000) ==
		   VIREO_AUTH_GRANTED,
	       "simple: VirtualBox SHA-256 hash grants the right password");
	tap_ok(test_entry("VBoxAuthSimple", "alice", "secret", 5000) ==
		   VIREO_AUTH_GRANTED,
	       "simple: VBoxAuthSimple is an alias");
	tap_ok(test_entry("simple", "alice", "Secret", 5000) ==
		   VIREO_AUTH_DENIED,
	       "simple: wrong password denied");
	tap_ok(test_entry("simple", "WORKGROUP\\alice", "secret", 5000) ==
		   VIREO_AUTH_GRANTED,
	       "simple: DOMAIN\\ prefix is stripped");
	tap_ok(test_entry("simple", "bob", "hunter2", 5000) ==
		   VIREO_AUTH_GRANTED,
	       "simple: pbkdf2-sha256 hash grants the right password");
	tap_ok(test_entry("simple", "bob", "hunter3", 5000) ==
		   VIREO_AUTH_DENIED,
	       "simple: pbkdf2-sha256 wrong password denied");
	tap_ok(test_entry("simple", "carol", "x", 5000) == VIREO_AUTH_DENIED,
	       "simple: malformed pbkdf2 entry (too few iterations) denies");
	tap_ok(test_entry("simple", "dave", "hunter2", 5000) ==
		   VIREO_AUTH_DENIED,
	       "simple: the right password under 99999 iterations is refused "
	       "(floor 100000)");
	tap_ok(test_entry("simple", "mallory", "secret", 5000) ==
		   VIREO_AUTH_DENIED,
	       "simple: unknown user denied");
	modpath_resolve("auth", "simple", path, sizeof(path));
	memset(hash, 0, sizeof(hash));
	tap_ok(authcall_nt_hash(&req, test_lookup, NULL, 5000, hash) == 0 &&
		   memcmp(hash, want, 16) == 0,
	       "simple: NT hash from .../nthash");
	req.user = "alice";
	tap_ok(authcall_nt_hash(&req, test_lookup, NULL, 5000, hash) == -ENOENT,
	       "simple: no NT hash entry gives -ENOENT");
}

/* Write the pam_wrapper service and passdb files into @dir. */
static int
test_pam_setup(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/passdb", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "alice:wonderland:vireo-test\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/vireo-test", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "auth required %s passdb=%s/passdb\n", PAM_MATRIX, dir);
	fprintf(f, "account required %s passdb=%s/passdb\n", PAM_MATRIX, dir);
	fclose(f);
	setenv("LD_PRELOAD", PAM_WRAPPER_LIB, 1);
	setenv("PAM_WRAPPER", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", dir, 1);
	setenv("VIREO_AUTH_PAM_SERVICE", "vireo-test", 1);
	return 0;
}

static void
test_pam(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[2048];

	snprintf(dir, sizeof(dir), "%s/vireo-pam.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (access(PAM_WRAPPER_LIB, R_OK) || access(PAM_MATRIX, R_OK) ||
	    !mkdtemp(dir) || test_pam_setup(dir) < 0) {
		for (int i = 0; i < 4; i++)
			tap_skip("pam_wrapper not available (libpam-wrapper)");
		return;
	}
	tap_ok(test_entry("pam", "alice", "wonderland", 5000) ==
		   VIREO_AUTH_GRANTED,
	       "pam: right password granted (pam_wrapper + pam_matrix)");
	tap_ok(test_entry("pam", "alice", "looking-glass", 5000) ==
		   VIREO_AUTH_DENIED,
	       "pam: wrong password denied");
	tap_ok(test_entry("VBoxAuth", "bob", "wonderland", 5000) ==
		   VIREO_AUTH_DENIED,
	       "pam: unknown user denied (VBoxAuth alias)");
	setenv("VIREO_AUTH_PAM_SERVICE", "no-such-service", 1);
	tap_ok(test_entry("pam", "alice", "wonderland", 5000) ==
		   VIREO_AUTH_DENIED,
	       "pam: a service without a file denies");
	unsetenv("LD_PRELOAD");
	unsetenv("VIREO_AUTH_PAM_SERVICE");
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

int
main(void)
{
	char path[4096];

	const char *top = getenv("top_builddir");

	tap_plan(23);
	if (!top)
		tap_skip_all("top_builddir not set (run through make check)");
	snprintf(path, sizeof(path), "%s/src/headless/vireo-authd", top);
	setenv("VIREO_AUTHD", path, 1);
	tap_ok(test_entry("null", "anyone", "x", 5000) == VIREO_AUTH_GRANTED,
	       "null library grants");
	test_simple();
	test_pam();
	tap_ok(test_entry("testhang", "alice", "secret", 300) == -ETIMEDOUT,
	       "a hanging library is killed at the time limit");
	tap_ok(test_entry("testcrash", "alice", "secret", 5000) == -ECHILD,
	       "a crashing library denies (helper died)");
	tap_ok(test_entry("nosuchlib", "alice", "secret", 5000) == -ENOENT,
	       "a missing library denies");
	tap_ok(modpath_resolve("auth", "../evil", path, sizeof(path)) ==
		   -EINVAL,
	       "a relative path is not a module name");
	tap_ok(modpath_resolve("auth", "/opt/x.so", path, sizeof(path)) == 0 &&
		   strcmp(path, "/opt/x.so") == 0,
	       "an absolute path is used as is");
	tap_ok(strcmp(modpath_auth_alias("VBoxAuth"), "pam") == 0 &&
		   strcmp(modpath_auth_alias("vboxauthsimple"), "simple") == 0,
	       "VBoxAuth/VBoxAuthSimple aliases");
	tap_ok(test_entry("null", "anyone", "x", 5000) == VIREO_AUTH_GRANTED,
	       "the caller survives all of the above");
	return tap_done();
}
