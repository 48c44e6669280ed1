/*
 * usb.c - the testcard's OHCI driver, by polling (ring 3, no
 * interrupts): finds the controller on PCI (class 0x0C0310), runs it,
 * enumerates every connected root-hub port (port reset, the device
 * descriptor's first 8 bytes at address 0, SET_ADDRESS, the device and
 * configuration descriptors, SET_CONFIGURATION), prints each device on
 * COM1 as "usb: port N VVVV:PPPP class CC/SS/PP", and keeps an interrupt
 * IN transfer queued on a HID tablet so its reports can be polled.
 * Ports are watched from the main loop (usb_poll): a device that arrives
 * later (a remote client's) is enumerated then, one that leaves is
 * reported as "usb: port N disconnected".
 *
 * A vendor-class device (class ff) with a bulk IN and a bulk OUT
 * endpoint is echoed: every buffer its bulk IN returns is written back
 * to its bulk OUT, one transfer at a time, and every 64 KiB echoed
 * prints "usb: port N echo BYTES bytes", so a test can send data from
 * the device's side and compare what comes back.
 *
 * All structures are static (the testcard's memory is identity-mapped,
 * so their addresses are what the controller gets).  An endpoint is
 * changed only while it is empty, with its sKip bit set.
 */
#include <stddef.h>

#include "card.h"
#include "hw.h"
#include "vmm/ohci_hw.h"
#include "vmm/vireo_hw.h"

struct ohci_ed {
	volatile uint32_t flags, tail, head, next;
} __attribute__((aligned(16)));

struct ohci_td {
	volatile uint32_t flags, cbp, next, be;
} __attribute__((aligned(16)));

static struct {
	volatile uint32_t intr[32];
	volatile uint16_t frame, pad;
	volatile uint32_t done;
	uint8_t reserved[116];
} hcca __attribute__((aligned(256)));

static struct ohci_ed ctl_ed, int_ed, bulk_in_ed, bulk_out_ed;
static struct ohci_td ctl_td[4], int_td[2], bulk_in_td[2], bulk_out_td[2];
static uint8_t ctl_buf[512] __attribute__((aligned(16)));
static uint8_t int_buf[64] __attribute__((aligned(16)));
/* the echo's buffer: one TD's worth, two pages (a TD may cross one) */
#define ECHO_BUF 8192u
static uint8_t echo_buf[ECHO_BUF] __attribute__((aligned(4096)));
static uint64_t regs, tsc_khz;
static uint32_t nports;
static int next_addr = 1;
static int port_addr[15]; /* the address given, 0: nothing enumerated */

/* the tablet: address, endpoint, max packet size */
static int tab_addr, tab_ep, tab_mps, tab_low;

/* the echo device: 0 none, 1 reading bulk IN, 2 writing bulk OUT */
static struct {
	int state, port, addr, low;
	int in_ep, in_mps, out_ep, out_mps;
	uint32_t len;	/* bytes of the current buffer */
	uint32_t total; /* bytes echoed */
} echo;

/* Endpoints a configuration offers: interrupt IN, bulk IN, bulk OUT. */
struct cfg_eps {
	int int_ep, int_mps;
	int bin_ep, bin_mps;
	int bout_ep, bout_mps;
};

static uint32_t
rd(uint32_t off)
{
	return mmio_read32(regs + off);
}

static void
wr(uint32_t off, uint32_t v)
{
	mmio_write32(regs + off, v);
}

static void
delay_ms(uint32_t ms)
{
	uint64_t end = rdtsc() + tsc_khz * ms;

	while (rdtsc() < end)
		outl(VIREO_PORT_IDLE, 200);
}

static uint32_t
addr32(const volatile void *p)
{
	return (uint32_t)(uintptr_t)p;
}

static void
td_fill(struct ohci_td *td, uint32_t flags, void *buf, uint32_t len,
	struct ohci_td *next)
{
	td->flags = flags | OHCI_TD_CC_NOT_ACCESSED;
	td->cbp = len ? addr32(buf) : 0;
	td->be = len ? addr32(buf) + len - 1 : 0;
	td->next = addr32(next);
}

