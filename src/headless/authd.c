/*
 * authd.c - vireo-authd, the helper process that runs one auth library
 * call for vireo-headless.
 *
 * The host starts one helper per call with the socket on fd 3, sends the
 * request ('A' frame), answers the library's get_extradata() questions
 * ('Q' -> 'V'/'N') and reads the result ('R').  It kills the helper when
 * the call takes longer than authTimeout.  Keeping the library out of the
 * VM process means a crash or a hang costs one denied logon, not the VM.
 * Not meant to be run by hand.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "auth/vireo-auth.h"
#include "authproto.h"

#define AUTHD_FD 3

static char authd_buf[AUTHPROTO_FRAME_MAX + 1];

static int
authd_get_extradata(void *ctx, const char *key, char *buf, size_t size)
{
	static char reply[AUTHPROTO_FRAME_MAX + 1];
	char type;
	int n;

	(void)ctx;
	if (!key || authproto_send(AUTHD_FD, 'Q', key, strlen(key)) < 0)
		return -EIO;
	n = authproto_recv(AUTHD_FD, &type, reply, sizeof(reply), -1);
	if (n < 0)
		return -EIO;
	if (type == 'N')
		return -ENOENT;
	if (type != 'V')
		return -EIO;
	if ((size_t)n >= size)
		return -ENOSPC;
	memcpy(buf, reply, (size_t)n + 1);
	return n;
}

static int
authd_reply(int result, const uint8_t *hash)
{
	char out[4 + 16];
	int32_t r = result;
	size_t len = sizeof(r);

	memcpy(out, &r, sizeof(r));
	if (hash) {
		memcpy(out + sizeof(r), hash, 16);
		len += 16;
	}
	return authproto_send(AUTHD_FD, 'R', out, len);
}

/* What the library declares: AUTHPROTO_PROBE_* bits. */
static int
authd_probe(void *lib)
{
	const uint32_t *flags = dlsym(lib, VIREO_AUTH_FLAGS_SYMBOL);
	int r = 0;

	if (dlsym(lib, VIREO_AUTH_NT_HASH_SYMBOL))
		r |= AUTHPROTO_PROBE_NT_HASH;
	if (flags && (*flags & VIREO_AUTH_F_GRANTS_ALL))
		r |= AUTHPROTO_PROBE_GRANTS_ALL;
	return r;
}

static int
authd_call(const char **f)
{
	struct vireo_auth_request req = {
	    .version = VIREO_AUTH_ABI_VERSION,
	    .size = sizeof(req),
	    .caller = f[AUTHPROTO_F_CALLER],
	    .vm_uuid = f[AUTHPROTO_F_VM_UUID],
	    .user = f[AUTHPROTO_F_USER],
	    .password = f[AUTHPROTO_F_PASSWORD],
	    .domain = f[AUTHPROTO_F_DOMAIN],
	    .logon = f[AUTHPROTO_F_LOGON] && f[AUTHPROTO_F_LOGON][0] == '1',
	    .client_id = (uint32_t)strtoul(
		f[AUTHPROTO_F_CLIENT_ID] ? f[AUTHPROTO_F_CLIENT_ID] : "0", NULL,
		10),
	    .get_extradata = authd_get_extradata,
	};
	const char *op = f[AUTHPROTO_F_OP];
	void *lib;

	if (!op || !f[AUTHPROTO_F_LIBRARY] || f[AUTHPROTO_F_LIBRARY][0] != '/')
		return authd_reply(-EINVAL, NULL);
	lib = dlopen(f[AUTHPROTO_F_LIBRARY], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "vireo-authd: %s\n", dlerror());
		return authd_reply(-ENOENT, NULL);
	}
	if (strcmp(op, "probe") == 0)
		return authd_reply(authd_probe(lib), NULL);
	if (strcmp(op, "nthash") == 0) {
		vireo_auth_nt_hash_fn fn = (vireo_auth_nt_hash_fn)dlsym(
		    lib, VIREO_AUTH_NT_HASH_SYMBOL);
		uint8_t hash[16];
		int rc;

		if (!fn)
			return authd_reply(-ENOENT, NULL);
		rc = fn(&req, hash);
		return authd_reply(rc, rc == 0 ? hash : NULL);
	}
	vireo_auth_entry_fn entry =
	    (vireo_auth_entry_fn)dlsym(lib, VIREO_AUTH_ENTRY_SYMBOL);
	if (!entry) {
		fprintf(stderr, "vireo-authd: %s has no %s\n",
			f[AUTHPROTO_F_LIBRARY], VIREO_AUTH_ENTRY_SYMBOL);
		return authd_reply(-ENOEXEC, NULL);
	}
	return authd_reply(entry(&req), NULL);
}

int
main(void)
{
	const char *f[AUTHPROTO_F_COUNT];
	char type;
	int n;

	/* A library that prints must not write into the protocol. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	/* A crash must not leave the password behind in a core file. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
	n = authproto_recv(AUTHD_FD, &type, authd_buf, sizeof(authd_buf), -1);
	if (n < 0 || type != 'A' ||
	    authproto_unpack(authd_buf, (size_t)n, f, AUTHPROTO_F_COUNT) < 0) {
		fprintf(stderr, "vireo-authd: bad request (run by "
				"vireo-headless only)\n");
		return 2;
	}
	if (authd_call(f) < 0)
		return 1;
	/* exit, not _exit: the library's destructors clean up after it */
	explicit_bzero(authd_buf, sizeof(authd_buf));
	return 0;
}
