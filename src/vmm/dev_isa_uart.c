/*
 * dev_isa_uart.c - 8250-family UARTs: COM1 (0x3f8, IRQ 4) and COM2
 * (0x2f8, IRQ 3) by default, as a 16450, 16550A or 16750.
 *
 * Transmit: every byte the guest writes goes at once to the host
 * (vmm_serial_out: COM1's serial log, the COM1 sink, the UART host ops).
 * The transmitter is always empty, so LSR reports THRE|TEMT and a
 * THR-empty interrupt is raised whenever the guest enables it.
 *
 * Receive: the host offers bytes with vmm_uart_receive(); the device
 * takes what fits in its receive FIFO (1 byte without FIFOs, 16 on a
 * 16550A, 64 on a 16750 with its large FIFO on) and tells the host when
 * the guest has made room (rx_room), so nothing is dropped and nothing
 * is buffered here beyond what the hardware would hold.  The
 * received-data interrupt is raised while the FIFO holds anything (no
 * trigger levels or character timeout: Linux treats both the same).
 * Loopback (MCR bit 4) feeds transmitted bytes to the receiver.
 */
#define LOG_TAG "uart"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vmm_internal.h"

#define UART_LSR_DR    0x01
#define UART_LSR_THRE  0x20
#define UART_LSR_TEMT  0x40
#define UART_IER_RDI   0x01
#define UART_IER_THRI  0x02
#define UART_LCR_DLAB  0x80
#define UART_MCR_LOOP  0x10
#define UART_IIR_NONE  0x01
#define UART_IIR_THRI  0x02
#define UART_IIR_RDI   0x04
#define UART_FCR_FIFO  0x01
#define UART_FCR_CLRRX 0x02
#define UART_FCR_LARGE 0x20 /* 16750: 64-byte FIFOs */
#define UART_RX_MAX    64

/* Everything the guest can observe, in one struct: what a saved state
 * of the device holds (the IRQ line is derived from it). */
struct uart_state {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;
	uint8_t rx[UART_RX_MAX]; /* receive FIFO, rx_count bytes at rx_head */
	uint8_t rx_head, rx_count;
};

struct uart_softc {
	struct vmm *vm;
	uint32_t port; /* 0 = COM1 */
	uint16_t base;
	uint8_t irq;
	enum vmm_uart_type type;
	pthread_mutex_t lock;
	struct uart_state st;
	int irq_level;
	bool rx_wanted; /* the host was refused bytes: tell it about room */
};

void
vmm_serial_out(struct vmm *vm, uint32_t port, const char *buf, size_t len)
{
	pthread_mutex_lock(&vm->serial_lock);
	if (port == 0) {
		if (vm->serial_fd >= 0 && write(vm->serial_fd, buf, len) < 0)
			log_warn("serial log write: %s", strerror(errno));
		if (vm->cfg.serial_stdout && write(1, buf, len) < 0)
			log_warn("stdout write: %s", strerror(errno));
		if (vm->serial_sink)
			vm->serial_sink(vm->serial_ctx, buf, len);
	}
	if (vm->uart_host && vm->uart_host->tx)
		vm->uart_host->tx(vm->uart_host_ctx, port, (const uint8_t *)buf,
				  len);
	pthread_mutex_unlock(&vm->serial_lock);
}

/* How many bytes the receiver holds with the current FIFO setting. */
static unsigned
uart_rx_depth(const struct uart_softc *sc)
{
	if (sc->type == VMM_UART_16450 || !(sc->st.fcr & UART_FCR_FIFO))
		return 1;
	if (sc->type == VMM_UART_16750 && (sc->st.fcr & UART_FCR_LARGE))
		return 64;
	return 16;
}

static void
uart_update_irq(struct uart_softc *sc)
{
	int level = ((sc->st.ier & UART_IER_RDI) && sc->st.rx_count) ||
		    ((sc->st.ier & UART_IER_THRI) && sc->st.thri_pending);

	if (level != sc->irq_level) {
		sc->irq_level = level;
		vmm_irq_line(sc->vm, sc->irq, level);
	}
}

