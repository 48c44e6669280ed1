/*
 * snapshot.c - a VM's complete state as a stream of records (state.h),
 * and back: saving a paused VM, restoring into one that has not run.
 *
 * Record order, which the reader insists on, so that nothing is applied
 * before what it depends on and nothing is left out:
 *   "VM  "         the configuration: restore refuses another one
 *   "RAM "/"VRAM"  chunks of guest memory (offset, bytes); pages of zeros
 *                  are left out and memory is cleared before loading
 *   devices        one record each, in devices.c's order (their tags)
 *   accelerator    its VM-wide record, then one per vCPU in order
 *   "END "
 * A restore applies records as it reads them; when anything is wrong
 * the VM is marked so that it cannot start, and the caller destroys it.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vmm_internal.h"

#define SNAP_PAGE    4096u
#define SNAP_CHUNK   (1u << 20) /* memory per record */
#define SNAP_VM_VER  1
#define SNAP_MEM_VER 1

/* ---- saving ------------------------------------------------------------ */

void
vmm_snap_save_config(struct vmm *vm, struct vmm_sw *w)
{
	vmm_sw_rec(w, "VM  ", SNAP_VM_VER, 0);
	vmm_sw_u8(w, (uint8_t)vm->accel->kind);
	vmm_sw_u8(w, (uint8_t)vm->cfg.boot);
	vmm_sw_u32(w, vm->ncpus);
	vmm_sw_u32(w, vm->heads);
	vmm_sw_u64(w, vm->ram_size);
	vmm_sw_u64(w, vm->vram_size);
	vmm_sw_u64(w, vm->vram_per_head);
	vmm_sw_u32(w, vm->boot_count);
	vmm_sw_u8(w, vm->power_button);
	vmm_sw_u64(w, vm->tsc_khz);
	vmm_sw_end_rec(w);
}

/* Which pages of guest memory were never touched: neither present nor
 * swapped in /proc/self/pagemap (bits 63 and 62), so still zero without
 * reading them - reading would fault in every page of a large, mostly
 * unused guest.  Without pagemap every page is read. */
struct snap_pagemap {
	int fd;
	uint64_t first; /* page index of map[0] */
	uint64_t map[512];
	size_t n;
};

static bool
snap_untouched(struct snap_pagemap *pm, const uint8_t *p)
{
	uint64_t page = (uint64_t)(uintptr_t)p / SNAP_PAGE;

	if (pm->fd < 0)
		return false;
	if (page < pm->first || page >= pm->first + pm->n) {
		ssize_t r = pread(pm->fd, pm->map, sizeof(pm->map),
				  (off_t)(page * sizeof(pm->map[0])));

		if (r < (ssize_t)sizeof(pm->map[0]))
			return false;
		pm->first = page;
		pm->n = (size_t)r / sizeof(pm->map[0]);
	}
	return !(pm->map[page - pm->first] & (3ull << 62));
}

static bool
snap_page_zero(struct snap_pagemap *pm, const uint8_t *p)
{
	return snap_untouched(pm, p) ||
	       (p[0] == 0 && !memcmp(p, p + 1, SNAP_PAGE - 1));
}

/* Runs of non-zero pages, at most SNAP_CHUNK each. */
int
vmm_snap_save_mem(struct vmm_sw *w, const char *tag, const uint8_t *mem,
		  uint64_t size)
{
	struct snap_pagemap pm = {.n = 0};
	uint64_t off = 0;

	pm.fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	while (off < size && !w->err) {
		uint64_t end;
		uint8_t pre[8];

		if (snap_page_zero(&pm, mem + off)) {
			off += SNAP_PAGE;
			continue;
		}
		end = off + SNAP_PAGE;
		while (end < size && end - off < SNAP_CHUNK &&
		       !snap_page_zero(&pm, mem + end))
			end += SNAP_PAGE;
		for (int i = 0; i < 8; i++)
			pre[i] = (uint8_t)(off >> (8 * i));
		vmm_sw_rec_raw(w, tag, SNAP_MEM_VER, 0, pre, sizeof(pre),
			       mem + off, end - off);
		off = end;
	}
	if (pm.fd >= 0)
		close(pm.fd);
	return w->err;
}

