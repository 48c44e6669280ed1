/*
 * accel_soft.c - the software CPU: vCPUs run by Unicorn 2 (QEMU's TCG as
 * a library) on hosts without a usable /dev/kvm.
 *
 * Guest RAM and VRAM are the VMM's own mappings, handed to the engine
 * with uc_mem_map_ptr(), so devices and the display see the guest's
 * stores at once.  The rest of the hole below 4 GiB is one MMIO region
 * (two, around VRAM) whose callbacks go to the MMIO bus, and IN/OUT go
 * to the port bus: devices cannot tell this from KVM.
 *
 * What it cannot do, and so refuses before a VM is built: Unicorn never
 * delivers an exception through the guest's IDT and has no way to inject
 * an interrupt (../shared/reference/software-cpu-facts.md), so an
 * operating system cannot run; the testcard polls, has no IDT, and treats
 * any exception as the triple fault KVM would report.  One engine is one
 * vCPU, with no atomicity between engines, so a VM gets exactly one.  It
 * keeps no dirty log for the display, which compares VRAM with its copy
 * instead; a teleport's pre-copy gets one from a write hook
 * (soft_mig_track), added only while a teleport runs: every guest store
 * takes Unicorn's slow path anyway, so the hook costs about a tenth more
 * on a store-bound loop (../shared/reference/teleport-facts.md, 3).  The
 * hook sees guest-virtual addresses; the guests this CPU runs stay on the
 * identity map of the first 4 GiB that boot.c builds (vmm_mig_mark
 * ignores anything outside RAM and VRAM).
 *
 * Stopping for a kick happens only at the start of a translation block,
 * from a block hook that sees vcpu->kicked.  Unicorn 2.0 does not bring
 * the guest's RIP up to date when uc_emu_stop() is called from another
 * thread or from inside an instruction (a port or MMIO hook): the run
 * would resume at the start of an earlier block and execute it twice
 * (a CALL pushing twice).  A block hook is entered with RIP set to the
 * block's address, so stopping there resumes exactly.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "log.h"
#include "vmm_internal.h"

#define SOFT_HOLE_END	    (1ull << 32)
#define SOFT_IDLE_AFTER_HLT 10000 /* us: nothing can wake a halted CPU */
#define SOFT_NO_EXCEPTION   UINT32_MAX

struct soft_cpu;

/* A piece of the MMIO hole, mapped with its own callbacks' opaque. */
struct soft_piece {
	struct soft_cpu *sc;
	uint64_t base, size;
};

/* One engine: the vCPU and its view of guest-physical memory. */
struct soft_cpu {
	uc_engine *uc;
	struct vmm_vcpu *c;
	uint64_t vram_gpa; /* where VRAM is mapped in it */
	struct soft_piece hole[2];
	uint32_t exception; /* vector, or SOFT_NO_EXCEPTION */
	uc_hook h_in, h_out, h_intr, h_block;
	uc_hook h_dirty; /* teleport pre-copy, when dirty_on */
	bool dirty_on;
};

/* VM-wide: where VRAM should be, for an engine created after a move. */
struct soft_vm {
	uint64_t vram_gpa;
};

static int
soft_open(struct vmm *vm, char *err, size_t errlen)
{
	uc_engine *uc;
	uc_err e;

	if (vm->cfg.boot == VMM_BOOT_LINUX) {
		snprintf(err, errlen,
			 "the software CPU cannot run a Linux guest (it "
			 "delivers no interrupts or exceptions); a Linux "
			 "guest needs KVM");
		return -ENOTSUP;
	}
	if (vm->cfg.cpus != 1) {
		snprintf(err, errlen,
			 "the software CPU runs one vCPU, the VM has %u "
			 "(set the CPU count to 1, or use KVM)",
			 vm->cfg.cpus);
		return -ENOTSUP;
	}
	e = uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
	if (e != UC_ERR_OK) {
		snprintf(err, errlen, "the software CPU (Unicorn) failed: %s",
			 uc_strerror(e));
		return -ENOTSUP;
	}
	uc_close(uc);
	return 0;
}

static void
soft_close(struct vmm *vm)
{
	(void)vm;
}

