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
		/* 30 and 60 are the bench's scenes; a low rate lets a
		 * measurement get every frame on a busy machine, so that
		 * bytes per frame do not depend on which frames merged */
		if (sscanf(val, "%u%c", fps, &(char){0}) != 1 || *fps < 1 ||
		    *fps > 60) {
			fprintf(stderr, "--fps %s: 1 to 60\n", val);
			return -1;
		}
	} else if (!strcmp(val, "card") || !strcmp(val, "desktop")) {
		c->scene = val[0] == 'c' ? TESTCARD_SCENE_CARD
					 : TESTCARD_SCENE_DESKTOP;
	} else {
		fprintf(stderr, "--scene %s: card or desktop\n", val);
		return -1;
	}
	return 1;
}
