/*
 * accel_kvm_state.c - the KVM accelerator's saved state: the VM-wide
 * in-kernel devices and everything KVM keeps per vCPU, in the order the
 * kernel needs (../shared/reference/teleport-facts.md §2, from the
 * comments Firecracker and cloud-hypervisor share).
 *
 * Record "KVMV" version 1 (VM-wide): PIT2, CLOCK, IRQCHIP PIC master,
 * PIC slave, IOAPIC; each a u32 size and the kernel's structure.
 *
 * Record "KVMC" version 1 (one per vCPU): TSC kHz; the CPUID table set on
 * the vCPU; MP_STATE, REGS, SREGS, XSAVE, XCRS, DEBUGREGS, LAPIC, the
 * MSRs KVM lists (index, value), VCPU_EVENTS - read in this order, since
 * MP_STATE must come first (it accepts pending APIC events) and
 * VCPU_EVENTS last.  Structures are the kernel's x86-64 ABI, stored with
 * their size, which a restore checks.
 *
 * Restore: PIT2, CLOCK (the guest's clock continues from where it was
 * saved; the time the VM spent saved does not pass for it), IRQCHIP;
 * then per vCPU TSC rate, CPUID check, MP_STATE, REGS (it clears pending
 * exceptions, so events come later), SREGS (the APIC base, before the
 * LAPIC), XSAVE, XCRS, DEBUGREGS, LAPIC (before the MSRs, or the
 * TSC-deadline MSR is lost), MSRS, VCPU_EVENTS.  The CPUID the state was
 * saved with must equal this host's, or the restore is refused: a guest
 * would otherwise run on features that are not there.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "vmm_internal.h"

#define KVMS_MAX_CPUID	 256  /* KVM_MAX_CPUID_ENTRIES */
#define KVMS_MAX_MSRS	 1024 /* far above what KVM lists */
#define KVMS_MAX_XSAVE	 (64u << 10)
#define MSR_IA32_TSC	 0x10
#define MSR_TSC_DEADLINE 0x6e0

/* ---- helpers ----------------------------------------------------------- */

static int
kvms_ioctl(int fd, unsigned long req, void *arg, const char *what, char *err,
	   size_t errlen)
{
	if (ioctl(fd, req, arg) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", what, strerror(e));
		return -e;
	}
	return 0;
}

static void
kvms_put_blob(struct vmm_sw *w, const void *p, uint32_t n)
{
	vmm_sw_u32(w, n);
	vmm_sw_bytes(w, p, n);
}

static int
kvms_get_blob(struct vmm_sr *r, void *p, uint32_t n, const char *what,
	      char *err, size_t errlen)
{
	uint32_t len = vmm_sr_u32(r);

	if (len != n || vmm_sr_bytes(r, p, n)) {
		snprintf(err, errlen,
			 "%s: %u bytes in the state, the kernel's structure "
			 "has %u",
			 what, len, n);
		return -EPROTO;
	}
	return 0;
}

/* ---- VM-wide ----------------------------------------------------------- */

int
vmm_kvm_vm_save(struct vmm *vm, struct vmm_sw *w, char *err, size_t errlen)
{
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	struct kvm_irqchip chip;
	int r;

	memset(&pit, 0, sizeof(pit));
	memset(&clock, 0, sizeof(clock));
	if ((r = kvms_ioctl(vm->vm_fd, KVM_GET_PIT2, &pit, "KVM_GET_PIT2", err,
			    errlen)) ||
	    (r = kvms_ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock, "KVM_GET_CLOCK",
			    err, errlen)))
		return r;
	kvms_put_blob(w, &pit, sizeof(pit));
	kvms_put_blob(w, &clock, sizeof(clock));
	for (uint32_t id = 0; id < 3; id++) {
		memset(&chip, 0, sizeof(chip));
		chip.chip_id = id; /* PIC master, PIC slave, IOAPIC */
		r = kvms_ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip,
			       "KVM_GET_IRQCHIP", err, errlen);
		if (r)
			return r;
		kvms_put_blob(w, &chip, sizeof(chip));
	}
	return w->err;
}

