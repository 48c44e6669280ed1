/*
 * test-tsmf-session.c - the whole video path of the library, in memory:
 * testcard-like frames -> detector -> TurboJPEG -> TSMF server session ->
 * TSMF client session -> decoded frames composed into a client framebuffer.
 *
 * The server and client sessions talk through in-memory channels that
 * open asynchronously (like DVCs) and deliver one message per write.  The
 * "guest" draws the testcard's video rectangle (TESTCARD_VIDEO_PIXEL) and
 * its frame counter at 30 fps; the test checks that the video becomes a
 * presentation after the detector's tenth frame, that the client's
 * framebuffer matches the guest's pixels within a tolerance at the right
 * place (and nothing outside the rectangle is touched), that the stream
 * is shut down when the video stops, and reports bytes per frame at
 * quality 30, 75 and 100.  It also checks flow control (no ack, no more
 * frames) and a client without TSMF (never ready, nothing sent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/testcard.h"
#include "tap.h"
#include "tsmf_client.h"
#include "tsmf_server.h"
#include "video_detector.h"
#include "video_jpeg.h"

#define FB_W	 1024
#define FB_H	 768
#define MAX_MSGS 256

struct msg {
	int to_client; /* direction */
	int chan;
	uint8_t *data;
	size_t len;
};

struct world {
	struct tsmf_server *srv;
	struct tsmf_client *cli;
	struct msg q[MAX_MSGS];
	int nq;
	int next_chan;
	int opening[8]; /* channels opened, not yet accepted */
	int nopening;
	int closed;
	bool client_has_tsmf; /* false: the client never accepts */
	bool hold_acks;	      /* drop client->server messages */
	uint8_t *guest;	      /* server framebuffer */
	uint8_t *screen;      /* client framebuffer */
	uint64_t frames_composed;
};

static void
queue(struct world *w, int to_client, int chan, const uint8_t *p, size_t len)
{
	struct msg *m;

	if (w->nq == MAX_MSGS)
		return;
	m = &w->q[w->nq++];
	m->to_client = to_client;
	m->chan = chan;
	m->data = malloc(len);
	memcpy(m->data, p, len);
	m->len = len;
}

static int
srv_open(void *ctx)
{
	struct world *w = ctx;
	int chan = ++w->next_chan;

	w->opening[w->nopening++] = chan;
	return chan;
}

static int
srv_write(void *ctx, int chan, const uint8_t *p, size_t len)
{
	queue(ctx, 1, chan, p, len);
	return 0;
}

static void
srv_close(void *ctx, int chan)
{
	((struct world *)ctx)->closed++;
}

static const struct tsmf_server_ops srv_ops = {srv_open, srv_write, srv_close};

static int
cli_write(void *ctx, void *chan, const uint8_t *p, size_t len)
{
	struct world *w = ctx;

	if (!w->hold_acks)
		queue(w, 0, (int)(intptr_t)chan, p, len);
	return 0;
}

static void
cli_frame(void *ctx, const struct tsmf_client_frame *f)
{
	struct world *w = ctx;

	for (uint32_t y = 0; y < f->height; y++)
		memcpy(w->screen + ((size_t)(f->y + (int)y) * FB_W + f->x) * 4,
		       f->pixels + (size_t)y * f->stride, f->width * 4);
	w->frames_composed++;
}

static const struct tsmf_client_ops cli_ops = {cli_write, cli_frame};

/* Accept pending channel opens and deliver every queued message. */
static void
pump(struct world *w)
{
	for (int round = 0; round < 16; round++) {
		int n;
		struct msg q[MAX_MSGS];

		if (w->client_has_tsmf) {
			for (int i = 0; i < w->nopening; i++)
				tsmf_server_channel_open(w->srv, w->opening[i]);
			w->nopening = 0;
		}
		n = w->nq;
		memcpy(q, w->q, sizeof(q[0]) * (size_t)n);
		w->nq = 0;
		for (int i = 0; i < n; i++) {
			if (q[i].to_client)
				tsmf_client_on_data(w->cli,
						    (void *)(intptr_t)q[i].chan,
						    q[i].data, q[i].len);
			else
				tsmf_server_on_data(w->srv, q[i].chan,
						    q[i].data, q[i].len);
			free(q[i].data);
		}
		if (!w->nq && !(w->client_has_tsmf && w->nopening))
			return;
	}
}

