/*
 * rdp_listen.c - TCP/Ports and TCP/Address: bind one free port of the
 * list, dual stack by default, loopback only when every client is granted
 * (auth type Null or a library that says it grants everyone), and accept
 * clients on a thread of our own, counted in by rdp_guard.c.
 *
 * We bind the sockets ourselves instead of using freerdp_listener so that
 * a port list can be walked, the bound port reported exactly and a busy
 * list turned into one clear error.
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

#include "rdp.h"
#include "util/portlist.h"

#define RDP_MAX_PORTS	 4096
#define RDP_ACCEPT_BATCH 256

static int
rdp_bind_one(const struct sockaddr *sa, socklen_t len, int v6only)
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
	if (bind(fd, sa, len) < 0 || listen(fd, 128) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void
rdp_close_listen(struct rdp_server *srv)
{
	for (int i = 0; i < srv->nlisten; i++)
		close(srv->listen_fds[i]);
	srv->nlisten = 0;
}

/* Bind every address for @port; @return 0 or -errno (nothing kept). */
static int
rdp_bind_port(struct rdp_server *srv, const char *addr, uint16_t port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	char service[8];
	int fd, rc;

	srv->nlisten = 0;
	if (!addr) { /* loopback only, both families when present */
		s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = rdp_bind_one((struct sockaddr *)&s4, sizeof(s4), 0);
		if (fd < 0)
			return fd;
		srv->listen_fds[srv->nlisten++] = fd;
		s6.sin6_addr = in6addr_loopback;
		fd = rdp_bind_one((struct sockaddr *)&s6, sizeof(s6), 1);
		if (fd >= 0)
			srv->listen_fds[srv->nlisten++] = fd;
		else if (fd == -EADDRINUSE) {
			rdp_close_listen(srv);
			return fd;
		}
		return 0;
	}
	if (!addr[0]) { /* dual stack, IPv4 alone when IPv6 is absent */
		s6.sin6_addr = in6addr_any;
		fd = rdp_bind_one((struct sockaddr *)&s6, sizeof(s6), 0);
		if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) {
			s4.sin_addr.s_addr = htonl(INADDR_ANY);
			fd =
			    rdp_bind_one((struct sockaddr *)&s4, sizeof(s4), 0);
		}
		if (fd < 0)
			return fd;
		srv->listen_fds[srv->nlisten++] = fd;
		return 0;
	}
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(addr, service, &hints, &res);
	if (rc)
		return -EADDRNOTAVAIL;
	rc = 0;
	for (ai = res; ai && srv->nlisten < RDP_MAX_LISTEN; ai = ai->ai_next) {
		fd = rdp_bind_one(ai->ai_addr, ai->ai_addrlen, 1);
		if (fd < 0) {
			rc = fd;
			break;
		}
		srv->listen_fds[srv->nlisten++] = fd;
	}
	freeaddrinfo(res);
	if (rc < 0 || srv->nlisten == 0) {
		rdp_close_listen(srv);
		return rc < 0 ? rc : -EADDRNOTAVAIL;
	}
	return 0;
}

static void
rdp_peer_address(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	buf[0] = '\0';
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, buf, size);
	else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
				  size);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf, size);
	}
}

/* @return false when nothing was accepted. */
static bool
rdp_accept_one(struct rdp_server *srv, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct rdp_guard_ticket t = {.slot = -1};
	char addr[64], source[48];
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0)
		return false; /* empty, or an error poll() will show again */
	rdp_peer_address(&ss, addr, sizeof(addr));
	if (!atomic_load(&srv->enabled)) {
		rdp_info(srv, "refusing %s: connections are disabled", addr);
		close(fd);
		return true;
	}
	rdp_guard_source(&ss, source, sizeof(source));
	if (rdp_guard_admit(srv, fd, source, addr, &t) < 0) {
		close(fd);
		return true;
	}
	if (rdp_session_start(srv, fd, addr, &t) < 0) {
		rdp_guard_release(srv, &t);
		close(fd);
	}
	return true;
}

/* Empty @lfd's accept queue (at most RDP_ACCEPT_BATCH at a time): under
 * a flood, refusing at once keeps the queue short, so a real client's
 * connection is not dropped by the kernel for want of room. */
static void
rdp_accept_all(struct rdp_server *srv, int lfd)
{
	for (int i = 0; i < RDP_ACCEPT_BATCH && rdp_accept_one(srv, lfd); i++)
		;
}

