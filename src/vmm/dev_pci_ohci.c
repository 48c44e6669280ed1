/*
 * dev_pci_ohci.c - an OpenHCI 1.0a USB host controller (PCI 106b:003f,
 * class 0x0C0310, as VirtualBox's and QEMU's) at 00:06.0: 4 KiB of
 * registers in BAR0, a root hub with VIREO_OHCI_PORTS ports, INTA routed
 * to IOAPIC pin VIREO_OHCI_IRQ (mptable.c).  Present when the VM's
 * settings have an OHCI controller; port 1 holds the emulated USB tablet
 * when the pointing device is USBTablet.
 *
 * The schedule lives in guest memory: every 1 ms frame a thread of its
 * own walks the periodic (interrupt) list from the HCCA, then the control
 * and bulk lists while the guest's CLF/BLF say they have work, one
 * transfer descriptor per endpoint per pass, and hands each TD to the
 * device layer (usb.h).  Every pointer and length the guest supplies is
 * checked against guest RAM before use; a descriptor outside RAM is an
 * UnrecoverableError (the controller stops, as hardware does on a bus
 * error).  List walks are bounded, so a looping list cannot hang it.
 *
 * A TD whose packet the device answers later (USB_RES_ASYNC: a remote
 * device) keeps its endpoint busy; the packet and its buffer wait in one
 * of OHCI_INFLIGHT slots and the TD retires in the first frame after the
 * device completed it.  A skipped or emptied endpoint, a port reset or
 * disconnect and a controller reset cancel what is in flight.
 * Isochronous endpoints are not implemented (skipped).
 *
 * Why its own thread: frames follow wall time whether or not a vCPU
 * runs, and the device event loop starts after the devices are made.
 */
#define LOG_TAG "ohci"
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ohci_hw.h"
#include "usb.h"
#include "vmm_internal.h"

#define OHCI_INFLIGHT	 16
#define OHCI_MAX_EDS	 256 /* per list walk: a looping list ends here */
#define OHCI_MAX_PASSES	 16  /* control/bulk passes per frame */
#define OHCI_FRAME_NS	 1000000ull
#define OHCI_MAX_CATCHUP 8 /* frames run at once after a stall */
#define OHCI_FI_DEFAULT	 0x2edfu

enum ohci_ed_res {
	OHCI_ED_IDLE = 0, /* no TD to do */
	OHCI_ED_BUSY,	  /* a TD NAKed or is in flight */
	OHCI_ED_RETIRED,  /* a TD went to the done queue */
};

struct ohci_xfer {
	bool used;
	uint32_t ed, td;
	struct usb_packet p;
	uint8_t buf[USB_XFER_MAX];
};

struct ohci_port {
	struct usb_device *dev;
	uint32_t status;
};

struct ohci_softc {
	struct vmm *vm;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_started, quit;
	struct vmm_pci_dev pci;
	uint64_t regs_gpa;
	/* operational registers */
	uint32_t control, command, intr_status, intr_enable, hcca;
	uint32_t ctrl_head, ctrl_cur, bulk_head, bulk_cur, done_head;
	uint32_t fm_interval, fm_number, periodic_start, ls_threshold;
	uint32_t rh_status;
	struct ohci_port port[VIREO_OHCI_PORTS];
	uint32_t done_count; /* frames until the done queue is written back,
			      * 7: no interrupt asked for */
	bool dead;	     /* UnrecoverableError: no frames until reset */
	int irq_level;
	uint64_t next_frame_ns;
	struct ohci_xfer xfer[OHCI_INFLIGHT];
	bool warned_iso;
};

/* ---- guest memory, bounds-checked ---------------------------------------- */

static void
ohci_die(struct ohci_softc *sc, const char *what, uint32_t addr)
{
	if (!sc->dead)
		log_warn("%s at 0x%08x is outside guest RAM: controller "
			 "stopped (UnrecoverableError)",
			 what, addr);
	sc->dead = true;
	sc->intr_status |= OHCI_INTR_UE;
}

static bool
ohci_mem(struct ohci_softc *sc, uint32_t gpa, void *buf, uint32_t len,
	 bool to_guest, const char *what)
{
	uint8_t *p = vmm_gpa(sc->vm, gpa, len);

	if (!p) {
		ohci_die(sc, what, gpa);
		return false;
	}
	if (to_guest) {
		memcpy(p, buf, len);
		/* no CPU wrote this page: a running teleport must still
		 * send it again (vireo-teleport(7)) */
		vmm_mig_mark(sc->vm, gpa, len);
	} else {
		memcpy(buf, p, len);
	}
	return true;
}

static bool
ohci_get_dwords(struct ohci_softc *sc, uint32_t gpa, uint32_t *d, uint32_t n,
		const char *what)
{
	return ohci_mem(sc, gpa, d, 4 * n, false, what);
}

static bool
ohci_put_dwords(struct ohci_softc *sc, uint32_t gpa, const uint32_t *d,
		uint32_t n, const char *what)
{
	return ohci_mem(sc, gpa, (void *)d, 4 * n, true, what);
}

/* A TD's buffer runs from CBP to BE inclusive and may cross into BE's
 * page (not necessarily the next one).  @return false when BE is before
 * CBP in the same page. */
static bool
ohci_buf_len(uint32_t cbp, uint32_t be, uint32_t *len)
{
	*len = 0;
	if (!cbp)
		return true;
	if ((cbp & ~0xfffu) == (be & ~0xfffu)) {
		if (be < cbp)
			return false;
		*len = be - cbp + 1;
	} else {
		*len = (0x1000 - (cbp & 0xfff)) + (be & 0xfff) + 1;
	}
	return true;
}

