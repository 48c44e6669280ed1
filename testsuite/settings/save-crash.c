/*
 * save-crash.c - an LD_PRELOAD library that stops a settings writer
 * between two steps of its safe save, as a crash would (save-crash.sh).
 *
 * SAVE_CRASH_AT=<step> picks the step; the process then _exit(99)s:
 *   tmp-partial  half-way through the write() of <file>-tmp
 *   tmp-written  <file>-tmp complete, before the old <file>-prev is
 *                removed and <file> linked in its place
 *   prev-linked  just after link(<file>, <file>-prev)
 *   renamed      just after rename(<file>-tmp, <file>)
 * The steps are recognised by the system calls of src/settings/save.c and
 * the names it gives its files, so the code under test carries no hook.
 * A writer that never reaches the step exits normally, and the test sees
 * an exit status other than 99.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool
crash_at(const char *step)
{
	const char *at = getenv("SAVE_CRASH_AT");

	return at && strcmp(at, step) == 0;
}

static bool
crash_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whether @fd is open on a file whose name ends in "-tmp". */
static bool
crash_fd_is_tmp(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return false;
	path[n] = '\0';
	return crash_ends_with(path, "-tmp");
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	ssize_t (*next)(int, const void *, size_t) = dlsym(RTLD_NEXT, "write");

	if (crash_at("tmp-partial") && len > 1 && crash_fd_is_tmp(fd)) {
		next(fd, buf, len / 2);
		_exit(99);
	}
	return next(fd, buf, len);
}

int
unlink(const char *path)
{
	int (*next)(const char *) = dlsym(RTLD_NEXT, "unlink");

	if (crash_ends_with(path, "-prev") && crash_at("tmp-written"))
		_exit(99);
	return next(path);
}

int
link(const char *from, const char *to)
{
	int (*next)(const char *, const char *) = dlsym(RTLD_NEXT, "link");
	int rc;

	if (!crash_ends_with(to, "-prev"))
		return next(from, to);
	if (crash_at("tmp-written"))
		_exit(99);
	rc = next(from, to);
	if (crash_at("prev-linked"))
		_exit(99);
	return rc;
}

int
rename(const char *from, const char *to)
{
	int (*next)(const char *, const char *) = dlsym(RTLD_NEXT, "rename");
	int rc = next(from, to);

	if (rc == 0 && crash_ends_with(from, "-tmp") && crash_at("renamed"))
		_exit(99);
	return rc;
}
