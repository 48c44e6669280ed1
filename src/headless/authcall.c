/*
 * authcall.c - spawn vireo-authd, feed it one request, serve its
 * get_extradata() questions, enforce the time limit (authcall.h).
 *
 * The helper is started with posix_spawn, always reaped, and killed with
 * SIGKILL when it overruns its time.
 */
#define LOG_TAG "auth"
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/vireo-auth.h"
#include "authcall.h"
#include "authproto.h"
#include "log.h"
#include "modpath.h"

extern char **environ;

/* Start the helper with @sock on fd 3.  posix_spawn (vfork-like) rather
 * than fork: the VM process has many threads and a large address space
 * (guest RAM), which a fork would have to copy the page tables of.
 * @return pid or -errno. */
static pid_t
authcall_spawn(const char *authd, int sock)
{
	char *argv[] = {(char *)"vireo-authd", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int rc, logfd = log_file_fd();
	pid_t pid;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* adddup2 onto the same fd clears close-on-exec (glibc >= 2.29) */
	posix_spawn_file_actions_adddup2(&fa, sock, 3);
	/* what the helper or its library says goes into vireo.log */
	if (logfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, logfd, STDERR_FILENO);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, authd, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc ? -rc : pid;
}

/* Reap @pid, giving it up to @grace_ms to exit by itself (so the
 * destructors of its library run: pam_wrapper, for one, removes its
 * directory there) before SIGKILL.  @return its wait status. */
static int
authcall_reap(pid_t pid, long grace_ms)
{
	long until = authproto_now_ms() + grace_ms;
	int status = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		if (r == 0 && authproto_now_ms() >= until)
			break;
		if (r == 0)
			nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static int
authcall_send_request(int sock, const char *op, const struct authcall_req *r)
{
	char logon[2] = {r->logon ? '1' : '0', '\0'};
	char id[16];
	const char *f[AUTHPROTO_F_COUNT];
	static __thread char buf[AUTHPROTO_FRAME_MAX];
	int n;

	snprintf(id, sizeof(id), "%u", r->client_id);
	f[AUTHPROTO_F_OP] = op;
	f[AUTHPROTO_F_LIBRARY] = r->library;
	f[AUTHPROTO_F_CALLER] = "vrde";
	f[AUTHPROTO_F_VM_UUID] = r->vm_uuid;
	f[AUTHPROTO_F_USER] = r->user;
	f[AUTHPROTO_F_PASSWORD] = r->password;
	f[AUTHPROTO_F_DOMAIN] = r->domain;
	f[AUTHPROTO_F_LOGON] = logon;
	f[AUTHPROTO_F_CLIENT_ID] = id;
	n = authproto_pack(buf, sizeof(buf), f, AUTHPROTO_F_COUNT);
	if (n < 0)
		return n;
	n = authproto_send(sock, 'A', buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	return n;
}

static int
authcall_answer(int sock, const char *key, authcall_lookup_fn lookup, void *ctx)
{
	static __thread char val[AUTHPROTO_FRAME_MAX];
	int n = lookup ? lookup(ctx, key, val, sizeof(val)) : -ENOENT;

	if (n < 0)
		return authproto_send(sock, 'N', NULL, 0);
	return authproto_send(sock, 'V', val, (size_t)n);
}

/* Serve the helper until its 'R' frame.  @return 0 or negative errno. */
static int
authcall_converse(int sock, long deadline, authcall_lookup_fn lookup, void *ctx,
		  int *result, uint8_t *hash)
{
	static __thread char buf[AUTHPROTO_FRAME_MAX + 1];

	for (;;) {
		long left = deadline - authproto_now_ms();
		char type;
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = authproto_recv(sock, &type, buf, sizeof(buf), (int)left);
		if (n == -EPIPE || n == -EPROTO)
			return -ECHILD;
		if (n < 0)
			return n;
		if (type == 'Q') {
			if (authcall_answer(sock, buf, lookup, ctx) < 0)
				return -ECHILD;
			continue;
		}
		if (type != 'R' || n < 4)
			return -EPROTO;
		memcpy(result, buf, sizeof(int32_t));
		if (hash && n >= 20)
			memcpy(hash, buf + 4, 16);
		return 0;
	}
}

static int
authcall_run(const char *op, const struct authcall_req *req,
	     authcall_lookup_fn lookup, void *ctx, int timeout_ms, int *result,
	     uint8_t *hash)
{
	char authd[4096];
	long deadline, grace;
	int sv[2];
	pid_t pid;
	int rc, status;

	rc = modpath_authd(authd, sizeof(authd));
	if (rc < 0) {
		log_err("cannot find the vireo-authd helper (set VIREO_AUTHD)");
		return rc;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = authcall_spawn(authd, sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return pid;
	}
	deadline = authproto_now_ms() + timeout_ms;
	rc = authcall_send_request(sv[0], op, req);
	if (rc == 0)
		rc = authcall_converse(sv[0], deadline, lookup, ctx, result,
				       hash);
	else
		rc = -ECHILD;
	close(sv[0]);
	/* After its answer the helper exits by itself: let it, within the
	 * call's time limit (at most a second); one that overran is killed
	 * at once. */
	grace = rc == -ETIMEDOUT ? 0 : deadline - authproto_now_ms();
	if (grace > 1000)
		grace = 1000;
	status = authcall_reap(pid, grace > 0 ? grace : 0);
	if (rc == -ECHILD && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		log_warn("auth library %s crashed (signal %d)", req->library,
			 WTERMSIG(status));
	else if (rc == -ECHILD && WIFEXITED(status) && WEXITSTATUS(status))
		log_warn("auth helper for %s exited with status %d",
			 req->library, WEXITSTATUS(status));
	else if (rc == -ETIMEDOUT)
		log_warn("auth library %s did not answer within %d ms",
			 req->library, timeout_ms);
	return rc;
}

int
authcall_entry(const struct authcall_req *req, authcall_lookup_fn lookup,
	       void *ctx, int timeout_ms, int *result)
{
	int rc =
	    authcall_run("entry", req, lookup, ctx, timeout_ms, result, NULL);

	if (rc == 0 && *result < 0) {
		log_warn("auth library %s could not be used (%s)", req->library,
			 strerror(-*result));
		return *result;
	}
	return rc;
}

int
authcall_nt_hash(const struct authcall_req *req, authcall_lookup_fn lookup,
		 void *ctx, int timeout_ms, uint8_t hash[16])
{
	int result = -ENOENT;
	int rc =
	    authcall_run("nthash", req, lookup, ctx, timeout_ms, &result, hash);

	if (rc < 0)
		return rc;
	return result == 0 ? 0 : -ENOENT;
}

int
authcall_probe(const struct authcall_req *req, int timeout_ms, int *has_nt)
{
	return authcall_run("probe", req, NULL, NULL, timeout_ms, has_nt, NULL);
}
