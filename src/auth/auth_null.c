/*
 * auth_null.c - vireo-auth-null.so, an auth library that grants everyone.
 *
 * It exists to exercise the external-library path (helper process, time
 * limit, result decoding) without any credentials store; never use it to
 * protect a real VM.
 */
#include "vireo-auth.h"

/* Say so, so that vireo-headless treats this library like authType Null
 * and does not listen beyond loopback by default. */
const uint32_t vireo_auth_flags = VIREO_AUTH_F_GRANTS_ALL;

int
vireo_auth_entry(const struct vireo_auth_request *req)
{
	if (!req || req->version != VIREO_AUTH_ABI_VERSION)
		return VIREO_AUTH_DENIED;
	return VIREO_AUTH_GRANTED;
}
