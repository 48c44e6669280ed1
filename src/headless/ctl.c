/*
 * ctl.c - the per-VM control socket (conventions.md, "Control socket"):
 * vireo-manage controlvm/showvminfo talk to a running VM through it.
 *
 * One thread serves up to CTL_MAX_CONNS connections at once: it reads
 * their request lines side by side, so a client that sends slowly or not
 * at all holds only its own slot, and only for CTL_DEADLINE_MS from
 * accept.  Each connection carries one request line (TAB-separated
 * fields, at most 4096 bytes); requests are carried out one at a time in
 * this thread and get zero or more data lines and a final "ok" or "error
 * <message>".  Every reply, here and from the savestate and teleport
 * threads and on the console socket (serial_console.c), is written by
 * hl_ctl_write_all: whole, waiting up to CTL_REPLY_WAIT_MS for the client
 * to read, as the socket does not block; only a client that reads nothing
 * for that long loses the rest.  Long replies ("info") are composed in
 * memory and written in one piece: written a field at a time, a few
 * hundred small writes filled a Unix socket's buffer (it counts each
 * write's overhead) before the client read, and the reply lost its end.
 * The socket is mode 0600 in the machine folder and removed when the VM
 * stops.
 */
#define LOG_TAG "ctl"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "headless.h"
#include "log.h"

#include "ctlproto.h"

#define CTL_MAX_CONNS	    16
#define CTL_DEADLINE_MS	    5000
#define CTL_REPLY_WAIT_MS   2000 /* for a client to read a long reply */
/* how long accepting stops when the process is out of descriptors */
#define CTL_ACCEPT_PAUSE_MS 100

/* A connection whose request line is still arriving. */
struct hl_ctl_conn {
	int fd; /* -1: free slot */
	size_t len;
	long deadline; /* headless_now_ms() */
	char line[CTLPROTO_LINE_MAX + 1];
};

static int hl_ctl_listen_fd = -1;
static int hl_ctl_wake_fd = -1;
static int hl_ctl_dir_fd = -1;
static char hl_ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pthread_t hl_ctl_thread;
static bool hl_ctl_running;

/* ---- replies -------------------------------------------------------- */

int
hl_ctl_write_all(int fd, const char *buf, size_t len)
{
	long end = headless_now_ms() + CTL_REPLY_WAIT_MS;

	while (len) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		long left;

		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w == 0)
			return -EPIPE;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		left = end - headless_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0)
			return -errno;
	}
	return 0;
}

int
hl_ctl_printf(int fd, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	rc = hl_ctl_write_all(fd, s, (size_t)n);
	free(s);
	return rc;
}

/* ---- requests ------------------------------------------------------- */

static void
hl_ctl_reply(int fd, int rc, const char *what)
{
	if (rc == 0)
		hl_ctl_printf(fd, "ok\n");
	else
		hl_ctl_printf(fd, "error %s: %s\n", what, strerror(-rc));
}

/* Start VRDE and hand it the screens; errors are answered on @fd.
 * @return 0 or -errno. */
static int
hl_ctl_vrde_on(struct headless *hl, int fd)
{
	char err[512];
	int rc;

	if (hl->server)
		return 0;
	rc = vrdehost_start(hl, err, sizeof(err));
	if (rc < 0) {
		log_err("%s", err);
		hl_ctl_printf(fd, "error %s\n", err);
		return rc;
	}
	rc = vrdehost_enable(hl);
	if (rc < 0)
		hl_ctl_reply(fd, rc, "vrde");
	return rc;
}

/* Properties take effect by restarting a running server (VirtualBox
 * does the same). */
static int
hl_ctl_restart_vrde(struct headless *hl, int fd)
{
	if (!hl->server)
		return 0;
	vrdehost_stop(hl);
	return hl_ctl_vrde_on(hl, fd);
}

