/*
 * vmod_listen.c - TCP/Ports and TCP/Address for a remote-display module:
 * bind the first free port of the list (one more port per screen where
 * the protocol cannot choose a screen itself), dual stack by default,
 * loopback only when every client is granted, and accept connections on
 * a thread of our own.
 *
 * The sockets are bound here rather than by a protocol library so that a
 * port list can be walked, the bound port reported exactly and a busy
 * list turned into one clear error line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/portlist.h"
#include "vmod.h"

#define VMOD_MAX_PORTS	  4096
#define VMOD_ACCEPT_BATCH 256

static int
vmod_bind_one(const struct sockaddr *sa, socklen_t len, int v6only)
{
	int one = 1, fd, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
	/* The longest accept queue the host allows (net.core.somaxconn):
	 * under a flood the listener refuses what it accepts at once, but
	 * while it waits for the CPU a short queue overflows, and then the
	 * kernel ignores a real client's handshake and it retries only
	 * seconds later. */
	if (bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void
vmod_set_close(struct vmod_listen_set *set)
{
	for (int i = 0; i < set->n; i++)
		close(set->fd[i]);
	set->n = 0;
}

/* Loopback: IPv4, and IPv6 when the host has it. */
static int
vmod_bind_loopback(struct vmod_listen_set *set, uint16_t port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in s4 = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd;

	fd = vmod_bind_one((struct sockaddr *)&s4, sizeof(s4), 0);
	if (fd < 0)
		return fd;
	set->fd[set->n++] = fd;
	fd = vmod_bind_one((struct sockaddr *)&s6, sizeof(s6), 1);
	if (fd >= 0) {
		set->fd[set->n++] = fd;
	} else if (fd == -EADDRINUSE || fd == -EACCES) {
		vmod_set_close(set);
		return fd;
	}
	return 0;
}

/* All addresses: one dual-stack socket, IPv4 alone without IPv6. */
static int
vmod_bind_any(struct vmod_listen_set *set, uint16_t port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in s4 = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_ANY)};
	int fd;

	fd = vmod_bind_one((struct sockaddr *)&s6, sizeof(s6), 0);
	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)
		fd = vmod_bind_one((struct sockaddr *)&s4, sizeof(s4), 0);
	if (fd < 0)
		return fd;
	set->fd[set->n++] = fd;
	return 0;
}

/* Bind @port on @addr: NULL loopback, "" all addresses, else what @addr
 * resolves to.  @return 0 or -errno (nothing kept). */
static int
vmod_bind_port(struct vmod_listen_set *set, const char *addr, uint16_t port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	char service[8];
	int fd, rc = 0;

	set->n = 0;
	if (!addr)
		return vmod_bind_loopback(set, port);
	if (!addr[0])
		return vmod_bind_any(set, port);
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(addr, service, &hints, &res))
		return -EADDRNOTAVAIL;
	for (ai = res; ai && set->n < VMOD_SET_FDS; ai = ai->ai_next) {
		fd = vmod_bind_one(ai->ai_addr, ai->ai_addrlen, 1);
		if (fd < 0) {
			rc = fd;
			break;
		}
		set->fd[set->n++] = fd;
	}
	freeaddrinfo(res);
	if (rc < 0 || set->n == 0) {
		vmod_set_close(set);
		return rc < 0 ? rc : -EADDRNOTAVAIL;
	}
	return 0;
}

void
vmod_peer_address(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	buf[0] = '\0';
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, buf, size);
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
				  size);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf, size);
	}
}

/* @return false when nothing was accepted. */
static bool
vmod_accept_one(struct vmod_listener *l, int lfd, uint32_t set)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[64];
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0)
		return false; /* empty, or an error poll() will show again */
	vmod_peer_address(&ss, addr, sizeof(addr));
	if (!atomic_load(l->enabled)) {
		vmod_log(l->host, VRDE_LOG_INFO,
			 "refusing %s: connections are disabled", addr);
		close(fd);
		return true;
	}
	l->accept(l->arg, fd, &ss, addr, set);
	return true;
}