static int
soft_vm_create(struct vmm *vm, char *err, size_t errlen)
{
	struct soft_vm *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->vram_gpa = VIREO_GPA_VRAM;
	vm->soft = s;
	vm->vram_gpa = VIREO_GPA_VRAM;
	if (!vm->tsc_khz)
		vm->tsc_khz = vmm_tsc_calibrate();
	return 0;
}

static void
soft_vm_destroy(struct vmm *vm)
{
	free(vm->soft);
	vm->soft = NULL;
}

/* ---- guest-physical memory ------------------------------------------- */

static uint64_t
soft_mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *opaque)
{
	struct soft_piece *p = opaque;
	uint64_t v = 0;

	(void)uc;
	vmm_vcpu_mmio(p->sc->c->vm, p->base + off, (uint8_t *)&v,
		      size < sizeof(v) ? size : sizeof(v), false);
	return v;
}

static void
soft_mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v,
		void *opaque)
{
	struct soft_piece *p = opaque;

	(void)uc;
	vmm_vcpu_mmio(p->sc->c->vm, p->base + off, (uint8_t *)&v,
		      size < sizeof(v) ? size : sizeof(v), true);
}

/* The MMIO hole: [ram_low, 4 GiB) less VRAM where VRAM sits inside it. */
static void
soft_hole_layout(struct vmm *vm, uint64_t vram, struct soft_piece out[2])
{
	uint64_t lo = vm->ram_low, hi = SOFT_HOLE_END;
	int n = 0;

	out[0].size = out[1].size = 0;
	if (lo >= hi)
		return;
	if (vram == VMM_BUS_UNMAPPED || vram >= hi ||
	    vram + vm->vram_size <= lo) {
		out[0].base = lo;
		out[0].size = hi - lo;
		return;
	}
	if (vram > lo) {
		out[n].base = lo;
		out[n++].size = vram - lo;
	}
	if (vram + vm->vram_size < hi) {
		out[n].base = vram + vm->vram_size;
		out[n].size = hi - out[n].base;
	}
}

static void
soft_unmap_hole(struct soft_cpu *sc, struct vmm *vm)
{
	for (int i = 0; i < 2; i++)
		if (sc->hole[i].size)
			uc_mem_unmap(sc->uc, sc->hole[i].base,
				     sc->hole[i].size);
	sc->hole[0].size = sc->hole[1].size = 0;
	if (sc->vram_gpa != VMM_BUS_UNMAPPED)
		uc_mem_unmap(sc->uc, sc->vram_gpa, vm->vram_size);
	sc->vram_gpa = VMM_BUS_UNMAPPED;
}

/* VRAM at @vram (or nowhere) and the MMIO hole around it.  A VRAM
 * address that collides with RAM is refused, and the hole comes back
 * without VRAM. */
static int
soft_map_hole(struct soft_cpu *sc, struct vmm *vm, uint64_t vram)
{
	uc_err e = UC_ERR_OK;

	soft_unmap_hole(sc, vm);
	if (vram != VMM_BUS_UNMAPPED) {
		e = uc_mem_map_ptr(sc->uc, vram, vm->vram_size, UC_PROT_ALL,
				   vm->vram);
		if (e == UC_ERR_OK)
			sc->vram_gpa = vram;
	}
	soft_hole_layout(vm, sc->vram_gpa, sc->hole);
	for (int i = 0; i < 2; i++) {
		sc->hole[i].sc = sc;
		if (sc->hole[i].size &&
		    uc_mmio_map(sc->uc, sc->hole[i].base, sc->hole[i].size,
				soft_mmio_read, &sc->hole[i], soft_mmio_write,
				&sc->hole[i]) != UC_ERR_OK)
			return -ENOMEM;
	}
	return e == UC_ERR_OK ? 0 : -EEXIST;
}

/* Called from the display device when the guest moves BAR2: on the
 * vCPU thread, inside a port hook.  Unicorn flushes its TLB when the
 * map changes, so the next access sees the new layout. */
static int
soft_map_vram(struct vmm *vm, uint64_t gpa)
{
	struct soft_vm *s = vm->soft;
	struct soft_cpu *sc = vm->vcpus[0].soft;
	int r = 0;

	if (s)
		s->vram_gpa = gpa;
	if (sc)
		r = soft_map_hole(sc, vm, gpa);
	vm->vram_gpa = sc ? sc->vram_gpa : gpa;
	return r;
}

