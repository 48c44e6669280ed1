/*
 * dev_isa_i8042.c - the i8042 keyboard controller with a PS/2 keyboard
 * (IRQ 1) and a PS/2 mouse (IRQ 12), ports 0x60/0x64.
 *
 * Host keys arrive as scancode set 1.  A real keyboard speaks set 2 and
 * the controller translates it to set 1 while command-byte bit 6 is set,
 * so with translation on we queue set 1 as is, and with it off we send
 * what the keyboard itself would: set 2 (the inverse of the translation).
 * Command 0xfe (pulse the reset line) and output-port bit 0 = 0 reset the
 * VM.  Every byte raises a fresh IRQ edge, one byte per interrupt, as the
 * Linux driver expects.
 */
#define LOG_TAG "i8042"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmm_internal.h"

#define KBD_QUEUE     1024
#define KBD_IRQ	      1
#define AUX_IRQ	      12
#define CMD_KBD_INT   0x01
#define CMD_AUX_INT   0x02
#define CMD_KBD_OFF   0x10
#define CMD_AUX_OFF   0x20
#define CMD_TRANSLATE 0x40

/* set 1 make code -> set 2 make code, 0 = no key */
static const uint8_t kbd_set1_to_set2[0x59] = {
    0x00, 0x76, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45,
    0x4e, 0x55, 0x66, 0x0d, 0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43,
    0x44, 0x4d, 0x54, 0x5b, 0x5a, 0x14, 0x1c, 0x1b, 0x23, 0x2b, 0x34, 0x33,
    0x3b, 0x42, 0x4b, 0x4c, 0x52, 0x0e, 0x12, 0x5d, 0x1a, 0x22, 0x21, 0x2a,
    0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x7c, 0x11, 0x29, 0x58, 0x05,
    0x06, 0x04, 0x0c, 0x03, 0x0b, 0x83, 0x0a, 0x01, 0x09, 0x77, 0x7e, 0x6c,
    0x75, 0x7d, 0x7b, 0x6b, 0x73, 0x74, 0x79, 0x69, 0x72, 0x7a, 0x70, 0x71,
    0x84, 0x00, 0x61, 0x78, 0x07,
};

struct kbd_softc {
	struct vmm *vm;
	pthread_mutex_t lock;
	uint8_t q[KBD_QUEUE];
	bool q_aux[KBD_QUEUE];
	uint32_t head, count;
	uint8_t cmd;	   /* controller command byte */
	uint8_t pending;   /* controller command waiting for its data byte */
	uint8_t kbd_param; /* keyboard command waiting for its parameter */
	uint8_t aux_param; /* mouse command waiting for its parameter */
	bool kbd_scan;	   /* keyboard scanning enabled (0xf4/0xf5) */
	bool aux_report;   /* mouse data reporting enabled */
	uint8_t aux_rate, aux_res, aux_scaling;
	int irq1, irq12;
};

static void
kbd_push(struct kbd_softc *sc, uint8_t b, bool aux)
{
	uint32_t i;

	if (sc->count == KBD_QUEUE)
		return; /* a full keyboard buffer drops, as hardware does */
	i = (sc->head + sc->count) % KBD_QUEUE;
	sc->q[i] = b;
	sc->q_aux[i] = aux;
	sc->count++;
}

static void
kbd_update_irq(struct kbd_softc *sc)
{
	int k = 0, a = 0;

	if (sc->count) {
		if (sc->q_aux[sc->head])
			a = !!(sc->cmd & CMD_AUX_INT);
		else
			k = !!(sc->cmd & CMD_KBD_INT);
	}
	if (k != sc->irq1)
		vmm_irq_line(sc->vm, KBD_IRQ, sc->irq1 = k);
	if (a != sc->irq12)
		vmm_irq_line(sc->vm, AUX_IRQ, sc->irq12 = a);
}

