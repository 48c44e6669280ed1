/*
 * dev_pci_display.c - vireo's multi-head display device (PCI 1234:7669 at
 * 00:02.0): monitorCount linear XRGB8888 framebuffers in BAR2, a register
 * block in BAR0 (vireo_hw.h) with per-head geometry, the host's mode
 * hints, an explicit flush-rect register and an absolute pointer queue.
 *
 * The device only keeps registers; the pixels are read by the display
 * model (display.c), which learns about mode changes and flushes through
 * vmm_display_set_mode() and vmm_display_flush().  Pointer events are
 * queued so the guest sees every one the host sent, in order; the queue
 * drops the oldest event when the guest does not keep up.
 */
#define LOG_TAG "display"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmm_internal.h"

#define DISP_PTR_QUEUE 256

struct disp_ptr_ev {
	int32_t x, y;
	uint32_t buttons, head;
	int32_t wheel, hwheel;
};

struct disp_head_regs {
	uint32_t width, height, stride, enable;
	uint32_t req_width, req_height, req_seq, ack_seq;
};

struct disp_softc {
	struct vmm *vm;
	pthread_mutex_t lock;
	struct vmm_pci_dev pci;
	struct disp_head_regs h[VMM_MAX_HEADS];
	struct disp_ptr_ev q[DISP_PTR_QUEUE];
	uint32_t q_head, q_count;
	struct disp_ptr_ev latch;
	uint32_t flush[4];
	int32_t ps2_x, ps2_y; /* last absolute position sent as PS/2 motion */
	uint64_t regs_gpa;    /* where BAR0 decodes now */
};

static uint32_t
disp_events(struct disp_softc *sc)
{
	uint32_t ev = sc->q_count ? VIREO_DISP_EV_POINTER : 0;

	for (uint32_t i = 0; i < sc->vm->heads; i++)
		if (sc->h[i].req_seq != sc->h[i].ack_seq)
			ev |= VIREO_DISP_EV_MODE;
	return ev;
}

static uint32_t
disp_head_read(struct disp_softc *sc, uint32_t head, uint32_t reg)
{
	struct disp_head_regs *h = &sc->h[head];

	switch (reg) {
	case VIREO_DISP_H_WIDTH:
		return h->width;
	case VIREO_DISP_H_HEIGHT:
		return h->height;
	case VIREO_DISP_H_STRIDE:
		return h->stride;
	case VIREO_DISP_H_ENABLE:
		return h->enable;
	case VIREO_DISP_H_REQ_WIDTH:
		return h->req_width;
	case VIREO_DISP_H_REQ_HEIGHT:
		return h->req_height;
	case VIREO_DISP_H_REQ_SEQ:
		return h->req_seq;
	}
	return 0;
}

static uint32_t
disp_reg_read(struct disp_softc *sc, uint32_t off)
{
	struct vmm *vm = sc->vm;

	if (off >= VIREO_DISP_HEAD_BASE) {
		uint32_t head =
		    (off - VIREO_DISP_HEAD_BASE) / VIREO_DISP_HEAD_STRIDE;
		if (head >= vm->heads)
			return 0;
		return disp_head_read(sc, head,
				      (off - VIREO_DISP_HEAD_BASE) %
					  VIREO_DISP_HEAD_STRIDE);
	}
	switch (off) {
	case VIREO_DISP_REG_MAGIC:
		return VIREO_DISP_MAGIC;
	case VIREO_DISP_REG_HEADS:
		return vm->heads;
	case VIREO_DISP_REG_VRAM_PER_HEAD:
		return (uint32_t)vm->vram_per_head;
	case VIREO_DISP_REG_PTR_POP:
		if (!sc->q_count)
			return 0;
		sc->latch = sc->q[sc->q_head];
		sc->q_head = (sc->q_head + 1) % DISP_PTR_QUEUE;
		sc->q_count--;
		return 1;
	case VIREO_DISP_REG_PTR_X:
		return (uint32_t)sc->latch.x;
	case VIREO_DISP_REG_PTR_Y:
		return (uint32_t)sc->latch.y;
	case VIREO_DISP_REG_PTR_BUTTONS:
		return sc->latch.buttons;
	case VIREO_DISP_REG_PTR_HEAD:
		return sc->latch.head;
	case VIREO_DISP_REG_PTR_WHEEL:
		return (uint32_t)sc->latch.wheel;
	case VIREO_DISP_REG_PTR_HWHEEL:
		return (uint32_t)sc->latch.hwheel;
	case VIREO_DISP_REG_EVENTS:
		return disp_events(sc);
	}
	return 0;
}

