/*
 * input.c - client input to the guest's keyboard and pointer.
 *
 * Ctrl-Alt-Del arrives as one event and becomes the three key presses
 * and releases.  Lock-key synchronisation compares the client's Num/Caps/
 * Scroll state with what the guest was last told through keys the host
 * injected, and toggles the difference with a press and release of the
 * lock key (VirtualBox does the same).
 */
#define LOG_TAG "input"
#include "config.h"

#include <errno.h>

#include "headless.h"
#include "log.h"

#define INPUT_SC_CTRL	0x1d
#define INPUT_SC_ALT	0x38
#define INPUT_SC_DEL	0x53 /* with E0 */
#define INPUT_SC_CAPS	0x3a
#define INPUT_SC_NUM	0x45
#define INPUT_SC_SCROLL 0x46

static void
input_key(struct headless *hl, uint8_t code, bool e0, bool release)
{
	uint32_t bit = 0;

	if (!e0 && code == INPUT_SC_CAPS)
		bit = VRDE_LOCK_CAPS;
	else if (!e0 && code == INPUT_SC_NUM)
		bit = VRDE_LOCK_NUM;
	else if (!e0 && code == INPUT_SC_SCROLL)
		bit = VRDE_LOCK_SCROLL;
	if (bit && !release)
		__atomic_fetch_xor(&hl->guest_locks, bit, __ATOMIC_RELAXED);
	vmm_input_key(hl->vm, code, e0, release);
}

static void
input_tap(struct headless *hl, uint8_t code)
{
	input_key(hl, code, false, false);
	input_key(hl, code, false, true);
}

static void
input_sync(struct headless *hl, uint32_t want)
{
	static const struct {
		uint32_t bit;
		uint8_t code;
	} keys[] = {
	    {VRDE_LOCK_CAPS, INPUT_SC_CAPS},
	    {VRDE_LOCK_NUM, INPUT_SC_NUM},
	    {VRDE_LOCK_SCROLL, INPUT_SC_SCROLL},
	};
	uint32_t have = __atomic_load_n(&hl->guest_locks, __ATOMIC_RELAXED);

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		if ((have ^ want) & keys[i].bit)
			input_tap(hl, keys[i].code);
	}
}

static void
input_cad(struct headless *hl)
{
	input_key(hl, INPUT_SC_CTRL, false, false);
	input_key(hl, INPUT_SC_ALT, false, false);
	input_key(hl, INPUT_SC_DEL, true, false);
	input_key(hl, INPUT_SC_DEL, true, true);
	input_key(hl, INPUT_SC_ALT, false, true);
	input_key(hl, INPUT_SC_CTRL, false, true);
}

void
input_event(struct headless *hl, uint32_t screen,
	    const struct vrde_input_event *ev)
{
	switch (ev->type) {
	case VRDE_INPUT_SCANCODE:
		if (ev->u.key.flags & VRDE_KEY_E1) {
			log_debug("E1 key (Pause) not passed on");
			return;
		}
		if (ev->u.key.scancode == 0 || ev->u.key.scancode > 0x7f)
			return;
		input_key(hl, ev->u.key.scancode, ev->u.key.flags & VRDE_KEY_E0,
			  ev->u.key.flags & VRDE_KEY_RELEASE);
		break;
	case VRDE_INPUT_POINTER:
		if (screen >= hl->heads)
			return;
		vmm_input_pointer(hl->vm, screen, ev->u.pointer.x,
				  ev->u.pointer.y, ev->u.pointer.buttons & 7u,
				  ev->u.pointer.wheel, ev->u.pointer.hwheel);
		break;
	case VRDE_INPUT_CAD:
		input_cad(hl);
		break;
	case VRDE_INPUT_SYNC:
		input_sync(hl, ev->u.sync.locks);
		break;
	case VRDE_INPUT_RESET:
		log_warn("a client asked to reset the VM; refused (use "
			 "vireo-manage controlvm reset)");
		break;
	default:
		log_debug("unknown input event type %u", ev->type);
	}
}

int
input_scancodes(struct headless *hl, const uint8_t *codes, int n)
{
	bool e0 = false;

	for (int i = 0; i < n; i++) {
		if (codes[i] == 0xe0) {
			e0 = true;
			continue;
		}
		if ((codes[i] & 0x7f) == 0)
			return -EINVAL;
		input_key(hl, codes[i] & 0x7f, e0, codes[i] & 0x80);
		e0 = false;
	}
	return 0;
}