/* Guest address of byte @off of the TD buffer (CBP..BE). */
static uint32_t
ohci_buf_addr(uint32_t cbp, uint32_t be, uint32_t off)
{
	uint32_t first = 0x1000 - (cbp & 0xfff);

	if ((cbp & ~0xfffu) == (be & ~0xfffu) || off < first)
		return cbp + off;
	return (be & ~0xfffu) + (off - first);
}

/* Copy @n bytes between @buf and the TD buffer, page piece by piece. */
static bool
ohci_buf_copy(struct ohci_softc *sc, uint32_t cbp, uint32_t be, uint8_t *buf,
	      uint32_t n, bool to_guest)
{
	uint32_t off = 0;

	while (off < n) {
		uint32_t a = ohci_buf_addr(cbp, be, off);
		uint32_t chunk = 0x1000 - (a & 0xfff);

		if (chunk > n - off)
			chunk = n - off;
		if (!ohci_mem(sc, a, buf + off, chunk, to_guest, "TD buffer"))
			return false;
		off += chunk;
	}
	return true;
}

/* ---- interrupts ------------------------------------------------------- */

static void
ohci_update_irq(struct ohci_softc *sc)
{
	uint32_t pending =
	    sc->intr_status & sc->intr_enable & (OHCI_INTR_OC | 0x7fu);
	int level = (sc->intr_enable & OHCI_INTR_MIE) && pending;

	if (level != sc->irq_level) {
		sc->irq_level = level;
		vmm_irq_line(sc->vm, VIREO_OHCI_IRQ, level);
	}
}

/* ---- transfers in flight ----------------------------------------------- */

static struct ohci_xfer *
ohci_xfer_find(struct ohci_softc *sc, uint32_t ed)
{
	for (int i = 0; i < OHCI_INFLIGHT; i++)
		if (sc->xfer[i].used && sc->xfer[i].ed == ed)
			return &sc->xfer[i];
	return NULL;
}

static struct ohci_xfer *
ohci_xfer_free_slot(struct ohci_softc *sc)
{
	for (int i = 0; i < OHCI_INFLIGHT; i++)
		if (!sc->xfer[i].used)
			return &sc->xfer[i];
	return NULL;
}

static void
ohci_xfer_cancel(struct ohci_xfer *x)
{
	usb_packet_cancel(&x->p);
	x->used = false;
}

/* Cancel what is in flight on @dev (NULL: on every device). */
static void
ohci_cancel_dev(struct ohci_softc *sc, struct usb_device *dev)
{
	for (int i = 0; i < OHCI_INFLIGHT; i++)
		if (sc->xfer[i].used && (!dev || sc->xfer[i].p.dev == dev))
			ohci_xfer_cancel(&sc->xfer[i]);
}

/* ---- the schedule ---------------------------------------------------------
 */

static struct usb_device *
ohci_find_dev(struct ohci_softc *sc, uint8_t addr)
{
	for (int i = 0; i < VIREO_OHCI_PORTS; i++) {
		struct ohci_port *p = &sc->port[i];

		if (p->dev && (p->status & OHCI_PS_PES) &&
		    !(p->status & OHCI_PS_PSS) &&
		    usb_device_addr(p->dev) == addr)
			return p->dev;
	}
	return NULL;
}

static uint32_t
ohci_cc(int result)
{
	switch (result) {
	case USB_RES_OK:
		return OHCI_CC_NOERROR;
	case USB_RES_STALL:
		return OHCI_CC_STALL;
	case USB_RES_BABBLE:
		return OHCI_CC_DATAOVERRUN;
	default:
		return OHCI_CC_DEVICENOTRESPONDING;
	}
}

/* What a finished TD looks like to the guest: condition code, toggle,
 * CBP; then it moves from the endpoint to the done queue. */
static enum ohci_ed_res
ohci_td_retire(struct ohci_softc *sc, uint32_t ed_addr, const uint32_t *ed,
	       uint32_t td_addr, uint32_t *td, const struct usb_packet *p,
	       uint32_t len)
{
	uint32_t cc = ohci_cc(p->result), t = OHCI_TD_T(td[0]);
	uint32_t mps = OHCI_ED_MPS(ed[0]), next = td[2] & OHCI_PTR_MASK;
	uint32_t tog = t & 2 ? t & 1 : !!(ed[2] & OHCI_ED_C), head, di;
	uint32_t actual = p->actual < len ? p->actual : len;
	bool in = p->pid == USB_PID_IN;

	if (p->result == USB_RES_OK) {
		uint32_t packets = actual && mps ? (actual + mps - 1) / mps : 1;

		if (in && actual &&
		    !ohci_buf_copy(sc, td[1], td[3], p->data, actual, true))
			return OHCI_ED_IDLE;
		tog ^= packets & 1;
		if (actual < len && in && !(td[0] & OHCI_TD_R))
			cc = OHCI_CC_DATAUNDERRUN;
		td[1] = actual == len ? 0 : ohci_buf_addr(td[1], td[3], actual);
	}
	td[0] = (td[0] & ~(0xfu << 28 | 3u << 26 | 3u << 24)) | cc << 28 |
		(2u | tog) << 24;
	td[2] = sc->done_head;
	if (!ohci_put_dwords(sc, td_addr, td, 3, "TD"))
		return OHCI_ED_IDLE;
	sc->done_head = td_addr;
	head = next | (tog ? OHCI_ED_C : 0) | (cc ? OHCI_ED_H : 0);
	if (!ohci_put_dwords(sc, ed_addr + 8, &head, 1, "ED"))
		return OHCI_ED_IDLE;
	di = OHCI_TD_DI(td[0]);
	if (di != 7 && di < sc->done_count)
		sc->done_count = di;
	return OHCI_ED_RETIRED;
}

