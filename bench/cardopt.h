/*
 * cardopt.h - the options that choose what the bench's own card drawers
 * (card-host, xanim) show, spelled the same in both:
 *   --scene card|desktop   the test card (default) or the desktop scene
 *   --fps N                frames per second, 1 to 60 (default TESTCARD_FPS;
 *                          the bench uses 30 and 60)
 * They match the testcard guest's options "desktop" and "fps60".
 */
#ifndef VIREO_BENCH_CARDOPT_H
#define VIREO_BENCH_CARDOPT_H

#include "guest/card.h"

/** If argv[*i] is one of the options above, apply it to @c / @fps and
 * step *i past its value.  @return 1 taken, 0 not one of them, -1 a bad
 * value (a line on stderr says which). */
int cardopt_parse(struct card *c, unsigned *fps, int argc, char **argv, int *i);

/** The options' usage text, for the callers' own. */
#define CARDOPT_USAGE "[--scene card|desktop] [--fps 1-60]"

#endif /* VIREO_BENCH_CARDOPT_H */
