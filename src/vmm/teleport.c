/*
 * teleport.c - a running VM's state sent live (vireo-teleport(7)): the
 * saved-state stream of snapshot.c, produced in another order so that
 * the guest runs while most of it goes out.
 *
 *   "VM  "              as in a state file
 *   "RAM "/"VRAM" pass 1 every page that is not zero, guest running
 *   "RAM "/"VRAM" round  the pages written since the previous pass, zero
 *                        or not, guest running; repeated while the rest
 *                        would take longer than the downtime allowed
 *   - the VM is paused -
 *   "RAM "/"VRAM" last   the pages written since the last round
 *   devices, vCPUs, END  as in a state file
 *
 * The receiver is vmm_restore_stream(): later memory records simply
 * overwrite earlier ones, so the format is the saved-state format and the
 * target needs nothing of its own.
 *
 * Which pages were written goes into vm->mig_ram / mig_vram
 * (vmm_mig_mark): from the software CPU's write hook as it happens, from
 * KVM's dirty logs of the memory slots when mig_sync() pulls them (before
 * each count and round), and from devices that write guest memory
 * themselves (the OHCI controller's DMA), which neither sees.  The bits
 * are taken with an atomic exchange before the pages are read, so a
 * write racing the copy marks the page again for the next round (the
 * software CPU's hook marks before its store lands, so there the bits
 * are taken with the vCPU stopped: tp_take_all).  These
 * bitmaps are migration's alone: the display's damage tracking has its
 * own (the software CPU's display compares pixels; KVM's reads the VRAM
 * slot's log, which accel_kvm.c shares out so that neither side clears
 * the other's bits).  An accelerator without tracking (mig_track NULL)
 * sends everything with the VM paused: correct, with a downtime of RAM /
 * bandwidth.
 */
#define LOG_TAG "teleport"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "log.h"
#include "vmm_internal.h"

#define TP_PAGE	       4096u
#define TP_RUN_MAX     256u /* pages per record: 1 MiB, as snapshot.c */
#define TP_MAX_ROUNDS  30
#define TP_STALL_LIMIT 5 /* rounds without fewer dirty pages */
#define TP_MEM_VER     1
#define TP_HOLE_END    (1ull << 32)

static size_t
tp_words(uint64_t bytes)
{
	uint64_t pages = (bytes + TP_PAGE - 1) / TP_PAGE;

	return (size_t)((pages + 63) / 64);
}

static void
tp_set(uint64_t *bm, uint64_t page)
{
	__atomic_fetch_or(&bm[page / 64], 1ull << (page % 64),
			  __ATOMIC_RELAXED);
}

void
vmm_mig_mark(struct vmm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t *ram = __atomic_load_n(&vm->mig_ram, __ATOMIC_ACQUIRE);
	uint64_t *vram = __atomic_load_n(&vm->mig_vram, __ATOMIC_ACQUIRE);
	uint64_t end = gpa + (len ? len : 1), vg = vm->vram_gpa;

	if (!ram || end < gpa)
		return;
	for (uint64_t a = gpa & ~(uint64_t)(TP_PAGE - 1); a < end;
	     a += TP_PAGE) {
		if (a < vm->ram_low)
			tp_set(ram, a / TP_PAGE);
		else if (a >= TP_HOLE_END && a - TP_HOLE_END < vm->ram_high)
			tp_set(ram, (vm->ram_low + a - TP_HOLE_END) / TP_PAGE);
		else if (vg != VMM_BUS_UNMAPPED && a >= vg &&
			 a - vg < vm->vram_size)
			tp_set(vram, (a - vg) / TP_PAGE);
	}
}

/* ---- counting what goes out ---------------------------------------- */

struct tp_count {
	const struct vmm_state_io *io;
	uint64_t bytes;
};

static int
tp_count_write(void *ctx, const void *buf, size_t len)
{
	struct tp_count *c = ctx;
	int r = c->io->write(c->io->ctx, buf, len);

	if (!r)
		c->bytes += len;
	return r;
}

static int
tp_count_read(void *ctx, void *buf, size_t len)
{
	struct tp_count *c = ctx;

	return c->io->read(c->io->ctx, buf, len);
}

/* ---- dirty pages ----------------------------------------------------- */

