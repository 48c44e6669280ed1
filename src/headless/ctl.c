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
 * <message>".  Replies are written without blocking: a client that does
 * not read loses what does not fit into the socket's buffer.  The socket
 * is mode 0600 in the machine folder and removed when the VM stops.
 */
#define LOG_TAG "ctl"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "portlist.h"

#define CTL_LINE_MAX	    4096
#define CTL_MAX_FIELDS	    64
#define CTL_MAX_CONNS	    16
#define CTL_DEADLINE_MS	    5000
/* how long accepting stops when the process is out of descriptors */
#define CTL_ACCEPT_PAUSE_MS 100

/* A connection whose request line is still arriving. */
struct ctl_conn {
	int fd; /* -1: free slot */
	size_t len;
	long deadline; /* headless_now_ms() */
	char line[CTL_LINE_MAX + 1];
};

static int ctl_listen_fd = -1;
static int ctl_wake_fd = -1;
static int ctl_dir_fd = -1;
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pthread_t ctl_thread;
static bool ctl_running;

/* ---- requests ------------------------------------------------------- */

static void
ctl_reply(int fd, int rc, const char *what)
{
	if (rc == 0)
		dprintf(fd, "ok\n");
	else
		dprintf(fd, "error %s: %s\n", what, strerror(-rc));
}

/* Start VRDE and hand it the screens; errors are answered on @fd.
 * @return 0 or -errno. */
static int
ctl_vrde_on(struct headless *hl, int fd)
{
	char err[512];
	int rc;

	if (hl->server)
		return 0;
	rc = vrdehost_start(hl, err, sizeof(err));
	if (rc < 0) {
		log_err("%s", err);
		dprintf(fd, "error %s\n", err);
		return rc;
	}
	rc = vrdehost_enable(hl);
	if (rc < 0)
		ctl_reply(fd, rc, "vrde");
	return rc;
}

/* Properties take effect by restarting a running server (VirtualBox
 * does the same). */
static int
ctl_restart_vrde(struct headless *hl, int fd)
{
	if (!hl->server)
		return 0;
	vrdehost_stop(hl);
	return ctl_vrde_on(hl, fd);
}

static void
ctl_vrde(struct headless *hl, int fd, const char *arg)
{
	if (strcmp(arg, "off") == 0) {
		vrdehost_stop(hl);
		dprintf(fd, "ok\n");
	} else if (strcmp(arg, "on") == 0) {
		if (ctl_vrde_on(hl, fd) == 0)
			dprintf(fd, "ok\n");
	} else {
		dprintf(fd, "error vrde takes on or off\n");
	}
}

static void
ctl_set_prop(struct headless *hl, int fd, const char *name, const char *value)
{
	int rc;

	/* checked here whichever request sets it, so that a bad list is
	 * refused instead of stopping a running server at its restart */
	if (!strcmp(name, "TCP/Ports") && !portlist_valid(value)) {
		dprintf(fd, "error bad port list '%s'\n", value);
		return;
	}
	rc = machine_set_property(hl, name, value);
	if (rc < 0) {
		ctl_reply(fd, rc, "vrdeproperty");
		return;
	}
	log_info("VRDE property %s set to '%s' for this run", name, value);
	if (ctl_restart_vrde(hl, fd) == 0)
		dprintf(fd, "ok\n");
}

static void
ctl_screenshot(struct headless *hl, int fd, char **f, int n)
{
	unsigned long head = 0;
	char *end;
	int rc;

	if (n < 2 || f[1][0] != '/') {
		dprintf(fd,
			"error screenshotpng needs an absolute file name\n");
		return;
	}
	if (n > 2) {
		head = strtoul(f[2], &end, 10);
		if (*end || end == f[2] || head >= hl->heads) {
			dprintf(fd, "error no screen %s (the VM has %u)\n",
				f[2], hl->heads);
			return;
		}
	}
	rc = shot_png(hl, (uint32_t)head, f[1]);
	ctl_reply(fd, rc, "screenshotpng");
}

static int
ctl_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *out > max ? -EINVAL : 0;
}

static void
ctl_modehint(struct headless *hl, int fd, char **f, int n)
{
	unsigned long w, h, bpp, head = 0;

	if (n < 4 || ctl_number(f[1], 65535, &w) ||
	    ctl_number(f[2], 65535, &h) || ctl_number(f[3], 64, &bpp) ||
	    (n > 4 && ctl_number(f[4], VMM_MAX_HEADS, &head))) {
		dprintf(fd, "error usage: setvideomodehint W H BPP [SCREEN]\n");
		return;
	}
	if (head >= hl->heads) {
		dprintf(fd, "error no screen %lu (the VM has %u)\n", head,
			hl->heads);
		return;
	}
	ctl_reply(fd,
		  vmm_head_mode_hint(hl->vm, (uint32_t)head, (uint32_t)w,
				     (uint32_t)h),
		  "setvideomodehint");
}

