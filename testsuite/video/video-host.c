/*
 * video-host.c - a VRDE host that plays the testcard's "video" for the
 * video tests and benchmarks, without a VM.
 *
 *   video-host --module PATH [--size WxH] [--video X,Y,W,H] [--fps N]
 *              [--play-on-connect] [--frames N] [--draw-only]
 *              [--prop K=V]...
 *
 * It loads the module through the stand-in host of testsuite/lib/vhost.h
 * (any client may log on), draws one screen like the testcard guest
 * (background, frame counter blocks at the top, the video rectangle with
 * TESTCARD_VIDEO_PIXEL, by default the testcard's 320x180 at 64,160) and,
 * while playing, redraws the counter and the video rectangle N times a
 * second, reporting each as update() damage.  --play-on-connect starts
 * playing when a client connects, --frames N stops at frame N (the
 * picture then stays still), --draw-only draws without telling the
 * module (what the guest's drawing alone costs, for the benchmarks).
 * It prints "VRDE server is listening on port N." and reads commands on
 * stdin, one per line, each ended by "ok" or "error ...":
 *   play | stop    start / stop the video (the last frame stays)
 *   frame          "frame F": the frame number shown now
 * and those of every stand-in host (info, disconnect, cpu, quit).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/testcard.h"
#include "lib/vhost.h"

static struct vhost vh;
static struct vrde_rect video = {TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
				 TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT};
static unsigned fps = TESTCARD_FPS;
static atomic_bool playing;
static bool play_on_connect;
static bool draw_only;
static unsigned stop_at; /* 0: never */
static atomic_uint frame = 1;

static void
host_client_connect(void *ctx, uint32_t id)
{
	if (play_on_connect)
		atomic_store(&playing, true);
	printf("connect client=%u\n", id);
	fflush(stdout);
}

/* The counter blocks and the video rectangle of frame @f. */
static void
draw(uint32_t f)
{
	uint32_t *px = vh.screen[0].px, width = vh.screen[0].w;

	for (uint32_t i = 0; i < TESTCARD_COUNTER_BLOCKS; i++) {
		uint32_t rgb =
		    (f >> (31 - i)) & 1 ? TESTCARD_BIT1_RGB : TESTCARD_BIT0_RGB;

		for (uint32_t y = 0; y < TESTCARD_BLOCK_SIZE; y++)
			for (uint32_t x = 0; x < TESTCARD_BLOCK_SIZE; x++)
				px[y * width + i * TESTCARD_BLOCK_SIZE + x] =
				    rgb;
	}
	for (uint32_t y = 0; y < video.h; y++) {
		uint32_t *row =
		    px + (size_t)(video.y + (int)y) * width + video.x;

		for (uint32_t x = 0; x < video.w; x++)
			row[x] = TESTCARD_VIDEO_PIXEL(x, y, f);
	}
}

static void
show_frame(void)
{
	pthread_mutex_lock(&vh.screen[0].lock);
	draw(atomic_load(&frame));
	if (draw_only) {
		pthread_mutex_unlock(&vh.screen[0].lock);
		return;
	}
	vhost_damage(&vh, 0, 0, 0, TESTCARD_COUNTER_BLOCKS * 16, 16);
	vhost_damage(&vh, 0, (uint32_t)video.x, (uint32_t)video.y, video.w,
		     video.h);
	vh.ep->update(vh.srv, 0, NULL);
	pthread_mutex_unlock(&vh.screen[0].lock);
}

static void *
player(void *arg)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += 1000000000L / fps;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (!atomic_load(&playing))
			continue;
		if (atomic_fetch_add(&frame, 1) + 1 == stop_at)
			atomic_store(&playing, false);
		show_frame();
	}
	return NULL;
}

static int
command(struct vhost *h, const char *cmd, char *args)
{
	if (!strcmp(cmd, "play"))
		atomic_store(&playing, true);
	else if (!strcmp(cmd, "stop"))
		atomic_store(&playing, false);
	else if (!strcmp(cmd, "frame"))
		printf("frame %u\n", atomic_load(&frame));
	else
		return -ENOSYS;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		int rc = vhost_option(&vh, argc, argv, &i);

		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		if (!strcmp(a, "--play-on-connect")) {
			play_on_connect = true;
			continue;
		}
		if (!strcmp(a, "--draw-only")) {
			draw_only = true;
			continue;
		}
		i++;
		if (!strcmp(a, "--frames") && sscanf(v, "%u", &stop_at) == 1)
			continue;
		if (!strcmp(a, "--video") &&
		    sscanf(v, "%d,%d,%u,%u", &video.x, &video.y, &video.w,
			   &video.h) == 4)
			continue;
		if (!strcmp(a, "--fps") && sscanf(v, "%u", &fps) == 1 &&
		    fps > 0 && fps <= 120)
			continue;
		return -EINVAL;
	}
	if (!vh.module || video.x < 0 || video.y < 0 ||
	    video.x + video.w > vh.width || video.y + video.h > vh.height ||
	    vh.width < 512 || vh.height < 64)
		return -EINVAL;
	return 0;
}

int
main(int argc, char **argv)
{
	pthread_t t;

	vhost_init(&vh, "video-host", 1024, 768);
	vh.cb.client_connect = host_client_connect;
	if (parse_args(argc, argv)) {
		fprintf(stderr,
			"usage: video-host --module PATH [--size WxH] "
			"[--video X,Y,W,H] [--fps N] [--play-on-connect] "
			"[--frames N] [--draw-only] [--prop K=V]...\n");
		return 2;
	}
	if (vhost_screen_alloc(&vh, 0, vh.width, vh.height) < 0)
		return 1;
	for (size_t i = 0; i < (size_t)vh.width * vh.height; i++)
		vh.screen[0].px[i] = TESTCARD_BACKGROUND_RGB;
	draw(1);
	if (vhost_start(&vh) < 0)
		return 1;
	show_frame();
	pthread_create(&t, NULL, player, NULL);
	vhost_serve(&vh, command);
	atomic_store(&playing, false);
	/* the player thread still runs: only the server goes, not the
	 * picture it may be drawing */
	vh.ep->destroy(vh.srv);
	return 0;
}
