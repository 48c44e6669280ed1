/*
 * dev_pci_host.c - the PCI host bridge at 00:00.0 (8086:1237, class host
 * bridge) and configuration mechanism #1 on ports 0xcf8/0xcfc.
 *
 * The bridge's presence is what lets Linux's type-1 probe pass its sanity
 * check without ACPI.  Config reads of an absent function return all
 * ones.  BARs answer the sizing protocol (write ~0, read the mask); the
 * VMM assigns them like firmware, and a device follows the guest moving
 * them (its remap hook runs after every BAR or command write).
 */
#define LOG_TAG "pci"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmm_internal.h"

struct pci_host_softc {
	struct vmm *vm;
	pthread_mutex_t lock;
	uint32_t addr; /* last value written to 0xcf8 */
	struct vmm_pci_dev bridge;
};

/* The device whose configuration space an access of @len bytes at
 * @addr of the data window reaches, as 0xcf8 selected it, and the
 * offset in it; NULL when there is none or the access runs past it.
 * Called with sc->lock held. */
static struct vmm_pci_dev *
pci_host_target(struct pci_host_softc *sc, uint64_t addr, uint32_t len,
		uint32_t *reg)
{
	uint32_t a = sc->addr;
	struct vmm_pci_dev *d;

	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0 ||
	    ((a >> 8) & 7) != 0)
		return NULL;
	*reg = (a & 0xfc) + (uint32_t)addr;
	d = sc->vm->pci[(a >> 11) & 0x1f];
	return d && *reg + len <= 256 ? d : NULL;
}

static void
pci_host_cfg_write(struct vmm_pci_dev *d, uint32_t off, const uint8_t *data,
		   uint32_t len)
{
	uint32_t bar = (off - 0x10) / 4;

	if (off >= 0x10 && off < 0x28) {
		/* BARs: keep the type bits, honour the size mask. */
		uint32_t v, old;

		if (len != 4 || (off & 3))
			return;
		memcpy(&v, data, 4);
		memcpy(&old, &d->cfg[off], 4);
		if (!d->bar_mask[bar])
			return;
		v = (v & d->bar_mask[bar]) | (old & ~d->bar_mask[bar]);
		if (old & 1)
			v |= 1;
		memcpy(&d->cfg[off], &v, 4);
		if (d->remap)
			d->remap(d);
		return;
	}
	/* Writable: command (0x04), cache line/latency (0x0c-0x0d) and
	 * interrupt line (0x3c).  The rest is read-only. */
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = off + i;

		if (o == 4 || o == 5 || o == 0x0c || o == 0x0d || o == 0x3c)
			d->cfg[o] = data[i];
	}
	if (off <= 4 && off + len > 4 && d->remap)
		d->remap(d);
}

/* A read of @len bytes from @src; all ones where nothing answers. */
static void
pci_host_copy(uint8_t *data, const void *src, uint32_t len)
{
	if (src)
		memcpy(data, src, len);
	else
		memset(data, 0xff, len);
}

static void
pci_host_addr_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct pci_host_softc *sc = dev;

	pthread_mutex_lock(&sc->lock);
	pci_host_copy(data, len == 4 ? &sc->addr : NULL, len);
	pthread_mutex_unlock(&sc->lock);
}

static void
pci_host_addr_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct pci_host_softc *sc = dev;

	pthread_mutex_lock(&sc->lock);
	if (len == 4)
		memcpy(&sc->addr, data, 4);
	pthread_mutex_unlock(&sc->lock);
}

static void
pci_host_data_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct pci_host_softc *sc = dev;
	struct vmm_pci_dev *d;
	uint32_t reg;

	pthread_mutex_lock(&sc->lock);
	d = pci_host_target(sc, addr, len, &reg);
	pci_host_copy(data, d ? &d->cfg[reg] : NULL, len);
	pthread_mutex_unlock(&sc->lock);
}

static void
pci_host_data_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct pci_host_softc *sc = dev;
	struct vmm_pci_dev *d;
	uint32_t reg;

	pthread_mutex_lock(&sc->lock);
	d = pci_host_target(sc, addr, len, &reg);
	if (d)
		pci_host_cfg_write(d, reg, data, len);
	pthread_mutex_unlock(&sc->lock);
}

static const struct vmm_io_ops pci_host_addr_io = {
    .read = pci_host_addr_read,
    .write = pci_host_addr_write,
};

static const struct vmm_io_ops pci_host_data_io = {
    .read = pci_host_data_read,
    .write = pci_host_data_write,
};

static int
pci_host_init(struct vmm *vm, void **state)
{
	struct pci_host_softc *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return -ENOMEM;
	sc->vm = vm;
	pthread_mutex_init(&sc->lock, NULL);
	sc->bridge.slot = 0;
	vmm_pci_set_id(&sc->bridge, 0x8086, 0x1237, 0x06000002);
	/* 0xcf8 is a dword register; 0xcf9 (byte) belongs to the reset
	 * device; 0xcfc-0xcff is the data window. */
	r = vmm_bus_add(&vm->pio, VIREO_PORT_PCI_ADDR, 1, &pci_host_addr_io,
			sc);
	if (!r)
		r = vmm_bus_add(&vm->pio, VIREO_PORT_PCI_DATA, 4,
				&pci_host_data_io, sc);
	if (!r)
		r = vmm_pci_add(vm, &sc->bridge);
	*state = sc;
	return r;
}

static void
pci_host_destroy(void *state)
{
	free(state);
}

/* Saved state, version 1: the address register and the bridge's
 * writable config bytes (command, cache line, latency, interrupt line). */
static const uint8_t pci_host_writable[] = {0x04, 0x05, 0x0c, 0x0d, 0x3c};

static void
pci_host_save(void *state, struct vmm_sw *w)
{
	struct pci_host_softc *sc = state;

	pthread_mutex_lock(&sc->lock);
	vmm_sw_u32(w, sc->addr);
	for (size_t i = 0; i < sizeof(pci_host_writable); i++)
		vmm_sw_u8(w, sc->bridge.cfg[pci_host_writable[i]]);
	pthread_mutex_unlock(&sc->lock);
}

static int
pci_host_load(void *state, struct vmm_sr *r, char *err, size_t errlen)
{
	struct pci_host_softc *sc = state;

	(void)err;
	(void)errlen;
	pthread_mutex_lock(&sc->lock);
	sc->addr = vmm_sr_u32(r);
	for (size_t i = 0; i < sizeof(pci_host_writable); i++)
		sc->bridge.cfg[pci_host_writable[i]] = vmm_sr_u8(r);
	pthread_mutex_unlock(&sc->lock);
	return r->err;
}

const struct vmm_device_ops pci_host_dev = {
    .name = "pci-host",
    .phase = VMM_PHASE_BUS,
    .init = pci_host_init,
    .destroy = pci_host_destroy,
    .tag = "PCIH",
    .version = 1,
    .save = pci_host_save,
    .load = pci_host_load,
};
