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
	uint32_t scene; /* TESTCARD_SCENE_* */
	/* what the last card_draw_frame() redrew on its head */
	struct card_rect {
		uint32_t x, y, w, h;
	} damage[3];
	uint32_t ndamage;
	char text[TESTCARD_TEXT_MAX + 1];
	uint32_t text_len;
};

int font_dot(char c, int col, int row);
const uint8_t *font_glyph(char c);
char font_scancode_char(uint8_t code);

uint32_t card_pixel(const struct card *c, uint32_t head, uint32_t x,
		    uint32_t y);
void card_draw_full(struct card *c, uint32_t head);
void card_draw_frame(struct card *c, uint32_t head);
void card_draw_rect(struct card *c, uint32_t head, uint32_t x, uint32_t y,
		    uint32_t w, uint32_t h);
void card_move_crosshair(struct card *c, uint32_t head, int x, int y);
void card_show_crosshair(struct card *c, uint32_t head);
void card_draw_span(const struct card *c, uint32_t head, uint32_t *row,
		    uint32_t x0, uint32_t x1, uint32_t y);
void card_damage(struct card *c, uint32_t x, uint32_t y, uint32_t w,
		 uint32_t h);

/* scene.c: the desktop scene (testcard.h) */
uint32_t scene_desktop_pixel(const struct card *c, uint32_t head, uint32_t x,
			     uint32_t y);
void scene_desktop_span(const struct card *c, uint32_t head, uint32_t *row,
			uint32_t x0, uint32_t x1, uint32_t y);
void scene_desktop_frame(struct card *c, uint32_t head);
uint32_t scene_desktop_line(uint32_t n, char *buf);

/* Whether word @opt is on the space-separated command line @cmdline
 * (the testcard guest's and the QEMU image's options). */
static inline int
card_has_option(const char *cmdline, const char *opt)
{
	for (const char *p = cmdline; *p;) {
		const char *a = opt, *q = p;

		while (*a && *q == *a) {
			a++;
			q++;
		}
		if (!*a && (*q == 0 || *q == ' '))
			return 1;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* testcard.c: COM1 and PCI configuration space */
void com_putc(char ch);
void com_puts(const char *s);
void com_putu(uint32_t v);
void com_puthex2(uint8_t v);
uint32_t pci_read(uint32_t slot, uint32_t reg);
void pci_write(uint32_t slot, uint32_t reg, uint32_t v);

/* usb.c: the OHCI driver, polled */
void usb_probe(uint64_t tsc_khz);
int usb_has_tablet(void);
int usb_poll_tablet(uint32_t *x, uint32_t *y, uint32_t *buttons);
void usb_poll(void);

#endif /* TESTCARD_CARD_H */