/* Take the bits (atomically) into @local; @return how many are set. */
static uint64_t
tp_take(uint64_t *bm, uint64_t *local, size_t words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < words; i++) {
		local[i] = __atomic_exchange_n(&bm[i], 0, __ATOMIC_ACQ_REL);
		n += (uint64_t)__builtin_popcountll(local[i]);
	}
	return n;
}

static bool
tp_bit(const uint64_t *bm, uint64_t page)
{
	return bm[page / 64] >> (page % 64) & 1;
}

/* One run of pages as a memory record.  The guest may be writing them:
 * they are copied first, so that the record's checksum is over what it
 * carries (a page changed meanwhile is dirty again and goes next round). */
static int
tp_send_run(struct vmm_sw *w, const char *tag, const uint8_t *mem, uint64_t off,
	    uint64_t len, uint8_t *bounce)
{
	uint8_t pre[8];

	for (int i = 0; i < 8; i++)
		pre[i] = (uint8_t)(off >> (8 * i));
	memcpy(bounce, mem + off, len);
	return vmm_sw_rec_raw(w, tag, TP_MEM_VER, 0, pre, sizeof(pre), bounce,
			      len);
}

static bool
tp_page_zero(const uint8_t *p)
{
	static const uint8_t zero[TP_PAGE];

	return !memcmp(p, zero, TP_PAGE);
}

/* The first pass: every page that is not zero (the target starts from
 * zeroed memory). */
static int
tp_send_nonzero(struct vmm_sw *w, const char *tag, const uint8_t *mem,
		uint64_t size, uint8_t *bounce)
{
	for (uint64_t off = 0; off < size && !w->err;) {
		uint64_t end = off;

		while (end < size && end - off < TP_RUN_MAX * TP_PAGE &&
		       !tp_page_zero(mem + end))
			end += TP_PAGE;
		if (end == off) {
			off += TP_PAGE;
			continue;
		}
		tp_send_run(w, tag, mem, off, end - off, bounce);
		off = end;
	}
	return w->err;
}

/* Every page set in @bm, zero or not, in runs of at most TP_RUN_MAX. */
static int
tp_send_dirty(struct vmm_sw *w, const char *tag, const uint8_t *mem,
	      uint64_t size, const uint64_t *bm, uint8_t *bounce)
{
	uint64_t pages = (size + TP_PAGE - 1) / TP_PAGE;

	for (uint64_t p = 0; p < pages && !w->err;) {
		uint64_t q = p, off = p * TP_PAGE, end;

		if (!bm[p / 64]) {
			p = (p / 64 + 1) * 64;
			continue;
		}
		if (!tp_bit(bm, p)) {
			p++;
			continue;
		}
		while (q < pages && q - p < TP_RUN_MAX && tp_bit(bm, q))
			q++;
		end = q * TP_PAGE < size ? q * TP_PAGE : size;
		tp_send_run(w, tag, mem, off, end - off, bounce);
		p = q;
	}
	return w->err;
}

/* ---- the sender ------------------------------------------------------ */

struct tp_send {
	struct vmm *vm;
	struct vmm_sw w;
	struct tp_count count;
	uint64_t *ram_l, *vram_l; /* taken bits */
	uint8_t *bounce;	  /* TP_RUN_MAX pages */
	size_t ram_words, vram_words;
	bool tracking;
};

static int
tp_track(struct tp_send *s, bool on)
{
	struct vmm *vm = s->vm;
	int r;

	if (on) {
		size_t vw = s->vram_words ? s->vram_words : 1;

		/* kept for the VM's life (vmm_destroy frees them) */
		if (!vm->mig_ram_buf)
			vm->mig_ram_buf = calloc(s->ram_words, 8);
		if (!vm->mig_vram_buf)
			vm->mig_vram_buf = calloc(vw, 8);
		if (!vm->mig_ram_buf || !vm->mig_vram_buf)
			return -ENOMEM;
		memset(vm->mig_ram_buf, 0, s->ram_words * 8);
		memset(vm->mig_vram_buf, 0, vw * 8);
		__atomic_store_n(&vm->mig_vram, vm->mig_vram_buf,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&vm->mig_ram, vm->mig_ram_buf,
				 __ATOMIC_RELEASE);
		r = vm->accel->mig_track(vm, true);
		if (!r) {
			s->tracking = true;
			return 0;
		}
	} else if (s->tracking) {
		vm->accel->mig_track(vm, false);
		s->tracking = false;
	}
	__atomic_store_n(&vm->mig_ram, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->mig_vram, NULL, __ATOMIC_RELEASE);
	return on ? r : 0;
}

