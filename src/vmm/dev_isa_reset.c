/*
 * dev_isa_reset.c - the reset control register at port 0xcf9 (as on
 * PIIX/ICH chipsets): writing a value with bit 2 (reset CPU) set resets
 * the VM.  Linux uses it with reboot=pci; the i8042 and triple-fault
 * paths are in dev_isa_i8042.c and vcpu.c.
 */
#define LOG_TAG "reset"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmm_internal.h"

struct reset_softc {
	struct vmm *vm;
	uint8_t value; /* last value written (bits 1 and 3 are sticky) */
};

static void
reset_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct reset_softc *sc = dev;

	memset(data, sc->value, len);
}

static void
reset_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct reset_softc *sc = dev;

	if (len != 1)
		return;
	sc->value = data[0] & 0x0a;
	if (data[0] & 0x04) {
		log_info("guest reset through port 0xcf9");
		vmm_request_reset(sc->vm);
	}
}

static const struct vmm_io_ops reset_io = {
    .read = reset_read,
    .write = reset_write,
};

static void
reset_reset(void *state)
{
	((struct reset_softc *)state)->value = 0;
}

static int
reset_init(struct vmm *vm, void **state)
{
	struct reset_softc *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return -ENOMEM;
	sc->vm = vm;
	*state = sc;
	return vmm_bus_add(&vm->pio, VIREO_PORT_RESET, 1, &reset_io, sc);
}

static void
reset_destroy(void *state)
{
	free(state);
}

/* Saved state, version 1: the sticky bits of the register. */
static void
reset_save(void *state, struct vmm_sw *w)
{
	vmm_sw_u8(w, ((struct reset_softc *)state)->value);
}

static int
reset_load(void *state, struct vmm_sr *r, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	((struct reset_softc *)state)->value = vmm_sr_u8(r) & 0x0a;
	return r->err;
}

const struct vmm_device_ops reset_dev = {
    .name = "reset-cf9",
    .phase = VMM_PHASE_DEV,
    .init = reset_init,
    .reset = reset_reset,
    .destroy = reset_destroy,
    .tag = "RST ",
    .version = 1,
    .save = reset_save,
    .load = reset_load,
};
