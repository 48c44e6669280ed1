/*
 * authproto.c - framing for the host <-> vireo-authd socket (authproto.h).
 *
 * Every length is checked against the buffer before use: the helper runs
 * foreign code and its bytes are not trusted.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "authproto.h"

static int
authproto_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
authproto_send(int fd, char type, const void *payload, size_t len)
{
	char hdr[5];
	uint32_t n = (uint32_t)len;
	int rc;

	if (len > AUTHPROTO_FRAME_MAX)
		return -EMSGSIZE;
	hdr[0] = type;
	memcpy(hdr + 1, &n, sizeof(n));
	rc = authproto_write_all(fd, hdr, sizeof(hdr));
	if (rc == 0 && len)
		rc = authproto_write_all(fd, payload, len);
	return rc;
}

long
authproto_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read exactly @len bytes before @deadline (ms, CLOCK_MONOTONIC; < 0 for
 * none). */
static int
authproto_read_all(int fd, void *buf, size_t len, long deadline)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int wait = -1;
		ssize_t r;

		if (deadline >= 0) {
			long left = deadline - authproto_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			wait = (int)left;
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		r = recv(fd, p, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
authproto_recv(int fd, char *type, char *buf, size_t size, int timeout_ms)
{
	long deadline = timeout_ms < 0 ? -1 : authproto_now_ms() + timeout_ms;
	char hdr[5];
	uint32_t n;
	int rc;

	rc = authproto_read_all(fd, hdr, sizeof(hdr), deadline);
	if (rc < 0)
		return rc;
	memcpy(&n, hdr + 1, sizeof(n));
	if (n > AUTHPROTO_FRAME_MAX || n >= size)
		return -EPROTO;
	rc = authproto_read_all(fd, buf, n, deadline);
	if (rc < 0)
		return rc == -EPIPE ? -EPROTO : rc;
	buf[n] = '\0';
	*type = hdr[0];
	return (int)n;
}

int
authproto_pack(char *buf, size_t size, const char *const *s, int n)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		uint32_t len = s[i] ? (uint32_t)strlen(s[i]) : AUTHPROTO_NULL;
		size_t body = s[i] ? len : 0;

		if (off + sizeof(len) + body > size)
			return -ENOSPC;
		memcpy(buf + off, &len, sizeof(len));
		off += sizeof(len);
		memcpy(buf + off, s[i] ? s[i] : "", body);
		off += body;
	}
	return (int)off;
}

/*
 * Strings are terminated in place by moving each one back over its own
 * length field: the 4 bytes freed before a string hold the previous
 * string's terminator with room to spare.
 */
int
authproto_unpack(char *buf, size_t len, const char **s, int n)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		uint32_t sl;

		if (len - off < sizeof(sl))
			return -EPROTO;
		memcpy(&sl, buf + off, sizeof(sl));
		if (sl == AUTHPROTO_NULL) {
			s[i] = NULL;
			off += sizeof(sl);
			continue;
		}
		if (sl > len - off - sizeof(sl))
			return -EPROTO;
		memmove(buf + off, buf + off + sizeof(sl), sl);
		buf[off + sl] = '\0';
		s[i] = buf + off;
		off += sizeof(sl) + sl;
	}
	return off == len ? 0 : -EPROTO;
}
