/*
 * fuzz-state.c - libFuzzer target for the saved-state container
 * (src/vmm/state.c), which reads state files and teleport streams: the
 * input is the stream.  Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION,
 * so checksums do not stop the fuzzer at the first record.
 *
 * Oracles besides ASan/UBSan: a record's payload is never longer than the
 * limit, reading it field by field never goes past it, and the records
 * read, written out again, read back the same (tags, versions, payloads).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "state.h"

struct fz_mem {
	const uint8_t *p;
	size_t len, pos;
	uint8_t *out;
	size_t out_len, out_cap;
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

	if (m->out_len + len > m->out_cap) {
		size_t cap = (m->out_len + len) * 2;
		uint8_t *p = realloc(m->out, cap);

		if (!p)
			return -ENOMEM;
		m->out = p;
		m->out_cap = cap;
	}
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	return 0;
}

/* Read a payload the way device loads do, every width in turn. */
static void
fz_fields(struct vmm_sr r)
{
	uint8_t b[7];

	for (int i = 0; vmm_sr_left(&r); i++) {
		switch (i % 5) {
		case 0:
			vmm_sr_u8(&r);
			break;
		case 1:
			vmm_sr_u16(&r);
			break;
		case 2:
			vmm_sr_u32(&r);
			break;
		case 3:
			vmm_sr_u64(&r);
			break;
		default:
			vmm_sr_bytes(&r, b, sizeof(b));
			break;
		}
		FUZZ_ASSERT(r.off <= r.len);
	}
	FUZZ_ASSERT(vmm_sr_u8(&r) == 0 && r.err == -EPROTO);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_mem in = {.p = data, .len = size};
	struct vmm_state_io io = {fz_write, fz_read, &in};
	struct vmm_state_reader rd, rd2;
	struct vmm_sr rec, rec2;
	struct vmm_sw w;
	char err[256];
	int r, n = 0;

	if (vmm_state_begin(&rd, &io, err, sizeof(err)))
		return 0;
	vmm_sw_begin(&w, &io, rd.time);
	while ((r = vmm_state_next(&rd, &rec, err, sizeof(err))) == 1) {
		FUZZ_ASSERT(rec.len <= VMM_STATE_MAX_RECORD);
		fz_fields(rec);
		vmm_sw_rec_raw(&w, rec.tag, rec.ver, rec.inst, NULL, 0, rec.p,
			       rec.len);
		n++;
	}
	FUZZ_ASSERT(err[0] || r == 0);
	vmm_state_reader_free(&rd);
	if (r == 0) {
		/* a complete stream: what was read, written again, reads back
		 * the same */
		struct fz_mem again = {.p = NULL, .len = 0};
		struct vmm_state_io io2 = {fz_write, fz_read, &again};

		FUZZ_ASSERT(vmm_sw_finish(&w) == 0);
		again.p = in.out;
		again.len = in.out_len;
		FUZZ_ASSERT(vmm_state_begin(&rd2, &io2, err, sizeof(err)) == 0);
		for (int i = 0; i < n; i++)
			FUZZ_ASSERT(
			    vmm_state_next(&rd2, &rec2, err, sizeof(err)) == 1);
		FUZZ_ASSERT(vmm_state_next(&rd2, &rec2, err, sizeof(err)) == 0);
		vmm_state_reader_free(&rd2);
		free(again.out);
	}
	vmm_sw_free(&w);
	free(in.out);
	return 0;
}
