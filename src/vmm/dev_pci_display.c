/*
 * dev_pci_display.c - vireo's multi-head display device (PCI 1234:7669 at
 * 00:02.0): monitorCount linear XRGB8888 framebuffers in BAR2, a register
 * block in BAR0 (vireo-hw.h) with per-head geometry, the host's mode
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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmm-internal.h"

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
	/* the PS/2 mouse gets relative motion on head 0 */
	if (head == 0)
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

const struct vmm_device_ops display_dev = {
    .name = "display",
    .phase = VMM_PHASE_DEV,
    .init = disp_init,
    .reset = disp_reset,
    .destroy = disp_destroy,
};