static void
draw_frame(uint8_t *fb, uint32_t f)
{
	for (uint32_t y = 0; y < TESTCARD_VIDEO_HEIGHT; y++) {
		uint32_t *row =
		    (uint32_t *)(fb + ((size_t)(TESTCARD_VIDEO_Y + y) * FB_W +
				       TESTCARD_VIDEO_X) *
					  4);

		for (uint32_t x = 0; x < TESTCARD_VIDEO_WIDTH; x++)
			row[x] = TESTCARD_VIDEO_PIXEL(x, y, f);
	}
	for (uint32_t i = 0; i < 32; i++) { /* frame counter bits */
		uint32_t rgb = (f >> (31 - i)) & 1 ? 0xffffff : 0;

		for (uint32_t y = 0; y < 16; y++) {
			for (uint32_t x = 0; x < 16; x++)
				((uint32_t *)fb)[y * FB_W + i * 16 + x] = rgb;
		}
	}
}

struct run {
	int start_frame; /* guest frame at which the video started */
	uint64_t sent;	 /* frames the server sent */
	uint64_t bytes;	 /* JPEG bytes sent */
	double mean_err; /* client vs guest in the rectangle, last frame */
	int p99_err;	 /* 99% of the channel values are this close */
	long outside;	 /* client pixels changed outside the rectangle */
	uint64_t shutdowns;
	int closed;
	int refused; /* video_start errors */
};

static void
compare(struct world *w, struct run *r)
{
	uint64_t sum = 0, hist[256] = {0}, acc = 0;
	uint64_t total = TESTCARD_VIDEO_WIDTH * TESTCARD_VIDEO_HEIGHT * 3;

	r->outside = 0;
	for (uint32_t y = 0; y < FB_H; y++) {
		for (uint32_t x = 0; x < FB_W; x++) {
			const uint8_t *a =
			    w->screen + ((size_t)y * FB_W + x) * 4;
			const uint8_t *b =
			    w->guest + ((size_t)y * FB_W + x) * 4;
			bool in = x >= TESTCARD_VIDEO_X &&
				  x < TESTCARD_VIDEO_X + TESTCARD_VIDEO_WIDTH &&
				  y >= TESTCARD_VIDEO_Y &&
				  y < TESTCARD_VIDEO_Y + TESTCARD_VIDEO_HEIGHT;

			if (!in) {
				r->outside += a[0] | a[1] | a[2];
				continue;
			}
			for (int c = 0; c < 3; c++) {
				int d = abs(a[c] - b[c]);

				sum += (uint64_t)d;
				hist[d]++;
			}
		}
	}
	for (r->p99_err = 0; r->p99_err < 255; r->p99_err++) {
		acc += hist[r->p99_err];
		if (acc * 100 >= total * 99)
			break;
	}
	r->mean_err =
	    (double)sum / (TESTCARD_VIDEO_WIDTH * TESTCARD_VIDEO_HEIGHT * 3.0);
}

/* One guest frame: draw, detect, deliver. */
static void
guest_frame(struct world *w, struct video_detector *d, struct video_jpeg *j,
	    uint32_t f, uint64_t now, int quality, struct run *r)
{
	struct vrde_rect video = {TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
				  TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT};
	struct vrde_rect counter = {0, 0, 512, 16};
	struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];
	size_t n;

	draw_frame(w->guest, f);
	video_detector_feed(d, &counter);
	video_detector_feed(d, &video);
	n = video_detector_commit(d, now, ev, VIDEO_DETECTOR_MAX_EVENTS);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *jpg;
		size_t len;

		if (ev[i].type == VIDEO_EVENT_START) {
			r->start_frame = (int)f;
			if (tsmf_server_video_start(w->srv, ev[i].stream_id,
						    &ev[i].rect, TESTCARD_FPS))
				r->refused++;
			pump(w);
		}
		if (ev[i].type == VIDEO_EVENT_END) {
			tsmf_server_video_end(w->srv, ev[i].stream_id);
			continue;
		}
		if (!tsmf_server_video_can_send(w->srv, ev[i].stream_id) ||
		    video_jpeg_encode(j, w->guest, FB_W * 4, &ev[i].rect,
				      quality, &jpg, &len))
			continue;
		if (!tsmf_server_video_frame(w->srv, ev[i].stream_id, jpg, len,
					     now)) {
			r->sent++;
			r->bytes += len;
		}
	}
	pump(w);
}

