/*
 * test-scene.c - the test card's desktop scene (src/guest/scene.c) as
 * testcard.h promises it, with the guest's own drawing code built for
 * the host:
 *   - frame by frame drawing (what the guest, card-host and xanim do)
 *     gives exactly a full redraw of the same frame, in all three phases
 *     and across the phase changes; every pixel that changed lies in
 *     c->damage;
 *   - card_pixel() agrees with what was drawn, on a grid of pixels;
 *   - phase 0 scrolls: row y + 16 of frame f is row y of frame f + 1;
 *   - phase 1 moves the window 8 px right, 4 down per frame;
 *   - phase 2 changes every pixel below the counter;
 *   - the frame counter stays on top.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/card.h"
#include "tap.h"

#define W  1024
#define H  768
#define PH TESTCARD_DESKTOP_PHASE

static struct card ts_inc, ts_full;
static uint32_t ts_fb_inc[W * H], ts_fb_full[W * H], ts_prev[W * H];

static void
ts_setup(struct card *c, uint32_t *fb, uint32_t frame)
{
	memset(c, 0, sizeof(*c));
	c->nheads = 1;
	c->scene = TESTCARD_SCENE_DESKTOP;
	c->frame = frame;
	c->head[0] = (struct card_head){.enabled = 1,
					.fb = fb,
					.width = W,
					.height = H,
					.pitch = W,
					.cross_x = -1,
					.cross_y = -1};
	card_draw_full(c, 0);
}

static int
ts_in_damage(const struct card *c, uint32_t x, uint32_t y)
{
	for (uint32_t i = 0; i < c->ndamage; i++) {
		const struct card_rect *r = &c->damage[i];

		if (x >= r->x && x < r->x + r->w && y >= r->y &&
		    y < r->y + r->h)
			return 1;
	}
	return 0;
}

/* Draws frames @from+1..@to incrementally; @return the first frame whose
 * picture differs from a full redraw (0: none), and counts changed
 * pixels outside the damage into *undamaged. */
static uint32_t
ts_run(uint32_t from, uint32_t to, uint64_t *undamaged)
{
	ts_setup(&ts_inc, ts_fb_inc, from);
	for (uint32_t f = from + 1; f <= to; f++) {
		memcpy(ts_prev, ts_fb_inc, sizeof(ts_prev));
		ts_inc.frame = f;
		card_draw_frame(&ts_inc, 0);
		for (uint32_t i = 0; i < W * H; i++)
			if (ts_prev[i] != ts_fb_inc[i] &&
			    !ts_in_damage(&ts_inc, i % W, i / W))
				(*undamaged)++;
		ts_setup(&ts_full, ts_fb_full, f);
		if (memcmp(ts_fb_inc, ts_fb_full, sizeof(ts_fb_inc)))
			return f;
	}
	return 0;
}

static int
ts_pixel_agrees(uint32_t frame)
{
	ts_setup(&ts_full, ts_fb_full, frame);
	for (uint32_t y = 0; y < H; y += 7)
		for (uint32_t x = 0; x < W; x += 5)
			if (card_pixel(&ts_full, 0, x, y) !=
			    ts_fb_full[y * W + x])
				return 0;
	return 1;
}

/* Rows y >= 16 of frame f + 1 against rows y + 16 of frame f. */
static int
ts_scrolls(uint32_t f)
{
	static uint32_t a[W * H];

	ts_setup(&ts_full, a, f);
	ts_setup(&ts_inc, ts_fb_inc, f + 1);
	for (uint32_t y = 16; y + 16 < H; y++)
		if (memcmp(&ts_fb_inc[y * W], &a[(y + 16) * W], W * 4))
			return 0;
	/* and the text is not one colour */
	for (uint32_t i = 16 * W; i < 32 * W; i++)
		if (a[i] == TESTCARD_DESKTOP_FG_RGB)
			return 1;
	return 0;
}

static int
ts_window_at(uint32_t f, uint32_t wx, uint32_t wy)
{
	ts_setup(&ts_full, ts_fb_full, f);
	return ts_fb_full[(wy + 5) * W + wx + 5] == TESTCARD_WINDOW_TITLE_RGB &&
	       ts_fb_full[wy * W + wx + 5] == 0 &&
	       ts_fb_full[(wy + 100) * W + wx + 2] != TESTCARD_BACKGROUND_RGB &&
	       ts_fb_full[(wy - 1) * W + wx + 5] != TESTCARD_WINDOW_TITLE_RGB;
}

static uint64_t
ts_changed_below_counter(uint32_t f)
{
	static uint32_t a[W * H];
	uint64_t n = 0;

	ts_setup(&ts_full, a, f);
	ts_setup(&ts_inc, ts_fb_inc, f + 1);
	for (uint32_t i = TESTCARD_BLOCK_SIZE * W; i < W * H; i++)
		n += a[i] != ts_fb_inc[i];
	return n;
}

int
main(void)
{
	uint64_t undamaged = 0;
	uint32_t bad;
	uint64_t n;

	tap_plan(10);
	bad = ts_run(1, PH + 12, &undamaged);
	tap_ok(!bad,
	       "phase 0 -> 1: frame by frame = full redraw (first "
	       "difference at frame %u)",
	       bad);
	bad = ts_run(2 * PH - 12, 2 * PH + 6, &undamaged);
	tap_ok(!bad, "phase 1 -> 2: frame by frame = full redraw (%u)", bad);
	bad = ts_run(3 * PH - 3, 3 * PH + 3, &undamaged);
	tap_ok(!bad, "phase 2 -> 0: frame by frame = full redraw (%u)", bad);
	tap_ok(undamaged == 0,
	       "every changed pixel is in the damage (%llu "
	       "outside)",
	       (unsigned long long)undamaged);
	tap_ok(ts_pixel_agrees(40) && ts_pixel_agrees(PH + 40) &&
		   ts_pixel_agrees(2 * PH + 40),
	       "card_pixel() = the drawn picture in each phase");
	tap_ok(ts_scrolls(10) && ts_scrolls(3 * PH + 50),
	       "phase 0: the text moves up one 16-pixel row per frame");
	tap_ok(ts_window_at(PH + 10, 80, 40) && ts_window_at(PH + 11, 88, 44),
	       "phase 1: the window is at (8 s, 4 s)");
	n = ts_changed_below_counter(2 * PH + 10);
	tap_ok(n == (uint64_t)W * (H - TESTCARD_BLOCK_SIZE),
	       "phase 2: every pixel below the counter changes (%llu)",
	       (unsigned long long)n);
	ts_setup(&ts_full, ts_fb_full, 0x80000001u);
	tap_ok(ts_fb_full[8] == TESTCARD_BIT1_RGB &&
		   ts_fb_full[31 * 16 + 8] == TESTCARD_BIT1_RGB &&
		   ts_fb_full[16 + 8] == TESTCARD_BIT0_RGB,
	       "the frame counter is on top of the scene");
	n = ts_changed_below_counter(PH + 20);
	tap_ok(n > 0 && n < 2u * TESTCARD_WINDOW_WIDTH * TESTCARD_WINDOW_HEIGHT,
	       "phase 1: only the window's old and new places change (%llu)",
	       (unsigned long long)n);
	return tap_done();
}
