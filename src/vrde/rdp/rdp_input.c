/*
 * rdp_input.c - RDP input events to vrde_input_event: set-1 scancodes with
 * their E0/E1 prefixes, Unicode characters through a US layout table,
 * absolute pointer with buttons, both wheels and the extended buttons, and
 * lock-key synchronisation.  Everything goes to the host's input() with
 * the screen the client looks at; Client/DisableInput drops it all.
 */
#include "config.h"

#include <string.h>

#include <freerdp/freerdp.h>
#include <freerdp/input.h>

#include "rdp.h"

#define RDP_SHIFT     0x100
#define RDP_SC_LSHIFT 0x2a

static void
rdp_input_emit(struct rdp_client *c, const struct vrde_input_event *ev)
{
	struct rdp_server *srv = c->srv;

	if (srv->disable_input || !c->logged_on || !srv->core.host.cb->input)
		return;
	srv->core.host.cb->input(srv->core.host.ctx, c->vc.id, c->vc.screen,
				 ev);
}

static void
rdp_input_key(struct rdp_client *c, uint8_t sc, uint16_t flags)
{
	struct vrde_input_event ev = {.type = VRDE_INPUT_SCANCODE};

	ev.u.key.scancode = sc & 0x7f;
	ev.u.key.flags = flags;
	rdp_input_emit(c, &ev);
}

static BOOL
rdp_cb_keyboard(rdpInput *input, UINT16 flags, UINT16 code)
{
	struct rdp_client *c = (struct rdp_client *)input->context;
	uint16_t f = 0;

	if (flags & KBD_FLAGS_RELEASE)
		f |= VRDE_KEY_RELEASE;
	if (flags & KBD_FLAGS_EXTENDED)
		f |= VRDE_KEY_E0;
	if (flags & KBD_FLAGS_EXTENDED1)
		f |= VRDE_KEY_E1;
	rdp_input_key(c, (uint8_t)code, f);
	return TRUE;
}

/* US layout: printable ASCII to scancode, RDP_SHIFT when shifted. */
static const uint16_t rdp_ascii_sc[128] = {
    ['\b'] = 0x0e, ['\t'] = 0x0f, ['\r'] = 0x1c, ['\n'] = 0x1c, [27] = 0x01,
    [' '] = 0x39,

    ['1'] = 0x02,  ['2'] = 0x03,  ['3'] = 0x04,	 ['4'] = 0x05,	['5'] = 0x06,
    ['6'] = 0x07,  ['7'] = 0x08,  ['8'] = 0x09,	 ['9'] = 0x0a,	['0'] = 0x0b,
    ['-'] = 0x0c,  ['='] = 0x0d,  ['!'] = 0x102, ['@'] = 0x103, ['#'] = 0x104,
    ['$'] = 0x105, ['%'] = 0x106, ['^'] = 0x107, ['&'] = 0x108, ['*'] = 0x109,
    ['('] = 0x10a, [')'] = 0x10b, ['_'] = 0x10c, ['+'] = 0x10d,

    ['q'] = 0x10,  ['w'] = 0x11,  ['e'] = 0x12,	 ['r'] = 0x13,	['t'] = 0x14,
    ['y'] = 0x15,  ['u'] = 0x16,  ['i'] = 0x17,	 ['o'] = 0x18,	['p'] = 0x19,
    ['['] = 0x1a,  [']'] = 0x1b,  ['{'] = 0x11a, ['}'] = 0x11b,

    ['a'] = 0x1e,  ['s'] = 0x1f,  ['d'] = 0x20,	 ['f'] = 0x21,	['g'] = 0x22,
    ['h'] = 0x23,  ['j'] = 0x24,  ['k'] = 0x25,	 ['l'] = 0x26,	[';'] = 0x27,
    ['\''] = 0x28, ['`'] = 0x29,  [':'] = 0x127, ['"'] = 0x128, ['~'] = 0x129,
    ['\\'] = 0x2b, ['|'] = 0x12b,

    ['z'] = 0x2c,  ['x'] = 0x2d,  ['c'] = 0x2e,	 ['v'] = 0x2f,	['b'] = 0x30,
    ['n'] = 0x31,  ['m'] = 0x32,  [','] = 0x33,	 ['.'] = 0x34,	['/'] = 0x35,
    ['<'] = 0x133, ['>'] = 0x134, ['?'] = 0x135,
};

int
rdp_input_unicode_to_scancode(uint16_t cu)
{
	if (cu >= 'A' && cu <= 'Z')
		return rdp_ascii_sc[cu - 'A' + 'a'] | RDP_SHIFT;
	if (cu < 128)
		return rdp_ascii_sc[cu];
	return 0;
}

static BOOL
rdp_cb_unicode(rdpInput *input, UINT16 flags, UINT16 code)
{
	struct rdp_client *c = (struct rdp_client *)input->context;
	bool up = flags & KBD_FLAGS_RELEASE;
	int sc = rdp_input_unicode_to_scancode(code);

	if (!sc) {
		rdp_debug(c->srv, "client %u: no scancode for U+%04X", c->vc.id,
			  code);
		return TRUE;
	}
	if ((sc & RDP_SHIFT) && !up)
		rdp_input_key(c, RDP_SC_LSHIFT, 0);
	rdp_input_key(c, (uint8_t)sc, up ? VRDE_KEY_RELEASE : 0);
	if ((sc & RDP_SHIFT) && up)
		rdp_input_key(c, RDP_SC_LSHIFT, VRDE_KEY_RELEASE);
	return TRUE;
}

