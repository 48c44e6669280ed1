/*
 * authcall.h - run one auth library call in a vireo-authd helper process
 * with a time limit (the host side of authproto.h).
 */
#ifndef VIREO_HEADLESS_AUTHCALL_H
#define VIREO_HEADLESS_AUTHCALL_H

#include <stddef.h>
#include <stdint.h>

struct authcall_req {
	const char *library; /* absolute path of the auth library */
	const char *vm_uuid;
	const char *user;
	const char *password; /* NULL for logoff and nt_hash */
	const char *domain;
	int logon; /* 1 logon, 0 the client left */
	uint32_t client_id;
};

/** Answers the library's get_extradata(): copy the value of @key into
 * @buf.  @return length, -ENOENT, -ENOSPC. */
typedef int (*authcall_lookup_fn)(void *ctx, const char *key, char *buf,
				  size_t size);

/**
 * Call vireo_auth_entry() of @req->library within @timeout_ms.
 * @return 0 with *@result set (VIREO_AUTH_GRANTED/DENIED or whatever the
 * library returned); -ETIMEDOUT (the helper was killed), -ECHILD (it died,
 * e.g. the library crashed), -ENOENT (no such library or symbol), other
 * negative errno.  Callers deny on any error.
 */
int authcall_entry(const struct authcall_req *req, authcall_lookup_fn lookup,
		   void *ctx, int timeout_ms, int *result);

/** vireo_auth_nt_hash() of @req->library.  @return 0 with @hash set,
 * -ENOENT when the library has no hash for the user, other errors as
 * above. */
int authcall_nt_hash(const struct authcall_req *req, authcall_lookup_fn lookup,
		     void *ctx, int timeout_ms, uint8_t hash[16]);

/** Whether @req->library exports vireo_auth_nt_hash (*@has_nt 1/0).
 * @return 0 or negative errno. */
int authcall_probe(const struct authcall_req *req, int timeout_ms, int *has_nt);

#endif /* VIREO_HEADLESS_AUTHCALL_H */
