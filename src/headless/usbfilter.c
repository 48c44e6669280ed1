/*
 * usbfilter.c - the value grammar of USB device filter fields: numeric
 * expressions for ids and revision, wildcards for strings (usbfilter.h).
 * The values come from the .vbox file; both matchers are bounded (no
 * recursion: a pattern of many stars cannot take exponential time).
 */
#include "config.h"

#include <stdlib.h>

#include "usbfilter.h"

static bool
usbfilter_xdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* One hex number (optional 0x) at *@p, up to 0xffff. */
static bool
usbfilter_hex(const char **p, unsigned *v)
{
	const char *s = *p;
	unsigned n = 0;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    usbfilter_xdigit(s[2]))
		s += 2;
	for (; usbfilter_xdigit(*s); s++, digits++) {
		n = n * 16 + (unsigned)(*s <= '9'   ? *s - '0'
					: *s <= 'F' ? *s - 'A' + 10
						    : *s - 'a' + 10);
		if (n > 0xffff)
			return false;
	}
	if (!digits)
		return false;
	*v = n;
	*p = s;
	return true;
}

static const char *
usbfilter_spaces(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

bool
usbfilter_num_match(const char *expr, unsigned v, bool *bad)
{
	const char *p = expr;
	bool hit = false;

	if (!p || !*p)
		return true;
	for (;;) {
		unsigned lo = 0, hi = 0xffff;

		p = usbfilter_spaces(p);
		if (*p != '-' && !usbfilter_hex(&p, &lo))
			break;
		if (*p == '-') {
			p = usbfilter_spaces(p + 1);
			if (*p && *p != '|' && *p != ',' &&
			    !usbfilter_hex(&p, &hi))
				break;
		} else {
			hi = lo;
		}
		p = usbfilter_spaces(p);
		hit |= v >= lo && v <= hi;
		if (!*p)
			return hit; /* the whole expression is well formed */
		if (*p != '|' && *p != ',')
			break;
		p++;
	}
	*bad = true;
	return false;
}

bool
usbfilter_str_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	if (!pat || !*pat)
		return true;
	if (!s)
		s = "";
	/* the last '*' seen absorbs one more byte on each mismatch */
	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat && (*pat == '?' || *pat == *s)) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}
