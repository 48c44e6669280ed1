/*
 * test-usb.c - the USB device layer (usb_core.c) and the OHCI controller
 * (dev_pci_ohci.c) without a guest CPU.
 *
 * The layer: a control transfer stage by stage with the tablet (SETUP,
 * IN data in 8-byte pieces, status), SET_ADDRESS taking effect after its
 * status stage, an unconfigured endpoint stalling and staying halted
 * until CLEAR_FEATURE(ENDPOINT_HALT), NAK with nothing to report, and a
 * device that answers everything later (USB_RES_ASYNC): the held stage,
 * the completion, cancel (the device is told; a late completion is
 * ignored) and a port reset with a request in flight.  The remote
 * device proxy (usb_remote.c) against a recorded front end: URBs for
 * control and transfers, SET_ADDRESS kept local, endpoint types from the
 * configuration descriptor, cancel and late completions, busy and
 * refused URBs, port reset, freeing with a URB in flight.
 *
 * The controller: a VM struct with RAM but no CPU, marked running, so
 * the controller's frame thread walks a schedule written here: a bulk IN
 * TD to the asynchronous device stays on its endpoint until the device
 * completes it, then retires with the data in guest memory and the
 * done queue written back; a second one is cancelled when the endpoint
 * is skipped; a TD whose buffer lies outside RAM stops the controller
 * with UnrecoverableError.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "vmm/ohci_hw.h"
#include "vmm/usb.h"
#include "vmm/vmm.h"
#include "vmm/vmm_internal.h"

/* ---- an asynchronous device ---------------------------------------------- */

struct adev {
	struct usb_device dev;
	struct usb_packet *held;
	int ctl_held, cancels, resets;
	uint8_t last_setup[8];
};

static int
adev_control(struct usb_device *d, const uint8_t setup[8], uint8_t *data,
	     uint32_t *actual)
{
	struct adev *a = d->priv;

	(void)data;
	*actual = 0;
	memcpy(a->last_setup, setup, 8);
	a->ctl_held = 1;
	return USB_RES_ASYNC;
}

static int
adev_transfer(struct usb_device *d, struct usb_packet *p)
{
	struct adev *a = d->priv;

	a->held = p;
	return USB_RES_ASYNC;
}

static void
adev_cancel(struct usb_device *d, struct usb_packet *p)
{
	struct adev *a = d->priv;

	a->cancels++;
	if (p && p == a->held)
		a->held = NULL;
	if (!p)
		a->ctl_held = 0;
}

static void
adev_reset(struct usb_device *d)
{
	((struct adev *)d->priv)->resets++;
}

static void
adev_destroy(struct usb_device *d)
{
	(void)d;
}

static const struct usb_device_ops adev_ops = {
    .name = "test-async",
    .control = adev_control,
    .transfer = adev_transfer,
    .cancel = adev_cancel,
    .reset = adev_reset,
    .destroy = adev_destroy,
};

/* ---- helpers ---------------------------------------------------------------
 */

static int
xfer(struct usb_device *d, struct usb_packet *p, uint8_t pid, uint8_t ep,
     void *buf, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ep = ep;
	p->data = buf;
	p->len = len;
	return usb_packet_submit(d, p);
}

static int
setup(struct usb_device *d, uint8_t type, uint8_t req, uint16_t value,
      uint16_t index, uint16_t len)
{
	static uint8_t s[8];
	struct usb_packet p;

	s[0] = type;
	s[1] = req;
	s[2] = (uint8_t)value;
	s[3] = (uint8_t)(value >> 8);
	s[4] = (uint8_t)index;
	s[5] = (uint8_t)(index >> 8);
	s[6] = (uint8_t)len;
	s[7] = (uint8_t)(len >> 8);
	return xfer(d, &p, USB_PID_SETUP, 0, s, 8);
}

