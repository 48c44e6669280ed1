/*
 * sdnotify.c - the sd_notify datagram protocol (sdnotify.h).
 */
#define LOG_TAG "sdnotify"
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

static struct sockaddr_un sdnotify_addr;
static socklen_t sdnotify_len; /* 0: no socket */
static pthread_mutex_t sdnotify_lock = PTHREAD_MUTEX_INITIALIZER;
static int sdnotify_fd = -1;
static int sdnotify_warned;

int
sdnotify_init(void)
{
	const char *v = getenv("NOTIFY_SOCKET");
	size_t n;

	sdnotify_len = 0;
	if (!v || !v[0])
		return 0;
	n = strlen(v);
	memset(&sdnotify_addr, 0, sizeof(sdnotify_addr));
	sdnotify_addr.sun_family = AF_UNIX;
	if ((v[0] != '/' && v[0] != '@') ||
	    n >= sizeof(sdnotify_addr.sun_path)) {
		log_warn("NOTIFY_SOCKET '%.64s' is not an absolute path or "
			 "an '@' abstract name of at most %zu bytes; not "
			 "notifying the service manager",
			 v, sizeof(sdnotify_addr.sun_path) - 1);
		unsetenv("NOTIFY_SOCKET");
		return -EINVAL;
	}
	memcpy(sdnotify_addr.sun_path, v, n);
	if (v[0] == '@')
		sdnotify_addr.sun_path[0] = '\0'; /* abstract: no NUL after */
	sdnotify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
				   (v[0] == '@' ? 0 : 1));
	unsetenv("NOTIFY_SOCKET");
	return 1;
}

int
sdnotify_send(const char *msg)
{
	ssize_t r;
	int err = 0;

	pthread_mutex_lock(&sdnotify_lock);
	if (!sdnotify_len)
		goto out;
	if (sdnotify_fd < 0)
		sdnotify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sdnotify_fd < 0) {
		err = -errno;
		goto out;
	}
	r = sendto(sdnotify_fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (struct sockaddr *)&sdnotify_addr, sdnotify_len);
	if (r < 0)
		err = -errno;
out:
	if (err && !sdnotify_warned++)
		log_warn("cannot notify the service manager: %s",
			 strerror(-err));
	pthread_mutex_unlock(&sdnotify_lock);
	return err;
}

int
sdnotify_status(const char *fmt, ...)
{
	char msg[SDNOTIFY_MAX] = "STATUS=";
	va_list ap;

	if (!sdnotify_len)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return sdnotify_send(msg);
}
