/*
 * draw.c - the test card's pixels, exactly as testcard.h describes them.
 *
 * card_pixel() computes any pixel from the layers (everything but the
 * crosshair), so a full redraw, a partial redraw and erasing the
 * crosshair all give the same, deterministic result.  The per-frame work
 * touches only the frame counter and the video rectangle.
 */
#include "card.h"

static const uint32_t card_bars[TESTCARD_BAR_COUNT] = TESTCARD_BAR_RGB;

static int
in_box(uint32_t x, uint32_t y, uint32_t bx, uint32_t by, uint32_t bw,
       uint32_t bh)
{
	return x >= bx && x < bx + bw && y >= by && y < by + bh;
}

static uint32_t
card_bits(uint32_t value, uint32_t nbits, uint32_t block)
{
	return (value >> (nbits - 1 - block)) & 1 ? TESTCARD_BIT1_RGB
						  : TESTCARD_BIT0_RGB;
}

/* Lit dot of the head number at (x, y)? */
static int
card_digit_dot(uint32_t head, uint32_t x, uint32_t y)
{
	char digits[3];
	uint32_t n = 0, dx, dy, g;

	if (head >= 10)
		digits[n++] = (char)('0' + head / 10);
	digits[n++] = (char)('0' + head % 10);
	if (x < TESTCARD_DIGITS_X || y < TESTCARD_DIGITS_Y)
		return 0;
	dx = x - TESTCARD_DIGITS_X;
	dy = (y - TESTCARD_DIGITS_Y) / TESTCARD_DIGIT_SCALE;
	g = dx / TESTCARD_DIGIT_ADVANCE;
	dx = (dx % TESTCARD_DIGIT_ADVANCE) / TESTCARD_DIGIT_SCALE;
	if (g >= n || dx >= 5 || dy >= 7)
		return 0;
	return font_dot(digits[g], (int)dx, (int)dy);
}

static uint32_t
card_text_pixel(const struct card *c, uint32_t x, uint32_t y)
{
	uint32_t cx = (x - TESTCARD_TEXT_X) / TESTCARD_TEXT_CELL_WIDTH;
	uint32_t px = (x - TESTCARD_TEXT_X) % TESTCARD_TEXT_CELL_WIDTH;
	uint32_t py = y - TESTCARD_TEXT_Y;

	/* a 10x14 glyph at (1, 1) of its 12x16 cell */
	if (cx < c->text_len && px >= 1 && px < 11 && py >= 1 && py < 15 &&
	    font_dot(c->text[cx], (int)(px - 1) / 2, (int)(py - 1) / 2))
		return TESTCARD_TEXT_RGB;
	return TESTCARD_TEXT_BG_RGB;
}

uint32_t
card_pixel(const struct card *c, uint32_t head, uint32_t x, uint32_t y)
{
	if (in_box(x, y, TESTCARD_COUNTER_X, TESTCARD_COUNTER_Y,
		   TESTCARD_COUNTER_BLOCKS * TESTCARD_BLOCK_SIZE,
		   TESTCARD_BLOCK_SIZE))
		return card_bits(c->frame, TESTCARD_COUNTER_BLOCKS,
				 (x - TESTCARD_COUNTER_X) /
				     TESTCARD_BLOCK_SIZE);
	if (c->scene == TESTCARD_SCENE_DESKTOP)
		return scene_desktop_pixel(c, head, x, y);
	if (head == 0 && in_box(x, y, TESTCARD_TEXT_X, TESTCARD_TEXT_Y,
				TESTCARD_TEXT_WIDTH, TESTCARD_TEXT_HEIGHT))
		return card_text_pixel(c, x, y);
	if (in_box(x, y, TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
		   TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT))
		return TESTCARD_VIDEO_PIXEL(x - TESTCARD_VIDEO_X,
					    y - TESTCARD_VIDEO_Y, c->frame);
	if (in_box(x, y, TESTCARD_HEADID_X, TESTCARD_HEADID_Y,
		   TESTCARD_HEADID_BLOCKS * TESTCARD_BLOCK_SIZE,
		   TESTCARD_BLOCK_SIZE))
		return card_bits(head, TESTCARD_HEADID_BLOCKS,
				 (x - TESTCARD_HEADID_X) / TESTCARD_BLOCK_SIZE);
	if (card_digit_dot(head, x, y))
		return TESTCARD_DIGIT_RGB;
	if (in_box(x, y, TESTCARD_BARS_X, TESTCARD_BARS_Y,
		   TESTCARD_BAR_COUNT * TESTCARD_BAR_WIDTH,
		   TESTCARD_BAR_HEIGHT))
		return card_bars[(x - TESTCARD_BARS_X) / TESTCARD_BAR_WIDTH];
	if (x % TESTCARD_GRID_STEP == 0 || y % TESTCARD_GRID_STEP == 0)
		return TESTCARD_GRID_RGB;
	return TESTCARD_BACKGROUND_RGB;
}

/* The video rectangle is redrawn every frame on every head: its pixels
 * are computed in a loop of their own instead of through card_pixel(),
 * which a software CPU would otherwise spend most of its time in.  The
 * counter and the text line, which card_pixel() puts above the video,
 * do not overlap it. */
