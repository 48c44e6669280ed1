/*
 * test-escape.c - peer-supplied strings in log lines (src/util/log.c):
 * log_escape() for quoting them, and the log sink, which never writes a
 * control character, so no message can add a line of its own.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_TAG "test"
#include "tap.h"
#include "util/log.h"

static void
is_str(const char *got, const char *want, const char *name)
{
	tap_ok(strcmp(got, want) == 0, "%s", name);
	if (strcmp(got, want))
		tap_diag("got '%s', want '%s'", got, want);
}

static void
test_escape(void)
{
	char b[64], small[8];

	is_str(log_escape(b, sizeof(b), "alice"), "alice", "plain text kept");
	is_str(log_escape(b, sizeof(b), "a\nb\r\x1b[1m"),
	       "a\\x0ab\\x0d\\x1b[1m", "control characters as \\xNN");
	is_str(log_escape(b, sizeof(b), "o'neil \"x\" a\\b"),
	       "o\\'neil \\\"x\\\" a\\\\b", "quotes and backslash escaped");
	is_str(log_escape(b, sizeof(b), "\xc3\xa9t\xc3\xa9"),
	       "\xc3\xa9t\xc3\xa9", "UTF-8 kept");
	is_str(log_escape(small, sizeof(small), "abcdefghij"), "abcd...",
	       "a long string is cut with ...");
	is_str(log_escape(small, sizeof(small), "\n\n\n"), "\\x0a...",
	       "an escape is never cut in half");
}

static void
test_sink(void)
{
	char dir[256], path[300], line[4096];
	const char *tmp = getenv("TMPDIR");
	int lines = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/vireo-escape.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		tap_ok(0, "temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/vireo.log", dir);
	tap_ok(log_open_file(path) == 0, "log file opened");
	log_warn("logon of user '%s' denied",
		 "x\n2026-01-01T00:00:00.000Z info  auth: user 'root' granted");
	log_close_file();
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		lines++;
	if (f)
		fclose(f);
	tap_ok(lines == 1, "a message with a newline stays one line (%d)",
	       lines);
	tap_ok(strstr(line, "user 'x\\x0a2026-01-01T00:00:00.000Z info") !=
		   NULL,
	       "the newline is written as \\x0a");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	tap_plan(9);
	test_escape();
	test_sink();
	return tap_done();
}
