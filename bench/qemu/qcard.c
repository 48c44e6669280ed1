/*
 * qcard.c - the test card as a guest QEMU boots: finds QEMU's
 * bochs-display on PCI, sets 1024x768x32, and draws the test card with
 * the testcard guest's own drawing code (src/guest/draw.c, font.c) at its
 * 30 frames per second, paced by the TSC (calibrated against the PIT),
 * echoing keys typed on the i8042 into the text line (cardkey.c).
 * Runs entirely in ring 3 (see boot.S).  Prints "testcard ready heads=1"
 * on COM1 after the first frame, as the vireo testcard does, so start-up
 * time is measured the same way for both VMMs.
 */
#include <stdint.h>

#include "cardkey.h"
#include "guest/card.h"

#define QC_PCI_ADDR 0xcf8
#define QC_PCI_DATA 0xcfc
#define QC_COM1	    0x3f8
#define QC_DISPI    0x500 /* bochs-display registers in BAR 2 */

static inline void
qc_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
qc_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
qc_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t
qc_inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t
qc_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void
qc_puts(const char *s)
{
	for (; *s; s++) {
		while (!(qc_inb(QC_COM1 + 5) & 0x20)) {
		}
		qc_outb(QC_COM1, (uint8_t)*s);
	}
}

static uint32_t
qc_pci_read(unsigned bus, unsigned dev, unsigned reg)
{
	qc_outl(QC_PCI_ADDR, 0x80000000u | bus << 16 | dev << 11 | reg);
	return qc_inl(QC_PCI_DATA);
}

/* Finds the bochs-display (1234:1111, class 0x0380); 0 if absent. */
static int
qc_find_display(uint32_t *fb, uint32_t *mmio)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (qc_pci_read(0, dev, 0) != 0x11111234u)
			continue;
		if ((qc_pci_read(0, dev, 8) >> 16) != 0x0380)
			continue; /* the VGA variant */
		*fb = qc_pci_read(0, dev, 0x10) & ~0xfu;
		*mmio = qc_pci_read(0, dev, 0x18) & ~0xfu;
		return 1;
	}
	return 0;
}

static void
qc_dispi(uint32_t mmio, unsigned reg, uint16_t v)
{
	*(volatile uint16_t *)(uintptr_t)(mmio + QC_DISPI + reg * 2) = v;
}

/* TSC ticks in 50 ms, measured with PIT channel 2 (one-shot). */
static uint32_t
qc_tsc_per_50ms(void)
{
	uint16_t count = 59659; /* 1193182 Hz * 0.05 s */

	qc_outb(0x61, (qc_inb(0x61) & ~0x02) | 0x01);
	qc_outb(0x43, 0xb0);
	qc_outb(0x42, count & 0xff);
	qc_outb(0x42, count >> 8);
	uint64_t t0 = qc_rdtsc();
	while (!(qc_inb(0x61) & 0x20)) {
	}
	return (uint32_t)(qc_rdtsc() - t0);
}

/* Echoes pending i8042 key presses into the text line. */
static void
qc_keys(struct card *c)
{
	uint8_t st;

	while ((st = qc_inb(0x64)) & 0x01) {
		uint8_t code = qc_inb(0x60);
		if (st & 0x20 || code & 0x80 || code == 0xe0)
			continue; /* mouse byte, release or prefix */
		cardkey_press(c, code);
	}
}

static struct card qc_card;
extern uint32_t qc_mbi; /* boot.S: the Multiboot information's address */

/* Whether word @opt is on the command line (-append; QEMU puts the
 * kernel's file name first).  Paging is off: addresses are physical. */
static int
qc_option(const char *opt)
{
	const uint32_t *mbi = (const uint32_t *)(uintptr_t)qc_mbi;

	if (!mbi || !(mbi[0] & 4)) /* flags bit 2: cmdline present */
		return 0;
	return card_has_option((const char *)(uintptr_t)mbi[4], opt);
}

void
qcard_main(void)
{
	uint32_t fbaddr, mmio;

	if (!qc_find_display(&fbaddr, &mmio)) {
		qc_puts("qcard: no bochs-display\n");
		for (;;) {
		}
	}
	qc_dispi(mmio, 4, 0); /* disable while changing the mode */
	qc_dispi(mmio, 1, TESTCARD_HEAD0_WIDTH);
	qc_dispi(mmio, 2, TESTCARD_HEAD0_HEIGHT);
	qc_dispi(mmio, 3, 32);
	qc_dispi(mmio, 4, 0x41); /* enabled, linear framebuffer */

	struct card *c = &qc_card;
	c->nheads = 1;
	c->head[0] = (struct card_head){
	    .enabled = 1,
	    .fb = (uint32_t *)(uintptr_t)fbaddr,
	    .width = TESTCARD_HEAD0_WIDTH,
	    .height = TESTCARD_HEAD0_HEIGHT,
	    .pitch = TESTCARD_HEAD0_WIDTH,
	    .cross_x = -1,
	    .cross_y = -1,
	};
	/* 20/30 of 50 ms at 30 frames per second, 20/60 with "fps60" */
	uint32_t per_frame =
	    qc_tsc_per_50ms() * 2 / (qc_option("fps60") ? 6 : 3);

	c->frame = 1;
	if (qc_option("desktop"))
		c->scene = TESTCARD_SCENE_DESKTOP;
	card_draw_full(c, 0);
	qc_puts(TESTCARD_READY_PREFIX "1\n");
	uint64_t next = qc_rdtsc() + per_frame;
	for (;;) {
		while (qc_rdtsc() < next)
			qc_keys(c);
		next += per_frame;
		c->frame++;
		card_draw_frame(c, 0);
	}
}