static BOOL
rdp_cb_sync(rdpInput *input, UINT32 flags)
{
	struct rdp_client *c = (struct rdp_client *)input->context;
	struct vrde_input_event ev = {.type = VRDE_INPUT_SYNC};

	if (flags & KBD_SYNC_SCROLL_LOCK)
		ev.u.sync.locks |= VRDE_LOCK_SCROLL;
	if (flags & KBD_SYNC_NUM_LOCK)
		ev.u.sync.locks |= VRDE_LOCK_NUM;
	if (flags & KBD_SYNC_CAPS_LOCK)
		ev.u.sync.locks |= VRDE_LOCK_CAPS;
	if (flags & KBD_SYNC_KANA_LOCK)
		ev.u.sync.locks |= VRDE_LOCK_KANA;
	rdp_input_emit(c, &ev);
	return TRUE;
}

/* 9-bit two's complement rotation, 120 per notch. */
static int32_t
rdp_wheel_notches(UINT16 flags)
{
	int32_t rot = flags & 0x01ff;

	if (rot & 0x100)
		rot -= 0x200;
	if (rot > 0 && rot < 120)
		return 1;
	if (rot < 0 && rot > -120)
		return -1;
	return rot / 120;
}

static void
rdp_pointer_emit(struct rdp_client *c, int32_t x, int32_t y, int32_t wheel,
		 int32_t hwheel)
{
	struct vrde_input_event ev = {.type = VRDE_INPUT_POINTER};

	ev.u.pointer.x = x;
	ev.u.pointer.y = y;
	ev.u.pointer.buttons = c->buttons;
	ev.u.pointer.wheel = wheel;
	ev.u.pointer.hwheel = hwheel;
	rdp_input_emit(c, &ev);
}

static void
rdp_button(struct rdp_client *c, bool down, uint32_t bit)
{
	if (down)
		c->buttons |= bit;
	else
		c->buttons &= ~bit;
}

/* Which pointer flag is which button, for the standard and the
 * extended mouse event. */
struct rdp_button_flag {
	UINT16 flag;
	uint32_t button;
};

static const struct rdp_button_flag rdp_mouse_buttons[] = {
    {PTR_FLAGS_BUTTON1, VRDE_BUTTON_LEFT},
    {PTR_FLAGS_BUTTON2, VRDE_BUTTON_RIGHT},
    {PTR_FLAGS_BUTTON3, VRDE_BUTTON_MIDDLE},
    {0, 0},
};

static const struct rdp_button_flag rdp_xmouse_buttons[] = {
    {PTR_XFLAGS_BUTTON1, VRDE_BUTTON_X1},
    {PTR_XFLAGS_BUTTON2, VRDE_BUTTON_X2},
    {0, 0},
};

/* The buttons of @map that @flags name went down (@down) or up. */
static void
rdp_buttons(struct rdp_client *c, UINT16 flags, bool down,
	    const struct rdp_button_flag *map)
{
	for (; map->flag; map++)
		if (flags & map->flag)
			rdp_button(c, down, map->button);
}

static BOOL
rdp_cb_mouse(rdpInput *input, UINT16 flags, UINT16 x, UINT16 y)
{
	struct rdp_client *c = (struct rdp_client *)input->context;
	bool down = flags & PTR_FLAGS_DOWN;
	int32_t wheel = 0, hwheel = 0;

	if (flags & PTR_FLAGS_WHEEL) {
		wheel = rdp_wheel_notches(flags);
	} else if (flags & PTR_FLAGS_HWHEEL) {
		hwheel = rdp_wheel_notches(flags);
	} else {
		c->last_x = x;
		c->last_y = y;
	}
	rdp_buttons(c, flags, down, rdp_mouse_buttons);
	rdp_pointer_emit(c, c->last_x, c->last_y, wheel, hwheel);
	return TRUE;
}

static BOOL
rdp_cb_xmouse(rdpInput *input, UINT16 flags, UINT16 x, UINT16 y)
{
	struct rdp_client *c = (struct rdp_client *)input->context;
	bool down = flags & PTR_XFLAGS_DOWN;

	c->last_x = x;
	c->last_y = y;
	rdp_buttons(c, flags, down, rdp_xmouse_buttons);
	rdp_pointer_emit(c, x, y, 0, 0);
	return TRUE;
}

void
rdp_input_register(struct rdp_client *c)
{
	rdpInput *in = c->peer->input;

	in->KeyboardEvent = rdp_cb_keyboard;
	in->UnicodeKeyboardEvent = rdp_cb_unicode;
	in->SynchronizeEvent = rdp_cb_sync;
	in->MouseEvent = rdp_cb_mouse;
	in->ExtendedMouseEvent = rdp_cb_xmouse;
}
