/*
 * policy.c - connection policy and failure throttling (policy.h).
 *
 * The throttle table is fixed in size and a newcomer never evicts an
 * entry: evicting the least recently failing one let an attacker with one
 * address more than the table has slots reset its own counters forever.
 * Sources that find no free slot share the overflow slot instead.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

enum policy_verdict
policy_decide(bool allow_multi, bool reuse_single, unsigned others)
{
	if (allow_multi || others == 0)
		return POLICY_ACCEPT;
	return reuse_single ? POLICY_REPLACE : POLICY_REFUSE;
}

void
throttle_key(const char *address, char *key, size_t size)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, address, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			inet_ntop(AF_INET, &a6.s6_addr[12], buf, sizeof(buf));
			snprintf(key, size, "%s", buf);
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
		/* the canonical form of a /64 prefix ends in "::" */
		snprintf(key, size, "%s/64", buf);
		return;
	}
	snprintf(key, size, "%s", address);
}

/* A slot that holds nothing worth keeping. */
static bool
throttle_free(const struct throttle_slot *s, long now_ms)
{
	return !s->busy &&
	       (!s->failures || now_ms - s->last_ms > THROTTLE_FORGET_MS);
}

static unsigned
throttle_delay(const struct throttle_slot *s)
{
	unsigned delay = THROTTLE_BASE_MS;

	if (!s->failures)
		return 0;
	for (unsigned i = 1; i < s->failures && delay < THROTTLE_MAX_MS; i++)
		delay *= 2;
	return delay < THROTTLE_MAX_MS ? delay : THROTTLE_MAX_MS;
}

struct throttle_slot *
throttle_begin(struct throttle *t, const char *key, long now_ms,
	       unsigned *delay_ms, unsigned *failures)
{
	struct throttle_slot *s = NULL, *spare = NULL;

	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		struct throttle_slot *e = &t->slot[i];

		if (throttle_free(e, now_ms)) {
			if (!spare)
				spare = e;
			continue;
		}
		if (strcmp(e->key, key) == 0) {
			s = e;
			break;
		}
	}
	if (!s && spare) {
		s = spare;
		memset(s, 0, sizeof(*s));
		snprintf(s->key, sizeof(s->key), "%s", key);
	}
	if (!s)
		s = &t->overflow;
	if (s->busy)
		return NULL;
	if (s->failures && now_ms - s->last_ms > THROTTLE_FORGET_MS)
		s->failures = 0;
	s->busy = true;
	*delay_ms = throttle_delay(s);
	if (failures)
		*failures = s->failures;
	return s;
}

unsigned
throttle_end(struct throttle *t, struct throttle_slot *s, bool ok, long now_ms)
{
	s->busy = false;
	if (ok) {
		if (s != &t->overflow)
			s->failures = 0;
		return s->failures;
	}
	s->failures++;
	s->last_ms = now_ms;
	return s->failures;
}