static void
test_tablet(void)
{
	struct usb_device *t = usb_tablet_create();
	struct usb_packet p;
	uint8_t buf[64], desc[18];
	uint32_t got = 0;
	int r, ok = 1;

	tap_ok(setup(t, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18) ==
		   USB_RES_OK,
	       "tablet: SETUP GET_DESCRIPTOR(device) is acknowledged");
	while (got < 18 && ok) { /* 8-byte pieces, as with MPS 8 */
		r = xfer(t, &p, USB_PID_IN, 0, buf, 8);
		ok = r == USB_RES_OK && p.actual <= 8;
		memcpy(desc + got, buf, p.actual);
		got += p.actual;
	}
	tap_ok(ok && got == 18 && desc[0] == 18 && desc[1] == 1 &&
		   desc[8] == 0x27 && desc[9] == 0x06 && desc[10] == 1,
	       "tablet: 18 bytes of device descriptor in 8-byte pieces, "
	       "0627:0001");
	tap_ok(xfer(t, &p, USB_PID_OUT, 0, buf, 0) == USB_RES_OK,
	       "tablet: status stage (zero-length OUT)");
	setup(t, 0x00, USB_REQ_SET_ADDRESS, 7, 0, 0);
	tap_ok(usb_device_addr(t) == 0,
	       "SET_ADDRESS: still address 0 before the status stage");
	r = xfer(t, &p, USB_PID_IN, 0, buf, 0);
	tap_ok(r == USB_RES_OK && usb_device_addr(t) == 7,
	       "SET_ADDRESS: address 7 after the status stage");
	tap_ok(xfer(t, &p, USB_PID_IN, 1, buf, 8) == USB_RES_STALL,
	       "interrupt IN before SET_CONFIGURATION stalls");
	setup(t, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0);
	xfer(t, &p, USB_PID_IN, 0, buf, 0);
	tap_ok(xfer(t, &p, USB_PID_IN, 1, buf, 8) == USB_RES_STALL,
	       "the endpoint stays halted after SET_CONFIGURATION");
	setup(t, 0x02, USB_REQ_CLEAR_FEATURE, 0, 0x81, 0);
	xfer(t, &p, USB_PID_IN, 0, buf, 0);
	tap_ok(xfer(t, &p, USB_PID_IN, 1, buf, 8) == USB_RES_NAK,
	       "CLEAR_FEATURE(ENDPOINT_HALT): then NAK with nothing to report");
	usb_tablet_event(t, 0x1234, 0x7fff, 5, -1);
	r = xfer(t, &p, USB_PID_IN, 1, buf, 8);
	tap_ok(r == USB_RES_OK && p.actual == 6 && buf[0] == 5 &&
		   buf[1] == 0x34 && buf[2] == 0x12 && buf[3] == 0xff &&
		   buf[4] == 0x7f && buf[5] == 0xff,
	       "a pointer event is one 6-byte report: buttons, X, Y, wheel");
	tap_ok(setup(t, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0900, 0, 9) ==
		       USB_RES_OK &&
		   xfer(t, &p, USB_PID_IN, 0, buf, 8) == USB_RES_STALL,
	       "an unknown descriptor stalls its data stage");
	t->ops->destroy(t);
}