static void *
vmod_listen_thread(void *arg)
{
	struct vmod_listener *l = arg;
	struct pollfd pfd[1 + VMOD_MAX_SETS * VMOD_SET_FDS];
	uint32_t set[1 + VMOD_MAX_SETS * VMOD_SET_FDS];
	int n = 0;

	pfd[n++] = (struct pollfd){.fd = l->stop_pipe[0], .events = POLLIN};
	for (uint32_t s = 0; s < l->nsets; s++)
		for (int i = 0; i < l->sets[s].n; i++) {
			set[n] = s;
			pfd[n++] = (struct pollfd){.fd = l->sets[s].fd[i],
						   .events = POLLIN};
		}
	for (;;) {
		if (poll(pfd, (nfds_t)n, l->tick(l->arg)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		/* Empty the accept queue, a batch at a time: under a flood,
		 * refusing at once keeps it short, so a real client's
		 * connection is not dropped by the kernel for want of
		 * room. */
		for (int i = 1; i < n; i++)
			for (int k = 0; (pfd[i].revents & POLLIN) &&
					k < VMOD_ACCEPT_BATCH &&
					vmod_accept_one(l, pfd[i].fd, set[i]);
			     k++)
				;
	}
	return NULL;
}

/* The address a listener binds, in words. */
static void
vmod_listen_where(const char *addr, char *buf, size_t size)
{
	if (addr && addr[0])
		snprintf(buf, size, "TCP/Address '%s'", addr);
	else
		snprintf(buf, size, "%s", addr ? "all addresses" : "loopback");
}

static int
vmod_bind_list(struct vmod_listener *l, const char *spec, const char *addr)
{
	static uint16_t ports[VMOD_MAX_PORTS];
	int n, i, rc = -EADDRINUSE;
	char where[300], def[8];

	snprintf(def, sizeof(def), "%u", l->default_port);
	if (!spec[0] || portlist_is_default(spec)) {
		ports[0] = l->default_port;
		n = 1;
	} else {
		n = portlist_parse(spec, ports, VMOD_MAX_PORTS);
	}
	if (n < 1) {
		vmod_log(l->host, VRDE_LOG_ERR,
			 "bad TCP/Ports '%s' (expected e.g. %u or "
			 "%u,%u-%u)",
			 spec, l->default_port, l->default_port,
			 l->default_port + 10, l->default_port + 12);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		rc = vmod_bind_port(&l->sets[0], addr, ports[i]);
		if (rc == 0) {
			l->port = ports[i];
			return 0;
		}
		if (rc != -EADDRINUSE && rc != -EACCES)
			break;
	}
	/* one line with the port, the address and the reason: it is what
	 * vireo-headless prints when the server cannot start */
	i = i < n ? i : n - 1;
	vmod_listen_where(addr, where, sizeof(where));
	if (rc == -EADDRINUSE || rc == -EACCES)
		vmod_log(l->host, VRDE_LOG_ERR,
			 "cannot listen: no port of TCP/Ports '%s' is free on "
			 "%s (port %u: %s)",
			 spec[0] ? spec : def, where, ports[i], strerror(-rc));
	else
		vmod_log(l->host, VRDE_LOG_ERR,
			 "cannot listen on %s port %u: %s", where, ports[i],
			 strerror(-rc));
	return rc;
}

/* Sets past the first: port + n, warned about when busy. */
static void
vmod_bind_more(struct vmod_listener *l, const char *addr)
{
	char where[300];

	vmod_listen_where(addr, where, sizeof(where));
	for (uint32_t s = 1; s < l->nsets; s++) {
		int port = l->port + (int)s, rc = -ERANGE;

		if (port <= 65535)
			rc = vmod_bind_port(&l->sets[s], addr, (uint16_t)port);
		if (rc < 0)
			vmod_log(l->host, VRDE_LOG_WARN,
				 "screen %u: cannot listen on %s port %d: "
				 "%s; that screen is not reachable",
				 s + 1, where, port, strerror(-rc));
	}
}

static void
vmod_listen_close(struct vmod_listener *l)
{
	for (uint32_t s = 0; s < l->nsets; s++)
		vmod_set_close(&l->sets[s]);
}

static void
vmod_listening(struct vmod_listener *l, int port)
{
	if (l->host->cb->listening)
		l->host->cb->listening(l->host->ctx, (uint32_t)port);
}

/* TCP/Address, or NULL for loopback only. */
static const char *
vmod_listen_address(struct vmod_listener *l, bool grants_all,
		    const char *grants_why, char *addr, size_t size)
{
	vmod_prop(l->host, "TCP/Address", addr, size);
	if (!grants_all)
		return addr;
	if (!addr[0])
		return NULL;
	vmod_log(l->host, VRDE_LOG_WARN,
		 "%s, yet TCP/Address '%s' is set: anyone who can reach it "
		 "controls the VM",
		 grants_why, addr);
	return addr;
}

int
vmod_listener_start(struct vmod_listener *l, bool grants_all,
		    const char *grants_why)
{
	char spec[1024], addr[256];
	const char *bind_addr;
	int rc;

	if (l->nsets < 1 || l->nsets > VMOD_MAX_SETS)
		l->nsets = 1;
	vmod_prop(l->host, "TCP/Ports", spec, sizeof(spec));
	bind_addr =
	    vmod_listen_address(l, grants_all, grants_why, addr, sizeof(addr));
	rc = vmod_bind_list(l, spec, bind_addr);
	if (rc == 0)
		vmod_bind_more(l, bind_addr);
	if (rc == 0 && pipe2(l->stop_pipe, O_CLOEXEC) < 0)
		rc = -errno;
	if (rc == 0) {
		rc = -pthread_create(&l->thread, NULL, vmod_listen_thread, l);
		if (rc < 0) {
			close(l->stop_pipe[0]);
			close(l->stop_pipe[1]);
		}
	}
	if (rc < 0) {
		vmod_listen_close(l);
		l->port = 0;
		vmod_listening(l, 0);
		return rc;
	}
	l->started = true;
	vmod_log(l->host, VRDE_LOG_INFO, "listening on port %d (%s)%s", l->port,
		 bind_addr ? (bind_addr[0] ? bind_addr : "all addresses")
			   : "loopback only",
		 l->nsets > 1 ? "; screen n on port + n - 1" : "");
	vmod_listening(l, l->port);
	return 0;
}

void
vmod_listener_stop(struct vmod_listener *l)
{
	if (!l->started)
		return;
	if (write(l->stop_pipe[1], "x", 1) < 0)
		vmod_log(l->host, VRDE_LOG_WARN,
			 "cannot wake the listener thread");
	pthread_join(l->thread, NULL);
	close(l->stop_pipe[0]);
	close(l->stop_pipe[1]);
	vmod_listen_close(l);
	l->started = false;
}