int
vmm_kvm_vm_load(struct vmm *vm, struct vmm_sr *r, char *err, size_t errlen)
{
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	struct kvm_irqchip chip[3];
	int rc;

	if ((rc = kvms_get_blob(r, &pit, sizeof(pit), "PIT", err, errlen)) ||
	    (rc =
		 kvms_get_blob(r, &clock, sizeof(clock), "clock", err, errlen)))
		return rc;
	for (uint32_t id = 0; id < 3; id++) {
		rc = kvms_get_blob(r, &chip[id], sizeof(chip[id]), "irqchip",
				   err, errlen);
		if (rc)
			return rc;
		if (chip[id].chip_id != id) {
			snprintf(err, errlen, "irqchip %u where %u belongs",
				 chip[id].chip_id, id);
			return -EPROTO;
		}
	}
	/* only the clock's value: no wall-clock catch-up (flags 0) */
	clock.flags = 0;
	clock.realtime = clock.host_tsc = 0;
	if ((rc = kvms_ioctl(vm->vm_fd, KVM_SET_PIT2, &pit, "KVM_SET_PIT2", err,
			     errlen)) ||
	    (rc = kvms_ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock, "KVM_SET_CLOCK",
			     err, errlen)))
		return rc;
	for (int id = 0; id < 3; id++) {
		rc = kvms_ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip[id],
				"KVM_SET_IRQCHIP", err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- per vCPU: CPUID, MSRs, XSAVE ---------------------------------------- */

static struct kvm_cpuid2 *
kvms_get_cpuid(struct vmm_vcpu *c, char *err, size_t errlen)
{
	for (uint32_t n = 64; n <= KVMS_MAX_CPUID; n *= 2) {
		struct kvm_cpuid2 *cp =
		    calloc(1, sizeof(*cp) + n * sizeof(cp->entries[0]));

		if (!cp)
			break;
		cp->nent = n;
		if (ioctl(c->fd, KVM_GET_CPUID2, cp) == 0)
			return cp;
		free(cp);
		if (errno != E2BIG) {
			snprintf(err, errlen, "KVM_GET_CPUID2: %s",
				 strerror(errno));
			return NULL;
		}
	}
	snprintf(err, errlen, "KVM_GET_CPUID2: out of memory");
	return NULL;
}

/* The MSRs KVM lists, each read once; one it cannot read is dropped
 * (KVM_GET_MSRS stops at the first failure and says how many it read). */
static struct kvm_msrs *
kvms_get_msrs(struct vmm_vcpu *c, char *err, size_t errlen)
{
	struct kvm_msr_list probe = {.nmsrs = 0}, *list;
	struct kvm_msrs *m, *b;
	size_t es = sizeof(m->entries[0]);
	uint32_t n, done = 0;

	if (ioctl(c->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
	    errno != E2BIG) {
		snprintf(err, errlen, "KVM_GET_MSR_INDEX_LIST: %s",
			 strerror(errno));
		return NULL;
	}
	n = probe.nmsrs < KVMS_MAX_MSRS ? probe.nmsrs : KVMS_MAX_MSRS;
	list = calloc(1, sizeof(*list) + n * sizeof(list->indices[0]));
	m = calloc(1, sizeof(*m) + n * es);
	b = calloc(1, sizeof(*b) + n * es);
	if (!list || !m || !b)
		goto fail;
	list->nmsrs = n;
	if (ioctl(c->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0)
		goto fail;
	n = list->nmsrs < n ? list->nmsrs : n;
	for (uint32_t i = 0; i < n; i++)
		m->entries[i].index = list->indices[i];
	while (done < n) {
		int got;

		b->nmsrs = n - done;
		memcpy(b->entries, &m->entries[done], (n - done) * es);
		got = ioctl(c->fd, KVM_GET_MSRS, b);
		if (got < 0)
			goto fail;
		memcpy(&m->entries[done], b->entries, (size_t)got * es);
		done += (uint32_t)got;
		if (done < n) { /* drop the one KVM could not read */
			memmove(&m->entries[done], &m->entries[done + 1],
				(n - done - 1) * es);
			n--;
		}
	}
	m->nmsrs = n;
	free(list);
	free(b);
	return m;
fail:
	snprintf(err, errlen, "reading the MSRs: %s", strerror(errno));
	free(list);
	free(m);
	free(b);
	return NULL;
}

static uint32_t
kvms_xsave_size(struct vmm *vm)
{
#ifdef KVM_CAP_XSAVE2
	int n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	if (n > (int)sizeof(struct kvm_xsave))
		return (uint32_t)n;
#endif
	(void)vm;
	return sizeof(struct kvm_xsave);
}

static int
kvms_save_xsave(struct vmm_vcpu *c, struct vmm_sw *w, char *err, size_t errlen)
{
	uint32_t size = kvms_xsave_size(c->vm);
	void *x = calloc(1, size);
	int r;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
#ifdef KVM_GET_XSAVE2
	if (size > sizeof(struct kvm_xsave))
		r = kvms_ioctl(c->fd, KVM_GET_XSAVE2, x, "KVM_GET_XSAVE2", err,
			       errlen);
	else
#endif
		r = kvms_ioctl(c->fd, KVM_GET_XSAVE, x, "KVM_GET_XSAVE", err,
			       errlen);
	if (!r)
		kvms_put_blob(w, x, size);
	free(x);
	return r;
}

/* ---- per vCPU: save ---------------------------------------------------- */

/* Firecracker's rule: a TSC-deadline of 0 is saved as the current TSC. */
static void
kvms_fix_deadline(struct kvm_msrs *m)
{
	uint64_t tsc = 0;
	struct kvm_msr_entry *dl = NULL;

	for (uint32_t i = 0; i < m->nmsrs; i++) {
		if (m->entries[i].index == MSR_IA32_TSC)
			tsc = m->entries[i].data;
		if (m->entries[i].index == MSR_TSC_DEADLINE)
			dl = &m->entries[i];
	}
	if (dl && !dl->data)
		dl->data = tsc;
}

static void
kvms_put_cpuid(struct vmm_sw *w, const struct kvm_cpuid2 *cp)
{
	vmm_sw_u32(w, cp->nent);
	for (uint32_t i = 0; i < cp->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cp->entries[i];

		vmm_sw_u32(w, e->function);
		vmm_sw_u32(w, e->index);
		vmm_sw_u32(w, e->flags);
		vmm_sw_u32(w, e->eax);
		vmm_sw_u32(w, e->ebx);
		vmm_sw_u32(w, e->ecx);
		vmm_sw_u32(w, e->edx);
	}
}

int
vmm_kvm_vcpu_save(struct vmm_vcpu *c, struct vmm_sw *w, char *err,
		  size_t errlen)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events ev;
	struct kvm_cpuid2 *cp = kvms_get_cpuid(c, err, errlen);
	struct kvm_msrs *m = NULL;
	int r;

	if (!cp)
		return -EIO;
	vmm_sw_u32(w, (uint32_t)c->vm->tsc_khz);
	kvms_put_cpuid(w, cp);
	free(cp);
	/* MP_STATE first: reading it accepts pending APIC events */
	if ((r = kvms_ioctl(c->fd, KVM_GET_MP_STATE, &mp, "KVM_GET_MP_STATE",
			    err, errlen)) ||
	    (r = kvms_ioctl(c->fd, KVM_GET_REGS, &regs, "KVM_GET_REGS", err,
			    errlen)) ||
	    (r = kvms_ioctl(c->fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", err,
			    errlen)))
		return r;
	vmm_sw_u32(w, mp.mp_state);
	kvms_put_blob(w, &regs, sizeof(regs));
	kvms_put_blob(w, &sregs, sizeof(sregs));
	if ((r = kvms_save_xsave(c, w, err, errlen)) ||
	    (r = kvms_ioctl(c->fd, KVM_GET_XCRS, &xcrs, "KVM_GET_XCRS", err,
			    errlen)) ||
	    (r = kvms_ioctl(c->fd, KVM_GET_DEBUGREGS, &dregs,
			    "KVM_GET_DEBUGREGS", err, errlen)) ||
	    (r = kvms_ioctl(c->fd, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC", err,
			    errlen)))
		return r;
	kvms_put_blob(w, &xcrs, sizeof(xcrs));
	kvms_put_blob(w, &dregs, sizeof(dregs));
	kvms_put_blob(w, &lapic, sizeof(lapic));
	m = kvms_get_msrs(c, err, errlen);
	if (!m)
		return -EIO;
	kvms_fix_deadline(m);
	vmm_sw_u32(w, m->nmsrs);
	for (uint32_t i = 0; i < m->nmsrs; i++) {
		vmm_sw_u32(w, m->entries[i].index);
		vmm_sw_u64(w, m->entries[i].data);
	}
	free(m);
	/* last: the events as everything above left them */
	r = kvms_ioctl(c->fd, KVM_GET_VCPU_EVENTS, &ev, "KVM_GET_VCPU_EVENTS",
		       err, errlen);
	if (!r)
		kvms_put_blob(w, &ev, sizeof(ev));
	return r ? r : w->err;
}

/* ---- per vCPU: restore ------------------------------------------------- */

struct kvms_vcpu {
	uint32_t tsc_khz, mp_state, xsave_size;
	struct kvm_cpuid2 *cpuid;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint8_t *xsave;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_lapic_state lapic;
	struct kvm_msrs *msrs;
	struct kvm_vcpu_events ev;
};

static void
kvms_vcpu_free(struct kvms_vcpu *s)
{
	free(s->cpuid);
	free(s->xsave);
	free(s->msrs);
}

static int
kvms_read_cpuid(struct vmm_sr *r, struct kvms_vcpu *s, char *err, size_t errlen)
{
	uint32_t n = vmm_sr_u32(r);

	if (n > KVMS_MAX_CPUID) {
		snprintf(err, errlen, "%u CPUID entries (at most %d)", n,
			 KVMS_MAX_CPUID);
		return -EPROTO;
	}
	s->cpuid =
	    calloc(1, sizeof(*s->cpuid) + n * sizeof(s->cpuid->entries[0]));
	if (!s->cpuid)
		return -ENOMEM;
	s->cpuid->nent = n;
	for (uint32_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = &s->cpuid->entries[i];

		e->function = vmm_sr_u32(r);
		e->index = vmm_sr_u32(r);
		e->flags = vmm_sr_u32(r);
		e->eax = vmm_sr_u32(r);
		e->ebx = vmm_sr_u32(r);
		e->ecx = vmm_sr_u32(r);
		e->edx = vmm_sr_u32(r);
	}
	return r->err;
}

static int
kvms_read_xsave(struct vmm_sr *r, struct kvms_vcpu *s, uint32_t have, char *err,
		size_t errlen)
{
	uint32_t n = vmm_sr_u32(r);

	if (n < sizeof(struct kvm_xsave) || n > KVMS_MAX_XSAVE) {
		snprintf(err, errlen, "XSAVE area of %u bytes", n);
		return -EPROTO;
	}
	/* the kernel reads as much as its own size: zero-pad to it */
	s->xsave_size = n > have ? n : have;
	s->xsave = calloc(1, s->xsave_size);
	if (!s->xsave)
		return -ENOMEM;
	return vmm_sr_bytes(r, s->xsave, n);
}

static int
kvms_read_msrs(struct vmm_sr *r, struct kvms_vcpu *s, char *err, size_t errlen)
{
	uint32_t n = vmm_sr_u32(r);

	if (n > KVMS_MAX_MSRS) {
		snprintf(err, errlen, "%u MSRs (at most %d)", n, KVMS_MAX_MSRS);
		return -EPROTO;
	}
	s->msrs = calloc(1, sizeof(*s->msrs) + n * sizeof(s->msrs->entries[0]));
	if (!s->msrs)
		return -ENOMEM;
	s->msrs->nmsrs = n;
	for (uint32_t i = 0; i < n; i++) {
		s->msrs->entries[i].index = vmm_sr_u32(r);
		s->msrs->entries[i].data = vmm_sr_u64(r);
	}
	return r->err;
}

static int
kvms_read(struct vmm_vcpu *c, struct vmm_sr *r, struct kvms_vcpu *s, char *err,
	  size_t errlen)
{
	int rc;

	s->tsc_khz = vmm_sr_u32(r);
	if ((rc = kvms_read_cpuid(r, s, err, errlen)))
		return rc;
	s->mp_state = vmm_sr_u32(r);
	if ((rc = kvms_get_blob(r, &s->regs, sizeof(s->regs), "REGS", err,
				errlen)) ||
	    (rc = kvms_get_blob(r, &s->sregs, sizeof(s->sregs), "SREGS", err,
				errlen)) ||
	    (rc = kvms_read_xsave(r, s, kvms_xsave_size(c->vm), err, errlen)) ||
	    (rc = kvms_get_blob(r, &s->xcrs, sizeof(s->xcrs), "XCRS", err,
				errlen)) ||
	    (rc = kvms_get_blob(r, &s->dregs, sizeof(s->dregs), "DEBUGREGS",
				err, errlen)) ||
	    (rc = kvms_get_blob(r, &s->lapic, sizeof(s->lapic), "LAPIC", err,
				errlen)) ||
	    (rc = kvms_read_msrs(r, s, err, errlen)) ||
	    (rc = kvms_get_blob(r, &s->ev, sizeof(s->ev), "VCPU_EVENTS", err,
				errlen)))
		return rc;
	return r->err;
}

/* CPUID bits KVM rewrites as the guest runs (kvm_update_cpuid_runtime):
 * they follow CR4, XCR0, XSS and the APIC-base and MISC_ENABLE MSRs, which
 * the restore sets, so a fresh vCPU's differ from a running one's without
 * the CPU being another.  Masked out of the comparison only. */
static const struct {
	uint32_t function, index;
	uint32_t ebx, ecx, edx;
} kvms_cpuid_runtime[] = {
    {0x1, 0, 0, (1u << 27) | (1u << 3), 1u << 9}, /* OSXSAVE MWAIT; APIC */
    {0x7, 0, 0, 1u << 4, 0},			  /* OSPKE */
    {0xd, 0, ~0u, 0, 0},			  /* XSAVE size for XCR0 */
    {0xd, 1, ~0u, 0, 0},			  /* ... for XCR0|XSS */
};

static bool
kvms_cpuid_same(const struct kvm_cpuid_entry2 *a,
		const struct kvm_cpuid_entry2 *b)
{
	uint32_t mb = 0, mc = 0, md = 0;

	if (a->function != b->function || a->index != b->index)
		return false;
	for (size_t i = 0;
	     i < sizeof(kvms_cpuid_runtime) / sizeof(kvms_cpuid_runtime[0]);
	     i++)
		if (kvms_cpuid_runtime[i].function == a->function &&
		    kvms_cpuid_runtime[i].index == a->index) {
			mb = kvms_cpuid_runtime[i].ebx;
			mc = kvms_cpuid_runtime[i].ecx;
			md = kvms_cpuid_runtime[i].edx;
		}
	return a->eax == b->eax && ((a->ebx ^ b->ebx) & ~mb) == 0 &&
	       ((a->ecx ^ b->ecx) & ~mc) == 0 && ((a->edx ^ b->edx) & ~md) == 0;
}

/* The state's CPUID must be this vCPU's, entry for entry: another CPU
 * model (or kernel) is refused, never silently run. */
static int
kvms_check_cpuid(struct vmm_vcpu *c, const struct kvm_cpuid2 *saved, char *err,
		 size_t errlen)
{
	struct kvm_cpuid2 *cur = kvms_get_cpuid(c, err, errlen);
	int r = 0;

	if (!cur)
		return -EIO;
	if (cur->nent != saved->nent) {
		snprintf(err, errlen,
			 "this host's CPU has %u CPUID entries, the state's "
			 "%u: another CPU model or kernel; refusing",
			 cur->nent, saved->nent);
		r = -EINVAL;
	}
	for (uint32_t i = 0; i < saved->nent && !r; i++) {
		const struct kvm_cpuid_entry2 *a = &saved->entries[i];
		const struct kvm_cpuid_entry2 *b = &cur->entries[i];

		if (!kvms_cpuid_same(a, b)) {
			snprintf(err, errlen,
				 "CPUID leaf 0x%x.%u differs from the host "
				 "that saved the state (%08x %08x %08x %08x "
				 "here, %08x %08x %08x %08x there); refusing",
				 a->function, a->index, b->eax, b->ebx, b->ecx,
				 b->edx, a->eax, a->ebx, a->ecx, a->edx);
			r = -EINVAL;
		}
	}
	free(cur);
	return r;
}

static int
kvms_set_tsc(struct vmm_vcpu *c, uint32_t khz, char *err, size_t errlen)
{
	if (!khz || khz == c->vm->tsc_khz)
		return 0;
	if (ioctl(c->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) <=
		0 ||
	    ioctl(c->fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0) {
		snprintf(err, errlen,
			 "the state's TSC runs at %u kHz, this host's at %llu "
			 "kHz, and KVM cannot scale it",
			 khz, (unsigned long long)c->vm->tsc_khz);
		return -EINVAL;
	}
	return 0;
}

static int
kvms_set_msrs(struct vmm_vcpu *c, struct kvm_msrs *m, char *err, size_t errlen)
{
	int n = ioctl(c->fd, KVM_SET_MSRS, m);

	if (n == (int)m->nmsrs)
		return 0;
	if (n < 0)
		snprintf(err, errlen, "KVM_SET_MSRS: %s", strerror(errno));
	else
		snprintf(err, errlen, "KVM refuses MSR 0x%x = 0x%llx",
			 m->entries[n].index,
			 (unsigned long long)m->entries[n].data);
	return -EINVAL;
}

static int
kvms_apply(struct vmm_vcpu *c, struct kvms_vcpu *s, char *err, size_t errlen)
{
	struct kvm_mp_state mp = {.mp_state = s->mp_state};
	int fd = c->fd, r;

	s->ev.flags |=
	    KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if ((r = kvms_set_tsc(c, s->tsc_khz, err, errlen)) ||
	    (r = kvms_check_cpuid(c, s->cpuid, err, errlen)) ||
	    (r = kvms_ioctl(fd, KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE", err,
			    errlen)) ||
	    (r = kvms_ioctl(fd, KVM_SET_REGS, &s->regs, "KVM_SET_REGS", err,
			    errlen)) ||
	    (r = kvms_ioctl(fd, KVM_SET_SREGS, &s->sregs, "KVM_SET_SREGS", err,
			    errlen)) ||
	    (r = kvms_ioctl(fd, KVM_SET_XSAVE, s->xsave, "KVM_SET_XSAVE", err,
			    errlen)) ||
	    (r = kvms_ioctl(fd, KVM_SET_XCRS, &s->xcrs, "KVM_SET_XCRS", err,
			    errlen)) ||
	    (r = kvms_ioctl(fd, KVM_SET_DEBUGREGS, &s->dregs,
			    "KVM_SET_DEBUGREGS", err, errlen)) ||
	    (r = kvms_ioctl(fd, KVM_SET_LAPIC, &s->lapic, "KVM_SET_LAPIC", err,
			    errlen)) ||
	    (r = kvms_set_msrs(c, s->msrs, err, errlen)))
		return r;
	return kvms_ioctl(fd, KVM_SET_VCPU_EVENTS, &s->ev,
			  "KVM_SET_VCPU_EVENTS", err, errlen);
}

int
vmm_kvm_vcpu_load(struct vmm_vcpu *c, struct vmm_sr *r, char *err,
		  size_t errlen)
{
	struct kvms_vcpu s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = kvms_read(c, r, &s, err, errlen);
	if (!rc && !vmm_sr_done(r)) {
		snprintf(err, errlen, "vCPU record of the wrong size");
		rc = -EPROTO;
	}
	if (rc == -EPROTO && !*err)
		snprintf(err, errlen, "vCPU record too short");
	if (!rc)
		rc = kvms_apply(c, &s, err, errlen);
	kvms_vcpu_free(&s);
	return rc;
}
