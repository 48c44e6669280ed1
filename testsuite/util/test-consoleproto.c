/*
 * test-consoleproto.c - the serial console socket's lines and the "~."
 * filter (src/util/consoleproto.c): requests each side must accept or
 * refuse, replies, and what typing sends.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "consoleproto.h"
#include "tap.h"

static int
req(const char *s, struct console_request *rq)
{
	char err[128];

	return console_parse_request(s, strlen(s), rq, err, sizeof(err));
}

/* Feed @chunks (NULL-terminated) to one filter; @out gets what would be
 * sent.  @return whether "~." was seen. */
static bool
type(const char *const *chunks, char *out)
{
	struct console_escape esc = {.line_start = true};
	uint8_t buf[64];
	size_t n;

	out[0] = '\0';
	for (; *chunks; chunks++) {
		bool quit = console_escape_feed(&esc, (const uint8_t *)*chunks,
						strlen(*chunks), buf, &n);

		strncat(out, (const char *)buf, n);
		if (quit)
			return true;
	}
	return false;
}

int
main(void)
{
	static const char *const bad_reqs[] = {
	    "",
	    "console",
	    "console\t0",
	    "console\t3",
	    "console\t12",
	    "console\t1\tread",
	    "console\t1\twatch\tx",
	    "Console\t1",
	    "console 1",
	    "console\t1\t",
	};
	struct console_request rq = {0};
	char line[CONSOLE_LINE_MAX], msg[CONSOLE_LINE_MAX], out[64];
	bool input = false;
	size_t nbad = sizeof(bad_reqs) / sizeof(bad_reqs[0]);

	memset(line, 'x', sizeof(line));
	tap_plan(15 + (int)nbad);
	tap_ok(req("console\t1", &rq) == 0 && rq.port == 0 && !rq.watch,
	       "console<TAB>1: COM1, typing");
	tap_ok(req("console\t2\twatch", &rq) == 0 && rq.port == 1 && rq.watch,
	       "console<TAB>2<TAB>watch: COM2, watching");
	for (size_t i = 0; i < nbad; i++)
		tap_ok(req(bad_reqs[i], &rq) == -EINVAL, "refused: '%s'",
		       bad_reqs[i]);
	tap_ok(console_parse_request(line, CONSOLE_LINE_MAX, &rq, msg,
				     sizeof(msg)) == -EINVAL,
	       "a request of %d bytes is refused unread", CONSOLE_LINE_MAX);
	tap_ok(console_format_request(&rq, line, sizeof(line)) ==
		       (int)strlen("console\t2\twatch\n") &&
		   !strcmp(line, "console\t2\twatch\n"),
	       "format writes the line with its newline");
	tap_ok(console_parse_reply("ok input", 8, &input, msg, sizeof(msg)) ==
		       0 &&
		   input,
	       "reply: ok input");
	tap_ok(console_parse_reply("ok watch", 8, &input, msg, sizeof(msg)) ==
		       0 &&
		   !input,
	       "reply: ok watch");
	tap_ok(console_parse_reply("error no\x1b[2J", 12, &input, msg,
				   sizeof(msg)) == 1 &&
		   !strcmp(msg, "no?[2J"),
	       "reply: error, control characters replaced");
	tap_ok(console_parse_reply("okinput", 7, &input, msg, sizeof(msg)) ==
		   -EPROTO,
	       "reply: anything else is a protocol error");
	tap_ok(type((const char *const[]){"~.", NULL}, out) && !out[0],
	       "~. first thing: leave, nothing sent");
	tap_ok(type((const char *const[]){"ls\r~.", NULL}, out) &&
		   !strcmp(out, "ls\r"),
	       "~. after Enter (CR): leave after sending the line");
	tap_ok(!type((const char *const[]){"a~.", NULL}, out) &&
		   !strcmp(out, "a~."),
	       "~. inside a line is sent as is");
	tap_ok(!type((const char *const[]){"~~", NULL}, out) &&
		   !strcmp(out, "~"),
	       "~~ at line start sends one ~");
	tap_ok(!type((const char *const[]){"~x", NULL}, out) &&
		   !strcmp(out, "~x"),
	       "~ and another key send both");
	tap_ok(type((const char *const[]){"\n~", ".", NULL}, out) &&
		   !strcmp(out, "\n"),
	       "~ and . in two reads still leave");
	tap_ok(type((const char *const[]){"\x03~.", NULL}, out) &&
		   !strcmp(out, "\x03"),
	       "Ctrl-C starts a line too (as in cu)");
	return tap_done();
}
