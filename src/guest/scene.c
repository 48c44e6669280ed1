/*
 * scene.c - the test card's desktop scene (testcard.h): scrolling text,
 * a dragged window and a whole-head animation, each pixel a function of
 * the frame number, the head size and the position only.
 *
 * Spans are computed a row at a time (one text line and one glyph per
 * character cell, not per pixel), because the software CPU redraws the
 * whole head every frame in two of the three phases.
 */
#include "card.h"

#define SC_CELL 12 /* text cell width, as the card's text line */

/* Unshifted characters only: the font has the keys of a US main block. */
static const char *const scene_words[] = {
    "VIREO", "RDP",  "FRAME",	 "PIXEL", "SCROLL", "WINDOW", "THE",   "OF",
    "AND",   "A",    "TO",	 "IN",	  "HEAD",   "VM",     "GUEST", "HOST",
    "TEXT",  "LINE", "CODEC",	 "BYTES", "=",	    "[OK]",   "0X1F",  "42",
    "1024",  "768",  "/DEV/KVM", "MAKE",  "CHECK",  "-",      "...",   "SEND",
};

#define SC_NWORDS (sizeof(scene_words) / sizeof(scene_words[0]))

static uint32_t
scene_phase(uint32_t frame)
{
	return (frame / TESTCARD_DESKTOP_PHASE) % 3;
}

static uint32_t
scene_step(uint32_t frame)
{
	return frame % TESTCARD_DESKTOP_PHASE;
}

/* Text line @n (a 4-digit number, then words) into @buf, which holds
 * TESTCARD_DESKTOP_LINE_CHARS; every seventh line is empty, as a
 * terminal's output has blank lines.  @return its length. */
uint32_t
scene_desktop_line(uint32_t n, char *buf)
{
	uint32_t h = n * 2654435761u + 0x9e3779b9u, len = 0, want;

	if (n % 7 == 6)
		return 0;
	for (uint32_t d = 1000; d; d /= 10)
		buf[len++] = (char)('0' + n / d % 10);
	buf[len++] = ' ';
	want = 24 + (h >> 8) % (TESTCARD_DESKTOP_LINE_CHARS - 24);
	for (;;) {
		const char *w;
		uint32_t wl = 0;

		h = h * 1103515245u + 12345u;
		w = scene_words[(h >> 16) % SC_NWORDS];
		while (w[wl])
			wl++;
		if (len + wl > want)
			break;
		for (uint32_t i = 0; i < wl; i++)
			buf[len++] = w[i];
		if (len < want)
			buf[len++] = ' ';
	}
	return len;
}

/* Pixels [x0, x1) of glyph row @py of @line, whose first cell starts at
 * @ox (<= x0): the card's 10x14 glyph at (1, 1) of each 12x16 cell. */
static void
scene_text_span(uint32_t *row, uint32_t x0, uint32_t x1, uint32_t ox,
		uint32_t py, const char *line, uint32_t len, uint32_t fg,
		uint32_t bg)
{
	const uint8_t *g = 0;
	uint32_t cur = ~0u;

	for (uint32_t x = x0; x < x1; x++) {
		uint32_t cx = (x - ox) / SC_CELL, px = (x - ox) % SC_CELL;
		uint32_t on = 0;

		if (cx != cur) {
			cur = cx;
			g = cx < len ? font_glyph(line[cx]) : 0;
		}
		if (g && px >= 1 && px < 11 && py >= 1 && py < 15)
			on = (g[(py - 1) / 2] >> (4 - (px - 1) / 2)) & 1;
		row[x] = on ? fg : bg;
	}
}

static void
scene_terminal_span(const struct card *c, uint32_t *row, uint32_t x0,
		    uint32_t x1, uint32_t y)
{
	char line[TESTCARD_DESKTOP_LINE_CHARS];
	uint32_t n = y / TESTCARD_DESKTOP_ROW + scene_step(c->frame);
	uint32_t len = scene_desktop_line(n, line);

	scene_text_span(row, x0, x1, 0, y % TESTCARD_DESKTOP_ROW, line, len,
			TESTCARD_DESKTOP_FG_RGB, TESTCARD_DESKTOP_BG_RGB);
}

/* The window's top-left in frame @frame on @head. */
static void
scene_window_at(const struct card *c, uint32_t head, uint32_t frame,
		uint32_t *wx, uint32_t *wy)
{
	const struct card_head *hd = &c->head[head];
	uint32_t s = scene_step(frame);

	*wx = hd->width > TESTCARD_WINDOW_WIDTH
		  ? 8 * s % (hd->width - TESTCARD_WINDOW_WIDTH)
		  : 0;
	*wy = hd->height > TESTCARD_WINDOW_HEIGHT
		  ? 4 * s % (hd->height - TESTCARD_WINDOW_HEIGHT)
		  : 0;
}