/* COMMIT: validate the guest's geometry and hand it to the model. */
static void
disp_commit(struct disp_softc *sc, uint32_t head)
{
	struct disp_head_regs *h = &sc->h[head];
	uint64_t need = (uint64_t)h->stride * h->height;

	if (h->enable && (!h->width || !h->height || h->width > 16384 ||
			  h->height > 16384 || h->stride < h->width * 4 ||
			  (h->stride & 3) || need > sc->vm->vram_per_head)) {
		log_warn("head %u: invalid mode %ux%u stride %u ignored", head,
			 h->width, h->height, h->stride);
		return;
	}
	vmm_display_set_mode(sc->vm, head, h->enable != 0, h->width, h->height,
			     h->stride);
}

static void
disp_reg_write(struct disp_softc *sc, uint32_t off, uint32_t v)
{
	if (off >= VIREO_DISP_HEAD_BASE) {
		uint32_t head =
		    (off - VIREO_DISP_HEAD_BASE) / VIREO_DISP_HEAD_STRIDE;
		uint32_t reg =
		    (off - VIREO_DISP_HEAD_BASE) % VIREO_DISP_HEAD_STRIDE;
		struct disp_head_regs *h;

		if (head >= sc->vm->heads)
			return;
		h = &sc->h[head];
		if (reg == VIREO_DISP_H_WIDTH)
			h->width = v;
		else if (reg == VIREO_DISP_H_HEIGHT)
			h->height = v;
		else if (reg == VIREO_DISP_H_STRIDE)
			h->stride = v;
		else if (reg == VIREO_DISP_H_ENABLE)
			h->enable = v & 1;
		else if (reg == VIREO_DISP_H_COMMIT)
			disp_commit(sc, head);
		else if (reg == VIREO_DISP_H_REQ_SEQ)
			h->ack_seq = v;
		return;
	}
	if (off >= VIREO_DISP_REG_FLUSH_X && off <= VIREO_DISP_REG_FLUSH_H) {
		sc->flush[(off - VIREO_DISP_REG_FLUSH_X) / 4] = v;
	} else if (off == VIREO_DISP_REG_FLUSH_HEAD && v < sc->vm->heads) {
		struct vmm_rect r = {(int32_t)sc->flush[0],
				     (int32_t)sc->flush[1], sc->flush[2],
				     sc->flush[3]};
		vmm_display_flush(sc->vm, v, &r);
	}
}

static void
disp_mmio_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct disp_softc *sc = dev;
	uint32_t v;

	pthread_mutex_lock(&sc->lock);
	v = disp_reg_read(sc, (uint32_t)addr & ~3u);
	pthread_mutex_unlock(&sc->lock);
	memset(data, 0, len);
	memcpy(data, &v, len < 4 ? len : 4);
}

static void
disp_mmio_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct disp_softc *sc = dev;
	uint32_t v = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	/* outside the device lock: the kick takes the VM's */
	if (((uint32_t)addr & ~3u) == VIREO_DISP_REG_PRESENT) {
		vmm_display_kick(sc->vm);
		return;
	}
	pthread_mutex_lock(&sc->lock);
	disp_reg_write(sc, (uint32_t)addr & ~3u, v);
	pthread_mutex_unlock(&sc->lock);
}

static const struct vmm_io_ops disp_mmio = {
    .read = disp_mmio_read,
    .write = disp_mmio_write,
};

int
vmm_display_pointer(void *disp, uint32_t head, int32_t x, int32_t y,
		    uint32_t buttons, int32_t wheel, int32_t hwheel)
{
	struct disp_softc *sc = disp;
	struct disp_ptr_ev *e;
	int dx = 0, dy = 0;

	if (!sc || head >= sc->vm->heads)
		return -EINVAL;
	pthread_mutex_lock(&sc->lock);
	if (sc->q_count == DISP_PTR_QUEUE) {
		sc->q_head = (sc->q_head + 1) % DISP_PTR_QUEUE;
		sc->q_count--;
	}
	e = &sc->q[(sc->q_head + sc->q_count++) % DISP_PTR_QUEUE];
	*e = (struct disp_ptr_ev){x, y, buttons & 7, head, wheel, hwheel};
	if (head == 0) {
		dx = x - sc->ps2_x;
		dy = y - sc->ps2_y;
		sc->ps2_x = x;
		sc->ps2_y = y;
	}
	pthread_mutex_unlock(&sc->lock);
	/* the PS/2 mouse gets relative motion on head 0, unless the USB
	 * tablet is the pointing device: a guest driving both would see
	 * every move twice (VirtualBox feeds only the absolute device) */
	if (head == 0 && !sc->vm->tablet)
		vmm_i8042_mouse(sc->vm->kbd, dx, dy, buttons, wheel);
	vmm_guest_event(sc->vm);
	return 0;
}

