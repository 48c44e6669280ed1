/*
 * log.c - levels, a tag per file, one sink (stderr or a log file).
 *
 * Lines are written with a single write(2) each so that concurrent threads
 * never interleave inside a line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const log_level_names[] = {"err", "warn", "info", "debug"};

static int log_level_current = -1;
static int log_fd = -1;
static int log_also_stderr;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int
log_parse_level(const char *name, enum log_level *out)
{
	for (int i = 0; i <= LOG_LEVEL_DEBUG; i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum log_level
log_get_level(void)
{
	if (log_level_current < 0) {
		const char *env = getenv("VIREO_LOG_LEVEL");
		enum log_level lvl = LOG_LEVEL_INFO;

		if (env)
			log_parse_level(env, &lvl);
		log_level_current = (int)lvl;
	}
	return (enum log_level)log_level_current;
}

void
log_set_level(enum log_level level)
{
	log_level_current = (int)level;
}

void
log_set_stderr(int on)
{
	log_also_stderr = on;
}

/* Create every missing directory of @path's parent (like mkdir -p). */
static void
log_make_parent(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0700);
		*p = '/';
	}
}

int
log_open_file(const char *path)
{
	int fd;

	log_make_parent(path);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_close_file(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	pthread_mutex_unlock(&log_lock);
}

int
log_file_fd(void)
{
	int fd;

	pthread_mutex_lock(&log_lock);
	fd = log_fd;
	pthread_mutex_unlock(&log_lock);
	return fd;
}

static void
log_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

const char *
log_escape(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (!size)
		return out;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[4];
		size_t k = 1;

		e[0] = (char)c;
		if (c < 0x20 || c == 0x7f) {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			k = 4;
		} else if (c == '\\' || c == '\'' || c == '"') {
			e[0] = '\\';
			e[1] = (char)c;
			k = 2;
		}
		/* keep room for "..." and the terminator */
		if (n + k + 4 > size) {
			if (n + 4 <= size) {
				memcpy(out + n, "...", 3);
				n += 3;
			}
			break;
		}
		memcpy(out + n, e, k);
		n += k;
	}
	out[n] = '\0';
	return out;
}

/* Copy @len bytes of @msg to @line, control characters as \xNN: a log line
 * is one line whatever a message holds.  @return bytes written. */
static size_t
log_copy_body(char *line, size_t room, const char *msg, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c >= 0x20 && c != 0x7f) {
			if (n + 1 > room)
				break;
			line[n++] = (char)c;
			continue;
		}
		if (n + 4 > room)
			break;
		line[n++] = '\\';
		line[n++] = 'x';
		line[n++] = hex[c >> 4];
		line[n++] = hex[c & 15];
	}
	return n;
}

void
log_vmsg(enum log_level level, const char *tag, const char *fmt, va_list ap)
{
	char line[2048], msg[2048];
	struct timeval tv;
	struct tm tm;
	int saved_errno = errno;
	size_t n, m;
	int r;

	if ((int)level > (int)log_get_level())
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	r = snprintf(
	    line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)(tv.tv_usec / 1000), log_level_names[level], tag);
	n = r < 0 ? 0 : (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	m = r < 0 ? 0 : (size_t)r;
	if (m > sizeof(msg) - 1)
		m = sizeof(msg) - 1;
	while (m > 0 && msg[m - 1] == '\n')
		m--;
	n += log_copy_body(line + n, sizeof(line) - 1 - n, msg, m);
	line[n++] = '\n';

	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0) {
		log_write_all(log_fd, line, n);
		if (log_also_stderr)
			log_write_all(STDERR_FILENO, line, n);
	} else {
		log_write_all(STDERR_FILENO, line, n);
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved_errno;
}

void
log_msg(enum log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, tag, fmt, ap);
	va_end(ap);
}
