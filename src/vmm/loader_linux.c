/*
 * loader_linux.c - boots a Linux bzImage through the x86 64-bit boot
 * protocol (Documentation/x86/boot.rst): a zero page with the setup
 * header, an e820 map, the command line, the initrd, and a screen_info of
 * type VESA LFB that points at head 0 of the display device, so the
 * kernel's built-in vesafb and fbcon show the console there.
 *
 * By default the VMM decompresses the kernel itself (the payload is an
 * XZ stream, read with liblzma) and enters the resulting vmlinux at its
 * 64-bit entry point, which takes the same zero page.  That skips the
 * in-guest decompressor, which runs for minutes on hosts that emulate
 * guest ring 0.  With vmm_config.linux_guest_decompress the protected-mode
 * kernel is loaded as is and entered at load address + 0x200.
 */
#define LOG_TAG "loader"
#include "config.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <linux/screen_info.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "log.h"
#include "vmm_internal.h"

#define LINUX_ZERO_PAGE	    0x10000ull
#define LINUX_CMDLINE	    0x20000ull
#define LINUX_STACK	    0x9ff0ull
#define LINUX_LOAD	    0x1000000ull /* 16 MiB, Debian's pref_address */
#define LINUX_DEFAULT_CMD   "console=ttyS0 nokaslr"
#define LINUX_E820_RAM	    1
#define LINUX_E820_RESERVED 2

struct linux_image {
	uint8_t *file;
	size_t len;
	struct setup_header hdr;
	size_t kernel_off; /* protected-mode kernel in the file */
};

static int
linux_parse_header(struct vmm *vm, struct linux_image *im, char *err,
		   size_t errlen)
{
	int r =
	    loader_bzimage_parse(im->file, im->len, &im->hdr, &im->kernel_off);

	if (r == -ENOEXEC)
		snprintf(err, errlen, "%s: not a Linux bzImage", vm->kernel);
	else if (r == -EPROTONOSUPPORT)
		snprintf(err, errlen,
			 "%s: boot protocol %u.%u without a 64-bit entry "
			 "(need 2.12 and XLF_KERNEL_64)",
			 vm->kernel, im->hdr.version >> 8,
			 im->hdr.version & 0xff);
	else if (r < 0)
		snprintf(err, errlen, "%s: truncated bzImage", vm->kernel);
	return r < 0 ? -ENOEXEC : 0;
}