/* Point the (empty) endpoint at a new TD list [first, tail). */
static void
ed_load(struct ohci_ed *ed, uint32_t flags, struct ohci_td *first,
	struct ohci_td *tail)
{
	ed->flags = flags | OHCI_ED_K;
	ed->tail = addr32(tail);
	ed->head = addr32(first);
	ed->flags = flags;
}

/* One control transfer on the default pipe.  @return the bytes of the
 * data stage moved, or -1 (a condition code other than NoError or
 * DataUnderrun, or a timeout). */
static int
usb_control(int addr, int mps, int low, const uint8_t setup[8], uint32_t len)
{
	int in = setup[0] & 0x80;
	uint32_t edf =
	    (uint32_t)addr | (uint32_t)mps << 16 | (low ? OHCI_ED_S : 0);
	struct ohci_td *status = &ctl_td[len ? 2 : 1];
	uint64_t end;

	for (int i = 0; i < 8; i++)
		ctl_buf[256 + i] = setup[i];
	td_fill(&ctl_td[0], OHCI_TD_DP_SETUP | OHCI_TD_T_DATA0 | 7u << 21,
		ctl_buf + 256, 8, &ctl_td[1]);
	if (len)
		td_fill(&ctl_td[1],
			(in ? OHCI_TD_DP_IN : OHCI_TD_DP_OUT) | OHCI_TD_R |
			    OHCI_TD_T_DATA1 | 7u << 21,
			ctl_buf, len, &ctl_td[2]);
	td_fill(status,
		(in ? OHCI_TD_DP_OUT : OHCI_TD_DP_IN) | OHCI_TD_T_DATA1 |
		    0u << 21,
		NULL, 0, &ctl_td[3]);
	ed_load(&ctl_ed, edf, &ctl_td[0], &ctl_td[3]);
	wr(OHCI_COMMAND_STATUS, OHCI_CMD_CLF);
	end = rdtsc() + tsc_khz * 500;
	while ((ctl_ed.head & OHCI_PTR_MASK) != addr32(&ctl_td[3]) &&
	       !(ctl_ed.head & OHCI_ED_H) && rdtsc() < end)
		outl(VIREO_PORT_IDLE, 500);
	wr(OHCI_INTR_STATUS, OHCI_INTR_WDH);
	for (struct ohci_td *t = &ctl_td[0]; t <= status; t++) {
		uint32_t cc = OHCI_TD_CC(t->flags);

		if (cc != OHCI_CC_NOERROR && cc != OHCI_CC_DATAUNDERRUN)
			return -1;
	}
	if (!len)
		return 0;
	return ctl_td[1].cbp ? (int)(ctl_td[1].cbp - addr32(ctl_buf))
			     : (int)len;
}

static int
usb_request(int addr, int mps, int low, uint8_t type, uint8_t req,
	    uint16_t value, uint16_t index, uint16_t len)
{
	uint8_t s[8] = {type,		req,
			(uint8_t)value, (uint8_t)(value >> 8),
			(uint8_t)index, (uint8_t)(index >> 8),
			(uint8_t)len,	(uint8_t)(len >> 8)};

	return usb_control(addr, mps, low, s, len);
}

/* Queue one interrupt IN on the tablet's endpoint (the ED is empty). */
static void
tab_arm(void)
{
	td_fill(&int_td[0], OHCI_TD_DP_IN | OHCI_TD_R | 0u << 21, int_buf,
		(uint32_t)tab_mps, &int_td[1]);
	ed_load(&int_ed,
		(uint32_t)tab_addr | (uint32_t)tab_ep << 7 | 2u << 11 |
		    (uint32_t)tab_mps << 16 | (tab_low ? OHCI_ED_S : 0),
		&int_td[0], &int_td[1]);
}

static void
put_hex4(uint32_t v)
{
	com_puthex2((uint8_t)(v >> 8));
	com_puthex2((uint8_t)v);
}

/* The first interface's class triple and its endpoints: the first
 * interrupt IN (a HID's reports), bulk IN and bulk OUT. */
