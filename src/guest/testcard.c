/*
 * testcard.c - the testcard guest: finds vireo's display device on PCI,
 * draws the test card (draw.c) on every enabled head at TESTCARD_FPS,
 * echoes keyboard and pointer input to the text line and COM1, and
 * applies mode requests.  Runs entirely in ring 3 and polls; between
 * frames it sleeps on the VMM's idle port, which wakes it early on input.
 *
 * Deterministic by construction: what is drawn depends only on the frame
 * number, the head and the input received.
 */
#include <stddef.h>

#include "card.h"
#include "hw.h"
#include "vmm/vireo_hw.h"

static struct card card;
static uint64_t disp_regs, disp_vram, vram_per_head;
static uint32_t mode_seq[16];
static int key_ctrl, key_alt;

/* ---- COM1 --------------------------------------------------------------- */

void
com_putc(char ch)
{
	while (!(inb(VIREO_PORT_COM1 + 5) & 0x20))
		;
	outb(VIREO_PORT_COM1, (uint8_t)ch);
}

void
com_puts(const char *s)
{
	while (*s)
		com_putc(*s++);
}

/* COM2 is optional: a missing port reads all ones, a present one keeps
 * what is written to its scratch register. */
static int com2;

static void
com2_puts(const char *s)
{
	for (; *s; s++) {
		while (!(inb(VIREO_PORT_COM2 + 5) & 0x20))
			;
		outb(VIREO_PORT_COM2, (uint8_t)*s);
	}
}

static void
com2_probe(void)
{
	outb(VIREO_PORT_COM2 + 7, 0x5a);
	if (inb(VIREO_PORT_COM2 + 7) != 0x5a)
		return;
	outb(VIREO_PORT_COM2 + 7, 0xa5);
	com2 = inb(VIREO_PORT_COM2 + 7) == 0xa5;
	if (com2)
		com2_puts(TESTCARD_COM2_READY "\n");
}

void
com_putu(uint32_t v)
{
	char b[12];
	int n = 0;

	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		com_putc(b[--n]);
}

static void
com_puti(int32_t v)
{
	if (v < 0) {
		com_putc('-');
		com_putu((uint32_t) - (int64_t)v);
	} else {
		com_putu((uint32_t)v);
	}
}

void
com_puthex2(uint8_t v)
{
	static const char hex[] = "0123456789abcdef";

	com_putc(hex[v >> 4]);
	com_putc(hex[v & 15]);
}

/* ---- devices ------------------------------------------------------------- */

uint32_t
pci_read(uint32_t slot, uint32_t reg)
{
	outl(VIREO_PORT_PCI_ADDR, 0x80000000u | slot << 11 | reg);
	return inl(VIREO_PORT_PCI_DATA);
}

void
pci_write(uint32_t slot, uint32_t reg, uint32_t v)
{
	outl(VIREO_PORT_PCI_ADDR, 0x80000000u | slot << 11 | reg);
	outl(VIREO_PORT_PCI_DATA, v);
}

/* Size a BAR the way an OS does: write all ones, read the mask back,
 * restore.  @return its size. */
static uint32_t
pci_bar_size(uint32_t slot, uint32_t reg)
{
	uint32_t old = pci_read(slot, reg), mask;

	pci_write(slot, reg, 0xffffffffu);
	mask = pci_read(slot, reg) & ~0xfu;
	pci_write(slot, reg, old);
	return ~mask + 1;
}

static void
com_puthex8(uint32_t v)
{
	com_puthex2((uint8_t)(v >> 24));
	com_puthex2((uint8_t)(v >> 16));
	com_puthex2((uint8_t)(v >> 8));
	com_puthex2((uint8_t)v);
}

/* "movebars": size both BARs and move them, with decoding off meanwhile,
 * then report where they were and are. */
static void
display_move_bars(uint32_t slot)
{
	uint32_t old0 = pci_read(slot, 0x10), old2 = pci_read(slot, 0x18);
	uint32_t s0, s2;

	pci_write(slot, 0x04, 0); /* memory decoding off */
	s0 = pci_bar_size(slot, 0x10);
	s2 = pci_bar_size(slot, 0x18);
	pci_write(slot, 0x10, 0xe0100000u);
	pci_write(slot, 0x18, 0xd0000000u);
	pci_write(slot, 0x1c, 0);
	pci_write(slot, 0x04, 2); /* and on again */
	com_puts("testcard bars regs=");
	com_puthex8(old0);
	com_puts("->");
	com_puthex8(pci_read(slot, 0x10));
	com_putc('/');
	com_putu(s0);
	com_puts(" vram=");
	com_puthex8(old2);
	com_puts("->");
	com_puthex8(pci_read(slot, 0x18));
	com_putc('/');
	com_putu(s2);
	com_putc('\n');
}