static void
snap_save_devices(struct vmm *vm, struct vmm_sw *w)
{
	for (int i = 0; i < vm->ndev && !w->err; i++) {
		const struct vmm_device_ops *d = vm->dev_ops[i];

		if (!d->save)
			continue;
		vmm_sw_rec(w, d->tag, d->version, 0);
		d->save(vm->dev_state[i], w);
		vmm_sw_end_rec(w);
	}
}

static int
snap_save_accel(struct vmm *vm, struct vmm_sw *w, char *err, size_t errlen)
{
	const struct vmm_accel_ops *a = vm->accel;
	int r = 0;

	if (a->vm_tag) {
		vmm_sw_rec(w, a->vm_tag, a->vm_version, 0);
		r = a->vm_save(vm, w, err, errlen);
		if (!r)
			r = vmm_sw_end_rec(w);
	}
	for (uint32_t i = 0; i < vm->ncpus && !r; i++) {
		vmm_sw_rec(w, a->vcpu_tag, a->vcpu_version, (uint16_t)i);
		r = a->vcpu_save(&vm->vcpus[i], w, err, errlen);
		if (!r)
			r = vmm_sw_end_rec(w);
	}
	return r;
}

int
vmm_save_stream(struct vmm *vm, const struct vmm_state_io *io, char *err,
		size_t errlen)
{
	struct vmm_sw w;
	int r;

	if (vmm_get_state(vm) != VMM_STATE_PAUSED) {
		snprintf(err, errlen, "the VM is %s; only a paused VM is saved",
			 vmm_state_name(vmm_get_state(vm)));
		return -EINVAL;
	}
	*err = '\0';
	/* what the host shows is then what VRAM holds, so a restored VM
	 * shows the very same pixels */
	vmm_display_sync(vm);
	vmm_sw_begin(&w, io, (uint64_t)time(NULL));
	vmm_snap_save_config(vm, &w);
	vmm_snap_save_mem(&w, "RAM ", vm->ram, vm->ram_size);
	vmm_snap_save_mem(&w, "VRAM", vm->vram, vm->vram_size);
	r = vmm_snap_save_tail(vm, &w, err, errlen);
	vmm_sw_free(&w);
	return r;
}

int
vmm_snap_save_tail(struct vmm *vm, struct vmm_sw *w, char *err, size_t errlen)
{
	int r;

	snap_save_devices(vm, w);
	r = w->err ? w->err : snap_save_accel(vm, w, err, errlen);
	if (!r)
		r = vmm_sw_finish(w);
	if (r && !*err)
		snprintf(err, errlen, "%s", strerror(-r));
	return r;
}

/* ---- file streams ------------------------------------------------------ */

static int
snap_fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Temporary file, fsync, rename: @path is either the old file or the
 * complete new one, never half of it. */
int
vmm_save_state(struct vmm *vm, const char *path, char *err, size_t errlen)
{
	int fd;
	struct vmm_state_io io = {vmm_state_fd_write, vmm_state_fd_read, &fd};
	char tmp[4096];
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		return r;
	}
	r = vmm_save_stream(vm, &io, err, errlen);
	if (!r && fsync(fd) < 0) {
		r = -errno;
		snprintf(err, errlen, "fsync %s: %s", tmp, strerror(errno));
	}
	if (close(fd) < 0 && !r) {
		r = -errno;
		snprintf(err, errlen, "close %s: %s", tmp, strerror(errno));
	}
	if (!r && rename(tmp, path) < 0) {
		r = -errno;
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
	}
	if (r) {
		unlink(tmp);
		return r;
	}
	r = snap_fsync_dir(path);
	if (r)
		snprintf(err, errlen, "fsync the directory of %s: %s", path,
			 strerror(-r));
	return r;
}

