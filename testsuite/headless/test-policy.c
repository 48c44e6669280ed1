/*
 * test-policy.c - the connection policy matrix and the failure throttle
 * of vireo-headless (src/headless/policy.c), without a VM: delays, one
 * attempt at a time per source, IPv6 keyed on the /64 (the suite can
 * only reach ::1, so /64 sweeps are checked here), and a full table that
 * an address sweep cannot flush.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "headless/policy.h"
#include "tap.h"

static struct throttle t;

static void
test_matrix(void)
{
	/* allowMultiConnection, reuseSingleConnection, others -> verdict */
	static const struct {
		bool multi, reuse;
		unsigned others;
		enum policy_verdict want;
	} m[] = {
	    {false, false, 0, POLICY_ACCEPT}, {false, false, 1, POLICY_REFUSE},
	    {false, true, 0, POLICY_ACCEPT},  {false, true, 1, POLICY_REPLACE},
	    {false, true, 3, POLICY_REPLACE}, {true, false, 0, POLICY_ACCEPT},
	    {true, false, 5, POLICY_ACCEPT},  {true, true, 5, POLICY_ACCEPT},
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(*m); i++)
		tap_ok(policy_decide(m[i].multi, m[i].reuse, m[i].others) ==
			   m[i].want,
		       "multi=%d reuse=%d others=%u -> %d", m[i].multi,
		       m[i].reuse, m[i].others, m[i].want);
}

/* One attempt from @addr that ends @ok; @return the delay it got. */
static unsigned
attempt(const char *addr, bool ok, long now)
{
	struct throttle_slot *s;
	char key[THROTTLE_KEY_MAX];
	unsigned delay = 12345;

	throttle_key(addr, key, sizeof(key));
	s = throttle_begin(&t, key, now, &delay, NULL);
	if (!s)
		return ~0u;
	throttle_end(&t, s, ok, now);
	return delay;
}

/* The delay the next attempt from @addr would get (the attempt is then
 * ended as a success only for a source with no failures, so nothing is
 * forgotten). */
static unsigned
peek(const char *addr, long now, unsigned *failures)
{
	struct throttle_slot *s;
	char key[THROTTLE_KEY_MAX];
	unsigned delay = 12345, n = 0;

	throttle_key(addr, key, sizeof(key));
	s = throttle_begin(&t, key, now, &delay, &n);
	if (!s)
		return ~0u;
	s->busy = false; /* neither a failure nor a success */
	if (failures)
		*failures = n;
	return delay;
}

static void
test_throttle(void)
{
	unsigned n = 99;
	long now = 1000000;

	tap_ok(peek("10.0.0.1", now, &n) == 0 && n == 0,
	       "no delay before any failure");
	attempt("10.0.0.1", false, now);
	tap_ok(peek("10.0.0.1", now, &n) == THROTTLE_BASE_MS && n == 1,
	       "first failure: base delay");
	attempt("10.0.0.1", false, now);
	tap_ok(peek("10.0.0.1", now, NULL) == 2 * THROTTLE_BASE_MS,
	       "second failure: doubled");
	tap_ok(peek("10.0.0.2", now, NULL) == 0,
	       "another address is not delayed");
	for (int i = 0; i < 20; i++)
		attempt("10.0.0.1", false, now);
	tap_ok(peek("10.0.0.1", now, NULL) == THROTTLE_MAX_MS,
	       "the delay is capped");
	tap_ok(peek("10.0.0.1", now + THROTTLE_FORGET_MS + 1, NULL) == 0,
	       "failures are forgotten after a quiet period");
	attempt("10.0.0.3", false, now);
	attempt("10.0.0.3", true, now);
	tap_ok(peek("10.0.0.3", now, NULL) == 0,
	       "a success forgets the address");
}