/* The packet for a TD: direction from the ED or the TD, data from the
 * guest for SETUP and OUT.  @return false (and *cc) when the TD itself
 * is bad, without touching the device. */
static bool
ohci_td_packet(struct ohci_softc *sc, const uint32_t *ed, const uint32_t *td,
	       struct usb_packet *p, uint8_t *buf, uint32_t *len)
{
	static const uint8_t pids[] = {USB_PID_SETUP, USB_PID_OUT, USB_PID_IN};
	uint32_t d = OHCI_ED_D(ed[0]);

	if (d == 0 || d == 3)
		d = OHCI_TD_DP(td[0]);
	else
		d = d == 1 ? 1 : 2;
	if (d == 3 || !ohci_buf_len(td[1], td[3], len))
		return false;
	memset(p, 0, sizeof(*p));
	p->pid = pids[d];
	p->ep = (uint8_t)OHCI_ED_EN(ed[0]);
	p->data = buf;
	p->len = *len;
	if (p->pid != USB_PID_IN && *len &&
	    !ohci_buf_copy(sc, td[1], td[3], buf, *len, false))
		return false;
	return true;
}

/* One endpoint: the TD at its head, if any, is started, or finished if
 * its packet was in flight. */
static enum ohci_ed_res
ohci_service_ed(struct ohci_softc *sc, uint32_t addr, const uint32_t *ed)
{
	uint32_t head = ed[2] & OHCI_PTR_MASK, tail = ed[1] & OHCI_PTR_MASK;
	struct ohci_xfer *x = ohci_xfer_find(sc, addr);
	struct usb_device *dev;
	struct usb_packet bad;
	uint32_t td[4], len;
	int r;

	if ((ed[0] & OHCI_ED_K) || (ed[2] & OHCI_ED_H) || head == tail) {
		if (x) /* unlinked, halted or emptied under a transfer */
			ohci_xfer_cancel(x);
		return OHCI_ED_IDLE;
	}
	if (ed[0] & OHCI_ED_F) {
		if (!sc->warned_iso)
			log_warn("isochronous endpoints are not implemented; "
				 "ED 0x%08x skipped",
				 addr);
		sc->warned_iso = true;
		return OHCI_ED_IDLE;
	}
	if (!ohci_get_dwords(sc, head, td, 4, "TD"))
		return OHCI_ED_IDLE;
	if (x && x->td != head) { /* the guest replaced the TD */
		ohci_xfer_cancel(x);
		x = NULL;
	}
	if (x) {
		if (usb_packet_poll(&x->p) == USB_RES_ASYNC)
			return OHCI_ED_BUSY;
		x->used = false;
		ohci_buf_len(td[1], td[3], &len);
		return ohci_td_retire(sc, addr, ed, head, td, &x->p, len);
	}
	if (!(x = ohci_xfer_free_slot(sc)))
		return OHCI_ED_BUSY; /* all slots in flight: next frame */
	if (!ohci_td_packet(sc, ed, td, &x->p, x->buf, &len)) {
		if (sc->dead)
			return OHCI_ED_IDLE;
		bad = (struct usb_packet){.result = USB_RES_IOERR};
		return ohci_td_retire(sc, addr, ed, head, td, &bad, 0);
	}
	dev = ohci_find_dev(sc, (uint8_t)OHCI_ED_FA(ed[0]));
	/* the packet's result is the device layer's from here: an ASYNC
	 * one may already be complete (another thread) when this returns */
	if (dev)
		r = usb_packet_submit(dev, &x->p);
	else
		r = x->p.result = USB_RES_NODEV;
	if (r == USB_RES_NAK)
		return OHCI_ED_BUSY;
	if (r == USB_RES_ASYNC) {
		x->used = true;
		x->ed = addr;
		x->td = head;
		return OHCI_ED_BUSY;
	}
	return ohci_td_retire(sc, addr, ed, head, td, &x->p, len);
}

/* Walk a list of EDs from @head once; *found: some ED had a TD. */
static bool
ohci_walk_once(struct ohci_softc *sc, uint32_t head, bool *found)
{
	bool retired = false;
	uint32_t ed[4];

	for (int n = 0; head && n < OHCI_MAX_EDS && !sc->dead; n++) {
		enum ohci_ed_res r;

		if (!ohci_get_dwords(sc, head, ed, 4, "ED"))
			break;
		r = ohci_service_ed(sc, head, ed);
		*found |= r != OHCI_ED_IDLE;
		retired |= r == OHCI_ED_RETIRED;
		head = ed[3] & OHCI_PTR_MASK;
	}
	return retired;
}

/* Control or bulk: passes while TDs retire; the list's filled bit is
 * cleared when no ED had anything to do. */
static void
ohci_walk_list(struct ohci_softc *sc, uint32_t head, uint32_t filled)
{
	bool found = false;

	for (int pass = 0; pass < OHCI_MAX_PASSES; pass++)
		if (!ohci_walk_once(sc, head, &found))
			break;
	if (!found)
		sc->command &= ~filled;
}

