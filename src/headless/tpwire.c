/*
 * tpwire.c - framing of the teleport connection's messages (tpwire.h).
 * Every length is checked before anything is read into a buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tpwire.h"

static void
tpwire_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int
tpwire_send(const struct vmm_state_io *io, const char *tag, const void *data,
	    size_t len)
{
	uint8_t h[8];
	int r;

	if (strlen(tag) != 4 || len > TPWIRE_MAX)
		return -EINVAL;
	memcpy(h, tag, 4);
	tpwire_put32(h + 4, (uint32_t)len);
	r = io->write(io->ctx, h, sizeof(h));
	if (!r && len)
		r = io->write(io->ctx, data, len);
	return r;
}

/* @s with every byte that is not printable ASCII as '?'. */
static void
tpwire_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

int
tpwire_nack(const struct vmm_state_io *io, const char *why)
{
	char line[512];

	snprintf(line, sizeof(line), "%s", why);
	tpwire_clean(line);
	return tpwire_send(io, "NACK", line, strlen(line));
}

int
tpwire_recv(const struct vmm_state_io *io, struct tpwire_msg *m, char *err,
	    size_t errlen)
{
	uint8_t h[8];
	uint32_t len;
	int r = io->read(io->ctx, h, sizeof(h));

	m->tag[0] = '\0';
	m->len = 0;
	if (r) {
		snprintf(err, errlen, "%s",
			 r == -ENODATA ? "the peer closed the connection"
				       : strerror(-r));
		return r;
	}
	for (int i = 0; i < 4; i++)
		if (h[i] < 0x20 || h[i] > 0x7e) {
			snprintf(err, errlen,
				 "not a teleport message "
				 "(bad tag)");
			return -EPROTO;
		}
	memcpy(m->tag, h, 4);
	m->tag[4] = '\0';
	len = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
	      (uint32_t)h[7] << 24;
	if (len > TPWIRE_MAX) {
		snprintf(err, errlen, "message \"%s\" of %u bytes (at most %u)",
			 m->tag, len, TPWIRE_MAX);
		return -EPROTO;
	}
	r = len ? io->read(io->ctx, m->data, len) : 0;
	if (r) {
		snprintf(err, errlen, "message \"%s\" cut short", m->tag);
		return r == -ENODATA ? -EPROTO : r;
	}
	/* only a whole message of an allowed size is ever seen */
	m->len = len;
	m->data[m->len] = '\0';
	return 0;
}

int
tpwire_expect(const struct vmm_state_io *io, struct tpwire_msg *m,
	      const char *tag, uint32_t min, uint32_t max, char *err,
	      size_t errlen)
{
	int r = tpwire_recv(io, m, err, errlen);

	if (r)
		return r;
	if (!strcmp(m->tag, "NACK")) {
		/* the text may hold NULs: it ends at the first */
		tpwire_clean((char *)m->data);
		snprintf(err, errlen, "%s",
			 m->data[0] ? (char *)m->data : "refused");
		return -ECONNREFUSED;
	}
	if (strcmp(m->tag, tag) || m->len < min || m->len > max) {
		snprintf(err, errlen,
			 "expected message \"%s\" (%u..%u bytes), got \"%s\" "
			 "(%u bytes)",
			 tag, min, max, m->tag, m->len);
		return -EPROTO;
	}
	return 0;
}