static void
kbd_device_cmd(struct kbd_softc *sc, uint8_t v)
{
	if (sc->kbd_param) {
		if (sc->kbd_param == 0xf0 && v == 0) {
			kbd_push(sc, 0xfa, false);
			kbd_push(sc, (sc->cmd & CMD_TRANSLATE) ? 0x41 : 0x02,
				 false);
		} else {
			kbd_push(sc, 0xfa, false);
		}
		sc->kbd_param = 0;
		return;
	}
	switch (v) {
	case 0xed: /* LEDs */
	case 0xf0: /* scancode set */
	case 0xf3: /* typematic */
		sc->kbd_param = v;
		kbd_push(sc, 0xfa, false);
		break;
	case 0xee:
		kbd_push(sc, 0xee, false);
		break;
	case 0xf2:
		kbd_push(sc, 0xfa, false);
		kbd_push(sc, 0xab, false);
		kbd_push(sc, (sc->cmd & CMD_TRANSLATE) ? 0x41 : 0x83, false);
		break;
	case 0xf4:
		sc->kbd_scan = true;
		kbd_push(sc, 0xfa, false);
		break;
	case 0xf5:
		sc->kbd_scan = false;
		kbd_push(sc, 0xfa, false);
		break;
	case 0xff:
		sc->kbd_scan = true;
		kbd_push(sc, 0xfa, false);
		kbd_push(sc, 0xaa, false);
		break;
	default:
		kbd_push(sc, 0xfa, false);
		break;
	}
}

static void
kbd_aux_cmd(struct kbd_softc *sc, uint8_t v)
{
	if (sc->aux_param) {
		if (sc->aux_param == 0xf3)
			sc->aux_rate = v;
		else
			sc->aux_res = v;
		sc->aux_param = 0;
		kbd_push(sc, 0xfa, true);
		return;
	}
	kbd_push(sc, 0xfa, true);
	switch (v) {
	case 0xe6:
	case 0xe7:
		sc->aux_scaling = v == 0xe7;
		break;
	case 0xe8:
	case 0xf3:
		sc->aux_param = v;
		break;
	case 0xe9:
		kbd_push(sc, (sc->aux_report ? 0x20 : 0) | sc->aux_scaling << 4,
			 true);
		kbd_push(sc, sc->aux_res, true);
		kbd_push(sc, sc->aux_rate, true);
		break;
	case 0xf2:
		kbd_push(sc, 0x00, true);
		break;
	case 0xf4:
		sc->aux_report = true;
		break;
	case 0xf5:
		sc->aux_report = false;
		break;
	case 0xf6:
	case 0xff:
		sc->aux_report = false;
		sc->aux_rate = 100;
		sc->aux_res = 2;
		sc->aux_scaling = 0;
		if (v == 0xff) {
			kbd_push(sc, 0xaa, true);
			kbd_push(sc, 0x00, true);
		}
		break;
	default:
		break;
	}
}

/* A byte written to port 0x60: the data of a controller command, or a
 * command for the keyboard. */
static void
kbd_data_write(struct kbd_softc *sc, uint8_t v)
{
	uint8_t p = sc->pending;

	sc->pending = 0;
	switch (p) {
	case 0x60:
		sc->cmd = v;
		break;
	case 0xd1:
		if (!(v & 1))
			vmm_request_reset(sc->vm);
		break;
	case 0xd2:
		kbd_push(sc, v, false);
		break;
	case 0xd3:
		kbd_push(sc, v, true);
		break;
	case 0xd4:
		kbd_aux_cmd(sc, v);
		break;
	default:
		kbd_device_cmd(sc, v);
		break;
	}
}

static void
kbd_ctrl_cmd(struct kbd_softc *sc, uint8_t v)
{
	switch (v) {
	case 0x20:
		kbd_push(sc, sc->cmd, false);
		break;
	case 0x60:
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		sc->pending = v;
		break;
	case 0xa7: /* aux port off */
	case 0xa8: /* on */
		sc->cmd =
		    v == 0xa7 ? sc->cmd | CMD_AUX_OFF : sc->cmd & ~CMD_AUX_OFF;
		break;
	case 0xad: /* keyboard port off */
	case 0xae: /* on */
		sc->cmd =
		    v == 0xad ? sc->cmd | CMD_KBD_OFF : sc->cmd & ~CMD_KBD_OFF;
		break;
	case 0xa9: /* interface tests: passed */
	case 0xab:
	case 0xc0: /* input port: all low */
		kbd_push(sc, 0x00, false);
		break;
	case 0xaa:
		kbd_push(sc, 0x55, false); /* self test passed */
		break;
	case 0xd0:
		kbd_push(sc, 0x01, false); /* output port: not in reset */
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 low = CPU reset */
		if (v >= 0xf0 && !(v & 1))
			vmm_request_reset(sc->vm);
		break;
	}
}

