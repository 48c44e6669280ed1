/*
 * card.h - the testcard guest's internal interfaces: per-head state,
 * drawing (draw.c), the font (font.c) and COM1 output (testcard.c).
 */
#ifndef TESTCARD_CARD_H
#define TESTCARD_CARD_H

#include <stdint.h>

#include "guest/testcard.h"

struct card_head {
	int enabled;
	uint32_t *fb;
	uint32_t width, height, pitch; /* pitch in pixels */
	int cross_x, cross_y;	       /* crosshair, -1 when not on this head */
};

struct card {
	uint32_t nheads;
	struct card_head head[16];
	uint32_t frame;
	char text[TESTCARD_TEXT_MAX + 1];
	uint32_t text_len;
};

int font_dot(char c, int col, int row);
char font_scancode_char(uint8_t code);

uint32_t card_pixel(const struct card *c, uint32_t head, uint32_t x,
		    uint32_t y);
void card_draw_full(struct card *c, uint32_t head);
void card_draw_frame(struct card *c, uint32_t head);
void card_draw_rect(struct card *c, uint32_t head, uint32_t x, uint32_t y,
		    uint32_t w, uint32_t h);
void card_move_crosshair(struct card *c, uint32_t head, int x, int y);

#endif /* TESTCARD_CARD_H */
