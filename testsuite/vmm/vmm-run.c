/*
 * vmm-run.c - drives one VM through libvireo-vmm for the tests and the
 * benchmark: boot it, then run a list of actions, printing TAP.
 *
 *   vmm-run [options] ACTION...
 *     -H N heads, -c N cpus, -m MiB RAM, -k image, -L (Linux), -i initrd,
 *     -G (Linux: decompress in the guest), -a cmdline, -s serial log, -t
 * seconds per wait (default 30), -A auto|kvm|software (accelerator; default
 * software), -S (skip all when that accelerator is not available here:
 * /dev/kvm cannot be opened or fails its checks), -P (only probe the
 * accelerator: exit 0 usable, 77 not available here with the reason on
 * stdout, 1 any other failure), -b (bench: once the testcard is ready,
 * one JSON line with start-up time, memory, head 0's frames and damaged
 * refreshes per second and the process's CPU over VIREO_BENCH_SECONDS,
 * default 5; then the actions), -u (an OHCI USB controller), -U (and the
 * USB tablet on it)
 *
 * Actions (arguments after ':' separated by ','):
 *   serial:TEXT          wait until COM1 output contains TEXT (\n, \r)
 *   serial2:TEXT         the same, twice (after a reset)
 *   card:H[,W,H]         eventually every known pixel of head H is right
 *   pixel:H,X,Y,RGB      eventually pixel (X,Y) of head H is RGB (hex)
 *   key:CODE,down|up     inject a set-1 key (CODE "1e" or "e04b")
 *   scancodes:B,B...     raw set-1 bytes (hex), vmm_input_scancodes
 *   ptr:H,X,Y,B[,WHEEL]  inject an absolute pointer event
 *   hint:H,W,HT          mode hint
 *   resized:H,W,HT       wait for resize(H) to W x HT and damage covering it
 *   pause / resume       and check the frame counter stops / continues
 *   exit:REASON          wait for the VM to stop with REASON (poweroff,
 *                        host-poweroff, reset, triple-fault, internal-error)
 *   poweroff             host power off
 *   reset                host reset (vmm_reset)
 *   powerbutton          vmm_power_button
 *   covered:H            wait until the damage since the last resize (or
 *                        since "uncover:H") covers all of head H
 *   uncover:H            forget head H's damage so far
 *   damage:H             for a second, every damage rectangle of head H
 *                        lies inside the frame counter or the video
 *   dump:H,FILE          write head H as a PPM
 *   dumpall:PREFIX       write every head as PREFIX-<head>.ppm
 *   save:FILE            save the (paused) VM's state to FILE; prints
 *                        "# saved at frame N" (head 0's counter)
 *   refresh              vmm_display_refresh (also while paused)
 *   frame:N              head 0's frame counter reads N now
 *   presents:N           eventually N refreshes were started by the
 *                        guest's PRESENT register (not the 60 Hz tick)
 *   whole:H              for a second, every refresh of head H shows one
 *                        whole frame: the video rectangle's corners are
 *                        those of the frame its counter shows
 * SIGTERM powers the VM off (vmm_poweroff) and lets exit: see it.
 * -O also copies COM1 to stdout (vmm_config.serial_stdout).
 * -p starts the VM paused; -R FILE restores the state in FILE before
 * starting (a refused restore: the reason on stderr, exit status 3).
 * Exit status: 0 every check passed, 1 a check failed or the VM could not
 * be created (the reason on stderr), 2 usage error.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/vmm.h"
#include "guest/testcard.h"

int font_dot(char c, int col, int row);

struct run {
	struct vmm *vm;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *serial;
	size_t serial_len, serial_cap;
	struct {
		uint32_t w, h;
		int resizes;
		int64_t dx0, dy0, dx1, dy1; /* damage since the last resize */
		int watch, rects, stray;    /* the damage: action */
		int completes;		    /* update_complete calls */
		int whole, checked, torn;   /* the whole: action */
	} head[VMM_MAX_HEADS];
	int stopped;
	enum vmm_exit_reason reason;
	uint64_t t0, t_first_update, t_ready;
	double wait_s;
};

static struct run run;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Wall clock, for the benchmark's "since process start" figures: the
 * caller passes its own start time in VIREO_BENCH_T0 (ns since epoch). */
static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void
run_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- callbacks ---------------------------------------------------------- */

static void
cb_resize(void *ctx, uint32_t head)
{
	struct vmm_head_info hi;

	vmm_head_query(run.vm, head, &hi);
	pthread_mutex_lock(&run.lock);
	run.head[head].w = hi.width;
	run.head[head].h = hi.height;
	run.head[head].resizes++;
	run.head[head].dx0 = run.head[head].dy0 = INT64_MAX;
	run.head[head].dx1 = run.head[head].dy1 = INT64_MIN;
	pthread_mutex_unlock(&run.lock);
}

static int
rect_inside(const struct vmm_rect *r, int32_t x, int32_t y, uint32_t w,
	    uint32_t h)
{
	return r->x >= x && r->y >= y &&
	       r->x + (int64_t)r->w <= x + (int64_t)w &&
	       r->y + (int64_t)r->h <= y + (int64_t)h;
}

