/*
 * video-host.c - a VRDE host that plays the testcard's "video" for the
 * video tests and benchmarks, without a VM.
 *
 *   video-host --module PATH [--size WxH] [--video X,Y,W,H] [--fps N]
 *              [--play-on-connect] [--frames N] [--prop K=V]...
 *
 * It loads the module through vrde.h (any client may log on), draws one
 * screen like the testcard guest (background, frame counter blocks at the
 * top, the video rectangle with TESTCARD_VIDEO_PIXEL, by default the
 * testcard's 320x180 at 64,160) and, while playing, redraws the counter
 * and the video rectangle N times a second, reporting each as update()
 * damage.  --play-on-connect starts playing when a client connects,
 * --frames N stops at frame N (the picture then stays still).  It prints "VRDE
 * server is listening on port N." and reads commands on stdin, one per line,
 * each answered by a line: play | stop          start / stop the video (the
 * last frame stays) frame                "frame F": the frame number shown now
 *   info CODE CLIENT     query_info as text ("info <text or number>")
 *   cpu                  "cpu MS": CPU time of this process so far
 *   quit
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "guest/testcard.h"
#include "vrde/vrde.h"

#define MAX_PROPS 32

static const char *props[MAX_PROPS];
static int nprops;
static uint32_t width = 1024, height = 768;
static struct vrde_rect video = {TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
				 TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT};
static unsigned fps = TESTCARD_FPS;
static uint32_t *px;
static pthread_mutex_t screen_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool playing;
static bool play_on_connect;
static unsigned stop_at; /* 0: never */
static atomic_uint frame = 1;
static const struct vrde_entry_points *ep;
static struct vrde_server *srv;

static int
host_get_property(void *ctx, const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);

	for (int i = nprops - 1; i >= 0; i--) {
		if (strncmp(props[i], name, n) || props[i][n] != '=') {
			continue;
		}
		if (strlen(props[i] + n + 1) + 1 > size) {
			return -ENOSPC;
		}
		strcpy(buf, props[i] + n + 1);
		return (int)strlen(buf);
	}
	if (!strcmp(name, VRDE_HOST_PROP_SCREEN_COUNT)) {
		snprintf(buf, size, "1");
		return 1;
	}
	return -ENOENT;
}

static int
host_client_logon(void *ctx, const struct vrde_logon *lo)
{
	return 0;
}

static void
host_client_connect(void *ctx, uint32_t id)
{
	if (play_on_connect) {
		atomic_store(&playing, true);
	}
	printf("connect client=%u\n", id);
	fflush(stdout);
}

static void
host_client_disconnect(void *ctx, uint32_t id)
{
	printf("disconnect client=%u\n", id);
	fflush(stdout);
}

static int
host_screen_query(void *ctx, uint32_t s, struct vrde_screen_info *info)
{
	if (s != 0) {
		return -ENOENT;
	}
	memset(info, 0, sizeof(*info));
	info->enabled = 1;
	info->width = width;
	info->height = height;
	info->stride = width * 4;
	info->bpp = 32;
	info->pixels = (const uint8_t *)px;
	return 0;
}

static void
host_screen_lock(void *ctx, uint32_t s)
{
	pthread_mutex_lock(&screen_lock);
}

static void
host_screen_unlock(void *ctx, uint32_t s)
{
	pthread_mutex_unlock(&screen_lock);
}

static void
host_input(void *ctx, uint32_t client, uint32_t screen,
	   const struct vrde_input_event *ev)
{
}

static void
host_video_mode_hint(void *ctx, uint32_t s, uint32_t w, uint32_t h)
{
}

static int
host_get_nt_hash(void *ctx, const char *user, const char *domain,
		 uint8_t hash[16])
{
	return -ENOENT;
}

static void
host_listening(void *ctx, uint32_t port)
{
	if (port) {
		printf("VRDE server is listening on port %u.\n", port);
	} else {
		printf("VRDE server failed to listen.\n");
	}
	fflush(stdout);
}

static void
host_log(void *ctx, int level, const char *msg)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	fprintf(stderr, "video-host: %s: %s\n",
		level >= 0 && level < 4 ? names[level] : "?", msg);
}

static const struct vrde_host_callbacks host_cb = {
    .hdr = {.version = VRDE_ABI_VERSION,
	    .size = sizeof(struct vrde_host_callbacks)},
    .get_property = host_get_property,
    .client_logon = host_client_logon,
    .client_connect = host_client_connect,
    .client_disconnect = host_client_disconnect,
    .screen_query = host_screen_query,
    .screen_lock = host_screen_lock,
    .screen_unlock = host_screen_unlock,
    .input = host_input,
    .video_mode_hint = host_video_mode_hint,
    .get_nt_hash = host_get_nt_hash,
    .listening = host_listening,
    .log = host_log,
};

/* The counter blocks and the video rectangle of frame @f. */
static void
draw(uint32_t f)
{
	for (uint32_t i = 0; i < TESTCARD_COUNTER_BLOCKS; i++) {
		uint32_t rgb =
		    (f >> (31 - i)) & 1 ? TESTCARD_BIT1_RGB : TESTCARD_BIT0_RGB;

		for (uint32_t y = 0; y < TESTCARD_BLOCK_SIZE; y++) {
			for (uint32_t x = 0; x < TESTCARD_BLOCK_SIZE; x++) {
				px[y * width + i * TESTCARD_BLOCK_SIZE + x] =
				    rgb;
			}
		}
	}
	for (uint32_t y = 0; y < video.h; y++) {
		uint32_t *row =
		    px + (size_t)(video.y + (int)y) * width + video.x;

		for (uint32_t x = 0; x < video.w; x++) {
			row[x] = TESTCARD_VIDEO_PIXEL(x, y, f);
		}
	}
}

