/*
 * accel_kvm_vcpu.c - the KVM accelerator's vCPUs: creation (CPUID, LAPIC
 * wiring, FPU and MSR state), the long-mode register setup, and KVM_RUN
 * with its exits dispatched to the buses.
 *
 * A kick sets kvm_run.immediate_exit and sends SIGUSR1 (vcpu.c installs
 * a no-op handler), so a vCPU inside KVM_RUN returns with EINTR and looks
 * at the lifecycle flags before entering again.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "vmm_internal.h"

#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MSR_STAR	      0xc0000081
#define MSR_LSTAR	      0xc0000082
#define MSR_CSTAR	      0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_IA32_TSC	      0x10

/* KVM_GET_SUPPORTED_CPUID answers with the APIC IDs of whichever host
 * CPU ran the ioctl (leaf 1 EBX[31:24], leaves 0xB/0x1F EDX).  They are
 * cleared here, so the table describes the host's CPU model alone (what
 * teleporting compares) and each vCPU puts in its own. */
static void
kvm_cpuid_unhost(struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			e->ebx &= 0x00ffffff;
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = 0;
	}
}

static int
kvm_cpuid_fetch(struct vmm *vm)
{
	int n = 100;

	for (;;) {
		struct kvm_cpuid2 *c =
		    calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			kvm_cpuid_unhost(c);
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return -errno;
		n *= 2;
	}
}

/* The host's supported CPUID, with this vCPU's APIC ID (leaf 1, and the
 * x2APIC ID in leaves 0xB/0x1F), the hypervisor bit, and the CPU count in
 * leaf 1. */
static int
kvm_vcpu_set_cpuid(struct vmm_vcpu *c)
{
	struct vmm *vm = c->vm;
	size_t sz = sizeof(*vm->cpuid) +
		    vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *cp = malloc(sz);
	int r = 0;

	if (!cp)
		return -ENOMEM;
	memcpy(cp, vm->cpuid, sz);
	for (uint32_t i = 0; i < cp->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cp->entries[i];

		if (e->function == 1) {
			e->ebx &= 0x0000ffff;
			e->ebx |= (uint32_t)c->id << 24;
			e->ebx |= (vm->ncpus & 0xff) << 16;
			e->ecx |= 1u << 31; /* hypervisor present */
		}
		if (e->function == 6) /* no energy-performance bias */
			e->ecx &= ~(1u << 3);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = (uint32_t)c->id;
	}
	if (ioctl(c->fd, KVM_SET_CPUID2, cp) < 0)
		r = -errno;
	free(cp);
	return r;
}

/* PIC virtual-wire mode: LINT0 = ExtINT, LINT1 = NMI. */
static int
kvm_vcpu_set_lint(struct vmm_vcpu *c)
{
	struct kvm_lapic_state l;
	uint32_t *lvt0 = (uint32_t *)&l.regs[0x350];
	uint32_t *lvt1 = (uint32_t *)&l.regs[0x360];

	if (ioctl(c->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	*lvt0 = (*lvt0 & ~0x700u & ~0x10000u) | (7u << 8);
	*lvt1 = (*lvt1 & ~0x700u & ~0x10000u) | (4u << 8);
	if (ioctl(c->fd, KVM_SET_LAPIC, &l) < 0)
		return -errno;
	return 0;
}

static int
kvm_vcpu_set_msrs(struct vmm_vcpu *c)
{
	static const uint32_t zero[] = {
	    MSR_IA32_SYSENTER_CS,
	    MSR_IA32_SYSENTER_ESP,
	    MSR_IA32_SYSENTER_EIP,
	    MSR_STAR,
	    MSR_LSTAR,
	    MSR_CSTAR,
	    MSR_SYSCALL_MASK,
	    MSR_KERNEL_GS_BASE,
	    MSR_IA32_TSC,
	};
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[16];
	} m;
	uint32_t n = 0;

	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		m.e[n++].index = zero[i];
	m.e[n].index = MSR_IA32_MISC_ENABLE;
	m.e[n++].data = 1; /* fast strings */
	m.e[n].index = MSR_MTRR_DEF_TYPE;
	m.e[n++].data = (1u << 11) | 6; /* MTRRs on, default write-back */
	m.h.nmsrs = n;
	if (ioctl(c->fd, KVM_SET_MSRS, &m) != (int)n)
		return -EIO;
	return 0;
}

static int
kvm_vcpu_init_state(struct vmm_vcpu *c)
{
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	int r;

	r = kvm_vcpu_set_cpuid(c);
	if (!r)
		r = kvm_vcpu_set_lint(c);
	if (!r)
		r = kvm_vcpu_set_msrs(c);
	if (!r && ioctl(c->fd, KVM_SET_FPU, &fpu) < 0)
		r = -errno;
	return r;
}

int
vmm_kvm_vcpu_create(struct vmm_vcpu *c, char *err, size_t errlen)
{
	struct vmm *vm = c->vm;
	int r;

	if (!vm->cpuid) {
		r = kvm_cpuid_fetch(vm);
		if (r) {
			snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s",
				 strerror(-r));
			return r;
		}
	}
	c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, c->id);
	if (c->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", c->id,
			 strerror(errno));
		return -errno;
	}
	c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		snprintf(err, errlen, "mmap kvm_run: %s", strerror(errno));
		return -errno;
	}
	r = kvm_vcpu_init_state(c);
	if (r) {
		snprintf(err, errlen, "vCPU %d setup failed: %s", c->id,
			 strerror(-r));
		return r;
	}
	if (!vm->tsc_khz) {
		int k = ioctl(c->fd, KVM_GET_TSC_KHZ, 0);
		vm->tsc_khz = k > 0 ? (uint64_t)k : vmm_tsc_calibrate();
	}
	return 0;
}