static void
ohci_done_queue(struct ohci_softc *sc)
{
	uint32_t v;

	if (sc->done_count == 0 && sc->done_head &&
	    !(sc->intr_status & OHCI_INTR_WDH)) {
		/* bit 0: other interrupt causes are pending too */
		v = sc->done_head | !!(sc->intr_status & sc->intr_enable &
				       ~OHCI_INTR_WDH & (OHCI_INTR_OC | 0x7fu));
		if (!ohci_put_dwords(sc, sc->hcca + OHCI_HCCA_DONE_HEAD, &v, 1,
				     "HCCA"))
			return;
		sc->done_head = 0;
		sc->done_count = 7;
		sc->intr_status |= OHCI_INTR_WDH;
		vmm_guest_event(sc->vm); /* wake a polling guest */
	} else if (sc->done_count != 7 && sc->done_count) {
		sc->done_count--;
	}
}

static void
ohci_frame(struct ohci_softc *sc)
{
	uint32_t fn, old = sc->fm_number, head;

	sc->fm_number = (sc->fm_number + 1) & 0xffff;
	fn = sc->fm_number;
	if (!ohci_put_dwords(sc, sc->hcca + OHCI_HCCA_FRAME_NUMBER, &fn, 1,
			     "HCCA"))
		return;
	if ((old ^ fn) & 0x8000)
		sc->intr_status |= OHCI_INTR_FNO;
	sc->intr_status |= OHCI_INTR_SF;
	if ((sc->control & OHCI_CTL_PLE) &&
	    ohci_get_dwords(sc, sc->hcca + 4 * (fn & 31), &head, 1, "HCCA")) {
		bool found = false;

		ohci_walk_once(sc, head & OHCI_PTR_MASK, &found);
	}
	if ((sc->control & OHCI_CTL_CLE) && (sc->command & OHCI_CMD_CLF))
		ohci_walk_list(sc, sc->ctrl_head, OHCI_CMD_CLF);
	if ((sc->control & OHCI_CTL_BLE) && (sc->command & OHCI_CMD_BLF))
		ohci_walk_list(sc, sc->bulk_head, OHCI_CMD_BLF);
	if (!sc->dead)
		ohci_done_queue(sc);
	ohci_update_irq(sc);
}

/* Frames run while the guest can see them: not while the VM is paused,
 * stopping or being reset (its accelerator VM, and the interrupt line,
 * may be gone then). */
static bool
ohci_running(struct ohci_softc *sc)
{
	return !sc->dead &&
	       !__atomic_load_n(&sc->vm->reset_req, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&sc->vm->stop_req, __ATOMIC_ACQUIRE) &&
	       (sc->control & OHCI_CTL_HCFS) == OHCI_HCFS_OPERATIONAL &&
	       __atomic_load_n(&sc->vm->state, __ATOMIC_ACQUIRE) ==
		   VMM_STATE_RUNNING;
}

static void
ohci_wait_until(struct ohci_softc *sc, uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ull),
			      (long)(ns % 1000000000ull)};

	pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
}

static void *
ohci_thread(void *arg)
{
	struct ohci_softc *sc = arg;

	pthread_mutex_lock(&sc->lock);
	while (!sc->quit) {
		uint64_t now = vmm_now_ns(), n;

		if (!ohci_running(sc)) {
			sc->next_frame_ns = 0;
			ohci_wait_until(sc, now + 10 * OHCI_FRAME_NS);
			continue;
		}
		if (!sc->next_frame_ns)
			sc->next_frame_ns = now;
		if (now < sc->next_frame_ns) {
			ohci_wait_until(sc, sc->next_frame_ns);
			continue;
		}
		n = (now - sc->next_frame_ns) / OHCI_FRAME_NS + 1;
		if (n > OHCI_MAX_CATCHUP) { /* the host stalled: skip */
			n = OHCI_MAX_CATCHUP;
			sc->next_frame_ns = now;
		}
		for (uint64_t i = 0; i < n && ohci_running(sc); i++)
			ohci_frame(sc);
		sc->next_frame_ns += n * OHCI_FRAME_NS;
	}
	pthread_mutex_unlock(&sc->lock);
	return NULL;
}

/* ---- registers -------------------------------------------------------------
 */

static uint32_t
ohci_port_read(struct ohci_softc *sc, uint32_t i)
{
	return sc->port[i].status;
}

static void
ohci_port_change(struct ohci_softc *sc, uint32_t i, uint32_t bits)
{
	sc->port[i].status |= bits;
	sc->intr_status |= OHCI_INTR_RHSC;
}

/* A port reset completes at once: the device is reset, the port
 * enabled. */
static void
ohci_port_reset(struct ohci_softc *sc, uint32_t i)
{
	struct ohci_port *p = &sc->port[i];

	if (!p->dev) {
		ohci_port_change(sc, i, OHCI_PS_CSC);
		return;
	}
	ohci_cancel_dev(sc, p->dev);
	usb_device_reset(p->dev);
	p->status &= ~OHCI_PS_PSS;
	p->status |= OHCI_PS_PES;
	ohci_port_change(sc, i, OHCI_PS_PRSC);
}