/* ---- restoring --------------------------------------------------------- */

/* What the reader expects next (the record order above). */
enum snap_stage {
	SNAP_STAGE_CONFIG = 0,
	SNAP_STAGE_MEMORY, /* memory, or the first device */
	SNAP_STAGE_DEVICES,
	SNAP_STAGE_ACCEL_VM,
	SNAP_STAGE_VCPUS,
	SNAP_STAGE_DONE,
};

struct snap_load {
	struct vmm *vm;
	enum snap_stage stage;
	int dev;       /* next device index with state */
	uint32_t vcpu; /* next vCPU */
	char *err;
	size_t errlen;
};

static int VIREO_PRINTF(2, 3)
    snap_fail(struct snap_load *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *
snap_accel_name(uint8_t kind)
{
	return kind == VMM_ACCEL_KVM	    ? "KVM"
	       : kind == VMM_ACCEL_SOFTWARE ? "the software CPU"
					    : "an unknown accelerator";
}

static int
snap_mismatch(struct snap_load *l, const char *what, uint64_t file,
	      uint64_t here)
{
	return snap_fail(l,
			 "the state is of a VM with %s %llu, this VM has "
			 "%llu: change it back or discard the state",
			 what, (unsigned long long)file,
			 (unsigned long long)here);
}

static int
snap_load_config(struct snap_load *l, struct vmm_sr *r)
{
	struct vmm *vm = l->vm;
	uint8_t accel = vmm_sr_u8(r), boot = vmm_sr_u8(r);
	uint32_t cpus = vmm_sr_u32(r), heads = vmm_sr_u32(r);
	uint64_t ram = vmm_sr_u64(r), vram = vmm_sr_u64(r);
	uint64_t per_head = vmm_sr_u64(r);
	uint32_t boots = vmm_sr_u32(r);
	uint8_t button = vmm_sr_u8(r);

	vmm_sr_u64(r); /* the saving host's TSC rate: informational */
	if (r->ver != SNAP_VM_VER || !vmm_sr_done(r))
		return snap_fail(l,
				 "the \"VM  \" record is of version %u or "
				 "size %zu this vireo does not read",
				 r->ver, r->len);
	if (accel != vm->accel->kind)
		return snap_fail(l,
				 "the state was saved on %s; this VM runs on "
				 "%s (set its accelerator back)",
				 snap_accel_name(accel),
				 snap_accel_name((uint8_t)vm->accel->kind));
	if (boot != vm->cfg.boot)
		return snap_fail(l,
				 "the state is of a %s guest, this VM "
				 "boots a %s",
				 boot ? "Linux" : "testcard",
				 vm->cfg.boot ? "Linux" : "testcard");
	if (cpus != vm->ncpus)
		return snap_mismatch(l, "CPU count", cpus, vm->ncpus);
	if (heads != vm->heads)
		return snap_mismatch(l, "monitor count", heads, vm->heads);
	if (ram != vm->ram_size)
		return snap_mismatch(l, "RAM size (bytes)", ram, vm->ram_size);
	if (vram != vm->vram_size || per_head != vm->vram_per_head)
		return snap_mismatch(l, "VRAM size (bytes)", vram,
				     vm->vram_size);
	vm->boot_count = boots;
	vm->power_button = button != 0;
	/* memory as the guest left it: everything not in the file is 0 */
	madvise(vm->ram, vm->ram_size, MADV_DONTNEED);
	madvise(vm->vram, vm->vram_size, MADV_DONTNEED);
	return 0;
}

static int
snap_load_mem(struct snap_load *l, struct vmm_sr *r, uint8_t *mem,
	      uint64_t size)
{
	uint64_t off = vmm_sr_u64(r);
	size_t n = vmm_sr_left(r);

	if (r->ver != SNAP_MEM_VER || r->err || off > size || n > size - off)
		return snap_fail(l,
				 "record \"%s\" at offset %llu: memory chunk "
				 "outside the VM's %llu bytes",
				 r->tag, (unsigned long long)r->at,
				 (unsigned long long)size);
	memcpy(mem + off, vmm_sr_take(r, n), n);
	return 0;
}

/* The next device that has state, from l->dev on; -1 when none is left. */
static int
snap_next_device(struct snap_load *l)
{
	while (l->dev < l->vm->ndev && !l->vm->dev_ops[l->dev]->save)
		l->dev++;
	return l->dev < l->vm->ndev ? l->dev : -1;
}

static int
snap_load_device(struct snap_load *l, struct vmm_sr *r)
{
	const struct vmm_device_ops *d = l->vm->dev_ops[l->dev];
	char why[256] = "";
	int rc;

	if (r->ver != d->version)
		return snap_fail(l,
				 "device %s: record version %u, this vireo "
				 "reads version %u",
				 d->name, r->ver, d->version);
	rc = d->load(l->vm->dev_state[l->dev], r, why, sizeof(why));
	if (!rc && !vmm_sr_done(r))
		snprintf(why, sizeof(why), "record of the wrong size (%zu)",
			 r->len);
	if (rc || !vmm_sr_done(r))
		return snap_fail(l, "device %s: %s", d->name,
				 why[0] ? why : "bad record");
	l->dev++;
	return 0;
}

static int
snap_load_accel(struct snap_load *l, struct vmm_sr *r, bool vm_wide)
{
	const struct vmm_accel_ops *a = l->vm->accel;
	char why[256] = "";
	int rc;

	if (r->ver != (vm_wide ? a->vm_version : a->vcpu_version))
		return snap_fail(l,
				 "record \"%s\" of version %u, this vireo "
				 "reads version %u",
				 r->tag, r->ver,
				 vm_wide ? a->vm_version : a->vcpu_version);
	if (vm_wide)
		rc = a->vm_load(l->vm, r, why, sizeof(why));
	else if (r->inst != l->vcpu)
		return snap_fail(l, "record for vCPU %u where vCPU %u belongs",
				 r->inst, l->vcpu);
	else
		rc = a->vcpu_load(&l->vm->vcpus[l->vcpu], r, why, sizeof(why));
	if (!rc && !vmm_sr_done(r))
		snprintf(why, sizeof(why), "record of the wrong size (%zu)",
			 r->len);
	if ((rc || !vmm_sr_done(r)) && vm_wide)
		return snap_fail(l, "VM state: %s",
				 why[0] ? why : "bad record");
	if (rc || !vmm_sr_done(r))
		return snap_fail(l, "vCPU %u: %s", l->vcpu,
				 why[0] ? why : "bad record");
	if (!vm_wide)
		l->vcpu++;
	return 0;
}

/* The stage after the devices: the accelerator's VM record or vCPUs. */
static enum snap_stage
snap_after_devices(struct snap_load *l)
{
	return l->vm->accel->vm_tag ? SNAP_STAGE_ACCEL_VM : SNAP_STAGE_VCPUS;
}

static const char *
snap_expected(struct snap_load *l)
{
	switch (l->stage) {
	case SNAP_STAGE_CONFIG:
		return "VM  ";
	case SNAP_STAGE_MEMORY:
	case SNAP_STAGE_DEVICES:
		return snap_next_device(l) >= 0 ? l->vm->dev_ops[l->dev]->tag
		       : l->vm->accel->vm_tag	? l->vm->accel->vm_tag
						: l->vm->accel->vcpu_tag;
	case SNAP_STAGE_ACCEL_VM:
		return l->vm->accel->vm_tag;
	case SNAP_STAGE_VCPUS:
		return l->vm->accel->vcpu_tag;
	default:
		return "END ";
	}
}

static int
snap_dispatch(struct snap_load *l, struct vmm_sr *r)
{
	struct vmm *vm = l->vm;
	bool mem = !strcmp(r->tag, "RAM ") || !strcmp(r->tag, "VRAM");

	if (l->stage == SNAP_STAGE_MEMORY && mem)
		return snap_load_mem(
		    l, r, r->tag[0] == 'R' ? vm->ram : vm->vram,
		    r->tag[0] == 'R' ? vm->ram_size : vm->vram_size);
	if (l->stage == SNAP_STAGE_MEMORY)
		l->stage = SNAP_STAGE_DEVICES;
	if (l->stage == SNAP_STAGE_DEVICES && snap_next_device(l) < 0)
		l->stage = snap_after_devices(l);
	if (strcmp(r->tag, snap_expected(l)))
		return snap_fail(l,
				 "record \"%s\" at offset %llu where \"%s\" "
				 "belongs",
				 r->tag, (unsigned long long)r->at,
				 snap_expected(l));
	switch (l->stage) {
	case SNAP_STAGE_CONFIG:
		l->stage = SNAP_STAGE_MEMORY;
		return snap_load_config(l, r);
	case SNAP_STAGE_DEVICES:
		return snap_load_device(l, r);
	case SNAP_STAGE_ACCEL_VM:
		l->stage = SNAP_STAGE_VCPUS;
		return snap_load_accel(l, r, true);
	default:
		if (snap_load_accel(l, r, false))
			return -EINVAL;
		if (l->vcpu == vm->ncpus)
			l->stage = SNAP_STAGE_DONE;
		return 0;
	}
}

int
vmm_restore_stream(struct vmm *vm, const struct vmm_state_io *io, char *err,
		   size_t errlen)
{
	struct snap_load l = {.vm = vm, .err = err, .errlen = errlen};
	struct vmm_state_reader rd;
	struct vmm_sr rec;
	int r;

	if (vmm_get_state(vm) != VMM_STATE_CREATED || vm->restore_failed) {
		snprintf(err, errlen,
			 "a state restores only into a VM that "
			 "has not run");
		return -EINVAL;
	}
	vm->restore_failed = true;
	r = vmm_state_begin(&rd, io, err, errlen);
	while (!r && (r = vmm_state_next(&rd, &rec, err, errlen)) == 1)
		r = l.stage == SNAP_STAGE_DONE
			? snap_fail(&l, "record \"%s\" after the last vCPU",
				    rec.tag)
			: snap_dispatch(&l, &rec);
	if (!r && l.stage != SNAP_STAGE_DONE)
		r = snap_fail(&l, "the state ends before record \"%s\"",
			      snap_expected(&l));
	vmm_state_reader_free(&rd);
	if (!r)
		vm->restore_failed = false;
	return r;
}

/* Nothing may follow the END record: a file with more is not what was
 * written. */
static int
snap_trailing(int *fd, char *err, size_t errlen)
{
	uint8_t b;

	if (vmm_state_fd_read(fd, &b, 1) != -ENODATA) {
		snprintf(err, errlen, "corrupted: data after the END record");
		return -EPROTO;
	}
	return 0;
}

int
vmm_restore_state(struct vmm *vm, const char *path, char *err, size_t errlen)
{
	int fd;
	struct vmm_state_io io = {vmm_state_fd_write, vmm_state_fd_read, &fd};
	int r = vmm_state_open(path, &fd, err, errlen);

	if (r) {
		vm->restore_failed = true;
		return r;
	}
	r = vmm_restore_stream(vm, &io, err, errlen);
	if (!r && (r = snap_trailing(&fd, err, errlen)))
		vm->restore_failed = true;
	close(fd);
	if (!r)
		log_info("VM state restored from %s", path);
	return r;
}

int
vmm_check_state(const char *path, char *err, size_t errlen)
{
	return vmm_state_check_file(path, err, errlen);
}