int
vmm_display_hint(void *disp, uint32_t head, uint32_t w, uint32_t h)
{
	struct disp_softc *sc = disp;

	if (!sc || head >= sc->vm->heads)
		return -EINVAL;
	pthread_mutex_lock(&sc->lock);
	sc->h[head].req_width = w;
	sc->h[head].req_height = h;
	sc->h[head].req_seq++;
	pthread_mutex_unlock(&sc->lock);
	vmm_guest_event(sc->vm);
	return 0;
}

static uint32_t
disp_cfg32(const struct vmm_pci_dev *d, int off)
{
	uint32_t v;

	memcpy(&v, &d->cfg[off], 4);
	return v;
}

/* Where BAR0 and BAR2 decode: nowhere while memory decoding is off or a
 * BAR holds its size mask (being sized), else their addresses. */
static void
disp_bar_targets(const struct vmm_pci_dev *d, uint64_t *regs, uint64_t *vram)
{
	uint32_t b0 = disp_cfg32(d, 0x10) & ~0xfu;
	uint64_t b2 = (disp_cfg32(d, 0x18) & ~0xfull) |
		      (uint64_t)disp_cfg32(d, 0x1c) << 32;
	uint64_t b2_mask = (d->bar_mask[2] & ~0xfull) | (uint64_t)d->bar_mask[3]
							    << 32;
	bool mem = d->cfg[0x04] & 0x02;

	*regs = mem && b0 != (d->bar_mask[0] & ~0xfu) ? b0 : VMM_BUS_UNMAPPED;
	*vram =
	    mem && b2 != b2_mask && b2 < (1ull << 40) ? b2 : VMM_BUS_UNMAPPED;
}

/* The guest moved a BAR or switched decoding: follow it.  After VRAM
 * moves, the whole of every head is reported again (writes made while it
 * decoded nowhere were lost, as on hardware). */
static void
disp_remap(struct vmm_pci_dev *d)
{
	struct disp_softc *sc =
	    (struct disp_softc *)((char *)d - offsetof(struct disp_softc, pci));
	struct vmm *vm = sc->vm;
	uint64_t regs, vram;

	disp_bar_targets(d, &regs, &vram);
	pthread_mutex_lock(&sc->lock);
	if (regs != sc->regs_gpa) {
		vmm_bus_move(&vm->mmio, sc, sc->regs_gpa, regs);
		sc->regs_gpa = regs;
	}
	if (vram != vm->vram_gpa) {
		if (vmm_map_vram(vm, vram))
			log_warn("VRAM cannot be mapped at 0x%llx",
				 (unsigned long long)vram);
		for (uint32_t i = 0; i < vm->heads && vram == vm->vram_gpa;
		     i++) {
			struct vmm_rect all = {0, 0, sc->h[i].width,
					       sc->h[i].height};
			vmm_display_flush(vm, i, &all);
		}
	}
	pthread_mutex_unlock(&sc->lock);
}

/* Power-on state: BARs where the VMM put them, default modes. */
static void
disp_reset(void *state)
{
	struct disp_softc *sc = state;
	struct vmm *vm = sc->vm;

	sc->pci.cfg[0x04] = 0x02; /* memory decoding on */
	vmm_pci_set_bar(&sc->pci, 0, VIREO_GPA_DISPLAY_REGS,
			VIREO_DISPLAY_REGS_SIZE, 0);
	vmm_pci_set_bar(&sc->pci, 2, VIREO_GPA_VRAM, vm->vram_size, 0x0c);
	if (sc->regs_gpa != VIREO_GPA_DISPLAY_REGS)
		vmm_bus_move(&vm->mmio, sc, sc->regs_gpa,
			     VIREO_GPA_DISPLAY_REGS);
	sc->regs_gpa = VIREO_GPA_DISPLAY_REGS;
	pthread_mutex_lock(&sc->lock);
	for (uint32_t i = 0; i < vm->heads; i++) {
		struct disp_head_regs *h = &sc->h[i];

		memset(h, 0, sizeof(*h));
		vmm_display_default_mode(i, &h->width, &h->height);
		h->stride = h->width * 4;
		h->enable = 1;
		vmm_display_set_mode(vm, i, true, h->width, h->height,
				     h->stride);
	}
	sc->q_head = sc->q_count = 0;
	pthread_mutex_unlock(&sc->lock);
}