static void
hl_ctl_vrde(struct headless *hl, int fd, const char *arg)
{
	if (strcmp(arg, "off") == 0) {
		vrdehost_stop(hl);
		hl_ctl_printf(fd, "ok\n");
	} else if (hl_ctl_vrde_on(hl, fd) == 0) {
		hl_ctl_printf(fd, "ok\n");
	}
}

static void
hl_ctl_set_prop(struct headless *hl, int fd, const char *name,
		const char *value)
{
	/* a TCP/Ports value was checked with the request (ctlproto), so a
	 * bad list never stops a running server at its restart */
	int rc = hl_machine_set_property(hl, name, value);
	if (rc < 0) {
		hl_ctl_reply(fd, rc, "vrdeproperty");
		return;
	}
	log_info("VRDE property %s set to '%s' for this run", name, value);
	if (hl_ctl_restart_vrde(hl, fd) == 0)
		hl_ctl_printf(fd, "ok\n");
}

/* Screen @s (absent: 0) if the VM has it; else answer why not. */
static int
hl_ctl_screen(struct headless *hl, int fd, const char *s, uint32_t *head)
{
	*head = s ? (uint32_t)strtoul(s, NULL, 10) : 0;
	if (*head < hl->heads)
		return 0;
	hl_ctl_printf(fd, "error no screen %u (the VM has %u)\n", *head,
		      hl->heads);
	return -ENODEV;
}

/* The fields have the forms ctlproto_check() promises. */
static void
hl_ctl_screenshot(struct headless *hl, int fd, char **f, int n)
{
	uint32_t head;

	if (hl_ctl_screen(hl, fd, n > 2 ? f[2] : NULL, &head) < 0)
		return;
	/* a paused VM's screen is refreshed first: the picture is then
	 * exactly what its VRAM holds (and what a saved state keeps) */
	if (vmm_get_state(hl->vm) == VMM_STATE_PAUSED)
		vmm_display_refresh(hl->vm);
	hl_ctl_reply(fd, shot_png(hl, head, f[1]), f[0]);
}

/* The browser console's one-time token, with the port to use it on. */
static void
hl_ctl_console_token(struct headless *hl, int fd)
{
	char tok[LOGON_TOKEN_LEN + 1];
	int32_t port;
	int rc;

	/* only the VNC module serves the browser console */
	if (!hl->vrde_module || strcmp(hl->vrde_module, "vnc")) {
		hl_ctl_printf(
		    fd,
		    "error the VM's remote display is %s, not VNC: the "
		    "browser console is not available (modifyvm "
		    "--vrde-extpack VNC)\n",
		    hl->vrde_module ? hl->vrde_module : "off");
		return;
	}
	pthread_mutex_lock(&hl->lock);
	port = hl->vrde_port;
	pthread_mutex_unlock(&hl->lock);
	if (port <= 0) {
		hl_ctl_printf(fd,
			      "error the VM's remote display is not running\n");
		return;
	}
	rc = logon_console_token(hl, tok, sizeof(tok));
	if (rc == 0)
		hl_ctl_printf(fd, "token=%s\nport=%d\nttl=%d\n", tok, port,
			      LOGON_TOKEN_TTL_MS / 1000);
	hl_ctl_reply(fd, rc, "consoletoken");
}

/* Restoring, starting, saving or saved: nothing may change the VM.
 * @return true when the request was refused. */
static bool
hl_ctl_busy(struct headless *hl, int fd)
{
	enum hl_phase p = hl_state_phase(hl);

	if (p == HL_PHASE_RUNNING)
		return false;
	hl_ctl_printf(
	    fd, "error the VM is %s\n",
	    p == HL_PHASE_RESTORING	   ? "being restored"
	    : p == HL_PHASE_STARTING	   ? "starting"
	    : p == HL_PHASE_TELEPORTING_IN ? "waiting for a teleported VM"
	    : p == HL_PHASE_TELEPORTING || p == HL_PHASE_TELEPORTING_PAUSED
		? "being teleported"
	    : p == HL_PHASE_TELEPORTED ? "teleported"
				       : "being saved");
	return true;
}

