/*
 * consoleproto.c - request and reply lines of the serial console socket,
 * and the client's "~." escape (consoleproto.h).  Pure functions over
 * bounded buffers, fuzzed by testsuite/fuzz/fuzz-console.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "consoleproto.h"

static bool
console_word(const char *p, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(p, word, n) == 0;
}

int
console_parse_request(const char *line, size_t len, struct console_request *out,
		      char *err, size_t errlen)
{
	const char *f[4];
	size_t fl[4];
	size_t nf = 0, start = 0;

	if (len >= CONSOLE_LINE_MAX) {
		snprintf(err, errlen, "request longer than %d bytes",
			 CONSOLE_LINE_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (nf == 4) {
			snprintf(err, errlen, "too many fields");
			return -EINVAL;
		}
		f[nf] = line + start;
		fl[nf++] = i - start;
		start = i + 1;
	}
	if (!console_word(f[0], fl[0], "console") || nf < 2 || nf > 3) {
		snprintf(err, errlen, "expected 'console<TAB>N[<TAB>watch]'");
		return -EINVAL;
	}
	if (fl[1] != 1 || f[1][0] < '1' || f[1][0] > '0' + CONSOLE_MAX_PORTS) {
		snprintf(err, errlen, "port must be 1..%d", CONSOLE_MAX_PORTS);
		return -EINVAL;
	}
	if (nf == 3 && !console_word(f[2], fl[2], "watch")) {
		snprintf(err, errlen, "unknown option (only 'watch')");
		return -EINVAL;
	}
	out->port = (uint32_t)(f[1][0] - '1');
	out->watch = nf == 3;
	return 0;
}

int
console_format_request(const struct console_request *r, char *buf, size_t size)
{
	int n = snprintf(buf, size, "console\t%u%s\n", r->port + 1,
			 r->watch ? "\twatch" : "");

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int
console_parse_reply(const char *line, size_t len, bool *input, char *msg,
		    size_t msglen)
{
	size_t k = 0;

	if (console_word(line, len, "ok input") ||
	    console_word(line, len, "ok watch")) {
		*input = line[3] == 'i';
		return 0;
	}
	if (len < 6 || memcmp(line, "error ", 6) != 0)
		return -EPROTO;
	for (size_t i = 6; i < len && k + 1 < msglen; i++) {
		unsigned char c = (unsigned char)line[i];

		msg[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (msglen)
		msg[k] = '\0';
	return 1;
}

static bool
console_line_end(uint8_t c)
{
	return c == '\r' || c == '\n' || c == 0x03 || c == 0x04 || c == 0x15;
}

bool
console_escape_feed(struct console_escape *st, const uint8_t *in, size_t n,
		    uint8_t *out, size_t *outn)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];

		if (st->tilde) {
			st->tilde = false;
			if (c == '.') {
				*outn = k;
				return true;
			}
			if (c != '~')
				out[k++] = '~';
			out[k++] = c;
			st->line_start = console_line_end(c);
			continue;
		}
		if (st->line_start && c == '~') {
			st->tilde = true;
			continue;
		}
		out[k++] = c;
		st->line_start = console_line_end(c);
	}
	*outn = k;
	return false;
}
