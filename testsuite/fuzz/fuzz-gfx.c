/*
 * fuzz-gfx.c - libFuzzer target for the parser of what a client sends on
 * the graphics pipeline channel (src/vrde/rdp/rdp_gfx_pdu.c): capability
 * advertisements and frame acknowledgements, from the network.
 *
 * Oracles besides ASan/UBSan: no more capability sets kept than there is
 * room for, and each one fits in the input.
 */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "rdp_gfx_pdu.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdp_gfx_in in;
	int rc = rdp_gfx_parse(data, size, &in);

	FUZZ_ASSERT(rc == 0 || rc == -EBADMSG);
	FUZZ_ASSERT(in.ncaps <= RDP_GFX_MAX_CAPS);
	for (uint16_t i = 0; i < in.ncaps; i++)
		FUZZ_ASSERT(in.cap[i].length <= size);
	FUZZ_ASSERT(!in.ack || size >= 20);
	return 0;
}