static void
test_async(void)
{
	static struct adev a;
	struct usb_packet p, q;
	uint8_t buf[64];
	static const uint8_t answer[4] = {9, 8, 7, 6};

	usb_device_init(&a.dev, &adev_ops, USB_SPEED_FULL, &a);
	setup(&a.dev, 0xc0, 0x42, 0, 0, 4);
	tap_ok(a.ctl_held && a.last_setup[1] == 0x42,
	       "async: the vendor request reached the device at SETUP");
	tap_ok(xfer(&a.dev, &p, USB_PID_IN, 0, buf, 8) == USB_RES_ASYNC &&
		   usb_packet_poll(&p) == USB_RES_ASYNC,
	       "async: the data stage is held while the request runs");
	usb_control_complete(&a.dev, USB_RES_OK, answer, 4);
	tap_ok(usb_packet_poll(&p) == USB_RES_OK && p.actual == 4 &&
		   !memcmp(buf, answer, 4),
	       "async: completion releases it with the device's 4 bytes");
	tap_ok(xfer(&a.dev, &q, USB_PID_OUT, 0, buf, 0) == USB_RES_OK,
	       "async: status stage");
	tap_ok(xfer(&a.dev, &p, USB_PID_IN, 2, buf, 64) == USB_RES_ASYNC &&
		   a.held == &p,
	       "async: a bulk IN is in flight on the device");
	memcpy(buf, "pong", 4);
	usb_packet_complete(&a.dev, &p, USB_RES_OK, 4);
	tap_ok(usb_packet_poll(&p) == USB_RES_OK && p.actual == 4,
	       "async: and completes with 4 bytes");
	xfer(&a.dev, &p, USB_PID_IN, 2, buf, 64);
	usb_packet_cancel(&p);
	tap_ok(a.cancels == 1 && !a.held &&
		   usb_packet_poll(&p) == USB_RES_CANCELLED,
	       "async: cancel tells the device and ends the packet");
	usb_packet_complete(&a.dev, &p, USB_RES_OK, 4);
	tap_ok(usb_packet_poll(&p) == USB_RES_CANCELLED,
	       "async: a completion after the cancel is ignored");
	xfer(&a.dev, &q, USB_PID_OUT, 3, buf, 8);
	usb_packet_complete(&a.dev, &q, USB_RES_STALL, 0);
	tap_ok(usb_packet_poll(&q) == USB_RES_STALL &&
		   xfer(&a.dev, &q, USB_PID_OUT, 3, buf, 8) == USB_RES_STALL,
	       "async: a stall completion halts the endpoint");
	setup(&a.dev, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18);
	xfer(&a.dev, &p, USB_PID_IN, 0, buf, 8);
	usb_device_reset(&a.dev);
	tap_ok(a.cancels == 2 && a.resets == 1 && !a.ctl_held &&
		   usb_packet_poll(&p) == USB_RES_CANCELLED &&
		   xfer(&a.dev, &q, USB_PID_OUT, 3, buf, 8) == USB_RES_ASYNC,
	       "async: a port reset cancels the request in flight and "
	       "un-halts the endpoints");
	usb_packet_cancel(&q);
	usb_device_fini(&a.dev);
}

/* ---- the remote device proxy (usb_remote.c) ------------------------------
 * Its front end is recorded here; completions are made by the test, as
 * vireo-headless's USB thread makes them.  The proxy's usb_device comes
 * first in it (usb_remote.c), so the layer is driven directly. */

static struct {
	struct vmm_usb_urb last;
	uint8_t out[64];
	int submits, cancels, resets, rc;
	uint64_t cancelled;
} fe;

static int
fe_submit(void *ctx, const struct vmm_usb_urb *u)
{
	(void)ctx;
	fe.last = *u;
	if (u->data && u->length <= sizeof(fe.out))
		memcpy(fe.out, u->data, u->length);
	fe.submits++;
	return fe.rc;
}

static void
fe_cancel(void *ctx, uint64_t handle)
{
	(void)ctx;
	fe.cancels++;
	fe.cancelled = handle;
}

static void
fe_reset(void *ctx)
{
	(void)ctx;
	fe.resets++;
}

static const struct vmm_usb_remote_ops fe_ops = {
    .submit = fe_submit,
    .cancel = fe_cancel,
    .reset = fe_reset,
};

