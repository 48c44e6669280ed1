/*
 * frames.c - deterministic synthetic screen contents (see frames.h).
 *
 * The kinds stand for what a remote console actually shows: a terminal
 * (text), a desktop with windows (large flat areas, sharp edges), a photo
 * or video still (smooth, noisy), and random noise as the upper bound of
 * what any codec can be asked to do.  Glyphs are made up from strokes so
 * that no font file is needed and the result is the same everywhere.
 */
#include <math.h>
#include <string.h>

#include "frames.h"

#define GLYPH_W	    8
#define GLYPH_H	    16
#define GLYPH_COUNT 64

struct frames_rect {
	int x0, y0, x1, y1; /* x1, y1 exclusive */
};

static const char *const frames_names[FRAMES_COUNT] = {
    [FRAMES_TEXT] = "text",
    [FRAMES_UI] = "ui",
    [FRAMES_PHOTO] = "photo",
    [FRAMES_NOISE] = "noise",
};

const char *
frames_kind_name(enum frames_kind kind)
{
	return kind < FRAMES_COUNT ? frames_names[kind] : "?";
}

int
frames_kind_parse(const char *name)
{
	for (int i = 0; i < FRAMES_COUNT; i++) {
		if (strcmp(name, frames_names[i]) == 0)
			return i;
	}
	return -1;
}

/* splitmix64: tiny, good enough, and identical on every machine. */
static uint64_t
frames_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void
frames_put(uint8_t *px, size_t stride, int x, int y, uint32_t rgb)
{
	memcpy(px + (size_t)y * stride + (size_t)x * 4, &rgb, 4);
}

static void
frames_fill(uint8_t *px, size_t stride, struct frames_rect r, uint32_t rgb)
{
	for (int y = r.y0; y < r.y1; y++) {
		for (int x = r.x0; x < r.x1; x++)
			frames_put(px, stride, x, y, rgb);
	}
}

/* One 8x16 bit pattern per glyph, built from 2-4 strokes on a baseline. */
static void
frames_glyph(unsigned index, uint8_t rows[GLYPH_H])
{
	uint64_t st = 0x61c88647u + index;
	int strokes = 2 + (int)(frames_rand(&st) % 3);

	memset(rows, 0, GLYPH_H);
	for (int s = 0; s < strokes; s++) {
		uint64_t r = frames_rand(&st);
		if (r & 1) { /* vertical stroke */
			int x = 1 + (int)((r >> 1) % 6);
			int y0 = 3 + (int)((r >> 8) % 4), y1 = 12;
			for (int y = y0; y <= y1; y++)
				rows[y] |= (uint8_t)(0x80 >> x);
		} else { /* horizontal stroke */
			int y = 4 + (int)((r >> 1) % 9);
			int x0 = 1 + (int)((r >> 8) % 3);
			int x1 = 4 + (int)((r >> 16) % 3);
			for (int x = x0; x <= x1; x++)
				rows[y] |= (uint8_t)(0x80 >> x);
		}
	}
}

static void
frames_draw_glyph(uint8_t *px, size_t stride, int x0, int y0,
		  struct frames_rect clip, unsigned index, uint32_t fg)
{
	uint8_t rows[GLYPH_H];

	frames_glyph(index % GLYPH_COUNT, rows);
	for (int y = 0; y < GLYPH_H; y++) {
		for (int x = 0; x < GLYPH_W; x++) {
			int px_x = x0 + x, px_y = y0 + y;
			if (!(rows[y] & (0x80 >> x)) || px_x < clip.x0 ||
			    px_x >= clip.x1 || px_y < clip.y0 ||
			    px_y >= clip.y1)
				continue;
			frames_put(px, stride, px_x, px_y, fg);
		}
	}
}

/*
 * Text line number `line` (its content depends only on the number, so
 * scrolling moves lines without changing them) drawn at y0 inside clip.
 */
static void
frames_text_line(uint8_t *px, size_t stride, struct frames_rect clip, int y0,
		 unsigned line)
{
	static const uint32_t colours[] = {0x000000, 0x000000, 0x000000,
					   0x0000c0, 0xa00000, 0x008000,
					   0x808000, 0x800080};
	uint64_t st = 0x2545f491u * (uint64_t)(line + 1);
	int len = (int)(frames_rand(&st) % 140);
	int col = (int)(frames_rand(&st) % 4) * 2;

	if (len < 10)
		return; /* blank line */
	while (col < len) {
		int word = 2 + (int)(frames_rand(&st) % 8);
		uint32_t fg = colours[frames_rand(&st) % 8];
		for (int i = 0; i < word && col < len; i++, col++)
			frames_draw_glyph(px, stride, clip.x0 + 2 + col * 8, y0,
					  clip, (unsigned)frames_rand(&st), fg);
		col++; /* space */
	}
}

static void
frames_text_block(uint8_t *px, size_t stride, struct frames_rect r,
		  unsigned first_line)
{
	frames_fill(px, stride, r, 0xffffff);
	for (int y = r.y0, l = 0; y < r.y1; y += GLYPH_H, l++)
		frames_text_line(px, stride, r, y, first_line + (unsigned)l);
}

static void
frames_render_text(unsigned phase, uint8_t *px, unsigned w, unsigned h,
		   size_t stride)
{
	struct frames_rect all = {0, 0, (int)w, (int)h};

	/* Each phase scrolls the terminal by three lines. */
	frames_text_block(px, stride, all, phase * 3);
}

