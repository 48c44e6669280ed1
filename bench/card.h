/*
 * card.h - a second implementation of the testcard's picture, drawn from
 * the contract in src/guest/testcard.h, for the peers that cannot run the
 * testcard guest itself: the X11 animation shown by FreeRDP's shadow
 * server and Weston (xanim.c), and the image QEMU boots (qemu/).
 *
 * Freestanding on purpose (no libc), so the QEMU image can use it as is.
 * What differs from the guest: head 0 only; the head number and the
 * typed characters are drawn as blocks instead of the 5x7 font glyphs
 * (the "0" digit is drawn exactly); no pointer crosshair.
 */
#ifndef VIREO_BENCH_CARD_H
#define VIREO_BENCH_CARD_H

#include <stdint.h>

struct card_fb {
	uint32_t *px;	/* XRGB8888 pixels */
	unsigned w, h;	/* visible size */
	unsigned pitch; /* pixels per row */
};

/* Background, grid, colour bars, head digit 0 and head-id blocks. */
void card_draw_static(const struct card_fb *fb);

/* Frame `frame`: the video rectangle and the frame counter. */
void card_draw_frame(const struct card_fb *fb, uint32_t frame);

/* The text line with `chars` typed characters (one block each). */
void card_draw_text(const struct card_fb *fb, unsigned chars);

#endif
