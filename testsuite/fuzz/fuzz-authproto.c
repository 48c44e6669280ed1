/*
 * fuzz-authproto.c - libFuzzer target for the framing between
 * vireo-headless and its auth helper (src/headless/authproto.c), in both
 * directions, through a real socket:
 *
 *   first byte even: the rest is what a helper (which runs a foreign auth
 *     library) sends to vireo-headless; authcall.c's conversation loop
 *     (included whole) must end with a result or an error, answering
 *     every 'Q' it accepts;
 *   first byte odd: the rest is what the helper reads as its request;
 *     the unpacked strings must lie inside the frame, terminated, and
 *     pack back to the same bytes when none contains a NUL.
 */
#include "headless/authcall.c"

#include <fcntl.h>

#include "fuzz.h"

static int
fuzz_lookup(void *ctx, const char *key, char *buf, size_t size)
{
	size_t n = strlen(key);

	if (n & 1)
		return -ENOENT;
	n = n < size ? n : size - 1;
	memcpy(buf, key, n);
	return (int)n;
}

static void
fuzz_host_side(int sock)
{
	int result = 0;
	uint8_t hash[16];

	authcall_converse(sock, authproto_now_ms() + 2000, fuzz_lookup, NULL,
			  &result, hash);
}

static void
fuzz_helper_side(int sock)
{
	static char buf[AUTHPROTO_FRAME_MAX + 1];
	static char again[AUTHPROTO_FRAME_MAX + 1];
	const char *f[AUTHPROTO_F_COUNT];
	bool nul_inside = false;
	char type;
	int n = authproto_recv(sock, &type, buf, sizeof(buf), 2000), k;

	if (n < 0)
		return;
	FUZZ_ASSERT((size_t)n <= AUTHPROTO_FRAME_MAX);
	for (int i = 0; i < n; i++)
		nul_inside |= buf[i] == '\0';
	if (authproto_unpack(buf, (size_t)n, f, AUTHPROTO_F_COUNT) < 0)
		return;
	for (int i = 0; i < AUTHPROTO_F_COUNT; i++)
		if (f[i])
			FUZZ_ASSERT(f[i] >= buf &&
				    f[i] + strlen(f[i]) < buf + n + 1);
	k = authproto_pack(again, sizeof(again), f, AUTHPROTO_F_COUNT);
	FUZZ_ASSERT(k >= 0 && k <= n);
	if (!nul_inside)
		FUZZ_ASSERT(k == n);
}

/* Only errors: the log line of every request would swamp the output. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERR);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];

	if (size < 1 || size > 65536)
		return 0; /* more would not fit a socket buffer unread */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size > 1 && write(sv[0], data + 1, size - 1) != (ssize_t)size - 1)
		abort();
	shutdown(sv[0], SHUT_WR);
	/* answers nobody reads must fail, not block */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (data[0] & 1)
		fuzz_helper_side(sv[1]);
	else
		fuzz_host_side(sv[1]);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