static void
hl_ctl_modehint(struct headless *hl, int fd, char **f, int n)
{
	uint32_t head, w = (uint32_t)strtoul(f[1], NULL, 10),
		       h = (uint32_t)strtoul(f[2], NULL, 10);

	if (hl_ctl_screen(hl, fd, n > 4 ? f[4] : NULL, &head) == 0)
		hl_ctl_reply(fd, vmm_head_mode_hint(hl->vm, head, w, h), f[0]);
}

static void
hl_ctl_scancodes(struct headless *hl, int fd, char **f, int n)
{
	uint8_t codes[CTLPROTO_MAX_FIELDS];

	for (int i = 1; i < n; i++)
		codes[i - 1] = (uint8_t)strtoul(f[i], NULL, 16);
	hl_ctl_reply(fd, input_scancodes(hl, codes, n - 1), f[0]);
}

static void
hl_ctl_state(struct headless *hl, int fd, int rc, const char *what)
{
	if (rc == 0)
		headless_state_changed(hl);
	hl_ctl_reply(fd, rc, what);
}

/* The "info" reply, composed in memory and written in one piece. */
static void
hl_ctl_info(struct headless *hl, int fd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		hl_ctl_printf(fd, "error info: %s\n", strerror(errno));
		return;
	}
	hl_info_write(hl, f);
	fputs("ok\n", f);
	if (fclose(f) == 0)
		hl_ctl_write_all(fd, buf, len);
	else
		hl_ctl_printf(fd, "error info: out of memory\n");
	free(buf);
}

static void
hl_ctl_dispatch(struct headless *hl, int fd, char **f, int n)
{
	const struct ctlproto_request *r;
	char err[CTLPROTO_LINE_MAX + 128], *eq;

	r = ctlproto_check((const char *const *)f, n, err, sizeof(err));
	if (!r) {
		hl_ctl_printf(fd, "error %s\n", err);
		return;
	}
	if (r->id != CTLPROTO_INFO && hl_ctl_busy(hl, fd))
		return;
	switch (r->id) {
	case CTLPROTO_INFO:
		hl_ctl_info(hl, fd);
		break;
	case CTLPROTO_SAVESTATE:
		hl_state_request(hl, fd);
		break;
	case CTLPROTO_CONSOLETOKEN:
		hl_ctl_console_token(hl, fd);
		break;
	case CTLPROTO_TELEPORT:
		hl_teleport_request(hl, fd, f);
		break;
	case CTLPROTO_PAUSE:
		hl_ctl_state(hl, fd, vmm_pause(hl->vm), f[0]);
		break;
	case CTLPROTO_RESUME:
		hl_ctl_state(hl, fd, vmm_resume(hl->vm), f[0]);
		break;
	case CTLPROTO_RESET:
		hl_ctl_state(hl, fd, vmm_reset(hl->vm), f[0]);
		break;
	case CTLPROTO_POWEROFF:
		log_info("power off requested through the control socket");
		hl_ctl_reply(fd, vmm_poweroff(hl->vm), f[0]);
		break;
	case CTLPROTO_ACPIPOWERBUTTON:
		hl_ctl_reply(fd, vmm_power_button(hl->vm), f[0]);
		break;
	case CTLPROTO_SCREENSHOTPNG:
		hl_ctl_screenshot(hl, fd, f, n);
		break;
	case CTLPROTO_VRDE:
		hl_ctl_vrde(hl, fd, f[1]);
		break;
	case CTLPROTO_VRDEPORT:
		hl_ctl_set_prop(hl, fd, "TCP/Ports", f[1]);
		break;
	case CTLPROTO_VRDEPROPERTY:
		eq = strchr(f[1], '=');
		*eq = '\0';
		hl_ctl_set_prop(hl, fd, f[1], eq + 1);
		break;
	case CTLPROTO_SETVIDEOMODEHINT:
		hl_ctl_modehint(hl, fd, f, n);
		break;
	case CTLPROTO_KEYBOARDPUTSCANCODE:
		hl_ctl_scancodes(hl, fd, f, n);
		break;
	}
}

