/*
 * dev_isa_uart.c - an 8250/16550A UART on COM1 (0x3f8, IRQ 4).
 *
 * Output only, as the VMM needs it: every byte the guest transmits goes
 * at once to the serial log file, optionally stdout, and the front end's
 * sink (vmm_set_serial_sink).  The transmitter is always empty, so LSR
 * reports THRE|TEMT and a THR-empty interrupt is raised whenever the guest
 * enables it; nothing is ever received.
 */
#define LOG_TAG "uart"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vmm-internal.h"

#define UART_IRQ      4
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_IER_THRI 0x02
#define UART_LCR_DLAB 0x80
#define UART_IIR_NONE 0x01
#define UART_IIR_THRI 0x02

struct uart_softc {
	struct vmm *vm;
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;
	int irq_level;
};

void
vmm_serial_out(struct vmm *vm, const char *buf, size_t len)
{
	pthread_mutex_lock(&vm->serial_lock);
	if (vm->serial_fd >= 0 && write(vm->serial_fd, buf, len) < 0)
		log_warn("serial log write: %s", strerror(errno));
	if (vm->cfg.serial_stdout && write(1, buf, len) < 0)
		log_warn("stdout write: %s", strerror(errno));
	if (vm->serial_sink)
		vm->serial_sink(vm->serial_ctx, buf, len);
	pthread_mutex_unlock(&vm->serial_lock);
}

static void
uart_update_irq(struct uart_softc *sc)
{
	int level = (sc->ier & UART_IER_THRI) && sc->thri_pending;

	if (level != sc->irq_level) {
		sc->irq_level = level;
		vmm_irq_line(sc->vm, UART_IRQ, level);
	}
}

static void
uart_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct uart_softc *sc = dev;
	uint8_t v = 0;

	pthread_mutex_lock(&sc->lock);
	switch (addr) {
	case 0:
		v = (sc->lcr & UART_LCR_DLAB) ? sc->dll : 0;
		break;
	case 1:
		v = (sc->lcr & UART_LCR_DLAB) ? sc->dlm : sc->ier;
		break;
	case 2:
		if ((sc->ier & UART_IER_THRI) && sc->thri_pending) {
			v = UART_IIR_THRI;
			sc->thri_pending = false; /* cleared by reading IIR */
		} else {
			v = UART_IIR_NONE;
		}
		if (sc->fcr & 1)
			v |= 0xc0; /* FIFOs enabled: a 16550A */
		break;
	case 3:
		v = sc->lcr;
		break;
	case 4:
		v = sc->mcr;
		break;
	case 5:
		v = UART_LSR_THRE | UART_LSR_TEMT;
		break;
	case 6:
		/* loopback reflects MCR; otherwise DCD, DSR, CTS asserted */
		v = (sc->mcr & 0x10) ? (uint8_t)((sc->mcr & 0x0f) << 4) : 0xb0;
		break;
	case 7:
		v = sc->scr;
		break;
	}
	uart_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	memset(data, v, len);
}

static void
uart_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct uart_softc *sc = dev;
	uint8_t v = data[0];
	bool out = false;

	pthread_mutex_lock(&sc->lock);
	switch (addr) {
	case 0:
		if (sc->lcr & UART_LCR_DLAB) {
			sc->dll = v;
		} else {
			out = !(sc->mcr & 0x10);
			sc->thri_pending = true;
		}
		break;
	case 1:
		if (sc->lcr & UART_LCR_DLAB) {
			sc->dlm = v;
		} else {
			if ((v & UART_IER_THRI) && !(sc->ier & UART_IER_THRI))
				sc->thri_pending = true;
			sc->ier = v & 0x0f;
		}
		break;
	case 2:
		sc->fcr = v;
		break;
	case 3:
		sc->lcr = v;
		break;
	case 4:
		sc->mcr = v & 0x1f;
		break;
	case 7:
		sc->scr = v;
		break;
	}
	uart_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	if (out)
		vmm_serial_out(sc->vm, (const char *)&v, 1);
}

static const struct vmm_io_ops uart_io = {
    .read = uart_read,
    .write = uart_write,
};

static void
uart_reset(void *state)
{
	struct uart_softc *sc = state;

	pthread_mutex_lock(&sc->lock);
	sc->ier = sc->lcr = sc->mcr = sc->scr = sc->fcr = 0;
	sc->dll = 12; /* 9600 baud */
	sc->dlm = 0;
	sc->thri_pending = false;
	sc->irq_level = 0;
	pthread_mutex_unlock(&sc->lock);
}

static int
uart_init(struct vmm *vm, void **state)
{
	struct uart_softc *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return -ENOMEM;
	sc->vm = vm;
	pthread_mutex_init(&sc->lock, NULL);
	uart_reset(sc);
	*state = sc;
	return vmm_bus_add(&vm->pio, VIREO_PORT_COM1, 8, &uart_io, sc);
}

static void
uart_destroy(void *state)
{
	free(state);
}

const struct vmm_device_ops uart_dev = {
    .name = "uart-com1",
    .phase = VMM_PHASE_DEV,
    .init = uart_init,
    .reset = uart_reset,
    .destroy = uart_destroy,
};
