/*
 * serial_console.c - the console socket <machine folder>/vireo.console
 * (mode 0600; consoleproto.h): up to SERIAL_CONSOLES connections, each
 * with SERIAL_REQ_MS to send its request line, then attached to a port
 * as a reader that types (the oldest) or watches.
 */
#define LOG_TAG "serial"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "serial.h"

void
hl_serial_con_close(struct hl_serial_console *c)
{
	if (c->state == SERIAL_CON_ATTACHED) {
		log_info("console left %s", hl_ser.port[c->port].name);
		hl_serial_reader_detach(&hl_ser.port[c->port], &c->r);
	} else if (c->r.fd >= 0) {
		close(c->r.fd);
	}
	c->r.fd = -1;
	c->state = SERIAL_CON_FREE;
}

static void
hl_serial_con_refuse(struct hl_serial_console *c, const char *why)
{
	hl_ctl_printf(c->r.fd, "error %s\n", why);
	log_warn("console request refused: %s", why);
	hl_serial_con_close(c);
}

void
hl_serial_con_accept(void)
{
	int fd =
	    accept4(hl_ser.con_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < SERIAL_CONSOLES; i++) {
		struct hl_serial_console *c = &hl_ser.con[i];

		if (c->state != SERIAL_CON_FREE)
			continue;
		c->state = SERIAL_CON_PENDING;
		c->r.fd = fd;
		c->req_len = 0;
		c->deadline = headless_now_ms() + SERIAL_REQ_MS;
		return;
	}
	hl_ctl_printf(fd, "error %d consoles are attached already\n",
		      SERIAL_CONSOLES);
	log_warn("console refused: %d consoles are attached already",
		 SERIAL_CONSOLES);
	close(fd);
}

/* The request line ends at c->req[@nl] (the newline): attach. */
static void
hl_serial_con_attach(struct hl_serial_console *c, size_t nl)
{
	const uint8_t *after = (const uint8_t *)c->req + nl + 1;
	size_t rest = c->req_len - nl - 1, len = nl;
	struct console_request rq;
	struct hl_serial_port *p;
	char err[128];
	bool input;

	if (len && c->req[len - 1] == '\r')
		len--;
	if (console_parse_request(c->req, len, &rq, err, sizeof(err)) < 0) {
		hl_serial_con_refuse(c, err);
		return;
	}
	p = &hl_ser.port[rq.port];
	if (!p->present) {
		snprintf(err, sizeof(err), "the VM has no COM%u", rq.port + 1);
		hl_serial_con_refuse(c, err);
		return;
	}
	c->port = rq.port;
	c->watch = rq.watch;
	c->state = SERIAL_CON_ATTACHED;
	hl_serial_reader_attach(p, &c->r, c->r.fd);
	input = hl_serial_input_owner(p) == &c->r;
	hl_ctl_printf(c->r.fd, "ok %s\n", input ? "input" : "watch");
	log_info("console attached to %s (%s)", p->name,
		 input ? "input" : "watching");
	if (rest && input) /* typed right after the request */
		hl_serial_take_input(p, after, rest);
}

void
hl_serial_con_request(struct hl_serial_console *c)
{
	ssize_t got =
	    read(c->r.fd, c->req + c->req_len, sizeof(c->req) - c->req_len);
	char *nl;

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		hl_serial_con_close(c);
		return;
	}
	c->req_len += (size_t)got;
	nl = memchr(c->req, '\n', c->req_len);
	if (nl)
		hl_serial_con_attach(c, (size_t)(nl - c->req));
	else if (c->req_len == sizeof(c->req))
		hl_serial_con_refuse(c, "request line too long");
}

void
hl_serial_con_expire(void)
{
	long now = headless_now_ms();

	for (int i = 0; i < SERIAL_CONSOLES; i++)
		if (hl_ser.con[i].state == SERIAL_CON_PENDING &&
		    hl_ser.con[i].deadline <= now)
			hl_serial_con_refuse(&hl_ser.con[i],
					     "no request line within 5 s");
}

/* <machine folder>/vireo.console, through /proc/self/fd when long. */
int
hl_serial_console_socket(char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *folder = hl_ser.hl->m->folder;
	mode_t old;
	int n, rc;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", folder,
		     CONSOLE_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		hl_ser.dir_fd =
		    open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (hl_ser.dir_fd < 0)
			return -errno;
		snprintf(sa.sun_path, sizeof(sa.sun_path),
			 "/proc/self/fd/%d/%s", hl_ser.dir_fd,
			 CONSOLE_SOCKET_NAME);
	}
	hl_ser.con_fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (hl_ser.con_fd < 0)
		return -errno;
	unlink(sa.sun_path); /* the folder lock is ours: a stale socket */
	old = umask(077);
	rc = bind(hl_ser.con_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(hl_ser.con_fd, SERIAL_CONSOLES) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the console socket %s: %s",
			 sa.sun_path, strerror(-rc));
		return rc;
	}
	memcpy(hl_ser.con_path, sa.sun_path, sizeof(hl_ser.con_path));
	return 0;
}