/* The accelerator's record of written pages into the bitmaps, where it
 * keeps its own (KVM). */
static int
tp_sync(struct tp_send *s)
{
	return s->vm->accel->mig_sync ? s->vm->accel->mig_sync(s->vm) : 0;
}

/* Take the bits of both bitmaps.  The software CPU's write hook marks a
 * page before its store lands: a vCPU preempted between the two (likely
 * on a busy host) would have its bit taken and its page copied before
 * the write, and the page never marked again.  So with no log of its own
 * (mig_sync NULL) the bits are taken with the vCPU stopped, when no store
 * is between its mark and its write.  KVM's logs mark after the fault
 * that lets the write through and re-protect on reading: no such gap. */
static uint64_t
tp_take_all(struct tp_send *s)
{
	struct vmm *vm = s->vm;
	bool stop =
	    !vm->accel->mig_sync && vmm_get_state(vm) == VMM_STATE_RUNNING;
	uint64_t n;

	if (stop)
		vmm_pause(vm);
	n = tp_take(vm->mig_ram, s->ram_l, s->ram_words) +
	    tp_take(vm->mig_vram, s->vram_l, s->vram_words);
	if (stop)
		vmm_resume(vm);
	return n;
}

/* One pass over what was written since the last; @return pages sent. */
static int
tp_round(struct tp_send *s, uint64_t *pages)
{
	struct vmm *vm = s->vm;
	int r = tp_sync(s);

	if (r)
		return r;
	*pages = tp_take_all(s);
	tp_send_dirty(&s->w, "RAM ", vm->ram, vm->ram_size, s->ram_l,
		      s->bounce);
	tp_send_dirty(&s->w, "VRAM", vm->vram, vm->vram_size, s->vram_l,
		      s->bounce);
	return s->w.err;
}

static uint64_t
tp_dirty_count(struct tp_send *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->ram_words; i++)
		n += (uint64_t)__builtin_popcountll(
		    __atomic_load_n(&s->vm->mig_ram[i], __ATOMIC_RELAXED));
	for (size_t i = 0; i < s->vram_words; i++)
		n += (uint64_t)__builtin_popcountll(
		    __atomic_load_n(&s->vm->mig_vram[i], __ATOMIC_RELAXED));
	return n;
}

/* Rounds while the guest runs, until what is left would go out within
 * @max_ms at the rate measured so far (with a quarter kept for the
 * devices and the hand-over), or the guest dirties as fast as we send. */
static int
tp_precopy(struct tp_send *s, uint32_t max_ms, struct vmm_teleport_stats *st)
{
	uint64_t t0 = vmm_now_ns(), b0 = s->count.bytes, best = UINT64_MAX;
	int stall = 0, r = 0;

	tp_send_nonzero(&s->w, "RAM ", s->vm->ram, s->vm->ram_size, s->bounce);
	tp_send_nonzero(&s->w, "VRAM", s->vm->vram, s->vm->vram_size,
			s->bounce);
	if (s->w.err)
		return s->w.err;
	log_info("pre-copy first pass: %llu bytes in %llu ms",
		 (unsigned long long)(s->count.bytes - b0),
		 (unsigned long long)((vmm_now_ns() - t0) / 1000000));
	for (;;) {
		uint64_t ns = vmm_now_ns() - t0, bytes = s->count.bytes - b0;
		double rate = ns ? (double)bytes / (double)ns : 1.0; /* B/ns */
		uint64_t left, pages;
		double est_ms;

		r = tp_sync(s);
		if (r)
			return r;
		left = tp_dirty_count(s);
		est_ms = (double)left * TP_PAGE / (rate > 0 ? rate : 1) / 1e6;
		st->rate_mbs = rate * 1e3;
		st->last_dirty = left;
		if (est_ms <= max_ms * 0.75 || st->rounds >= TP_MAX_ROUNDS ||
		    stall >= TP_STALL_LIMIT)
			break;
		if (left < best) {
			best = left;
			stall = 0;
		} else {
			stall++;
		}
		t0 = vmm_now_ns();
		b0 = s->count.bytes;
		r = tp_round(s, &pages);
		if (r)
			return r;
		st->rounds++;
		log_debug("pre-copy round %u: %llu pages", st->rounds,
			  (unsigned long long)pages);
	}
	if (stall >= TP_STALL_LIMIT || st->rounds >= TP_MAX_ROUNDS)
		log_warn("the guest writes memory about as fast as it is sent "
			 "(%llu pages dirty after %u rounds): stopping it for "
			 "the rest, longer than the downtime asked for",
			 (unsigned long long)st->last_dirty, st->rounds);
	return 0;
}