void
vmm_kvm_vcpu_destroy(struct vmm_vcpu *c)
{
	if (c->run)
		munmap(c->run, c->vm->run_size);
	if (c->fd >= 0)
		close(c->fd);
	c->run = NULL;
	c->fd = -1;
}

static void
kvm_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code,
	uint8_t dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->g = 1;
	s->l = code ? 1 : 0;
	s->db = code ? 0 : 1;
}

int
vmm_kvm_vcpu_long_mode(struct vmm_vcpu *c, bool user, uint64_t rip,
		       uint64_t rsp, uint64_t rsi)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	uint8_t dpl = user ? 3 : 0;

	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	kvm_seg(&s.cs, user ? VIREO_SEL_CODE3 : VIREO_SEL_CODE0, 0xb, true,
		dpl);
	kvm_seg(&s.ds, user ? VIREO_SEL_DATA3 : VIREO_SEL_DATA0, 0x3, false,
		dpl);
	s.es = s.fs = s.gs = s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.selector = VIREO_SEL_TSS;
	s.tr.base = VIREO_GPA_TSS;
	s.tr.limit = VIREO_TSS_LIMIT;
	s.tr.type = 0xb;
	s.tr.present = 1;
	s.ldt.unusable = 1;
	s.gdt.base = VIREO_GPA_GDT;
	s.gdt.limit = 8 * 8 - 1;
	/* No IDT: any exception in the testcard is a triple fault, which is
	 * exactly how its "triplefault" option works. */
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80050033; /* PG WP NE ET MP PE */
	s.cr3 = VIREO_GPA_PML4;
	s.cr4 = 0x620;	/* PAE OSFXSR OSXMMEXCPT */
	s.efer = 0x500; /* LME LMA */
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	r.rip = rip;
	r.rsp = rsp;
	r.rsi = rsi;
	/* IOPL 3 for ring-3 port I/O.  Some hosts (the development machine)
	 * lose it, which is why the TSS also carries an all-zero I/O
	 * permission bitmap (boot.c). */
	r.rflags = 0x2 | (user ? 0x3000 : 0);
	if (ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

static void
kvm_vcpu_io(struct vmm_vcpu *c)
{
	struct kvm_run *run = c->run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;

	for (uint32_t i = 0; i < run->io.count; i++) {
		vmm_vcpu_pio(c->vm, run->io.port, p, run->io.size,
			     run->io.direction == KVM_EXIT_IO_OUT);
		p += run->io.size;
	}
}

void
vmm_kvm_vcpu_arm(struct vmm_vcpu *c)
{
	c->run->immediate_exit = 0;
}

void
vmm_kvm_vcpu_kick(struct vmm_vcpu *c)
{
	if (c->run)
		c->run->immediate_exit = 1;
	if (c->thread_started)
		pthread_kill(c->thread, SIGUSR1);
}

/* Where the guest was, for the log: a triple fault or a KVM failure is
 * a guest (or VMM) bug someone will want to find. */
static void
kvm_vcpu_log_state(struct vmm_vcpu *c, const char *what)
{
	struct kvm_regs r;

	memset(&r, 0, sizeof(r));
	ioctl(c->fd, KVM_GET_REGS, &r);
	log_info("vCPU %d: %s (exit %u) at rip 0x%llx rflags 0x%llx", c->id,
		 what, c->run->exit_reason, (unsigned long long)r.rip,
		 (unsigned long long)r.rflags);
}

static void
kvm_vcpu_internal_error(struct vmm_vcpu *c, const char *what)
{
	kvm_vcpu_log_state(c, what);
	if (c->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		log_err("vCPU %d: KVM internal error, suberror %u "
			"(1 = an instruction KVM cannot emulate)",
			c->id, c->run->internal.suberror);
	vmm_request_stop(c->vm, VMM_EXIT_INTERNAL_ERROR);
}

static bool
kvm_vcpu_exit(struct vmm_vcpu *c)
{
	struct kvm_run *run = c->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		kvm_vcpu_io(c);
		return true;
	case KVM_EXIT_MMIO:
		vmm_vcpu_mmio(c->vm, run->mmio.phys_addr, run->mmio.data,
			      run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_HLT:
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		kvm_vcpu_log_state(c, "triple fault");
		vmm_request_stop(c->vm, VMM_EXIT_TRIPLE_FAULT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vmm_request_reset(c->vm);
		else
			vmm_request_stop(c->vm, VMM_EXIT_POWEROFF);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		kvm_vcpu_internal_error(c, "KVM internal error");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		kvm_vcpu_internal_error(c, "VM entry failed");
		return false;
	default:
		kvm_vcpu_internal_error(c, "unhandled exit");
		return false;
	}
}

bool
vmm_kvm_vcpu_run(struct vmm_vcpu *c)
{
	if (ioctl(c->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return true;
		log_err("vCPU %d: KVM_RUN: %s", c->id, strerror(errno));
		vmm_request_stop(c->vm, VMM_EXIT_INTERNAL_ERROR);
		return false;
	}
	return kvm_vcpu_exit(c);
}
