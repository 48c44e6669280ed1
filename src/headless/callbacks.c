/*
 * callbacks.c - the host side of vrde.h: what a VRDE module may call.
 *
 * The context of every callback is the struct headless_server the module
 * was created with.  Callbacks are thread-safe; those that reach the VMM
 * (screen, input, mode hints) go through its own locking.
 */
#define LOG_TAG "vrde"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "headless.h"
#include "log.h"

static int
cb_get_property(void *ctx, const char *name, char *buf, size_t size)
{
	struct headless_server *s = ctx;

	if (!buf || !size)
		return -ENOSPC;
	return hl_machine_get_property(s->hl, name, buf, size);
}

static int
cb_client_logon(void *ctx, const struct vrde_logon *logon)
{
	if (!logon)
		return -EINVAL;
	return logon_client(ctx, logon);
}

static void
cb_client_connect(void *ctx, uint32_t client_id)
{
	struct headless *hl = ((struct headless_server *)ctx)->hl;
	struct headless_client *c;
	char user[HEADLESS_STR], addr[HEADLESS_STR];
	bool granted, release;

	pthread_mutex_lock(&hl->lock);
	c = logon_find(hl, client_id);
	granted = c && c->granted;
	if (granted) {
		c->connected = true;
		/* copied under the lock: the slot may be reused after it */
		log_escape(user, sizeof(user), c->user);
		log_escape(addr, sizeof(addr), c->address);
	}
	release = granted && hl->wait_for_logon;
	if (release)
		hl->wait_for_logon = false;
	pthread_mutex_unlock(&hl->lock);
	if (granted)
		log_info("client %u ('%s' from %s) connected", client_id, user,
			 addr);
	else
		log_warn("client %u reported connected without a granted "
			 "logon; ignored",
			 client_id);
	/* the first viewer that logged on starts the guest (--start-paused
	 * keeps it paused regardless) */
	if (release && !hl->opts.start_paused) {
		int rc = vmm_resume(hl->vm);

		log_info("client %u logged on: the VM resumes "
			 "(Client/WaitForLogon)%s%s",
			 client_id, rc < 0 ? ": " : "",
			 rc < 0 ? strerror(-rc) : "");
		if (rc == 0)
			headless_state_changed(hl);
	}
}

static void
cb_client_disconnect(void *ctx, uint32_t client_id)
{
	/* its remote USB devices leave the guest with it */
	hl_usb_client_left(ctx, client_id);
	logon_client_left(((struct headless_server *)ctx)->hl, client_id);
}

static int
cb_screen_query(void *ctx, uint32_t screen, struct vrde_screen_info *info)
{
	struct headless *hl = ((struct headless_server *)ctx)->hl;
	struct vmm_head_info hi;
	int32_t x = 0;

	if (!info || screen >= hl->heads)
		return -ENOENT;
	/* Screens sit side by side, left to right, in head order.  Widths
	 * come from the bridge's record: locking the other heads here could
	 * deadlock against a module thread holding one of them. */
	for (uint32_t h = 0; h < screen; h++)
		x += (int32_t)__atomic_load_n(&hl->head_width[h],
					      __ATOMIC_ACQUIRE);
	if (vmm_head_query(hl->vm, screen, &hi) < 0)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->enabled = hi.enabled;
	info->width = hi.width;
	info->height = hi.height;
	info->stride = hi.stride;
	info->bpp = 32;
	info->x_origin = x;
	info->y_origin = 0;
	info->pixels = hi.pixels;
	return 0;
}

/* A module asking for a lock its own update call already holds (through
 * the VMM) gets it without blocking. */
static bool
cb_owned(struct headless *hl, uint32_t screen)
{
	return hl->disp_owned[screen] &&
	       pthread_equal(hl->disp_owner[screen], pthread_self());
}

static void
cb_screen_lock(void *ctx, uint32_t screen)
{
	struct headless *hl = ((struct headless_server *)ctx)->hl;

	if (screen < hl->heads && !cb_owned(hl, screen))
		vmm_head_lock(hl->vm, screen);
}

static void
cb_screen_unlock(void *ctx, uint32_t screen)
{
	struct headless *hl = ((struct headless_server *)ctx)->hl;

	if (screen < hl->heads && !cb_owned(hl, screen))
		vmm_head_unlock(hl->vm, screen);
}

