/*
 * test-video-detector.c - the video detector on recorded damage sequences.
 *
 * Each damage/<name>.txt holds one screen's damage, one refresh per line
 * ("<ms> x,y,w,h ..."), and "#!" lines with what the detector must find
 * (see gen-damage.py).  Every sequence is replayed twice: with the video
 * channel on, the events must match; with it off, there must be none and
 * the residual damage must be exactly what was fed.  A few direct checks
 * cover the residual damage, covers() and the property parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "video_detector.h"

#define MAX_LINE  4096
#define MAX_RECTS 64

struct expect {
	int start[4]; /* refresh numbers of START events */
	int n_start;
	int end[4];
	char end_reason[4][16];
	int n_end;
	int frames; /* -1: not checked */
	int none;
};

struct seen {
	int start[8];
	int n_start;
	int end[8];
	int end_reason[8];
	int n_end;
	int frames;
	int residual_mismatch; /* disabled: residual != fed */
};

static int
parse_rects(char *s, struct vrde_rect *r, int max)
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, " \n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (sscanf(tok, "%d,%d,%u,%u", &r[n].x, &r[n].y, &r[n].w,
			   &r[n].h) == 4)
			n++;
	}
	return n;
}

static void
parse_expect(const char *line, struct expect *e)
{
	int a;
	char word[16];

	if (sscanf(line, "#! start %d", &a) == 1 && e->n_start < 4) {
		e->start[e->n_start++] = a;
	} else if (sscanf(line, "#! end %d %15s", &a, word) == 2 &&
		   e->n_end < 4) {
		e->end[e->n_end] = a;
		strcpy(e->end_reason[e->n_end++], word);
	} else if (sscanf(line, "#! frames %d", &a) == 1) {
		e->frames = a;
	} else if (!strncmp(line, "#! none", 7)) {
		e->none = 1;
	}
}

static void
record(struct seen *s, const struct video_event *ev, size_t n, int refresh)
{
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == VIDEO_EVENT_START && s->n_start < 8) {
			s->start[s->n_start++] = refresh;
		} else if (ev[i].type == VIDEO_EVENT_END && s->n_end < 8) {
			s->end_reason[s->n_end] = ev[i].reason;
			s->end[s->n_end++] = refresh;
		} else if (ev[i].type == VIDEO_EVENT_FRAME) {
			s->frames++;
		}
	}
}

/* With the channel off, the residual must be the fed rectangles. */
static int
residual_is(const struct video_detector *d, const struct vrde_rect *r, int n)
{
	const struct vrde_rect *res;
	size_t nr = video_detector_residual(d, &res);

	return nr == (size_t)n && !memcmp(res, r, n * sizeof(*r));
}

static int
replay(const char *path, bool enabled, struct expect *e, struct seen *s)
{
	struct video_detector_params p;
	struct video_detector *d;
	char line[MAX_LINE];
	int refresh = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	video_detector_params_default(&p);
	p.enabled = enabled;
	d = video_detector_new(&p);
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		struct vrde_rect r[MAX_RECTS];
		struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];
		unsigned long long t;
		char *rest;
		int n;

		if (line[0] == '#') {
			if (e)
				parse_expect(line, e);
			continue;
		}
		t = strtoull(line, &rest, 10);
		n = parse_rects(rest, r, MAX_RECTS);
		refresh++;
		for (int i = 0; i < n; i++)
			video_detector_feed(d, &r[i]);
		record(
		    s, ev,
		    video_detector_commit(d, t, ev, VIDEO_DETECTOR_MAX_EVENTS),
		    refresh);
		if (!enabled && !residual_is(d, r, n))
			s->residual_mismatch++;
	}
	fclose(f);
	video_detector_free(d);
	return 0;
}

static const char *
reason_name(int r)
{
	return r == VIDEO_END_TIMEOUT ? "timeout"
	       : r == VIDEO_END_SHAPE ? "shape"
				      : "other";
}