int
vmm_teleport_send(struct vmm *vm, const struct vmm_state_io *io,
		  uint32_t max_downtime_ms, struct vmm_teleport_stats *st,
		  char *err, size_t errlen)
{
	struct tp_send s = {.vm = vm};
	struct vmm_state_io cio = {tp_count_write, tp_count_read, &s.count};
	enum vmm_state state = vmm_get_state(vm);
	bool running = state == VMM_STATE_RUNNING;
	uint32_t boots = vm->boot_count;
	uint64_t pages = 0;
	int r = 0;

	memset(st, 0, sizeof(*st));
	*err = '\0';
	st->start_ns = vmm_now_ns();
	if (!running && state != VMM_STATE_PAUSED) {
		snprintf(err, errlen, "the VM is %s", vmm_state_name(state));
		return -EINVAL;
	}
	s.count.io = io;
	s.ram_words = tp_words(vm->ram_size);
	s.vram_words = tp_words(vm->vram_size);
	s.ram_l = calloc(s.ram_words, 8);
	s.vram_l = calloc(s.vram_words ? s.vram_words : 1, 8);
	s.bounce = malloc((size_t)TP_RUN_MAX * TP_PAGE);
	if (!s.ram_l || !s.vram_l || !s.bounce) {
		r = -ENOMEM;
		goto out;
	}
	/* live only when the guest runs and its writes can be seen */
	st->live = running && vm->accel->mig_track;
	if (st->live) {
		vmm_pause(vm);
		log_debug("paused to add the write hook");
		r = tp_track(&s, true);
		log_debug("write hook added");
		vmm_resume(vm);
		if (r) {
			snprintf(err, errlen,
				 "cannot track the guest's "
				 "writes");
			goto out;
		}
	} else {
		vmm_pause(vm);
		st->paused_ns = vmm_now_ns();
	}
	vmm_sw_begin(&s.w, &cio, 0);
	vmm_snap_save_config(vm, &s.w);
	if (st->live)
		r = tp_precopy(&s, max_downtime_ms, st);
	else
		r = vmm_snap_save_mem(&s.w, "RAM ", vm->ram, vm->ram_size) ||
			    vmm_snap_save_mem(&s.w, "VRAM", vm->vram,
					      vm->vram_size)
			? s.w.err
			: 0;
	if (r)
		goto out;
	/* stop and copy */
	vmm_pause(vm);
	st->paused_ns = st->paused_ns ? st->paused_ns : vmm_now_ns();
	if (vm->boot_count != boots) {
		snprintf(err, errlen,
			 "the guest reset during the teleport; "
			 "try again");
		r = -EAGAIN;
		goto out;
	}
	if (st->live)
		r = tp_round(&s, &pages);
	st->pages_last = pages;
	vmm_display_sync(vm);
	if (!r)
		r = vmm_snap_save_tail(vm, &s.w, err, errlen);
out:
	if (!st->paused_ns && vmm_get_state(vm) == VMM_STATE_PAUSED)
		st->paused_ns = vmm_now_ns();
	/* the hook goes only while the engine is stopped */
	if (s.tracking && vmm_get_state(vm) == VMM_STATE_RUNNING)
		vmm_pause(vm);
	tp_track(&s, false);
	st->bytes = s.count.bytes;
	if (r && !*err)
		snprintf(err, errlen, "%s", strerror(-r));
	if (r && running)
		vmm_resume(vm);
	vmm_sw_free(&s.w);
	free(s.ram_l);
	free(s.vram_l);
	free(s.bounce);
	return r;
}