static void
ctl_scancodes(struct headless *hl, int fd, char **f, int n)
{
	uint8_t codes[CTL_MAX_FIELDS];
	int k = 0;

	for (int i = 1; i < n; i++) {
		char *end;
		unsigned long v = strtoul(f[i], &end, 16);

		if (*end || end == f[i] || v > 0xff) {
			dprintf(fd, "error '%s' is not a hex byte\n", f[i]);
			return;
		}
		codes[k++] = (uint8_t)v;
	}
	if (k == 0) {
		dprintf(fd, "error keyboardputscancode needs bytes\n");
		return;
	}
	ctl_reply(fd, input_scancodes(hl, codes, k), "keyboardputscancode");
}

static void
ctl_state(struct headless *hl, int fd, int rc, const char *what)
{
	if (rc == 0)
		headless_state_changed(hl);
	ctl_reply(fd, rc, what);
}

static void
ctl_dispatch(struct headless *hl, int fd, char **f, int n)
{
	const char *cmd = f[0];

	if (strcmp(cmd, "info") == 0) {
		ctl_info(hl, fd);
		dprintf(fd, "ok\n");
	} else if (strcmp(cmd, "pause") == 0) {
		ctl_state(hl, fd, vmm_pause(hl->vm), cmd);
	} else if (strcmp(cmd, "resume") == 0) {
		ctl_state(hl, fd, vmm_resume(hl->vm), cmd);
	} else if (strcmp(cmd, "reset") == 0) {
		ctl_state(hl, fd, vmm_reset(hl->vm), cmd);
	} else if (strcmp(cmd, "poweroff") == 0) {
		log_info("power off requested through the control socket");
		ctl_reply(fd, vmm_poweroff(hl->vm), cmd);
	} else if (strcmp(cmd, "acpipowerbutton") == 0) {
		ctl_reply(fd, vmm_power_button(hl->vm), cmd);
	} else if (strcmp(cmd, "screenshotpng") == 0) {
		ctl_screenshot(hl, fd, f, n);
	} else if (strcmp(cmd, "vrde") == 0 && n == 2) {
		ctl_vrde(hl, fd, f[1]);
	} else if (strcmp(cmd, "vrdeport") == 0 && n == 2) {
		ctl_set_prop(hl, fd, "TCP/Ports", f[1]);
	} else if (strcmp(cmd, "vrdeproperty") == 0 && n == 2 &&
		   strchr(f[1], '=') && f[1][0] != '=') {
		char *eq = strchr(f[1], '=');

		*eq = '\0';
		ctl_set_prop(hl, fd, f[1], eq + 1);
	} else if (strcmp(cmd, "setvideomodehint") == 0) {
		ctl_modehint(hl, fd, f, n);
	} else if (strcmp(cmd, "keyboardputscancode") == 0) {
		ctl_scancodes(hl, fd, f, n);
	} else {
		dprintf(fd, "error unknown or malformed request '%s'\n", cmd);
	}
}

/* ---- connections ---------------------------------------------------- */

static void
ctl_serve(struct headless *hl, int fd, char *line)
{
	char *f[CTL_MAX_FIELDS];
	int n = 0;

	for (char *save = NULL, *t = strtok_r(line, "\t", &save);
	     t && n < CTL_MAX_FIELDS; t = strtok_r(NULL, "\t", &save))
		f[n++] = t;
	if (n == 0) {
		dprintf(fd, "error empty request\n");
		return;
	}
	log_debug("request '%s'", f[0]);
	ctl_dispatch(hl, fd, f, n);
}

static void
ctl_close(struct ctl_conn *c, const char *error)
{
	if (error)
		dprintf(c->fd, "error %s\n", error);
	close(c->fd);
	c->fd = -1;
}

/* Read what @c has sent; serve it once the line is complete. */
static void
ctl_conn_read(struct headless *hl, struct ctl_conn *c)
{
	ssize_t r = read(c->fd, c->line + c->len, CTL_LINE_MAX - c->len);
	char *nl;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		ctl_close(c, r < 0 ? NULL : "no request line");
		return;
	}
	c->len += (size_t)r;
	c->line[c->len] = '\0';
	nl = memchr(c->line, '\n', c->len);
	if (nl) {
		*nl = '\0';
		ctl_serve(hl, c->fd, c->line);
		ctl_close(c, NULL);
	} else if (c->len == CTL_LINE_MAX) {
		ctl_close(c, "request longer than 4096 bytes");
	}
}

