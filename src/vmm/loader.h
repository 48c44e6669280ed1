/*
 * loader.h - the pure parsing half of the kernel loaders: what a static
 * x86-64 ELF (testcard, vmlinux) and a bzImage's setup header say, every
 * offset and length checked against the file, without a VM (the fuzzers
 * call these; loader_testcard.c and loader_linux.c then check addresses
 * against guest RAM and copy).
 */
#ifndef VIREO_VMM_LOADER_H
#define VIREO_VMM_LOADER_H

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>

struct loader_elf {
	uint64_t entry;
	uint64_t phoff;
	int phnum;
};

struct loader_segment {
	uint64_t paddr;
	uint64_t offset; /* offset + filesz <= the file's length */
	uint64_t filesz; /* <= memsz */
	uint64_t memsz;
};

/** Check the header of a 64-bit x86-64 ELF whose program headers lie in
 * the file.  @return 0 or -ENOEXEC. */
int loader_elf_parse(const uint8_t *f, size_t len, struct loader_elf *e);
/** Program header @i (< e->phnum).  @return 1 with *@seg for a PT_LOAD
 * segment, 0 for another type, -ENOEXEC for a PT_LOAD whose bytes are not
 * all in the file or whose file size exceeds its memory size. */
int loader_elf_segment(const uint8_t *f, size_t len, const struct loader_elf *e,
		       int i, struct loader_segment *seg);

/** The setup header of a bzImage and where its protected-mode kernel
 * starts.  @return 0; -ENOEXEC: not a bzImage; -EPROTONOSUPPORT: boot
 * protocol before 2.12 or no 64-bit entry; -ENODATA: truncated. */
int loader_bzimage_parse(const uint8_t *f, size_t len, struct setup_header *hdr,
			 size_t *kernel_off);
/** Where the compressed payload lies.  @return 0 with *@off (its length
 * is hdr->payload_length), or -ENOEXEC when it is not inside the file. */
int loader_bzimage_payload(const struct setup_header *hdr, size_t kernel_off,
			   size_t len, size_t *off);

#endif /* VIREO_VMM_LOADER_H */
