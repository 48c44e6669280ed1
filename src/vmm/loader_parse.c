/*
 * loader_parse.c - ELF and bzImage header parsing (loader.h).  The file's
 * bytes are not trusted: nothing is read before its range is checked.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "loader.h"

int
loader_elf_parse(const uint8_t *f, size_t len, struct loader_elf *e)
{
	Elf64_Ehdr eh;

	if (len < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, f, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    (size_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return -ENOEXEC;
	e->entry = eh.e_entry;
	e->phoff = eh.e_phoff;
	e->phnum = eh.e_phnum;
	return 0;
}

int
loader_elf_segment(const uint8_t *f, size_t len, const struct loader_elf *e,
		   int i, struct loader_segment *seg)
{
	Elf64_Phdr ph;

	memcpy(&ph, f + e->phoff + (size_t)i * sizeof(ph), sizeof(ph));
	if (ph.p_type != PT_LOAD)
		return 0;
	if (ph.p_filesz > ph.p_memsz || ph.p_offset > len ||
	    ph.p_filesz > len - ph.p_offset)
		return -ENOEXEC;
	seg->paddr = ph.p_paddr;
	seg->offset = ph.p_offset;
	seg->filesz = ph.p_filesz;
	seg->memsz = ph.p_memsz;
	return 1;
}

int
loader_bzimage_parse(const uint8_t *f, size_t len, struct setup_header *hdr,
		     size_t *kernel_off)
{
	size_t n;
	uint8_t setup_sects;

	if (len < 0x250 || memcmp(f + 0x202, "HdrS", 4))
		return -ENOEXEC;
	/* the header runs from 0x1f1 to the end its jump at 0x200 names;
	 * copy no more of it than the file holds */
	n = 0x202 + f[0x201] - 0x1f1;
	if (n > sizeof(*hdr))
		n = sizeof(*hdr);
	if (n > len - 0x1f1)
		n = len - 0x1f1;
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, f + 0x1f1, n);
	if (hdr->version < 0x020c || !(hdr->xloadflags & XLF_KERNEL_64))
		return -EPROTONOSUPPORT;
	setup_sects = hdr->setup_sects ? hdr->setup_sects : 4;
	*kernel_off = ((size_t)setup_sects + 1) * 512;
	return *kernel_off >= len ? -ENODATA : 0;
}

int
loader_bzimage_payload(const struct setup_header *hdr, size_t kernel_off,
		       size_t len, size_t *off)
{
	*off = kernel_off + hdr->payload_offset;
	if (hdr->payload_offset == 0 || kernel_off > len || *off > len ||
	    hdr->payload_length > len - *off)
		return -ENOEXEC;
	return 0;
}
