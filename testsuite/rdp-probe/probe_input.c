/*
 * probe_input.c - the probe's keyboard and pointer sequences, sent with
 * FreeRDP's client input API exactly as a viewer would send them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/input.h>

#include "probe.h"

static int
probe_key_item(struct probe *p, const char *item)
{
	rdpInput *in = p->instance->input;
	bool press = true, release = true;
	UINT16 ext = 0;
	unsigned long code;
	char *end;

	if (!strncmp(item, "down:", 5)) {
		release = false;
		item += 5;
	} else if (!strncmp(item, "up:", 3)) {
		press = false;
		item += 3;
	}
	if (!strncmp(item, "e0:", 3)) {
		ext = KBD_FLAGS_EXTENDED;
		item += 3;
	} else if (!strncmp(item, "e1:", 3)) {
		ext = KBD_FLAGS_EXTENDED1;
		item += 3;
	}
	code = strtoul(item, &end, 16);
	if (end == item || (*end && *end != ',') || code > 0xff)
		return -EINVAL;
	if (press && !freerdp_input_send_keyboard_event(
			 in, KBD_FLAGS_DOWN | ext, (UINT16)code))
		return -EIO;
	if (release && !freerdp_input_send_keyboard_event(
			   in, KBD_FLAGS_RELEASE | ext, (UINT16)code))
		return -EIO;
	return 0;
}

int
probe_keys(struct probe *p, const char *spec)
{
	const char *s = spec;
	int rc;

	while (*s) {
		rc = probe_key_item(p, s);
		if (rc < 0)
			return rc;
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	return probe_pump(p, 50) ? 0 : -EIO;
}

/* Decode one UTF-8 sequence (BMP only). */
static int
probe_utf8(const unsigned char **s)
{
	const unsigned char *c = *s;

	if (c[0] < 0x80) {
		*s += 1;
		return c[0];
	}
	if ((c[0] & 0xe0) == 0xc0 && c[1]) {
		*s += 2;
		return (c[0] & 0x1f) << 6 | (c[1] & 0x3f);
	}
	if ((c[0] & 0xf0) == 0xe0 && c[1] && c[2]) {
		*s += 3;
		return (c[0] & 0x0f) << 12 | (c[1] & 0x3f) << 6 | (c[2] & 0x3f);
	}
	return -1;
}

int
probe_unicode(struct probe *p, const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	rdpInput *in = p->instance->input;
	int cu;

	while (*s) {
		cu = probe_utf8(&s);
		if (cu < 0)
			return -EINVAL;
		if (!freerdp_input_send_unicode_keyboard_event(in, 0,
							       (UINT16)cu) ||
		    !freerdp_input_send_unicode_keyboard_event(
			in, KBD_FLAGS_RELEASE, (UINT16)cu))
			return -EIO;
	}
	return probe_pump(p, 50) ? 0 : -EIO;
}

/* "X,Y[,BUTTON]"; @btn holds at least 8 bytes. */
static int
probe_xy(const char *spec, unsigned *x, unsigned *y, char *btn)
{
	btn[0] = '\0';
	return sscanf(spec, "%u,%u,%7s", x, y, btn);
}

int
probe_move(struct probe *p, const char *spec)
{
	unsigned x, y;
	char b[8];

	if (probe_xy(spec, &x, &y, b) < 2)
		return -EINVAL;
	if (!freerdp_input_send_mouse_event(p->instance->input, PTR_FLAGS_MOVE,
					    (UINT16)x, (UINT16)y))
		return -EIO;
	return probe_pump(p, 50) ? 0 : -EIO;
}

int
probe_click(struct probe *p, const char *spec)
{
	rdpInput *in = p->instance->input;
	unsigned x, y;
	UINT16 f = 0, xf = 0;
	char b[8];

	if (probe_xy(spec, &x, &y, b) != 3)
		return -EINVAL;
	if (!strcmp(b, "l"))
		f = PTR_FLAGS_BUTTON1;
	else if (!strcmp(b, "r"))
		f = PTR_FLAGS_BUTTON2;
	else if (!strcmp(b, "m"))
		f = PTR_FLAGS_BUTTON3;
	else if (!strcmp(b, "x1"))
		xf = PTR_XFLAGS_BUTTON1;
	else if (!strcmp(b, "x2"))
		xf = PTR_XFLAGS_BUTTON2;
	else
		return -EINVAL;
	if (f) {
		if (!freerdp_input_send_mouse_event(in, PTR_FLAGS_DOWN | f,
						    (UINT16)x, (UINT16)y) ||
		    !freerdp_input_send_mouse_event(in, f, (UINT16)x,
						    (UINT16)y))
			return -EIO;
	} else if (!freerdp_input_send_extended_mouse_event(
		       in, PTR_XFLAGS_DOWN | xf, (UINT16)x, (UINT16)y) ||
		   !freerdp_input_send_extended_mouse_event(in, xf, (UINT16)x,
							    (UINT16)y)) {
		return -EIO;
	}
	return probe_pump(p, 50) ? 0 : -EIO;
}

int
probe_wheel(struct probe *p, int notches, bool horizontal)
{
	int rot = notches * 120;
	UINT16 f = horizontal ? PTR_FLAGS_HWHEEL : PTR_FLAGS_WHEEL;

	if (rot < -255 || rot > 255)
		return -EINVAL;
	if (rot < 0)
		f |= PTR_FLAGS_WHEEL_NEGATIVE | (UINT16)(rot & 0xff);
	else
		f |= (UINT16)rot;
	if (!freerdp_input_send_mouse_event(p->instance->input, f, 0, 0))
		return -EIO;
	return probe_pump(p, 50) ? 0 : -EIO;
}

int
probe_sync(struct probe *p, unsigned locks)
{
	if (!freerdp_input_send_synchronize_event(p->instance->input, locks))
		return -EIO;
	return probe_pump(p, 50) ? 0 : -EIO;
}