static int
soft_map_ram(struct soft_cpu *sc, struct vmm *vm)
{
	if (uc_mem_map_ptr(sc->uc, 0, vm->ram_low, UC_PROT_ALL, vm->ram) !=
	    UC_ERR_OK)
		return -ENOMEM;
	if (vm->ram_high &&
	    uc_mem_map_ptr(sc->uc, SOFT_HOLE_END, vm->ram_high, UC_PROT_ALL,
			   vm->ram + vm->ram_low) != UC_ERR_OK)
		return -ENOMEM;
	return soft_map_hole(sc, vm, ((struct soft_vm *)vm->soft)->vram_gpa);
}

/* ---- ports and exceptions --------------------------------------------- */

static uint32_t
soft_port_in(uc_engine *uc, uint32_t port, int size, void *opaque)
{
	struct soft_cpu *sc = opaque;
	uint32_t v = 0;

	(void)uc;
	vmm_vcpu_pio(sc->c->vm, (uint16_t)port, (uint8_t *)&v, (uint32_t)size,
		     false);
	return v;
}

static void
soft_port_out(uc_engine *uc, uint32_t port, int size, uint32_t v, void *opaque)
{
	struct soft_cpu *sc = opaque;

	(void)uc;
	vmm_vcpu_pio(sc->c->vm, (uint16_t)port, (uint8_t *)&v, (uint32_t)size,
		     true);
}

/* The start of every translation block: the one place where stopping
 * leaves RIP right (see the top of this file). */
static void
soft_block(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct soft_cpu *sc = opaque;

	(void)addr;
	(void)size;
	if (__atomic_load_n(&sc->c->kicked, __ATOMIC_ACQUIRE))
		uc_emu_stop(uc);
}

/* Every exception ends up here instead of the guest's IDT. */
static void
soft_exception(uc_engine *uc, uint32_t vector, void *opaque)
{
	struct soft_cpu *sc = opaque;

	sc->exception = vector;
	uc_emu_stop(uc);
}

static int
soft_hooks(struct soft_cpu *sc)
{
	if (uc_hook_add(sc->uc, &sc->h_in, UC_HOOK_INSN, soft_port_in, sc, 1, 0,
			UC_X86_INS_IN) != UC_ERR_OK ||
	    uc_hook_add(sc->uc, &sc->h_out, UC_HOOK_INSN, soft_port_out, sc, 1,
			0, UC_X86_INS_OUT) != UC_ERR_OK ||
	    uc_hook_add(sc->uc, &sc->h_intr, UC_HOOK_INTR, soft_exception, sc,
			1, 0) != UC_ERR_OK ||
	    uc_hook_add(sc->uc, &sc->h_block, UC_HOOK_BLOCK, soft_block, sc, 1,
			0) != UC_ERR_OK)
		return -ENOMEM;
	return 0;
}

/* ---- vCPU -------------------------------------------------------------- */

static void
soft_vcpu_destroy(struct vmm_vcpu *c)
{
	struct soft_cpu *sc = c->soft;

	if (!sc)
		return;
	c->soft = NULL;
	uc_close(sc->uc);
	free(sc);
}