static void
frames_window(uint8_t *px, size_t stride, struct frames_rect r,
	      struct frames_rect screen, unsigned seed)
{
	struct frames_rect title = {r.x0, r.y0, r.x1, r.y0 + 24};
	struct frames_rect body = {r.x0 + 1, r.y0 + 24, r.x1 - 1, r.y1 - 1};
	struct frames_rect text = {body.x0 + 8, body.y0 + 40, body.x1 - 8,
				   body.y1 - 8};

	/* Clip everything to the screen. */
	struct frames_rect *parts[] = {&r, &title, &body, &text};
	for (unsigned i = 0; i < 4; i++) {
		struct frames_rect *p = parts[i];
		p->x0 = p->x0 < screen.x0 ? screen.x0 : p->x0;
		p->y0 = p->y0 < screen.y0 ? screen.y0 : p->y0;
		p->x1 = p->x1 > screen.x1 ? screen.x1 : p->x1;
		p->y1 = p->y1 > screen.y1 ? screen.y1 : p->y1;
	}
	frames_fill(px, stride, r, 0x404040); /* border */
	frames_fill(px, stride, title, 0x1c3f94);
	frames_fill(px, stride, body, 0xf0f0f0);
	for (int b = 0; b < 4; b++) { /* a row of flat buttons */
		struct frames_rect btn = {body.x0 + 8 + b * 88, body.y0 + 8,
					  body.x0 + 88 + b * 88, body.y0 + 32};
		if (btn.x1 <= body.x1 && btn.y1 <= body.y1) {
			frames_fill(px, stride, btn, 0x808080);
			btn.x0++, btn.y0++, btn.x1--, btn.y1--;
			frames_fill(px, stride, btn, 0xdcdcdc);
		}
	}
	if (text.x1 > text.x0 && text.y1 > text.y0)
		frames_text_block(px, stride, text, seed * 1000);
}

static void
frames_render_ui(unsigned phase, uint8_t *px, unsigned w, unsigned h,
		 size_t stride)
{
	struct frames_rect screen = {0, 0, (int)w, (int)h - 40};
	struct frames_rect bar = {0, (int)h - 40, (int)w, (int)h};
	int sw = (int)w, sh = (int)h;

	frames_fill(px, stride, screen, 0x3a6ea5); /* desktop */
	frames_fill(px, stride, bar, 0xc0c0c0);
	for (int b = 0; b < 5; b++) {
		struct frames_rect task = {4 + b * 164, sh - 36, 164 + b * 164,
					   sh - 4};
		if (task.x1 < sw)
			frames_fill(px, stride, task, b ? 0xd4d0c8 : 0xe8e8e8);
	}
	frames_window(px, stride,
		      (struct frames_rect){sw / 2, 60, sw - 40, sh - 120},
		      screen, 1);
	frames_window(px, stride,
		      (struct frames_rect){60, sh / 2, sw / 2 + 100, sh - 60},
		      screen, 2);
	/* The window on top moves 16 px right and 8 px down per phase. */
	int dx = (int)(phase % 16) * 16, dy = (int)(phase % 16) * 8;
	frames_window(px, stride,
		      (struct frames_rect){100 + dx, 80 + dy, 100 + dx + sw / 3,
					   80 + dy + sh / 3},
		      screen, 3);
}

static void
frames_render_photo(unsigned phase, uint8_t *px, unsigned w, unsigned h,
		    size_t stride)
{
	uint64_t st = 0x5eed0000u + phase;
	double ph = phase * 0.3;

	for (unsigned y = 0; y < h; y++) {
		double sy = sin(y * 0.0061 + ph), cy = cos(y * 0.0023);
		for (unsigned x = 0; x < w; x++) {
			double sx = sin(x * 0.0042 - ph), cx = cos(x * 0.0017);
			uint64_t n = frames_rand(&st);
			int c[3] = {
			    (int)(120 + 70 * sx * cy + 40 * sy),
			    (int)(110 + 60 * sy * cx + 30 * sx),
			    (int)(100 + 80 * cx * cy),
			};
			uint32_t rgb = 0;
			for (int i = 0; i < 3; i++) {
				int v = c[i] + (int)((n >> (i * 8)) & 15) - 8;
				v = v < 0 ? 0 : v > 255 ? 255 : v;
				rgb = (rgb << 8) | (uint32_t)v;
			}
			frames_put(px, stride, (int)x, (int)y, rgb);
		}
	}
}

static void
frames_render_noise(unsigned phase, uint8_t *px, unsigned w, unsigned h,
		    size_t stride)
{
	uint64_t st = 0x4015e + phase;

	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++)
			frames_put(px, stride, (int)x, (int)y,
				   (uint32_t)frames_rand(&st) & 0xffffff);
	}
}

void
frames_render(enum frames_kind kind, unsigned phase, uint8_t *pixels,
	      unsigned w, unsigned h, size_t stride)
{
	switch (kind) {
	case FRAMES_TEXT:
		frames_render_text(phase, pixels, w, h, stride);
		break;
	case FRAMES_UI:
		frames_render_ui(phase, pixels, w, h, stride);
		break;
	case FRAMES_PHOTO:
		frames_render_photo(phase, pixels, w, h, stride);
		break;
	default:
		frames_render_noise(phase, pixels, w, h, stride);
		break;
	}
}
