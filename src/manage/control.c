/*
 * control.c - the client side of vireo-headless's control socket
 * (conventions.md): one TAB-separated request line per connection, data
 * lines, then a final "ok" or "error <message>".  Also controlvm, and
 * startvm, which starts vireo-headless detached and waits for its socket.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "manage.h"

#define CTL_NAME       "vireo.ctl"
#define CTL_MAX	       4096
#define CTL_TIMEOUT    30000 /* ms without a byte from the server */
#define CTL_PROBE_WAIT 3000  /* ms for "is it running?" */

/* Connect to <folder>/vireo.ctl; through /proc/self/fd/N when the path is
 * too long for sun_path (the convention both sides follow). */
static int
ctl_connect(const struct settings_machine *m)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, dfd = -1, rc;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", m->folder,
		     CTL_NAME) >= (int)sizeof(sa.sun_path)) {
		dfd = open(m->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		snprintf(sa.sun_path, sizeof(sa.sun_path),
			 "/proc/self/fd/%d/%s", dfd, CTL_NAME);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
	} else {
		rc = fd;
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int
ctl_send(int fd, const char *const *f, size_t n)
{
	char line[CTL_MAX + 1];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t fl = strlen(f[i]);

		if (strpbrk(f[i], "\t\n") || len + fl + 2 > CTL_MAX)
			return -EINVAL;
		if (i)
			line[len++] = '\t';
		memcpy(line + len, f[i], fl);
		len += fl;
	}
	line[len++] = '\n';
	for (size_t off = 0; off < len;) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

static void
ctl_discard(const char *line, void *ctx)
{
}

/* One answer line handled; @return 1 while more are expected. */
static int
ctl_line(char *line, void (*cb)(const char *, void *), void *ctx, int *res)
{
	if (strcmp(line, "ok") == 0) {
		*res = 0;
		return 0;
	}
	if (strncmp(line, "error", 5) == 0 &&
	    (line[5] == ' ' || line[5] == '\0')) {
		if (cb != ctl_discard)
			manage_error("%s",
				     line[5] ? line + 6 : "request failed");
		*res = 1;
		return 0;
	}
	if (cb)
		cb(line, ctx);
	else
		puts(line);
	return 1;
}

static int
ctl_read(int fd, void (*cb)(const char *, void *), void *ctx, int wait_ms)
{
	char buf[CTL_MAX * 2];
	size_t have = 0;
	int res = -EPROTO;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char *nl;
		ssize_t got;

		while ((nl = memchr(buf, '\n', have))) {
			*nl = '\0';
			if (!ctl_line(buf, cb, ctx, &res))
				return res;
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
		if (have == sizeof(buf))
			return -EPROTO; /* a line longer than allowed */
		if (poll(&p, 1, wait_ms) <= 0)
			return -ETIMEDOUT;
		got = read(fd, buf + have, sizeof(buf) - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EPROTO;
		have += (size_t)got;
	}
}

int
manage_ctl_request(const struct settings_machine *m, const char *const *f,
		   size_t n, void (*cb)(const char *line, void *ctx), void *ctx)
{
	int fd = ctl_connect(m), rc;

	if (fd < 0)
		return fd == -ECONNREFUSED ? -ENOENT : fd;
	rc = ctl_send(fd, f, n);
	if (!rc)
		rc = ctl_read(fd, cb, ctx, CTL_TIMEOUT);
	close(fd);
	return rc;
}

/* Running = a server answers on the socket (a stale socket file left by
 * a crashed vireo-headless refuses the connection).  Asking for `info`
 * rather than connecting and hanging up keeps the server's log clean. */
bool
manage_vm_running(const struct settings_machine *m)
{
	static const char *const info[] = {"info"};
	int fd = ctl_connect(m), rc;

	if (fd < 0)
		return false;
	rc = ctl_send(fd, info, 1);
	if (!rc)
		rc = ctl_read(fd, ctl_discard, NULL, CTL_PROBE_WAIT);
	close(fd);
	return rc >= 0;
}

/* controlvm <vm> <what> [args]: VBoxManage's names -> protocol lines. */
static int
control_build(int argc, char **argv, const char **f, size_t *n, char *buf,
	      size_t size)
{
	static const char *const simple[] = {"pause", "resume", "reset",
					     "poweroff", "acpipowerbutton"};
	const char *cmd = argv[0], *ports;
	unsigned long x;

	*n = 0;
	for (size_t i = 0; i < sizeof(simple) / sizeof(*simple); i++)
		if (!strcmp(cmd, simple[i]) && argc == 1) {
			f[(*n)++] = cmd;
			return 0;
		}
	if (!strcmp(cmd, "vrde") && argc == 2 &&
	    (!strcmp(argv[1], "on") || !strcmp(argv[1], "off"))) {
		f[(*n)++] = cmd;
		f[(*n)++] = argv[1];
		return 0;
	}
	if (!strcmp(cmd, "vrdeport") && argc == 2) {
		if (manage_check_ports(argv[1], &ports))
			return manage_syntax("invalid port list '%s'", argv[1]);
		f[(*n)++] = cmd;
		f[(*n)++] = ports;
		return 0;
	}
	if (!strcmp(cmd, "vrdeproperty") && argc == 2) {
		if (!strchr(argv[1], '=') || argv[1][0] == '=')
			return manage_syntax("vrdeproperty needs name=[value]");
		f[(*n)++] = cmd;
		f[(*n)++] = argv[1];
		return 0;
	}
	if (!strcmp(cmd, "vrdevideochannelquality") && argc == 2) {
		if (manage_parse_uint(argv[1], 10, 100, &x))
			return manage_syntax("quality must be 10..100");
		snprintf(buf, size, "VideoChannel/Quality=%lu", x);
		f[(*n)++] = "vrdeproperty";
		f[(*n)++] = buf;
		return 0;
	}
	if (!strcmp(cmd, "setvideomodehint") && (argc == 4 || argc == 5)) {
		for (int i = 1; i < argc; i++)
			if (manage_parse_uint(argv[i], 0, 65535, &x))
				return manage_syntax("setvideomodehint: bad "
						     "number '%s'",
						     argv[i]);
		f[(*n)++] = cmd;
		for (int i = 1; i < argc; i++)
			f[(*n)++] = argv[i];
		return 0;
	}
	if (!strcmp(cmd, "screenshotpng") && (argc == 2 || argc == 3)) {
		if (argv[1][0] == '/')
			snprintf(buf, size, "%s", argv[1]);
		else if (!getcwd(buf, size / 2))
			return manage_syntax("cannot resolve '%s'", argv[1]);
		else
			snprintf(buf + strlen(buf), size - strlen(buf), "/%s",
				 argv[1]);
		if (argc == 3 && manage_parse_uint(argv[2], 0, 63, &x))
			return manage_syntax("bad screen number '%s'", argv[2]);
		f[(*n)++] = cmd;
		f[(*n)++] = buf;
		if (argc == 3)
			f[(*n)++] = argv[2];
		return 0;
	}
	if (!strcmp(cmd, "keyboardputscancode") && argc >= 2 && argc <= 64) {
		f[(*n)++] = cmd;
		for (int i = 1; i < argc; i++) {
			char *end;

			if (strtoul(argv[i], &end, 16) > 0xff || *end ||
			    end == argv[i])
				return manage_syntax("bad scancode '%s'",
						     argv[i]);
			f[(*n)++] = argv[i];
		}
		return 0;
	}
	return manage_syntax("controlvm: unknown or malformed request '%s'",
			     cmd);
}

int
cmd_controlvm(int argc, char **argv)
{
	const char *f[72];
	char buf[PATH_MAX + 64];
	struct settings_machine *m;
	size_t n;
	int rc;

	if (argc < 2)
		return manage_syntax("usage: controlvm <vm> <request> [args]");
	rc = control_build(argc - 1, argv + 1, f, &n, buf, sizeof(buf));
	if (rc)
		return rc;
	if (manage_open_vm(argv[0], false, &m))
		return MANAGE_FAIL;
	rc = manage_ctl_request(m, f, n, NULL, NULL);
	if (rc == -ENOENT)
		manage_error("machine '%s' is not currently running", m->name);
	else if (rc < 0)
		manage_error("control socket of '%s': %s", m->name,
			     strerror(-rc));
	settings_machine_free(m);
	return rc ? MANAGE_FAIL : MANAGE_OK;
}

/* vireo-headless next to our own executable, else on PATH. */
static int
startvm_find_headless(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *path = getenv("PATH");

	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		if (snprintf(out, size, "%s/vireo-headless", self) <
			(int)size &&
		    access(out, X_OK) == 0)
			return 0;
	}
	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(out, size, "%.*s/vireo-headless", (int)len, path);
		if (len && access(out, X_OK) == 0)
			return 0;
		path += len + (path[len] == ':');
	}
	return -ENOENT;
}

static void
startvm_child(const char *exe, const struct settings_machine *m)
{
	char logs[PATH_MAX], out[PATH_MAX + 32];
	int fd;

	setsid();
	/* the logs name users and client addresses: the owner's alone, as
	 * vireo-headless creates them */
	snprintf(logs, sizeof(logs), "%s/Logs", m->folder);
	if (mkdir(logs, 0700) < 0 && errno != EEXIST)
		fprintf(stderr, "vireo-manage: cannot create %s: %s\n", logs,
			strerror(errno));
	snprintf(out, sizeof(out), "%s/vireo-headless.out", logs);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0 && fchmod(fd, 0600) == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	} else {
		fprintf(stderr, "vireo-manage: cannot write %s: %s\n", out,
			strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	execl(exe, "vireo-headless", "--startvm", m->uuid, (char *)NULL);
	_exit(127);
}

/* Poll for the control socket for up to 10 s; give up early when the
 * child has already exited. */
static int
startvm_wait(const struct settings_machine *m, pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		int status;

		if (manage_vm_running(m))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -ECHILD;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int
cmd_startvm(int argc, char **argv)
{
	struct settings_machine *m;
	char exe[PATH_MAX];
	const char *vm = NULL, *type = "headless";
	int rc;
	pid_t pid;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = argv[++i];
		else if (!strncmp(argv[i], "--type=", 7))
			type = argv[i] + 7;
		else if (argv[i][0] != '-' && !vm)
			vm = argv[i];
		else
			return manage_syntax("startvm: unexpected '%s'",
					     argv[i]);
	}
	if (!vm)
		return manage_syntax("usage: startvm <vm> [--type headless]");
	if (strcmp(type, "headless"))
		return manage_syntax("startvm: vireo only has --type headless");
	if (manage_open_vm(vm, false, &m))
		return MANAGE_FAIL;
	rc = MANAGE_FAIL;
	if (manage_vm_running(m)) {
		manage_error("machine '%s' is already running", m->name);
	} else if (startvm_find_headless(exe, sizeof(exe))) {
		manage_error("vireo-headless not found next to vireo-manage "
			     "or on PATH");
	} else if ((pid = fork()) < 0) {
		manage_error("fork: %s", strerror(errno));
	} else if (pid == 0) {
		startvm_child(exe, m);
	} else {
		printf("Waiting for VM \"%s\" to power on...\n", m->name);
		fflush(stdout);
		rc = startvm_wait(m, pid);
		if (rc == 0)
			printf("VM \"%s\" has been successfully started.\n",
			       m->name);
		else
			manage_error("VM \"%s\" did not start (%s); see "
				     "%s/Logs/vireo-headless.out",
				     m->name,
				     rc == -ECHILD ? "vireo-headless exited"
						   : "no control socket after "
						     "10 s",
				     m->folder);
		rc = rc ? MANAGE_FAIL : MANAGE_OK;
	}
	settings_machine_free(m);
	return rc;
}