/* @return 0, or -errno when accept failed for want of resources. */
static int
ctl_accept(struct ctl_conn *conns)
{
	int fd =
	    accept4(ctl_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

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
	dprintf(fd, "error too many pending requests\n");
	close(fd);
	return 0;
}

/* The poll timeout until the next deadline (0: one has passed), or -1. */
static int
ctl_wait(const struct ctl_conn *conns)
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
ctl_expire(struct ctl_conn *conns)
{
	long now = headless_now_ms();

	for (int i = 0; i < CTL_MAX_CONNS; i++)
		if (conns[i].fd >= 0 && conns[i].deadline <= now)
			ctl_close(&conns[i], "no request line within 5 s");
}

static void *
ctl_main(void *arg)
{
	struct headless *hl = arg;
	struct ctl_conn *conns = calloc(CTL_MAX_CONNS, sizeof(*conns));
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
		int n = 2, rc, wait = ctl_wait(conns);
		bool paused = headless_now_ms() < resume_accept;

		/* out of descriptors: a listener that stays readable would
		 * spin this thread, so stop accepting for a moment */
		if (paused && (wait < 0 || wait > CTL_ACCEPT_PAUSE_MS))
			wait = CTL_ACCEPT_PAUSE_MS;
		p[0] = (struct pollfd){.fd = paused ? -1 : ctl_listen_fd,
				       .events = POLLIN};
		p[1] = (struct pollfd){.fd = ctl_wake_fd, .events = POLLIN};
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
				ctl_conn_read(hl, &conns[slot[k]]);
		rc = p[0].revents & POLLIN ? ctl_accept(conns) : 0;
		if (rc < 0) {
			if (!resume_accept)
				log_warn("control socket: cannot accept: %s; "
					 "pausing",
					 strerror(-rc));
			resume_accept = headless_now_ms() + CTL_ACCEPT_PAUSE_MS;
		} else if (!paused) {
			resume_accept = 0;
		}
		ctl_expire(conns);
	}
	for (int i = 0; i < CTL_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	return NULL;
}

/* The socket's address: the path, or through /proc when too long. */
static int
ctl_address(struct headless *hl, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/vireo.ctl",
		     hl->m->folder);
	if (n > 0 && (size_t)n < sizeof(sa->sun_path))
		return 0;
	ctl_dir_fd = open(hl->m->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctl_dir_fd < 0)
		return -errno;
	snprintf(sa->sun_path, sizeof(sa->sun_path),
		 "/proc/self/fd/%d/vireo.ctl", ctl_dir_fd);
	return 0;
}

int
ctl_start(struct headless *hl, char *errbuf, size_t size)
{
	struct sockaddr_un sa;
	mode_t old;
	int rc = ctl_address(hl, &sa);

	if (rc < 0)
		goto fail;
	ctl_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ctl_wake_fd = eventfd(0, EFD_CLOEXEC);
	if (ctl_listen_fd < 0 || ctl_wake_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* the folder lock is ours, so a socket left here is stale */
	unlink(sa.sun_path);
	old = umask(077);
	rc = bind(ctl_listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(ctl_listen_fd, 8) < 0) {
		rc = -errno;
		goto fail;
	}
	memcpy(ctl_path, sa.sun_path, sizeof(ctl_path));
	rc = -pthread_create(&ctl_thread, NULL, ctl_main, hl);
	if (rc < 0)
		goto fail;
	ctl_running = true;
	log_info("control socket %s", ctl_path);
	return 0;
fail:
	snprintf(errbuf, size, "cannot create the control socket %s: %s",
		 sa.sun_path, strerror(-rc));
	ctl_stop(hl);
	return rc;
}

void
ctl_stop(struct headless *hl)
{
	uint64_t one = 1;

	(void)hl;
	if (ctl_running) {
		if (write(ctl_wake_fd, &one, sizeof(one)) < 0)
			log_warn("cannot wake the control thread");
		pthread_join(ctl_thread, NULL);
		ctl_running = false;
	}
	if (ctl_path[0])
		unlink(ctl_path);
	ctl_path[0] = '\0';
	if (ctl_listen_fd >= 0)
		close(ctl_listen_fd);
	if (ctl_wake_fd >= 0)
		close(ctl_wake_fd);
	if (ctl_dir_fd >= 0)
		close(ctl_dir_fd);
	ctl_listen_fd = ctl_wake_fd = ctl_dir_fd = -1;
}