static void
cb_update(void *ctx, uint32_t head, const struct vmm_rect *r)
{
	pthread_mutex_lock(&run.lock);
	if (r->x < run.head[head].dx0)
		run.head[head].dx0 = r->x;
	if (r->y < run.head[head].dy0)
		run.head[head].dy0 = r->y;
	if (r->x + (int64_t)r->w > run.head[head].dx1)
		run.head[head].dx1 = r->x + (int64_t)r->w;
	if (r->y + (int64_t)r->h > run.head[head].dy1)
		run.head[head].dy1 = r->y + (int64_t)r->h;
	if (run.head[head].watch) {
		run.head[head].rects++;
		if (!rect_inside(r, TESTCARD_COUNTER_X, TESTCARD_COUNTER_Y,
				 TESTCARD_COUNTER_BLOCKS * TESTCARD_BLOCK_SIZE,
				 TESTCARD_BLOCK_SIZE) &&
		    !rect_inside(r, TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
				 TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT)) {
			run.head[head].stray++;
			tap_diag("damage %d,%d %ux%u", r->x, r->y, r->w, r->h);
		}
	}
	pthread_mutex_unlock(&run.lock);
}

static int64_t read_counter(uint32_t head);
static uint32_t px_at(uint32_t head, uint32_t x, uint32_t y);

/* Whether head @head's picture is one frame: its counter and the video
 * rectangle's first and last pixels agree (called with the head locked;
 * the lock is recursive). */
static int
head_is_whole(uint32_t head)
{
	int64_t c = read_counter(head);
	uint32_t w = TESTCARD_VIDEO_WIDTH - 1, h = TESTCARD_VIDEO_HEIGHT - 1;

	return c >= 0 &&
	       px_at(head, TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y) ==
		   TESTCARD_VIDEO_PIXEL(0, 0, (uint32_t)c) &&
	       px_at(head, TESTCARD_VIDEO_X + w, TESTCARD_VIDEO_Y + h) ==
		   TESTCARD_VIDEO_PIXEL(w, h, (uint32_t)c);
}

static void
cb_update_complete(void *ctx, uint32_t head)
{
	int whole = run.head[head].whole ? head_is_whole(head) : -1;

	pthread_mutex_lock(&run.lock);
	run.head[head].completes++;
	if (whole >= 0 && run.head[head].whole) {
		run.head[head].checked++;
		run.head[head].torn += !whole;
	}
	pthread_mutex_unlock(&run.lock);
	if (!run.t_first_update)
		run.t_first_update = wall_ns();
}

static void
cb_stopped(void *ctx, enum vmm_exit_reason why)
{
	pthread_mutex_lock(&run.lock);
	run.stopped = 1;
	run.reason = why;
	pthread_cond_broadcast(&run.cond);
	pthread_mutex_unlock(&run.lock);
}

static const struct vmm_display_ops run_ops = {
    .resize = cb_resize,
    .update = cb_update,
    .update_complete = cb_update_complete,
    .stopped = cb_stopped,
};

static void
serial_sink(void *ctx, const char *buf, size_t len)
{
	pthread_mutex_lock(&run.lock);
	if (run.serial_len + len + 1 > run.serial_cap) {
		size_t cap = (run.serial_cap + len + 1) * 2;
		char *p = realloc(run.serial, cap);
		if (!p) {
			pthread_mutex_unlock(&run.lock);
			return;
		}
		run.serial = p;
		run.serial_cap = cap;
	}
	memcpy(run.serial + run.serial_len, buf, len);
	run.serial_len += len;
	run.serial[run.serial_len] = 0;
	if (!run.t_ready && strstr(run.serial, TESTCARD_READY_PREFIX))
		run.t_ready = wall_ns();
	pthread_cond_broadcast(&run.cond);
	pthread_mutex_unlock(&run.lock);
}

/* ---- helpers ---------------------------------------------------------- */

static void
deadline(struct timespec *t, double s)
{
	clock_gettime(CLOCK_REALTIME, t);
	t->tv_sec += (time_t)s;
	t->tv_nsec += (long)((s - (time_t)s) * 1e9);
	if (t->tv_nsec >= 1000000000) {
		t->tv_nsec -= 1000000000;
		t->tv_sec++;
	}
}

static void
unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && (s[1] == 'n' || s[1] == 'r')) {
			*d++ = s[1] == 'n' ? '\n' : '\r';
			s++;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
}

/* Does @text occur @times times in the COM1 output?  Lock held. */
static int
serial_has(const char *text, int times)
{
	const char *p = run.serial;

	while (p && times > 0 && (p = strstr(p, text))) {
		times--;
		p += strlen(text) ? strlen(text) : 1;
	}
	return times == 0;
}

static int
wait_serial(const char *text, int times)
{
	struct timespec t;
	int found = 0, r = 0;

	deadline(&t, run.wait_s);
	pthread_mutex_lock(&run.lock);
	while (!(found = serial_has(text, times)) && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&run.cond, &run.lock, &t);
	pthread_mutex_unlock(&run.lock);
	return found;
}