static void
test_remote(void)
{
	static const uint8_t dev18[18] = {18, 1, 0x10, 1, 0xff, 0, 0, 64};
	static const uint8_t cfg[32] = {
	    9, 2, 32, 0, 1,    1, 0, 0x80, 50, 9, 4, 0,	   0, 2,  0xff, 0,
	    0, 0, 7,  5, 0x83, 3, 8, 0,	   10, 7, 5, 0x02, 2, 64, 0,	0};
	struct vmm *v = calloc(1, sizeof(*v));
	struct vmm_usb_remote *r;
	struct usb_device *d;
	struct usb_packet p, q;
	uint8_t buf[64];
	uint64_t h;

	v->cfg.usb_ohci = true;
	v->cfg.usb_tablet = true;
	tap_ok(vmm_usb_remote_ports(v) == VIREO_OHCI_PORTS - 1,
	       "remote: the ports left beside the tablet");
	r = vmm_usb_remote_new(v, &fe_ops, NULL, false);
	d = (struct usb_device *)r;
	setup(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18);
	h = fe.last.handle;
	tap_ok(fe.submits == 1 && fe.last.type == VMM_USB_XFER_CONTROL &&
		   fe.last.endpoint == 0x80 && fe.last.length == 18 &&
		   fe.last.setup[1] == USB_REQ_GET_DESCRIPTOR && h,
	       "remote: GET_DESCRIPTOR becomes a control URB");
	tap_ok(xfer(d, &p, USB_PID_IN, 0, buf, 64) == USB_RES_ASYNC,
	       "remote: the data stage waits for the URB");
	vmm_usb_remote_complete(r, h + 99, VMM_USB_OK, dev18, 18);
	tap_ok(usb_packet_poll(&p) == USB_RES_ASYNC,
	       "remote: a completion of another handle is ignored");
	vmm_usb_remote_complete(r, h, VMM_USB_OK, dev18, 18);
	tap_ok(usb_packet_poll(&p) == USB_RES_OK && p.actual == 18 &&
		   !memcmp(buf, dev18, 18),
	       "remote: its completion answers the data stage");
	vmm_usb_remote_complete(r, h, VMM_USB_OK, cfg, 32);
	xfer(d, &q, USB_PID_OUT, 0, buf, 0);
	setup(d, 0x00, USB_REQ_SET_ADDRESS, 5, 0, 0);
	tap_ok(xfer(d, &q, USB_PID_IN, 0, buf, 0) == USB_RES_OK &&
		   fe.submits == 1 && usb_device_addr(d) == 5,
	       "remote: SET_ADDRESS is answered without a URB (twice "
	       "completed URB ignored)");
	setup(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 32);
	xfer(d, &p, USB_PID_IN, 0, buf, 64);
	vmm_usb_remote_complete(r, fe.last.handle, VMM_USB_OK, cfg, 32);
	xfer(d, &q, USB_PID_OUT, 0, buf, 0);
	xfer(d, &p, USB_PID_IN, 3, buf, 8);
	tap_ok(fe.last.type == VMM_USB_XFER_INTERRUPT &&
		   fe.last.endpoint == 0x83 && fe.last.length == 8,
	       "remote: an endpoint the configuration calls interrupt");
	vmm_usb_remote_complete(r, fe.last.handle, VMM_USB_OK,
				(const uint8_t *)"abc", 3);
	memcpy(buf, "ping", 4);
	xfer(d, &q, USB_PID_OUT, 2, buf, 4);
	tap_ok(usb_packet_poll(&p) == USB_RES_OK && p.actual == 3 &&
		   fe.last.type == VMM_USB_XFER_BULK &&
		   fe.last.endpoint == 0x02 && !memcmp(fe.out, "ping", 4),
	       "remote: interrupt IN data in, bulk OUT data out");
	vmm_usb_remote_complete(r, fe.last.handle, VMM_USB_OK, NULL, 4);
	tap_ok(usb_packet_poll(&q) == USB_RES_OK && q.actual == 4,
	       "remote: the OUT's count");
	xfer(d, &p, USB_PID_IN, 1, buf, 64);
	h = fe.last.handle;
	usb_packet_cancel(&p);
	tap_ok(fe.cancels == 1 && fe.cancelled == h &&
		   usb_packet_poll(&p) == USB_RES_CANCELLED,
	       "remote: a cancelled transfer is cancelled on the front end");
	vmm_usb_remote_complete(r, h, VMM_USB_OK, dev18, 18);
	tap_ok(usb_packet_poll(&p) == USB_RES_CANCELLED && p.actual == 0,
	       "remote: its late completion is ignored");
	fe.rc = -EBUSY;
	tap_ok(xfer(d, &p, USB_PID_IN, 1, buf, 64) == USB_RES_NAK,
	       "remote: a busy front end is a NAK (tried again)");
	fe.rc = -EIO;
	tap_ok(xfer(d, &p, USB_PID_IN, 1, buf, 64) == USB_RES_STALL,
	       "remote: a refused URB stalls the endpoint");
	fe.rc = 0;
	setup(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18);
	h = fe.last.handle;
	usb_device_reset(d);
	tap_ok(fe.resets == 1 && fe.cancelled == h && fe.cancels == 2 &&
		   usb_device_addr(d) == 0,
	       "remote: a port reset cancels the request, resets the device");
	xfer(d, &p, USB_PID_IN, 1, buf, 64);
	h = fe.last.handle;
	vmm_usb_remote_free(r);
	tap_ok(fe.cancels == 3 && fe.cancelled == h,
	       "remote: freeing it cancels what is still in flight");
	free(v);
}

