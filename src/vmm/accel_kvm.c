/*
 * accel_kvm.c - the KVM accelerator's VM side: /dev/kvm (API version
 * and capability checks), the VM itself (TSS, irqchip, PIT), guest memory
 * slots and VRAM's dirty log.  Its vCPUs are in accel_kvm_vcpu.c.
 *
 * Guest RAM below VIREO_MMIO_HOLE sits at 0; whatever does not fit moves
 * to 4 GiB, so the PCI BARs, IOAPIC and LAPIC have a hole below 4 GiB.
 * VRAM is its own slot with dirty logging, which is how the display model
 * finds damage without the guest's help.
 *
 * Teleporting (vireo-teleport(7)): while it tracks, the RAM slots log
 * writes too, and kvm_mig_sync() ORs every slot's log into migration's
 * bitmaps before each pre-copy round.  KVM_GET_DIRTY_LOG clears what it
 * returns, and the display reads the VRAM slot's log as well: both read
 * it under kvm_log_lock, migration keeps the bits it took for the display
 * (kvm_vram_pending) and the display hands migration the bits it took.
 * headless/teleport.sh runs this on KVM hosts, the target checking that
 * guest memory arrived byte for byte (VIREO_TELEPORT_VERIFY).
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "vmm_internal.h"

static const struct {
	int cap;
	const char *name;
} vmm_required_caps[] = {
    {KVM_CAP_IRQCHIP, "IRQCHIP"},
    {KVM_CAP_PIT2, "PIT2"},
    {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
    {KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR"},
    {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
    {KVM_CAP_HLT, "HLT"},
    {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
    {KVM_CAP_GET_TSC_KHZ, "GET_TSC_KHZ"},
};

/* Only opens: a path that does not exist is never created. */
static int
kvm_open(struct vmm *vm, char *err, size_t errlen)
{
	const char *dev = vmm_kvm_device();
	int v;

	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s%s", dev, strerror(e),
			 e == EACCES ? " (add the user to group kvm)" : "");
		return -e;
	}
	v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		snprintf(err, errlen, "%s has API version %d, need %d", dev, v,
			 KVM_API_VERSION);
		return -ENOTSUP;
	}
	for (size_t i = 0;
	     i < sizeof(vmm_required_caps) / sizeof(vmm_required_caps[0]);
	     i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			  vmm_required_caps[i].cap) <= 0) {
			snprintf(err, errlen, "%s lacks capability KVM_CAP_%s",
				 dev, vmm_required_caps[i].name);
			return -ENOTSUP;
		}
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE failed: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static int
vmm_kvm_slot(struct vmm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
	     void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .flags = flags,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	return 0;
}

/* 64-bit words of a dirty log of @bytes of memory (a bit per page). */
static size_t
kvm_log_words(uint64_t bytes)
{
	return (size_t)((bytes / 4096 + 63) / 64);
}

/* Creates the VM on the already-mapped RAM and VRAM (a reset calls it
 * again with the same memory). */
static int kvm_map_vram(struct vmm *vm, uint64_t gpa);

static void
kvm_close(struct vmm *vm)
{
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->kvm_fd = -1;
}