static void
parse_config(const uint8_t *c, int n, uint8_t cls[3], struct cfg_eps *e)
{
	int seen_if = 0;

	for (int i = 0; i + 2 <= n && c[i] >= 2 && i + c[i] <= n; i += c[i]) {
		int addr = c[i + 2], type = c[i + 3] & 3;
		int mps = c[i + 4] | (c[i + 5] & 7) << 8;

		if (c[i + 1] == 4 && !seen_if && c[i] >= 9) {
			cls[0] = c[i + 5];
			cls[1] = c[i + 6];
			cls[2] = c[i + 7];
			seen_if = 1;
		}
		if (c[i + 1] != 5 || c[i] < 7)
			continue;
		if (type == 3 && (addr & 0x80) && !e->int_ep) {
			e->int_ep = addr & 15;
			e->int_mps = mps;
		} else if (type == 2 && (addr & 0x80) && !e->bin_ep) {
			e->bin_ep = addr & 15;
			e->bin_mps = mps;
		} else if (type == 2 && !(addr & 0x80) && !e->bout_ep) {
			e->bout_ep = addr & 15;
			e->bout_mps = mps;
		}
	}
}

static void
put_port(uint32_t port)
{
	com_puts("usb: port ");
	com_putu(port + 1);
}

/* ---- the echo ------------------------------------------------------------ */

static uint32_t
echo_ed_flags(int ep, int mps)
{
	return (uint32_t)echo.addr | (uint32_t)ep << 7 |
	       (uint32_t)(mps ? mps : 64) << 16 | (echo.low ? OHCI_ED_S : 0);
}

/* Queue a bulk IN for a whole buffer (the IN endpoint is empty). */
static void
echo_read(void)
{
	td_fill(&bulk_in_td[0], OHCI_TD_DP_IN | OHCI_TD_R | 0u << 21, echo_buf,
		ECHO_BUF, &bulk_in_td[1]);
	ed_load(&bulk_in_ed, echo_ed_flags(echo.in_ep, echo.in_mps),
		&bulk_in_td[0], &bulk_in_td[1]);
	echo.state = 1;
	wr(OHCI_COMMAND_STATUS, OHCI_CMD_BLF);
}

static void
echo_write(uint32_t n)
{
	td_fill(&bulk_out_td[0], OHCI_TD_DP_OUT | 0u << 21, echo_buf, n,
		&bulk_out_td[1]);
	ed_load(&bulk_out_ed, echo_ed_flags(echo.out_ep, echo.out_mps),
		&bulk_out_td[0], &bulk_out_td[1]);
	echo.len = n;
	echo.state = 2;
	wr(OHCI_COMMAND_STATUS, OHCI_CMD_BLF);
}

static void
echo_stop(void)
{
	bulk_in_ed.flags |= OHCI_ED_K;
	bulk_out_ed.flags |= OHCI_ED_K;
	echo.state = 0;
}

static void
echo_start(uint32_t port, int addr, int low, const struct cfg_eps *e)
{
	echo.port = (int)port;
	echo.addr = addr;
	echo.low = low;
	echo.in_ep = e->bin_ep;
	echo.in_mps = e->bin_mps;
	echo.out_ep = e->bout_ep;
	echo.out_mps = e->bout_mps;
	echo.total = 0;
	put_port(port);
	com_puts(" echo ready\n");
	echo_read();
}

static int
td_ok(const struct ohci_td *td)
{
	uint32_t cc = OHCI_TD_CC(td->flags);

	return cc == OHCI_CC_NOERROR || cc == OHCI_CC_DATAUNDERRUN;
}

/* The echo's next step, when its transfer is done. */
static void
echo_poll(void)
{
	const struct ohci_td *td = echo.state == 1 ? bulk_in_td : bulk_out_td;
	const struct ohci_ed *ed = echo.state == 1 ? &bulk_in_ed : &bulk_out_ed;
	uint32_t n;

	if (!echo.state || (ed->head & OHCI_PTR_MASK) != addr32(&td[1]))
		return; /* none, or still queued */
	wr(OHCI_INTR_STATUS, OHCI_INTR_WDH);
	if (!td_ok(td)) {
		put_port((uint32_t)echo.port);
		com_puts(" echo stopped: condition code ");
		com_putu(OHCI_TD_CC(td->flags));
		com_putc('\n');
		echo_stop();
		return;
	}
	if (echo.state == 1) {
		n = td->cbp ? td->cbp - addr32(echo_buf) : ECHO_BUF;
		if (n)
			echo_write(n);
		else
			echo_read();
		return;
	}
	if ((echo.total + echo.len) / 65536 != echo.total / 65536) {
		put_port((uint32_t)echo.port);
		com_puts(" echo ");
		com_putu(echo.total + echo.len);
		com_puts(" bytes\n");
	}
	echo.total += echo.len;
	echo_read();
}

