/*
 * video_params.c - the detector's tunables and where they come from.
 *
 * VirtualBox reads its detector tunables as hidden VRDE properties
 * "Property/VideoDetector/<Name>"; vireo accepts the name with and without
 * that prefix so a .vbox file written for VirtualBox keeps working.  Values
 * out of range are refused with one warning line and the default stays.
 * The library does not log itself: the RDP module routes warnings to the
 * host's log, the tests collect them.
 */

#include "video_detector.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct vd_param {
	const char *name;
	size_t offset; /* of a uint32_t in struct video_detector_params */
	uint32_t min;
	uint32_t max;
};

#define VD_PARAM(n, field, lo, hi)                                             \
	{                                                                      \
		"VideoDetector/" n,                                            \
		    offsetof(struct video_detector_params, field), lo, hi      \
	}

static const struct vd_param vd_params[] = {
    VD_PARAM("VideoDetectionFrames", frames, 2, 1000),
    VD_PARAM("MinMS", min_ms, 1, 10000),
    VD_PARAM("MaxMS", max_ms, 1, 10000),
    VD_PARAM("HistoryDecayMS", history_ms, 1, 600000),
    VD_PARAM("VideoDecayMS", video_decay_ms, 1, 600000),
    VD_PARAM("MinSize", min_size, 16, 65535),
    VD_PARAM("Jitter", jitter, 0, 64),
};

#define VD_ENABLED_NAME "VideoChannel/Enabled"

void
video_detector_params_default(struct video_detector_params *p)
{
	p->enabled = false;
	p->frames = 10;
	p->min_ms = 15;
	p->max_ms = 300;
	p->history_ms = 2000;
	p->video_decay_ms = 300;
	p->min_size = 64;
	p->jitter = 4;
}

static int
vd_parse_bool(const char *value, bool *out)
{
	if (!strcmp(value, "1") || !strcasecmp(value, "true") ||
	    !strcasecmp(value, "on") || !strcasecmp(value, "yes"))
		*out = true;
	else if (!strcmp(value, "0") || !strcasecmp(value, "false") ||
		 !strcasecmp(value, "off") || !strcasecmp(value, "no") ||
		 !*value)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int
vd_parse_u32(const char *value, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (*value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
video_detector_params_set(struct video_detector_params *p, const char *name,
			  const char *value)
{
	if (!strncmp(name, "Property/", 9))
		name += 9;
	if (!strcmp(name, VD_ENABLED_NAME))
		return vd_parse_bool(value, &p->enabled);
	for (size_t i = 0; i < sizeof(vd_params) / sizeof(vd_params[0]); i++) {
		const struct vd_param *d = &vd_params[i];
		struct video_detector_params tmp = *p;
		uint32_t *field;
		int rc;

		if (strcmp(name, d->name))
			continue;
		field = (uint32_t *)((char *)&tmp + d->offset);
		rc = vd_parse_u32(value, d->min, d->max, field);
		if (rc)
			return rc;
		if (tmp.min_ms > tmp.max_ms)
			return -EINVAL;
		*p = tmp;
		return 0;
	}
	return -ENOENT;
}

/* Read @name (or "Property/" @name) through @get and apply it. */
static int
vd_load_one(struct video_detector_params *p, const char *name,
	    video_get_property_fn get, video_warn_fn warn, void *ctx)
{
	char key[96], value[64], msg[192];
	int rc;

	rc = get(ctx, name, value, sizeof(value));
	if (rc < 0 && rc != -ENOSPC) {
		snprintf(key, sizeof(key), "Property/%s", name);
		rc = get(ctx, key, value, sizeof(value));
	}
	if (rc == -ENOENT || (rc == 0 && !value[0]))
		return 0; /* unset, or set to "" (VirtualBox's "unset") */
	if (rc >= 0 && video_detector_params_set(p, name, value) == 0)
		return 0;
	if (rc < 0)
		snprintf(msg, sizeof(msg),
			 "%s: cannot read the value (%s); using the default",
			 name, strerror(-rc));
	else
		snprintf(msg, sizeof(msg),
			 "%s: invalid value \"%s\"; keeping the default", name,
			 value);
	if (warn)
		warn(ctx, msg);
	return -EINVAL;
}

int
video_detector_params_load(struct video_detector_params *p,
			   video_get_property_fn get, video_warn_fn warn,
			   void *ctx)
{
	int rc = vd_load_one(p, VD_ENABLED_NAME, get, warn, ctx);

	for (size_t i = 0; i < sizeof(vd_params) / sizeof(vd_params[0]); i++) {
		if (vd_load_one(p, vd_params[i].name, get, warn, ctx))
			rc = -EINVAL;
	}
	return rc;
}