static void
check_sequence(const char *name)
{
	char path[512];
	struct expect e = {.frames = -1};
	struct seen s, off;
	const char *dir = getenv("srcdir");

	snprintf(path, sizeof(path), "%s/video/damage/%s.txt", dir ? dir : ".",
		 name);
	if (replay(path, true, &e, &s)) {
		tap_ok(0, "%s: cannot read %s", name, path);
		return;
	}
	if (e.none) {
		tap_ok(s.n_start == 0, "%s: no video detected (%d starts)",
		       name, s.n_start);
	} else {
		int ok = s.n_start == e.n_start;

		for (int i = 0; ok && i < e.n_start; i++)
			ok = s.start[i] == e.start[i];
		tap_ok(ok,
		       "%s: stream starts at refresh %d (got %d starts, "
		       "first at %d)",
		       name, e.start[0], s.n_start, s.n_start ? s.start[0] : 0);
	}
	for (int i = 0; i < e.n_end; i++)
		tap_ok(
		    i < s.n_end && s.end[i] == e.end[i] &&
			!strcmp(reason_name(s.end_reason[i]), e.end_reason[i]),
		    "%s: stream ends at refresh %d (%s); got %d (%s)", name,
		    e.end[i], e.end_reason[i], i < s.n_end ? s.end[i] : 0,
		    i < s.n_end ? reason_name(s.end_reason[i]) : "none");
	if (e.frames >= 0)
		tap_ok(s.frames == e.frames,
		       "%s: %d video frames after the "
		       "start (got %d)",
		       name, e.frames, s.frames);
	replay(path, false, NULL, &off);
	tap_ok(off.n_start == 0 && off.n_end == 0 && off.frames == 0 &&
		   off.residual_mismatch == 0,
	       "%s: VideoChannel/Enabled off changes nothing (%d events, %d "
	       "residual mismatches)",
	       name, off.n_start + off.n_end + off.frames,
	       off.residual_mismatch);
}

/* Feed @n refreshes of @r, 40 ms apart from *@t; @return events seen. */
static struct seen
feed_steady(struct video_detector *d, const struct vrde_rect *r, int n,
	    uint64_t *t)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < n; i++) {
		struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];

		video_detector_feed(d, r);
		record(
		    &s, ev,
		    video_detector_commit(d, *t, ev, VIDEO_DETECTOR_MAX_EVENTS),
		    i + 1);
		*t += 40;
	}
	return s;
}

static uint64_t
area(const struct vrde_rect *r, size_t n)
{
	uint64_t a = 0;

	for (size_t i = 0; i < n; i++)
		a += (uint64_t)r[i].w * r[i].h;
	return a;
}

static void
check_residual(void)
{
	struct video_detector_params p;
	struct video_detector *d;
	struct vrde_rect video = {100, 80, 640, 360};
	struct vrde_rect wobble = {98, 78, 644, 364};
	struct vrde_rect glyph = {10, 10, 8, 16};
	struct vrde_rect half = {400, 200, 600, 100};
	struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];
	const struct vrde_rect *res;
	size_t nr, n;
	uint64_t t = 5000;
	int inside = 0;

	video_detector_params_default(&p);
	p.enabled = true;
	d = video_detector_new(&p);
	feed_steady(d, &video, 11, &t);
	video_detector_feed(d, &wobble);
	video_detector_feed(d, &glyph);
	n = video_detector_commit(d, t, ev, VIDEO_DETECTOR_MAX_EVENTS);
	nr = video_detector_residual(d, &res);
	for (size_t i = 0; i < nr; i++)
		inside += video_detector_covers(d, &res[i]);
	tap_ok(n == 1 && ev[0].type == VIDEO_EVENT_FRAME &&
		   area(res, nr) == 8 * 16 + 644 * 364 - 640 * 360 &&
		   inside == 0,
	       "residual: a wobbling frame leaves only its 2-px rim and the "
	       "glyph (%zu events, %zu rects, area %llu)",
	       n, nr, (unsigned long long)area(res, nr));
	tap_ok(video_detector_covers(d, &video) &&
		   !video_detector_covers(d, &wobble) &&
		   !video_detector_covers(d, &glyph),
	       "covers(): the stream's area yes, a larger one or elsewhere no");
	t += 40;
	video_detector_feed(d, &half);
	n = video_detector_commit(d, t, ev, VIDEO_DETECTOR_MAX_EVENTS);
	nr = video_detector_residual(d, &res);
	tap_ok(n == 1 && ev[0].type == VIDEO_EVENT_END &&
		   ev[0].reason == VIDEO_END_SHAPE && nr == 1 &&
		   !memcmp(&res[0], &half, sizeof(half)),
	       "damage cutting into the stream ends it (shape) and is sent "
	       "whole");
	video_detector_free(d);
}

