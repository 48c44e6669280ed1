/*
 * frames.h - fixed synthetic screen contents for the encoder benchmarks.
 *
 * Every benchmark run must encode exactly the same pixels, so the frames
 * are generated from a fixed seed instead of being read from files.  A
 * content kind has several "phases" (scrolled text, a moved window, fresh
 * noise) so that codecs with inter-frame prediction (H.264) see motion,
 * as they would on a live screen.
 */
#ifndef VIREO_BENCH_FRAMES_H
#define VIREO_BENCH_FRAMES_H

#include <stddef.h>
#include <stdint.h>

enum frames_kind {
	FRAMES_TEXT,  /* terminal-like text, coloured words on white */
	FRAMES_UI,    /* desktop: flat background, windows, buttons, text */
	FRAMES_PHOTO, /* smooth gradients plus mild noise */
	FRAMES_NOISE, /* every pixel random: the worst case */
	FRAMES_COUNT
};

/* Name used in results ("text", "ui", "photo", "noise"). */
const char *frames_kind_name(enum frames_kind kind);

/* Parses a name; returns the kind or -1. */
int frames_kind_parse(const char *name);

/*
 * Fills an XRGB8888 (little-endian, byte order B,G,R,X) frame of w x h
 * pixels with `stride` bytes per row, phase `phase` of content `kind`.
 */
void frames_render(enum frames_kind kind, unsigned phase, uint8_t *pixels,
		   unsigned w, unsigned h, size_t stride);

#endif
