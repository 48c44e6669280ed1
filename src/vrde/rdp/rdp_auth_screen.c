/*
 * rdp_auth_screen.c - which monitor a client asks for with "@n" in its
 * credentials (vireo-vrde-rdp(7)): the domain "DOMAIN@n", the user
 * "@n\\user" for clients without a domain field, or the UPN "user@n".
 * Kept apart from rdp_auth.c so that the fuzzer can run it alone.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rdp.h"

/* If @s ends in "@<digits>", cut it off and @return the number, else -1. */
static long
rdp_cut_suffix(char *s)
{
	char *at = s ? strrchr(s, '@') : NULL;
	char *p;
	long n;

	if (!at || !at[1])
		return -1;
	for (p = at + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	n = strtol(at + 1, NULL, 10);
	*at = '\0';
	return n;
}

uint32_t
rdp_auth_take_screen(char *user, char *domain)
{
	long n = rdp_cut_suffix(domain);
	char *bs;

	/* "@n\user" in the user field, for clients without a domain */
	if (n < 0 && user && user[0] == '@' && (bs = strchr(user, '\\'))) {
		char *p = user + 1;
		while (p < bs && isdigit((unsigned char)*p))
			p++;
		if (p == bs && bs > user + 1) {
			n = strtol(user + 1, NULL, 10);
			memmove(user, bs + 1, strlen(bs + 1) + 1);
		}
	}
	if (n < 0)
		n = rdp_cut_suffix(user); /* UPN form "user@n" */
	if (n <= 0)
		return 0; /* none, or "@0": the primary screen */
	return n > 1000000 ? 1000000 : (uint32_t)(n - 1);
}