/* ---- the controller -------------------------------------------------------
 */

#define RAM  (1u << 20)
#define HCCA 0x1000u
#define ED   0x2000u
#define TD0  0x2100u
#define TD1  0x2110u
#define TD2  0x2120u
#define BUF  0x3000u

extern const struct vmm_device_ops ohci_dev;
static struct vmm *vm;

static void
reg_w(uint32_t off, uint32_t v)
{
	vmm_bus_access(&vm->mmio, VIREO_GPA_OHCI_REGS + off, (uint8_t *)&v, 4,
		       true);
}

static uint32_t
reg_r(uint32_t off)
{
	uint32_t v = 0;

	vmm_bus_access(&vm->mmio, VIREO_GPA_OHCI_REGS + off, (uint8_t *)&v, 4,
		       false);
	return v;
}

static volatile uint32_t *
ram32(uint32_t gpa)
{
	return (volatile uint32_t *)(vm->ram + gpa);
}

/* Wait up to 2 s for @cond. */
#define WAIT_FOR(cond)                                                         \
	({                                                                     \
		int ok_ = 0;                                                   \
		for (int i_ = 0; i_ < 400 && !(ok_ = (cond)); i_++)            \
			nanosleep(&(struct timespec){0, 5000000}, NULL);       \
		ok_;                                                           \
	})

static void
td_in(uint32_t td, uint32_t buf, uint32_t len, uint32_t next)
{
	ram32(td)[0] = OHCI_TD_DP_IN | OHCI_TD_R | 15u << 28; /* DI 0 */
	ram32(td)[1] = buf;
	ram32(td)[2] = next;
	ram32(td)[3] = buf + len - 1;
}