/* Enumerate the device on root-hub port @port (0-based) as @addr. */
static void
enumerate(uint32_t port, int addr)
{
	uint32_t ps;
	int low, mps, n;
	struct cfg_eps eps = {0};
	uint8_t dev[18], cls[3] = {0, 0, 0}, cfg_value;

	wr(OHCI_RH_PORT_STATUS(port), OHCI_PS_PRS); /* SetPortReset */
	for (int i = 0;
	     i < 100 && !(rd(OHCI_RH_PORT_STATUS(port)) & OHCI_PS_PRSC); i++)
		delay_ms(1);
	delay_ms(10); /* reset recovery */
	ps = rd(OHCI_RH_PORT_STATUS(port));
	wr(OHCI_RH_PORT_STATUS(port), OHCI_PS_PRSC | OHCI_PS_CSC);
	if (!(ps & OHCI_PS_PES)) {
		put_port(port);
		com_puts(" not enabled after reset\n");
		return;
	}
	low = !!(ps & OHCI_PS_LSDA);
	if (usb_request(0, 8, low, 0x80, 6, 0x0100, 0, 8) < 8)
		goto fail;
	mps = ctl_buf[7] ? ctl_buf[7] : 8;
	if (usb_request(0, mps, low, 0x00, 5, (uint16_t)addr, 0, 0) < 0)
		goto fail;
	delay_ms(2); /* SET_ADDRESS recovery */
	if (usb_request(addr, mps, low, 0x80, 6, 0x0100, 0, 18) < 18)
		goto fail;
	for (int i = 0; i < 18; i++)
		dev[i] = ctl_buf[i];
	if (usb_request(addr, mps, low, 0x80, 6, 0x0200, 0, 9) < 9)
		goto fail;
	n = ctl_buf[2] | ctl_buf[3] << 8;
	n = n > 255 ? 255 : n;
	if ((n = usb_request(addr, mps, low, 0x80, 6, 0x0200, 0, (uint16_t)n)) <
	    9)
		goto fail;
	cfg_value = ctl_buf[5];
	parse_config(ctl_buf, n, cls, &eps);
	if (dev[4]) { /* the class is the device's, not per interface */
		cls[0] = dev[4];
		cls[1] = dev[5];
		cls[2] = dev[6];
	}
	if (usb_request(addr, mps, low, 0x00, 9, cfg_value, 0, 0) < 0)
		goto fail;
	port_addr[port] = addr;
	put_port(port);
	com_putc(' ');
	put_hex4((uint32_t)(dev[8] | dev[9] << 8));
	com_putc(':');
	put_hex4((uint32_t)(dev[10] | dev[11] << 8));
	com_puts(" class ");
	com_puthex2(cls[0]);
	com_putc('/');
	com_puthex2(cls[1]);
	com_putc('/');
	com_puthex2(cls[2]);
	com_putc('\n');
	if (cls[0] == 3 && eps.int_ep && !tab_addr) {
		usb_request(addr, mps, low, 0x21, 0x0a, 0, 0, 0); /* SET_IDLE */
		tab_addr = addr;
		tab_ep = eps.int_ep;
		tab_mps = eps.int_mps > 64 ? 64 : eps.int_mps;
		tab_low = low;
		tab_arm();
	}
	if (cls[0] == 0xff && eps.bin_ep && eps.bout_ep && !echo.state)
		echo_start(port, addr, low, &eps);
	return;
fail:
	put_port(port);
	com_puts(" enumeration failed\n");
}

/* A device left @port: forget what used it. */
static void
port_gone(uint32_t port)
{
	int addr = port_addr[port];

	port_addr[port] = 0;
	put_port(port);
	com_puts(" disconnected\n");
	if (echo.state && echo.addr == addr)
		echo_stop();
	if (tab_addr && tab_addr == addr) {
		int_ed.flags |= OHCI_ED_K;
		tab_addr = 0;
	}
}

