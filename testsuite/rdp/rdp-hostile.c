/*
 * rdp-hostile.c - many hostile connections from many loopback addresses,
 * for the hostile-client tests.  Only 127.0.0.0/8 is ever used, and every
 * loop is bounded in count and in time.
 *
 *   rdp-hostile flood PORT [options]
 *     --sources N       source addresses 127.77.0.1 .. (default 1)
 *     --net A.B         use 127.A.B.x instead of 127.77.0.x
 *     --per-source K    connections per source (default 1)
 *     --slow            send an X.224 request one byte a second (else idle)
 *     --stall           send the whole X.224 request at once, then nothing
 *                       (the server must then set up the session)
 *     --reopen          reopen a connection the server closed
 *     --seconds S       how long to hold them (default 5, at most 120)
 *     --max-opens M     connection attempts in all (default 4096)
 *   Prints one line of key=value counts at the end: opened, refused (closed
 *   by the server within 100 ms of connecting), dropped (closed later),
 *   held (still open at the end), max_life_ms (longest a connection lived
 *   before the server closed it).
 *
 *   rdp-hostile relay PORT [--sources N] [--net A.B] [--seconds S]
 *     Listens on 127.0.0.1 (prints "relay port N"), and forwards each
 *     connection it accepts to 127.0.0.1:PORT from the next source
 *     address in turn, so an unmodified client appears to come from many
 *     addresses.  Ends after S seconds (default 60, at most 600).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE_MAX_CONNS 2048
#define HOSTILE_MAX_PAIRS 256

/* TPKT + X.224 Connection Request + RDP_NEG_REQ (TLS|HYBRID). */
static const unsigned char x224_cr[] = {
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};

struct opts {
	int port;
	int sources, per_source, seconds, max_opens;
	int net_a, net_b;
	bool slow, stall, reopen;
};

struct conn {
	int fd;
	int source;
	int64_t opened_ms, sent_ms;
	size_t sent;
	bool connected;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
source_addr(const struct opts *o, int i, struct sockaddr_in *sa)
{
	/* 127.A.B.1 .. 127.A.B.250, then 127.A.(B+1).1 ... */
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)o->net_a << 16 |
				    (uint32_t)(o->net_b + i / 250) << 8 |
				    (uint32_t)(i % 250 + 1));
}

/* A non-blocking socket from source @i connecting to 127.0.0.1:@port. */
static int
open_from(const struct opts *o, int i, int port)
{
	struct sockaddr_in src, dst = {.sin_family = AF_INET};
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	source_addr(o, i, &src);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	dst.sin_port = htons((uint16_t)port);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
	     errno != EINPROGRESS)) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

struct flood_stats {
	unsigned opened, refused, dropped, failed;
	int64_t max_life_ms;
};

static void
flood_open(const struct opts *o, struct conn *c, struct flood_stats *st)
{
	c->fd = open_from(o, c->source, o->port);
	c->opened_ms = c->sent_ms = now_ms();
	c->sent = 0;
	c->connected = false;
	if (c->fd < 0)
		st->failed++;
	else
		st->opened++;
}

/* The server closed @c (or refused it). */
static void
flood_closed(const struct opts *o, struct conn *c, struct flood_stats *st,
	     unsigned *opens_left)
{
	int64_t life = now_ms() - c->opened_ms;

	close(c->fd);
	c->fd = -1;
	if (life < 100)
		st->refused++;
	else
		st->dropped++;
	if (life > st->max_life_ms)
		st->max_life_ms = life;
	if (o->reopen && *opens_left) {
		(*opens_left)--;
		flood_open(o, c, st);
	}
}

static void
flood_step(const struct opts *o, struct conn *c, short revents,
	   struct flood_stats *st, unsigned *opens_left)
{
	char buf[4096];
	ssize_t n;

	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			flood_closed(o, c, st, opens_left);
			return;
		}
	}
	if (revents & POLLOUT)
		c->connected = true;
	if (o->stall && c->connected && !c->sent &&
	    send(c->fd, x224_cr, sizeof(x224_cr), MSG_NOSIGNAL) > 0)
		c->sent = sizeof(x224_cr);
	/* slow: one byte of the request a second, never the whole of it */
	if (o->slow && c->connected && c->sent + 1 < sizeof(x224_cr) &&
	    now_ms() - c->sent_ms >= 1000) {
		if (send(c->fd, x224_cr + c->sent, 1, MSG_NOSIGNAL) == 1)
			c->sent++;
		c->sent_ms = now_ms();
	}
}

