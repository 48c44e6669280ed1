/*
 * memio.c - an in-memory byte stream behind struct vmm_state_io for
 * tests and fuzz targets (see memio.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memio.h"

static int
memio_write(void *ctx, const void *buf, size_t len)
{
	struct memio *m = ctx;

	if (m->lent)
		return -EROFS;
	if (m->len + len > m->cap) {
		size_t cap = (m->len + len) * 2;
		uint8_t *p = realloc(m->p, cap);

		if (!p)
			return -ENOMEM;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static int
memio_read(void *ctx, void *buf, size_t len)
{
	struct memio *m = ctx;

	if (m->pos == m->len && len)
		return -ENODATA;
	if (len > m->len - m->pos)
		return -EPROTO;
	memcpy(buf, m->p + m->pos, len);
	m->pos += len;
	return 0;
}

struct vmm_state_io
memio_io(struct memio *m)
{
	return (struct vmm_state_io){memio_write, memio_read, m};
}

void
memio_lend(struct memio *m, const void *p, size_t len)
{
	/* the cast is safe: memio_write refuses a lent buffer */
	*m = (struct memio){.p = (uint8_t *)p, .len = len, .lent = true};
}

void
memio_free(struct memio *m)
{
	if (!m->lent)
		free(m->p);
	*m = (struct memio){0};
}
