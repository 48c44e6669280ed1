/*
 * fuzz-elf.c - libFuzzer target for the ELF loader's parsing
 * (src/vmm/loader_parse.c), used for the testcard guest and for the
 * vmlinux that vireo decompresses out of a bzImage: the input is the file.
 *
 * Oracles besides ASan/UBSan: each PT_LOAD segment the parser accepts has
 * its file bytes inside the input (all of them are read here) and no more
 * file bytes than memory bytes.
 */
#include "config.h"

#include "fuzz.h"
#include "vmm/loader.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loader_elf e;
	struct loader_segment seg;

	if (loader_elf_parse(data, size, &e) < 0)
		return 0;
	FUZZ_ASSERT(e.phnum >= 0 && e.phoff <= size);
	for (int i = 0; i < e.phnum; i++) {
		int r = loader_elf_segment(data, size, &e, i, &seg);

		if (r <= 0)
			continue;
		FUZZ_ASSERT(seg.filesz <= seg.memsz);
		FUZZ_ASSERT(seg.offset <= size &&
			    seg.filesz <= size - seg.offset);
		fuzz_touch(data + seg.offset, seg.filesz);
	}
	return 0;
}
