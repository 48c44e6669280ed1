/*
 * rdp_guard.c - connections that have not logged on yet: a cap on them
 * all, a cap per source, a deadline for handshake and logon, and refusal
 * log lines that cannot flood the log.
 *
 * Before its logon a client costs a thread, descriptors and FreeRDP's
 * buffers while proving nothing, so such clients are counted here from
 * accept() until client_logon() grants them or they leave.  A source is
 * an IPv4 address or the /64 prefix of an IPv6 address.
 *
 * The deadline is enforced from the listener thread by shutting the
 * socket down: FreeRDP 2's TLS and NLA steps block in reads with no
 * timeout of their own, and a shutdown wakes them.  The guard holds a
 * duplicate of each socket, so the number it shuts down always names the
 * connection it means even if FreeRDP has closed its own descriptor.
 *
 * When every pending place is taken a newcomer replaces the pending
 * connection that has sent the fewest bytes (the oldest among equals),
 * if that one had a moment to send anything at all; a real client sends
 * its handshake at once and keeps sending, so it is the last one chosen,
 * and connections that sit idle, trickle or stall cannot keep it out the
 * way "refuse when full" would let a churning attacker do.  Sources
 * refused or dropped lately are remembered for a while (a bounded table):
 * their connections go first, and their newcomers may replace only each
 * other.  A connection the server has answered whose bytes wait unread
 * is never replaced: the server, not the client, is behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "rdp.h"

#define RDP_GUARD_DEF_MAX	 32
#define RDP_GUARD_DEF_PER_SOURCE 16
#define RDP_GUARD_DEF_TIMEOUT_S	 30
#define RDP_GUARD_LIMIT_MAX	 1024
#define RDP_GUARD_TIMEOUT_MAX_S	 3600
#define RDP_GUARD_GRACE_MS	 250   /* to send a first byte */
#define RDP_GUARD_LOG_BURST	 10    /* refusal lines per second */
#define RDP_GUARD_MARK_MS	 10000 /* a refused source goes first this long */
#define RDP_GUARD_TRIM_MS	 1000 /* at most one malloc_trim() a second */

/* Property @name as a number in [1, @max], @def when unset.
 * @return 0 or -EINVAL (logged). */
static int
rdp_guard_prop(struct rdp_server *srv, const char *name, unsigned def,
	       unsigned max, uint32_t *out)
{
	long n;
	int rc = vmod_prop_num(&srv->core.host, name, 1, max, def, &n);

	*out = (uint32_t)n;
	return rc;
}

int
rdp_guard_init(struct rdp_server *srv)
{
	struct rdp_guard *g = &srv->guard;
	uint32_t timeout_s = 0;
	int rc;

	rc = rdp_guard_prop(srv, "Security/MaxPendingConnections",
			    RDP_GUARD_DEF_MAX, RDP_GUARD_LIMIT_MAX, &g->max);
	if (rc == 0)
		rc = rdp_guard_prop(srv, "Security/MaxPendingPerAddress",
				    RDP_GUARD_DEF_PER_SOURCE,
				    RDP_GUARD_LIMIT_MAX, &g->per_source);
	if (rc == 0)
		rc = rdp_guard_prop(srv, "Security/LogonTimeout",
				    RDP_GUARD_DEF_TIMEOUT_S,
				    RDP_GUARD_TIMEOUT_MAX_S, &timeout_s);
	if (rc < 0)
		return rc;
	if (g->per_source > g->max)
		g->per_source = g->max;
	g->timeout_ms = (int64_t)timeout_s * 1000;
	/* room for the live ones and as many shut down but not yet gone */
	g->nslots = 2 * g->max;
	g->slot = calloc(g->nslots, sizeof(*g->slot));
	if (!g->slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nslots; i++)
		g->slot[i].fd = -1;
	rdp_info(srv,
		 "at most %u connections without a logon (%u per address), "
		 "%u s each to log on",
		 g->max, g->per_source, timeout_s);
	return 0;
}

void
rdp_guard_fini(struct rdp_server *srv)
{
	struct rdp_guard *g = &srv->guard;

	for (uint32_t i = 0; g->slot && i < g->nslots; i++)
		if (g->slot[i].fd >= 0)
			close(g->slot[i].fd);
	free(g->slot);
	g->slot = NULL;
}

void
rdp_guard_source(const struct sockaddr_storage *ss, char *key, size_t size)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;
	struct in6_addr prefix;
	char buf[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof(buf));
	} else if (ss->ss_family == AF_INET6 &&
		   IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
			  sizeof(buf));
	} else if (ss->ss_family == AF_INET6) {
		prefix = s6->sin6_addr;
		memset(&prefix.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &prefix, buf, sizeof(buf));
		snprintf(key, size, "%s/64", buf);
		return;
	}
	snprintf(key, size, "%s", buf);
}

/* Refusal and drop lines: at most RDP_GUARD_LOG_BURST a second, the rest
 * counted and summed up once the second is over.  Listener thread only. */
