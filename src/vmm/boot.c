/*
 * boot.c - what both loaders put in guest memory before the first
 * instruction: a GDT with ring-0 and ring-3 64-bit segments and a TSS,
 * and page tables identity-mapping the first 4 GiB with 2 MiB pages.
 *
 * The pages are user-accessible so the testcard can start directly at
 * CPL3 (ring-0 guest code is slow on machines without full hardware
 * virtualization).  Linux replaces all of this early in its boot.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <string.h>

#include "log.h"
#include "vmm_internal.h"

static void
boot_put64(void *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

void
vmm_boot_build_tables(struct vmm *vm)
{
	uint8_t *gdt = vmm_gpa(vm, VIREO_GPA_GDT, 0x1000);
	uint8_t *pml4 = vmm_gpa(vm, VIREO_GPA_PML4, 0x1000);
	uint8_t *pdpt = vmm_gpa(vm, VIREO_GPA_PDPT, 0x1000);
	uint8_t *pd = vmm_gpa(vm, VIREO_GPA_PD, 0x4000);
	uint64_t tss = VIREO_GPA_TSS;
	uint8_t *tss_p = vmm_gpa(vm, VIREO_GPA_TSS, VIREO_TSS_LIMIT + 1);

	memset(gdt, 0, 0x1000);
	boot_put64(gdt + VIREO_SEL_CODE0, 0x00af9b000000ffffull);
	boot_put64(gdt + VIREO_SEL_DATA0, 0x00cf93000000ffffull);
	boot_put64(gdt + (VIREO_SEL_CODE3 & ~3), 0x00affb000000ffffull);
	boot_put64(gdt + (VIREO_SEL_DATA3 & ~3), 0x00cff3000000ffffull);
	/* 64-bit TSS descriptor (busy), 16 bytes */
	boot_put64(gdt + VIREO_SEL_TSS,
		   (VIREO_TSS_LIMIT & 0xffff) | (tss & 0xffffff) << 16 |
		       0x8bull << 40 |
		       (uint64_t)((VIREO_TSS_LIMIT >> 16) & 0xf) << 48 |
		       ((tss >> 24) & 0xff) << 56);
	boot_put64(gdt + VIREO_SEL_TSS + 8, tss >> 32);
	/* TSS: RSP0 below the testcard stack; the I/O permission bitmap
	 * right after the 0x68-byte TSS, all zero = every port allowed,
	 * ended by the 0xff byte the CPU reads past the last port. */
	memset(tss_p, 0, VIREO_TSS_LIMIT + 1);
	boot_put64(tss_p + 4, VIREO_GPA_TESTCARD_STACK - 0x10000);
	tss_p[0x66] = 0x68;
	tss_p[VIREO_TSS_LIMIT] = 0xff;

	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	boot_put64(pml4, VIREO_GPA_PDPT | 0x7);
	for (uint64_t i = 0; i < 4; i++) {
		boot_put64(pdpt + 8 * i, (VIREO_GPA_PD + 0x1000 * i) | 0x7);
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t a = (i << 30) | (j << 21);

			/* present, writable, user, 2 MiB */
			boot_put64(pd + 0x1000 * i + 8 * j, a | 0x87);
		}
	}
}
