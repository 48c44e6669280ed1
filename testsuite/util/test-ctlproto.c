/*
 * test-ctlproto.c - the control socket's request table (src/util/
 * ctlproto.c) that vireo-headless and vireo-manage share: which requests
 * it accepts and refuses, how lines split and join, and that the request
 * list in doc/conventions.md and the controlvm list in vireo-manage(1)
 * say what the table says.
 *
 *   test-ctlproto          the TAP test ($top_srcdir names the tree)
 *   test-ctlproto --doc    print the list for doc/conventions.md
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "tap.h"

#define DOC_BEGIN "<!-- ctlproto begin"
#define DOC_END	  "<!-- ctlproto end -->"

/* Requests as TAB-separated lines; good ones name their id. */
static const struct {
	const char *line;
	int id;		 /* -1: refused */
	const char *err; /* part of the refusal */
} cases[] = {
    {"info", CTLPROTO_INFO, NULL},
    {"pause", CTLPROTO_PAUSE, NULL},
    {"resume", CTLPROTO_RESUME, NULL},
    {"reset", CTLPROTO_RESET, NULL},
    {"poweroff", CTLPROTO_POWEROFF, NULL},
    {"acpipowerbutton", CTLPROTO_ACPIPOWERBUTTON, NULL},
    {"screenshotpng\t/tmp/a.png", CTLPROTO_SCREENSHOTPNG, NULL},
    {"screenshotpng\t/tmp/a.png\t63", CTLPROTO_SCREENSHOTPNG, NULL},
    {"vrde\ton", CTLPROTO_VRDE, NULL},
    {"vrde\toff", CTLPROTO_VRDE, NULL},
    {"vrdeport\t5000,5010-5012", CTLPROTO_VRDEPORT, NULL},
    {"vrdeport\tdefault", CTLPROTO_VRDEPORT, NULL},
    {"vrdeproperty\tTCP/Address=127.0.0.1", CTLPROTO_VRDEPROPERTY, NULL},
    {"vrdeproperty\tClient/DisableInput=", CTLPROTO_VRDEPROPERTY, NULL},
    {"vrdeproperty\tTCP/Ports=5000-5001", CTLPROTO_VRDEPROPERTY, NULL},
    {"setvideomodehint\t1024\t768\t32", CTLPROTO_SETVIDEOMODEHINT, NULL},
    {"setvideomodehint\t65535\t0\t64\t1", CTLPROTO_SETVIDEOMODEHINT, NULL},
    {"keyboardputscancode\t1d", CTLPROTO_KEYBOARDPUTSCANCODE, NULL},
    {"keyboardputscancode\t1D\t9d\t0", CTLPROTO_KEYBOARDPUTSCANCODE, NULL},
    {"", -1, "empty request"},
    {"bogus", -1, "unknown or malformed request 'bogus'"},
    {"Pause", -1, "unknown"},
    {"pause\tnow", -1, "usage: pause"},
    {"info\t", -1, "usage: info"},
    {"screenshotpng", -1, "usage: screenshotpng /abs/file.png [screen]"},
    {"screenshotpng\trel.png", -1, "not an absolute file name"},
    {"screenshotpng\t/a.png\t64", -1, "screen '64' is not a number 0-63"},
    {"screenshotpng\t/a.png\t-1", -1, "not a number"},
    {"screenshotpng\t/a.png\t 1", -1, "not a number"},
    {"screenshotpng\t/a.png\t0\t0", -1, "usage"},
    {"vrde", -1, "usage: vrde on|off"},
    {"vrde\tyes", -1, "'yes' is not on or off"},
    {"vrde\ton\toff", -1, "usage"},
    {"vrdeport\t0-1", -1, "not a valid port list"},
    {"vrdeport\t", -1, "not a valid port list"},
    {"vrdeproperty\tnoequals", -1, "not name=value"},
    {"vrdeproperty\t=value", -1, "not name=value"},
    {"vrdeproperty\tTCP/Ports=99999", -1, "port list for TCP/Ports"},
    {"setvideomodehint\t800", -1, "usage: setvideomodehint w h bpp [screen]"},
    {"setvideomodehint\t800\t600\t65", -1, "bpp '65' is not a number 0-64"},
    {"setvideomodehint\t65536\t600\t32", -1, "not a number 0-65535"},
    {"setvideomodehint\t800\t600\t32\t", -1, "not a number"},
    {"setvideomodehint\t8e2\t600\t32", -1, "not a number"},
    {"keyboardputscancode", -1, "usage: keyboardputscancode hex..."},
    {"keyboardputscancode\t100", -1, "'100' is not a hex byte"},
    {"keyboardputscancode\t0x1d", -1, "not a hex byte"},
    {"keyboardputscancode\t\t1d", -1, "'' is not a hex byte"},
};

static void
test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[256], err[512] = "", *f[CTLPROTO_MAX_FIELDS];
		const struct ctlproto_request *r;
		int n;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		n = ctlproto_split(line, f, CTLPROTO_MAX_FIELDS);
		r = ctlproto_check((const char *const *)f, n, err, sizeof(err));
		if (cases[i].id >= 0)
			tap_ok(r && (int)r->id == cases[i].id, "accepted: %s%s",
			       cases[i].line, r ? "" : err);
		else
			tap_ok(!r && strstr(err, cases[i].err),
			       "refused (%s): %s", cases[i].err, err);
	}
}