static int
kvm_vm_create(struct vmm *vm, char *err, size_t errlen)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	uint64_t ident = VIREO_GPA_IDENTITY_MAP;
	int r;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM failed: %s",
			 strerror(errno));
		return -errno;
	}
	/* both below 4 GiB, inside the MMIO hole, away from every BAR */
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, VIREO_GPA_TSS_KVM) < 0) {
		snprintf(
		    err, errlen,
		    "KVM_SET_IDENTITY_MAP_ADDR/KVM_SET_TSS_ADDR failed: %s",
		    strerror(errno));
		return -errno;
	}
	r = vmm_kvm_slot(vm, VMM_SLOT_RAM_LOW, 0, vm->ram_low, vm->ram, 0);
	if (!r && vm->ram_high)
		r = vmm_kvm_slot(vm, VMM_SLOT_RAM_HI, 1ull << 32, vm->ram_high,
				 vm->ram + vm->ram_low, 0);
	if (!r) {
		vm->vram_gpa = VMM_BUS_UNMAPPED;
		r = kvm_map_vram(vm, VIREO_GPA_VRAM);
	}
	if (r) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION failed: %s",
			 strerror(-r));
		return r;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP failed: %s",
			 strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		snprintf(err, errlen, "KVM_CREATE_PIT2 failed: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* (Re)place the VRAM slot at @gpa, or remove it (VMM_BUS_UNMAPPED): the
 * display device's BAR2 moved or stopped decoding. */
static int
kvm_map_vram(struct vmm *vm, uint64_t gpa)
{
	int r = 0;

	if (gpa == vm->vram_gpa)
		return 0;
	if (vm->vram_gpa != VMM_BUS_UNMAPPED)
		vmm_kvm_slot(vm, VMM_SLOT_VRAM, vm->vram_gpa, 0, vm->vram, 0);
	vm->vram_gpa = VMM_BUS_UNMAPPED;
	if (gpa != VMM_BUS_UNMAPPED) {
		r = vmm_kvm_slot(vm, VMM_SLOT_VRAM, gpa, vm->vram_size,
				 vm->vram, KVM_MEM_LOG_DIRTY_PAGES);
		if (!r)
			vm->vram_gpa = gpa;
	}
	/* the old slot's log went with it: a teleport resends all VRAM */
	pthread_mutex_lock(&vm->kvm_log_lock);
	if (vm->kvm_mig_on)
		for (size_t i = 0; i < kvm_log_words(vm->vram_size); i++)
			__atomic_store_n(&vm->mig_vram[i], ~0ull,
					 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vm->kvm_log_lock);
	return r;
}

static void
kvm_vm_destroy(struct vmm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}

/* ISA interrupts are level-style here: a device holds its line high while
 * it has something to say (the in-kernel PIC/IOAPIC take care of edges). */
static int
kvm_irq_line(struct vmm *vm, uint32_t irq, int level)
{
	struct kvm_irq_level l = {.irq = irq, .level = level};

	if (vm->vm_fd < 0)
		return -EBADF;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		return -errno;
	return 0;
}

/* ---- dirty logs: the display's and migration's ---------------------- */

/* OR @pages bits of @src into migration's bitmap @dst from page @first
 * on (atomically: the display and device threads mark it too). */
static void
kvm_log_or(uint64_t *dst, uint64_t first, const uint64_t *src, uint64_t pages)
{
	for (uint64_t i = 0; i < (pages + 63) / 64; i++) {
		for (uint64_t w = src[i]; w; w &= w - 1) {
			uint64_t p = i * 64 + (uint64_t)__builtin_ctzll(w);

			if (p >= pages)
				break;
			__atomic_fetch_or(&dst[(first + p) / 64],
					  1ull << ((first + p) % 64),
					  __ATOMIC_RELAXED);
		}
	}
}

static int
kvm_get_log(struct vmm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = {.slot = slot};

	log.dirty_bitmap = bitmap;
	return ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
}

/* The display's: VRAM pages written since its last call, with those
 * migration took meanwhile; migration gets the display's. */
static int
kvm_dirty_log(struct vmm *vm, uint8_t *bitmap)
{
	size_t words = kvm_log_words(vm->vram_size);
	uint64_t *bm = (uint64_t *)(void *)bitmap; /* calloc'd, aligned */
	int r;

	pthread_mutex_lock(&vm->kvm_log_lock);
	r = kvm_get_log(vm, VMM_SLOT_VRAM, bitmap);
	if (!r && vm->kvm_mig_on)
		kvm_log_or(vm->mig_vram, 0, bm, vm->vram_size / 4096);
	if (!r && vm->kvm_vram_pending) {
		for (size_t i = 0; i < words; i++)
			bm[i] |= vm->kvm_vram_pending[i];
		memset(vm->kvm_vram_pending, 0, words * 8);
	}
	pthread_mutex_unlock(&vm->kvm_log_lock);
	return r;
}

/* Migration's: every slot's log into vm->mig_ram / mig_vram. */
static int
kvm_mig_sync(struct vmm *vm)
{
	size_t vw = kvm_log_words(vm->vram_size);
	uint64_t *buf = vm->kvm_log_buf;
	int r;

	pthread_mutex_lock(&vm->kvm_log_lock);
	r = kvm_get_log(vm, VMM_SLOT_RAM_LOW, buf);
	if (!r)
		kvm_log_or(vm->mig_ram, 0, buf, vm->ram_low / 4096);
	if (!r && vm->ram_high) {
		r = kvm_get_log(vm, VMM_SLOT_RAM_HI, buf);
		if (!r)
			kvm_log_or(vm->mig_ram, vm->ram_low / 4096, buf,
				   vm->ram_high / 4096);
	}
	if (!r && vm->vram_gpa != VMM_BUS_UNMAPPED) {
		r = kvm_get_log(vm, VMM_SLOT_VRAM, buf);
		if (!r) {
			kvm_log_or(vm->mig_vram, 0, buf, vm->vram_size / 4096);
			for (size_t i = 0; i < vw; i++)
				vm->kvm_vram_pending[i] |= buf[i];
		}
	}
	pthread_mutex_unlock(&vm->kvm_log_lock);
	if (r)
		log_err("KVM_GET_DIRTY_LOG failed: %s", strerror(-r));
	return r;
}

/* Log writes to the RAM slots (@on) or stop; the VM is paused.  Flags of
 * a slot change in place (same slot, address and size). */
static int
kvm_ram_logging(struct vmm *vm, bool on)
{
	uint32_t f = on ? KVM_MEM_LOG_DIRTY_PAGES : 0;
	int r = vmm_kvm_slot(vm, VMM_SLOT_RAM_LOW, 0, vm->ram_low, vm->ram, f);

	if (!r && vm->ram_high)
		r = vmm_kvm_slot(vm, VMM_SLOT_RAM_HI, 1ull << 32, vm->ram_high,
				 vm->ram + vm->ram_low, f);
	return r;
}

static int
kvm_mig_track(struct vmm *vm, bool on)
{
	size_t vw = kvm_log_words(vm->vram_size);
	size_t rw = kvm_log_words(vm->ram_low > vm->ram_high ? vm->ram_low
							     : vm->ram_high);
	int r = 0;

	/* kept for the VM's life: pending bits outlive a teleport */
	if (on && !vm->kvm_vram_pending)
		vm->kvm_vram_pending = calloc(vw ? vw : 1, 8);
	if (on && !vm->kvm_log_buf)
		vm->kvm_log_buf = calloc(rw > vw ? rw : vw ? vw : 1, 8);
	if (on && (!vm->kvm_vram_pending || !vm->kvm_log_buf))
		return -ENOMEM;
	r = kvm_ram_logging(vm, on);
	if (r && on) {
		kvm_ram_logging(vm, false);
		log_err("cannot log the guest's writes to RAM: %s",
			strerror(-r));
		return r;
	}
	/* The RAM logs start clean; the VRAM log's older bits reach
	 * migration through the display's next call (a page sent twice). */
	pthread_mutex_lock(&vm->kvm_log_lock);
	vm->kvm_mig_on = on;
	pthread_mutex_unlock(&vm->kvm_log_lock);
	return 0;
}

const struct vmm_accel_ops vmm_accel_kvm = {
    .kind = VMM_ACCEL_KVM,
    .open = kvm_open,
    .close = kvm_close,
    .vm_create = kvm_vm_create,
    .vm_destroy = kvm_vm_destroy,
    .vcpu_create = vmm_kvm_vcpu_create,
    .vcpu_destroy = vmm_kvm_vcpu_destroy,
    .vcpu_long_mode = vmm_kvm_vcpu_long_mode,
    .vcpu_arm = vmm_kvm_vcpu_arm,
    .vcpu_run = vmm_kvm_vcpu_run,
    .vcpu_kick = vmm_kvm_vcpu_kick,
    .irq_line = kvm_irq_line,
    .map_vram = kvm_map_vram,
    .dirty_log = kvm_dirty_log,
    .mig_track = kvm_mig_track,
    .mig_sync = kvm_mig_sync,
    .vm_tag = "KVMV",
    .vcpu_tag = "KVMC",
    .vm_version = 1,
    .vcpu_version = 1,
    .vm_save = vmm_kvm_vm_save,
    .vm_load = vmm_kvm_vm_load,
    .vcpu_save = vmm_kvm_vcpu_save,
    .vcpu_load = vmm_kvm_vcpu_load,
};
