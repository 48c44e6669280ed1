/*
 * console.c - `console <vm> [--uart N] [--watch]`: the terminal on a
 * running VM's serial port, as OpenBSD's `vmctl console` (cu(1)) does
 * it: the terminal in raw mode, every byte to the guest (Ctrl-C too),
 * "~." at the start of a line leaves and "~~" sends one "~".
 *
 * It talks to vireo-headless's console socket (consoleproto.h).  Only
 * one console types into a port at a time; the server says which one.
 * `console <vm> --web` is the VNC module's browser console (console_web.c).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "consoleproto.h"
#include "manage.h"

#define MG_CONSOLE_REPLY_MS 10000

static struct termios mg_console_saved;
static bool mg_console_raw;

static void
mg_console_restore(void)
{
	if (mg_console_raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &mg_console_saved);
	mg_console_raw = false;
}

static void
mg_console_signal(int sig)
{
	mg_console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
mg_console_make_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &mg_console_saved))
		return 0;
	t = mg_console_saved;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t))
		return -errno;
	mg_console_raw = true;
	atexit(mg_console_restore);
	signal(SIGTERM, mg_console_signal);
	signal(SIGHUP, mg_console_signal);
	signal(SIGQUIT, mg_console_signal);
	return 0;
}

static int
mg_console_write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read the server's reply line a byte at a time, so that no output
 * after it is consumed here.  @return 0 (input or watch) or MANAGE_*. */
static int
mg_console_reply(int fd, const char *vm, bool *input)
{
	char line[CONSOLE_LINE_MAX], msg[CONSOLE_LINE_MAX];
	size_t n = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, MG_CONSOLE_REPLY_MS) <= 0) {
			manage_error("no answer from '%s' within 10 s", vm);
			return MANAGE_FAIL;
		}
		r = read(fd, line + n, 1);
		if (r <= 0) {
			manage_error("'%s' closed the console connection", vm);
			return MANAGE_FAIL;
		}
		if (line[n] == '\n')
			break;
		if (++n == sizeof(line)) {
			manage_error("'%s' sent a reply longer than %d bytes",
				     vm, CONSOLE_LINE_MAX);
			return MANAGE_FAIL;
		}
	}
	switch (console_parse_reply(line, n, input, msg, sizeof(msg))) {
	case 0:
		return MANAGE_OK;
	case 1:
		manage_error("%s", msg);
		return MANAGE_FAIL;
	default:
		manage_error("'%s' sent a malformed console reply", vm);
		return MANAGE_FAIL;
	}
}

/* Copy both ways until "~." or either side ends.  @return MANAGE_*. */
static int
mg_console_loop(int fd)
{
	struct console_escape esc = {.line_start = true};
	uint8_t buf[4096], out[4097];
	bool in_open = true;

	for (;;) {
		struct pollfd p[2] = {
		    {.fd = fd, .events = POLLIN},
		    {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		ssize_t r;
		size_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return MANAGE_FAIL;
		}
		if (p[0].revents) {
			r = read(fd, buf, sizeof(buf));
			if (r <= 0) {
				mg_console_restore();
				fprintf(stderr, "\r\nvireo-manage: the console "
						"closed (the VM stopped)\n");
				return MANAGE_FAIL;
			}
			if (mg_console_write_all(STDOUT_FILENO, buf, (size_t)r))
				return MANAGE_FAIL;
		}
		if (!p[1].revents)
			continue;
		r = read(STDIN_FILENO, buf, sizeof(buf));
		if (r <= 0)
			/* end of input (a pipe): nothing more to type */
			return MANAGE_OK;
		if (console_escape_feed(&esc, buf, (size_t)r, out, &n)) {
			mg_console_write_all(fd, out, n);
			mg_console_restore();
			fputs("\r\n[vireo-manage: console left]\n", stderr);
			return MANAGE_OK;
		}
		if (mg_console_write_all(fd, out, n))
			return MANAGE_FAIL;
	}
}

static int
mg_console_attach(struct settings_machine *m, uint32_t port, bool watch)
{
	struct console_request rq = {.port = port, .watch = watch};
	char line[CONSOLE_LINE_MAX];
	int fd, n, rc;
	bool input;

	fd = manage_connect_socket(m, CONSOLE_SOCKET_NAME);
	if (fd == -ENOENT || fd == -ECONNREFUSED) {
		manage_error("machine '%s' is not running", m->name);
		return MANAGE_FAIL;
	}
	if (fd < 0) {
		manage_error("cannot reach the console of '%s': %s", m->name,
			     strerror(-fd));
		return MANAGE_FAIL;
	}
	n = console_format_request(&rq, line, sizeof(line));
	if (n < 0 ||
	    mg_console_write_all(fd, (const uint8_t *)line, (size_t)n) ||
	    mg_console_reply(fd, m->name, &input)) {
		close(fd);
		return MANAGE_FAIL;
	}
	fprintf(stderr,
		"vireo-manage: connected to COM%u of '%s'%s; type ~. to "
		"leave\n",
		port + 1, m->name,
		input ? ""
		      : " (watching: another console or connection types)");
	if ((rc = mg_console_make_raw()) < 0) {
		manage_error("cannot put the terminal in raw mode: %s",
			     strerror(-rc));
		close(fd);
		return MANAGE_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = mg_console_loop(fd);
	mg_console_restore();
	close(fd);
	return rc;
}

int
cmd_console(int argc, char **argv)
{
	static const struct manage_opt opts[] = {
	    {1, "--uart", NULL, true},
	    {2, "--watch", NULL, false},
	    {3, "--web", NULL, false},
	    {4, "--address", NULL, true},
	    {0},
	};
	struct settings_machine *m;
	struct manage_scan s;
	const char *vm = NULL, *address = NULL;
	unsigned long port = 1;
	bool watch = false, web = false;
	int id, rc;

	manage_scan_init(&s, argc, argv);
	while ((id = manage_scan_next(&s, opts)) != MANAGE_END) {
		if (id == MANAGE_BAD)
			return MANAGE_SYNTAX;
		if (id == MANAGE_POSITIONAL && vm)
			return manage_syntax("unexpected argument: %s", s.arg);
		if (id == MANAGE_POSITIONAL)
			vm = s.arg;
		else if (id == 1 &&
			 manage_parse_uint(s.arg, 1, CONSOLE_MAX_PORTS, &port))
			return manage_syntax("--uart takes 1 or 2, not '%s'",
					     s.arg);
		else if (id == 2)
			watch = true;
		else if (id == 3)
			web = true;
		else if (id == 4)
			address = s.arg;
	}
	if (!vm)
		return manage_syntax("usage: console <vm> [--uart 1|2] "
				     "[--watch] | console <vm> --web "
				     "[--address <host>]");
	if (address && !web)
		return manage_syntax("--address goes with --web");
	if (web)
		return manage_console_web(vm, address);
	if (manage_open_vm(vm, false, &m))
		return MANAGE_FAIL;
	rc = mg_console_attach(m, (uint32_t)port - 1, watch);
	settings_machine_free(m);
	return rc;
}