static int
soft_vcpu_create(struct vmm_vcpu *c, char *err, size_t errlen)
{
	struct soft_cpu *sc = calloc(1, sizeof(*sc));
	uint64_t none[1];
	uc_err e;
	int r;

	if (!sc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sc->c = c;
	sc->vram_gpa = VMM_BUS_UNMAPPED;
	sc->exception = SOFT_NO_EXCEPTION;
	e = uc_open(UC_ARCH_X86, UC_MODE_64, &sc->uc);
	if (e != UC_ERR_OK) {
		free(sc);
		snprintf(err, errlen, "software CPU: %s", uc_strerror(e));
		return -ENOMEM;
	}
	c->soft = sc;
	/* run until stopped, never "until an address" */
	if (uc_ctl_exits_enable(sc->uc) != UC_ERR_OK ||
	    uc_ctl_set_exits(sc->uc, none, 0) != UC_ERR_OK) {
		snprintf(err, errlen, "software CPU: cannot disable exits");
		return -ENOTSUP;
	}
	r = soft_map_ram(sc, c->vm);
	if (!r)
		r = soft_hooks(sc);
	if (r) {
		snprintf(err, errlen, "software CPU: cannot map guest memory");
		return r;
	}
	return 0;
}

static int
soft_write(struct soft_cpu *sc, int reg, const void *v)
{
	return uc_reg_write(sc->uc, reg, v) == UC_ERR_OK ? 0 : -EINVAL;
}

static int
soft_set_msr(struct soft_cpu *sc, uint32_t msr, uint64_t v)
{
	uc_x86_msr m = {.rid = msr, .value = v};

	return soft_write(sc, UC_X86_REG_MSR, &m);
}

/* The order matters: descriptor tables and paging first, then the
 * segment registers, whose descriptors Unicorn loads from the GDT, with
 * SS last (it sets the CPL). */
static int
soft_vcpu_long_mode(struct vmm_vcpu *c, bool user, uint64_t rip, uint64_t rsp,
		    uint64_t rsi)
{
	struct soft_cpu *sc = c->soft;
	uc_x86_mmr gdtr = {.base = VIREO_GPA_GDT, .limit = 8 * 8 - 1};
	uc_x86_mmr idtr = {.base = 0, .limit = 0};
	uc_x86_mmr tr = {.selector = VIREO_SEL_TSS,
			 .base = VIREO_GPA_TSS,
			 .limit = VIREO_TSS_LIMIT,
			 .flags = 0x8b00}; /* present, busy 64-bit TSS */
	uint64_t cr0 = 0x80050033, cr3 = VIREO_GPA_PML4, cr4 = 0x620;
	uint64_t cs = user ? VIREO_SEL_CODE3 : VIREO_SEL_CODE0;
	uint64_t ds = user ? VIREO_SEL_DATA3 : VIREO_SEL_DATA0;
	uint64_t rflags = 0x2 | (user ? 0x3000 : 0), zero = 0;
	int r = 0;

	r |= soft_write(sc, UC_X86_REG_GDTR, &gdtr);
	r |= soft_write(sc, UC_X86_REG_IDTR, &idtr);
	r |= soft_write(sc, UC_X86_REG_CR4, &cr4);
	r |= soft_write(sc, UC_X86_REG_CR3, &cr3);
	r |= soft_set_msr(sc, 0xc0000080, 0x500); /* EFER: LME LMA */
	r |= soft_write(sc, UC_X86_REG_CR0, &cr0);
	r |= soft_write(sc, UC_X86_REG_TR, &tr);
	r |= soft_write(sc, UC_X86_REG_CS, &cs);
	r |= soft_write(sc, UC_X86_REG_DS, &ds);
	r |= soft_write(sc, UC_X86_REG_ES, &ds);
	r |= soft_write(sc, UC_X86_REG_FS, &ds);
	r |= soft_write(sc, UC_X86_REG_GS, &ds);
	r |= soft_write(sc, UC_X86_REG_SS, &ds);
	r |= soft_write(sc, UC_X86_REG_RFLAGS, &rflags);
	r |= soft_write(sc, UC_X86_REG_RIP, &rip);
	r |= soft_write(sc, UC_X86_REG_RSP, &rsp);
	r |= soft_write(sc, UC_X86_REG_RSI, &rsi);
	r |= soft_write(sc, UC_X86_REG_RAX, &zero);
	return r ? -EINVAL : 0;
}

static void
soft_vcpu_arm(struct vmm_vcpu *c)
{
	(void)c;
}

/* vcpu->kicked is all it takes: the next block stops (soft_block), and
 * a vCPU resting on the idle port wakes for the lifecycle request. */
static void
soft_vcpu_kick(struct vmm_vcpu *c)
{
	(void)c;
}

static uint64_t
soft_reg(struct soft_cpu *sc, int reg)
{
	uint64_t v = 0;

	uc_reg_read(sc->uc, reg, &v);
	return v;
}

/* An exception with no IDT to deliver it through: what KVM reports as a
 * shutdown (triple fault). */
static bool
soft_vcpu_fault(struct vmm_vcpu *c, struct soft_cpu *sc)
{
	log_info("vCPU %d: exception %u with no IDT: triple fault at rip "
		 "0x%llx rflags 0x%llx",
		 c->id, sc->exception,
		 (unsigned long long)soft_reg(sc, UC_X86_REG_RIP),
		 (unsigned long long)soft_reg(sc, UC_X86_REG_RFLAGS));
	vmm_request_stop(c->vm, VMM_EXIT_TRIPLE_FAULT);
	return false;
}

static bool
soft_vcpu_run(struct vmm_vcpu *c)
{
	struct soft_cpu *sc = c->soft;
	uint64_t rip = soft_reg(sc, UC_X86_REG_RIP);
	uc_err e;

	e = uc_emu_start(sc->uc, rip, 0, 0, 0);
	/* no IDT: #UD comes back as an invalid instruction, the rest
	 * through soft_exception() */
	if (e == UC_ERR_INSN_INVALID)
		sc->exception = 6;
	else if (e == UC_ERR_EXCEPTION && sc->exception == SOFT_NO_EXCEPTION)
		sc->exception = 255; /* one the hook did not see */
	if (sc->exception != SOFT_NO_EXCEPTION)
		return soft_vcpu_fault(c, sc);
	if (e != UC_ERR_OK) {
		log_err("vCPU %d: software CPU stopped: %s at rip 0x%llx",
			c->id, uc_strerror(e),
			(unsigned long long)soft_reg(sc, UC_X86_REG_RIP));
		vmm_request_stop(c->vm, VMM_EXIT_INTERNAL_ERROR);
		return false;
	}
	/* Stopped without a kick: the guest executed HLT, which nothing
	 * can end here; rest a little, as a halted CPU would. */
	if (!__atomic_load_n(&c->kicked, __ATOMIC_ACQUIRE))
		vmm_idle_wait(c->vm, SOFT_IDLE_AFTER_HLT);
	return true;
}

struct uc_struct *
vmm_soft_engine(struct vmm_vcpu *c)
{
	return ((struct soft_cpu *)c->soft)->uc;
}

static int
soft_irq_line(struct vmm *vm, uint32_t irq, int level)
{
	/* no interrupt controller: the guests this runs poll */
	(void)vm;
	(void)irq;
	(void)level;
	return 0;
}

static void
soft_mig_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
	       int64_t value, void *opaque)
{
	struct soft_cpu *sc = opaque;

	(void)uc;
	(void)type;
	(void)value;
	vmm_mig_mark(sc->c->vm, addr, size > 0 ? (uint64_t)size : 1);
}