static void
test_ohci(void)
{
	static struct adev a;
	void *st = NULL;
	uint32_t port, done;

	vm = calloc(1, sizeof(*vm));
	vm->ram = calloc(1, RAM);
	vm->ram_size = vm->ram_low = RAM;
	vm->accel = &vmm_accel_soft; /* its irq_line: nothing to raise */
	vm->cfg.usb_ohci = true;
	vm->state = VMM_STATE_RUNNING;
	tap_ok(ohci_dev.init(vm, &st) == 0 && reg_r(OHCI_REVISION) == 0x10,
	       "ohci: created, HcRevision 0x10");
	usb_device_init(&a.dev, &adev_ops, USB_SPEED_FULL, &a);
	port = (uint32_t)vmm_ohci_attach(vm, &a.dev);
	tap_ok(port == 0 &&
		   (reg_r(OHCI_RH_PORT_STATUS(0)) &
		    (OHCI_PS_CCS | OHCI_PS_CSC)) == (OHCI_PS_CCS | OHCI_PS_CSC),
	       "ohci: the device is connected on port 1 (CCS, CSC)");
	reg_w(OHCI_RH_PORT_STATUS(0), OHCI_PS_PRS);
	tap_ok((reg_r(OHCI_RH_PORT_STATUS(0)) & (OHCI_PS_PES | OHCI_PS_PRSC)) ==
		       (OHCI_PS_PES | OHCI_PS_PRSC) &&
		   a.resets == 1,
	       "ohci: port reset resets the device and enables the port");
	/* bulk ED: address 0, endpoint 2, IN, MPS 64; TD0 -> TD1 (tail) */
	td_in(TD0, BUF, 16, TD1);
	ram32(ED)[0] = 2u << 7 | 2u << 11 | 64u << 16;
	ram32(ED)[1] = TD1;
	ram32(ED)[2] = TD0;
	ram32(ED)[3] = 0;
	reg_w(OHCI_HCCA, HCCA);
	reg_w(OHCI_BULK_HEAD, ED);
	reg_w(OHCI_CONTROL, OHCI_HCFS_OPERATIONAL | OHCI_CTL_BLE);
	reg_w(OHCI_COMMAND_STATUS, OHCI_CMD_BLF);
	tap_ok(WAIT_FOR(a.held != NULL) && a.held->len == 16,
	       "ohci: the bulk IN TD reached the device (16 bytes)");
	nanosleep(&(struct timespec){0, 20000000}, NULL);
	tap_ok((ram32(ED)[2] & OHCI_PTR_MASK) == TD0,
	       "ohci: while in flight the TD stays on its endpoint");
	memcpy(a.held->data, "0123456789", 10);
	usb_packet_complete(&a.dev, a.held, USB_RES_OK, 10);
	tap_ok(WAIT_FOR((ram32(ED)[2] & OHCI_PTR_MASK) == TD1),
	       "ohci: after the completion the TD retires");
	tap_ok(OHCI_TD_CC(ram32(TD0)[0]) == OHCI_CC_NOERROR &&
		   ram32(TD0)[1] == BUF + 10 &&
		   !memcmp(vm->ram + BUF, "0123456789", 10),
	       "ohci: short IN with R: NoError, CBP after the 10 bytes, data "
	       "in guest memory");
	WAIT_FOR((reg_r(OHCI_INTR_STATUS) & OHCI_INTR_WDH) != 0);
	done = ram32(HCCA + OHCI_HCCA_DONE_HEAD)[0];
	tap_ok((reg_r(OHCI_INTR_STATUS) & OHCI_INTR_WDH) && (done & ~1u) == TD0,
	       "ohci: the done queue was written back (HccaDoneHead 0x%x)",
	       done);
	/* a second TD, then the ED is skipped under it */
	a.held = NULL;
	td_in(TD1, BUF, 16, TD2);
	ram32(ED)[1] = TD2;
	reg_w(OHCI_COMMAND_STATUS, OHCI_CMD_BLF);
	WAIT_FOR(a.held != NULL);
	ram32(ED)[0] |= OHCI_ED_K;
	tap_ok(WAIT_FOR(a.cancels == 1) && !a.held,
	       "ohci: skipping the endpoint cancels its transfer in flight");
	/* a TD whose buffer lies outside RAM: found when the data that
	 * came back is to be written there */
	ram32(TD1)[1] = 0x7fff0000u;
	ram32(TD1)[3] = 0x7fff000fu;
	ram32(ED)[0] &= ~OHCI_ED_K;
	reg_w(OHCI_COMMAND_STATUS, OHCI_CMD_BLF);
	WAIT_FOR(a.held != NULL);
	if (a.held)
		usb_packet_complete(&a.dev, a.held, USB_RES_OK, 8);
	tap_ok(
	    WAIT_FOR((reg_r(OHCI_INTR_STATUS) & OHCI_INTR_UE) != 0),
	    "ohci: a buffer outside guest RAM stops it (UnrecoverableError)");
	tap_ok(vmm_ohci_detach(vm, 0) == &a.dev &&
		   (reg_r(OHCI_RH_PORT_STATUS(0)) &
		    (OHCI_PS_CCS | OHCI_PS_CSC)) == OHCI_PS_CSC,
	       "ohci: detach: not connected, connect status change");
	ohci_dev.destroy(st);
	usb_device_fini(&a.dev);
}

int
main(void)
{
	tap_plan(46);
	test_tablet();
	test_async();
	test_remote();
	test_ohci();
	return tap_done();
}