/* 63 arguments are the most; the 64th field is refused. */
static void
test_limits(void)
{
	const char *f[CTLPROTO_MAX_FIELDS + 1];
	char line[CTLPROTO_LINE_MAX + 2], *g[CTLPROTO_MAX_FIELDS], err[256];
	int n;

	f[0] = "keyboardputscancode";
	for (int i = 1; i <= CTLPROTO_MAX_FIELDS; i++)
		f[i] = "1d";
	tap_ok(ctlproto_check(f, CTLPROTO_MAX_FIELDS, err, sizeof(err)) != NULL,
	       "keyboardputscancode with %d bytes", CTLPROTO_MAX_FIELDS - 1);
	tap_ok(!ctlproto_check(f, CTLPROTO_MAX_FIELDS + 1, err, sizeof(err)),
	       "and not with %d", CTLPROTO_MAX_FIELDS);
	n = ctlproto_join(f, CTLPROTO_MAX_FIELDS + 1, line, sizeof(line));
	tap_ok(n > 0 && line[n - 1] == '\n', "join ends the line with \\n");
	line[n - 1] = '\0';
	tap_ok(ctlproto_split(line, g, CTLPROTO_MAX_FIELDS) == -E2BIG,
	       "split refuses a 65th field");
}

static void
test_join(void)
{
	const char *ok[] = {"vrdeproperty", "TCP/Address="};
	const char *tab[] = {"vrdeproperty", "a\tb=c"};
	const char *nl[] = {"vrdeproperty", "a=b\nreset"};
	char big[CTLPROTO_LINE_MAX + 1], line[CTLPROTO_LINE_MAX * 2];
	const char *huge[] = {"vrdeproperty", big};
	char *f[4];
	int n;

	n = ctlproto_join(ok, 2, line, sizeof(line));
	tap_ok(n == 26 && !memcmp(line, "vrdeproperty\tTCP/Address=\n", 26),
	       "join: TAB between fields, newline at the end");
	line[n - 1] = '\0';
	n = ctlproto_split(line, f, 4);
	tap_ok(n == 2 && !strcmp(f[1], "TCP/Address="),
	       "split gives the fields back");
	tap_ok(ctlproto_join(tab, 2, line, sizeof(line)) == -EINVAL,
	       "join refuses a TAB inside a field");
	tap_ok(ctlproto_join(nl, 2, line, sizeof(line)) == -EINVAL,
	       "join refuses a newline inside a field");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[1] = '=';
	tap_ok(ctlproto_join(huge, 2, line, sizeof(line)) == -EINVAL,
	       "join refuses a line longer than %d bytes", CTLPROTO_LINE_MAX);
	big[CTLPROTO_LINE_MAX - 13] = '\0'; /* + "vrdeproperty\t" */
	tap_ok(ctlproto_join(huge, 2, line, sizeof(line)) ==
		   CTLPROTO_LINE_MAX + 1,
	       "a line of exactly %d bytes is fine", CTLPROTO_LINE_MAX);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &size, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* doc/conventions.md between the markers is what --doc prints. */
static void
test_doc(const char *top)
{
	char path[4096], *doc, *begin, *end, *want = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&want, &size);

	snprintf(path, sizeof(path), "%s/doc/conventions.md", top);
	doc = slurp(path);
	ctlproto_write_doc(mem);
	fclose(mem);
	begin = doc ? strstr(doc, DOC_BEGIN) : NULL;
	begin = begin ? strchr(begin, '\n') : NULL;
	end = begin ? strstr(begin, DOC_END) : NULL;
	if (end) {
		begin++;
		while (end > begin && end[-1] == ' ')
			end--;
		*end = '\0';
	}
	tap_ok(end && !strcmp(begin, want),
	       "doc/conventions.md lists the requests of the table");
	if (!end || strcmp(begin, want))
		tap_diag("between '%s ...' and '%s' it should say (print it "
			 "with testsuite/util/test-ctlproto --doc):\n%s",
			 DOC_BEGIN, DOC_END, want);
	free(want);
	free(doc);
}

/* Whether the man page text @s has ".B @name" or ".BR @name" as a
 * whole word. */
static bool
man_names(const char *s, const char *name)
{
	size_t len = strlen(name);

	while (s && (s = strstr(s, "\n.B"))) {
		s += 3;
		s += *s == 'R';
		if (*s == ' ' && !strncmp(s + 1, name, len) &&
		    strchr(" \\\n", s[1 + len]))
			return true;
	}
	return false;
}

/* Every request controlvm sends as is appears in vireo-manage(1). */
static void
test_man(const char *top)
{
	char path[4096], *man, *section;

	snprintf(path, sizeof(path), "%s/doc/vireo-manage.1", top);
	man = slurp(path);
	section = man ? strstr(man, "\n.B controlvm ") : NULL;
	if (section && strstr(section + 1, "\n.SH"))
		*strstr(section + 1, "\n.SH") = '\0';
	for (size_t i = 0; i < ctlproto_n_requests; i++) {
		const struct ctlproto_request *r = &ctlproto_requests[i];

		if (!r->controlvm)
			continue;
		tap_ok(man_names(section, r->name),
		       "vireo-manage(1) controlvm names %s", r->name);
	}
	free(man);
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");

	if (argc > 1 && !strcmp(argv[1], "--doc")) {
		ctlproto_write_doc(stdout);
		return 0;
	}
	test_cases();
	test_limits();
	test_join();
	if (top) {
		test_doc(top);
		test_man(top);
	} else {
		tap_skip("top_srcdir not set: the documents were not compared");
	}
	tap_plan(tap_count); /* at the end: the man page sets the count */
	return tap_done();
}
