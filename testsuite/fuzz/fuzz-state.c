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

#include "fuzz.h"
#include "lib/memio.h"
#include "state.h"

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
	struct memio in, out = {0};
	struct vmm_state_io io_in = memio_io(&in), io_out = memio_io(&out);
	struct vmm_state_reader rd, rd2;
	struct vmm_sr rec, rec2;
	struct vmm_sw w;
	char err[256];
	int r, n = 0;

	memio_lend(&in, data, size);
	if (vmm_state_begin(&rd, &io_in, err, sizeof(err)))
		return 0;
	vmm_sw_begin(&w, &io_out, rd.time);
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
		FUZZ_ASSERT(vmm_sw_finish(&w) == 0);
		FUZZ_ASSERT(vmm_state_begin(&rd2, &io_out, err, sizeof(err)) ==
			    0);
		for (int i = 0; i < n; i++)
			FUZZ_ASSERT(
			    vmm_state_next(&rd2, &rec2, err, sizeof(err)) == 1);
		FUZZ_ASSERT(vmm_state_next(&rd2, &rec2, err, sizeof(err)) == 0);
		vmm_state_reader_free(&rd2);
	}
	vmm_sw_free(&w);
	memio_free(&out);
	return 0;
}