static int
read_pixel(uint32_t head, uint32_t x, uint32_t y, uint32_t *px, uint32_t *w,
	   uint32_t *h)
{
	struct vmm_head_info hi;
	int ok = 0;

	vmm_head_lock(run.vm, head);
	if (!vmm_head_query(run.vm, head, &hi) && hi.enabled) {
		*w = hi.width;
		*h = hi.height;
		if (x < hi.width && y < hi.height) {
			memcpy(px, hi.pixels + (size_t)y * hi.stride + x * 4,
			       4);
			ok = 1;
		}
	}
	vmm_head_unlock(run.vm, head);
	return ok;
}

static uint32_t
px_at(uint32_t head, uint32_t x, uint32_t y)
{
	uint32_t v = 0xdeadbeef, w, h;

	read_pixel(head, x, y, &v, &w, &h);
	return v;
}

static int64_t
read_counter(uint32_t head)
{
	uint32_t v = 0;

	for (int i = 0; i < TESTCARD_COUNTER_BLOCKS; i++) {
		uint32_t p = px_at(head, TESTCARD_COUNTER_X + 16 * i + 8,
				   TESTCARD_COUNTER_Y + 8);
		if (p == TESTCARD_BIT1_RGB)
			v = v << 1 | 1;
		else if (p == TESTCARD_BIT0_RGB)
			v = v << 1;
		else
			return -1;
	}
	return v;
}

/* The static layers, as testcard.h defines them. */
static uint32_t
expect_static(uint32_t head, uint32_t x, uint32_t y)
{
	static const uint32_t bars[] = TESTCARD_BAR_RGB;
	char dg[3];
	uint32_t n = 0;

	if (x >= TESTCARD_HEADID_X && x < TESTCARD_HEADID_X + 64 && y < 16)
		return (head >> (3 - (x - TESTCARD_HEADID_X) / 16)) & 1
			   ? TESTCARD_BIT1_RGB
			   : TESTCARD_BIT0_RGB;
	if (head >= 10)
		dg[n++] = (char)('0' + head / 10);
	dg[n++] = (char)('0' + head % 10);
	if (x >= TESTCARD_DIGITS_X && y >= TESTCARD_DIGITS_Y) {
		uint32_t dx = x - TESTCARD_DIGITS_X, g = dx / 48;
		uint32_t cx = (dx % 48) / 8, cy = (y - TESTCARD_DIGITS_Y) / 8;

		if (g < n && cx < 5 && cy < 7 && font_dot(dg[g], cx, cy))
			return TESTCARD_DIGIT_RGB;
	}
	if (y >= TESTCARD_BARS_Y && y < TESTCARD_BARS_Y + TESTCARD_BAR_HEIGHT &&
	    x < TESTCARD_BAR_COUNT * TESTCARD_BAR_WIDTH)
		return bars[x / TESTCARD_BAR_WIDTH];
	if (x % 64 == 0 || y % 64 == 0)
		return TESTCARD_GRID_RGB;
	return TESTCARD_BACKGROUND_RGB;
}

/* A copy of @head as the display model has it (one refresh, consistent). */
static uint32_t *
snapshot(uint32_t head, uint32_t *w, uint32_t *h)
{
	struct vmm_head_info hi;
	uint32_t *px = NULL;

	*w = *h = 0;
	vmm_head_lock(run.vm, head);
	if (!vmm_head_query(run.vm, head, &hi) && hi.enabled &&
	    (px = malloc((size_t)hi.width * hi.height * 4))) {
		for (uint32_t y = 0; y < hi.height; y++)
			memcpy(px + (size_t)y * hi.width,
			       hi.pixels + (size_t)y * hi.stride,
			       (size_t)hi.width * 4);
		*w = hi.width;
		*h = hi.height;
	}
	vmm_head_unlock(run.vm, head);
	return px;
}

static int
in_rect(uint32_t x, uint32_t y, uint32_t rx, uint32_t ry, uint32_t rw,
	uint32_t rh)
{
	return x >= rx && x < rx + rw && y >= ry && y < ry + rh;
}

/* The counter and video of a snapshot agree with one frame near it. */
static int
check_dynamic(const uint32_t *px, uint32_t w, char *why, size_t wl)
{
	uint32_t c = 0;

	for (int i = 0; i < TESTCARD_COUNTER_BLOCKS; i++) {
		uint32_t p = px[(size_t)(TESTCARD_COUNTER_Y + 8) * w +
				TESTCARD_COUNTER_X + 16 * i + 8];
		if (p != TESTCARD_BIT1_RGB && p != TESTCARD_BIT0_RGB) {
			snprintf(why, wl, "counter block %d is %06x", i, p);
			return 0;
		}
		c = c << 1 | (p == TESTCARD_BIT1_RGB);
	}
	if (c < 1) {
		snprintf(why, wl, "frame counter is 0");
		return 0;
	}
	for (int64_t f = (int64_t)c - 1; f <= (int64_t)c + 1; f++) {
		int good = 1;

		for (uint32_t y = 0; y < TESTCARD_VIDEO_HEIGHT && good; y++)
			for (uint32_t x = 0; x < TESTCARD_VIDEO_WIDTH; x++)
				if (px[(size_t)(TESTCARD_VIDEO_Y + y) * w +
				       TESTCARD_VIDEO_X + x] !=
				    TESTCARD_VIDEO_PIXEL(x, y, f)) {
					good = 0;
					break;
				}
		if (good)
			return 1;
	}
	snprintf(why, wl, "video rectangle matches no frame near %u", c);
	return 0;
}