static void
test_serialise(void)
{
	struct throttle_slot *a, *b;
	unsigned d1 = 0, d2 = 0;
	long now = 2000000;

	a = throttle_begin(&t, "10.1.0.1", now, &d1, NULL);
	b = throttle_begin(&t, "10.1.0.1", now, &d2, NULL);
	tap_ok(a && !b, "a second attempt from a source waits for the first");
	throttle_end(&t, a, false, now);
	b = throttle_begin(&t, "10.1.0.1", now, &d2, NULL);
	tap_ok(b && d2 == THROTTLE_BASE_MS,
	       "it then gets the delay the first one's failure earned");
	throttle_end(&t, b, false, now);
	a = throttle_begin(&t, "10.1.0.2", now, &d1, NULL);
	tap_ok(a != NULL, "other sources are not held up meanwhile");
	throttle_end(&t, a, true, now);
}

static void
is_str(const char *got, const char *want, const char *name)
{
	tap_ok(strcmp(got, want) == 0, "%s", name);
	if (strcmp(got, want))
		tap_diag("got '%s', want '%s'", got, want);
}

static void
test_keys(void)
{
	char k1[THROTTLE_KEY_MAX], k2[THROTTLE_KEY_MAX];

	throttle_key("2001:db8:1:2:aaaa::1", k1, sizeof(k1));
	throttle_key("2001:db8:1:2:bbbb:cccc:dddd:9", k2, sizeof(k2));
	is_str(k1, "2001:db8:1:2::/64", "IPv6 is keyed on its /64");
	is_str(k2, k1, "two addresses of one /64 share a key");
	throttle_key("2001:db8:1:3::1", k2, sizeof(k2));
	tap_ok(strcmp(k1, k2) != 0, "the next /64 has a key of its own");
	throttle_key("::ffff:192.0.2.7", k1, sizeof(k1));
	is_str(k1, "192.0.2.7", "IPv4-mapped IPv6 is keyed as IPv4");
	throttle_key("192.0.2.7", k2, sizeof(k2));
	is_str(k2, "192.0.2.7", "IPv4 is keyed on the address");
	throttle_key("::1", k1, sizeof(k1));
	is_str(k1, "::/64", "::1 is keyed on its /64 too");
}

static void
test_sweeps(void)
{
	long now = 3000000;
	char a[64];
	unsigned n = 0, d;
	bool kept = true;

	/* 24 addresses of one /64: one source, so the delay keeps growing */
	for (int i = 0; i < 24; i++) {
		snprintf(a, sizeof(a), "2001:db8:77:1:%x::%x", i, i + 1);
		attempt(a, false, now);
	}
	d = peek("2001:db8:77:1:ffff::1", now, &n);
	tap_ok(d == THROTTLE_MAX_MS && n == 24,
	       "a /64 sweep is throttled as one source (%u failures)", n);

	/* fill the table, then sweep past it: the newcomers share the
	 * overflow slot and nobody already counted is forgotten */
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", i / 256, i % 256);
		attempt(a, false, now + i);
	}
	for (int i = 0; i < 129; i++) {
		snprintf(a, sizeof(a), "172.16.%d.%d", i / 250, i % 250 + 1);
		attempt(a, false, now + THROTTLE_SLOTS + i);
	}
	for (int i = 0; i < THROTTLE_SLOTS && kept; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", i / 256, i % 256);
		kept =
		    peek(a, now + 2 * THROTTLE_SLOTS, &n) == THROTTLE_BASE_MS &&
		    n == 1;
	}
	tap_ok(kept, "a sweep past a full table evicts no entry");
	d = peek("172.16.9.9", now + 2 * THROTTLE_SLOTS, &n);
	tap_ok(d == THROTTLE_MAX_MS && n == 129,
	       "the %d sources beyond it are throttled together (%u "
	       "failures)",
	       129, n);
	attempt("172.16.9.10", true, now + 2 * THROTTLE_SLOTS);
	tap_ok(peek("172.16.9.9", now + 2 * THROTTLE_SLOTS, &n) ==
		   THROTTLE_MAX_MS,
	       "a success from an overflowing source forgets nothing");
	tap_ok(peek("10.0.0.1",
		    now + 2 * THROTTLE_SLOTS + THROTTLE_FORGET_MS + 1000,
		    &n) == 0,
	       "entries free up after the quiet period");
}

int
main(void)
{
	tap_plan(29);
	test_matrix();
	test_throttle();
	test_serialise();
	test_keys();
	test_sweeps();
	return tap_done();
}
