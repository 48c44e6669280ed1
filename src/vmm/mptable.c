/*
 * mptable.c - an Intel MultiProcessor Specification 1.4 table at
 * VIREO_GPA_MPTABLE: one processor entry per vCPU, the ISA and PCI
 * buses, the in-kernel IOAPIC and identity-mapped ISA interrupts.
 *
 * This is how a guest without ACPI (Linux with acpi=off or no RSDP, the
 * testcard) finds the other vCPUs and the IOAPIC.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <string.h>

#include "log.h"
#include "vmm_internal.h"

static uint8_t
mp_checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

static uint8_t *
mp_put(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

void
vmm_mptable_build(struct vmm *vm)
{
	uint8_t *base = vmm_gpa(vm, VIREO_GPA_MPTABLE, 0x1000);
	uint8_t *cfg = base + 16, *p = cfg + 44;
	uint32_t lapic = VIREO_GPA_LAPIC, ioapic = VIREO_GPA_IOAPIC;
	uint8_t ioapic_id = (uint8_t)vm->ncpus;
	uint16_t entries = 0, len;
	uint32_t cfg_addr = VIREO_GPA_MPTABLE + 16;

	if (!base)
		return;
	memset(base, 0, 0x1000);
	for (uint32_t i = 0; i < vm->ncpus; i++) {
		uint8_t e[20] = {0, (uint8_t)i, 0x14, i ? 1 : 3};
		uint32_t sig = 0x600, feat = 0x201; /* family 6; FPU, APIC */

		memcpy(e + 4, &sig, 4);
		memcpy(e + 8, &feat, 4);
		p = mp_put(p, e, 20);
		entries++;
	}
	p = mp_put(p, (uint8_t[8]){1, 0, 'P', 'C', 'I', ' ', ' ', ' '}, 8);
	p = mp_put(p, (uint8_t[8]){1, 1, 'I', 'S', 'A', ' ', ' ', ' '}, 8);
	entries += 2;
	{
		uint8_t e[8] = {2, ioapic_id, 0x11, 1};

		memcpy(e + 4, &ioapic, 4);
		p = mp_put(p, e, 8);
		entries++;
	}
	for (uint8_t irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue; /* the PIC cascade */
		/* ISA bus 1, IRQ n -> IOAPIC pin n: KVM's default routing
		 * sends GSI n to pin n, the PIT included */
		uint8_t pin = irq;

		p = mp_put(p, (uint8_t[8]){3, 0, 0, 0, 1, irq, ioapic_id, pin},
			   8);
		entries++;
	}
	/* the OHCI controller's INTA: PCI bus 0, (slot << 2 | pin A) ->
	 * its own IOAPIC pin, level-triggered, active low as PCI is */
	if (vm->cfg.usb_ohci) {
		p = mp_put(p,
			   (uint8_t[8]){3, 0, 0x0f, 0, 0, VIREO_OHCI_SLOT << 2,
					ioapic_id, VIREO_OHCI_IRQ},
			   8);
		entries++;
	}
	/* LINT0 = ExtINT, LINT1 = NMI on every local APIC */
	p = mp_put(p, (uint8_t[8]){4, 3, 0, 0, 1, 0, 0xff, 0}, 8);
	p = mp_put(p, (uint8_t[8]){4, 1, 0, 0, 1, 0, 0xff, 1}, 8);
	entries += 2;

	len = (uint16_t)(p - cfg);
	memcpy(cfg, "PCMP", 4);
	memcpy(cfg + 4, &len, 2);
	cfg[6] = 4;
	memcpy(cfg + 8, "VIREO   ", 8);
	memcpy(cfg + 16, "KVM VM      ", 12);
	memcpy(cfg + 34, &entries, 2);
	memcpy(cfg + 36, &lapic, 4);
	cfg[7] = mp_checksum(cfg, len);

	memcpy(base, "_MP_", 4);
	memcpy(base + 4, &cfg_addr, 4);
	base[8] = 1;
	base[9] = 4;
	base[10] = mp_checksum(base, 16);
}