static void
ohci_port_write(struct ohci_softc *sc, uint32_t i, uint32_t v)
{
	struct ohci_port *p = &sc->port[i];
	bool conn = p->status & OHCI_PS_CCS;

	p->status &= ~(v & OHCI_PS_CHANGES);
	if (v & OHCI_PS_CCS) /* ClearPortEnable */
		p->status &= ~OHCI_PS_PES;
	if (v & OHCI_PS_PES) { /* SetPortEnable */
		if (conn)
			p->status |= OHCI_PS_PES;
		else
			ohci_port_change(sc, i, OHCI_PS_CSC);
	}
	if ((v & OHCI_PS_PSS) && conn) /* SetPortSuspend */
		p->status |= OHCI_PS_PSS;
	if ((v & OHCI_PS_POCI) && (p->status & OHCI_PS_PSS)) {
		p->status &= ~OHCI_PS_PSS; /* ClearSuspendStatus */
		ohci_port_change(sc, i, OHCI_PS_PSSC);
	}
	if (v & OHCI_PS_PRS) /* SetPortReset */
		ohci_port_reset(sc, i);
	/* SetPortPower/ClearPortPower: ports are always powered (NPS) */
}

static void
ohci_rh_status_write(struct ohci_softc *sc, uint32_t v)
{
	if (v & OHCI_RHS_OCIC)
		sc->rh_status &= ~OHCI_RHS_OCIC;
	if (v & OHCI_RHS_DRWE)
		sc->rh_status |= OHCI_RHS_DRWE;
	if (v & OHCI_RHS_CRWE)
		sc->rh_status &= ~OHCI_RHS_DRWE;
}

/* Registers and ports to their reset values; the root hub's devices
 * stay connected, but disabled. */
static void
ohci_soft_reset(struct ohci_softc *sc)
{
	ohci_cancel_dev(sc, NULL);
	sc->control = OHCI_HCFS_RESET;
	sc->command = sc->intr_status = sc->intr_enable = 0;
	sc->hcca = sc->ctrl_head = sc->ctrl_cur = 0;
	sc->bulk_head = sc->bulk_cur = sc->done_head = 0;
	sc->fm_interval =
	    (uint32_t)(((6 * (OHCI_FI_DEFAULT - 210)) / 7) << 16) |
	    OHCI_FI_DEFAULT;
	sc->fm_number = 0;
	sc->periodic_start = 0;
	sc->ls_threshold = 0x628;
	sc->rh_status = 0;
	sc->done_count = 7;
	sc->dead = false;
	for (int i = 0; i < VIREO_OHCI_PORTS; i++)
		sc->port[i].status =
		    OHCI_PS_PPS |
		    (sc->port[i].dev ? OHCI_PS_CCS | OHCI_PS_CSC : 0);
}

static void
ohci_control_write(struct ohci_softc *sc, uint32_t v)
{
	uint32_t old = sc->control & OHCI_CTL_HCFS;

	sc->control = v & 0x6ffu; /* IR (SMM routing) stays 0 */
	if ((v & OHCI_CTL_HCFS) == OHCI_HCFS_RESET && old != OHCI_HCFS_RESET) {
		ohci_cancel_dev(sc, NULL);
		for (int i = 0; i < VIREO_OHCI_PORTS; i++)
			sc->port[i].status &= ~(OHCI_PS_PES | OHCI_PS_PSS);
	}
	if ((v & OHCI_CTL_HCFS) == OHCI_HCFS_OPERATIONAL &&
	    old != OHCI_HCFS_OPERATIONAL)
		pthread_cond_signal(&sc->cond); /* frames start now */
}

static uint32_t
ohci_reg_read(struct ohci_softc *sc, uint32_t off)
{
	switch (off) {
	case OHCI_REVISION:
		return 0x10;
	case OHCI_CONTROL:
		return sc->control;
	case OHCI_COMMAND_STATUS:
		return sc->command;
	case OHCI_INTR_STATUS:
		return sc->intr_status;
	case OHCI_INTR_ENABLE:
	case OHCI_INTR_DISABLE:
		return sc->intr_enable;
	case OHCI_HCCA:
		return sc->hcca;
	case OHCI_CONTROL_HEAD:
		return sc->ctrl_head;
	case OHCI_CONTROL_CURRENT:
		return sc->ctrl_cur;
	case OHCI_BULK_HEAD:
		return sc->bulk_head;
	case OHCI_BULK_CURRENT:
		return sc->bulk_cur;
	case OHCI_DONE_HEAD:
		return sc->done_head;
	case OHCI_FM_INTERVAL:
		return sc->fm_interval;
	case OHCI_FM_REMAINING: /* the middle of the frame, toggle as FIT */
		return (sc->fm_interval & 0x80000000u) |
		       (sc->fm_interval & 0x3fff) / 2;
	case OHCI_FM_NUMBER:
		return sc->fm_number;
	case OHCI_PERIODIC_START:
		return sc->periodic_start;
	case OHCI_LS_THRESHOLD:
		return sc->ls_threshold;
	case OHCI_RH_DESCRIPTOR_A: /* no power switching, no overcurrent */
		return VIREO_OHCI_PORTS | OHCI_RHA_NPS | OHCI_RHA_NOCP |
		       1u << 24;
	case OHCI_RH_DESCRIPTOR_B:
		return 0;
	case OHCI_RH_STATUS:
		return sc->rh_status;
	}
	if (off >= OHCI_RH_PORT_STATUS(0) &&
	    off < OHCI_RH_PORT_STATUS(VIREO_OHCI_PORTS))
		return ohci_port_read(sc, (off - OHCI_RH_PORT_STATUS(0)) / 4);
	return 0;
}

