/*
 * accel_soft_state.c - the software CPU's vCPU state as a record: every
 * architectural register Unicorn exposes and the guest can change,
 * read and written one by one (not uc_context_save(), whose blob is an
 * opaque copy of one Unicorn build's CPU structure:
 * ../shared/reference/teleport-facts.md §3).
 *
 * Record "UCPU" version 1, in this order: the 16 general registers, RIP,
 * RFLAGS; CR0 CR2 CR3 CR4 CR8; the MSRs of soft_msrs[]; GDTR and IDTR
 * (base, limit); LDTR and TR (selector, base, limit, flags); the six
 * segment selectors and the FS/GS bases; DR0-3, DR6, DR7; the x87
 * control, status, tag and opcode words, FCS, FDS, FIP, FDP and its
 * eight 80-bit registers; XMM0-15 and MXCSR.  The software CPU offers no
 * AVX, so the upper halves of the YMM registers hold nothing.
 *
 * Restoring goes in the order the CPU needs: descriptor tables and
 * control registers (paging, long mode) first, then the segment
 * registers, whose descriptors Unicorn loads from the guest's GDT, with
 * SS last (it sets the privilege level), then the rest.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "log.h"
#include "vmm_internal.h"

#define SOFT_STATE_VERSION 1

static const int soft_gprs[] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX,    UC_X86_REG_RCX, UC_X86_REG_RDX,
    UC_X86_REG_RSI, UC_X86_REG_RDI,    UC_X86_REG_RBP, UC_X86_REG_RSP,
    UC_X86_REG_R8,  UC_X86_REG_R9,     UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13,    UC_X86_REG_R14, UC_X86_REG_R15,
    UC_X86_REG_RIP, UC_X86_REG_RFLAGS,
};

static const int soft_crs[] = {
    UC_X86_REG_CR0, UC_X86_REG_CR2, UC_X86_REG_CR3,
    UC_X86_REG_CR4, UC_X86_REG_CR8,
};

/* MSRs Unicorn's rdmsr knows (an unknown one would raise #GP outside of
 * any guest code).  EFER first: it is restored with the control
 * registers. */
static const uint32_t soft_msrs[] = {
    0xc0000080, /* EFER */
    0x00000174, /* SYSENTER_CS */
    0x00000175, /* SYSENTER_ESP */
    0x00000176, /* SYSENTER_EIP */
    0xc0000081, /* STAR */
    0xc0000082, /* LSTAR */
    0xc0000083, /* CSTAR */
    0xc0000084, /* SFMASK */
    0xc0000102, /* KERNEL_GS_BASE */
    0x00000277, /* PAT */
};

/* Segment registers in the order they are restored: SS last. */
static const int soft_segs[] = {
    UC_X86_REG_CS, UC_X86_REG_DS, UC_X86_REG_ES,
    UC_X86_REG_FS, UC_X86_REG_GS, UC_X86_REG_SS,
};

static const int soft_drs[] = {
    UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2,
    UC_X86_REG_DR3, UC_X86_REG_DR6, UC_X86_REG_DR7,
};

static const int soft_fpu16[] = {
    UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG,
    UC_X86_REG_FOP,  UC_X86_REG_FCS,  UC_X86_REG_FDS,
};

#define SOFT_N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- saving ---------------------------------------------------------------
 * A register Unicorn will not read is a failed save, named in @err: a
 * state with a hole in it would restore a different CPU. */

struct soft_io {
	uc_engine *uc;
	char *err;
	size_t errlen;
	int rc;
};

static void
soft_get(struct soft_io *s, int reg, void *v, const char *what)
{
	uc_err e;

	if (s->rc)
		return;
	e = uc_reg_read(s->uc, reg, v);
	if (e != UC_ERR_OK) {
		snprintf(s->err, s->errlen, "cannot read %s (register %d): %s",
			 what, reg, uc_strerror(e));
		s->rc = -EIO;
	}
}

static void
soft_put(struct soft_io *s, int reg, const void *v, const char *what)
{
	uc_err e;

	if (s->rc)
		return;
	e = uc_reg_write(s->uc, reg, v);
	if (e != UC_ERR_OK) {
		snprintf(s->err, s->errlen,
			 "cannot restore %s (register %d): %s", what, reg,
			 uc_strerror(e));
		s->rc = -EPROTO;
	}
}

static void
soft_save_mmr(struct soft_io *s, struct vmm_sw *w, int reg, bool full)
{
	uc_x86_mmr m;

	memset(&m, 0, sizeof(m));
	soft_get(s, reg, &m, "a descriptor table register");
	vmm_sw_u64(w, m.base);
	vmm_sw_u32(w, m.limit);
	if (full) {
		vmm_sw_u16(w, m.selector);
		vmm_sw_u32(w, m.flags);
	}
}