/* ---- connections ---------------------------------------------------- */

static void
hl_ctl_serve(struct headless *hl, int fd, char *line)
{
	char *f[CTLPROTO_MAX_FIELDS];
	int n = ctlproto_split(line, f, CTLPROTO_MAX_FIELDS);

	if (n < 0) {
		hl_ctl_printf(fd, "error more than %d fields\n",
			      CTLPROTO_MAX_FIELDS);
		return;
	}
	log_debug("request '%s'", f[0]);
	hl_ctl_dispatch(hl, fd, f, n);
}

static void
hl_ctl_close(struct hl_ctl_conn *c, const char *error)
{
	if (error)
		hl_ctl_printf(c->fd, "error %s\n", error);
	close(c->fd);
	c->fd = -1;
}

/* Read what @c has sent; serve it once the line is complete. */
static void
hl_ctl_conn_read(struct headless *hl, struct hl_ctl_conn *c)
{
	ssize_t r = read(c->fd, c->line + c->len, CTLPROTO_LINE_MAX - c->len);
	char *nl;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		hl_ctl_close(c, r < 0 ? NULL : "no request line");
		return;
	}
	c->len += (size_t)r;
	c->line[c->len] = '\0';
	nl = memchr(c->line, '\n', c->len);
	if (nl) {
		*nl = '\0';
		hl_ctl_serve(hl, c->fd, c->line);
		hl_ctl_close(c, NULL);
	} else if (c->len == CTLPROTO_LINE_MAX) {
		hl_ctl_close(c, "request longer than 4096 bytes");
	}
}

