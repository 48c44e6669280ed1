/*
 * dev_isa_idle.c - vireo's idle port (VIREO_PORT_IDLE): a 32-bit write of
 * N makes the writing vCPU sleep up to N microseconds, less when a guest
 * event (input, a mode request) or a pause/stop arrives.
 *
 * The testcard runs in ring 3 only, where HLT is not allowed; without
 * this it would spin on the TSC and hold a host CPU at 100 %.
 */
#define LOG_TAG "idle"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmm_internal.h"

#define IDLE_MAX_USEC 100000u

static void
idle_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	uint32_t usec = 0;

	if (len != 4)
		return;
	memcpy(&usec, data, 4);
	vmm_idle_wait(dev, usec > IDLE_MAX_USEC ? IDLE_MAX_USEC : usec);
}

static const struct vmm_io_ops idle_io = {
    .write = idle_write,
};

static int
idle_init(struct vmm *vm, void **state)
{
	*state = NULL;
	return vmm_bus_add(&vm->pio, VIREO_PORT_IDLE, 4, &idle_io, vm);
}

static void
idle_destroy(void *state)
{
}

const struct vmm_device_ops idle_dev = {
    .name = "idle",
    .phase = VMM_PHASE_DEV,
    .init = idle_init,
    .destroy = idle_destroy,
};
