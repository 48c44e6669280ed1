/*
 * memio.h - an in-memory byte stream behind struct vmm_state_io
 * (src/vmm/state.h), for the tests and fuzz targets that write a saved
 * state or teleport stream and read it back without a file or socket
 * (vmm/test-state, fuzz/fuzz-state, fuzz/fuzz-teleport).
 *
 * Writes append to a buffer that grows; reads consume it from pos and
 * return -ENODATA at its end, -EPROTO for a read that runs past it, as a
 * file or socket that ends there would.  A lent buffer (memio_lend) is
 * read only.
 */
#ifndef VIREO_TESTSUITE_MEMIO_H
#define VIREO_TESTSUITE_MEMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/state.h"

struct memio {
	uint8_t *p; /* the bytes: written (malloc'd) or lent */
	size_t len; /* bytes in p */
	size_t cap; /* bytes allocated by writes */
	size_t pos; /* where the next read starts */
	bool lent;  /* p is the caller's: writes fail with -EROFS */
};

/** @return the callbacks that read and write @m (an empty memio, all
 * zero, or one filled by memio_lend). */
struct vmm_state_io memio_io(struct memio *m);
/** Make @m a read-only stream over @len bytes at @p. */
void memio_lend(struct memio *m, const void *p, size_t len);
/** Free what writes allocated; @m is empty afterwards. */
void memio_free(struct memio *m);

#endif