static void __attribute__((format(printf, 2, 3)))
rdp_guard_log(struct rdp_server *srv, const char *fmt, ...)
{
	struct rdp_guard *g = &srv->guard;
	char msg[512];
	va_list ap;

	g->refusals++;
	if (g->log_count >= RDP_GUARD_LOG_BURST) {
		g->log_suppressed++;
		return;
	}
	g->log_count++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rdp_warn(srv, "%s", msg);
}

static void
rdp_guard_log_window(struct rdp_server *srv, int64_t now)
{
	struct rdp_guard *g = &srv->guard;

	if (now - g->log_window_ms < 1000)
		return;
	if (g->log_suppressed)
		rdp_warn(srv,
			 "%u more connections refused or dropped without a "
			 "line of their own (%llu so far: %llu replaced, %llu "
			 "past the deadline)",
			 g->log_suppressed, (unsigned long long)g->refusals,
			 (unsigned long long)g->replaced,
			 (unsigned long long)g->expired);
	g->log_window_ms = now;
	g->log_count = 0;
	g->log_suppressed = 0;
}

/* Bytes the peer of @fd has sent so far. */
static uint64_t
rdp_guard_bytes(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	return ti.tcpi_bytes_received;
}

/* Whether bytes the peer of @fd sent wait unread after this server has
 * answered it at least once: then the server is behind (its thread not
 * yet scheduled, a busy machine), not the client, and the connection is
 * not a victim.  A connection never answered (its connection request
 * still incomplete) gets no such shelter: when the server falls behind
 * a flood, every flood connection has bytes waiting, and sheltering
 * them all left no place a real client could take. */
static bool
rdp_guard_unread(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) < 0 || n <= 0)
		return false;
	memset(&ti, 0, sizeof(ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	       ti.tcpi_bytes_acked > 1; /* the SYN-ACK counts one */
}

/* Shut @s down; its thread ends and releases it.  Caller holds the lock. */
static void
rdp_guard_drop(struct rdp_guard_place *s)
{
	shutdown(s->fd, SHUT_RDWR);
	s->dying = true;
}

/* Remember that a connection from @source was refused or dropped: for
 * RDP_GUARD_MARK_MS its connections are the first to go.  The oldest
 * mark makes room for a new one. */
static void
rdp_guard_mark(struct rdp_guard *g, const char *source, int64_t now)
{
	struct rdp_guard_mark *m = &g->marks[0];

	for (int i = 0; i < RDP_GUARD_MARKS; i++) {
		if (!strcmp(g->marks[i].source, source)) {
			m = &g->marks[i];
			break;
		}
		if (g->marks[i].ms < m->ms)
			m = &g->marks[i];
	}
	snprintf(m->source, sizeof(m->source), "%s", source);
	m->ms = now;
	/* the places carry it, so choosing a victim needs no lookups */
	for (uint32_t i = 0; i < g->nslots; i++)
		if (g->slot[i].fd >= 0 && !strcmp(g->slot[i].source, source))
			g->slot[i].marked_ms = now;
}

/* When @source was last marked, if lately; else 0. */
static int64_t
rdp_guard_marked(const struct rdp_guard *g, const char *source, int64_t now)
{
	for (int i = 0; i < RDP_GUARD_MARKS; i++)
		if (g->marks[i].ms &&
		    now - g->marks[i].ms < RDP_GUARD_MARK_MS &&
		    !strcmp(g->marks[i].source, source))
			return g->marks[i].ms;
	return 0;
}

/* The live connection a newcomer from @source may replace, or NULL.
 * Connections from sources refused or dropped lately go first, then
 * those that sent the fewest bytes, then the oldest.  A connection gets
 * RDP_GUARD_GRACE_MS to send anything, except that a newcomer from a
 * source with no such history may replace a marked one at once: a flood
 * that reconnects as fast as it is dropped keeps every place young, and
 * would otherwise keep a real client out. */
static struct rdp_guard_place *
rdp_guard_victim(struct rdp_guard *g, const char *source, int64_t now,
		 uint64_t *bytes)
{
	bool clean = !rdp_guard_marked(g, source, now), vmarked = false;
	struct rdp_guard_place *v = NULL;

	for (uint32_t i = 0; i < g->nslots; i++) {
		struct rdp_guard_place *s = &g->slot[i];
		bool marked;
		uint64_t b;

		if (s->fd < 0 || s->dying)
			continue;
		marked = s->marked_ms && now - s->marked_ms < RDP_GUARD_MARK_MS;
		if (now - s->since_ms < RDP_GUARD_GRACE_MS &&
		    !(clean && marked))
			continue;
		/* a source refused or dropped lately does not push out one
		 * that was not: under churn every flood place is young and
		 * the real client, the oldest, would be the only one left */
		if (!clean && !marked)
			continue;
		if (rdp_guard_unread(s->fd))
			continue;
		b = rdp_guard_bytes(s->fd);
		if (v && vmarked != marked) {
			if (vmarked)
				continue;
		} else if (v && (b > *bytes ||
				 (b == *bytes && s->since_ms >= v->since_ms))) {
			continue;
		}
		v = s;
		vmarked = marked;
		*bytes = b;
	}
	return v;
}

int
rdp_guard_admit(struct rdp_server *srv, int fd, const char *source,
		const char *address, struct rdp_guard_ticket *t)
{
	struct rdp_guard *g = &srv->guard;
	struct rdp_guard_place *free_slot = NULL, *victim;
	int64_t now = vmod_mono_ms();
	uint32_t live = 0, same = 0;
	uint64_t bytes = 0;
	int rc = 0;

	pthread_mutex_lock(&srv->core.lock);
	for (uint32_t i = 0; i < g->nslots; i++) {
		struct rdp_guard_place *s = &g->slot[i];

		if (s->fd < 0) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->dying)
			continue;
		live++;
		same += !strcmp(s->source, source);
	}
	if (same >= g->per_source) {
		rdp_guard_mark(g, source, now);
		rdp_guard_log(srv,
			      "refusing %s: %u connections from %s have not "
			      "logged on yet (Security/MaxPendingPerAddress)",
			      address, same, source);
		rc = -EMFILE;
	} else if (live >= g->max) {
		victim = rdp_guard_victim(g, source, now, &bytes);
		/* no mark: a full table says nothing about this source */
		if (!victim || !free_slot) {
			rdp_guard_log(srv,
				      "refusing %s: %u connections have not "
				      "logged on yet "
				      "(Security/MaxPendingConnections)",
				      address, live);
			rc = -ENFILE;
		} else {
			rdp_guard_log(
			    srv,
			    "dropping %s (%llu bytes in %lld s, no "
			    "logon) for %s: %u connections have not "
			    "logged on yet "
			    "(Security/MaxPendingConnections)",
			    victim->address, (unsigned long long)bytes,
			    (long long)(now - victim->since_ms) / 1000, address,
			    live);
			rdp_guard_mark(g, victim->source, now);
			rdp_guard_drop(victim);
			g->replaced++;
		}
	} else if (!free_slot) {
		rdp_guard_log(srv,
			      "refusing %s: dropped connections have not "
			      "gone yet",
			      address);
		rc = -ENFILE;
	}
	if (rc == 0) {
		free_slot->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (free_slot->fd < 0)
			rc = -errno;
	}
	if (rc == 0) {
		free_slot->dying = false;
		free_slot->marked_ms = rdp_guard_marked(g, source, now);
		free_slot->since_ms = now;
		free_slot->gen = ++g->gen;
		snprintf(free_slot->source, sizeof(free_slot->source), "%s",
			 source);
		snprintf(free_slot->address, sizeof(free_slot->address), "%s",
			 address);
		t->slot = (int)(free_slot - g->slot);
		t->gen = free_slot->gen;
	}
	pthread_mutex_unlock(&srv->core.lock);
	return rc;
}