/* One pass over every pixel of @head (the text line of head 0 aside);
 * @why says what was wrong. */
static int
check_card_once(uint32_t head, uint32_t ew, uint32_t eh, char *why, size_t wl)
{
	uint32_t w, h, *px = snapshot(head, &w, &h);
	int ok = 1;

	if (!px || w != ew || h != eh) {
		snprintf(why, wl, "head %u is %ux%u, want %ux%u", head, w, h,
			 ew, eh);
		free(px);
		return 0;
	}
	for (uint32_t y = 0; y < h && ok; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t v = px[(size_t)y * w + x], e;

			if (in_rect(x, y, TESTCARD_COUNTER_X,
				    TESTCARD_COUNTER_Y, 512, 16) ||
			    in_rect(x, y, TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
				    TESTCARD_VIDEO_WIDTH,
				    TESTCARD_VIDEO_HEIGHT) ||
			    (head == 0 &&
			     in_rect(x, y, TESTCARD_TEXT_X, TESTCARD_TEXT_Y,
				     TESTCARD_TEXT_WIDTH,
				     TESTCARD_TEXT_HEIGHT)))
				continue;
			if (v != (e = expect_static(head, x, y))) {
				snprintf(why, wl,
					 "pixel (%u,%u) is %06x, want %06x", x,
					 y, v, e);
				ok = 0;
				break;
			}
		}
	if (ok &&
	    (w < 512 + 0 || h < TESTCARD_VIDEO_Y + TESTCARD_VIDEO_HEIGHT ||
	     w < TESTCARD_VIDEO_X + TESTCARD_VIDEO_WIDTH))
		ok = 1; /* too small for the counter and video: done */
	else if (ok)
		ok = check_dynamic(px, w, why, wl);
	free(px);
	return ok;
}

static int
check_card(uint32_t head, uint32_t w, uint32_t h, char *why, size_t wl)
{
	uint64_t end = now_ns() + (uint64_t)(run.wait_s * 1e9);

	do {
		if (check_card_once(head, w, h, why, wl))
			return 1;
		run_sleep_ms(100);
	} while (now_ns() < end);
	return 0;
}

/* ---- actions ------------------------------------------------------------ */

/* head 0's counter while paused: by "pause", or "frame" after a restore */
static int64_t c_paused;

static int
act_pause_resume(int pause)
{

	if (pause) {
		int64_t c1, c2;

		if (vmm_pause(run.vm))
			return 0;
		run_sleep_ms(100); /* let the last refresh land */
		c1 = read_counter(0);
		run_sleep_ms(1500);
		c2 = read_counter(0);
		c_paused = c2;
		tap_diag("paused at frame %lld, 1.5 s later %lld",
			 (long long)c1, (long long)c2);
		return c1 > 0 && c1 == c2 &&
		       vmm_get_state(run.vm) == VMM_STATE_PAUSED;
	} else {
		uint64_t end = now_ns() + (uint64_t)(run.wait_s * 1e9);
		int64_t c;

		if (vmm_resume(run.vm))
			return 0;
		do {
			run_sleep_ms(20);
			c = read_counter(0);
		} while (c == c_paused && now_ns() < end);
		tap_diag("resumed: frame %lld after %lld", (long long)c,
			 (long long)c_paused);
		/* continues from where it stopped: no catch-up for the
		 * 45 frames the pause lasted */
		return c > c_paused && c < c_paused + 20;
	}
}

static int
act_resized(uint32_t head, uint32_t w, uint32_t h)
{
	uint64_t end = now_ns() + (uint64_t)(run.wait_s * 1e9);
	int ok;

	do {
		pthread_mutex_lock(&run.lock);
		ok = run.head[head].resizes && run.head[head].w == w &&
		     run.head[head].h == h && run.head[head].dx0 <= 0 &&
		     run.head[head].dy0 <= 0 && run.head[head].dx1 >= w &&
		     run.head[head].dy1 >= h;
		pthread_mutex_unlock(&run.lock);
		if (ok)
			return 1;
		run_sleep_ms(50);
	} while (now_ns() < end);
	return 0;
}