void
card_draw_span(const struct card *c, uint32_t head, uint32_t *row, uint32_t x0,
	       uint32_t x1, uint32_t y)
{
	uint32_t v0 = TESTCARD_VIDEO_X, v1 = v0 + TESTCARD_VIDEO_WIDTH;
	uint32_t i = x0;

	if (c->scene == TESTCARD_SCENE_DESKTOP) {
		scene_desktop_span(c, head, row, x0, x1, y);
		if (y < TESTCARD_COUNTER_Y + TESTCARD_BLOCK_SIZE)
			for (; i < x1 && i < TESTCARD_COUNTER_BLOCKS *
						 TESTCARD_BLOCK_SIZE;
			     i++)
				row[i] = card_pixel(c, head, i, y);
		return;
	}

	if (y >= TESTCARD_VIDEO_Y &&
	    y < TESTCARD_VIDEO_Y + TESTCARD_VIDEO_HEIGHT && x0 < v1 &&
	    x1 > v0) {
		for (; i < v0; i++)
			row[i] = card_pixel(c, head, i, y);
		for (; i < x1 && i < v1; i++)
			row[i] = TESTCARD_VIDEO_PIXEL(
			    i - v0, y - TESTCARD_VIDEO_Y, c->frame);
	}
	for (; i < x1; i++)
		row[i] = card_pixel(c, head, i, y);
}

void
card_draw_rect(struct card *c, uint32_t head, uint32_t x, uint32_t y,
	       uint32_t w, uint32_t h)
{
	struct card_head *hd = &c->head[head];

	if (x >= hd->width || y >= hd->height)
		return;
	if (w > hd->width - x)
		w = hd->width - x;
	if (h > hd->height - y)
		h = hd->height - y;
	for (uint32_t j = y; j < y + h; j++)
		card_draw_span(c, head, hd->fb + (uint64_t)j * hd->pitch, x,
			       x + w, j);
}

static void
card_plot_crosshair(struct card *c, uint32_t head, int erase)
{
	struct card_head *hd = &c->head[head];
	int cx = hd->cross_x, cy = hd->cross_y;

	if (cx < 0)
		return;
	for (int d = -TESTCARD_CROSSHAIR_ARM; d <= TESTCARD_CROSSHAIR_ARM;
	     d++) {
		int px[2] = {cx + d, cx}, py[2] = {cy, cy + d};

		for (int k = 0; k < 2; k++) {
			uint32_t x = (uint32_t)px[k], y = (uint32_t)py[k];

			if (px[k] < 0 || py[k] < 0 || x >= hd->width ||
			    y >= hd->height)
				continue;
			hd->fb[(uint64_t)y * hd->pitch + x] =
			    erase ? card_pixel(c, head, x, y)
				  : TESTCARD_CROSSHAIR_RGB;
		}
	}
}

void
card_move_crosshair(struct card *c, uint32_t head, int x, int y)
{
	for (uint32_t h = 0; h < c->nheads; h++) {
		if (!c->head[h].enabled || c->head[h].cross_x < 0)
			continue;
		card_plot_crosshair(c, h, 1);
		c->head[h].cross_x = c->head[h].cross_y = -1;
	}
	if (head < c->nheads && c->head[head].enabled && x >= 0 && y >= 0) {
		c->head[head].cross_x = x;
		c->head[head].cross_y = y;
		card_plot_crosshair(c, head, 0);
	}
}

/* Plot @head's crosshair again (where it has one) after a redraw under
 * it; the other heads' crosshairs stay as they are. */
void
card_show_crosshair(struct card *c, uint32_t head)
{
	card_plot_crosshair(c, head, 0);
}

void
card_draw_full(struct card *c, uint32_t head)
{
	struct card_head *hd = &c->head[head];

	card_draw_rect(c, head, 0, 0, hd->width, hd->height);
	card_plot_crosshair(c, head, 0);
}

/* Adds a rectangle to what the current frame redrew (c->damage). */
void
card_damage(struct card *c, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	if (c->ndamage < sizeof(c->damage) / sizeof(c->damage[0]))
		c->damage[c->ndamage++] = (struct card_rect){x, y, w, h};
}

/* What changes from one frame to the next: counter and video (the card),
 * or what the desktop scene moves.  c->damage lists it afterwards. */
void
card_draw_frame(struct card *c, uint32_t head)
{
	uint32_t cw = TESTCARD_COUNTER_BLOCKS * TESTCARD_BLOCK_SIZE;

	c->ndamage = 0;
	if (c->scene == TESTCARD_SCENE_DESKTOP) {
		scene_desktop_frame(c, head);
	} else {
		card_draw_rect(c, head, TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
			       TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT);
		card_damage(c, TESTCARD_VIDEO_X, TESTCARD_VIDEO_Y,
			    TESTCARD_VIDEO_WIDTH, TESTCARD_VIDEO_HEIGHT);
	}
	card_draw_rect(c, head, TESTCARD_COUNTER_X, TESTCARD_COUNTER_Y, cw,
		       TESTCARD_BLOCK_SIZE);
	card_damage(c, TESTCARD_COUNTER_X, TESTCARD_COUNTER_Y, cw,
		    TESTCARD_BLOCK_SIZE);
	card_plot_crosshair(c, head, 0);
}