static void
cb_input(void *ctx, uint32_t client_id, uint32_t screen,
	 const struct vrde_input_event *ev)
{
	struct headless *hl = ((struct headless_server *)ctx)->hl;
	struct headless_client *c;
	bool ok;

	if (!ev || hl->disable_input)
		return;
	pthread_mutex_lock(&hl->lock);
	c = logon_find(hl, client_id);
	ok = c && c->granted;
	pthread_mutex_unlock(&hl->lock);
	if (!ok) {
		log_debug("input from client %u without a logon dropped",
			  client_id);
		return;
	}
	input_event(hl, screen, ev);
}

static void
cb_video_mode_hint(void *ctx, uint32_t screen, uint32_t width, uint32_t height)
{
	struct headless *hl = ((struct headless_server *)ctx)->hl;
	int rc;

	if (screen >= hl->heads)
		return;
	rc = vmm_head_mode_hint(hl->vm, screen, width, height);
	log_info("client asks for %ux%u on screen %u%s%s", width, height,
		 screen, rc < 0 ? ": " : "", rc < 0 ? strerror(-rc) : "");
}

static int
cb_get_nt_hash(void *ctx, const char *user, const char *domain,
	       uint8_t hash[16])
{
	if (!user || !hash)
		return -ENOENT;
	return logon_nt_hash(((struct headless_server *)ctx)->hl, user, domain,
			     hash);
}

static int
cb_nla_begin(void *ctx, const struct vrde_logon *logon, uint8_t hash[16])
{
	if (!logon || !hash)
		return -ENOENT;
	return logon_nla_begin(ctx, logon, hash);
}

static void
cb_nla_result(void *ctx, const struct vrde_logon *logon, int result)
{
	if (logon)
		logon_nla_result(ctx, logon, result);
}

static void
cb_listening(void *ctx, uint32_t port)
{
	struct headless_server *s = ctx;

	pthread_mutex_lock(&s->port_lock);
	s->port = port;
	s->port_known = true;
	pthread_cond_broadcast(&s->port_cond);
	pthread_mutex_unlock(&s->port_lock);
}

/* The module's level (vrde.h) as vireo's; an unknown one is info. */
static enum log_level
cb_log_level(int level)
{
	switch (level) {
	case VRDE_LOG_ERR:
		return LOG_LEVEL_ERR;
	case VRDE_LOG_WARN:
		return LOG_LEVEL_WARN;
	case VRDE_LOG_DEBUG:
		return LOG_LEVEL_DEBUG;
	default:
		return LOG_LEVEL_INFO;
	}
}

static void
cb_log(void *ctx, int level, const char *msg)
{
	struct headless_server *s = ctx;

	msg = msg ? msg : "";
	log_msg(cb_log_level(level), "vrde-module", "%s", msg);
	if (level != VRDE_LOG_ERR || !s)
		return;
	pthread_mutex_lock(&s->port_lock);
	if (!s->first_err[0])
		snprintf(s->first_err, sizeof(s->first_err), "%s", msg);
	pthread_mutex_unlock(&s->port_lock);
}

static int
cb_usb_device_added(void *ctx, const struct vrde_usb_device_desc *dev)
{
	if (!dev)
		return -EINVAL;
	return hl_usb_added(ctx, dev);
}

static void
cb_usb_device_removed(void *ctx, uint32_t device_id)
{
	hl_usb_removed(ctx, device_id);
}

static void
cb_usb_complete(void *ctx, const struct vrde_usb_completion *c)
{
	if (c)
		hl_usb_complete(ctx, c);
}

#define HEADLESS_CALLBACKS_V1                                                  \
	.get_property = cb_get_property, .client_logon = cb_client_logon,      \
	.client_connect = cb_client_connect,                                   \
	.client_disconnect = cb_client_disconnect,                             \
	.screen_query = cb_screen_query, .screen_lock = cb_screen_lock,        \
	.screen_unlock = cb_screen_unlock, .input = cb_input,                  \
	.video_mode_hint = cb_video_mode_hint, .get_nt_hash = cb_get_nt_hash,  \
	.listening = cb_listening, .log = cb_log, .nla_begin = cb_nla_begin,   \
	.nla_result = cb_nla_result

const struct vrde_host_callbacks headless_callbacks = {
    .hdr = {VRDE_ABI_VERSION, sizeof(struct vrde_host_callbacks)},
    HEADLESS_CALLBACKS_V1,
    .usb_device_added = cb_usb_device_added,
    .usb_device_removed = cb_usb_device_removed,
    .usb_complete = cb_usb_complete,
};

/* For a module built before version 2, which refuses the table above
 * (vrde.h, "Versions"): the same callbacks, its version and size. */
const struct vrde_host_callbacks headless_callbacks_v1 = {
    .hdr = {1, VRDE_HOST_CB_SIZE_V1},
    HEADLESS_CALLBACKS_V1,
};
