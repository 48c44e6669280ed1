/*
 * portlist.c - the TCP/Ports grammar (portlist.h).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "portlist.h"

static bool
portlist_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One port number with the blanks around it; advances *@p past them. */
static int
portlist_num(const char **p, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	while (portlist_blank(**p))
		(*p)++;
	for (; **p >= '0' && **p <= '9'; (*p)++, digits++) {
		v = v * 10 + (unsigned)(**p - '0');
		if (v > 65535)
			return -EINVAL;
	}
	while (portlist_blank(**p))
		(*p)++;
	if (!digits || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

bool
portlist_is_default(const char *spec)
{
	return spec && (!strcmp(spec, "default") || !strcmp(spec, "0"));
}

int
portlist_parse(const char *spec, uint16_t *ports, int max)
{
	const char *p = spec;
	unsigned a, b;
	int n = 0;

	if (!spec || max < 1)
		return -EINVAL;
	if (portlist_is_default(spec)) {
		ports[0] = PORTLIST_DEFAULT;
		return 1;
	}
	for (;;) {
		if (portlist_num(&p, &a) < 0)
			return -EINVAL;
		b = a;
		if (*p == '-') {
			p++;
			if (portlist_num(&p, &b) < 0)
				return -EINVAL;
		}
		if (b < a)
			return -EINVAL;
		for (; a <= b && n < max; a++)
			ports[n++] = (uint16_t)a;
		if (*p == '\0')
			return n;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}

bool
portlist_valid(const char *spec)
{
	uint16_t one;

	return portlist_parse(spec, &one, 1) > 0;
}