/* Append up to @len bytes to the receive FIFO; @return how many fit. */
static size_t
uart_rx_push(struct uart_softc *sc, const uint8_t *buf, size_t len)
{
	unsigned depth = uart_rx_depth(sc);
	size_t n = 0;

	while (n < len && sc->st.rx_count < depth) {
		sc->st.rx[(sc->st.rx_head + sc->st.rx_count) % UART_RX_MAX] =
		    buf[n++];
		sc->st.rx_count++;
	}
	return n;
}

/* @return whether the host should hear that there is room again. */
static bool
uart_rx_pop(struct uart_softc *sc, uint8_t *v)
{
	if (!sc->st.rx_count) {
		*v = 0;
		return false;
	}
	*v = sc->st.rx[sc->st.rx_head];
	sc->st.rx_head = (uint8_t)((sc->st.rx_head + 1) % UART_RX_MAX);
	sc->st.rx_count--;
	if (!sc->rx_wanted)
		return false;
	sc->rx_wanted = false;
	return true;
}

static void
uart_rx_room(struct uart_softc *sc)
{
	struct vmm *vm = sc->vm;

	pthread_mutex_lock(&vm->serial_lock);
	if (vm->uart_host && vm->uart_host->rx_room)
		vm->uart_host->rx_room(vm->uart_host_ctx, sc->port);
	pthread_mutex_unlock(&vm->serial_lock);
}

/* Loopback wires DTR to DSR, RTS to CTS, OUT1 to RI and OUT2 to DCD;
 * otherwise DCD, DSR and CTS are asserted (a terminal is there). */
static uint8_t
uart_msr(uint8_t mcr)
{
	if (!(mcr & UART_MCR_LOOP))
		return 0xb0;
	return (uint8_t)((mcr & 0x01) << 5 | (mcr & 0x02) << 3 |
			 (mcr & 0x0c) << 4);
}

static uint8_t
uart_iir(struct uart_softc *sc)
{
	uint8_t v;

	if ((sc->st.ier & UART_IER_RDI) && sc->st.rx_count) {
		v = UART_IIR_RDI;
	} else if ((sc->st.ier & UART_IER_THRI) && sc->st.thri_pending) {
		v = UART_IIR_THRI;
		sc->st.thri_pending = false; /* cleared by reading IIR */
	} else {
		v = UART_IIR_NONE;
	}
	if (sc->type != VMM_UART_16450 && (sc->st.fcr & UART_FCR_FIFO))
		v |= 0xc0; /* FIFOs enabled */
	if (uart_rx_depth(sc) == 64)
		v |= 0x20;
	return v;
}

static void
uart_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct uart_softc *sc = dev;
	struct uart_state *st = &sc->st;
	bool room = false;
	uint8_t v = 0;

	pthread_mutex_lock(&sc->lock);
	switch (addr) {
	case 0:
		if (st->lcr & UART_LCR_DLAB)
			v = st->dll;
		else
			room = uart_rx_pop(sc, &v);
		break;
	case 1:
		v = (st->lcr & UART_LCR_DLAB) ? st->dlm : st->ier;
		break;
	case 2:
		v = uart_iir(sc);
		break;
	case 3:
		v = st->lcr;
		break;
	case 4:
		v = st->mcr;
		break;
	case 5:
		v = UART_LSR_THRE | UART_LSR_TEMT |
		    (st->rx_count ? UART_LSR_DR : 0);
		break;
	case 6:
		v = uart_msr(st->mcr);
		break;
	case 7:
		v = st->scr;
		break;
	}
	uart_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	memset(data, v, len);
	if (room)
		uart_rx_room(sc);
}

