/*
 * test-portlist.c - the TCP/Ports grammar (src/util/portlist.c) that the
 * RDP module, vireo-manage and the control socket share: what each valid
 * list expands to, and lists all three must refuse.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "portlist.h"
#include "tap.h"

struct good {
	const char *spec;
	int n;
	uint16_t first, last;
};

static const struct good goods[] = {
    {"default", 1, 3389, 3389},	  {"0", 1, 3389, 3389},
    {"3389", 1, 3389, 3389},	  {"1", 1, 1, 1},
    {"65535", 1, 65535, 65535},	  {"5000,5010-5012", 4, 5000, 5012},
    {"5000-5000", 1, 5000, 5000}, {" 5000 , 5001 - 5002 ", 3, 5000, 5002},
    {"05000", 1, 5000, 5000},	  {"35000-35999", 8, 35000, 35007},
    {"1-65535", 8, 1, 8}, /* @max (8) ports kept */
};

static const char *const bads[] = {
    "",		  " ",	   ",",		"5000,",	  ",5000",
    "5000,,5001", "0-5",   "00",	"65536",	  "99999999999",
    "5002-5001",  "5000-", "-5000",	"5000--5001",	  "+5000",
    "5000 5001",  "50a0",  "Default",	"0,5000",	  "5000-0",
    "3389\n",	  "1e3",   "5000;5001", "5000-5001-5002",
};

int
main(void)
{
	size_t ngood = sizeof(goods) / sizeof(goods[0]);
	size_t nbad = sizeof(bads) / sizeof(bads[0]);
	uint16_t ports[8];

	tap_plan((int)(ngood * 2 + nbad + 3));
	for (size_t i = 0; i < ngood; i++) {
		const struct good *g = &goods[i];
		int n = portlist_parse(g->spec, ports, 8);

		tap_ok(n == g->n && ports[0] == g->first &&
			   ports[n - 1] == g->last,
		       "'%s' is %d port(s) %u..%u (got %d)", g->spec, g->n,
		       g->first, g->last, n);
		tap_ok(portlist_valid(g->spec), "'%s' is valid", g->spec);
	}
	for (size_t i = 0; i < nbad; i++)
		tap_ok(portlist_parse(bads[i], ports, 8) == -EINVAL &&
			   !portlist_valid(bads[i]),
		       "'%s' is refused", bads[i]);
	tap_ok(portlist_parse(NULL, ports, 8) == -EINVAL, "NULL is refused");
	tap_ok(portlist_is_default("default") && portlist_is_default("0") &&
		   !portlist_is_default("3389"),
	       "default and 0 name the default port");
	tap_ok(portlist_parse("5000,5001", ports, 1) == 1 && ports[0] == 5000,
	       "a list longer than @max is cut to @max");
	return tap_done();
}