static void
scene_desk_span(uint32_t *row, uint32_t x0, uint32_t x1, uint32_t y)
{
	for (uint32_t x = x0; x < x1; x++)
		row[x] =
		    x % TESTCARD_GRID_STEP == 0 || y % TESTCARD_GRID_STEP == 0
			? TESTCARD_GRID_RGB
			: TESTCARD_BACKGROUND_RGB;
}

/* Row @y of the window (wy <= y < wy + height), pixels [x0, x1) inside
 * it. */
static void
scene_window_row(uint32_t *row, uint32_t x0, uint32_t x1, uint32_t wx,
		 uint32_t y)
{
	uint32_t right = wx + TESTCARD_WINDOW_WIDTH - 1, in0 = x0, in1 = x1;
	char line[TESTCARD_DESKTOP_LINE_CHARS];
	uint32_t len, body;

	if (y == 0 || y == TESTCARD_WINDOW_HEIGHT - 1) {
		for (uint32_t x = x0; x < x1; x++)
			row[x] = 0;
		return;
	}
	if (in0 == wx)
		row[in0++] = 0;
	if (in1 == right + 1 && in1 > in0)
		row[--in1] = 0;
	if (y < TESTCARD_WINDOW_TITLE) {
		for (uint32_t x = in0; x < in1; x++)
			row[x] = TESTCARD_WINDOW_TITLE_RGB;
		return;
	}
	body = y - TESTCARD_WINDOW_TITLE;
	len = scene_desktop_line(body / TESTCARD_DESKTOP_ROW, line);
	scene_text_span(row, in0, in1, wx + 1, body % TESTCARD_DESKTOP_ROW,
			line, len, 0, TESTCARD_WINDOW_BODY_RGB);
}

static void
scene_drag_span(const struct card *c, uint32_t head, uint32_t *row, uint32_t x0,
		uint32_t x1, uint32_t y)
{
	uint32_t wx, wy, w0, w1;

	scene_window_at(c, head, c->frame, &wx, &wy);
	if (y < wy || y >= wy + TESTCARD_WINDOW_HEIGHT || x1 <= wx ||
	    x0 >= wx + TESTCARD_WINDOW_WIDTH) {
		scene_desk_span(row, x0, x1, y);
		return;
	}
	w0 = x0 > wx ? x0 : wx;
	w1 = x1 < wx + TESTCARD_WINDOW_WIDTH ? x1 : wx + TESTCARD_WINDOW_WIDTH;
	scene_desk_span(row, x0, w0, y);
	scene_window_row(row, w0, w1, wx, y - wy);
	scene_desk_span(row, w1, x1, y);
}

/* Pixels [x0, x1) of row @y of the scene (the counter is the caller's). */
void
scene_desktop_span(const struct card *c, uint32_t head, uint32_t *row,
		   uint32_t x0, uint32_t x1, uint32_t y)
{
	switch (scene_phase(c->frame)) {
	case 0:
		scene_terminal_span(c, row, x0, x1, y);
		break;
	case 1:
		scene_drag_span(c, head, row, x0, x1, y);
		break;
	default:
		for (uint32_t x = x0; x < x1; x++)
			row[x] = TESTCARD_VIDEO_PIXEL(x, y, c->frame);
	}
}

uint32_t
scene_desktop_pixel(const struct card *c, uint32_t head, uint32_t x, uint32_t y)
{
	uint32_t px[1];

	/* a span of one, shifted so that index x lands in px[0] */
	scene_desktop_span(c, head, px - x, x, x + 1, y);
	return px[0];
}

/* Frame work: the whole head, except while the window is dragged, when
 * only where it was and where it is now change. */
void
scene_desktop_frame(struct card *c, uint32_t head)
{
	const struct card_head *hd = &c->head[head];
	uint32_t f = c->frame, ox, oy, nx, ny;

	if (scene_phase(f) != 1 || scene_step(f) == 0) {
		card_draw_rect(c, head, 0, 0, hd->width, hd->height);
		card_damage(c, 0, 0, hd->width, hd->height);
		return;
	}
	scene_window_at(c, head, f - 1, &ox, &oy);
	scene_window_at(c, head, f, &nx, &ny);
	card_draw_rect(c, head, ox, oy, TESTCARD_WINDOW_WIDTH,
		       TESTCARD_WINDOW_HEIGHT);
	card_draw_rect(c, head, nx, ny, TESTCARD_WINDOW_WIDTH,
		       TESTCARD_WINDOW_HEIGHT);
	card_damage(c, ox, oy, TESTCARD_WINDOW_WIDTH, TESTCARD_WINDOW_HEIGHT);
	card_damage(c, nx, ny, TESTCARD_WINDOW_WIDTH, TESTCARD_WINDOW_HEIGHT);
}