/* Connects and disconnects since the last look, then the echo. */
void
usb_poll(void)
{
	if (!regs)
		return;
	for (uint32_t p = 0; p < nports; p++) {
		uint32_t ps = rd(OHCI_RH_PORT_STATUS(p));

		if (!(ps & OHCI_PS_CSC))
			continue;
		wr(OHCI_RH_PORT_STATUS(p), OHCI_PS_CSC);
		if (port_addr[p])
			port_gone(p);
		if ((ps & OHCI_PS_CCS) && next_addr < 128)
			enumerate(p, next_addr++);
	}
	echo_poll();
}

static int
find_ohci(void)
{
	for (uint32_t slot = 0; slot < 32; slot++) {
		uint32_t id = pci_read(slot, 0);

		if (id == 0xffffffffu || (pci_read(slot, 8) >> 8) != 0x0c0310)
			continue;
		pci_write(slot, 4, pci_read(slot, 4) | 0x6); /* mem, master */
		regs = pci_read(slot, 0x10) & ~0xfu;
		return 1;
	}
	return 0;
}

void
usb_probe(uint64_t khz)
{
	uint32_t ndp;

	tsc_khz = khz;
	if (!find_ohci())
		return;
	wr(OHCI_COMMAND_STATUS, OHCI_CMD_HCR);
	for (int i = 0; i < 100 && (rd(OHCI_COMMAND_STATUS) & OHCI_CMD_HCR);
	     i++)
		delay_ms(1);
	for (int i = 0; i < 32; i++)
		hcca.intr[i] = addr32(&int_ed);
	int_ed.flags = OHCI_ED_K;
	ctl_ed.flags = OHCI_ED_K;
	bulk_in_ed.flags = OHCI_ED_K;
	bulk_out_ed.flags = OHCI_ED_K;
	bulk_in_ed.next = addr32(&bulk_out_ed);
	wr(OHCI_HCCA, addr32(&hcca));
	wr(OHCI_CONTROL_HEAD, addr32(&ctl_ed));
	wr(OHCI_BULK_HEAD, addr32(&bulk_in_ed));
	wr(OHCI_FM_INTERVAL, 0x2edfu | 0x2778u << 16);
	wr(OHCI_PERIODIC_START, 0x2a2f);
	wr(OHCI_INTR_DISABLE, 0xffffffffu); /* polled */
	wr(OHCI_INTR_STATUS, 0xffffffffu);
	wr(OHCI_CONTROL,
	   OHCI_HCFS_OPERATIONAL | OHCI_CTL_CLE | OHCI_CTL_PLE | OHCI_CTL_BLE);
	ndp = rd(OHCI_RH_DESCRIPTOR_A) & OHCI_RHA_NDP;
	nports = ndp < 15 ? ndp : 15;
	com_puts("usb: ohci ports=");
	com_putu(ndp);
	com_putc('\n');
	delay_ms(20);
	for (uint32_t p = 0; p < nports; p++) {
		uint32_t ps = rd(OHCI_RH_PORT_STATUS(p));

		wr(OHCI_RH_PORT_STATUS(p), OHCI_PS_CSC);
		if ((ps & OHCI_PS_CCS) && next_addr < 128)
			enumerate(p, next_addr++);
	}
}

int
usb_has_tablet(void)
{
	return tab_addr != 0;
}

/* A new tablet report?  @return 1 with X, Y (0..0x7fff) and buttons. */
int
usb_poll_tablet(uint32_t *x, uint32_t *y, uint32_t *buttons)
{
	uint32_t cc;
	int got = 0;

	if (!tab_addr || (int_ed.head & OHCI_PTR_MASK) != addr32(&int_td[1]))
		return 0; /* not armed, or the TD is still queued */
	cc = OHCI_TD_CC(int_td[0].flags);
	if (cc == OHCI_CC_NOERROR || cc == OHCI_CC_DATAUNDERRUN) {
		uint32_t n = int_td[0].cbp ? int_td[0].cbp - addr32(int_buf)
					   : (uint32_t)tab_mps;

		if (n >= 5) {
			*buttons = int_buf[0];
			*x = (uint32_t)(int_buf[1] | int_buf[2] << 8);
			*y = (uint32_t)(int_buf[3] | int_buf[4] << 8);
			got = 1;
		}
	}
	wr(OHCI_INTR_STATUS, OHCI_INTR_WDH);
	tab_arm(); /* a halted ED (an error) is restarted too */
	return got;
}
