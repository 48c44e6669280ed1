/*
 * policy.h - decisions vireo-headless makes about RDP clients, kept free
 * of I/O so the test suite can check them directly:
 *
 *  - the single/multi connection policy applied after a successful logon
 *    (VirtualBox semantics: allowMultiConnection, reuseSingleConnection;
 *    a client that fails authentication never gets this far, so it can
 *    never evict a good one);
 *  - throttling of repeated authentication failures per client source
 *    (attempts judged one at a time, after a delay growing exponentially
 *    with the failures).
 */
#ifndef VIREO_HEADLESS_POLICY_H
#define VIREO_HEADLESS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum policy_verdict {
	POLICY_ACCEPT = 0,  /* let the new client in */
	POLICY_REFUSE = 1,  /* another client holds the VM */
	POLICY_REPLACE = 2, /* disconnect the others, then accept */
};

/** @others: clients already logged on, not counting the new one. */
enum policy_verdict policy_decide(bool allow_multi, bool reuse_single,
				  unsigned others);

/*
 * The throttle keys sources: an IPv4 address, or the /64 prefix of an
 * IPv6 address (one subscriber usually holds a whole /64).  Attempts from
 * one source are judged one at a time, each after a delay that doubles
 * with the source's recent failures.  The table is bounded and nothing in
 * it is ever evicted by a newcomer: a source that finds it full shares the
 * overflow slot with every other such source, so spraying addresses only
 * throttles the sprayer harder.
 */
#define THROTTLE_SLOTS	   1024
#define THROTTLE_BASE_MS   250	 /* delay after the first failure */
#define THROTTLE_MAX_MS	   16000 /* cap */
#define THROTTLE_FORGET_MS (15L * 60 * 1000)
#define THROTTLE_KEY_MAX   48 /* "ffff:ffff:ffff:ffff::/64" fits */

struct throttle_slot {
	char key[THROTTLE_KEY_MAX];
	unsigned failures;
	long last_ms; /* CLOCK_MONOTONIC of the last failure */
	bool busy;    /* an attempt from this source is being judged */
};

struct throttle {
	struct throttle_slot slot[THROTTLE_SLOTS];
	struct throttle_slot overflow; /* sources that found no free slot */
};

/** The throttle key of the textual address @address into @key: an IPv4
 * address as is (also IPv4-mapped IPv6), an IPv6 address as its /64
 * prefix ("2001:db8:1:2::/64"), anything else as is, truncated. */
void throttle_key(const char *address, char *key, size_t size);

/** Begin an attempt from @key.  @return its slot, or NULL while another
 * attempt from the same source is being judged (wait and call again).
 * *@delay_ms: how long to wait before judging it; *@failures (may be
 * NULL): the source's recent failures. */
struct throttle_slot *throttle_begin(struct throttle *t, const char *key,
				     long now_ms, unsigned *delay_ms,
				     unsigned *failures);
/** End the attempt on @s: @ok forgets the source's failures (never those
 * of the overflow slot), else one more is counted.
 * @return the source's failures now. */
unsigned throttle_end(struct throttle *t, struct throttle_slot *s, bool ok,
		      long now_ms);

#endif /* VIREO_HEADLESS_POLICY_H */