static int
disp_init(struct vmm *vm, void **state)
{
	struct disp_softc *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return -ENOMEM;
	sc->vm = vm;
	pthread_mutex_init(&sc->lock, NULL);
	sc->pci.slot = VIREO_DISPLAY_SLOT;
	vmm_pci_set_id(&sc->pci, VIREO_DISPLAY_VENDOR, VIREO_DISPLAY_DEVICE,
		       0x03800001); /* display controller, other; rev 1 */
	sc->pci.remap = disp_remap;
	sc->regs_gpa = VIREO_GPA_DISPLAY_REGS;
	*state = sc;
	vm->disp = sc;
	disp_reset(sc);
	r = vmm_pci_add(vm, &sc->pci);
	if (!r)
		r = vmm_bus_add(&vm->mmio, VIREO_GPA_DISPLAY_REGS,
				VIREO_DISPLAY_REGS_SIZE, &disp_mmio, sc);
	return r;
}

static void
disp_destroy(void *state)
{
	free(state);
}

/* ---- saved state --------------------------------------------------------
 * Version 1: the writable config bytes (command, BAR0, BAR2/3), per head
 * the registers and the display model's mode, the pointer queue in order,
 * the latched event, the flush rectangle, the last PS/2 position. */
#define DISP_STATE_VERSION 1

static void
disp_save_ev(struct vmm_sw *w, const struct disp_ptr_ev *e)
{
	vmm_sw_u32(w, (uint32_t)e->x);
	vmm_sw_u32(w, (uint32_t)e->y);
	vmm_sw_u32(w, e->buttons);
	vmm_sw_u32(w, e->head);
	vmm_sw_u32(w, (uint32_t)e->wheel);
	vmm_sw_u32(w, (uint32_t)e->hwheel);
}

static void
disp_save(void *state, struct vmm_sw *w)
{
	struct disp_softc *sc = state;
	struct vmm *vm = sc->vm;
	struct {
		bool en;
		uint32_t w, h, stride;
	} mode[VMM_MAX_HEADS];

	/* the model's modes first: its locks are not taken under sc->lock
	 * anywhere else */
	for (uint32_t i = 0; i < vm->heads; i++)
		vmm_display_get_mode(vm, i, &mode[i].en, &mode[i].w, &mode[i].h,
				     &mode[i].stride);
	pthread_mutex_lock(&sc->lock);
	vmm_sw_u16(w, sc->pci.cfg[0x04] | sc->pci.cfg[0x05] << 8);
	vmm_sw_bytes(w, &sc->pci.cfg[0x10], 4);
	vmm_sw_bytes(w, &sc->pci.cfg[0x18], 8);
	for (uint32_t i = 0; i < vm->heads; i++) {
		struct disp_head_regs *h = &sc->h[i];

		vmm_sw_u32(w, h->width);
		vmm_sw_u32(w, h->height);
		vmm_sw_u32(w, h->stride);
		vmm_sw_u32(w, h->enable);
		vmm_sw_u32(w, h->req_width);
		vmm_sw_u32(w, h->req_height);
		vmm_sw_u32(w, h->req_seq);
		vmm_sw_u32(w, h->ack_seq);
		vmm_sw_u8(w, mode[i].en);
		vmm_sw_u32(w, mode[i].w);
		vmm_sw_u32(w, mode[i].h);
		vmm_sw_u32(w, mode[i].stride);
	}
	vmm_sw_u32(w, sc->q_count);
	for (uint32_t i = 0; i < sc->q_count; i++)
		disp_save_ev(w, &sc->q[(sc->q_head + i) % DISP_PTR_QUEUE]);
	disp_save_ev(w, &sc->latch);
	for (int i = 0; i < 4; i++)
		vmm_sw_u32(w, sc->flush[i]);
	vmm_sw_u32(w, (uint32_t)sc->ps2_x);
	vmm_sw_u32(w, (uint32_t)sc->ps2_y);
	pthread_mutex_unlock(&sc->lock);
}

static void
disp_load_ev(struct vmm_sr *r, struct disp_ptr_ev *e)
{
	e->x = (int32_t)vmm_sr_u32(r);
	e->y = (int32_t)vmm_sr_u32(r);
	e->buttons = vmm_sr_u32(r) & 7;
	e->head = vmm_sr_u32(r);
	e->wheel = (int32_t)vmm_sr_u32(r);
	e->hwheel = (int32_t)vmm_sr_u32(r);
}

/* A mode the model accepts: what disp_commit() lets through. */
static bool
disp_mode_ok(struct disp_softc *sc, bool en, uint32_t w, uint32_t h,
	     uint32_t stride)
{
	return !en ||
	       (w && h && w <= 16384 && h <= 16384 && stride >= w * 4 &&
		!(stride & 3) && (uint64_t)stride * h <= sc->vm->vram_per_head);
}