static void *
rdp_listen_thread(void *arg)
{
	struct rdp_server *srv = arg;
	struct pollfd pfd[RDP_MAX_LISTEN + 1];
	int i, n, wait_ms;

	for (;;) {
		n = 0;
		pfd[n++] =
		    (struct pollfd){.fd = srv->stop_pipe[0], .events = POLLIN};
		for (i = 0; i < srv->nlisten; i++)
			pfd[n++] = (struct pollfd){.fd = srv->listen_fds[i],
						   .events = POLLIN};
		/* wake for the next logon deadline */
		wait_ms = rdp_guard_tick(srv);
		if (poll(pfd, n, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		for (i = 1; i < n; i++)
			if (pfd[i].revents & POLLIN)
				rdp_accept_all(srv, pfd[i].fd);
	}
	return NULL;
}

/* The address a listener binds, in words. */
static void
rdp_listen_where(const char *addr, char *buf, size_t size)
{
	if (addr && addr[0])
		snprintf(buf, size, "TCP/Address '%s'", addr);
	else
		snprintf(buf, size, "%s", addr ? "all addresses" : "loopback");
}

static int
rdp_bind_list(struct rdp_server *srv, const char *spec, const char *addr)
{
	static uint16_t ports[RDP_MAX_PORTS];
	int n, i, rc = -EADDRINUSE;
	char where[300];

	/* an unset property is the default port */
	n = portlist_parse(spec && spec[0] ? spec : "default", ports,
			   RDP_MAX_PORTS);
	if (n < 0) {
		rdp_err(srv,
			"bad TCP/Ports '%s' (expected e.g. 3389 or "
			"5000,5010-5012)",
			spec);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		rc = rdp_bind_port(srv, addr, ports[i]);
		if (rc == 0) {
			srv->port = ports[i];
			return 0;
		}
		if (rc != -EADDRINUSE && rc != -EACCES)
			break;
	}
	/* one line with the port, the address and the reason: it is what
	 * vireo-headless prints when the server cannot start */
	i = i < n ? i : n - 1;
	rdp_listen_where(addr, where, sizeof(where));
	if (rc == -EADDRINUSE || rc == -EACCES)
		rdp_err(srv,
			"cannot listen: no port of TCP/Ports '%s' is free on "
			"%s (port %u: %s)",
			spec[0] ? spec : "3389", where, ports[i],
			strerror(-rc));
	else
		rdp_err(srv, "cannot listen on %s port %u: %s", where, ports[i],
			strerror(-rc));
	return rc;
}

int
rdp_listen_start(struct rdp_server *srv)
{
	char spec[1024], addr[256];
	const char *bind_addr;
	int rc;

	rdp_prop(srv, "TCP/Ports", spec, sizeof(spec));
	rdp_prop(srv, "TCP/Address", addr, sizeof(addr));
	bind_addr = addr;
	if (srv->auth_null) {
		if (addr[0])
			rdp_warn(srv,
				 "every client is granted (auth type Null or "
				 "an auth library that grants everyone), yet "
				 "TCP/Address '%s' is set: anyone who can "
				 "reach it controls the VM",
				 addr);
		else
			bind_addr = NULL; /* loopback only */
	}
	rc = rdp_bind_list(srv, spec, bind_addr);
	if (rc == 0 && pipe2(srv->stop_pipe, O_CLOEXEC) < 0)
		rc = -errno;
	if (rc == 0) {
		rc = -pthread_create(&srv->listen_thread, NULL,
				     rdp_listen_thread, srv);
		if (rc < 0) {
			close(srv->stop_pipe[0]);
			close(srv->stop_pipe[1]);
		}
	}
	if (rc < 0) {
		rdp_close_listen(srv);
		srv->port = 0;
		if (srv->cb->listening)
			srv->cb->listening(srv->ctx, 0);
		return rc;
	}
	srv->listen_started = true;
	rdp_info(srv, "listening on port %d (%s)", srv->port,
		 bind_addr ? (bind_addr[0] ? bind_addr : "all addresses")
			   : "loopback only");
	if (srv->cb->listening)
		srv->cb->listening(srv->ctx, (uint32_t)srv->port);
	return 0;
}

void
rdp_listen_stop(struct rdp_server *srv)
{
	if (!srv->listen_started)
		return;
	if (write(srv->stop_pipe[1], "x", 1) < 0)
		rdp_warn(srv, "cannot wake the listener thread");
	pthread_join(srv->listen_thread, NULL);
	close(srv->stop_pipe[0]);
	close(srv->stop_pipe[1]);
	rdp_close_listen(srv);
	srv->listen_started = false;
}
