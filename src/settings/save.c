/*
 * save.c - the safe writer shared by machine files and the registry.
 *
 * VirtualBox's order (write <file>-tmp, keep the old file as <file>-prev,
 * rename tmp into place, fsync the directory), with one change: the old
 * file is hard-linked to -prev instead of renamed, so <file> exists at
 * every instant and a crash leaves either the old or the new file there.
 * Writers take an exclusive flock, so two writers never
 * interleave their steps (and a lock held from load to save makes a
 * whole load-modify-save atomic).  The lock is an flock on the settings
 * file itself, not on its directory: vireo-headless holds the machine
 * folder's flock for as long as the VM runs.
 *
 * Modes: a new file is 0600; a rewrite keeps the file's mode, except that
 * a file holding credentials (ExtraData "VBoxAuthSimple/users/...") loses
 * every group and other bit, and so does its -prev copy when either the
 * old or the new contents hold them: old hashes stay secret too.
 *
 * testsuite/settings/save-crash.sh stops a writer between these steps
 * (an LD_PRELOAD library that _exits in its system calls).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlsave.h>

#include "settings_priv.h"

#define SAVE_SECRET_MARK "VBoxAuthSimple/users/"

static bool
save_has_secret(const char *buf, size_t len)
{
	return memmem(buf, len, SAVE_SECRET_MARK, strlen(SAVE_SECRET_MARK));
}

/* Whether the file at @path holds credentials (unreadable: assume so). */
static bool
save_file_has_secret(const char *path, off_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool secret = true;
	void *p;

	if (fd < 0)
		return true;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p != MAP_FAILED) {
		secret = save_has_secret(p, (size_t)size);
		munmap(p, (size_t)size);
	}
	return secret;
}

static int
save_dir_of(const char *path, char *dir, size_t size)
{
	char copy[PATH_MAX];

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	if (snprintf(dir, size, "%s", dirname(copy)) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int
settings_lock_file(const char *path)
{
	struct stat held, now;
	int fd, rc;

	for (;;) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				rc = -errno;
				close(fd);
				return rc;
			}
		}
		/* A writer that held the lock before us renamed a new file
		 * into place: our lock is on the old inode; take the new. */
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 &&
		    held.st_ino == now.st_ino && held.st_dev == now.st_dev)
			return fd;
		close(fd);
	}
}

static int
save_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write and fsync <file>-tmp; @return its fd, still open and locked, so
 * the lock moves with the new file when it is renamed into place. */
static int
save_tmp(const char *tmp, const char *buf, size_t len, mode_t mode)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc;

	if (fd < 0)
		return -errno;
	/* exact: neither the umask nor a stale tmp file's mode counts */
	if (fchmod(fd, mode) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = save_write_all(fd, buf, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc && flock(fd, LOCK_EX) < 0)
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* Keep the old file as <file>-prev (VirtualBox skips files under 16
 * bytes, which cannot be a settings file anyway). */
static int
save_keep_prev(const char *path, const char *prev, bool secret)
{
	struct stat st;

	if (stat(path, &st) < 0 || st.st_size < 16)
		return 0;
	/* -prev is the old file's inode: restrict it before it gets the
	 * second name */
	if ((st.st_mode & 077) &&
	    (secret || save_file_has_secret(path, st.st_size)) &&
	    chmod(path, st.st_mode & 07700) < 0)
		return -errno;
	if (unlink(prev) < 0 && errno != ENOENT)
		return -errno;
	if (link(path, prev) < 0)
		return -errno;
	return 0;
}

/* @return the fd locking the new file, or -errno. */
static int
save_steps(const char *path, const char *buf, size_t len, const char *dir)
{
	char tmp[PATH_MAX], prev[PATH_MAX];
	bool secret = save_has_secret(buf, len);
	struct stat st;
	mode_t mode = 0600;
	int rc, fd, dfd;

	if (snprintf(tmp, sizeof(tmp), "%s-tmp", path) >= (int)sizeof(tmp) ||
	    snprintf(prev, sizeof(prev), "%s-prev", path) >= (int)sizeof(prev))
		return -ENAMETOOLONG;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if (secret)
		mode &= 07700;
	fd = save_tmp(tmp, buf, len, mode);
	if (fd < 0) {
		unlink(tmp);
		return fd;
	}
	rc = save_keep_prev(path, prev, secret);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		close(fd);
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dfd < 0 || fsync(dfd) < 0 ? -errno : 0;
	if (dfd >= 0)
		close(dfd);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int
settings_write_file(const char *path, const char *buf, size_t len, int *held,
		    struct settings_error *err)
{
	char dir[PATH_MAX];
	int lock = -1, rc = save_dir_of(path, dir, sizeof(dir));

	if (!rc && (!held || *held < 0)) {
		/* a file that does not exist yet has nothing to protect */
		lock = settings_lock_file(path);
		rc = lock < 0 && lock != -ENOENT ? lock : 0;
	}
	if (!rc) {
		rc = save_steps(path, buf, len, dir);
		if (rc >= 0 && held && *held >= 0) {
			/* keep holding the lock, now on the new inode */
			close(*held);
			*held = rc;
		} else if (rc >= 0) {
			close(rc);
		}
		rc = rc < 0 ? rc : 0;
	}
	if (lock >= 0)
		close(lock);
	if (rc)
		settings_error_set(err, "%s: cannot save: %s", path,
				   strerror(-rc));
	return rc;
}

int
settings_doc_dump(xmlDocPtr doc, char **buf, size_t *len)
{
	xmlChar *mem = NULL;
	int size = 0;

	/* format=0: the tree's own whitespace nodes carry the layout */
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 0);
	if (!mem)
		return -ENOMEM;
	*buf = malloc((size_t)size + 1);
	if (!*buf) {
		xmlFree(mem);
		return -ENOMEM;
	}
	memcpy(*buf, mem, (size_t)size);
	(*buf)[size] = '\0';
	*len = (size_t)size;
	xmlFree(mem);
	return 0;
}