static int
act_damage(uint32_t head)
{
	int rects, stray, c0;

	/* let two refreshes pass first: the one that published the frame
	 * the card check saw may still be delivering its damage */
	pthread_mutex_lock(&run.lock);
	c0 = run.head[head].completes;
	pthread_mutex_unlock(&run.lock);
	for (int i = 0; i < 200; i++) {
		int c;

		run_sleep_ms(10);
		pthread_mutex_lock(&run.lock);
		c = run.head[head].completes;
		pthread_mutex_unlock(&run.lock);
		if (c >= c0 + 2)
			break;
	}
	pthread_mutex_lock(&run.lock);
	run.head[head].rects = run.head[head].stray = 0;
	run.head[head].watch = 1;
	pthread_mutex_unlock(&run.lock);
	/* a second at least; longer (up to the wait limit) on a slow CPU
	 * that has not drawn a frame in it */
	run_sleep_ms(1000);
	for (int i = 0; i < run.wait_s * 10; i++) {
		pthread_mutex_lock(&run.lock);
		rects = run.head[head].rects;
		pthread_mutex_unlock(&run.lock);
		if (rects)
			break;
		run_sleep_ms(100);
	}
	pthread_mutex_lock(&run.lock);
	run.head[head].watch = 0;
	rects = run.head[head].rects;
	stray = run.head[head].stray;
	pthread_mutex_unlock(&run.lock);
	tap_diag("head %u: %d damage rectangles, %d outside", head, rects,
		 stray);
	return rects > 0 && stray == 0;
}

static int
act_whole(uint32_t head)
{
	int checked, torn;

	pthread_mutex_lock(&run.lock);
	run.head[head].checked = run.head[head].torn = 0;
	run.head[head].whole = 1;
	pthread_mutex_unlock(&run.lock);
	run_sleep_ms(1000);
	pthread_mutex_lock(&run.lock);
	run.head[head].whole = 0;
	checked = run.head[head].checked;
	torn = run.head[head].torn;
	pthread_mutex_unlock(&run.lock);
	tap_diag("head %u: %d refreshes, %d showed parts of two frames", head,
		 checked, torn);
	return checked > 0 && torn == 0;
}

static int
act_exit(const char *want)
{
	struct timespec t;
	int r = 0;

	deadline(&t, run.wait_s);
	pthread_mutex_lock(&run.lock);
	while (!run.stopped && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&run.cond, &run.lock, &t);
	pthread_mutex_unlock(&run.lock);
	if (!run.stopped) {
		tap_diag("VM still running");
		return 0;
	}
	tap_diag("VM stopped: %s", vmm_exit_reason_name(run.reason));
	return vmm_wait(run.vm) == run.reason &&
	       !strcmp(vmm_exit_reason_name(run.reason), want);
}

static int
act_dump(uint32_t head, const char *file)
{
	struct vmm_head_info hi;
	FILE *f = fopen(file, "wb");

	if (!f)
		return 0;
	vmm_head_lock(run.vm, head);
	vmm_head_query(run.vm, head, &hi);
	fprintf(f, "P6\n%u %u\n255\n", hi.width, hi.height);
	for (uint32_t y = 0; y < hi.height; y++)
		for (uint32_t x = 0; x < hi.width; x++) {
			const uint8_t *p = hi.pixels + y * hi.stride + x * 4;
			fputc(p[2], f);
			fputc(p[1], f);
			fputc(p[0], f);
		}
	vmm_head_unlock(run.vm, head);
	return fclose(f) == 0;
}

static int
act_save(const char *file)
{
	char err[512];
	uint64_t t0 = now_ns();
	int r = vmm_save_state(run.vm, file, err, sizeof(err));
	uint64_t t1 = now_ns();
	struct stat st;

	if (r) {
		tap_diag("save: %s", err);
		return 0;
	}
	tap_diag("saved at frame %lld", (long long)read_counter(0));
	/* for the benchmark (bench/savestate.sh); never asserted */
	tap_diag("save took %.1f ms, %lld bytes", (t1 - t0) / 1e6,
		 stat(file, &st) ? -1LL : (long long)st.st_size);
	return 1;
}

static int
act_dumpall(const char *prefix)
{
	char path[4096];
	int ok = 1;

	for (uint32_t h = 0; h < vmm_head_count(run.vm); h++) {
		snprintf(path, sizeof(path), "%s-%u.ppm", prefix, h);
		ok &= act_dump(h, path);
	}
	return ok;
}