static void
soft_save_fpu(struct soft_io *s, struct vmm_sw *w)
{
	uint64_t fip = 0, fdp = 0;

	for (size_t i = 0; i < SOFT_N(soft_fpu16); i++) {
		uint16_t v = 0;

		soft_get(s, soft_fpu16[i], &v, "an x87 control register");
		vmm_sw_u16(w, v);
	}
	soft_get(s, UC_X86_REG_FIP, &fip, "FIP");
	soft_get(s, UC_X86_REG_FDP, &fdp, "FDP");
	vmm_sw_u64(w, fip);
	vmm_sw_u64(w, fdp);
	for (int i = 0; i < 8; i++) {
		uint8_t f[16];

		memset(f, 0, sizeof(f));
		soft_get(s, UC_X86_REG_FP0 + i, f, "an x87 register");
		vmm_sw_bytes(w, f, 10);
	}
}

static void
soft_save_sse(struct soft_io *s, struct vmm_sw *w)
{
	uint32_t mxcsr = 0;

	for (int i = 0; i < 16; i++) {
		uint64_t x[2] = {0, 0};

		soft_get(s, UC_X86_REG_XMM0 + i, x, "an XMM register");
		vmm_sw_u64(w, x[0]);
		vmm_sw_u64(w, x[1]);
	}
	soft_get(s, UC_X86_REG_MXCSR, &mxcsr, "MXCSR");
	vmm_sw_u32(w, mxcsr);
}

int
vmm_soft_vcpu_save(struct vmm_vcpu *c, struct vmm_sw *w, char *err,
		   size_t errlen)
{
	struct soft_io s = {vmm_soft_engine(c), err, errlen, 0};
	uint64_t v;

	for (size_t i = 0; i < SOFT_N(soft_gprs); i++) {
		v = 0;
		soft_get(&s, soft_gprs[i], &v, "a general register");
		vmm_sw_u64(w, v);
	}
	for (size_t i = 0; i < SOFT_N(soft_crs); i++) {
		v = 0;
		soft_get(&s, soft_crs[i], &v, "a control register");
		vmm_sw_u64(w, v);
	}
	for (size_t i = 0; i < SOFT_N(soft_msrs); i++) {
		uc_x86_msr m = {.rid = soft_msrs[i]};

		soft_get(&s, UC_X86_REG_MSR, &m, "an MSR");
		vmm_sw_u64(w, m.value);
	}
	soft_save_mmr(&s, w, UC_X86_REG_GDTR, false);
	soft_save_mmr(&s, w, UC_X86_REG_IDTR, false);
	soft_save_mmr(&s, w, UC_X86_REG_LDTR, true);
	soft_save_mmr(&s, w, UC_X86_REG_TR, true);
	for (size_t i = 0; i < SOFT_N(soft_segs); i++) {
		uint16_t sel = 0;

		soft_get(&s, soft_segs[i], &sel, "a segment register");
		vmm_sw_u16(w, sel);
	}
	v = 0;
	soft_get(&s, UC_X86_REG_FS_BASE, &v, "the FS base");
	vmm_sw_u64(w, v);
	v = 0;
	soft_get(&s, UC_X86_REG_GS_BASE, &v, "the GS base");
	vmm_sw_u64(w, v);
	for (size_t i = 0; i < SOFT_N(soft_drs); i++) {
		v = 0;
		soft_get(&s, soft_drs[i], &v, "a debug register");
		vmm_sw_u64(w, v);
	}
	soft_save_fpu(&s, w);
	soft_save_sse(&s, w);
	return s.rc;
}

/* ---- restoring ----------------------------------------------------------- */

/* The registers as read from the record, before any is written: a short
 * record changes nothing. */
struct soft_regs {
	uint64_t gpr[SOFT_N(soft_gprs)];
	uint64_t cr[SOFT_N(soft_crs)];
	uint64_t msr[SOFT_N(soft_msrs)];
	uc_x86_mmr gdtr, idtr, ldtr, tr;
	uint16_t seg[SOFT_N(soft_segs)];
	uint64_t fs_base, gs_base;
	uint64_t dr[SOFT_N(soft_drs)];
	uint16_t fpu16[SOFT_N(soft_fpu16)];
	uint64_t fip, fdp;
	uint8_t fp[8][16];
	uint64_t xmm[16][2];
	uint32_t mxcsr;
};

static void
soft_read_mmr(struct vmm_sr *r, uc_x86_mmr *m, bool full)
{
	memset(m, 0, sizeof(*m));
	m->base = vmm_sr_u64(r);
	m->limit = vmm_sr_u32(r);
	if (full) {
		m->selector = vmm_sr_u16(r);
		m->flags = vmm_sr_u32(r);
	}
}