static int
display_find(int move)
{
	uint32_t want = VIREO_DISPLAY_VENDOR | VIREO_DISPLAY_DEVICE << 16;

	for (uint32_t slot = 0; slot < 32; slot++) {
		if (pci_read(slot, 0) != want)
			continue;
		if (move)
			display_move_bars(slot);
		disp_regs = pci_read(slot, 0x10) & ~0xfu;
		disp_vram = (pci_read(slot, 0x18) & ~0xfu) |
			    (uint64_t)pci_read(slot, 0x1c) << 32;
		return mmio_read32(disp_regs + VIREO_DISP_REG_MAGIC) ==
		       VIREO_DISP_MAGIC;
	}
	return 0;
}

static uint64_t
head_reg(uint32_t head, uint32_t reg)
{
	return disp_regs + VIREO_DISP_HEAD_BASE +
	       head * VIREO_DISP_HEAD_STRIDE + reg;
}

static void
head_load(uint32_t head)
{
	struct card_head *h = &card.head[head];

	h->enabled = (int)mmio_read32(head_reg(head, VIREO_DISP_H_ENABLE));
	h->width = mmio_read32(head_reg(head, VIREO_DISP_H_WIDTH));
	h->height = mmio_read32(head_reg(head, VIREO_DISP_H_HEIGHT));
	h->pitch = mmio_read32(head_reg(head, VIREO_DISP_H_STRIDE)) / 4;
	h->fb = (uint32_t *)(uintptr_t)(disp_vram + head * vram_per_head);
}

static void
head_set_mode(uint32_t head, int enable, uint32_t w, uint32_t h)
{
	mmio_write32(head_reg(head, VIREO_DISP_H_WIDTH), w);
	mmio_write32(head_reg(head, VIREO_DISP_H_HEIGHT), h);
	mmio_write32(head_reg(head, VIREO_DISP_H_STRIDE), w * 4);
	mmio_write32(head_reg(head, VIREO_DISP_H_ENABLE), (uint32_t)enable);
	mmio_write32(head_reg(head, VIREO_DISP_H_COMMIT), 1);
	head_load(head);
}

static void
mode_request(uint32_t head)
{
	uint32_t w = mmio_read32(head_reg(head, VIREO_DISP_H_REQ_WIDTH));
	uint32_t h = mmio_read32(head_reg(head, VIREO_DISP_H_REQ_HEIGHT));

	com_puts("mode ");
	com_putu(head);
	if (!w || !h) {
		head_set_mode(head, 0, card.head[head].width,
			      card.head[head].height);
		card.head[head].enabled = 0;
		com_puts(" off\n");
		return;
	}
	if (w < TESTCARD_MIN_WIDTH || h < TESTCARD_MIN_HEIGHT ||
	    w > TESTCARD_MAX_WIDTH || h > TESTCARD_MAX_HEIGHT ||
	    (uint64_t)w * h * 4 > vram_per_head) {
		com_puts(" rejected ");
	} else {
		head_set_mode(head, 1, w, h);
		if (card.head[head].cross_x >= (int)w ||
		    card.head[head].cross_y >= (int)h)
			card.head[head].cross_x = card.head[head].cross_y = -1;
		card_draw_full(&card, head);
		com_putc(' ');
	}
	com_putu(w);
	com_putc('x');
	com_putu(h);
	com_putc('\n');
}

static void
poll_modes(void)
{
	if (!(mmio_read32(disp_regs + VIREO_DISP_REG_EVENTS) &
	      VIREO_DISP_EV_MODE))
		return;
	for (uint32_t i = 0; i < card.nheads; i++) {
		uint32_t seq = mmio_read32(head_reg(i, VIREO_DISP_H_REQ_SEQ));

		if (seq == mode_seq[i])
			continue;
		mode_seq[i] = seq;
		mmio_write32(head_reg(i, VIREO_DISP_H_REQ_SEQ), seq);
		mode_request(i);
	}
}