static void
kbd_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct kbd_softc *sc = dev;
	uint8_t v;

	pthread_mutex_lock(&sc->lock);
	if (addr == 0) {
		v = sc->count ? sc->q[sc->head] : 0;
		if (sc->count) {
			sc->head = (sc->head + 1) % KBD_QUEUE;
			sc->count--;
			/* drop the line so the next byte is a new edge */
			if (sc->irq1)
				vmm_irq_line(sc->vm, KBD_IRQ, sc->irq1 = 0);
			if (sc->irq12)
				vmm_irq_line(sc->vm, AUX_IRQ, sc->irq12 = 0);
		}
	} else if (addr == 4) {
		v = 0x14; /* unlocked, system flag */
		if (sc->count)
			v |= 0x01 | (sc->q_aux[sc->head] ? 0x20 : 0);
		if (sc->pending)
			v |= 0x08;
	} else {
		v = 0xff;
	}
	kbd_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	memset(data, v, len);
}

static void
kbd_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct kbd_softc *sc = dev;

	pthread_mutex_lock(&sc->lock);
	if (addr == 0)
		kbd_data_write(sc, data[0]);
	else if (addr == 4)
		kbd_ctrl_cmd(sc, data[0]);
	kbd_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
}

static const struct vmm_io_ops kbd_io = {
    .read = kbd_read,
    .write = kbd_write,
};

/* Whether set-1 key @code reaches the guest: as is when the controller
 * translates, else when set 2 has it. */
static bool
kbd_key_known(const struct kbd_softc *sc, uint8_t code)
{
	return (sc->cmd & CMD_TRANSLATE) ||
	       (code < sizeof(kbd_set1_to_set2) && kbd_set1_to_set2[code]);
}

/* Set-1 key @code (no prefix) in the set the guest reads. */
static void
kbd_push_key(struct kbd_softc *sc, uint8_t code, bool release)
{
	if (!kbd_key_known(sc, code))
		return;
	if (sc->cmd & CMD_TRANSLATE) {
		kbd_push(sc, code | (release ? 0x80 : 0), false);
		return;
	}
	if (release)
		kbd_push(sc, 0xf0, false);
	kbd_push(sc, kbd_set1_to_set2[code], false);
}

int
vmm_i8042_key(void *kbd, uint8_t code, bool e0, bool release)
{
	struct kbd_softc *sc = kbd;

	if (!sc || code == 0 || code > 0x7f)
		return -EINVAL;
	pthread_mutex_lock(&sc->lock);
	if (sc->kbd_scan && kbd_key_known(sc, code)) {
		if (e0)
			kbd_push(sc, 0xe0, false);
		kbd_push_key(sc, code, release);
	}
	kbd_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	vmm_guest_event(sc->vm);
	return 0;
}

/* Raw set-1 bytes (what VBoxManage keyboardputscancode sends): E0/E1
 * prefixes pass, bit 7 is a release. */
int
vmm_i8042_scancodes(void *kbd, const uint8_t *codes, size_t n)
{
	struct kbd_softc *sc = kbd;

	if (!sc)
		return -EINVAL;
	pthread_mutex_lock(&sc->lock);
	for (size_t i = 0; i < n && sc->kbd_scan; i++) {
		uint8_t b = codes[i];

		if (b == 0xe0 || b == 0xe1 || (sc->cmd & CMD_TRANSLATE))
			kbd_push(sc, b, false);
		else
			kbd_push_key(sc, b & 0x7f, b & 0x80);
	}
	kbd_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
	vmm_guest_event(sc->vm);
	return 0;
}

static int
kbd_clamp(int v)
{
	return v > 255 ? 255 : v < -255 ? -255 : v;
}

/* Relative motion for the PS/2 mouse (standard 3-byte packets). */
void
vmm_i8042_mouse(void *kbd, int dx, int dy, uint32_t buttons, int wheel)
{
	struct kbd_softc *sc = kbd;

	(void)wheel;
	if (!sc)
		return;
	pthread_mutex_lock(&sc->lock);
	if (sc->aux_report && !(sc->cmd & CMD_AUX_OFF)) {
		int x = kbd_clamp(dx), y = kbd_clamp(-dy); /* PS/2: y up */

		kbd_push(sc,
			 0x08 | (buttons & 1) | ((buttons & 2) ? 2 : 0) |
			     ((buttons & 4) ? 4 : 0) | (x < 0 ? 0x10 : 0) |
			     (y < 0 ? 0x20 : 0),
			 true);
		kbd_push(sc, (uint8_t)x, true);
		kbd_push(sc, (uint8_t)y, true);
	}
	kbd_update_irq(sc);
	pthread_mutex_unlock(&sc->lock);
}

