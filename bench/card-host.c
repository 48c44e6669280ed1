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
 *             [--scene card|desktop] [--fps 1-60]
 *
 * The stand-in host of testsuite/lib/vhost.h loads the module and prints
 * "VRDE server is listening on port N."; card-host runs until SIGTERM.
 * Every client is granted (null authentication).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cardkey.h"
#include "cardopt.h"
#include "guest/card.h"
#include "testsuite/lib/vhost.h"

static struct vhost vh;
static struct card card; /* draws into vh.screen[0] */
static unsigned ch_fps = TESTCARD_FPS;
static volatile sig_atomic_t ch_stop;

static void
ch_on_signal(int sig)
{
	ch_stop = 1;
}

static void
ch_input(void *ctx, uint32_t client_id, uint32_t screen,
	 const struct vrde_input_event *ev)
{
	if (ev->type != VRDE_INPUT_SCANCODE ||
	    ev->u.key.flags & (VRDE_KEY_RELEASE | VRDE_KEY_E0 | VRDE_KEY_E1))
		return;
	pthread_mutex_lock(&vh.screen[0].lock);
	cardkey_press(&card, ev->u.key.scancode);
	vhost_damage(&vh, 0, TESTCARD_TEXT_X, TESTCARD_TEXT_Y,
		     TESTCARD_TEXT_WIDTH, TESTCARD_TEXT_HEIGHT);
	vh.ep->update(vh.srv, 0, NULL);
	pthread_mutex_unlock(&vh.screen[0].lock);
}

/* Draws frame after frame at the testcard's rate until SIGTERM. */
static void
ch_run(void)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!ch_stop) {
		next.tv_nsec += 1000000000L / ch_fps;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		pthread_mutex_lock(&vh.screen[0].lock);
		card.frame++;
		card_draw_frame(&card, 0);
		for (uint32_t i = 0; i < card.ndamage; i++)
			vhost_damage(&vh, 0, card.damage[i].x, card.damage[i].y,
				     card.damage[i].w, card.damage[i].h);
		vh.ep->update(vh.srv, 0, NULL);
		pthread_mutex_unlock(&vh.screen[0].lock);
	}
}

int
main(int argc, char **argv)
{
	static char folder[4096] = VRDE_HOST_PROP_MACHINE_FOLDER "=.";
	bool bad = false;

	vhost_init(&vh, "card-host", TESTCARD_HEAD0_WIDTH,
		   TESTCARD_HEAD0_HEIGHT);
	vh.cb.input = ch_input;
	/* what vireo-headless would say of a VM with null authentication;
	 * --prop options come later and win */
	vhost_prop(&vh, folder);
	vhost_prop(&vh, VRDE_HOST_PROP_MACHINE_NAME "=bench");
	vhost_prop(&vh, VRDE_HOST_PROP_AUTH_TYPE "=Null");
	vhost_prop(&vh, VRDE_HOST_PROP_NT_HASHES "=0");
	for (int i = 1; i < argc && !bad; i++) {
		int rc = vhost_option(&vh, argc, argv, &i);

		if (rc == 0)
			rc = cardopt_parse(&card, &ch_fps, argc, argv, &i);
		if (rc == 0 && !strcmp(argv[i], "--folder") && i + 1 < argc)
			snprintf(folder, sizeof(folder), "%s=%s",
				 VRDE_HOST_PROP_MACHINE_FOLDER, argv[++i]);
		else
			bad = rc <= 0;
	}
	if (bad || !vh.module || vh.width < 640 || vh.height < 480 ||
	    vh.width > 4096 || vh.height > 4096) {
		fprintf(stderr,
			"usage: card-host --module PATH [--size WxH] "
			"[--folder DIR] [--prop K=V] " CARDOPT_USAGE "...\n");
		return 2;
	}
	if (vhost_screen_alloc(&vh, 0, vh.width, vh.height) < 0)
		return 1;
	card.nheads = 1;
	card.frame = 1;
	card.head[0] = (struct card_head){.enabled = 1,
					  .fb = vh.screen[0].px,
					  .width = vh.width,
					  .height = vh.height,
					  .pitch = vh.width,
					  .cross_x = -1,
					  .cross_y = -1};
	card_draw_full(&card, 0);
	signal(SIGTERM, ch_on_signal);
	signal(SIGINT, ch_on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (vhost_start(&vh) < 0)
		return 1;
	ch_run();
	vhost_stop(&vh);
	return 0;
}
