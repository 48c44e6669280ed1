/*
 * watch.c - frame rate, input-to-display latency, bytes and server CPU as
 * seen by a benchmark client (see watch.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <math.h>

#include "guest/card.h"
#include "watch.h"

double
watch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
watch_init(struct watch *w)
{
	memset(w, 0, sizeof(*w));
	w->t_process = watch_now();
	w->seconds = 10;
	w->key_interval = 0.25;
	w->server = "?";
	w->scenario = "rect";
	w->q_sse = -1;
}

int
watch_option(struct watch *w, int argc, char **argv, int *i)
{
	const char *opt = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (!val)
		return 0;
	if (!strcmp(opt, "--server"))
		w->server = val;
	else if (!strcmp(opt, "--scenario"))
		w->scenario = val;
	else if (!strcmp(opt, "--server-pid"))
		w->server_pid = atoi(val);
	else if (!strcmp(opt, "--exclude-threads"))
		w->exclude_threads = val;
	else if (!strcmp(opt, "--seconds"))
		w->seconds = atof(val);
	else if (!strcmp(opt, "--cpu-baseline"))
		w->cpu_baseline = atof(val);
	else if (!strcmp(opt, "--dump"))
		w->dump = val;
	else if (!strcmp(opt, "--key-interval"))
		w->key_interval = atof(val);
	else if (!strcmp(opt, "--cycle"))
		w->cycle = (uint32_t)atoi(val);
	else
		return 0;
	(*i)++;
	return 1;
}

/* Reads the 32 counter blocks; 0 when they do not look like a counter. */
static uint32_t
watch_counter(const uint8_t *px, unsigned width, unsigned height,
	      unsigned stride)
{
	uint32_t v = 0;

	if (width < TESTCARD_COUNTER_BLOCKS * TESTCARD_BLOCK_SIZE ||
	    height < TESTCARD_BLOCK_SIZE)
		return 0;
	for (unsigned i = 0; i < TESTCARD_COUNTER_BLOCKS; i++) {
		const uint8_t *p =
		    px + (TESTCARD_BLOCK_SIZE / 2) * stride +
		    (i * TESTCARD_BLOCK_SIZE + TESTCARD_BLOCK_SIZE / 2) * 4;
		int b = p[0], g = p[1], r = p[2];
		int lo = b < 64 && g < 64 && r < 64;
		int hi = b > 192 && g > 192 && r > 192;
		if (!lo && !hi)
			return 0; /* lossy or not drawn yet */
		v = v << 1 | (uint32_t)hi;
	}
	return v;
}

static uint64_t
watch_text_sum(const uint8_t *px, unsigned width, unsigned height,
	       unsigned stride)
{
	uint64_t sum = 0;

	if (width < TESTCARD_TEXT_X + TESTCARD_TEXT_WIDTH ||
	    height < TESTCARD_TEXT_Y + TESTCARD_TEXT_HEIGHT)
		return 0;
	for (unsigned y = 0; y < TESTCARD_TEXT_HEIGHT; y++) {
		const uint8_t *row =
		    px + (TESTCARD_TEXT_Y + y) * stride + TESTCARD_TEXT_X * 4;
		/* Bright pixels only: robust against lossy codecs. */
		for (unsigned x = 0; x < TESTCARD_TEXT_WIDTH * 4; x += 4)
			sum = sum * 31 + (row[x + 1] > 128);
	}
	return sum;
}

static long
watch_cpu_ticks(const struct watch *w)
{
	char path[320], buf[512];
	long total = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", w->server_pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat",
			 w->server_pid, de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');
		if (!open || !close)
			continue;
		*close = 0;
		if (w->exclude_threads && strstr(open + 1, w->exclude_threads))
			continue; /* a vCPU thread: the guest's work */
		unsigned long ut, st;
		/* fields 14 and 15 counted from the state after ')' (3) */
		if (sscanf(
			close + 2,
			"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			&ut, &st) == 2)
			total += (long)(ut + st);
	}
	closedir(d);
	return total;
}

static long
watch_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Bytes received on every TCP socket of this process. */
static uint64_t
watch_bytes(void)
{
	uint64_t total = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		struct stat st;
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		if (de->d_name[0] == '.' || fstat(fd, &st) < 0 ||
		    !S_ISSOCK(st.st_mode))
			continue;
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
			total += ti.tcpi_bytes_received;
	}
	closedir(d);
	return total;
}

/* The test card's own picture of frame @frame at @width x @height, in
 * the scene the scenario names (rect: the card; desktop*: the desktop
 * scene), into w->q_ref.  @return 0, or -1 out of memory. */