static int
flood(const struct opts *o)
{
	static struct conn conns[HOSTILE_MAX_CONNS];
	static struct pollfd pfd[HOSTILE_MAX_CONNS];
	struct flood_stats st = {0};
	int n = o->sources * o->per_source, held = 0;
	unsigned opens_left = (unsigned)o->max_opens;
	int64_t end = now_ms() + o->seconds * 1000;

	if (n > HOSTILE_MAX_CONNS)
		n = HOSTILE_MAX_CONNS;
	for (int i = 0; i < n && opens_left; i++, opens_left--) {
		conns[i].source = i % o->sources;
		flood_open(o, &conns[i], &st);
	}
	while (now_ms() < end) {
		for (int i = 0; i < n; i++) {
			pfd[i].fd = conns[i].fd;
			pfd[i].events =
			    conns[i].connected ? POLLIN : POLLIN | POLLOUT;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
			if (conns[i].fd >= 0)
				flood_step(o, &conns[i], pfd[i].revents, &st,
					   &opens_left);
	}
	for (int i = 0; i < n; i++)
		if (conns[i].fd >= 0) {
			held++;
			close(conns[i].fd);
		}
	printf("opened=%u refused=%u dropped=%u held=%d failed=%u "
	       "max_life_ms=%lld\n",
	       st.opened, st.refused, st.dropped, held, st.failed,
	       (long long)st.max_life_ms);
	return 0;
}

/* ---- relay ---------------------------------------------------------- */

struct pair {
	int a, b; /* client side, server side; -1 unused */
};

static void
pair_close(struct pair *p)
{
	close(p->a);
	close(p->b);
	p->a = p->b = -1;
}

/* Copy what @from has to @to.  @return false when the pair is done. */
static bool
pump(int from, int to)
{
	char buf[16384];
	ssize_t n = recv(from, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	for (ssize_t off = 0; n > 0 && off < n;) {
		ssize_t w =
		    send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

static void
relay_accept(const struct opts *o, int lfd, struct pair *pairs, int *next)
{
	int a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), b, i, fl;
	struct pollfd w;

	if (a < 0)
		return;
	for (i = 0; i < HOSTILE_MAX_PAIRS && pairs[i].a >= 0; i++)
		;
	b = i < HOSTILE_MAX_PAIRS ? open_from(o, *next, o->port) : -1;
	*next = (*next + 1) % o->sources;
	if (b < 0) {
		close(a);
		return;
	}
	/* wait for the connection (loopback: at once), then block */
	w = (struct pollfd){.fd = b, .events = POLLOUT};
	poll(&w, 1, 5000);
	fl = fcntl(b, F_GETFL);
	fcntl(b, F_SETFL, fl & ~O_NONBLOCK);
	pairs[i] = (struct pair){a, b};
}

static int
relay(const struct opts *o)
{
	static struct pair pairs[HOSTILE_MAX_PAIRS];
	struct pollfd pfd[1 + 2 * HOSTILE_MAX_PAIRS];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int64_t end = now_ms() + o->seconds * 1000;
	int lfd, next = 0, n;

	for (int i = 0; i < HOSTILE_MAX_PAIRS; i++)
		pairs[i].a = pairs[i].b = -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
		perror("rdp-hostile: relay");
		return 1;
	}
	printf("relay port %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	while (now_ms() < end) {
		n = 0;
		pfd[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int i = 0; i < HOSTILE_MAX_PAIRS; i++) {
			pfd[n++] =
			    (struct pollfd){.fd = pairs[i].a, .events = POLLIN};
			pfd[n++] =
			    (struct pollfd){.fd = pairs[i].b, .events = POLLIN};
		}
		if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			relay_accept(o, lfd, pairs, &next);
		for (int i = 0; i < HOSTILE_MAX_PAIRS; i++) {
			short ra = pfd[1 + 2 * i].revents;
			short rb = pfd[2 + 2 * i].revents;

			if (pairs[i].a < 0)
				continue;
			if ((ra && !pump(pairs[i].a, pairs[i].b)) ||
			    (rb && !pump(pairs[i].b, pairs[i].a)))
				pair_close(&pairs[i]);
		}
	}
	for (int i = 0; i < HOSTILE_MAX_PAIRS; i++)
		if (pairs[i].a >= 0)
			pair_close(&pairs[i]);
	close(lfd);
	return 0;
}

static int
usage(void)
{
	fprintf(
	    stderr,
	    "usage: rdp-hostile flood|relay PORT [--sources N] [--net A.B]\n"
	    "  [--per-source K] [--slow] [--reopen] [--seconds S]\n"
	    "  [--max-opens M]\n");
	return 2;
}

static int
bounded(const char *v, int lo, int hi)
{
	int n = atoi(v);

	return n < lo ? lo : n > hi ? hi : n;
}

int
main(int argc, char **argv)
{
	struct opts o = {.sources = 1,
			 .per_source = 1,
			 .seconds = -1,
			 .max_opens = 4096,
			 .net_a = 77,
			 .net_b = 0};
	bool is_relay;

	if (argc < 3)
		return usage();
	is_relay = !strcmp(argv[1], "relay");
	if (!is_relay && strcmp(argv[1], "flood"))
		return usage();
	o.port = atoi(argv[2]);
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--slow")) {
			o.slow = true;
		} else if (!strcmp(a, "--stall")) {
			o.stall = true;
		} else if (!strcmp(a, "--reopen")) {
			o.reopen = true;
		} else if (!v) {
			return usage();
		} else if (!strcmp(a, "--sources")) {
			o.sources = bounded(v, 1, 250 * 250);
		} else if (!strcmp(a, "--per-source")) {
			o.per_source = bounded(v, 1, HOSTILE_MAX_CONNS);
		} else if (!strcmp(a, "--seconds")) {
			o.seconds = bounded(v, 1, is_relay ? 600 : 120);
		} else if (!strcmp(a, "--max-opens")) {
			o.max_opens = bounded(v, 1, 100000);
		} else if (!strcmp(a, "--net")) {
			if (sscanf(v, "%d.%d", &o.net_a, &o.net_b) != 2 ||
			    o.net_a < 1 || o.net_a > 254 || o.net_b < 0 ||
			    o.net_b > 200)
				return usage();
		} else {
			return usage();
		}
		if (v && strcmp(a, "--slow") && strcmp(a, "--stall") &&
		    strcmp(a, "--reopen"))
			i++;
	}
	if (o.port <= 0 || o.port > 65535)
		return usage();
	if (o.seconds < 0)
		o.seconds = is_relay ? 60 : 5;
	return is_relay ? relay(&o) : flood(&o);
}
