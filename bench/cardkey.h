/*
 * cardkey.h - the testcard guest's key echo (src/guest/testcard.c) for the
 * builds of its drawing code that run elsewhere: xanim (X11) and the QEMU
 * image.  The picture itself is drawn by the guest's own draw.c/font.c.
 */
#ifndef VIREO_BENCH_CARDKEY_H
#define VIREO_BENCH_CARDKEY_H

#include <stdint.h>

struct card;

/* A key press (set-1 make code) on head 0: edits and redraws the line. */
void cardkey_press(struct card *c, uint8_t code);

#endif