static int
watch_q_render(struct watch *w, uint32_t frame, unsigned width, unsigned height)
{
	static struct card c;

	if (w->q_w != width || w->q_h != height) {
		free(w->q_ref);
		w->q_ref = malloc((size_t)width * height * 4);
		w->q_w = w->q_ref ? width : 0;
		w->q_h = w->q_ref ? height : 0;
		if (!w->q_ref)
			return -1;
	}
	memset(&c, 0, sizeof(c));
	c.nheads = 1;
	c.frame = frame;
	c.scene = strncmp(w->scenario, "desktop", 7) ? TESTCARD_SCENE_CARD
						     : TESTCARD_SCENE_DESKTOP;
	c.head[0] = (struct card_head){.enabled = 1,
				       .fb = w->q_ref,
				       .width = width,
				       .height = height,
				       .pitch = width,
				       .cross_x = -1,
				       .cross_y = -1};
	card_draw_full(&c, 0);
	return 0;
}

/* Squared error of the picture against w->q_ref, over R, G, B; the rect
 * scene's text line is skipped (typed keys change it). */
static double
watch_q_sse(const struct watch *w, const uint8_t *px, unsigned stride)
{
	int text = strncmp(w->scenario, "desktop", 7) != 0;
	double sse = 0;

	for (unsigned y = 0; y < w->q_h; y++) {
		const uint8_t *row = px + (size_t)y * stride;
		const uint32_t *ref = w->q_ref + (size_t)y * w->q_w;
		uint64_t s = 0;

		if (text && y >= TESTCARD_TEXT_Y &&
		    y < TESTCARD_TEXT_Y + TESTCARD_TEXT_HEIGHT)
			continue;
		for (unsigned x = 0; x < w->q_w; x++) {
			int db = row[x * 4] - (int)(ref[x] & 0xff);
			int dg = row[x * 4 + 1] - (int)(ref[x] >> 8 & 0xff);
			int dr = row[x * 4 + 2] - (int)(ref[x] >> 16 & 0xff);

			s += (uint64_t)(db * db + dg * dg + dr * dr);
		}
		sse += (double)s;
	}
	return sse;
}

/* The frame being compared has been replaced: its last picture counts. */
static void
watch_q_commit(struct watch *w)
{
	double n = (double)w->q_w * w->q_h * 3, psnr;

	if (w->q_sse < 0 || w->npsnr >= WATCH_MAX_Q)
		return;

	if (w->q_sse == 0) {
		psnr = 99;
		w->nexact++;
	} else {
		psnr = 10 * log10(255.0 * 255.0 * n / w->q_sse);
		psnr = psnr > 99 ? 99 : psnr;
	}
	w->psnr[w->npsnr++] = psnr;
	w->q_sse = -1;
}

/* Called for every picture with its counter @v: starts a comparison about
 * once a second, keeps the error of the latest picture of that frame. */
static void
watch_quality(struct watch *w, double now, uint32_t v, const uint8_t *px,
	      unsigned width, unsigned height, unsigned stride)
{
	if (w->q_frame && v != w->q_frame) {
		watch_q_commit(w);
		w->q_frame = 0;
	}
	if (!w->q_frame && w->t_window && !watch_done(w) &&
	    now - w->q_t >= 1.0 && v) {
		if (watch_q_render(w, v, width, height) < 0)
			return;
		w->q_frame = v;
		w->q_t = now;
		w->q_sse = -1;
	}
	if (w->q_frame == v && w->q_w == width && w->q_h == height)
		w->q_sse = watch_q_sse(w, px, stride);
}

/* The counter moved to @v (a frame after the first): the cycle's ends. */
static void
watch_cycle(struct watch *w, uint32_t v)
{
	if (!w->cycle || w->cycle_bytes || v % w->cycle > v - w->counter - 1)
		return; /* no multiple of the cycle in (counter, v] */
	if (!w->cycle_from) {
		w->cycle_from = v;
		w->cycle_bytes0 = watch_bytes();
		w->cycle_distinct0 = w->distinct;
		w->cycle_gaps0 = w->gaps;
	} else if (v >= w->cycle_from + w->cycle) {
		w->cycle_bytes = watch_bytes() - w->cycle_bytes0;
		w->cycle_frames = w->distinct - w->cycle_distinct0;
		w->cycle_gaps = w->gaps - w->cycle_gaps0;
	}
}

static void
watch_start_window(struct watch *w, double now)
{
	w->t_window = now;
	w->window_first = w->counter;
	w->bytes0 = watch_bytes();
	w->cpu_ticks0 = w->server_pid ? watch_cpu_ticks(w) : -1;
}

int
watch_frame(struct watch *w, const uint8_t *px, unsigned width, unsigned height,
	    unsigned stride)
{
	double now = watch_now();
	uint32_t v = watch_counter(px, width, height, stride);
	int fresh = 0;

	w->text_sum = watch_text_sum(px, width, height, stride);
	if (w->key_pending && w->text_sum != w->key_base) {
		if (w->nlat < WATCH_MAX_LAT)
			w->lat[w->nlat++] = now - w->key_time;
		w->key_pending = 0;
	}
	if (v && v != w->counter) {
		if (!w->t_first_frame) {
			w->t_first_frame = now;
			w->counter = v;
			watch_start_window(w, now);
			return 1;
		}
		if (v > w->counter && !watch_done(w)) {
			w->distinct++;
			w->gaps += v - w->counter - 1;
		}
		if (v > w->counter)
			watch_cycle(w, v);
		w->counter = v;
		fresh = 1;
	}
	watch_quality(w, now, v, px, width, height, stride);
	return fresh;
}

