/*
 * serial_modes.c - VirtualBox's host modes of a serial port: RawFile (a
 * file, 0600, emptied at each start), TCP server (127.0.0.1 unless the
 * path names an address; one client at a time) and client, HostPipe
 * server (a unix socket created 0600; one program at a time) and client.
 * A client mode connects when the VM starts and does not reconnect.
 */
#define LOG_TAG "serial"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "serial.h"

/* "PORT" (loopback), "ADDR:PORT" or "[ADDR]:PORT". */
static int
hl_serial_split_hostport(const char *s, bool server, char *host, size_t hsize,
			 char *port, size_t psize)
{
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (!colon) {
		if (!server || strlen(s) >= psize)
			return -EINVAL;
		snprintf(host, hsize, "127.0.0.1");
		memcpy(port, s, strlen(s) + 1);
		return 0;
	}
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hsize || strlen(colon + 1) >= psize)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

static int
hl_serial_tcp_socket(struct hl_serial_port *p, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV |
					     (p->server ? AI_PASSIVE : 0)};
	struct addrinfo *ai = NULL;
	char host[SERIAL_PATH_MAX], port[16];
	int fd, one = 1, rc;

	if (hl_serial_split_hostport(p->path, p->server, host, sizeof(host),
				     port, sizeof(port)) < 0) {
		snprintf(err, errlen, "%s: TCP address '%s' is not %s", p->name,
			 p->path, p->server ? "[ADDR:]PORT" : "HOST:PORT");
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "%s: cannot resolve '%s': %s", p->name,
			 p->path, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0) {
		rc = -errno;
	} else if (p->server) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		rc = bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
			     listen(fd, 1) < 0
			 ? -errno
			 : 0;
	} else {
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		socklen_t sl = sizeof(rc);

		rc = connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
			     errno != EINPROGRESS
			 ? -errno
			 : 0;
		if (!rc && poll(&pf, 1, SERIAL_CONNECT_MS) != 1)
			rc = -ETIMEDOUT;
		if (!rc && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &sl))
			rc = -rc;
	}
	freeaddrinfo(ai);
	if (rc) {
		snprintf(err, errlen, "%s: cannot %s TCP %s: %s", p->name,
			 p->server ? "listen on" : "connect to", p->path,
			 strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

/* A unix socket path; relative paths are the machine folder's. */
static int
hl_serial_unix_addr(struct hl_serial_port *p, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = p->path[0] == '/'
		? snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", p->path)
		: snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s",
			   hl_ser.hl->m->folder, p->path);
	return n > 0 && (size_t)n < sizeof(sa->sun_path) ? 0 : -ENAMETOOLONG;
}

/* A socket file left at @path by an earlier run: remove it if nobody
 * listens there; anything else is not ours to remove. */
static int
hl_serial_unix_stale(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	return unlink(path) < 0 ? -errno : 0;
}

static int
hl_serial_pipe_socket(struct hl_serial_port *p, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, rc = hl_serial_unix_addr(p, &sa);

	if (rc < 0) {
		snprintf(err, errlen, "%s: pipe path '%s' is too long", p->name,
			 p->path);
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (p->server) {
		rc = hl_serial_unix_stale(sa.sun_path);
		/* whoever connects types into the guest: owner only */
		old = umask(077);
		if (!rc)
			rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0
				 ? -errno
				 : 0;
		umask(old);
		if (!rc)
			snprintf(p->sock_path, sizeof(p->sock_path), "%s",
				 sa.sun_path);
		if (!rc && (chmod(sa.sun_path, 0600) < 0 || listen(fd, 1) < 0))
			rc = -errno;
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
	}
	if (rc) {
		snprintf(err, errlen, "%s: cannot %s the pipe %s: %s", p->name,
			 p->server ? "create" : "connect to", sa.sun_path,
			 rc == -EEXIST ? "a file that is not a socket is there"
				       : strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

static int
hl_serial_file_open(struct hl_serial_port *p, char *err, size_t errlen)
{
	char path[4200];
	int fd;

	if (p->path[0] == '/')
		snprintf(path, sizeof(path), "%s", p->path);
	else
		snprintf(path, sizeof(path), "%s/%s", hl_ser.hl->m->folder,
			 p->path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
		  0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open the file %s: %s",
			 p->name, path, strerror(errno));
		return -errno;
	}
	return fd;
}

/* Open @p's host mode.  @return 0 or -errno with @err. */
int
hl_serial_open_mode(struct hl_serial_port *p, char *err, size_t errlen)
{
	int fd;

	switch (p->mode) {
	case SETTINGS_UART_FILE:
		fd = hl_serial_file_open(p, err, errlen);
		if (fd < 0)
			return fd;
		p->peer_is_file = true;
		hl_serial_reader_attach(p, &p->peer, fd);
		log_info("%s: output to the file %s", p->name, p->path);
		return 0;
	case SETTINGS_UART_TCP:
	case SETTINGS_UART_PIPE:
		fd = p->mode == SETTINGS_UART_TCP
			 ? hl_serial_tcp_socket(p, err, errlen)
			 : hl_serial_pipe_socket(p, err, errlen);
		if (fd < 0)
			return fd;
		if (p->server)
			p->listen_fd = fd;
		else
			hl_serial_reader_attach(p, &p->peer, fd);
		log_info("%s: %s %s %s", p->name,
			 p->mode == SETTINGS_UART_TCP ? "TCP" : "pipe",
			 p->server ? "server on" : "client of", p->path);
		return 0;
	case SETTINGS_UART_DEVICE:
		log_warn("%s: host devices are not passed through; the port "
			 "is disconnected",
			 p->name);
		return 0;
	default:
		return 0;
	}
}

void
hl_serial_accept_peer(struct hl_serial_port *p)
{
	int fd =
	    accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (p->peer.fd >= 0) {
		log_warn("%s: a second connection to %s refused (one at a "
			 "time)",
			 p->name, p->path);
		close(fd);
		return;
	}
	hl_serial_reader_attach(p, &p->peer, fd);
	log_info("%s: a client connected to %s", p->name, p->path);
}

void
hl_serial_peer_gone(struct hl_serial_port *p, int err)
{
	log_info("%s: the connection to %s ended%s%s", p->name, p->path,
		 err ? ": " : "", err ? strerror(-err) : "");
	if (!p->server && !p->peer_is_file)
		log_warn("%s: not reconnecting; output is dropped until the "
			 "VM starts again",
			 p->name);
	hl_serial_reader_detach(p, &p->peer);
}
