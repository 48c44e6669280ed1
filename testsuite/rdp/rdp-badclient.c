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
 * hugetpkt   a TPKT header announcing 65535 bytes, 1000 bytes, close
 * idle       connect and send nothing for SECONDS, then close
 * Exit status 0 when the connection could be made.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
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

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned char hdr[4] = {0x03, 0x00, 0xff, 0xff};
	const char *mode;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: rdp-badclient PORT MODE [SECONDS]\n");
		return 2;
	}
	mode = argv[2];
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("rdp-badclient: connect");
		return 1;
	}
	if (!strcmp(mode, "garbage"))
		send_junk(fd, 4096, 1);
	else if (!strcmp(mode, "truncated"))
		send_all(fd, x224_cr_tls, 7);
	else if (!strcmp(mode, "badtls")) {
		send_all(fd, x224_cr_tls, sizeof(x224_cr_tls));
		usleep(200000);
		send_junk(fd, 2000, 7);
	} else if (!strcmp(mode, "hugetpkt")) {
		send_all(fd, hdr, sizeof(hdr));
		send_junk(fd, 1000, 3);
	} else if (!strcmp(mode, "idle"))
		sleep(argc > 3 ? (unsigned)atoi(argv[3]) : 5);
	else {
		fprintf(stderr, "rdp-badclient: unknown mode %s\n", mode);
		close(fd);
		return 2;
	}
	usleep(200000);
	close(fd);
	return 0;
}