static void
ohci_reg_write(struct ohci_softc *sc, uint32_t off, uint32_t v)
{
	switch (off) {
	case OHCI_CONTROL:
		ohci_control_write(sc, v);
		break;
	case OHCI_COMMAND_STATUS:
		if (v & OHCI_CMD_HCR)
			ohci_soft_reset(sc);
		sc->command |= v & (OHCI_CMD_CLF | OHCI_CMD_BLF);
		break;
	case OHCI_INTR_STATUS:
		sc->intr_status &= ~v;
		break;
	case OHCI_INTR_ENABLE:
		sc->intr_enable |= v & (OHCI_INTR_MIE | OHCI_INTR_OC | 0x7fu);
		break;
	case OHCI_INTR_DISABLE:
		sc->intr_enable &= ~v;
		break;
	case OHCI_HCCA:
		sc->hcca = v & ~0xffu;
		break;
	case OHCI_CONTROL_HEAD:
		sc->ctrl_head = v & OHCI_PTR_MASK;
		break;
	case OHCI_CONTROL_CURRENT:
		sc->ctrl_cur = v & OHCI_PTR_MASK;
		break;
	case OHCI_BULK_HEAD:
		sc->bulk_head = v & OHCI_PTR_MASK;
		break;
	case OHCI_BULK_CURRENT:
		sc->bulk_cur = v & OHCI_PTR_MASK;
		break;
	case OHCI_FM_INTERVAL:
		sc->fm_interval = v & 0xffff3fffu;
		break;
	case OHCI_PERIODIC_START:
		sc->periodic_start = v & 0x3fff;
		break;
	case OHCI_LS_THRESHOLD:
		sc->ls_threshold = v & 0xfff;
		break;
	case OHCI_RH_STATUS:
		ohci_rh_status_write(sc, v);
		break;
	default:
		if (off >= OHCI_RH_PORT_STATUS(0) &&
		    off < OHCI_RH_PORT_STATUS(VIREO_OHCI_PORTS))
			ohci_port_write(sc, (off - OHCI_RH_PORT_STATUS(0)) / 4,
					v);
	}
	ohci_update_irq(sc);
}

static void
ohci_mmio_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct ohci_softc *sc = dev;
	uint32_t v;

	pthread_mutex_lock(&sc->lock);
	v = ohci_reg_read(sc, (uint32_t)addr & ~3u);
	pthread_mutex_unlock(&sc->lock);
	v >>= 8 * (addr & 3);
	memcpy(data, &v, len < 4 ? len : 4);
	if (len > 4)
		memset(data + 4, 0, len - 4);
}

static void
ohci_mmio_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct ohci_softc *sc = dev;
	uint32_t v = 0;

	if (len != 4 || (addr & 3))
		return; /* the registers are dwords (OpenHCI 7) */
	memcpy(&v, data, 4);
	pthread_mutex_lock(&sc->lock);
	ohci_reg_write(sc, (uint32_t)addr, v);
	pthread_mutex_unlock(&sc->lock);
}

static const struct vmm_io_ops ohci_mmio = {
    .read = ohci_mmio_read,
    .write = ohci_mmio_write,
};

/* ---- ports: devices arriving and leaving --------------------------------- */

int
vmm_ohci_attach(struct vmm *vm, struct usb_device *dev)
{
	struct ohci_softc *sc = vm->ohci;
	int port = -ENOSPC;

	if (!sc)
		return -ENODEV;
	pthread_mutex_lock(&sc->lock);
	for (int i = 0; i < VIREO_OHCI_PORTS && port < 0; i++) {
		if (sc->port[i].dev)
			continue;
		sc->port[i].dev = dev;
		sc->port[i].status &= ~(OHCI_PS_PES | OHCI_PS_PSS);
		ohci_port_change(sc, (uint32_t)i, OHCI_PS_CCS | OHCI_PS_CSC);
		port = i;
	}
	ohci_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	if (port >= 0)
		vmm_guest_event(vm);
	return port;
}

struct usb_device *
vmm_ohci_detach(struct vmm *vm, int port)
{
	struct ohci_softc *sc = vm->ohci;
	struct usb_device *dev;

	if (!sc || port < 0 || port >= VIREO_OHCI_PORTS)
		return NULL;
	pthread_mutex_lock(&sc->lock);
	dev = sc->port[port].dev;
	if (dev) {
		ohci_cancel_dev(sc, dev);
		sc->port[port].dev = NULL;
		sc->port[port].status &=
		    ~(OHCI_PS_CCS | OHCI_PS_PES | OHCI_PS_PSS);
		ohci_port_change(sc, (uint32_t)port,
				 OHCI_PS_CSC |
				     (sc->port[port].status & OHCI_PS_PES
					  ? OHCI_PS_PESC
					  : 0));
		ohci_update_irq(sc);
	}
	pthread_mutex_unlock(&sc->lock);
	vmm_guest_event(vm);
	return dev;
}

/* ---- PCI and the device's life ------------------------------------------ */

static void
ohci_remap(struct vmm_pci_dev *d)
{
	struct ohci_softc *sc =
	    (struct ohci_softc *)((char *)d - offsetof(struct ohci_softc, pci));
	uint32_t b0;
	uint64_t regs;

	memcpy(&b0, &d->cfg[0x10], 4);
	b0 &= ~0xfu;
	regs = (d->cfg[0x04] & 0x02) && b0 != (d->bar_mask[0] & ~0xfu)
		   ? b0
		   : VMM_BUS_UNMAPPED;
	pthread_mutex_lock(&sc->lock);
	if (regs != sc->regs_gpa) {
		vmm_bus_move(&sc->vm->mmio, sc, sc->regs_gpa, regs);
		sc->regs_gpa = regs;
	}
	pthread_mutex_unlock(&sc->lock);
}

