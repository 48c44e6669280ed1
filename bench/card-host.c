/*
 * card-host.c - vireo's RDP module serving the test card without a VM:
 * a minimal VRDE host (src/vrde/vrde.h) that draws the testcard guest's
 * picture with the guest's own drawing code (src/guest/draw.c) at its 30
 * frames per second, reports the changed rectangles like vireo-headless
 * does, and echoes typed keys into the text line.  It isolates what the
 * RDP module costs from what the VMM and the guest cost, and lets the
 * module be measured exactly like the peers, which also show the card
 * from an ordinary process.
 *
 *   card-host --module PATH [--size WxH] [--folder DIR] [--prop K=V]...
 *
 * Prints "VRDE server is listening on port N." and runs until SIGTERM.
 * Every client is granted (null authentication).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cardkey.h"
#include "guest/card.h"
#include "vrde/vrde.h"

#define CH_MAX_PROPS 32

struct card_host {
	pthread_mutex_t lock; /* the picture */
	struct card card;
	uint32_t *px;
	uint32_t w, h;
	const char *folder;
	const char *props[CH_MAX_PROPS];
	int nprops;
	const struct vrde_entry_points *ep;
	struct vrde_server *srv;
};

static volatile sig_atomic_t ch_stop;

static void
ch_on_signal(int sig)
{
	ch_stop = 1;
}

static int
ch_copy(const char *value, char *buf, size_t size)
{
	size_t n = strlen(value);

	if (n + 1 > size) {
		return -ENOSPC;
	}
	memcpy(buf, value, n + 1);
	return (int)n;
}

static int
ch_get_property(void *ctx, const char *name, char *buf, size_t size)
{
	struct card_host *h = ctx;
	size_t n = strlen(name);

	for (int i = 0; i < h->nprops; i++) {
		if (!strncmp(h->props[i], name, n) && h->props[i][n] == '=') {
			return ch_copy(h->props[i] + n + 1, buf, size);
		}
	}
	if (!strcmp(name, VRDE_HOST_PROP_MACHINE_FOLDER)) {
		return ch_copy(h->folder, buf, size);
	}
	if (!strcmp(name, VRDE_HOST_PROP_MACHINE_NAME)) {
		return ch_copy("bench", buf, size);
	}
	if (!strcmp(name, VRDE_HOST_PROP_AUTH_TYPE)) {
		return ch_copy("Null", buf, size);
	}
	if (!strcmp(name, VRDE_HOST_PROP_NT_HASHES)) {
		return ch_copy("0", buf, size);
	}
	if (!strcmp(name, VRDE_HOST_PROP_SCREEN_COUNT)) {
		return ch_copy("1", buf, size);
	}
	return -ENOENT;
}

static int
ch_client_logon(void *ctx, const struct vrde_logon *logon)
{
	return logon->screen == 0 ? 0 : -ERANGE;
}

static void
ch_client_event(void *ctx, uint32_t client_id)
{
}

static int
ch_screen_query(void *ctx, uint32_t screen, struct vrde_screen_info *info)
{
	struct card_host *h = ctx;

	if (screen != 0) {
		return -ENOENT;
	}
	*info = (struct vrde_screen_info){
	    .enabled = 1,
	    .width = h->w,
	    .height = h->h,
	    .stride = h->w * 4,
	    .bpp = 32,
	    .pixels = (const uint8_t *)h->px,
	};
	return 0;
}

static void
ch_screen_lock(void *ctx, uint32_t screen)
{
	pthread_mutex_lock(&((struct card_host *)ctx)->lock);
}

static void
ch_screen_unlock(void *ctx, uint32_t screen)
{
	pthread_mutex_unlock(&((struct card_host *)ctx)->lock);
}

static void
ch_update(struct card_host *h, uint32_t x, uint32_t y, uint32_t w, uint32_t hh)
{
	struct vrde_rect r = {(int32_t)x, (int32_t)y, w, hh};

	h->ep->update(h->srv, 0, &r);
}

static void
ch_input(void *ctx, uint32_t client_id, uint32_t screen,
	 const struct vrde_input_event *ev)
{
	struct card_host *h = ctx;

	if (ev->type != VRDE_INPUT_SCANCODE ||
	    ev->u.key.flags & (VRDE_KEY_RELEASE | VRDE_KEY_E0 | VRDE_KEY_E1)) {
		return;
	}
	pthread_mutex_lock(&h->lock);
	cardkey_press(&h->card, ev->u.key.scancode);
	pthread_mutex_unlock(&h->lock);
	ch_update(h, TESTCARD_TEXT_X, TESTCARD_TEXT_Y, TESTCARD_TEXT_WIDTH,
		  TESTCARD_TEXT_HEIGHT);
	h->ep->update(h->srv, 0, NULL);
}

