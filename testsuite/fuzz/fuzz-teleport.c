/*
 * fuzz-teleport.c - libFuzzer target for what a teleporter target reads
 * from its source (src/headless/tpwire.c framing, then the saved-state
 * container of src/vmm/state.c): the input is the byte stream the source
 * sends inside TLS - AUTH, CONF, the state stream, CRC, GO - and then
 * any further messages.  Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
 * so state checksums do not stop it at the first record.
 *
 * Oracles besides ASan/UBSan: a message's payload is never longer than
 * TPWIRE_MAX and is NUL-terminated, an accepted message has the tag and
 * size asked for, a NACK's text reaches the caller printable only, and a
 * NACK built from any bytes reads back as printable text.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "tpwire.h"

struct fz_mem {
	const uint8_t *p;
	size_t len, pos;
	uint8_t out[TPWIRE_MAX + 16];
	size_t out_len;
};

static int
fz_read(void *ctx, void *buf, size_t len)
{
	struct fz_mem *m = ctx;

	if (m->pos == m->len && len)
		return -ENODATA;
	if (len > m->len - m->pos)
		return -EPROTO;
	memcpy(buf, m->p + m->pos, len);
	m->pos += len;
	return 0;
}

static int
fz_write(void *ctx, const void *buf, size_t len)
{
	struct fz_mem *m = ctx;

	if (m->out_len + len > sizeof(m->out))
		return -ENOSPC;
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	return 0;
}

static bool
fz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static int
fz_expect(const struct vmm_state_io *io, struct tpwire_msg *m, const char *tag,
	  uint32_t min, uint32_t max)
{
	char err[600] = "";
	int r = tpwire_expect(io, m, tag, min, max, err, sizeof(err));

	FUZZ_ASSERT(m->len <= TPWIRE_MAX);
	if (r == -ECONNREFUSED)
		FUZZ_ASSERT(fz_printable(err));
	if (r == 0) {
		FUZZ_ASSERT(!strcmp(m->tag, tag));
		FUZZ_ASSERT(m->len >= min && m->len <= max);
		FUZZ_ASSERT(m->data[m->len] == 0);
	}
	return r;
}

/* A NACK of arbitrary bytes comes back as one printable line. */
static void
fz_nack_roundtrip(const uint8_t *p, size_t n, struct tpwire_msg *m)
{
	struct fz_mem mem = {.p = NULL};
	struct vmm_state_io io = {fz_write, fz_read, &mem};
	char why[600], err[600];

	n = n < sizeof(why) - 1 ? n : sizeof(why) - 1;
	memcpy(why, p, n);
	why[n] = '\0';
	FUZZ_ASSERT(tpwire_nack(&io, why) == 0);
	mem.p = mem.out;
	mem.len = mem.out_len;
	FUZZ_ASSERT(tpwire_expect(&io, m, "DONE", 0, 0, err, sizeof(err)) ==
		    -ECONNREFUSED);
	FUZZ_ASSERT(fz_printable(err) && strlen(err) < 512);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_mem in = {.p = data, .len = size};
	struct vmm_state_io io = {fz_write, fz_read, &in};
	struct tpwire_msg *m = malloc(sizeof(*m));
	struct vmm_state_reader rd;
	struct vmm_sr rec;
	char err[600];
	int r;

	if (!m)
		return 0;
	fz_nack_roundtrip(data, size, m);
	if (fz_expect(&io, m, "AUTH", TPWIRE_PROOF, TPWIRE_PROOF) ||
	    fz_expect(&io, m, "CONF", 9, TPWIRE_MAX))
		goto out;
	if (vmm_state_begin(&rd, &io, err, sizeof(err)) == 0) {
		while ((r = vmm_state_next(&rd, &rec, err, sizeof(err))) == 1)
			FUZZ_ASSERT(rec.len <= VMM_STATE_MAX_RECORD);
		vmm_state_reader_free(&rd);
		if (r)
			goto out;
	} else {
		goto out;
	}
	if (fz_expect(&io, m, "CRC ", 5, 5) || fz_expect(&io, m, "GO  ", 0, 0))
		goto out;
	/* whatever else comes, message by message */
	while (tpwire_recv(&io, m, err, sizeof(err)) == 0)
		FUZZ_ASSERT(m->len <= TPWIRE_MAX && m->data[m->len] == 0);
out:
	free(m);
	return 0;
}
