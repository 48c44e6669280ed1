/*
 * fuzz-bzimage.c - libFuzzer target for the bzImage loader's parsing
 * (src/vmm/loader_parse.c): the setup header and the payload's place.
 * The input is the file.
 *
 * Oracles besides ASan/UBSan: an accepted image has its protected-mode
 * kernel inside the file and a 64-bit entry, and an accepted payload lies
 * inside the file (all of it is read here).  The XZ decompression after
 * it is liblzma's and is not fuzzed here.
 */
#include "config.h"

#include "fuzz.h"
#include "vmm/loader.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setup_header hdr;
	size_t kernel_off, off;

	if (loader_bzimage_parse(data, size, &hdr, &kernel_off) < 0)
		return 0;
	FUZZ_ASSERT(kernel_off < size);
	FUZZ_ASSERT(hdr.version >= 0x020c && (hdr.xloadflags & XLF_KERNEL_64));
	if (loader_bzimage_payload(&hdr, kernel_off, size, &off) < 0)
		return 0;
	FUZZ_ASSERT(off <= size && hdr.payload_length <= size - off);
	fuzz_touch(data + off, hdr.payload_length);
	return 0;
}
