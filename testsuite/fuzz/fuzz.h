/*
 * fuzz.h - helpers shared by the libFuzzer targets in this directory.
 *
 * Targets that drive a sequence of calls read their input as records:
 * one op byte, a 16-bit little-endian length, then that many bytes (cut
 * short at the end of the input).  A fixed layout lets the fuzzer splice
 * records between inputs and keeps seeds easy to write by hand.
 */
#ifndef VIREO_FUZZ_H
#define VIREO_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

struct fuzz_rec {
	uint8_t op;
	const uint8_t *data;
	size_t len;
};

/* The next record; false at the end of the input. */
static inline bool
fuzz_next(struct fuzz_in *in, struct fuzz_rec *r)
{
	size_t n;

	if (in->left < 3)
		return false;
	r->op = in->p[0];
	n = (size_t)in->p[1] | (size_t)in->p[2] << 8;
	in->p += 3;
	in->left -= 3;
	if (n > in->left)
		n = in->left;
	r->data = in->p;
	r->len = n;
	in->p += n;
	in->left -= n;
	return true;
}

/* Touch every byte of @p so that ASan checks the whole range is live. */
static inline void
fuzz_touch(const void *p, size_t len)
{
	const volatile uint8_t *b = p;
	uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	(void)x;
}

/* A failed oracle: abort so that libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(#cond, __FILE__, __LINE__);                  \
	} while (0)

static inline void
fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: oracle failed: %s\n", file, line, what);
	abort();
}

#endif /* VIREO_FUZZ_H */
