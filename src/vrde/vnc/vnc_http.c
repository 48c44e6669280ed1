/*
 * vnc_http.c - parsers for the browser side of the VNC port: one HTTP/1.1
 * request head and WebSocket frame headers (RFC 6455).  Pure functions
 * over a byte buffer, fuzzed with the RFB parser (fuzz-vnc.c).
 *
 * Only what the console needs is understood: GET with an origin-form
 * target, the headers of a WebSocket upgrade, and a closed set of path
 * characters; anything else is an error with a status code.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vnc.h"

/* The end of the head ("\r\n\r\n"), or NULL. */
static const char *
vnc_http_end(const char *p, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return p + i;
	return NULL;
}

/* Path characters: letters, digits and - . _ / only. */
static bool
vnc_http_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '/';
}

static bool
vnc_http_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Copy header value @v (@n bytes, blanks trimmed) into @out. */
static void
vnc_http_value(const char *v, size_t n, char *out, size_t size)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static bool
vnc_http_has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!strncasecmp(p, word, wl) &&
		    (p[wl] == '\0' || p[wl] == ',' || p[wl] == ' '))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

static int
vnc_http_fail(struct vnc_http_req *r, int status, const char *why)
{
	r->status = status;
	snprintf(r->err, sizeof(r->err), "%s", why);
	return -EPROTO;
}

/* The request target: path and the token query parameter. */
static int
vnc_http_target(struct vnc_http_req *r, const char *t, size_t n)
{
	size_t plen = 0, i;
	const char *q;

	if (!n || t[0] != '/')
		return vnc_http_fail(r, 400, "request target is not a path");
	while (plen < n && t[plen] != '?')
		plen++;
	if (plen >= sizeof(r->path))
		return vnc_http_fail(r, 414, "path too long");
	for (i = 0; i < plen; i++)
		if (!vnc_http_path_char(t[i]))
			return vnc_http_fail(r, 400, "bad character in path");
	memcpy(r->path, t, plen);
	r->path[plen] = '\0';
	/* no dot segments, no empty segments: nothing can climb out */
	if (strstr(r->path, "/.") || strstr(r->path, "//"))
		return vnc_http_fail(r, 404, "dot or empty path segment");
	for (q = t + plen; q < t + n;) {
		size_t len;

		q++; /* '?' or '&' */
		len = 0;
		while (q + len < t + n && q[len] != '&')
			len++;
		if (len > 6 && !strncmp(q, "token=", 6)) {
			size_t tl = len - 6;

			if (tl >= sizeof(r->token))
				return vnc_http_fail(r, 400, "token too long");
			for (i = 0; i < tl; i++)
				if (!vnc_http_token_char(q[6 + i]))
					return vnc_http_fail(
					    r, 400, "bad character in token");
			memcpy(r->token, q + 6, tl);
			r->token[tl] = '\0';
		}
		q += len;
	}
	return 0;
}

static int
vnc_http_line(struct vnc_http_req *r, const char *p, size_t n)
{
	const char *sp1 = memchr(p, ' ', n), *sp2;

	if (!sp1)
		return vnc_http_fail(r, 400, "malformed request line");
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
	if (!sp2 || (size_t)(p + n - sp2 - 1) != 8 ||
	    strncmp(sp2 + 1, "HTTP/1.", 7))
		return vnc_http_fail(r, 400, "not HTTP/1.x");
	r->http11 = sp2[8] == '1';
	if (sp1 - p != 3 || strncmp(p, "GET", 3))
		return vnc_http_fail(r, 405, "only GET is served");
	return vnc_http_target(r, sp1 + 1, (size_t)(sp2 - sp1 - 1));
}

static void
vnc_http_header(struct vnc_http_req *r, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t nl;
	char v[256];

	if (!colon)
		return;
	nl = (size_t)(colon - p);
	vnc_http_value(colon + 1, n - nl - 1, v, sizeof(v));
	if (nl == 7 && !strncasecmp(p, "Upgrade", 7)) {
		r->upgrade = !strcasecmp(v, "websocket");
	} else if (nl == 10 && !strncasecmp(p, "Connection", 10)) {
		r->conn_upgrade = vnc_http_has_word(v, "Upgrade");
		r->close = vnc_http_has_word(v, "close");
	} else if (nl == 17 && !strncasecmp(p, "Sec-WebSocket-Key", 17) &&
		   strlen(v) < sizeof(r->ws_key)) {
		memcpy(r->ws_key, v, strlen(v) + 1);
	} else if (nl == 21 && !strncasecmp(p, "Sec-WebSocket-Version", 21)) {
		r->ws_version = !strcmp(v, "13") ? 13 : -1;
	} else if (nl == 22 && !strncasecmp(p, "Sec-WebSocket-Protocol", 22)) {
		r->ws_binary = vnc_http_has_word(v, "binary");
	}
}

int
vnc_http_parse(const char *buf, size_t len, struct vnc_http_req *r)
{
	const char *end = vnc_http_end(buf, len), *p, *eol;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!end) {
		if (len >= VNC_HTTP_MAX)
			return vnc_http_fail(r, 431, "request head too large");
		return 0;
	}
	eol = memchr(buf, '\r', (size_t)(end - buf) + 1);
	rc = vnc_http_line(r, buf, (size_t)(eol - buf));
	if (rc < 0)
		return rc;
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p) + 1);
		if (eol[1] != '\n')
			return vnc_http_fail(r, 400, "bare CR in a header");
		vnc_http_header(r, p, (size_t)(eol - p));
	}
	if (!r->http11)
		r->close = true;
	return (int)(end - buf) + 4;
}

int
vnc_ws_parse(const uint8_t *p, size_t len, struct vnc_ws_frame *f)
{
	size_t h = 2;
	uint64_t n;

	if (len < 2)
		return 0;
	memset(f, 0, sizeof(*f));
	f->fin = p[0] & 0x80;
	f->opcode = p[0] & 0x0f;
	if (p[0] & 0x70)
		return -EPROTO; /* no extension was negotiated */
	if (!(p[1] & 0x80))
		return -EPROTO; /* client frames are masked */
	n = p[1] & 0x7f;
	if (n == 126) {
		if (len < 4)
			return 0;
		n = (uint64_t)p[2] << 8 | p[3];
		h = 4;
	} else if (n == 127) {
		if (len < 10)
			return 0;
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | p[2 + i];
		h = 10;
	}
	if (len < h + 4)
		return 0;
	if (f->opcode >= 8 && (n > 125 || !f->fin))
		return -EPROTO; /* control frames: short, whole */
	if (f->opcode != 0 && f->opcode != 1 && f->opcode != 2 &&
	    f->opcode != 8 && f->opcode != 9 && f->opcode != 10)
		return -EPROTO;
	if (n > VNC_WS_MAX_FRAME)
		return -EPROTO;
	f->len = n;
	memcpy(f->mask, p + h, 4);
	return (int)(h + 4);
}