static void
ohci_reset(void *state)
{
	struct ohci_softc *sc = state;

	if (!sc->vm->cfg.usb_ohci)
		return;
	sc->pci.cfg[0x04] = 0x06; /* memory decoding, bus master */
	vmm_pci_set_bar(&sc->pci, 0, VIREO_GPA_OHCI_REGS, VIREO_OHCI_REGS_SIZE,
			0);
	sc->pci.cfg[0x3c] = VIREO_OHCI_IRQ;
	sc->pci.cfg[0x3d] = 1; /* INTA */
	if (sc->regs_gpa != VIREO_GPA_OHCI_REGS)
		vmm_bus_move(&sc->vm->mmio, sc, sc->regs_gpa,
			     VIREO_GPA_OHCI_REGS);
	sc->regs_gpa = VIREO_GPA_OHCI_REGS;
	pthread_mutex_lock(&sc->lock);
	ohci_soft_reset(sc);
	for (int i = 0; i < VIREO_OHCI_PORTS; i++)
		if (sc->port[i].dev)
			usb_device_reset(sc->port[i].dev);
	if (sc->irq_level)
		vmm_irq_line(sc->vm, VIREO_OHCI_IRQ, 0);
	sc->irq_level = 0;
	pthread_mutex_unlock(&sc->lock);
}

static int
ohci_start(struct ohci_softc *sc)
{
	pthread_condattr_t ca;
	int r;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sc->cond, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&sc->thread, NULL, ohci_thread, sc);
	if (r)
		return -r;
	sc->thread_started = true;
	return 0;
}

/* Present only when the settings ask for it; the tablet on port 1. */
static int
ohci_init(struct vmm *vm, void **state)
{
	struct ohci_softc *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return -ENOMEM;
	*state = sc;
	sc->vm = vm;
	pthread_mutex_init(&sc->lock, NULL);
	if (!vm->cfg.usb_ohci)
		return 0;
	sc->pci.slot = VIREO_OHCI_SLOT;
	vmm_pci_set_id(&sc->pci, VIREO_OHCI_VENDOR, VIREO_OHCI_DEVICE,
		       0x0c031000); /* serial bus, USB, OHCI; rev 0 */
	sc->pci.remap = ohci_remap;
	sc->regs_gpa = VIREO_GPA_OHCI_REGS;
	if (vm->cfg.usb_tablet) {
		sc->port[0].dev = usb_tablet_create();
		if (!sc->port[0].dev)
			return -ENOMEM;
		vm->tablet = sc->port[0].dev;
	}
	ohci_reset(sc);
	vm->ohci = sc;
	r = vmm_pci_add(vm, &sc->pci);
	if (!r)
		r = vmm_bus_add(&vm->mmio, VIREO_GPA_OHCI_REGS,
				VIREO_OHCI_REGS_SIZE, &ohci_mmio, sc);
	if (!r)
		r = ohci_start(sc);
	return r;
}

static void
ohci_destroy(void *state)
{
	struct ohci_softc *sc = state;

	if (!sc)
		return;
	if (sc->thread_started) {
		pthread_mutex_lock(&sc->lock);
		sc->quit = true;
		pthread_cond_signal(&sc->cond);
		pthread_mutex_unlock(&sc->lock);
		pthread_join(sc->thread, NULL);
	}
	ohci_cancel_dev(sc, NULL);
	for (int i = 0; i < VIREO_OHCI_PORTS; i++)
		if (sc->port[i].dev)
			sc->port[i].dev->ops->destroy(sc->port[i].dev);
	if (sc->vm->ohci == sc) {
		sc->vm->ohci = NULL;
		sc->vm->tablet = NULL;
	}
	free(sc);
}

/* ---- saved state ----------------------------------------------------------
 * Version 1: whether the controller is there; the writable config bytes
 * (command, BAR0, interrupt line); the operational registers; per port
 * its status and its device (0 none, 1 the tablet, with the tablet's
 * record).  Transfers in flight are not kept: their TDs are still on
 * their endpoints and start again.  A device that cannot be saved (a
 * remote one) is written as a port whose device left, so the guest sees
 * a disconnect after a restore. */
#define OHCI_STATE_VERSION 1
#define OHCI_PS_KNOWN	   (0x31fu | OHCI_PS_CHANGES)

static void
ohci_save_regs(struct ohci_softc *sc, struct vmm_sw *w)
{
	const uint32_t regs[] = {
	    sc->control,	sc->command,	  sc->intr_status,
	    sc->intr_enable,	sc->hcca,	  sc->ctrl_head,
	    sc->ctrl_cur,	sc->bulk_head,	  sc->bulk_cur,
	    sc->done_head,	sc->fm_interval,  sc->fm_number,
	    sc->periodic_start, sc->ls_threshold, sc->rh_status,
	    sc->done_count};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		vmm_sw_u32(w, regs[i]);
	vmm_sw_u8(w, sc->dead);
}