static void
action(char *a)
{
	char *arg = strchr(a, ':'), *v[6] = {0};
	int n = 0;
	char why[160] = "";

	if (arg) {
		*arg++ = 0;
		/* serial text may contain commas: only split the others */
		if (strcmp(a, "serial") && strcmp(a, "serial2"))
			for (char *s = strtok(arg, ","); s && n < 6;
			     s = strtok(NULL, ","))
				v[n++] = s;
	}
#define U(i) ((uint32_t)strtoul(v[i] ? v[i] : "0", NULL, 0))
	if ((!strcmp(a, "serial") || !strcmp(a, "serial2")) && arg) {
		char *want = strdup(arg);
		int times = a[6] ? 2 : 1;

		unescape(want);
		tap_ok(want && wait_serial(want, times), "COM1 shows \"%s\"%s",
		       arg, times > 1 ? " twice" : "");
		free(want);
	} else if (!strcmp(a, "card") && n >= 1) {
		uint32_t h = U(0), w, ht;

		w = h ? TESTCARD_HEADN_WIDTH : TESTCARD_HEAD0_WIDTH;
		ht = h ? TESTCARD_HEADN_HEIGHT : TESTCARD_HEAD0_HEIGHT;
		if (n >= 3) {
			w = U(1);
			ht = U(2);
		}
		int good = check_card(h, w, ht, why, sizeof(why));

		tap_ok(good, "head %u shows the test card at %ux%u", h, w, ht);
		if (!good)
			tap_diag("%s", why);
	} else if (!strcmp(a, "pixel") && n == 4) {
		uint64_t end = now_ns() + (uint64_t)(run.wait_s * 1e9);
		uint32_t want = (uint32_t)strtoul(v[3], NULL, 16), got;

		while ((got = px_at(U(0), U(1), U(2))) != want &&
		       now_ns() < end)
			run_sleep_ms(50);
		tap_ok(got == want, "head %u pixel (%u,%u) is %06x (%06x)",
		       U(0), U(1), U(2), want, got);
	} else if (!strcmp(a, "key") && n == 2) {
		bool e0 = strlen(v[0]) == 4 && !strncmp(v[0], "e0", 2);
		uint8_t code = (uint8_t)strtoul(v[0] + (e0 ? 2 : 0), NULL, 16);

		tap_ok(!vmm_input_key(run.vm, code, e0, !strcmp(v[1], "up")),
		       "key %s %s injected", v[0], v[1]);
	} else if (!strcmp(a, "scancodes") && n >= 1) {
		uint8_t b[6];

		for (int i = 0; i < n; i++)
			b[i] = (uint8_t)strtoul(v[i], NULL, 16);
		tap_ok(!vmm_input_scancodes(run.vm, b, (size_t)n),
		       "%d raw scancodes injected", n);
	} else if (!strcmp(a, "ptr") && n >= 4) {
		tap_ok(!vmm_input_pointer(
			   run.vm, U(0), (int32_t)U(1), (int32_t)U(2), U(3),
			   n > 4 ? (int32_t)strtol(v[4], NULL, 0) : 0, 0),
		       "pointer %s,%s,%s on head %s injected", v[1], v[2], v[3],
		       v[0]);
	} else if (!strcmp(a, "hint") && n == 3) {
		tap_ok(!vmm_head_mode_hint(run.vm, U(0), U(1), U(2)),
		       "mode hint %ux%u for head %u", U(1), U(2), U(0));
	} else if (!strcmp(a, "resized") && n == 3) {
		tap_ok(act_resized(U(0), U(1), U(2)),
		       "head %u resized to %ux%u and damage covers it", U(0),
		       U(1), U(2));
	} else if (!strcmp(a, "pause")) {
		tap_ok(act_pause_resume(1), "pause stops the frame counter");
	} else if (!strcmp(a, "resume")) {
		tap_ok(act_pause_resume(0),
		       "resume continues the frame counter");
	} else if (!strcmp(a, "exit") && n == 1) {
		tap_ok(act_exit(v[0]), "VM stopped with reason %s", v[0]);
	} else if (!strcmp(a, "poweroff")) {
		tap_ok(!vmm_poweroff(run.vm), "host power off");
	} else if (!strcmp(a, "uncover") && n == 1) {
		pthread_mutex_lock(&run.lock);
		run.head[U(0)].dx0 = run.head[U(0)].dy0 = INT64_MAX;
		run.head[U(0)].dx1 = run.head[U(0)].dy1 = INT64_MIN;
		pthread_mutex_unlock(&run.lock);
		tap_ok(1, "damage of head %u forgotten", U(0));
	} else if (!strcmp(a, "covered") && n == 1) {
		tap_ok(act_resized(U(0), run.head[U(0)].w, run.head[U(0)].h),
		       "damage covers all of head %u", U(0));
	} else if (!strcmp(a, "reset")) {
		tap_ok(!vmm_reset(run.vm), "host reset");
	} else if (!strcmp(a, "powerbutton")) {
		tap_ok(!vmm_power_button(run.vm), "power button pressed");
	} else if (!strcmp(a, "damage") && n == 1) {
		tap_ok(act_damage(U(0)),
		       "damage on head %u is only the counter and the video",
		       U(0));
	} else if (!strcmp(a, "save") && n == 1) {
		tap_ok(act_save(v[0]), "state saved to %s", v[0]);
	} else if (!strcmp(a, "dumpall") && n == 1) {
		tap_ok(act_dumpall(v[0]), "every head written to %s-*.ppm",
		       v[0]);
	} else if (!strcmp(a, "refresh")) {
		vmm_display_refresh(run.vm);
		tap_ok(1, "display refreshed");
	} else if (!strcmp(a, "frame") && n == 1) {
		int64_t c = read_counter(0);

		c_paused = c;
		tap_ok(c == (int64_t)strtoll(v[0], NULL, 10),
		       "frame counter reads %s (%lld)", v[0], (long long)c);
	} else if (!strcmp(a, "whole") && n == 1) {
		tap_ok(act_whole(U(0)), "every refresh of head %u is one frame",
		       U(0));
	} else if (!strcmp(a, "presents") && n == 1) {
		uint64_t want = strtoull(v[0], NULL, 10), got = 0;

		for (int i = 0; i < run.wait_s * 10; i++) {
			got = vmm_display_presents(run.vm);
			if (got >= want)
				break;
			run_sleep_ms(100);
		}
		tap_ok(got >= want,
		       "%llu refreshes started by the guest's "
		       "present (%s wanted)",
		       (unsigned long long)got, v[0]);
	} else if (!strcmp(a, "dump") && n == 2) {
		tap_ok(act_dump(U(0), v[1]), "head %u written to %s", U(0),
		       v[1]);
	} else {
		tap_ok(0, "unknown action %s", a);
	}
#undef U
}

