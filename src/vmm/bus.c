/*
 * bus.c - the port-I/O and MMIO buses (address ranges to device
 * handlers) and the helpers PCI functions use to fill their config space.
 *
 * Ranges are registered while the VM is built and never change while
 * vCPUs run, so lookups need no lock.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "vmm_internal.h"

int
vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len,
	    const struct vmm_io_ops *ops, void *dev)
{
	if (bus->n == VMM_MAX_RANGES)
		return -ENOSPC;
	for (int i = 0; i < bus->n; i++) {
		struct vmm_io_range *r = &bus->r[i];

		if (base < r->base + r->len && r->base < base + len)
			return -EEXIST;
	}
	bus->r[bus->n++] = (struct vmm_io_range){base, len, ops, dev};
	return 0;
}

void
vmm_bus_move(struct vmm_bus *bus, void *dev, uint64_t old_base,
	     uint64_t new_base)
{
	for (int i = 0; i < bus->n; i++) {
		struct vmm_io_range *r = &bus->r[i];

		if (r->dev == dev &&
		    __atomic_load_n(&r->base, __ATOMIC_ACQUIRE) == old_base) {
			__atomic_store_n(&r->base, new_base, __ATOMIC_RELEASE);
			return;
		}
	}
}

/* @return false when no device claims @addr (reads then see all ones). */
bool
vmm_bus_access(struct vmm_bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
	       bool is_write)
{
	for (int i = 0; i < bus->n; i++) {
		struct vmm_io_range *r = &bus->r[i];
		uint64_t base = __atomic_load_n(&r->base, __ATOMIC_ACQUIRE);

		if (base == VMM_BUS_UNMAPPED || addr < base ||
		    addr >= base + r->len)
			continue;
		if (is_write) {
			if (r->ops->write)
				r->ops->write(r->dev, addr - base, data, len);
		} else {
			if (r->ops->read)
				r->ops->read(r->dev, addr - base, data, len);
			else
				memset(data, 0xff, len);
		}
		return true;
	}
	return false;
}

int
vmm_pci_add(struct vmm *vm, struct vmm_pci_dev *dev)
{
	if (dev->slot >= 32 || vm->pci[dev->slot])
		return -EEXIST;
	vm->pci[dev->slot] = dev;
	return 0;
}

static void
vmm_pci_put32(struct vmm_pci_dev *d, int off, uint32_t v)
{
	memcpy(&d->cfg[off], &v, 4);
}

void
vmm_pci_set_id(struct vmm_pci_dev *d, uint16_t vendor, uint16_t device,
	       uint32_t class_rev)
{
	vmm_pci_put32(d, 0x00, vendor | (uint32_t)device << 16);
	vmm_pci_put32(d, 0x08, class_rev);
	vmm_pci_put32(d, 0x2c, vendor | (uint32_t)device << 16); /* subsys */
}

/* @flags: the BAR's low bits (bit 0 I/O, bits 2:1 = 2 for 64-bit,
 * bit 3 prefetchable).  A 64-bit BAR takes @bar and @bar + 1. */
void
vmm_pci_set_bar(struct vmm_pci_dev *d, int bar, uint64_t addr, uint64_t size,
		uint32_t flags)
{
	uint64_t mask = ~(size - 1);

	vmm_pci_put32(d, 0x10 + 4 * bar, (uint32_t)addr | flags);
	d->bar_mask[bar] = (uint32_t)mask;
	if ((flags & 6) == 4) {
		vmm_pci_put32(d, 0x14 + 4 * bar, (uint32_t)(addr >> 32));
		d->bar_mask[bar + 1] = (uint32_t)(mask >> 32);
	}
}