/* ---- what the guest sees of its CPU ------------------------------------ */

static void
tp_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
tp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

size_t
vmm_cpu_profile(struct vmm *vm, uint8_t *buf, size_t size)
{
	const char *salt = getenv("VIREO_TELEPORT_TEST_CPUID");
	size_t n = 9;

	if (size < n)
		return 0;
	buf[0] = (uint8_t)vm->accel->kind;
	/* the software CPU shows the guest Unicorn's model; its version
	 * says which */
	tp_put32(buf + 1, vm->accel->kind == VMM_ACCEL_SOFTWARE
			      ? uc_version(NULL, NULL)
			      : 0);
	/* a test hook: pretend to be another CPU (vireo-teleport(7)) */
	tp_put32(buf + 1, tp_get32(buf + 1) ^
			      (salt ? (uint32_t)strtoul(salt, NULL, 0) : 0));
	tp_put32(buf + 5, vm->cpuid ? vm->cpuid->nent : 0);
	for (uint32_t i = 0; vm->cpuid && i < vm->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vm->cpuid->entries[i];
		uint32_t v[6] = {e->function, e->index, e->eax,
				 e->ebx,      e->ecx,	e->edx};

		if (n + sizeof(v) > size)
			return 0;
		for (int k = 0; k < 6; k++)
			tp_put32(buf + n + 4 * k, v[k]);
		n += sizeof(v);
	}
	return n;
}

static const char *
tp_accel_name(uint8_t kind)
{
	return kind == VMM_ACCEL_KVM	    ? "KVM"
	       : kind == VMM_ACCEL_SOFTWARE ? "the software CPU"
					    : "an unknown accelerator";
}

int
vmm_cpu_profile_check(struct vmm *vm, const uint8_t *p, size_t len, char *err,
		      size_t errlen)
{
	uint8_t *mine = malloc(VMM_CPU_PROFILE_MAX);
	size_t n = mine ? vmm_cpu_profile(vm, mine, VMM_CPU_PROFILE_MAX) : 0;
	int r = -EINVAL;

	if (!n) {
		snprintf(err, errlen, "cannot describe this host's CPU");
	} else if (len < 9 || (len - 9) % 24 ||
		   (len - 9) / 24 != tp_get32(p + 5)) {
		snprintf(err, errlen, "malformed CPU description (%zu bytes)",
			 len);
	} else if (p[0] != mine[0]) {
		snprintf(err, errlen,
			 "the source VM runs on %s, this one on %s",
			 tp_accel_name(p[0]), tp_accel_name(mine[0]));
	} else if (tp_get32(p + 1) != tp_get32(mine + 1)) {
		snprintf(err, errlen,
			 "CPUID differs: the source's software CPU is "
			 "Unicorn 0x%08x, this host's 0x%08x",
			 tp_get32(p + 1), tp_get32(mine + 1));
	} else if (len != n || memcmp(p, mine, n)) {
		size_t at = 9;

		while (at + 24 <= len && at + 24 <= n &&
		       !memcmp(p + at, mine + at, 24))
			at += 24;
		if (at + 24 <= len)
			snprintf(err, errlen,
				 "CPUID differs: leaf 0x%x.%u is %08x %08x "
				 "%08x %08x on the source, not on this host "
				 "(teleporting needs the same CPU features)",
				 tp_get32(p + at), tp_get32(p + at + 4),
				 tp_get32(p + at + 8), tp_get32(p + at + 12),
				 tp_get32(p + at + 16), tp_get32(p + at + 20));
		else
			snprintf(err, errlen,
				 "CPUID differs: this host has %u leaves, the "
				 "source %u",
				 tp_get32(mine + 5), tp_get32(p + 5));
	} else {
		r = 0;
	}
	free(mine);
	return r;
}

uint32_t
vmm_memory_crc(struct vmm *vm)
{
	uint32_t c = vmm_state_crc32(vm->ram, vm->ram_size, 0);

	return vmm_state_crc32(vm->vram, vm->vram_size, c);
}