void
rdp_guard_release(struct rdp_server *srv, struct rdp_guard_ticket *t)
{
	struct rdp_guard *g = &srv->guard;
	struct rdp_guard_place *s;

	if (t->slot < 0)
		return;
	pthread_mutex_lock(&srv->core.lock);
	s = &g->slot[t->slot];
	if (s->fd >= 0 && s->gen == t->gen) {
		close(s->fd);
		s->fd = -1;
		g->released++;
	}
	pthread_mutex_unlock(&srv->core.lock);
	t->slot = -1;
}

int
rdp_guard_tick(struct rdp_server *srv)
{
	struct rdp_guard *g = &srv->guard;
	int64_t now = vmod_mono_ms(), next = 1000, left;

	pthread_mutex_lock(&srv->core.lock);
	rdp_guard_log_window(srv, now);
	/* Sessions torn down free megabytes each, spread over the threads'
	 * heaps; give them back now and then instead of keeping the peak of
	 * a flood for the rest of the run. */
	if (g->released != g->released_trimmed &&
	    now - g->trim_ms >= RDP_GUARD_TRIM_MS) {
		g->released_trimmed = g->released;
		g->trim_ms = now;
		malloc_trim(0);
	}
	for (uint32_t i = 0; i < g->nslots; i++) {
		struct rdp_guard_place *s = &g->slot[i];

		if (s->fd < 0 || s->dying)
			continue;
		left = s->since_ms + g->timeout_ms - now;
		if (left > 0) {
			next = left < next ? left : next;
			continue;
		}
		rdp_guard_log(srv,
			      "dropping %s: no logon within %lld s "
			      "(Security/LogonTimeout)",
			      s->address, (long long)g->timeout_ms / 1000);
		rdp_guard_mark(g, s->source, now);
		rdp_guard_drop(s);
		g->expired++;
	}
	pthread_mutex_unlock(&srv->core.lock);
	return (int)next;
}

void
rdp_guard_drop_all(struct vmod_server *core)
{
	struct rdp_server *srv = (struct rdp_server *)core;
	struct rdp_guard *g = &srv->guard;

	pthread_mutex_lock(&srv->core.lock);
	for (uint32_t i = 0; g->slot && i < g->nslots; i++)
		if (g->slot[i].fd >= 0 && !g->slot[i].dying)
			rdp_guard_drop(&g->slot[i]);
	pthread_mutex_unlock(&srv->core.lock);
}