/* @return 0, or -errno when accept failed for want of resources. */
static int
hl_ctl_accept(struct hl_ctl_conn *conns)
{
	int fd =
	    accept4(hl_ctl_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			       errno == ENOMEM
			   ? -errno
			   : 0;
	for (int i = 0; i < CTL_MAX_CONNS; i++) {
		if (conns[i].fd < 0) {
			conns[i].fd = fd;
			conns[i].len = 0;
			conns[i].deadline = headless_now_ms() + CTL_DEADLINE_MS;
			return 0;
		}
	}
	log_warn("control socket: %d requests pending; one refused",
		 CTL_MAX_CONNS);
	hl_ctl_printf(fd, "error too many pending requests\n");
	close(fd);
	return 0;
}

/* The poll timeout until the next deadline (0: one has passed), or -1. */
static int
hl_ctl_wait(const struct hl_ctl_conn *conns)
{
	long now = headless_now_ms(), wait = -1;

	for (int i = 0; i < CTL_MAX_CONNS; i++) {
		if (conns[i].fd < 0)
			continue;
		if (conns[i].deadline <= now)
			return 0;
		if (wait < 0 || conns[i].deadline - now < wait)
			wait = conns[i].deadline - now;
	}
	return (int)wait;
}

/* Close connections past their deadline.  Called after their input was
 * read, so a line that arrived while a long request ran still counts. */
static void
hl_ctl_expire(struct hl_ctl_conn *conns)
{
	long now = headless_now_ms();

	for (int i = 0; i < CTL_MAX_CONNS; i++)
		if (conns[i].fd >= 0 && conns[i].deadline <= now)
			hl_ctl_close(&conns[i], "no request line within 5 s");
}

static void *
hl_ctl_main(void *arg)
{
	struct headless *hl = arg;
	struct hl_ctl_conn *conns = calloc(CTL_MAX_CONNS, sizeof(*conns));
	struct pollfd p[CTL_MAX_CONNS + 2];
	int slot[CTL_MAX_CONNS + 2];
	long resume_accept = 0;

	if (!conns) {
		log_err("control socket: out of memory; not serving");
		return NULL;
	}
	for (int i = 0; i < CTL_MAX_CONNS; i++)
		conns[i].fd = -1;
	for (;;) {
		int n = 2, rc, wait = hl_ctl_wait(conns);
		bool paused = headless_now_ms() < resume_accept;

		/* out of descriptors: a listener that stays readable would
		 * spin this thread, so stop accepting for a moment */
		if (paused && (wait < 0 || wait > CTL_ACCEPT_PAUSE_MS))
			wait = CTL_ACCEPT_PAUSE_MS;
		p[0] = (struct pollfd){.fd = paused ? -1 : hl_ctl_listen_fd,
				       .events = POLLIN};
		p[1] = (struct pollfd){.fd = hl_ctl_wake_fd, .events = POLLIN};
		for (int i = 0; i < CTL_MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			slot[n] = i;
			p[n++] = (struct pollfd){.fd = conns[i].fd,
						 .events = POLLIN};
		}
		if (poll(p, (nfds_t)n, wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		for (int k = 2; k < n; k++)
			if (p[k].revents)
				hl_ctl_conn_read(hl, &conns[slot[k]]);
		rc = p[0].revents & POLLIN ? hl_ctl_accept(conns) : 0;
		if (rc < 0) {
			if (!resume_accept)
				log_warn("control socket: cannot accept: %s; "
					 "pausing",
					 strerror(-rc));
			resume_accept = headless_now_ms() + CTL_ACCEPT_PAUSE_MS;
		} else if (!paused) {
			resume_accept = 0;
		}
		hl_ctl_expire(conns);
	}
	for (int i = 0; i < CTL_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	return NULL;
}

int
hl_ctl_start(struct headless *hl, char *errbuf, size_t size)
{
	struct sockaddr_un sa;
	mode_t old;
	int rc = ctlproto_address(hl->m->folder, &sa, &hl_ctl_dir_fd);

	if (rc < 0)
		goto fail;
	hl_ctl_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	hl_ctl_wake_fd = eventfd(0, EFD_CLOEXEC);
	if (hl_ctl_listen_fd < 0 || hl_ctl_wake_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* the folder lock is ours, so a socket left here is stale */
	unlink(sa.sun_path);
	old = umask(077);
	rc = bind(hl_ctl_listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(hl_ctl_listen_fd, 8) < 0) {
		rc = -errno;
		goto fail;
	}
	memcpy(hl_ctl_path, sa.sun_path, sizeof(hl_ctl_path));
	rc = -pthread_create(&hl_ctl_thread, NULL, hl_ctl_main, hl);
	if (rc < 0)
		goto fail;
	hl_ctl_running = true;
	log_info("control socket %s", hl_ctl_path);
	return 0;
fail:
	snprintf(errbuf, size, "cannot create the control socket %s: %s",
		 sa.sun_path, strerror(-rc));
	hl_ctl_stop(hl);
	return rc;
}

void
hl_ctl_stop(struct headless *hl)
{
	uint64_t one = 1;

	(void)hl;
	if (hl_ctl_running) {
		if (write(hl_ctl_wake_fd, &one, sizeof(one)) < 0)
			log_warn("cannot wake the control thread");
		pthread_join(hl_ctl_thread, NULL);
		hl_ctl_running = false;
	}
	if (hl_ctl_path[0])
		unlink(hl_ctl_path);
	hl_ctl_path[0] = '\0';
	if (hl_ctl_listen_fd >= 0)
		close(hl_ctl_listen_fd);
	if (hl_ctl_wake_fd >= 0)
		close(hl_ctl_wake_fd);
	if (hl_ctl_dir_fd >= 0)
		close(hl_ctl_dir_fd);
	hl_ctl_listen_fd = hl_ctl_wake_fd = hl_ctl_dir_fd = -1;
}