static void
kbd_reset(void *state)
{
	struct kbd_softc *sc = state;

	pthread_mutex_lock(&sc->lock);
	sc->head = sc->count = 0;
	sc->cmd = CMD_KBD_INT | CMD_AUX_INT | 0x04 | CMD_TRANSLATE;
	sc->pending = sc->kbd_param = sc->aux_param = 0;
	sc->kbd_scan = true;
	sc->aux_report = false;
	sc->aux_rate = 100;
	sc->aux_res = 2;
	sc->aux_scaling = 0;
	sc->irq1 = sc->irq12 = 0;
	pthread_mutex_unlock(&sc->lock);
}

static int
kbd_init(struct vmm *vm, void **state)
{
	struct kbd_softc *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return -ENOMEM;
	sc->vm = vm;
	pthread_mutex_init(&sc->lock, NULL);
	kbd_reset(sc);
	*state = sc;
	vm->kbd = sc;
	/* 0x60-0x64; 0x61 (speaker) is taken by the in-kernel PIT first */
	r = vmm_bus_add(&vm->pio, VIREO_PORT_I8042_DATA, 5, &kbd_io, sc);
	return r;
}

static void
kbd_destroy(void *state)
{
	free(state);
}

/* Saved state, version 1: the controller and both devices' settings,
 * and the bytes queued for the guest (keys typed, mouse packets, command
 * answers), oldest first, each with the device it came from. */
#define KBD_STATE_VERSION 1

static void
kbd_save(void *state, struct vmm_sw *w)
{
	struct kbd_softc *sc = state;

	pthread_mutex_lock(&sc->lock);
	vmm_sw_u8(w, sc->cmd);
	vmm_sw_u8(w, sc->pending);
	vmm_sw_u8(w, sc->kbd_param);
	vmm_sw_u8(w, sc->aux_param);
	vmm_sw_u8(w, sc->kbd_scan);
	vmm_sw_u8(w, sc->aux_report);
	vmm_sw_u8(w, sc->aux_rate);
	vmm_sw_u8(w, sc->aux_res);
	vmm_sw_u8(w, sc->aux_scaling);
	vmm_sw_u8(w, (uint8_t)sc->irq1);
	vmm_sw_u8(w, (uint8_t)sc->irq12);
	vmm_sw_u32(w, sc->count);
	for (uint32_t i = 0; i < sc->count; i++) {
		uint32_t k = (sc->head + i) % KBD_QUEUE;

		vmm_sw_u8(w, sc->q[k]);
		vmm_sw_u8(w, sc->q_aux[k]);
	}
	pthread_mutex_unlock(&sc->lock);
}

static int
kbd_load(void *state, struct vmm_sr *r, char *err, size_t errlen)
{
	struct kbd_softc *sc = state;
	int rc = 0;

	pthread_mutex_lock(&sc->lock);
	sc->cmd = vmm_sr_u8(r);
	sc->pending = vmm_sr_u8(r);
	sc->kbd_param = vmm_sr_u8(r);
	sc->aux_param = vmm_sr_u8(r);
	sc->kbd_scan = vmm_sr_u8(r) != 0;
	sc->aux_report = vmm_sr_u8(r) != 0;
	sc->aux_rate = vmm_sr_u8(r);
	sc->aux_res = vmm_sr_u8(r);
	sc->aux_scaling = vmm_sr_u8(r) != 0;
	sc->irq1 = vmm_sr_u8(r) != 0;
	sc->irq12 = vmm_sr_u8(r) != 0;
	sc->head = 0;
	sc->count = vmm_sr_u32(r);
	if (sc->count > KBD_QUEUE) {
		snprintf(err, errlen, "%u queued bytes (at most %d)", sc->count,
			 KBD_QUEUE);
		sc->count = 0;
		rc = -EPROTO;
	}
	for (uint32_t i = 0; i < sc->count; i++) {
		sc->q[i] = vmm_sr_u8(r);
		sc->q_aux[i] = vmm_sr_u8(r) != 0;
	}
	pthread_mutex_unlock(&sc->lock);
	return rc ? rc : r->err;
}

const struct vmm_device_ops i8042_dev = {
    .name = "i8042",
    .phase = VMM_PHASE_DEV,
    .init = kbd_init,
    .reset = kbd_reset,
    .destroy = kbd_destroy,
    .tag = "KBD ",
    .version = KBD_STATE_VERSION,
    .save = kbd_save,
    .load = kbd_load,
};
