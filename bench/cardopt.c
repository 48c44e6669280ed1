/*
 * cardopt.c - parses the scene and frame-rate options of card-host and
 * xanim (cardopt.h).
 */
#include <stdio.h>
#include <string.h>

#include "cardopt.h"

int
cardopt_parse(struct card *c, unsigned *fps, int argc, char **argv, int *i)
{
	const char *opt = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (strcmp(opt, "--scene") && strcmp(opt, "--fps"))
		return 0;
	if (!val) {
		fprintf(stderr, "%s: needs a value\n", opt);
		return -1;
	}
	(*i)++;
	if (!strcmp(opt, "--fps")) {
		if (strcmp(val, "30") && strcmp(val, "60")) {
			fprintf(stderr, "--fps %s: 30 or 60\n", val);
			return -1;
		}
		*fps = val[0] == '3' ? 30 : 60;
	} else if (!strcmp(val, "card") || !strcmp(val, "desktop")) {
		c->scene = val[0] == 'c' ? TESTCARD_SCENE_CARD
					 : TESTCARD_SCENE_DESKTOP;
	} else {
		fprintf(stderr, "--scene %s: card or desktop\n", val);
		return -1;
	}
	return 1;
}
