/*
 * loader_testcard.c - loads the testcard guest: a static ELF64 whose
 * PT_LOAD segments go to their physical addresses, a boot-info block at
 * VIREO_GPA_BOOTINFO (TSC rate, options), and the first vCPU set up in
 * 64-bit mode at CPL3 with IOPL 3 at the ELF entry point.
 *
 * Every length and offset in the file is checked against the file
 * (loader_parse.c) and guest RAM before it is used.
 */
#define LOG_TAG "loader"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
#include "vmm_internal.h"

int
vmm_read_file(const char *path, uint8_t **out, size_t *len, char *err,
	      size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			snprintf(err, errlen, "cannot read %s: %s", path,
				 strerror(e));
			free(buf);
			close(fd);
			return -e;
		}
		got += n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

static int
testcard_load_segments(struct vmm *vm, const uint8_t *f, size_t len,
		       const struct loader_elf *e, char *err, size_t errlen)
{
	for (int i = 0; i < e->phnum; i++) {
		struct loader_segment seg;
		uint8_t *dst;
		int r = loader_elf_segment(f, len, e, i, &seg);

		if (r == 0)
			continue;
		if (r < 0) {
			snprintf(err, errlen,
				 "%s: segment %d lies outside the file",
				 vm->kernel, i);
			return -ENOEXEC;
		}
		dst = vmm_gpa(vm, seg.paddr, seg.memsz);
		if (!dst || seg.paddr < 0x100000) {
			snprintf(err, errlen,
				 "%s: segment %d (0x%llx+0x%llx) is not in "
				 "guest RAM above 1 MiB",
				 vm->kernel, i, (unsigned long long)seg.paddr,
				 (unsigned long long)seg.memsz);
			return -ENOEXEC;
		}
		memcpy(dst, f + seg.offset, seg.filesz);
		memset(dst + seg.filesz, 0, seg.memsz - seg.filesz);
	}
	return 0;
}

int
vmm_load_testcard(struct vmm *vm, char *err, size_t errlen)
{
	struct vireo_boot_info *bi;
	uint8_t *f;
	size_t len;
	struct loader_elf eh;
	int r;

	r = vmm_read_file(vm->kernel, &f, &len, err, errlen);
	if (r)
		return r;
	if (loader_elf_parse(f, len, &eh) < 0) {
		snprintf(err, errlen, "%s: not an x86-64 ELF executable",
			 vm->kernel);
		free(f);
		return -ENOEXEC;
	}
	vmm_boot_build_tables(vm);
	r = testcard_load_segments(vm, f, len, &eh, err, errlen);
	free(f);
	if (r)
		return r;

	bi = vmm_gpa(vm, VIREO_GPA_BOOTINFO, sizeof(*bi));
	memset(bi, 0, sizeof(*bi));
	bi->magic = VIREO_BOOT_MAGIC;
	bi->tsc_khz = vm->tsc_khz;
	bi->ram_bytes = vm->ram_size;
	bi->cpus = vm->ncpus;
	bi->boot_count = vm->boot_count;
	if (vm->cmdline)
		snprintf(bi->cmdline, sizeof(bi->cmdline), "%s", vm->cmdline);
	vmm_mptable_build(vm);
	r = vmm_vcpu_setup_long_mode(&vm->vcpus[0], true, eh.entry,
				     VIREO_GPA_TESTCARD_STACK, 0);
	if (r)
		snprintf(err, errlen, "vCPU setup: %s", strerror(-r));
	return r;
}