/* FCR: FIFOs on/off (which empties them), clear the receiver. */
static bool
uart_write_fcr(struct uart_softc *sc, uint8_t v)
{
	struct uart_state *st = &sc->st;
	bool clear = (v & UART_FCR_CLRRX) || ((v ^ st->fcr) & UART_FCR_FIFO);

	if (sc->type == VMM_UART_16450)
		return false;
	st->fcr = v & ~(UART_FCR_CLRRX | 0x04); /* clear bits self-reset */
	if (!clear || !st->rx_count)
		return false;
	st->rx_count = 0;
	sc->rx_wanted = false;
	return true;
}

static void
uart_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct uart_softc *sc = dev;
	struct uart_state *st = &sc->st;
	uint8_t v = data[0];
	bool out = false, room = false;

	pthread_mutex_lock(&sc->lock);
	switch (addr) {
	case 0:
		if (st->lcr & UART_LCR_DLAB) {
			st->dll = v;
			break;
		}
		if (st->mcr & UART_MCR_LOOP)
			uart_rx_push(sc, &v, 1); /* overrun: dropped */
		else
			out = true;
		st->thri_pending = true;
		break;
	case 1:
		if (st->lcr & UART_LCR_DLAB) {
			st->dlm = v;
		} else {
			if ((v & UART_IER_THRI) && !(st->ier & UART_IER_THRI))
				st->thri_pending = true;
			st->ier = v & 0x0f;
		}
		break;
	case 2:
		room = uart_write_fcr(sc, v);
		break;
	case 3:
		st->lcr = v;
		break;
	case 4:
		st->mcr = v & 0x1f;
		break;
	case 7:
		st->scr = v;
		break;
	}
	uart_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	if (out)
		vmm_serial_out(sc->vm, sc->port, (const char *)&v, 1);
	if (room)
		uart_rx_room(sc);
}

int
vmm_uart_rx(void *uart, const uint8_t *buf, size_t len)
{
	struct uart_softc *sc = uart;
	size_t n;

	pthread_mutex_lock(&sc->lock);
	n = uart_rx_push(sc, buf, len);
	if (n < len)
		sc->rx_wanted = true;
	uart_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	if (n)
		vmm_guest_event(sc->vm); /* a polling guest may be idle */
	return (int)n;
}

static const struct vmm_io_ops uart_io = {
    .read = uart_read,
    .write = uart_write,
};

static void
uart_reset(void *state)
{
	struct uart_softc *sc = state;
	bool room;

	if (!sc)
		return;
	pthread_mutex_lock(&sc->lock);
	memset(&sc->st, 0, sizeof(sc->st));
	sc->st.dll = 12;   /* 9600 baud */
	sc->irq_level = 0; /* a reset builds the interrupt controller anew */
	room = sc->rx_wanted;
	sc->rx_wanted = false;
	pthread_mutex_unlock(&sc->lock);
	/* the FIFO is empty now: a host waiting to send may go on */
	if (room)
		uart_rx_room(sc);
}

static int
uart_init_port(struct vmm *vm, uint32_t port, void **state)
{
	static const uint16_t bases[VMM_MAX_UARTS] = {VIREO_PORT_COM1,
						      VIREO_PORT_COM2};
	static const uint8_t irqs[VMM_MAX_UARTS] = {4, 3};
	const struct vmm_uart_config *c = &vm->cfg.uart[port];
	struct uart_softc *sc;
	int r;

	*state = NULL;
	if (port > 0 && !c->enabled)
		return 0;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	sc->vm = vm;
	sc->port = port;
	sc->base = c->io_base ? c->io_base : bases[port];
	sc->irq = c->irq ? c->irq : irqs[port];
	sc->type = c->type;
	pthread_mutex_init(&sc->lock, NULL);
	uart_reset(sc);
	*state = sc;
	r = vmm_bus_add(&vm->pio, sc->base, 8, &uart_io, sc);
	if (r) {
		log_err("COM%u at 0x%x: ports taken by another device",
			port + 1, sc->base);
		return r;
	}
	vm->uart[port] = sc;
	log_info("COM%u: I/O 0x%x, IRQ %u", port + 1, sc->base, sc->irq);
	return 0;
}

static int
uart_init_com1(struct vmm *vm, void **state)
{
	return uart_init_port(vm, 0, state);
}