static void
check_reset_and_frames(void)
{
	struct video_detector_params p;
	struct video_detector *d;
	struct vrde_rect video = {0, 0, 256, 256};
	struct video_event ev[VIDEO_DETECTOR_MAX_EVENTS];
	struct seen s;
	uint64_t t = 0;
	size_t n;

	video_detector_params_default(&p);
	p.enabled = true;
	tap_ok(video_detector_params_set(
		   &p, "VideoDetector/VideoDetectionFrames", "5") == 0 &&
		   p.frames == 5,
	       "VideoDetectionFrames=5 accepted");
	d = video_detector_new(&p);
	s = feed_steady(d, &video, 8, &t);
	tap_ok(s.n_start == 1 && s.start[0] == 6,
	       "with VideoDetectionFrames=5 the stream starts at refresh 6 "
	       "(got %d)",
	       s.n_start ? s.start[0] : 0);
	n = video_detector_reset(d, ev, VIDEO_DETECTOR_MAX_EVENTS);
	tap_ok(n == 1 && ev[0].type == VIDEO_EVENT_END &&
		   ev[0].reason == VIDEO_END_DISABLED &&
		   video_detector_streams(d, ev, 4) == 0,
	       "reset ends the stream");
	p.enabled = false;
	video_detector_set_params(d, &p);
	s = feed_steady(d, &video, 20, &t);
	tap_ok(s.n_start == 0 && s.frames == 0,
	       "disabled at run time: no more streams");
	video_detector_free(d);
}

struct fake_props {
	const char *const *kv; /* name, value, ..., NULL */
	int warnings;
	char last[256];
};

static void
fake_warn(void *ctx, const char *msg)
{
	struct fake_props *fp = ctx;

	fp->warnings++;
	snprintf(fp->last, sizeof(fp->last), "%s", msg);
}

static int
fake_get(void *ctx, const char *name, char *buf, size_t size)
{
	const struct fake_props *fp = ctx;

	for (const char *const *kv = fp->kv; *kv; kv += 2) {
		if (!strcmp(kv[0], name)) {
			snprintf(buf, size, "%s", kv[1]);
			return (int)strlen(kv[1]);
		}
	}
	return -ENOENT;
}

static bool
params_equal(const struct video_detector_params *a,
	     const struct video_detector_params *b)
{
	return a->enabled == b->enabled && a->frames == b->frames &&
	       a->min_ms == b->min_ms && a->max_ms == b->max_ms &&
	       a->history_ms == b->history_ms &&
	       a->video_decay_ms == b->video_decay_ms &&
	       a->min_size == b->min_size && a->jitter == b->jitter;
}

static void
check_params(void)
{
	static const char *const good[] = {"VideoChannel/Enabled",
					   "true",
					   "Property/VideoDetector/MinMS",
					   "20",
					   "VideoDetector/MaxMS",
					   "250",
					   "VideoDetector/VideoDecayMS",
					   "500",
					   NULL};
	static const char *const bad[] = {"VideoDetector/MaxMS", "fast",
					  "VideoDetector/HistoryDecayMS", "-5",
					  NULL};
	struct fake_props fp = {good, 0, ""};
	struct video_detector_params p, q;
	int rc;

	video_detector_params_default(&p);
	rc = video_detector_params_load(&p, fake_get, fake_warn, &fp);
	tap_ok(rc == 0 && fp.warnings == 0 && p.enabled && p.min_ms == 20 &&
		   p.max_ms == 250 && p.video_decay_ms == 500 &&
		   p.frames == 10 && p.history_ms == 2000,
	       "properties with and without the Property/ prefix are read");
	video_detector_params_default(&p);
	fp.kv = bad;
	rc = video_detector_params_load(&p, fake_get, fake_warn, &fp);
	video_detector_params_default(&q);
	tap_ok(rc == -EINVAL && params_equal(&p, &q) && fp.warnings == 2 &&
		   strchr(fp.last, '\n') == NULL &&
		   strstr(fp.last, "HistoryDecayMS") != NULL,
	       "bad values are refused with one warning line each and the "
	       "defaults stay (last: %s)",
	       fp.last);
	tap_ok(video_detector_params_set(&p, "VideoDetector/Nope", "1") ==
		       -ENOENT &&
		   video_detector_params_set(&p, "VideoDetector/MinMS",
					     "400") == -EINVAL,
	       "unknown names and MinMS > MaxMS are refused");
}

static void
check_direct(void)
{
	check_residual();
	check_reset_and_frames();
	check_params();
}

int
main(void)
{
	static const char *const seqs[] = {
	    "steady", "moving",	 "drag-slow", "typing", "jitter",
	    "bands",  "reshape", "pace",      "mixed",
	};

	tap_plan(35);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		check_sequence(seqs[i]);
	check_direct();
	return tap_done();
}
