/*
 * rdp-badclient.c - a scripted misbehaving RDP client for robustness
 * tests: it connects to 127.0.0.1:PORT and does one bad thing.
 *
 *   rdp-badclient PORT garbage|truncated|badtls|hugetpkt|idle SECONDS
 *
 * garbage    4 KiB of pseudo-random bytes, then close
 * truncated  the first bytes of an X.224 Connection Request, then close
 * badtls     a valid X.224 request for TLS, then junk instead of a
 *            ClientHello, then close
 * hugetpkt   a TPKT header announcing 65535 bytes, then that many junk bytes
 * idle       connect and send nothing for SECONDS, then close
 *
 * garbage, badtls and hugetpkt then wait up to SECONDS (default 10) for
 * the server to close the connection, reading and discarding what it
 * sends: a server that keeps a client talking nonsense must not pass.
 * Exit status: 0 the bad thing was done (and the server hung up where it
 * must); 1 the server kept the connection open; 2 usage; 3 no connection.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* TPKT + X.224 Connection Request + RDP_NEG_REQ (PROTOCOL_SSL). */
static const unsigned char x224_cr_tls[] = {
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00};

static void
send_all(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

static void
send_junk(int fd, size_t n, unsigned seed)
{
	unsigned char buf[4096];

	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		send_all(fd, buf, k);
		n -= k;
	}
}

/* Wait up to @secs for the peer to close @fd (EOF or reset).  @return 0
 * when it did, -1 when the connection was still open. */
static int
wait_hangup(int fd, int secs)
{
	struct timespec t0, t;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[4096];
	long left;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = secs * 1000L - ((t.tv_sec - t0.tv_sec) * 1000L +
				       (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return 0;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned char hdr[4] = {0x03, 0x00, 0xff, 0xff};
	const char *mode;
	int fd, secs, hangup = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: rdp-badclient PORT MODE [SECONDS]\n");
		return 2;
	}
	mode = argv[2];
	secs = argc > 3 ? atoi(argv[3]) : 0;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("rdp-badclient: connect");
		return 3;
	}
	if (!strcmp(mode, "garbage")) {
		send_junk(fd, 4096, 1);
		hangup = 1;
	} else if (!strcmp(mode, "truncated")) {
		send_all(fd, x224_cr_tls, 7);
	} else if (!strcmp(mode, "badtls")) {
		send_all(fd, x224_cr_tls, sizeof(x224_cr_tls));
		usleep(200000);
		send_junk(fd, 2000, 7);
		hangup = 1;
	} else if (!strcmp(mode, "hugetpkt")) {
		send_all(fd, hdr, sizeof(hdr));
		send_junk(fd, 0xffff - sizeof(hdr), 3);
		hangup = 1;
	} else if (!strcmp(mode, "idle")) {
		sleep(secs > 0 ? (unsigned)secs : 5);
	} else {
		fprintf(stderr, "rdp-badclient: unknown mode %s\n", mode);
		close(fd);
		return 2;
	}
	if (hangup && wait_hangup(fd, secs > 0 ? secs : 10) < 0) {
		fprintf(stderr,
			"rdp-badclient: %s: the server kept the connection "
			"open\n",
			mode);
		close(fd);
		return 1;
	}
	usleep(200000);
	close(fd);
	return 0;
}