static void
soft_read(struct vmm_sr *r, struct soft_regs *g)
{
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < SOFT_N(soft_gprs); i++)
		g->gpr[i] = vmm_sr_u64(r);
	for (size_t i = 0; i < SOFT_N(soft_crs); i++)
		g->cr[i] = vmm_sr_u64(r);
	for (size_t i = 0; i < SOFT_N(soft_msrs); i++)
		g->msr[i] = vmm_sr_u64(r);
	soft_read_mmr(r, &g->gdtr, false);
	soft_read_mmr(r, &g->idtr, false);
	soft_read_mmr(r, &g->ldtr, true);
	soft_read_mmr(r, &g->tr, true);
	for (size_t i = 0; i < SOFT_N(soft_segs); i++)
		g->seg[i] = vmm_sr_u16(r);
	g->fs_base = vmm_sr_u64(r);
	g->gs_base = vmm_sr_u64(r);
	for (size_t i = 0; i < SOFT_N(soft_drs); i++)
		g->dr[i] = vmm_sr_u64(r);
	for (size_t i = 0; i < SOFT_N(soft_fpu16); i++)
		g->fpu16[i] = vmm_sr_u16(r);
	g->fip = vmm_sr_u64(r);
	g->fdp = vmm_sr_u64(r);
	for (int i = 0; i < 8; i++)
		vmm_sr_bytes(r, g->fp[i], 10);
	for (int i = 0; i < 16; i++) {
		g->xmm[i][0] = vmm_sr_u64(r);
		g->xmm[i][1] = vmm_sr_u64(r);
	}
	g->mxcsr = vmm_sr_u32(r);
}

/* Tables, paging and long mode: CR4 (PAE) and EFER (LME) before CR0
 * (PG), as the long-mode set-up does. */
static void
soft_put_system(struct soft_io *s, const struct soft_regs *g)
{
	uc_x86_msr efer = {.rid = soft_msrs[0], .value = g->msr[0]};

	soft_put(s, UC_X86_REG_GDTR, &g->gdtr, "GDTR");
	soft_put(s, UC_X86_REG_IDTR, &g->idtr, "IDTR");
	soft_put(s, UC_X86_REG_CR4, &g->cr[3], "CR4");
	soft_put(s, UC_X86_REG_CR3, &g->cr[2], "CR3");
	soft_put(s, UC_X86_REG_MSR, &efer, "EFER");
	soft_put(s, UC_X86_REG_CR0, &g->cr[0], "CR0");
	soft_put(s, UC_X86_REG_CR2, &g->cr[1], "CR2");
	soft_put(s, UC_X86_REG_CR8, &g->cr[4], "CR8");
	soft_put(s, UC_X86_REG_TR, &g->tr, "TR");
	soft_put(s, UC_X86_REG_LDTR, &g->ldtr, "LDTR");
	for (size_t i = 0; i < SOFT_N(soft_segs); i++)
		soft_put(s, soft_segs[i], &g->seg[i], "a segment register");
	/* loading FS and GS set their bases from the GDT: now the real ones */
	soft_put(s, UC_X86_REG_FS_BASE, &g->fs_base, "the FS base");
	soft_put(s, UC_X86_REG_GS_BASE, &g->gs_base, "the GS base");
	for (size_t i = 1; i < SOFT_N(soft_msrs); i++) {
		uc_x86_msr m = {.rid = soft_msrs[i], .value = g->msr[i]};

		soft_put(s, UC_X86_REG_MSR, &m, "an MSR");
	}
}

static void
soft_put_fpu(struct soft_io *s, const struct soft_regs *g)
{
	for (size_t i = 0; i < SOFT_N(soft_fpu16); i++)
		soft_put(s, soft_fpu16[i], &g->fpu16[i], "an x87 register");
	soft_put(s, UC_X86_REG_FIP, &g->fip, "FIP");
	soft_put(s, UC_X86_REG_FDP, &g->fdp, "FDP");
	for (int i = 0; i < 8; i++)
		soft_put(s, UC_X86_REG_FP0 + i, g->fp[i], "an x87 register");
	for (int i = 0; i < 16; i++)
		soft_put(s, UC_X86_REG_XMM0 + i, g->xmm[i], "an XMM register");
	soft_put(s, UC_X86_REG_MXCSR, &g->mxcsr, "MXCSR");
}

int
vmm_soft_vcpu_load(struct vmm_vcpu *c, struct vmm_sr *r, char *err,
		   size_t errlen)
{
	struct soft_io s = {vmm_soft_engine(c), err, errlen, 0};
	struct soft_regs g;

	soft_read(r, &g);
	if (!vmm_sr_done(r)) {
		snprintf(err, errlen,
			 "register record of %zu bytes, not the "
			 "size version 1 has",
			 r->len);
		return -EPROTO;
	}
	soft_put_system(&s, &g);
	for (size_t i = 0; i < SOFT_N(soft_gprs); i++)
		soft_put(&s, soft_gprs[i], &g.gpr[i], "a general register");
	for (size_t i = 0; i < SOFT_N(soft_drs); i++)
		soft_put(&s, soft_drs[i], &g.dr[i], "a debug register");
	soft_put_fpu(&s, &g);
	return s.rc;
}