static uint32_t
rtc_read(uint8_t reg)
{
	uint8_t v;

	outb(VIREO_PORT_RTC_INDEX, reg);
	v = inb(VIREO_PORT_RTC_INDEX + 1);
	return (uint32_t)(v >> 4) * 10 + (v & 15); /* BCD, the default */
}

static void
com_put2(uint32_t v)
{
	com_putc((char)('0' + v / 10 % 10));
	com_putc((char)('0' + v % 10));
}

/* "testcard rtc YYYY-MM-DD HH:MM:SS" from the CMOS clock (UTC). */
static void
print_rtc(void)
{
	uint32_t s = rtc_read(0x00), mi = rtc_read(0x02), h = rtc_read(0x04);
	uint32_t d = rtc_read(0x07), mo = rtc_read(0x08), y = rtc_read(0x09);
	uint32_t c = rtc_read(0x32);

	com_puts("testcard rtc ");
	com_put2(c);
	com_put2(y);
	com_putc('-');
	com_put2(mo);
	com_putc('-');
	com_put2(d);
	com_putc(' ');
	com_put2(h);
	com_putc(':');
	com_put2(mi);
	com_putc(':');
	com_put2(s);
	com_putc('\n');
}

static void
poweroff(void)
{
	com_puts("testcard poweroff\n");
	outl(VIREO_PORT_POWEROFF, 0);
}

/* ---- input ----------------------------------------------------------------
 */

static void
text_key(uint8_t code)
{
	char ch = font_scancode_char(code);
	/* the cells that change: the whole line when it clears, else the
	 * one character added or removed (on the software CPU every pixel
	 * stored costs 150-300 ns: the line is 9,728 pixels, a cell 192,
	 * and the echo is what a typing user waits for) */
	uint32_t x = TESTCARD_TEXT_X, w = TESTCARD_TEXT_WIDTH;

	if (code == 0x1c || (ch && card.text_len == TESTCARD_TEXT_MAX)) {
		card.text_len = 0;
	} else if (code == 0x0e) {
		if (!card.text_len)
			return;
		card.text_len--;
		x += card.text_len * TESTCARD_TEXT_CELL_WIDTH;
		w = TESTCARD_TEXT_CELL_WIDTH;
	} else if (ch) {
		x += card.text_len * TESTCARD_TEXT_CELL_WIDTH;
		w = TESTCARD_TEXT_CELL_WIDTH;
		card.text[card.text_len++] = ch;
	} else {
		return;
	}
	if (card.head[0].enabled) {
		card_draw_rect(&card, 0, x, TESTCARD_TEXT_Y, w,
			       TESTCARD_TEXT_HEIGHT);
		/* only head 0's: moving it there would erase the
		 * crosshair another head shows */
		card_show_crosshair(&card, 0);
	}
}

/* Report all of @head as damaged without changing a pixel. */
static void
flush_head(uint32_t head)
{
	mmio_write32(disp_regs + VIREO_DISP_REG_FLUSH_X, 0);
	mmio_write32(disp_regs + VIREO_DISP_REG_FLUSH_Y, 0);
	mmio_write32(disp_regs + VIREO_DISP_REG_FLUSH_W, card.head[head].width);
	mmio_write32(disp_regs + VIREO_DISP_REG_FLUSH_H,
		     card.head[head].height);
	mmio_write32(disp_regs + VIREO_DISP_REG_FLUSH_HEAD, head);
}

static void
key_event(uint8_t code, int e0, int up)
{
	com_puts("key ");
	if (e0)
		com_puts("e0");
	com_puthex2(code);
	com_puts(up ? " up\n" : " down\n");
	if (code == 0x1d)
		key_ctrl = !up;
	else if (code == 0x38)
		key_alt = !up;
	else if (code == 0x53 && !up && key_ctrl && key_alt)
		poweroff(); /* Ctrl-Alt-Del is vireo's power button */
	if (code == 0x3b && !up && !e0 && card.head[0].enabled)
		flush_head(0); /* F1: exercise the flush-rect register */
	if (!up && !e0)
		text_key(code);
}

/* "raw8042" option: translation off, the mouse on; every byte the
 * controller delivers is printed as it comes. */
static int raw8042;

static void
kbc_write(uint16_t port, uint8_t v)
{
	while (inb(VIREO_PORT_I8042_CMD) & 2)
		;
	outb(port, v);
}

