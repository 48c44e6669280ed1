/*
 * consoleproto.h - the serial console socket's protocol, shared by
 * vireo-headless (server) and `vireo-manage console` (client).
 *
 * The socket is <machine folder>/vireo.console, mode 0600.  A client
 * sends one request line within 5 s, "console<TAB>N[<TAB>watch]\n" with N
 * the port (1 = COM1, 2 = COM2); the server answers one line, "ok
 * input\n" (this console types into the guest), "ok watch\n" (it only
 * sees the output: another console or the port's host connection has the
 * input) or "error <message>\n".  After "ok" the connection carries raw
 * bytes: the guest's output to the client, the client's keystrokes to the
 * server.  Lines are at most CONSOLE_LINE_MAX bytes with the newline.
 */
#ifndef VIREO_CONSOLEPROTO_H
#define VIREO_CONSOLEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_SOCKET_NAME "vireo.console"
#define CONSOLE_LINE_MAX    64
#define CONSOLE_MAX_PORTS   2

struct console_request {
	uint32_t port; /* 0-based: 0 is COM1 */
	bool watch;    /* never take the input */
};

/** Parse a request line of @len bytes (no newline, need not be
 * NUL-terminated).  @return 0, or -EINVAL with the reason in @err. */
int console_parse_request(const char *line, size_t len,
			  struct console_request *out, char *err,
			  size_t errlen);
/** The request line with its newline.  @return its length or -ENOSPC. */
int console_format_request(const struct console_request *r, char *buf,
			   size_t size);
/** Parse a reply line of @len bytes (no newline): 0 with *@input set
 * for "ok input"/"ok watch", 1 for "error <msg>" (@msg gets the message,
 * control characters replaced), -EPROTO for anything else. */
int console_parse_reply(const char *line, size_t len, bool *input, char *msg,
			size_t msglen);

/* The client's escape: "~." at the start of a line leaves, "~~" there
 * sends one "~"; any other character after "~" sends both.  Start of a
 * line: the first byte, and after CR, LF, ^C, ^D, ^U (as cu(1)). */
struct console_escape {
	bool line_start; /* set true before the first byte */
	bool tilde;	 /* a "~" at line start is held back */
};

/** Filter @n typed bytes into @out (room for @n + 1 bytes); *@outn gets
 * how many to send.  @return true when "~." was typed (bytes after it
 * are not looked at). */
bool console_escape_feed(struct console_escape *st, const uint8_t *in, size_t n,
			 uint8_t *out, size_t *outn);

#endif /* VIREO_CONSOLEPROTO_H */