/* XZ payload -> vmlinux ELF in a new buffer. */
static int
linux_decompress(struct vmm *vm, struct linux_image *im, uint8_t **out,
		 size_t *out_len, char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t off;
	size_t cap = 64u << 20, n;
	uint8_t *buf;
	lzma_ret r;

	if (loader_bzimage_payload(&im->hdr, im->kernel_off, im->len, &off)) {
		snprintf(err, errlen, "%s: payload outside the file",
			 vm->kernel);
		return -ENOEXEC;
	}
	if (im->hdr.payload_length < 6 || memcmp(im->file + off,
						 "\xfd"
						 "7zXZ",
						 6)) {
		snprintf(err, errlen,
			 "%s: payload is not XZ-compressed (only XZ kernels "
			 "can be decompressed by vireo)",
			 vm->kernel);
		return -ENOTSUP;
	}
	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return -ENOMEM;
	buf = malloc(cap);
	s.next_in = im->file + off;
	s.avail_in = im->hdr.payload_length;
	n = 0;
	do {
		if (!buf) {
			lzma_end(&s);
			return -ENOMEM;
		}
		if (n == cap) {
			uint8_t *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				lzma_end(&s);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		s.next_out = buf + n;
		s.avail_out = cap - n;
		r = lzma_code(&s, LZMA_FINISH);
		n = cap - s.avail_out;
	} while (r == LZMA_OK);
	lzma_end(&s);
	if (r != LZMA_STREAM_END) {
		free(buf);
		snprintf(err, errlen, "%s: XZ payload is corrupt (%d)",
			 vm->kernel, (int)r);
		return -EINVAL;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

static int
linux_load_vmlinux(struct vmm *vm, const uint8_t *f, size_t len,
		   uint64_t *entry, char *err, size_t errlen)
{
	struct loader_elf e;

	if (loader_elf_parse(f, len, &e) < 0)
		goto bad;
	for (int i = 0; i < e.phnum; i++) {
		struct loader_segment seg;
		uint8_t *dst;
		int r = loader_elf_segment(f, len, &e, i, &seg);

		if (r == 0)
			continue;
		if (r < 0)
			goto bad;
		dst = vmm_gpa(vm, seg.paddr, seg.memsz);
		if (!dst) {
			snprintf(err, errlen,
				 "kernel segment at 0x%llx does not fit in "
				 "guest RAM (%llu MiB)",
				 (unsigned long long)seg.paddr,
				 (unsigned long long)(vm->ram_size >> 20));
			return -ENOMEM;
		}
		memcpy(dst, f + seg.offset, seg.filesz);
		memset(dst + seg.filesz, 0, seg.memsz - seg.filesz);
	}
	*entry = e.entry;
	return 0;
bad:
	snprintf(err, errlen, "%s: decompressed kernel is not a valid vmlinux",
		 vm->kernel);
	return -ENOEXEC;
}

static void
linux_e820(struct vmm *vm, struct boot_params *bp)
{
	struct boot_e820_entry *e = bp->e820_table;
	int n = 0;

	e[n++] = (struct boot_e820_entry){0, 0x9fc00, LINUX_E820_RAM};
	e[n++] = (struct boot_e820_entry){0x9fc00, 0x400, LINUX_E820_RESERVED};
	e[n++] =
	    (struct boot_e820_entry){0xf0000, 0x10000, LINUX_E820_RESERVED};
	e[n++] = (struct boot_e820_entry){0x100000, vm->ram_low - 0x100000,
					  LINUX_E820_RAM};
	if (vm->ram_high)
		e[n++] = (struct boot_e820_entry){1ull << 32, vm->ram_high,
						  LINUX_E820_RAM};
	bp->e820_entries = (uint8_t)n;
}

/* The boot framebuffer: head 0 in its power-on mode. */
static void
linux_screen_info(struct vmm *vm, struct screen_info *si)
{
	uint32_t w, h;

	vmm_display_default_mode(0, &w, &h);
	si->orig_video_isVGA = VIDEO_TYPE_VLFB;
	si->lfb_width = (uint16_t)w;
	si->lfb_height = (uint16_t)h;
	si->lfb_depth = 32;
	si->lfb_linelength = (uint16_t)(w * 4);
	si->lfb_base = (uint32_t)VIREO_GPA_VRAM;
	si->lfb_size = (uint32_t)(vm->vram_per_head >> 16); /* 64 KiB units */
	si->red_size = si->green_size = si->blue_size = si->rsvd_size = 8;
	si->red_pos = 16;
	si->green_pos = 8;
	si->blue_pos = 0;
	si->rsvd_pos = 24;
	si->pages = 1;
	si->orig_video_cols = (uint8_t)(w / 8);
	si->orig_video_lines = (uint8_t)(h / 16);
}

static int
linux_load_initrd(struct vmm *vm, struct boot_params *bp, uint64_t kernel_end,
		  char *err, size_t errlen)
{
	uint8_t *f, *dst;
	size_t len;
	uint64_t top, addr;
	int r;

	r = vmm_read_file(vm->initrd, &f, &len, err, errlen);
	if (r)
		return r;
	top = vm->ram_low;
	if (bp->hdr.initrd_addr_max &&
	    top > (uint64_t)bp->hdr.initrd_addr_max + 1)
		top = (uint64_t)bp->hdr.initrd_addr_max + 1;
	addr = (top - len) & ~0xfffull;
	if (len > top || addr < kernel_end || !(dst = vmm_gpa(vm, addr, len))) {
		snprintf(err, errlen,
			 "initrd %s (%zu KiB) does not fit in guest RAM above "
			 "the kernel",
			 vm->initrd, len >> 10);
		free(f);
		return -ENOMEM;
	}
	memcpy(dst, f, len);
	free(f);
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)len;
	bp->ext_ramdisk_image = (uint32_t)(addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)((uint64_t)len >> 32);
	return 0;
}

static int
linux_place_kernel(struct vmm *vm, struct linux_image *im, uint64_t *entry,
		   char *err, size_t errlen)
{
	uint8_t *elf, *dst;
	size_t elf_len, klen = im->len - im->kernel_off;
	int r;

	if (im->hdr.init_size && LINUX_LOAD + im->hdr.init_size > vm->ram_low) {
		snprintf(err, errlen,
			 "the kernel needs %u MiB of RAM above 16 MiB; give "
			 "the VM more memory",
			 (unsigned)(im->hdr.init_size >> 20));
		return -ENOMEM;
	}
	if (vm->cfg.linux_guest_decompress) {
		dst = vmm_gpa(vm, LINUX_LOAD, klen);
		if (!dst)
			return -ENOMEM;
		memcpy(dst, im->file + im->kernel_off, klen);
		im->hdr.code32_start = (uint32_t)LINUX_LOAD;
		*entry = LINUX_LOAD + 0x200;
		return 0;
	}
	r = linux_decompress(vm, im, &elf, &elf_len, err, errlen);
	if (r)
		return r;
	r = linux_load_vmlinux(vm, elf, elf_len, entry, err, errlen);
	free(elf);
	return r;
}

int
vmm_load_linux(struct vmm *vm, char *err, size_t errlen)
{
	struct linux_image im = {0};
	struct boot_params *bp;
	const char *cmd = vm->cmdline ? vm->cmdline : LINUX_DEFAULT_CMD;
	uint64_t entry = 0;
	char *cl;
	int r;

	r = vmm_read_file(vm->kernel, &im.file, &im.len, err, errlen);
	if (r)
		return r;
	r = linux_parse_header(vm, &im, err, errlen);
	if (!r &&
	    strlen(cmd) >= (im.hdr.cmdline_size ? im.hdr.cmdline_size : 256)) {
		snprintf(err, errlen,
			 "kernel command line longer than %u bytes",
			 im.hdr.cmdline_size);
		r = -E2BIG;
	}
	if (!r) {
		vmm_boot_build_tables(vm);
		r = linux_place_kernel(vm, &im, &entry, err, errlen);
	}
	if (r) {
		free(im.file);
		return r;
	}
	bp = vmm_gpa(vm, LINUX_ZERO_PAGE, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	bp->hdr = im.hdr;
	free(im.file);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = (uint32_t)LINUX_CMDLINE;
	bp->hdr.vid_mode = 0xffff;
	cl = vmm_gpa(vm, LINUX_CMDLINE, strlen(cmd) + 1);
	memcpy(cl, cmd, strlen(cmd) + 1);
	linux_e820(vm, bp);
	linux_screen_info(vm, &bp->screen_info);
	if (vm->initrd &&
	    (r = linux_load_initrd(vm, bp,
				   LINUX_LOAD + (bp->hdr.init_size
						     ? bp->hdr.init_size
						     : 64u << 20),
				   err, errlen)))
		return r;
	vmm_mptable_build(vm);
	log_info("Linux: entry 0x%llx, %s decompression, command line \"%s\"",
		 (unsigned long long)entry,
		 vm->cfg.linux_guest_decompress ? "in-guest" : "host", cmd);
	r = vmm_vcpu_setup_long_mode(&vm->vcpus[0], false, entry, LINUX_STACK,
				     LINUX_ZERO_PAGE);
	if (r)
		snprintf(err, errlen, "vCPU setup: %s", strerror(-r));
	return r;
}