static void
raw8042_setup(void)
{
	kbc_write(VIREO_PORT_I8042_CMD, 0x60);
	kbc_write(VIREO_PORT_I8042_DATA, 0x07); /* IRQs, system; no translate */
	kbc_write(VIREO_PORT_I8042_CMD, 0xa8);	/* enable the aux port */
	kbc_write(VIREO_PORT_I8042_CMD, 0xd4);	/* to the mouse: */
	kbc_write(VIREO_PORT_I8042_DATA, 0xf4); /* enable reporting */
	raw8042 = 1;
}

static int
poll_keyboard(void)
{
	static int e0;
	uint8_t st;
	int n = 0;

	while ((st = inb(VIREO_PORT_I8042_CMD)) & 1) {
		uint8_t b = inb(VIREO_PORT_I8042_DATA);

		n++;
		if (raw8042) {
			com_puts(st & 0x20 ? "i8042 aux " : "i8042 kbd ");
			com_puthex2(b);
			com_putc('\n');
			continue;
		}

		if (st & 0x20)
			continue; /* mouse byte: the testcard reads the
				   * absolute pointer instead */
		if (b == 0xe0) {
			e0 = 1;
			continue;
		}
		key_event(b & 0x7f, e0, b & 0x80);
		e0 = 0;
	}
	return n;
}

/* Each byte received on COMn: "comN rx XX" on that port. */
static void
poll_serial(void)
{
	static const char hex[] = "0123456789abcdef";
	char line[] = "com1 rx 00\n";

	while (inb(VIREO_PORT_COM1 + 5) & 1) {
		uint8_t b = inb(VIREO_PORT_COM1);

		line[8] = hex[b >> 4];
		line[9] = hex[b & 15];
		com_puts(line);
	}
	line[3] = '2';
	while (com2 && (inb(VIREO_PORT_COM2 + 5) & 1)) {
		uint8_t b = inb(VIREO_PORT_COM2);

		line[8] = hex[b >> 4];
		line[9] = hex[b & 15];
		com2_puts(line);
	}
}

/* "X Y BUTTONS[ head=N]" and the line's end: the pointer as the host's
 * input reached the card, from the display's pointer queue or the USB
 * tablet, in one form that the tests read. */
static void
com_put_pointer(int32_t x, int32_t y, uint32_t buttons, uint32_t head)
{
	com_puti(x);
	com_putc(' ');
	com_puti(y);
	com_putc(' ');
	com_putu(buttons);
	if (head) {
		com_puts(" head=");
		com_putu(head);
	}
	com_putc('\n');
}

static int
poll_pointer(void)
{
	int n = 0;

	for (; mmio_read32(disp_regs + VIREO_DISP_REG_PTR_POP); n++) {
		int32_t x =
		    (int32_t)mmio_read32(disp_regs + VIREO_DISP_REG_PTR_X);
		int32_t y =
		    (int32_t)mmio_read32(disp_regs + VIREO_DISP_REG_PTR_Y);
		uint32_t b =
		    mmio_read32(disp_regs + VIREO_DISP_REG_PTR_BUTTONS);
		uint32_t head =
		    mmio_read32(disp_regs + VIREO_DISP_REG_PTR_HEAD);
		int32_t wv =
		    (int32_t)mmio_read32(disp_regs + VIREO_DISP_REG_PTR_WHEEL);
		int32_t wh =
		    (int32_t)mmio_read32(disp_regs + VIREO_DISP_REG_PTR_HWHEEL);

		com_puts("ptr ");
		com_put_pointer(x, y, b, head);
		if (wv || wh) {
			com_puts("wheel ");
			com_puti(wv);
			com_putc(' ');
			com_puti(wh);
			com_putc('\n');
		}
		if (!usb_has_tablet()) /* else the tablet moves it */
			card_move_crosshair(&card, head, x, y);
	}
	return n;
}

/* The USB tablet's X, Y (0..VIREO_TABLET_MAX over the heads side by
 * side, as vireo_hw.h says) back to a head and a pixel, rounding to the
 * nearest so that the host's pixel comes back exactly. */
