/*
 * devices.c - the one table of the VM's devices, in init order.
 *
 * Devices are listed explicitly (no constructors, no linker sets) so the
 * order is visible: bus providers first, then everything that plugs in.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "vmm_internal.h"

extern const struct vmm_device_ops pci_host_dev;
extern const struct vmm_device_ops uart_com1_dev;
extern const struct vmm_device_ops uart_com2_dev;
extern const struct vmm_device_ops i8042_dev;
extern const struct vmm_device_ops rtc_dev;
extern const struct vmm_device_ops reset_dev;
extern const struct vmm_device_ops poweroff_dev;
extern const struct vmm_device_ops idle_dev;
extern const struct vmm_device_ops display_dev;
extern const struct vmm_device_ops ohci_dev;

static const struct vmm_device_ops *const vmm_device_table[] = {
    &pci_host_dev, /* VMM_PHASE_BUS */
    &uart_com1_dev, &uart_com2_dev, &i8042_dev,	  &rtc_dev,  &reset_dev,
    &poweroff_dev,  &idle_dev,	    &display_dev, &ohci_dev,
};

int
vmm_devices_init(struct vmm *vm)
{
	size_t n = sizeof(vmm_device_table) / sizeof(vmm_device_table[0]);

	for (int phase = VMM_PHASE_BUS; phase <= VMM_PHASE_DEV; phase++) {
		for (size_t i = 0; i < n; i++) {
			const struct vmm_device_ops *d = vmm_device_table[i];
			void *st = NULL;
			int r;

			if ((int)d->phase != phase)
				continue;
			r = d->init(vm, &st);
			vm->dev_ops[vm->ndev] = d;
			vm->dev_state[vm->ndev++] = st;
			if (r) {
				log_err("device %s: %s", d->name, strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

void
vmm_devices_reset(struct vmm *vm)
{
	for (int i = 0; i < vm->ndev; i++)
		if (vm->dev_ops[i]->reset)
			vm->dev_ops[i]->reset(vm->dev_state[i]);
}

void
vmm_devices_destroy(struct vmm *vm)
{
	for (int i = vm->ndev - 1; i >= 0; i--)
		vm->dev_ops[i]->destroy(vm->dev_state[i]);
	vm->ndev = 0;
}
