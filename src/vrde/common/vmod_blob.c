/*
 * vmod_blob.c - reference-counted bytes: a tile encoded once is sent to
 * every client that needs it by reference, and freed by the last one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vmod.h"

struct vmod_blob *
vmod_blob_new(const void *data, uint32_t len)
{
	struct vmod_blob *b = malloc(sizeof(*b) + len);

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	if (len)
		memcpy(b->data, data, len);
	return b;
}

struct vmod_blob *
vmod_blob_ref(struct vmod_blob *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void
vmod_blob_unref(struct vmod_blob *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}
