/*
 * accel.c - choosing the accelerator that runs a VM's CPUs, and the few
 * entry points devices and loaders use without knowing which one it is.
 *
 * AUTO tries KVM first and falls back to the software CPU when /dev/kvm
 * cannot be opened or fails its checks, keeping the reason so the front
 * end can say why in one warning line.  Whether the chosen accelerator
 * can run this VM at all (the software CPU runs no Linux guest) is its
 * open()'s business, decided before anything is built.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "log.h"
#include "vmm_internal.h"

static const struct {
	const char *name;
	enum vmm_accel accel;
} vmm_accel_names[] = {
    {"auto", VMM_ACCEL_AUTO},	      {"kvm", VMM_ACCEL_KVM},
    {"software", VMM_ACCEL_SOFTWARE}, {"tcg", VMM_ACCEL_SOFTWARE},
    {"unicorn", VMM_ACCEL_SOFTWARE},
};

const char *
vmm_accel_name(enum vmm_accel a)
{
	for (size_t i = 0;
	     i < sizeof(vmm_accel_names) / sizeof(vmm_accel_names[0]); i++)
		if (vmm_accel_names[i].accel == a)
			return vmm_accel_names[i].name;
	return "unknown";
}

int
vmm_accel_parse(const char *name, enum vmm_accel *out)
{
	for (size_t i = 0;
	     i < sizeof(vmm_accel_names) / sizeof(vmm_accel_names[0]); i++)
		if (name && !strcmp(name, vmm_accel_names[i].name)) {
			*out = vmm_accel_names[i].accel;
			return 0;
		}
	return -EINVAL;
}

/* Tests point this at a path that does not exist to show the "no usable
 * KVM" error on hosts that have KVM. */
const char *
vmm_kvm_device(void)
{
	const char *p = getenv("VIREO_KVM_DEVICE");

	return p && *p ? p : "/dev/kvm";
}

static const struct vmm_accel_ops *
vmm_accel_ops(enum vmm_accel a)
{
	return a == VMM_ACCEL_KVM ? &vmm_accel_kvm : &vmm_accel_soft;
}

int
vmm_accel_probe(enum vmm_accel a, char *err, size_t errlen)
{
	struct vmm vm;
	int r;

	if (a == VMM_ACCEL_AUTO) {
		snprintf(err, errlen, "probe KVM or SOFTWARE, not AUTO");
		return -EINVAL;
	}
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = -1;
	vm.cfg.cpus = vm.ncpus = 1;
	vm.accel = vmm_accel_ops(a);
	r = vm.accel->open(&vm, err, errlen);
	vm.accel->close(&vm);
	return r;
}

int
vmm_accel_select(struct vmm *vm, char *err, size_t errlen)
{
	enum vmm_accel want = vm->cfg.accel;
	char why[256];
	int r;

	if (want == VMM_ACCEL_AUTO) {
		vm->accel = &vmm_accel_kvm;
		r = vm->accel->open(vm, why, sizeof(why));
		if (!r)
			return 0;
		vm->accel->close(vm);
		vm->accel_fallback = strdup(why);
		log_warn("KVM not usable (%s): running on the software CPU",
			 why);
		want = VMM_ACCEL_SOFTWARE;
	}
	vm->accel = vmm_accel_ops(want);
	r = vm->accel->open(vm, err, errlen);
	if (r && vm->accel_fallback && want == VMM_ACCEL_SOFTWARE) {
		/* say why KVM was not there either */
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, "; KVM: %s", vm->accel_fallback);
	}
	if (r)
		vm->accel->close(vm);
	return r;
}

enum vmm_accel
vmm_get_accel(const struct vmm *vm)
{
	return vm->accel ? vm->accel->kind : VMM_ACCEL_AUTO;
}

const char *
vmm_accel_fallback(const struct vmm *vm)
{
	return vm->accel_fallback;
}

int
vmm_irq_line(struct vmm *vm, uint32_t irq, int level)
{
	return vm->accel->irq_line(vm, irq, level);
}

int
vmm_map_vram(struct vmm *vm, uint64_t gpa)
{
	return vm->accel->map_vram(vm, gpa);
}

/* Without KVM_GET_TSC_KHZ: count TSC ticks over 20 ms of CLOCK_MONOTONIC.
 * The software CPU's rdtsc is the host's TSC, so this is the guest's rate
 * too. */
uint64_t
vmm_tsc_calibrate(void)
{
	struct timespec d = {0, 20000000};
	uint64_t t0, t1, c0, c1;

	t0 = vmm_now_ns();
	c0 = __rdtsc();
	nanosleep(&d, NULL);
	t1 = vmm_now_ns();
	c1 = __rdtsc();
	if (t1 <= t0 || c1 <= c0)
		return 1000000;
	return (c1 - c0) * 1000000ull / (t1 - t0);
}

/* Host pointer for guest RAM [gpa, gpa + len), or NULL outside RAM. */
void *
vmm_gpa(struct vmm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= vm->ram_low)
		return vm->ram + gpa;
	if (gpa >= (1ull << 32) && gpa + len <= (1ull << 32) + vm->ram_high)
		return vm->ram + vm->ram_low + (gpa - (1ull << 32));
	return NULL;
}
