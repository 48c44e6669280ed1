/*
 * dev_isa_poweroff.c - vireo's power-off port (VIREO_PORT_POWEROFF): any
 * write turns the VM off and vmm_wait() reports VMM_EXIT_POWEROFF.
 *
 * A guest without ACPI has no standard way to power off (Linux then only
 * halts), so the testcard, and any guest that knows vireo, uses this.
 */
#define LOG_TAG "poweroff"
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "vmm_internal.h"

static void
poweroff_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	log_info("guest powered off through port 0x%x",
		 (unsigned)VIREO_PORT_POWEROFF);
	vmm_request_stop(dev, VMM_EXIT_POWEROFF);
}

static const struct vmm_io_ops poweroff_io = {
    .write = poweroff_write,
};

static int
poweroff_init(struct vmm *vm, void **state)
{
	*state = NULL;
	return vmm_bus_add(&vm->pio, VIREO_PORT_POWEROFF, 4, &poweroff_io, vm);
}

static void
poweroff_destroy(void *state)
{
}

const struct vmm_device_ops poweroff_dev = {
    .name = "poweroff",
    .phase = VMM_PHASE_DEV,
    .init = poweroff_init,
    .destroy = poweroff_destroy,
};
