/*
 * fuzz-ohci.c - the OHCI controller's schedule walking (dev_pci_ohci.c)
 * with guest memory as the input: HCCA, endpoint and transfer
 * descriptors, buffers and list pointers all come from the fuzzer.
 *
 * Input: a 16-byte header (u32 HcHCCA, HcControlHeadED, HcBulkHeadED,
 * u8 list enables (bit 0 periodic, 1 control, 2 bulk), u8 frames, u8
 * tablet events, u8 unused), then the first 64 KiB of guest RAM.  The
 * root hub holds the emulated tablet (port 1) and a test device whose
 * every request and transfer completes asynchronously, between frames,
 * so the in-flight, cancel and completion paths run too.
 *
 * Oracles: ASan/UBSan, no access outside RAM, and the walk ends (bounded
 * lists: a libFuzzer timeout is a failure).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "ohci_hw.h"
#include "usb.h"
#include "vmm_internal.h"

#define FUZZ_RAM (64u << 10)

extern const struct vmm_device_ops ohci_dev;
void ohci_fuzz_frames(void *state, int n);

static struct vmm *vm;
static void *ohci;

/* ---- what the controller needs from the rest of the VMM ------------ */

void *
vmm_gpa(struct vmm *v, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa || gpa + len > v->ram_low)
		return NULL;
	return v->ram + gpa;
}

int
vmm_irq_line(struct vmm *v, uint32_t irq, int level)
{
	(void)v;
	(void)irq;
	(void)level;
	return 0;
}

void
vmm_guest_event(struct vmm *v)
{
	(void)v;
}

/* no teleport runs here: nothing tracks written pages */
void
vmm_mig_mark(struct vmm *v, uint64_t gpa, uint64_t len)
{
	(void)v;
	(void)gpa;
	(void)len;
}

uint64_t
vmm_now_ns(void)
{
	return 0;
}

/* ---- an asynchronous test device ------------------------------------- */

struct adev {
	struct usb_device dev;
	struct usb_packet *pending[4];
	int npending;
	bool ctl_pending;
};

static struct adev adev;

static int
adev_control(struct usb_device *d, const uint8_t setup[8], uint8_t *data,
	     uint32_t *actual)
{
	struct adev *a = d->priv;

	(void)data;
	*actual = 0;
	if (setup[0] & 0x40) { /* vendor: answered later */
		a->ctl_pending = true;
		return USB_RES_ASYNC;
	}
	return setup[1] == USB_REQ_SET_CONFIGURATION ? USB_RES_OK
						     : USB_RES_STALL;
}

static int
adev_transfer(struct usb_device *d, struct usb_packet *p)
{
	struct adev *a = d->priv;

	if (a->npending == 4)
		return USB_RES_NAK;
	a->pending[a->npending++] = p;
	return USB_RES_ASYNC;
}

static void
adev_cancel(struct usb_device *d, struct usb_packet *p)
{
	struct adev *a = d->priv;

	if (!p) {
		a->ctl_pending = false;
		return;
	}
	for (int i = 0; i < a->npending; i++)
		if (a->pending[i] == p) {
			a->pending[i] = a->pending[--a->npending];
			return;
		}
	FUZZ_ASSERT(!"cancel of a packet the device does not hold");
}

static void
adev_reset(struct usb_device *d)
{
	struct adev *a = d->priv;

	a->npending = 0;
	a->ctl_pending = false;
}

static void
adev_destroy(struct usb_device *d)
{
	(void)d;
}

static const struct usb_device_ops adev_ops = {
    .name = "fuzz-async",
    .control = adev_control,
    .transfer = adev_transfer,
    .cancel = adev_cancel,
    .reset = adev_reset,
    .destroy = adev_destroy,
};

/* Finish everything the test device holds: IN gets a pattern, every
 * third one stalls. */
static void
adev_complete_all(uint32_t seed)
{
	static const uint8_t data[64] = {1, 2, 3, 4, 5, 6, 7, 8};

	while (adev.npending) {
		struct usb_packet *p = adev.pending[--adev.npending];
		uint32_t n = p->pid == USB_PID_IN ? seed % 65 : p->len;

		if (p->pid == USB_PID_IN)
			memcpy(p->data, data, n < p->len ? n : p->len);
		usb_packet_complete(&adev.dev, p,
				    seed % 3 ? USB_RES_OK : USB_RES_STALL, n);
		seed /= 3;
	}
	if (adev.ctl_pending) {
		adev.ctl_pending = false;
		usb_control_complete(&adev.dev,
				     seed & 1 ? USB_RES_OK : USB_RES_STALL,
				     data, (uint32_t)sizeof(data));
	}
}

/* ---- the target ------------------------------------------------------ */

static void
reg_write(uint32_t off, uint32_t v)
{
	uint8_t b[4];

	memcpy(b, &v, 4);
	FUZZ_ASSERT(
	    vmm_bus_access(&vm->mmio, VIREO_GPA_OHCI_REGS + off, b, 4, true));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERR);
	vm = calloc(1, sizeof(*vm));
	vm->ram = calloc(1, FUZZ_RAM);
	vm->ram_size = vm->ram_low = FUZZ_RAM;
	vm->cfg.usb_ohci = vm->cfg.usb_tablet = true;
	if (ohci_dev.init(vm, &ohci))
		abort();
	usb_device_init(&adev.dev, &adev_ops, USB_SPEED_FULL, &adev);
	if (vmm_ohci_attach(vm, &adev.dev) != 1)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hdr[3];
	uint8_t lists, frames, events;

	if (size < 16)
		return 0;
	memcpy(hdr, data, 12);
	lists = data[12];
	frames = (uint8_t)(data[13] % 32 + 1);
	events = data[14];
	memset(vm->ram, 0, FUZZ_RAM);
	memcpy(vm->ram, data + 16, size - 16 < FUZZ_RAM ? size - 16 : FUZZ_RAM);
	ohci_dev.reset(ohci); /* registers, ports and devices as at power on */
	adev_reset(&adev.dev);
	reg_write(OHCI_HCCA, hdr[0]);
	reg_write(OHCI_CONTROL_HEAD, hdr[1]);
	reg_write(OHCI_BULK_HEAD, hdr[2]);
	reg_write(OHCI_RH_PORT_STATUS(0), OHCI_PS_PRS);
	reg_write(OHCI_RH_PORT_STATUS(1), OHCI_PS_PRS);
	reg_write(OHCI_CONTROL, OHCI_HCFS_OPERATIONAL |
				    (lists & 1 ? OHCI_CTL_PLE : 0) |
				    (lists & 2 ? OHCI_CTL_CLE : 0) |
				    (lists & 4 ? OHCI_CTL_BLE : 0));
	for (int f = 0; f < frames; f++) {
		reg_write(OHCI_COMMAND_STATUS, OHCI_CMD_CLF | OHCI_CMD_BLF);
		if (f < events)
			usb_tablet_event(vm->tablet, (uint32_t)f * 1000u,
					 (uint32_t)f * 700u, (uint32_t)f, f);
		ohci_fuzz_frames(ohci, 1);
		adev_complete_all(hdr[0] ^ (uint32_t)f * 2654435761u);
		if (f == frames / 2 && (lists & 8)) /* unplug mid-transfer */
			FUZZ_ASSERT(vmm_ohci_detach(vm, 1) == &adev.dev &&
				    vmm_ohci_attach(vm, &adev.dev) == 1);
	}
	reg_write(OHCI_COMMAND_STATUS, OHCI_CMD_HCR); /* cancels the rest */
	return 0;
}