static void *
sigterm_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	if (sigwait(set, &sig) == 0) {
		tap_diag("signal %d: powering off", sig);
		vmm_poweroff(run.vm);
	}
	return NULL;
}

/* Resident memory (KiB) of the process and of the guest-RAM mapping. */
static void
rss_kib(uint64_t ram_bytes, long *total, long *guest)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long a, b;
	int in_ram = 0;
	long kb;

	*total = *guest = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 &&
		    strchr(line, '-') && line[0] != ' ') {
			in_ram = (b - a) == ram_bytes;
		} else if (sscanf(line, "Rss: %ld kB", &kb) == 1) {
			*total += kb;
			if (in_ram)
				*guest += kb;
		}
	}
	fclose(f);
}

/* Process CPU seconds (user + system, every thread) so far. */
static double
bench_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Head 0's frame counter as the guest last completed it, and when it was
 * read (@t_ns).  A refresh can catch the guest between two counter
 * blocks, so a value counts only when the reads a refresh before and
 * after it agree (rising by at most a few frames); -1 if none did. */
static int64_t
bench_counter(uint64_t *t_ns)
{
	for (int i = 0; i < 20; i++) {
		int64_t a, b, c;

		a = read_counter(0);
		run_sleep_ms(20);
		b = read_counter(0);
		*t_ns = now_ns();
		run_sleep_ms(20);
		c = read_counter(0);
		if (a >= 0 && a <= b && b <= c && c - a <= 3)
			return b;
	}
	return -1;
}

/*
 * The benchmark's figures, taken while the testcard runs (before the
 * actions, which usually power it off): start-up times, memory half a
 * second after "ready", then over a fixed window the frames the guest
 * drew (its own frame counter on head 0: "fps"), the refreshes of head 0
 * that carried damage (update_complete is only called for those:
 * "updates_per_s"; a frame drawn across several refreshes counts in each),
 * the refreshes the guest's PRESENT started ("presents_per_s")
 * and the process's CPU (VMM and vCPU together, in cores).  -1 marks a
 * figure that could not be taken.
 */
static void
bench_report(uint64_t ram_bytes)
{
	const char *env = getenv("VIREO_BENCH_SECONDS");
	double win = env ? atof(env) : 5, cpu0, cpu1, wall;
	int64_t g0, g1;
	uint64_t t0, t1, tg0 = 0, tg1 = 0, p0, p1;
	int c0, c1;
	long total, guest;

	if (win <= 0 || win > 600)
		win = 5;
	wait_serial(TESTCARD_READY_PREFIX, 1);
	run_sleep_ms(500);
	rss_kib(ram_bytes, &total, &guest);
	g0 = bench_counter(&tg0);
	pthread_mutex_lock(&run.lock);
	c0 = run.head[0].completes;
	pthread_mutex_unlock(&run.lock);
	cpu0 = bench_cpu_s();
	p0 = vmm_display_presents(run.vm);
	t0 = now_ns();
	run_sleep_ms((int)(win * 1000));
	pthread_mutex_lock(&run.lock);
	c1 = run.head[0].completes;
	pthread_mutex_unlock(&run.lock);
	cpu1 = bench_cpu_s();
	p1 = vmm_display_presents(run.vm);
	t1 = now_ns();
	g1 = bench_counter(&tg1);
	wall = (t1 - t0) / 1e9;
	printf("{\"accel\": \"%s\", "
	       "\"first_update_ms\": %.1f, \"ready_ms\": %.1f, "
	       "\"rss_kib\": %ld, \"guest_ram_rss_kib\": %ld, "
	       "\"rss_beyond_guest_ram_kib\": %ld, \"window_s\": %.3f, "
	       "\"fps\": %.2f, \"updates_per_s\": %.2f, "
	       "\"presents_per_s\": %.2f, \"cpu_cores\": %.4f}\n",
	       vmm_accel_name(vmm_get_accel(run.vm)),
	       run.t_first_update ? (run.t_first_update - run.t0) / 1e6 : -1.0,
	       run.t_ready ? (run.t_ready - run.t0) / 1e6 : -1.0, total, guest,
	       total - guest, wall,
	       g0 >= 0 && g1 >= g0 ? (g1 - g0) / ((tg1 - tg0) / 1e9) : -1.0,
	       (c1 - c0) / wall, (p1 - p0) / wall, (cpu1 - cpu0) / wall);
	fflush(stdout);
}

