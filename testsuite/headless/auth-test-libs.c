/*
 * auth-test-libs.c - misbehaving auth libraries for the test suite.
 *
 * Built twice: with AUTH_TEST_HANG the library never answers (it sleeps),
 * with AUTH_TEST_CRASH it dies of SIGSEGV.  The host must turn both into
 * a denied logon without harm to itself.  Its NT hash entry point crashes
 * or hangs the same way.
 */
#include <signal.h>
#include <unistd.h>

#include "auth/vireo-auth.h"

static int
auth_test_misbehave(void)
{
#ifdef AUTH_TEST_HANG
	for (;;)
		sleep(60);
#else
	/* the default action even where a sanitizer catches SIGSEGV (ASan
	 * would report it and exit with a status of its own) */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
#endif
	return VIREO_AUTH_GRANTED;
}

int
vireo_auth_entry(const struct vireo_auth_request *req)
{
	(void)req;
	return auth_test_misbehave();
}

int
vireo_auth_nt_hash(const struct vireo_auth_request *req, uint8_t out[16])
{
	(void)req;
	(void)out;
	return auth_test_misbehave();
}