static int
uart_init_com2(struct vmm *vm, void **state)
{
	return uart_init_port(vm, 1, state);
}

static void
uart_destroy(void *state)
{
	struct uart_softc *sc = state;

	if (!sc)
		return;
	sc->vm->uart[sc->port] = NULL;
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

/* Saved state, version 1: a presence byte (COM2 may be off), then the
 * registers, the pending THRE interrupt, the line level (recorded only:
 * on restore the interrupt controller's own state holds it) and the
 * receive FIFO. */
#define UART_STATE_VERSION 1

static void
uart_save(void *state, struct vmm_sw *w)
{
	struct uart_softc *sc = state;
	const struct uart_state *st;

	vmm_sw_u8(w, sc != NULL);
	if (!sc)
		return;
	st = &sc->st;
	pthread_mutex_lock(&sc->lock);
	vmm_sw_u8(w, st->ier);
	vmm_sw_u8(w, st->lcr);
	vmm_sw_u8(w, st->mcr);
	vmm_sw_u8(w, st->scr);
	vmm_sw_u8(w, st->fcr);
	vmm_sw_u8(w, st->dll);
	vmm_sw_u8(w, st->dlm);
	vmm_sw_u8(w, st->thri_pending);
	vmm_sw_u8(w, (uint8_t)sc->irq_level);
	vmm_sw_u8(w, st->rx_head);
	vmm_sw_u8(w, st->rx_count);
	vmm_sw_bytes(w, st->rx, sizeof(st->rx));
	pthread_mutex_unlock(&sc->lock);
}

static int
uart_load(void *state, struct vmm_sr *r, char *err, size_t errlen)
{
	struct uart_softc *sc = state;
	struct uart_state st;
	bool present = vmm_sr_u8(r) != 0;
	int level;

	if (present != (sc != NULL)) {
		snprintf(err, errlen, "the port is %s here but was %s",
			 sc ? "on" : "off", present ? "on" : "off");
		return -EINVAL;
	}
	if (!sc)
		return r->err;
	st.ier = vmm_sr_u8(r) & 0x0f;
	st.lcr = vmm_sr_u8(r);
	st.mcr = vmm_sr_u8(r) & 0x1f;
	st.scr = vmm_sr_u8(r);
	st.fcr = vmm_sr_u8(r);
	st.dll = vmm_sr_u8(r);
	st.dlm = vmm_sr_u8(r);
	st.thri_pending = vmm_sr_u8(r) != 0;
	level = vmm_sr_u8(r) != 0;
	st.rx_head = vmm_sr_u8(r);
	st.rx_count = vmm_sr_u8(r);
	vmm_sr_bytes(r, st.rx, sizeof(st.rx));
	if (r->err) {
		snprintf(err, errlen, "record too short");
		return r->err;
	}
	if (st.rx_head >= UART_RX_MAX || st.rx_count > UART_RX_MAX) {
		snprintf(err, errlen, "receive FIFO %u bytes at %u (of %u)",
			 st.rx_count, st.rx_head, UART_RX_MAX);
		return -EINVAL;
	}
	pthread_mutex_lock(&sc->lock);
	sc->st = st;
	sc->irq_level = level;
	pthread_mutex_unlock(&sc->lock);
	return 0;
}

const struct vmm_device_ops uart_com1_dev = {
    .name = "uart-com1",
    .phase = VMM_PHASE_DEV,
    .init = uart_init_com1,
    .reset = uart_reset,
    .destroy = uart_destroy,
    .tag = "COM1",
    .version = UART_STATE_VERSION,
    .save = uart_save,
    .load = uart_load,
};

const struct vmm_device_ops uart_com2_dev = {
    .name = "uart-com2",
    .phase = VMM_PHASE_DEV,
    .init = uart_init_com2,
    .reset = uart_reset,
    .destroy = uart_destroy,
    .tag = "COM2",
    .version = UART_STATE_VERSION,
    .save = uart_save,
    .load = uart_load,
};
