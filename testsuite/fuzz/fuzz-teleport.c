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
#include "lib/memio.h"
#include "tpwire.h"

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
	struct memio mem = {0};
	struct vmm_state_io io = memio_io(&mem);
	char why[600], err[600];

	n = n < sizeof(why) - 1 ? n : sizeof(why) - 1;
	memcpy(why, p, n);
	why[n] = '\0';
	FUZZ_ASSERT(tpwire_nack(&io, why) == 0);
	FUZZ_ASSERT(tpwire_expect(&io, m, "DONE", 0, 0, err, sizeof(err)) ==
		    -ECONNREFUSED);
	FUZZ_ASSERT(fz_printable(err) && strlen(err) < 512);
	memio_free(&mem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memio in;
	struct vmm_state_io io = memio_io(&in);
	struct tpwire_msg *m = malloc(sizeof(*m));
	struct vmm_state_reader rd;
	struct vmm_sr rec;
	char err[600];
	int r;

	if (!m)
		return 0;
	memio_lend(&in, data, size);
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
