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

#include "ctlproto.h"
#include "manage.h"

#define CTL_TIMEOUT	     30000 /* ms without a byte from the server */
#define CTL_PROBE_WAIT	     3000  /* ms for "is it running?" */
/* savestate writes all of guest RAM before it answers */
#define CTL_SAVE_TIMEOUT     600000
/* how long startvm waits for a saved state to be restored */
#define STARTVM_RESTORE_WAIT 600

/* Connect to <folder>/@name (through /proc/self/fd/N when the path is
 * too long for sun_path, the convention both sides follow). */
int
manage_connect_socket(const struct settings_machine *m, const char *name)
{
	struct sockaddr_un sa;
	int fd, dfd, rc = ctlproto_socket_address(m->folder, name, &sa, &dfd);

	if (rc < 0)
		return rc;
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
mg_ctl_connect(const struct settings_machine *m)
{
	return manage_connect_socket(m, CTLPROTO_SOCKET);
}

static int
mg_ctl_send(int fd, const char *const *f, size_t n)
{
	char line[CTLPROTO_LINE_MAX + 1];
	int len = ctlproto_join(f, (int)n, line, sizeof(line));

	if (len < 0)
		return len;
	for (int off = 0; off < len;) {
		ssize_t w =
		    send(fd, line + off, (size_t)(len - off), MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (int)w;
	}
	return 0;
}

static void
mg_ctl_discard(const char *line, void *ctx)
{
}

/* One answer line handled; @return 1 while more are expected. */
static int
mg_ctl_line(char *line, void (*cb)(const char *, void *), void *ctx, int *res)
{
	if (strcmp(line, "ok") == 0) {
		*res = 0;
		return 0;
	}
	if (strncmp(line, "error", 5) == 0 &&
	    (line[5] == ' ' || line[5] == '\0')) {
		if (cb != mg_ctl_discard)
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
mg_ctl_read(int fd, void (*cb)(const char *, void *), void *ctx, int wait_ms)
{
	char buf[CTLPROTO_LINE_MAX * 2];
	size_t have = 0;
	int res = -EPROTO;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char *nl;
		ssize_t got;

		while ((nl = memchr(buf, '\n', have))) {
			*nl = '\0';
			if (!mg_ctl_line(buf, cb, ctx, &res))
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

static int
mg_ctl_request_wait(const struct settings_machine *m, const char *const *f,
		    size_t n, void (*cb)(const char *line, void *ctx),
		    void *ctx, int wait_ms)
{
	int fd = mg_ctl_connect(m), rc;

	if (fd < 0)
		return fd == -ECONNREFUSED ? -ENOENT : fd;
	rc = mg_ctl_send(fd, f, n);
	if (!rc)
		rc = mg_ctl_read(fd, cb, ctx, wait_ms);
	close(fd);
	return rc;
}

int
manage_ctl_request(const struct settings_machine *m, const char *const *f,
		   size_t n, void (*cb)(const char *line, void *ctx), void *ctx)
{
	return mg_ctl_request_wait(m, f, n, cb, ctx, CTL_TIMEOUT);
}

struct mg_ctl_state {
	char *buf;
	size_t size;
};

static void
mg_ctl_state_line(const char *line, void *ctx)
{
	struct mg_ctl_state *s = ctx;
	size_t n;

	if (strncmp(line, "VMState=\"", 9))
		return;
	n = strcspn(line + 9, "\"");
	snprintf(s->buf, s->size, "%.*s", (int)n, line + 9);
}

int
manage_vm_state(const struct settings_machine *m, char *buf, size_t size)
{
	static const char *const info[] = {"info"};
	struct mg_ctl_state s = {buf, size};
	int rc;

	snprintf(buf, size, "running");
	rc = mg_ctl_request_wait(m, info, 1, mg_ctl_state_line, &s,
				 CTL_PROBE_WAIT);
	return rc < 0 ? -ENOENT : 0;
}

/* Running = a server answers on the socket (a stale socket file left by
 * a crashed vireo-headless refuses the connection).  Asking for `info`
 * rather than connecting and hanging up keeps the server's log clean. */
bool
manage_vm_running(const struct settings_machine *m)
{
	static const char *const info[] = {"info"};
	int fd = mg_ctl_connect(m), rc;

	if (fd < 0)
		return false;
	rc = mg_ctl_send(fd, info, 1);
	if (!rc)
		rc = mg_ctl_read(fd, mg_ctl_discard, NULL, CTL_PROBE_WAIT);
	close(fd);
	return rc >= 0;
}

/* screenshotpng's file name made absolute: the server has its own
 * working directory. */
static int
control_abs_path(const char *name, char *buf, size_t size)
{
	size_t len;

	if (name[0] == '/')
		return snprintf(buf, size, "%s", name) < (int)size ? 0 : -1;
	if (!getcwd(buf, size))
		return -1;
	len = strlen(buf);
	return snprintf(buf + len, size - len, "/%s", name) < (int)(size - len)
		   ? 0
		   : -1;
}

/* controlvm <vm> <what> [args]: VBoxManage's names -> protocol fields,
 * checked against the table the server checks them with (ctlproto). */
static int
control_build(int argc, char **argv, const char **f, size_t *n, char *buf,
	      size_t size)
{
	const struct ctlproto_request *r = ctlproto_find(argv[0]);
	char err[CTLPROTO_LINE_MAX + 128];
	unsigned long x;

	*n = 0;
	if (argc > CTLPROTO_MAX_FIELDS)
		return manage_syntax("controlvm %s: too many arguments",
				     argv[0]);
	for (int i = 0; i < argc; i++)
		f[i] = argv[i];
	*n = (size_t)argc;
	if (!strcmp(argv[0], "vrdevideochannelquality") && argc == 2) {
		if (manage_parse_uint(argv[1], 10, 100, &x))
			return manage_syntax("quality must be 10..100");
		snprintf(buf, size, "VideoChannel/Quality=%lu", x);
		f[0] = "vrdeproperty";
		f[1] = buf;
	} else if (!r || !r->controlvm) {
		return manage_syntax("controlvm: unknown request '%s'",
				     argv[0]);
	} else if (r->id == CTLPROTO_SCREENSHOTPNG && argc >= 2) {
		if (control_abs_path(argv[1], buf, size))
			return manage_syntax("cannot resolve '%s'", argv[1]);
		f[1] = buf;
	} else if (r->id == CTLPROTO_VRDEPORT && argc == 2) {
		manage_check_ports(argv[1], &f[1]); /* "default" -> "0" */
	}
	if (!ctlproto_check(f, (int)*n, err, sizeof(err)))
		return manage_syntax("controlvm: %s", err);
	return 0;
}

/* savestate: the VM's vireo-headless writes the state and the .vbox,
 * answers, and exits; wait for both, as VBoxManage waits for the VM to
 * reach "saved". */
static int
control_savestate(struct settings_machine *m)
{
	static const char *const f[] = {"savestate"};
	int rc = mg_ctl_request_wait(m, f, 1, NULL, NULL, CTL_SAVE_TIMEOUT);

	for (int i = 0; rc == 0 && i < 600 && manage_vm_running(m); i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	return rc;
}

/* teleport --host H --port P [--passwordfile F | --password PW]
 * [--maxdowntime MS] [--timeout MS] [--fingerprint SHA256:...]: the
 * password goes to the VM's own vireo-headless (over its owner-only
 * control socket) as the stored-form hash, which keys the proof made
 * inside the TLS session; it never goes to the network. */
struct control_tp {
	const char *f[7];
	char port[16], down[16], tmo[16];
	char hash[SETTINGS_TP_HASH_LEN + 1];
};

static int
control_tp_args(int argc, char **argv, struct control_tp *t)
{
	static const struct manage_opt opts[] = {
	    {1, "--host", NULL, true},
	    {2, "--port", NULL, true},
	    {3, "--passwordfile", "--password-file", true},
	    {4, "--password", NULL, true},
	    {5, "--maxdowntime", "--max-downtime", true},
	    {6, "--timeout", NULL, true},
	    {7, "--fingerprint", NULL, true},
	    {0},
	};
	struct manage_scan s;
	char pw[1024] = "";
	unsigned long x;
	int id;

	t->f[0] = "teleport";
	t->f[1] = NULL;
	snprintf(t->port, sizeof(t->port), "0");
	snprintf(t->down, sizeof(t->down), "250");
	snprintf(t->tmo, sizeof(t->tmo), "0");
	t->f[6] = "-";
	manage_scan_args(&s, argc, argv, NULL, 0);
	while ((id = manage_scan_next(&s, opts)) != MANAGE_END) {
		const char *v = s.arg;

		if (id == MANAGE_BAD)
			return MANAGE_SYNTAX;
		if (id == 1)
			t->f[1] = v;
		else if ((id == 2 && manage_parse_uint(v, 1, 65535, &x)) ||
			 ((id == 5 || id == 6) &&
			  manage_parse_uint(v, 1, 86400000, &x)))
			return manage_syntax("teleport: invalid value '%s' "
					     "for %s",
					     v, opts[id - 1].name);
		else if (id == 2)
			snprintf(t->port, sizeof(t->port), "%lu", x);
		else if (id == 5)
			snprintf(t->down, sizeof(t->down), "%lu", x);
		else if (id == 6)
			snprintf(t->tmo, sizeof(t->tmo), "%lu", x);
		else if (id == 7)
			t->f[6] = v;
		else if (id == 3 && manage_read_password(v, pw, sizeof(pw)))
			return MANAGE_FAIL;
		else if (id == 4)
			snprintf(pw, sizeof(pw), "%s", v);
	}
	if (!t->f[1] || !strcmp(t->port, "0"))
		return manage_syntax("usage: controlvm <vm> teleport --host H "
				     "--port P --passwordfile F [--maxdowntime "
				     "MS] [--timeout MS] [--fingerprint "
				     "SHA256:...]");
	if (!pw[0])
		return manage_syntax("teleport: a password is needed "
				     "(--passwordfile FILE or --password PW)");
	if (settings_teleporter_hash(pw, t->hash, sizeof(t->hash))) {
		memset(pw, 0, sizeof(pw));
		return MANAGE_FAIL;
	}
	memset(pw, 0, sizeof(pw));
	t->f[2] = t->port;
	t->f[3] = t->hash;
	t->f[4] = t->down;
	t->f[5] = t->tmo;
	return MANAGE_OK;
}

static void
control_tp_line(const char *line, void *ctx)
{
	(void)ctx;
	printf("%s\n", line);
}

/* The VM's vireo-headless answers when the target runs the VM (then it
 * powers off and exits: wait for that too) or when it gave up. */
static int
control_teleport(struct settings_machine *m, struct control_tp *t)
{
	char err[CTLPROTO_LINE_MAX + 128];
	int rc;

	if (!ctlproto_check(t->f, 7, err, sizeof(err)))
		return manage_syntax("controlvm: %s", err);
	rc = mg_ctl_request_wait(m, t->f, 7, control_tp_line, NULL,
				 CTL_SAVE_TIMEOUT);
	memset(t->hash, 0, sizeof(t->hash));
	for (int i = 0; rc == 0 && i < 600 && manage_vm_running(m); i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	if (rc == 0)
		printf("VM \"%s\" teleported.\n", m->name);
	return rc;
}

int
cmd_controlvm(int argc, char **argv)
{
	const char *f[CTLPROTO_MAX_FIELDS];
	char buf[PATH_MAX + 64];
	struct settings_machine *m;
	size_t n;
	int rc;

	if (argc < 2)
		return manage_syntax("usage: controlvm <vm> <request> [args]");
	if (!strcmp(argv[1], "teleport")) {
		struct control_tp t;

		if ((rc = control_tp_args(argc - 2, argv + 2, &t)))
			return rc;
		if (manage_open_vm(argv[0], false, &m))
			return MANAGE_FAIL;
		rc = control_teleport(m, &t);
		if (rc == -ENOENT)
			manage_error("machine '%s' is not currently running",
				     m->name);
		else if (rc < 0)
			manage_error("control socket of '%s': %s", m->name,
				     strerror(-rc));
		settings_machine_free(m);
		return rc ? MANAGE_FAIL : MANAGE_OK;
	}
	if (!strcmp(argv[1], "savestate") && argc == 2)
		n = 0;
	else if ((rc = control_build(argc - 1, argv + 1, f, &n, buf,
				     sizeof(buf))))
		return rc;
	if (manage_open_vm(argv[0], false, &m))
		return MANAGE_FAIL;
	rc = n ? manage_ctl_request(m, f, n, NULL, NULL) : control_savestate(m);
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

/* Poll for the control socket for up to 10 s, then while the VM
 * restores a saved state (up to STARTVM_RESTORE_WAIT s); give up early
 * when the child has already exited. */
static int
startvm_wait(const struct settings_machine *m, pid_t pid)
{
	char state[32];
	int up = 0;

	for (int i = 0; i < (up ? 20 * STARTVM_RESTORE_WAIT : 200); i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		int status;

		if (manage_vm_state(m, state, sizeof(state)) == 0) {
			if (strcmp(state, "restoring"))
				return 0;
			if (!up)
				i = 0;
			up = 1;
		}
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
	char exe[PATH_MAX], state[32];
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
		if (rc == 0 && manage_vm_state(m, state, sizeof(state)) == 0 &&
		    !strcmp(state, "teleportingin"))
			printf("VM \"%s\" is waiting for a teleported VM "
			       "(teleportingin).\n",
			       m->name);
		else if (rc == 0)
			printf("VM \"%s\" has been successfully started.\n",
			       m->name);
		else
			manage_error("VM \"%s\" did not start (%s); see "
				     "%s/Logs/vireo-headless.out",
				     m->name,
				     rc == -ECHILD ? "vireo-headless exited"
						   : "it did not come up in "
						     "time",
				     m->folder);
		rc = rc ? MANAGE_FAIL : MANAGE_OK;
	}
	settings_machine_free(m);
	return rc;
}
