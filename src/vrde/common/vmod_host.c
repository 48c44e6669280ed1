/*
 * vmod_host.c - the host as a remote-display module sees it: its
 * properties read with one convention (unset is "", bounded numbers,
 * booleans), its log, the clocks, and the byte rules of query_info.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vmod.h"

void
vmod_log(const struct vmod_host *h, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (h && h->cb->log)
		h->cb->log(h->ctx, level, msg);
	else
		fprintf(stderr, "%s: %s\n", h ? h->name : "vrde", msg);
}

int
vmod_prop(const struct vmod_host *h, const char *name, char *buf, size_t size)
{
	int rc;

	buf[0] = '\0';
	if (!h->cb->get_property)
		return 0;
	rc = h->cb->get_property(h->ctx, name, buf, size);
	if (rc < 0)
		buf[0] = '\0';
	return rc == -ENOENT ? 0 : rc;
}

bool
vmod_prop_bool(const struct vmod_host *h, const char *name)
{
	char v[32];

	if (vmod_prop(h, name, v, sizeof(v)) <= 0)
		return false;
	return !strcmp(v, "1") || !strcasecmp(v, "true") ||
	       !strcasecmp(v, "yes") || !strcasecmp(v, "on");
}

int
vmod_prop_num(const struct vmod_host *h, const char *name, long lo, long hi,
	      long def, long *out)
{
	char v[32], *end;
	long n;

	*out = def;
	if (vmod_prop(h, name, v, sizeof(v)) <= 0)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end || errno || n < lo || n > hi) {
		vmod_log(h, VRDE_LOG_ERR,
			 "bad %s '%s' (a number from %ld to %ld)", name, v, lo,
			 hi);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

static int64_t
vmod_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
vmod_now_ms(void)
{
	return vmod_clock_ms(CLOCK_REALTIME);
}

int64_t
vmod_mono_ms(void)
{
	return vmod_clock_ms(CLOCK_MONOTONIC);
}

int
vmod_qi_copy(void *buf, size_t size, const void *v, size_t len)
{
	if (len <= size)
		memcpy(buf, v, len);
	return (int)len;
}

int
vmod_qi_str(void *buf, size_t size, const char *s)
{
	if (!s || !s[0])
		return 0;
	return vmod_qi_copy(buf, size, s, strlen(s) + 1);
}
