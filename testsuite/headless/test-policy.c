/*
 * test-policy.c - the connection policy matrix and the failure throttle
 * of vireo-headless (src/headless/policy.c), without a VM.
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

static void
test_throttle(void)
{
	unsigned n = 99;
	long now = 1000000;

	tap_ok(throttle_delay_ms(&t, "10.0.0.1", now, &n) == 0 && n == 0,
	       "no delay before any failure");
	throttle_fail(&t, "10.0.0.1", now);
	tap_ok(throttle_delay_ms(&t, "10.0.0.1", now, &n) == THROTTLE_BASE_MS &&
		   n == 1,
	       "first failure: base delay");
	throttle_fail(&t, "10.0.0.1", now);
	tap_ok(throttle_delay_ms(&t, "10.0.0.1", now, NULL) ==
		   2 * THROTTLE_BASE_MS,
	       "second failure: doubled");
	tap_ok(throttle_delay_ms(&t, "10.0.0.2", now, NULL) == 0,
	       "another address is not delayed");
	for (int i = 0; i < 20; i++)
		throttle_fail(&t, "10.0.0.1", now);
	tap_ok(throttle_delay_ms(&t, "10.0.0.1", now, NULL) == THROTTLE_MAX_MS,
	       "the delay is capped");
	tap_ok(throttle_delay_ms(&t, "10.0.0.1", now + THROTTLE_FORGET_MS + 1,
				 NULL) == 0,
	       "failures are forgotten after a quiet period");
	throttle_fail(&t, "10.0.0.3", now);
	throttle_success(&t, "10.0.0.3");
	tap_ok(throttle_delay_ms(&t, "10.0.0.3", now, NULL) == 0,
	       "a success forgets the address");
	for (int i = 0; i < THROTTLE_SLOTS + 10; i++) {
		char a[32];

		snprintf(a, sizeof(a), "192.0.2.%d", i);
		throttle_fail(&t, a, now + i);
	}
	tap_ok(throttle_delay_ms(&t, "192.0.2.137", now + 200, NULL) ==
		   THROTTLE_BASE_MS,
	       "a full table keeps the most recent addresses");
}

int
main(void)
{
	tap_plan(16);
	test_matrix();
	test_throttle();
	return tap_done();
}