/* 0: @accel can run the testcard here; 77: it is not available (no
 * /dev/kvm, no permission, no such device, a failed API check); 1: it
 * failed for another reason, which a test must not skip over. */
static int
run_probe(enum vmm_accel accel, char *err, size_t errlen)
{
	int r;

	if (accel == VMM_ACCEL_AUTO)
		return 0;
	r = vmm_accel_probe(accel, err, errlen);
	if (!r)
		return 0;
	if (r == -ENOENT || r == -EACCES || r == -ENXIO || r == -ENOTSUP ||
	    r == -ENODEV)
		return 77;
	return 1;
}

int
main(int argc, char **argv)
{
	struct vmm_config cfg = {.cpus = 1,
				 .ram_bytes = 64ull << 20,
				 .heads = 1,
				 .boot = VMM_BOOT_TESTCARD,
				 .accel = VMM_ACCEL_SOFTWARE};
	char err[512];
	const char *restore = NULL;
	int opt, skip = 0, bench = 0, probe = 0, r;
	static sigset_t set;
	pthread_t st;

	run.t0 = getenv("VIREO_BENCH_T0")
		     ? strtoull(getenv("VIREO_BENCH_T0"), NULL, 10)
		     : wall_ns();
	run.wait_s = 30;
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.cond, NULL);
	cfg.kernel = getenv("VIREO_TESTCARD");
	while ((opt = getopt(argc, argv, "H:c:m:k:LGi:a:s:t:SbOA:PpR:uU")) !=
	       -1) {
		switch (opt) {
		case 'H':
			cfg.heads = (uint32_t)atoi(optarg);
			break;
		case 'c':
			cfg.cpus = (uint32_t)atoi(optarg);
			break;
		case 'm':
			cfg.ram_bytes = strtoull(optarg, NULL, 0) << 20;
			break;
		case 'k':
			cfg.kernel = optarg;
			break;
		case 'L':
			cfg.boot = VMM_BOOT_LINUX;
			break;
		case 'G':
			cfg.linux_guest_decompress = true;
			break;
		case 'i':
			cfg.initrd = optarg;
			break;
		case 'a':
			cfg.cmdline = optarg;
			break;
		case 's':
			cfg.serial_log = optarg;
			break;
		case 't':
			run.wait_s = atof(optarg);
			break;
		case 'S':
			skip = 1;
			break;
		case 'b':
			bench = 1;
			break;
		case 'O':
			cfg.serial_stdout = true;
			break;
		case 'A':
			if (vmm_accel_parse(optarg, &cfg.accel)) {
				fprintf(stderr,
					"vmm-run: unknown accelerator "
					"'%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'P':
			probe = 1;
			break;
		case 'p':
			cfg.start_paused = true;
			break;
		case 'u': /* an OHCI controller */
			cfg.usb_ohci = true;
			break;
		case 'U': /* and the USB tablet on it */
			cfg.usb_ohci = cfg.usb_tablet = true;
			break;
		case 'R':
			restore = optarg;
			cfg.start_paused = true;
			break;
		default:
			fprintf(stderr, "usage: vmm-run [options] action...\n");
			return 2;
		}
	}
	if (probe || (skip && cfg.accel != VMM_ACCEL_AUTO)) {
		r = run_probe(cfg.accel, err, sizeof(err));
		if (probe) {
			if (r)
				printf("%s\n", err);
			return r;
		}
		if (r == 77)
			tap_skip_all(err);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	r = vmm_create(&cfg, &run_ops, NULL, &run.vm, err, sizeof(err));
	if (r) {
		fprintf(stderr, "vmm-run: %s\n", err);
		printf("1..1\nnot ok 1 - create the VM: %s\n", err);
		return 1;
	}
	if (!bench)
		printf("# accelerator: %s\n",
		       vmm_accel_name(vmm_get_accel(run.vm)));
	if (restore) {
		uint64_t t0 = now_ns();

		if (vmm_restore_state(run.vm, restore, err, sizeof(err))) {
			fprintf(stderr, "vmm-run: cannot restore %s: %s\n",
				restore, err);
			vmm_destroy(run.vm);
			return 3;
		}
		/* for the benchmark; never asserted */
		tap_diag("restore took %.1f ms", (now_ns() - t0) / 1e6);
	}
	vmm_set_serial_sink(run.vm, serial_sink, NULL);
	pthread_create(&st, NULL, sigterm_thread, &set);
	pthread_detach(st);
	if (vmm_start(run.vm)) {
		printf("1..1\nnot ok 1 - start the VM\n");
		return 1;
	}
	if (bench)
		bench_report(cfg.ram_bytes);
	for (int i = optind; i < argc; i++)
		action(argv[i]);
	printf("1..%d\n", tap_count);
	fflush(stdout);
	vmm_destroy(run.vm);
	return tap_done();
}