static void
ch_mode_hint(void *ctx, uint32_t screen, uint32_t width, uint32_t height)
{
}

static int
ch_get_nt_hash(void *ctx, const char *user, const char *domain,
	       uint8_t hash[16])
{
	return -ENOENT;
}

static void
ch_listening(void *ctx, uint32_t port)
{
	if (port) {
		printf("VRDE server is listening on port %u.\n", port);
	} else {
		printf("VRDE server failed to start.\n");
	}
	fflush(stdout);
}

static void
ch_log(void *ctx, int level, const char *msg)
{
	fprintf(stderr, "card-host: module: %s\n", msg);
}

static const struct vrde_host_callbacks ch_callbacks = {
    .hdr = {VRDE_ABI_VERSION, sizeof(struct vrde_host_callbacks)},
    .get_property = ch_get_property,
    .client_logon = ch_client_logon,
    .client_connect = ch_client_event,
    .client_disconnect = ch_client_event,
    .screen_query = ch_screen_query,
    .screen_lock = ch_screen_lock,
    .screen_unlock = ch_screen_unlock,
    .input = ch_input,
    .video_mode_hint = ch_mode_hint,
    .get_nt_hash = ch_get_nt_hash,
    .listening = ch_listening,
    .log = ch_log,
};

static int
ch_load(struct card_host *h, const char *module)
{
	void *dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);

	if (!dl) {
		fprintf(stderr, "card-host: %s\n", dlerror());
		return -1;
	}
	vrde_create_fn create = (vrde_create_fn)dlsym(dl, VRDE_CREATE_SYMBOL);
	if (!create || create(&ch_callbacks, h, &h->ep, &h->srv) != 0) {
		fprintf(stderr, "card-host: %s: cannot create the server\n",
			module);
		return -1;
	}
	return h->ep->enable_connections(h->srv, true) == 0 ? 0 : -1;
}

/* Draws frame after frame at the testcard's rate until SIGTERM. */
static void
ch_run(struct card_host *h)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!ch_stop) {
		next.tv_nsec += 1000000000L / TESTCARD_FPS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		pthread_mutex_lock(&h->lock);
		h->card.frame++;
		card_draw_frame(&h->card, 0);
		pthread_mutex_unlock(&h->lock);
		ch_update(h, TESTCARD_COUNTER_X, TESTCARD_COUNTER_Y,
			  TESTCARD_COUNTER_BLOCKS * TESTCARD_BLOCK_SIZE,
			  TESTCARD_BLOCK_SIZE);
		ch_update(h, TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
			  TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT);
		h->ep->update(h->srv, 0, NULL);
	}
}

int
main(int argc, char **argv)
{
	static struct card_host h = {.lock = PTHREAD_MUTEX_INITIALIZER,
				     .w = TESTCARD_HEAD0_WIDTH,
				     .h = TESTCARD_HEAD0_HEIGHT,
				     .folder = "."};
	const char *module = NULL;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--module") && v) {
			module = v;
		} else if (!strcmp(argv[i], "--folder") && v) {
			h.folder = v;
		} else if (!strcmp(argv[i], "--size") && v &&
			   sscanf(v, "%ux%u", &h.w, &h.h) == 2) {
		} else if (!strcmp(argv[i], "--prop") && v && strchr(v, '=') &&
			   h.nprops < CH_MAX_PROPS) {
			h.props[h.nprops++] = v;
		} else {
			module = NULL;
			break;
		}
		i++;
	}
	if (!module || h.w < 640 || h.h < 480 || h.w > 4096 || h.h > 4096) {
		fprintf(stderr, "usage: card-host --module PATH [--size WxH] "
				"[--folder DIR] [--prop K=V]...\n");
		return 2;
	}
	h.px = calloc((size_t)h.w * h.h, 4);
	if (!h.px) {
		return 1;
	}
	h.card.nheads = 1;
	h.card.frame = 1;
	h.card.head[0] = (struct card_head){.enabled = 1,
					    .fb = h.px,
					    .width = h.w,
					    .height = h.h,
					    .pitch = h.w,
					    .cross_x = -1,
					    .cross_y = -1};
	card_draw_full(&h.card, 0);
	signal(SIGTERM, ch_on_signal);
	signal(SIGINT, ch_on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (ch_load(&h, module) < 0) {
		return 1;
	}
	ch_run(&h);
	h.ep->destroy(h.srv);
	return 0;
}
