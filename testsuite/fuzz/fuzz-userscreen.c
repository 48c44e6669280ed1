/*
 * fuzz-userscreen.c - libFuzzer target for the "@n" monitor selector in
 * a client's user and domain names (src/vrde/rdp/rdp_auth_screen.c),
 * which come from the network before logon.
 *
 * The input is the user name, a NUL, then the domain (no NUL: no domain
 * field).  Oracles besides ASan/UBSan: the screen is bounded, the names
 * only get shorter, and whatever "@n" was taken is gone from them.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "rdp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t ulen = nul ? (size_t)(nul - data) : size;
	char *user = strndup((const char *)data, ulen);
	char *domain =
	    nul ? strndup((const char *)nul + 1, size - ulen - 1) : NULL;
	size_t u0 = strlen(user), d0 = domain ? strlen(domain) : 0;
	uint32_t screen = rdp_auth_take_screen(user, domain);

	FUZZ_ASSERT(screen <= 1000000);
	FUZZ_ASSERT(strlen(user) <= u0);
	FUZZ_ASSERT(!domain || strlen(domain) <= d0);
	if (screen > 0)
		FUZZ_ASSERT(strlen(user) < u0 ||
			    (domain && strlen(domain) < d0));
	free(user);
	free(domain);
	return 0;
}
