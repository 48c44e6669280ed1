/*
 * policy.h - decisions vireo-headless makes about RDP clients, kept free
 * of I/O so the test suite can check them directly:
 *
 *  - the single/multi connection policy applied after a successful logon
 *    (VirtualBox semantics: allowMultiConnection, reuseSingleConnection;
 *    a client that fails authentication never gets this far, so it can
 *    never evict a good one);
 *  - throttling of repeated authentication failures per client address
 *    (an exponentially growing delay before the next attempt is judged).
 */
#ifndef VIREO_HEADLESS_POLICY_H
#define VIREO_HEADLESS_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum policy_verdict {
	POLICY_ACCEPT = 0,  /* let the new client in */
	POLICY_REFUSE = 1,  /* another client holds the VM */
	POLICY_REPLACE = 2, /* disconnect the others, then accept */
};

/** @others: clients already logged on, not counting the new one. */
enum policy_verdict policy_decide(bool allow_multi, bool reuse_single,
				  unsigned others);

#define THROTTLE_SLOTS	     128
#define THROTTLE_BASE_MS     250   /* delay after the first failure */
#define THROTTLE_MAX_MS	     16000 /* cap */
#define THROTTLE_FORGET_MS   (15L * 60 * 1000)
#define THROTTLE_ADDRESS_MAX 64

struct throttle_slot {
	char address[THROTTLE_ADDRESS_MAX];
	unsigned failures;
	long last_ms; /* CLOCK_MONOTONIC of the last failure */
};

struct throttle {
	struct throttle_slot slot[THROTTLE_SLOTS];
};

/** Delay to impose on a logon from @address now (0 if none), and the
 * failures counted so far in *@failures (may be NULL). */
unsigned throttle_delay_ms(struct throttle *t, const char *address, long now_ms,
			   unsigned *failures);
/** Count a failure.  @return the new failure count. */
unsigned throttle_fail(struct throttle *t, const char *address, long now_ms);
/** A success forgets the address. */
void throttle_success(struct throttle *t, const char *address);

#endif /* VIREO_HEADLESS_POLICY_H */