static int
disp_load_heads(struct disp_softc *sc, struct vmm_sr *r, char *err,
		size_t errlen)
{
	for (uint32_t i = 0; i < sc->vm->heads; i++) {
		struct disp_head_regs *h = &sc->h[i];
		uint32_t mw, mh, ms;
		bool me;

		h->width = vmm_sr_u32(r);
		h->height = vmm_sr_u32(r);
		h->stride = vmm_sr_u32(r);
		h->enable = vmm_sr_u32(r) & 1;
		h->req_width = vmm_sr_u32(r);
		h->req_height = vmm_sr_u32(r);
		h->req_seq = vmm_sr_u32(r);
		h->ack_seq = vmm_sr_u32(r);
		me = vmm_sr_u8(r) != 0;
		mw = vmm_sr_u32(r);
		mh = vmm_sr_u32(r);
		ms = vmm_sr_u32(r);
		if (!disp_mode_ok(sc, me, mw, mh, ms)) {
			snprintf(err, errlen,
				 "head %u: mode %ux%u stride %u does not fit",
				 i, mw, mh, ms);
			return -EPROTO;
		}
		vmm_display_set_mode(sc->vm, i, me, mw, mh, ms);
	}
	return 0;
}

static int
disp_load_queue(struct disp_softc *sc, struct vmm_sr *r, char *err,
		size_t errlen)
{
	uint32_t n = vmm_sr_u32(r);

	if (n > DISP_PTR_QUEUE) {
		snprintf(err, errlen, "%u queued pointer events (at most %d)",
			 n, DISP_PTR_QUEUE);
		return -EPROTO;
	}
	sc->q_head = 0;
	sc->q_count = n;
	for (uint32_t i = 0; i < n; i++) {
		disp_load_ev(r, &sc->q[i]);
		if (sc->q[i].head >= sc->vm->heads) {
			snprintf(err, errlen, "pointer event on head %u",
				 sc->q[i].head);
			return -EPROTO;
		}
	}
	disp_load_ev(r, &sc->latch);
	for (int i = 0; i < 4; i++)
		sc->flush[i] = vmm_sr_u32(r);
	sc->ps2_x = (int32_t)vmm_sr_u32(r);
	sc->ps2_y = (int32_t)vmm_sr_u32(r);
	return 0;
}

/* BAR values go through the size masks, as a guest's writes do; then
 * the registers and VRAM move to where the guest had them. */
static void
disp_load_bars(struct disp_softc *sc, uint16_t cmd, const uint8_t *bar0,
	       const uint8_t *bar2)
{
	struct vmm_pci_dev *d = &sc->pci;
	uint32_t v[3];

	memcpy(&v[0], bar0, 4);
	memcpy(&v[1], bar2, 8);
	for (int i = 0; i < 3; i++) {
		int bar = i ? i + 1 : 0;
		uint32_t old;

		memcpy(&old, &d->cfg[0x10 + 4 * bar], 4);
		v[i] = (v[i] & d->bar_mask[bar]) | (old & ~d->bar_mask[bar]);
		memcpy(&d->cfg[0x10 + 4 * bar], &v[i], 4);
	}
	d->cfg[0x04] = (uint8_t)cmd;
	d->cfg[0x05] = (uint8_t)(cmd >> 8);
	disp_remap(d);
}

static int
disp_load(void *state, struct vmm_sr *r, char *err, size_t errlen)
{
	struct disp_softc *sc = state;
	uint16_t cmd = vmm_sr_u16(r);
	uint8_t bar0[4], bar2[8];
	int rc;

	vmm_sr_bytes(r, bar0, sizeof(bar0));
	vmm_sr_bytes(r, bar2, sizeof(bar2));
	pthread_mutex_lock(&sc->lock);
	rc = disp_load_heads(sc, r, err, errlen);
	if (!rc)
		rc = disp_load_queue(sc, r, err, errlen);
	pthread_mutex_unlock(&sc->lock);
	if (rc || r->err)
		return rc ? rc : -EPROTO;
	disp_load_bars(sc, cmd, bar0, bar2);
	return 0;
}

const struct vmm_device_ops display_dev = {
    .name = "display",
    .phase = VMM_PHASE_DEV,
    .init = disp_init,
    .reset = disp_reset,
    .destroy = disp_destroy,
    .tag = "DISP",
    .version = DISP_STATE_VERSION,
    .save = disp_save,
    .load = disp_load,
};