static void
run_video(int quality, bool has_tsmf, bool hold_acks, struct run *r)
{
	struct world w;
	struct video_detector_params p;
	struct video_detector *d;
	struct video_jpeg *j = video_jpeg_new();
	struct tsmf_client_stats cs;
	uint64_t now = 1000;
	uint32_t f;

	memset(&w, 0, sizeof(w));
	memset(r, 0, sizeof(*r));
	w.client_has_tsmf = has_tsmf;
	w.guest = calloc(FB_W * FB_H, 4);
	w.screen = calloc(FB_W * FB_H, 4);
	w.srv = tsmf_server_new(&srv_ops, &w);
	w.cli = tsmf_client_new(&cli_ops, &w);
	tsmf_server_start(w.srv);
	pump(&w);
	w.hold_acks = hold_acks && tsmf_server_ready(w.srv);
	video_detector_params_default(&p);
	p.enabled = true;
	d = video_detector_new(&p);
	for (f = 1; f <= 40; f++, now += 33)
		guest_frame(&w, d, j, f, now, quality, r);
	compare(&w, r);
	/* the video stops: only timer ticks from now on */
	for (int t = 0; t < 5; t++, now += 100) {
		struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];
		size_t n = video_detector_commit(d, now, ev,
						 VIDEO_DETECTOR_MAX_EVENTS);

		for (size_t i = 0; i < n; i++) {
			if (ev[i].type == VIDEO_EVENT_END)
				tsmf_server_video_end(w.srv, ev[i].stream_id);
		}
		pump(&w);
	}
	tsmf_client_get_stats(w.cli, &cs);
	r->shutdowns = cs.shutdowns;
	r->closed = w.closed;
	video_detector_free(d);
	video_jpeg_free(j);
	tsmf_client_free(w.cli);
	tsmf_server_free(w.srv);
	free(w.guest);
	free(w.screen);
}

int
main(void)
{
	static const struct {
		int q;
		double mean;
		int p99;
	} qs[] = {{30, 5.0, 48}, {75, 2.5, 40}, {100, 1.0, 2}};
	struct run r;

	tap_plan(3 * 5 + 3);
	for (int i = 0; i < 3; i++) {
		run_video(qs[i].q, true, false, &r);
		tap_ok(r.start_frame == 11 && r.refused == 0,
		       "q%d: presentation starts with guest frame 11 (got %d)",
		       qs[i].q, r.start_frame);
		tap_ok(r.sent == 30, "q%d: frames 11..40 sent as JPEG (%llu)",
		       qs[i].q, (unsigned long long)r.sent);
		tap_ok(r.mean_err <= qs[i].mean && r.p99_err <= qs[i].p99,
		       "q%d: client pixels match the guest's (mean error "
		       "%.2f <= %.1f, 99%% within %d <= %d)",
		       qs[i].q, r.mean_err, qs[i].mean, r.p99_err, qs[i].p99);
		tap_ok(r.outside == 0,
		       "q%d: nothing drawn outside the video rectangle",
		       qs[i].q);
		tap_ok(r.shutdowns == 1 && r.closed == 1,
		       "q%d: the presentation is shut down and its channel "
		       "closed when the video stops",
		       qs[i].q);
		tap_diag("quality %d: %.0f bytes per %ux%u frame", qs[i].q,
			 r.sent ? (double)r.bytes / r.sent : 0.0,
			 TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT);
	}
	run_video(75, true, true, &r);
	tap_ok(r.sent == TSMF_SERVER_MAX_INFLIGHT,
	       "without PLAYBACK_ACKs only %d frames are in flight (%llu)",
	       TSMF_SERVER_MAX_INFLIGHT, (unsigned long long)r.sent);
	run_video(75, false, false, &r);
	tap_ok(r.sent == 0 && r.refused == 1,
	       "a client without TSMF gets no presentation and no frames");
	tap_ok(r.outside == 0 && r.shutdowns == 0,
	       "... and nothing reaches its screen");
	return tap_done();
}