/* With the VM paused (the engine is not inside uc_emu_start).  Unicorn
 * 2.0 looks the memory hooks up at run time, in the store helper every
 * guest store goes through, so blocks translated before see the hook
 * without a flush (a flush of the translation cache here took seconds;
 * teleport.sh's CRC check shows no write is missed). */
static int
soft_mig_track(struct vmm *vm, bool on)
{
	struct soft_cpu *sc = vm->vcpus[0].soft;

	if (!sc)
		return -ENODEV;
	if (on && !sc->dirty_on) {
		if (uc_hook_add(sc->uc, &sc->h_dirty, UC_HOOK_MEM_WRITE,
				soft_mig_write, sc, 1, 0) != UC_ERR_OK)
			return -ENOMEM;
		sc->dirty_on = true;
	} else if (!on && sc->dirty_on) {
		uc_hook_del(sc->uc, sc->h_dirty);
		sc->dirty_on = false;
	}
	return 0;
}

static int
soft_dirty_log(struct vmm *vm, uint8_t *bitmap)
{
	(void)vm;
	(void)bitmap;
	return -ENOTSUP;
}

const struct vmm_accel_ops vmm_accel_soft = {
    .kind = VMM_ACCEL_SOFTWARE,
    .open = soft_open,
    .close = soft_close,
    .vm_create = soft_vm_create,
    .vm_destroy = soft_vm_destroy,
    .vcpu_create = soft_vcpu_create,
    .vcpu_destroy = soft_vcpu_destroy,
    .vcpu_long_mode = soft_vcpu_long_mode,
    .vcpu_arm = soft_vcpu_arm,
    .vcpu_run = soft_vcpu_run,
    .vcpu_kick = soft_vcpu_kick,
    .irq_line = soft_irq_line,
    .map_vram = soft_map_vram,
    .dirty_log = soft_dirty_log,
    .vcpu_tag = "UCPU",
    .vcpu_version = 1,
    .vcpu_save = vmm_soft_vcpu_save,
    .vcpu_load = vmm_soft_vcpu_load,
    .mig_track = soft_mig_track,
};