static int
poll_tablet(void)
{
	uint32_t tx, ty, b, total = 0, hmax = 0, x, y, head = 0;

	if (!usb_poll_tablet(&tx, &ty, &b))
		return 0;
	for (uint32_t i = 0; i < card.nheads; i++) {
		if (!card.head[i].enabled)
			continue;
		total += card.head[i].width;
		if (card.head[i].height > hmax)
			hmax = card.head[i].height;
	}
	if (!total || !hmax)
		return 0;
	x = (uint32_t)(((uint64_t)tx * (total - 1) + VIREO_TABLET_MAX / 2) /
		       VIREO_TABLET_MAX);
	y = (uint32_t)(((uint64_t)ty * (hmax - 1) + VIREO_TABLET_MAX / 2) /
		       VIREO_TABLET_MAX);
	for (; head < card.nheads; head++) {
		uint32_t w =
		    card.head[head].enabled ? card.head[head].width : 0;

		if (x < w)
			break;
		x -= w;
	}
	com_puts("usb: tablet ");
	com_put_pointer((int32_t)x, (int32_t)y, b, head);
	card_move_crosshair(&card, head, (int)x, (int)y);
	return 1;
}

/* What was just drawn is complete: the display shows it now, not at its
 * next tick (vireo_hw.h). */
static void
present(void)
{
	mmio_write32(disp_regs + VIREO_DISP_REG_PRESENT, 1);
}

/* ---- main -----------------------------------------------------------------
 */

static void
draw_frame_all(void)
{
	for (uint32_t i = 0; i < card.nheads; i++)
		if (card.head[i].enabled)
			card_draw_frame(&card, i);
}

void testcard_main(void);

void
testcard_main(void)
{
	const struct vireo_boot_info *bi =
	    (const struct vireo_boot_info *)(uintptr_t)VIREO_GPA_BOOTINFO;
	uint64_t tsc_khz = bi->tsc_khz ? bi->tsc_khz : 1000000;
	uint64_t fps =
	    card_has_option(bi->cmdline, "fps60") ? 60 : TESTCARD_FPS;
	uint64_t period = tsc_khz * 1000 / fps, next;

	if (!display_find(card_has_option(bi->cmdline, "movebars"))) {
		com_puts("testcard: no vireo display device\n");
		poweroff();
	}
	card.nheads = mmio_read32(disp_regs + VIREO_DISP_REG_HEADS);
	vram_per_head = mmio_read32(disp_regs + VIREO_DISP_REG_VRAM_PER_HEAD);
	if (card.nheads > 16)
		card.nheads = 16;
	card.frame = 1;
	if (card_has_option(bi->cmdline, "desktop"))
		card.scene = TESTCARD_SCENE_DESKTOP;
	for (uint32_t i = 0; i < card.nheads; i++) {
		head_load(i);
		card.head[i].cross_x = card.head[i].cross_y = -1;
		mode_seq[i] = mmio_read32(head_reg(i, VIREO_DISP_H_REQ_SEQ));
		if (card.head[i].enabled)
			card_draw_full(&card, i);
	}
	print_rtc();
	com2_probe();
	usb_probe(tsc_khz);
	if (card_has_option(bi->cmdline, "raw8042"))
		raw8042_setup();
	com_puts(TESTCARD_READY_PREFIX);
	com_putu(card.nheads);
	com_putc('\n');
	if (card_has_option(bi->cmdline, "triplefault"))
		__asm__ volatile("ud2"); /* no IDT: #UD -> #DF -> shutdown */
	if (card_has_option(bi->cmdline, "poweroff"))
		poweroff();
	/* reset once, through the keyboard controller or port 0xcf9 */
	if (card_has_option(bi->cmdline, "reset") && bi->boot_count == 0)
		outb(VIREO_PORT_I8042_CMD, 0xfe);
	if (card_has_option(bi->cmdline, "resetcf9") && bi->boot_count == 0)
		outb(VIREO_PORT_RESET, 0x06);

	next = rdtsc() + period;
	for (;;) {
		uint64_t now;

		int echoed = poll_keyboard();

		poll_serial();
		echoed |= poll_pointer();
		echoed |= poll_tablet();
		if (echoed)
			present();
		usb_poll();
		poll_modes();
		now = rdtsc();
		if (now >= next) {
			card.frame++;
			draw_frame_all();
			present();
			next += period;
			if (next <= now) /* after a pause: no catching up */
				next = now + period;
			continue;
		}
		outl(VIREO_PORT_IDLE,
		     (uint32_t)((next - now) * 1000 / tsc_khz) + 1);
	}
}
