/*
 * vireo-auth.h - the authentication library ABI of vireo (vireo-auth(3)).
 *
 * An auth library is a shared object exporting vireo_auth_entry() and,
 * optionally, vireo_auth_nt_hash() and the constant vireo_auth_flags.
 * vireo-headless calls them in a helper process with a time limit, so a library
 * that crashes or hangs only denies the client it was asked about.
 */
#ifndef VIREO_AUTH_H
#define VIREO_AUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIREO_AUTH_ABI_VERSION	  1u
#define VIREO_AUTH_ENTRY_SYMBOL	  "vireo_auth_entry"
#define VIREO_AUTH_NT_HASH_SYMBOL "vireo_auth_nt_hash"
#define VIREO_AUTH_FLAGS_SYMBOL	  "vireo_auth_flags"

/* Bits of the optional export vireo_auth_flags: what a library declares
 * about itself. */
/** The library grants every client whatever it sends: nothing secret
 * protects the VM.  The host treats it like authType Null (loopback-only
 * listening unless TCP/Address is set, with a warning). */
#define VIREO_AUTH_F_GRANTS_ALL 0x1u

/*
 * The simple library's salted hashes ("pbkdf2-sha256$<iterations>$...",
 * vireo-auth(3)): fewer iterations than the floor are refused when a hash
 * is made and when one is checked; the default is what vireo-manage
 * writes, and the work done for an unknown user, so that the answer's
 * timing does not tell which users exist.
 */
#define VIREO_AUTH_PBKDF2_MIN_ITERATIONS     100000u
#define VIREO_AUTH_PBKDF2_DEFAULT_ITERATIONS 100000u

enum vireo_auth_result {
	VIREO_AUTH_DENIED = 0,
	VIREO_AUTH_GRANTED = 1,
};

struct vireo_auth_request {
	uint32_t version;     /**< VIREO_AUTH_ABI_VERSION */
	uint32_t size;	      /**< sizeof(struct vireo_auth_request) */
	const char *caller;   /**< "vrde" */
	const char *vm_uuid;  /**< "{xxxxxxxx-...}", NULL for global */
	const char *user;     /**< as the client sent it, "@n" removed */
	const char *password; /**< NULL for logoff and for nt_hash */
	const char *domain;
	int logon; /**< 1: logon; 0: the client left (result ignored) */
	uint32_t client_id; /**< the VRDE client id */
	/** Read-only access to the VM's ExtraData (falling back to the
	 * global ExtraData when the VM has no such key).  Copies the value
	 * into @buf.  @return its length, -ENOENT if unset, -ENOSPC. */
	int (*get_extradata)(void *ctx, const char *key, char *buf,
			     size_t size);
	void *ctx; /**< first argument of get_extradata */
};

/** Decide about a client.  @return enum vireo_auth_result. */
typedef int (*vireo_auth_entry_fn)(const struct vireo_auth_request *req);
/** Supply the NT hash of req->user for NLA.  @return 0 or -ENOENT. */
typedef int (*vireo_auth_nt_hash_fn)(const struct vireo_auth_request *req,
				     uint8_t out[16]);

int vireo_auth_entry(const struct vireo_auth_request *req);
/** Optional: VIREO_AUTH_F_* bits (absent means 0). */
extern const uint32_t vireo_auth_flags;
int vireo_auth_nt_hash(const struct vireo_auth_request *req, uint8_t out[16]);

#ifdef __cplusplus
}
#endif

#endif /* VIREO_AUTH_H */