int
watch_want_key(struct watch *w, int *backspace)
{
	double now = watch_now();

	if (!w->t_window || watch_done(w) || w->key_interval <= 0)
		return 0;
	if (w->key_pending) {
		if (now - w->key_time < 2.0)
			return 0;
		w->key_pending = 0; /* no change within 2 s: lost */
		w->keys_lost++;
	}
	if (now - w->key_time < w->key_interval)
		return 0;
	/* Alternate a character and Backspace so the line never fills. */
	*backspace = (w->keys_sent - w->keys_lost) % 2 == 1;
	w->keys_sent++;
	w->key_pending = 1;
	w->key_time = now;
	w->key_base = w->text_sum;
	return 1;
}

void
watch_dump(const struct watch *w, const uint8_t *px, unsigned width,
	   unsigned height, unsigned stride)
{
	FILE *f = w->dump ? fopen(w->dump, "wb") : NULL;

	if (!f)
		return;
	fprintf(f, "P6 %u %u 255\n", width, height);
	for (unsigned y = 0; y < height; y++) {
		for (unsigned x = 0; x < width; x++) {
			const uint8_t *p = px + y * stride + x * 4;
			uint8_t rgb[3] = {p[2], p[1], p[0]};
			fwrite(rgb, 1, 3, f);
		}
	}
	fclose(f);
}

int
watch_done(const struct watch *w)
{
	return w->t_window && watch_now() - w->t_window >= w->seconds;
}

static int
watch_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
watch_pct(const double *v, unsigned n, double p)
{
	return n ? v[(unsigned)(p * (n - 1) + 0.5)] : 0;
}

int
watch_report(struct watch *w, FILE *out)
{
	double elapsed = watch_now() - w->t_window;
	uint64_t bytes = watch_bytes() - w->bytes0;

	if (!w->t_window) {
		fprintf(stderr, "watch: no frame counter seen\n");
		return -1;
	}
	qsort(w->lat, w->nlat, sizeof(w->lat[0]), watch_cmp);
	qsort(w->psnr, w->npsnr, sizeof(w->psnr[0]), watch_cmp);
	fprintf(out,
		"{\"bench\":\"serve\",\"server\":\"%s\",\"scenario\":\"%s\","
		"\"first_frame_s\":%.3f,\"window_s\":%.2f,\"frames\":%lu,"
		"\"fps\":%.2f,\"gaps\":%lu,\"keys\":%u,\"keys_lost\":%u",
		w->server, w->scenario, w->t_first_frame - w->t_process,
		elapsed, w->distinct, w->distinct / elapsed, w->gaps,
		w->keys_sent, w->keys_lost);
	if (w->nlat)
		fprintf(out, ",\"latency_ms_p50\":%.2f,\"latency_ms_p90\":%.2f",
			watch_pct(w->lat, w->nlat, 0.5) * 1e3,
			watch_pct(w->lat, w->nlat, 0.9) * 1e3);
	fprintf(out, ",\"bytes\":%llu,\"bytes_per_s\":%.0f",
		(unsigned long long)bytes, bytes / elapsed);
	if (w->distinct)
		fprintf(out, ",\"bytes_per_frame\":%.0f",
			(double)bytes / w->distinct);
	if (w->cycle_bytes)
		fprintf(out,
			",\"cycle\":%u,\"cycle_from\":%u,\"cycle_bytes\":%llu,"
			"\"cycle_frames\":%lu,\"cycle_gaps\":%lu",
			w->cycle, w->cycle_from,
			(unsigned long long)w->cycle_bytes, w->cycle_frames,
			w->cycle_gaps);
	if (w->npsnr)
		fprintf(out,
			",\"psnr_db_p50\":%.2f,\"psnr_db_p10\":%.2f,"
			"\"quality_samples\":%u,\"exact_share\":%.3f",
			watch_pct(w->psnr, w->npsnr, 0.5),
			watch_pct(w->psnr, w->npsnr, 0.1), w->npsnr,
			(double)w->nexact / w->npsnr);
	if (w->server_pid && w->cpu_ticks0 >= 0) {
		long ticks = watch_cpu_ticks(w) - w->cpu_ticks0;
		/* What the server spends without clients (a guest's vCPU)
		 * is not serving work. */
		double cpu = (double)ticks / sysconf(_SC_CLK_TCK) -
			     w->cpu_baseline * elapsed;
		cpu = cpu < 0 ? 0 : cpu;
		fprintf(out, ",\"server_cpu_s\":%.2f,\"server_rss_kb\":%ld",
			cpu, watch_rss_kb(w->server_pid));
		if (w->cpu_baseline > 0)
			fprintf(out, ",\"server_cpu_baseline_per_s\":%.3f",
				w->cpu_baseline);
		if (w->distinct)
			fprintf(out, ",\"server_cpu_ms_per_frame\":%.3f",
				cpu * 1e3 / w->distinct);
	}
	fprintf(out, "}\n");
	fflush(out);
	return 0;
}
