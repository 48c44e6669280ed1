/*
 * policy.c - connection policy and failure throttling (policy.h).
 *
 * The throttle table is small and fixed: when it is full the least
 * recently failing address is forgotten, so an attacker spraying source
 * addresses gains nothing over using one.
 */
#include "config.h"

#include <string.h>

#include "policy.h"

enum policy_verdict
policy_decide(bool allow_multi, bool reuse_single, unsigned others)
{
	if (allow_multi || others == 0)
		return POLICY_ACCEPT;
	return reuse_single ? POLICY_REPLACE : POLICY_REFUSE;
}

static struct throttle_slot *
throttle_find(struct throttle *t, const char *address, long now_ms)
{
	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		struct throttle_slot *s = &t->slot[i];

		if (!s->failures)
			continue;
		if (now_ms - s->last_ms > THROTTLE_FORGET_MS) {
			s->failures = 0;
			continue;
		}
		if (strcmp(s->address, address) == 0)
			return s;
	}
	return NULL;
}

unsigned
throttle_delay_ms(struct throttle *t, const char *address, long now_ms,
		  unsigned *failures)
{
	struct throttle_slot *s = throttle_find(t, address, now_ms);
	unsigned delay = THROTTLE_BASE_MS;

	if (failures)
		*failures = s ? s->failures : 0;
	if (!s)
		return 0;
	for (unsigned i = 1; i < s->failures && delay < THROTTLE_MAX_MS; i++)
		delay *= 2;
	return delay < THROTTLE_MAX_MS ? delay : THROTTLE_MAX_MS;
}

unsigned
throttle_fail(struct throttle *t, const char *address, long now_ms)
{
	struct throttle_slot *s = throttle_find(t, address, now_ms);

	if (!s) {
		/* a free slot, else the one that failed longest ago */
		s = &t->slot[0];
		for (int i = 0; i < THROTTLE_SLOTS; i++) {
			if (!t->slot[i].failures) {
				s = &t->slot[i];
				break;
			}
			if (t->slot[i].last_ms < s->last_ms)
				s = &t->slot[i];
		}
		memset(s, 0, sizeof(*s));
		strncpy(s->address, address, sizeof(s->address) - 1);
	}
	s->failures++;
	s->last_ms = now_ms;
	return s->failures;
}

void
throttle_success(struct throttle *t, const char *address)
{
	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		if (t->slot[i].failures &&
		    strcmp(t->slot[i].address, address) == 0)
			t->slot[i].failures = 0;
	}
}