static void
show_frame(void)
{
	struct vrde_rect counter = {0, 0, TESTCARD_COUNTER_BLOCKS * 16, 16};

	pthread_mutex_lock(&screen_lock);
	draw(atomic_load(&frame));
	ep->update(srv, 0, &counter);
	ep->update(srv, 0, &video);
	ep->update(srv, 0, NULL);
	pthread_mutex_unlock(&screen_lock);
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
		if (atomic_load(&playing)) {
			if (atomic_fetch_add(&frame, 1) + 1 == stop_at) {
				atomic_store(&playing, false);
			}
			show_frame();
		}
	}
	return NULL;
}

static void
cmd_info(const char *args)
{
	unsigned code, client = 0;
	char buf[512];
	int n;

	if (sscanf(args, "%u %u", &code, &client) < 1) {
		printf("error usage: info CODE CLIENT\n");
		return;
	}
	n = ep->query_info(srv, client, code, buf, sizeof(buf) - 1);
	if (n < 0 || n >= (int)sizeof(buf)) {
		printf("error %s\n", n < 0 ? strerror(-n) : "too long");
		return;
	}
	buf[n] = '\0';
	if (code == VRDE_QI_CLIENT_IDS) {
		printf("info");
		for (int i = 0; i + 4 <= n; i += 4) {
			uint32_t id;

			memcpy(&id, buf + i, sizeof(id));
			printf(" %u", id);
		}
		printf("\n");
	} else if (n == 4 && code <= VRDE_QI_PORT) {
		printf("info %u\n", *(uint32_t *)buf);
	} else if (n == 8 && (code == VRDE_QI_BYTES_SENT ||
			      code == VRDE_QI_BYTES_RECEIVED ||
			      code == VRDE_QI_BEGIN_TIME)) {
		uint64_t v;

		memcpy(&v, buf, sizeof(v));
		printf("info %llu\n", (unsigned long long)v);
	} else {
		printf("info %s\n", buf);
	}
}

static void
command(char *line)
{
	struct rusage ru;

	line[strcspn(line, "\n")] = '\0';
	if (!strcmp(line, "play")) {
		atomic_store(&playing, true);
		printf("ok\n");
	} else if (!strcmp(line, "stop")) {
		atomic_store(&playing, false);
		printf("ok\n");
	} else if (!strcmp(line, "frame")) {
		printf("frame %u\n", atomic_load(&frame));
	} else if (!strncmp(line, "info ", 5)) {
		cmd_info(line + 5);
	} else if (!strcmp(line, "cpu")) {
		getrusage(RUSAGE_SELF, &ru);
		printf("cpu %ld\n",
		       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
			   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L);
	} else {
		printf("error unknown command: %s\n", line);
	}
	fflush(stdout);
}

static int
parse_args(int argc, char **argv, const char **module)
{
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(a, "--play-on-connect")) {
			play_on_connect = true;
			i--;
		} else if (!strcmp(a, "--frames") &&
			   sscanf(v, "%u", &stop_at) == 1) {
		} else if (!strcmp(a, "--module")) {
			*module = v;
		} else if (!strcmp(a, "--size") &&
			   sscanf(v, "%ux%u", &width, &height) == 2) {
		} else if (!strcmp(a, "--video") &&
			   sscanf(v, "%d,%d,%u,%u", &video.x, &video.y,
				  &video.w, &video.h) == 4) {
		} else if (!strcmp(a, "--fps") && sscanf(v, "%u", &fps) == 1 &&
			   fps > 0 && fps <= 120) {
		} else if (!strcmp(a, "--prop") && nprops < MAX_PROPS &&
			   strchr(v, '=')) {
			props[nprops++] = v;
		} else {
			return -EINVAL;
		}
	}
	if (!*module || video.x < 0 || video.y < 0 ||
	    video.x + video.w > width || video.y + video.h > height ||
	    width > 8192 || height > 8192 || width < 512 || height < 64) {
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *module = NULL;
	char line[256];
	vrde_create_fn create;
	pthread_t t;
	void *so;

	if (parse_args(argc, argv, &module)) {
		fprintf(stderr,
			"usage: video-host --module PATH [--size WxH] "
			"[--video X,Y,W,H] [--fps N] [--prop K=V]...\n");
		return 2;
	}
	px = calloc((size_t)width * height, 4);
	for (size_t i = 0; i < (size_t)width * height; i++) {
		px[i] = TESTCARD_BACKGROUND_RGB;
	}
	draw(1);
	so = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	create = so ? (vrde_create_fn)dlsym(so, VRDE_CREATE_SYMBOL) : NULL;
	if (!create || create(&host_cb, NULL, &ep, &srv) < 0 ||
	    ep->enable_connections(srv, true) < 0) {
		fprintf(stderr, "video-host: cannot start %s: %s\n", module,
			so ? "module refused" : dlerror());
		return 1;
	}
	show_frame();
	pthread_create(&t, NULL, player, NULL);
	while (fgets(line, sizeof(line), stdin) && strcmp(line, "quit\n")) {
		command(line);
	}
	atomic_store(&playing, false);
	ep->destroy(srv);
	return 0;
}