static void
ohci_save(void *state, struct vmm_sw *w)
{
	struct ohci_softc *sc = state;

	vmm_sw_u8(w, sc->vm->cfg.usb_ohci);
	if (!sc->vm->cfg.usb_ohci)
		return;
	pthread_mutex_lock(&sc->lock);
	vmm_sw_u16(w, (uint16_t)(sc->pci.cfg[0x04] | sc->pci.cfg[0x05] << 8));
	vmm_sw_bytes(w, &sc->pci.cfg[0x10], 4);
	vmm_sw_u8(w, sc->pci.cfg[0x3c]);
	ohci_save_regs(sc, w);
	for (int i = 0; i < VIREO_OHCI_PORTS; i++) {
		struct usb_device *d = sc->port[i].dev;
		uint32_t st = sc->port[i].status;

		if (d && d != sc->vm->tablet) /* leaves on restore */
			st = (st & ~(OHCI_PS_CCS | OHCI_PS_PES)) | OHCI_PS_CSC;
		vmm_sw_u32(w, st);
		vmm_sw_u8(w, d && d == sc->vm->tablet);
		if (d && d == sc->vm->tablet)
			usb_tablet_save(d, w);
	}
	pthread_mutex_unlock(&sc->lock);
}

static int
ohci_load_regs(struct ohci_softc *sc, struct vmm_sr *r, char *err,
	       size_t errlen)
{
	uint32_t *regs[] = {
	    &sc->control,	 &sc->command,	    &sc->intr_status,
	    &sc->intr_enable,	 &sc->hcca,	    &sc->ctrl_head,
	    &sc->ctrl_cur,	 &sc->bulk_head,    &sc->bulk_cur,
	    &sc->done_head,	 &sc->fm_interval,  &sc->fm_number,
	    &sc->periodic_start, &sc->ls_threshold, &sc->rh_status,
	    &sc->done_count};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		*regs[i] = vmm_sr_u32(r);
	sc->dead = vmm_sr_u8(r) != 0;
	if ((sc->hcca & 0xff) || sc->done_count > 7 || sc->fm_number > 0xffff ||
	    (sc->control & ~0x6ffu) ||
	    ((sc->ctrl_head | sc->bulk_head) & 0xf)) {
		snprintf(err, errlen,
			 "OHCI registers (HcControl 0x%x, HcHCCA 0x%x) are not "
			 "ones it can have",
			 sc->control, sc->hcca);
		return -EPROTO;
	}
	return 0;
}

static int
ohci_load_ports(struct ohci_softc *sc, struct vmm_sr *r, char *err,
		size_t errlen)
{
	for (int i = 0; i < VIREO_OHCI_PORTS; i++) {
		uint32_t st = vmm_sr_u32(r);
		bool tab = vmm_sr_u8(r) != 0;
		bool want = i == 0 && sc->vm->tablet;
		int rc;

		if ((st & ~OHCI_PS_KNOWN) || tab != want) {
			snprintf(err, errlen, "OHCI port %d: status 0x%x%s",
				 i + 1, st,
				 tab != want ? (tab ? ", a USB tablet this VM "
						      "does not have"
						    : ", no USB tablet but "
						      "this VM has one")
					     : "");
			return -EPROTO;
		}
		sc->port[i].status = st;
		if (tab &&
		    (rc = usb_tablet_load(sc->port[i].dev, r, err, errlen)))
			return rc;
	}
	return 0;
}

static int
ohci_load(void *state, struct vmm_sr *r, char *err, size_t errlen)
{
	struct ohci_softc *sc = state;
	bool present = vmm_sr_u8(r) != 0;
	uint16_t cmd;
	int rc;

	if (present != sc->vm->cfg.usb_ohci) {
		snprintf(err, errlen,
			 "saved %s an OHCI USB controller, this "
			 "VM has %s",
			 present ? "with" : "without",
			 sc->vm->cfg.usb_ohci ? "one" : "none");
		return -EPROTO;
	}
	if (!present)
		return r->err;
	cmd = vmm_sr_u16(r);
	pthread_mutex_lock(&sc->lock);
	vmm_sr_bytes(r, &sc->pci.cfg[0x10], 4);
	sc->pci.cfg[0x3c] = vmm_sr_u8(r);
	sc->pci.cfg[0x04] = (uint8_t)cmd;
	sc->pci.cfg[0x05] = (uint8_t)(cmd >> 8);
	rc = ohci_load_regs(sc, r, err, errlen);
	if (!rc)
		rc = ohci_load_ports(sc, r, err, errlen);
	sc->irq_level = 0;
	pthread_mutex_unlock(&sc->lock);
	if (rc || r->err)
		return rc ? rc : -EPROTO;
	ohci_remap(&sc->pci);
	pthread_mutex_lock(&sc->lock);
	ohci_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	return 0;
}

const struct vmm_device_ops ohci_dev = {
    .name = "ohci",
    .phase = VMM_PHASE_DEV,
    .init = ohci_init,
    .reset = ohci_reset,
    .destroy = ohci_destroy,
    .tag = "OHCI",
    .version = OHCI_STATE_VERSION,
    .save = ohci_save,
    .load = ohci_load,
};

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* testsuite/fuzz/fuzz-ohci.c runs frames itself (its VM never runs, so
 * the frame thread stays idle). */
void ohci_fuzz_frames(void *state, int n);
void
ohci_fuzz_frames(void *state, int n)
{
	struct ohci_softc *sc = state;

	pthread_mutex_lock(&sc->lock);
	for (int i = 0; i < n && !sc->dead; i++)
		ohci_frame(sc);
	pthread_mutex_unlock(&sc->lock);
}
#endif
