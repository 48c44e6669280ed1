/*
 * vnc_web.c - browsers on the VNC port: HTTP(S) for the console page and
 * noVNC's files, and RFB over WebSocket (ws and wss).
 *
 * RFB clients wait for the server to speak first; browsers send first.
 * So a new connection is given VNC_WEB_SNIFF_MS to say something: a TLS
 * ClientHello (0x16) starts TLS with the VM's certificate and then HTTP,
 * an upper-case letter starts HTTP, and silence (or anything else) is
 * RFB.  Plain RFB viewers therefore see the server's greeting that much
 * later.
 *
 * HTTP is deliberately small: GET only, one request head of at most
 * VNC_HTTP_MAX bytes at a time, at most VNC_WEB_MAX_REQUESTS per
 * connection, fixed paths ("/", "/console.js", "/novnc/<file>" below
 * VNC/WebRoot with a closed set of characters and no dot segments) and a
 * fixed content type per file extension.  "/websockify" upgrades to a
 * WebSocket carrying RFB; a console token in its query (from
 * "vireo-manage console VM --web") is handed to the host as the logon
 * (security "Token"), which accepts each token once and for a short time.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/log.h"
#include "vnc.h"

#define VNC_WEB_SNIFF_MS     150
#define VNC_WEB_MAX_REQUESTS 200
#define VNC_WEB_IDLE_MS	     2000
#define VNC_WEB_MAX_FILE     (4u << 20)

/* The page and its script; noVNC itself comes from VNC/WebRoot. */
static const char vnc_web_page[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
    "<title>vireo console</title>\n"
    "<style>html,body{margin:0;height:100%;background:#202020;"
    "color:#ddd;font:14px sans-serif}#bar{height:22px;padding:3px 8px}"
    "#screen{position:absolute;top:28px;bottom:0;left:0;right:0}</style>\n"
    "</head><body><div id=\"bar\"><span id=\"status\">connecting</span>"
    "</div><div id=\"screen\"></div>\n"
    "<script type=\"module\" src=\"console.js\"></script>\n"
    "</body></html>\n";

static const char vnc_web_script[] =
    "import RFB from './novnc/core/rfb.js';\n"
    "const q = new URLSearchParams(location.search);\n"
    "const token = q.get('token') || '';\n"
    "const quality = parseInt(q.get('quality') || '6', 10);\n"
    "/* the token is single-use: keep it out of the history */\n"
    "history.replaceState(null, '', location.pathname);\n"
    "const status = document.getElementById('status');\n"
    "const show = (s) => { status.textContent = s; };\n"
    "const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') +\n"
    "    location.host + '/websockify' +\n"
    "    (token ? '?token=' + encodeURIComponent(token) : '');\n"
    "const rfb = new RFB(document.getElementById('screen'), url);\n"
    "rfb.qualityLevel = quality;\n"
    "rfb.addEventListener('connect', () => show('connected'));\n"
    "rfb.addEventListener('disconnect', (e) =>\n"
    "    show(status.textContent.startsWith('refused') ?\n"
    "         status.textContent : 'disconnected'));\n"
    "rfb.addEventListener('securityfailure', (e) =>\n"
    "    show('refused: ' + (e.detail.reason || 'authentication failed')));\n"
    "rfb.addEventListener('credentialsrequired', () => {\n"
    "    const p = window.prompt('VNC password');\n"
    "    rfb.sendCredentials({ password: p || '' });\n"
    "});\n"
    "rfb.addEventListener('desktopname', (e) =>\n"
    "    { document.title = e.detail.name + ' - vireo console'; });\n"
    "rfb.focus();\n"
    "window.vireoRfb = rfb;\n";

struct vnc_web_type {
	const char *ext;
	const char *type;
};

static const struct vnc_web_type vnc_web_types[] = {
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
};

static const char *
vnc_web_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0;
	     dot && i < sizeof(vnc_web_types) / sizeof(vnc_web_types[0]); i++)
		if (!strcmp(dot, vnc_web_types[i].ext))
			return vnc_web_types[i].type;
	return NULL;
}

static int
vnc_web_send(struct vnc_client *c, int status, const char *reason,
	     const char *type, const void *body, size_t len, bool close,
	     const char *extra)
{
	char head[1024];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "Cache-Control: no-store\r\n"
		     "X-Content-Type-Options: nosniff\r\n"
		     "Referrer-Policy: no-referrer\r\n"
		     "%s"
		     "Connection: %s\r\n\r\n",
		     status, reason, type, len, extra ? extra : "",
		     close ? "close" : "keep-alive");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENOMEM;
	if (vnc_raw_write_all(c, head, (size_t)n) < 0 ||
	    (len && vnc_raw_write_all(c, body, len) < 0))
		return -ECONNRESET;
	return 0;
}

static int
vnc_web_error(struct vnc_client *c, int status, const char *reason)
{
	return vnc_web_send(c, status, reason, "text/plain; charset=utf-8",
			    reason, strlen(reason), true, NULL);
}

static int
vnc_web_file(struct vnc_client *c, const char *rel, bool end)
{
	const char *type = vnc_web_type(rel);
	char path[1024];
	struct stat st;
	uint8_t *body;
	ssize_t got;
	int fd, rc;

	if (!type || !c->srv->web_root)
		return vnc_web_send(c, 404, "Not Found", "text/plain", "", 0,
				    end, NULL);
	if (snprintf(path, sizeof(path), "%s/%s", c->srv->web_root, rel) >=
	    (int)sizeof(path))
		return vnc_web_error(c, 414, "URI Too Long");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > VNC_WEB_MAX_FILE) {
		if (fd >= 0)
			close(fd);
		return vnc_web_send(c, 404, "Not Found", "text/plain", "", 0,
				    end, NULL);
	}
	body = malloc((size_t)st.st_size + 1);
	got = body ? read(fd, body, (size_t)st.st_size) : -1;
	close(fd);
	if (got != st.st_size) {
		free(body);
		return vnc_web_error(c, 500, "Internal Server Error");
	}
	rc = vnc_web_send(c, 200, "OK", type, body, (size_t)got, end, NULL);
	free(body);
	return rc;
}

/* Sec-WebSocket-Accept for @key. */
static void
vnc_web_accept_key(const char *key, char out[32])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char md[20];
	char in[128];
	int n = snprintf(in, sizeof(in), "%s%s", key, guid);

	EVP_Digest(in, (size_t)n, md, NULL, EVP_sha1(), NULL);
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

static int
vnc_web_upgrade(struct vnc_client *c, const struct vnc_http_req *r,
		const char *rest, size_t rest_len)
{
	char head[512], accept[32];
	int n;

	if (r->ws_version != 13 || !r->ws_key[0] || !r->conn_upgrade ||
	    strlen(r->ws_key) > 40)
		return vnc_web_error(c, 400, "Bad WebSocket Request") < 0
			   ? -ECONNRESET
			   : -ECONNABORTED;
	vnc_web_accept_key(r->ws_key, accept);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n%s\r\n",
		     accept,
		     r->ws_binary ? "Sec-WebSocket-Protocol: binary\r\n" : "");
	if (vnc_raw_write_all(c, head, (size_t)n) < 0)
		return -ECONNRESET;
	/* bytes the browser sent after the head are its first frames */
	if (rest_len > sizeof(c->ws_raw))
		return -EPROTO;
	memcpy(c->ws_raw, rest, rest_len);
	c->ws_raw_len = rest_len;
	c->ws = true;
	snprintf(c->token, sizeof(c->token), "%s", r->token);
	vnc_info(c->srv, "client %u (%s): WebSocket%s%s", c->vc.id,
		 c->vc.address, c->ssl ? " over TLS" : "",
		 c->token[0] ? " with a console token" : "");
	return 0;
}

/* Answer @r.  @return 0 to serve the next request, -ECONNABORTED when
 * the connection is done, other -errno on errors; 1 after an upgrade. */
static int
vnc_web_route(struct vnc_client *c, const struct vnc_http_req *r,
	      const char *rest, size_t rest_len)
{
	int rc;

	if (r->upgrade) {
		if (strcmp(r->path, "/websockify"))
			return vnc_web_error(c, 404, "Not Found") < 0
				   ? -ECONNRESET
				   : -ECONNABORTED;
		rc = vnc_web_upgrade(c, r, rest, rest_len);
		return rc < 0 ? rc : 1;
	}
	if (!strcmp(r->path, "/") || !strcmp(r->path, "/index.html"))
		rc = vnc_web_send(
		    c, 200, "OK", "text/html; charset=utf-8", vnc_web_page,
		    sizeof(vnc_web_page) - 1, r->close,
		    "Content-Security-Policy: default-src 'self'; "
		    "connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
		    "style-src 'self' 'unsafe-inline'; frame-ancestors "
		    "'none'\r\n");
	else if (!strcmp(r->path, "/console.js"))
		rc = vnc_web_send(
		    c, 200, "OK", "text/javascript; charset=utf-8",
		    vnc_web_script, sizeof(vnc_web_script) - 1, r->close, NULL);
	else if (!strncmp(r->path, "/novnc/", 7) && r->path[7])
		rc = vnc_web_file(c, r->path + 7, r->close);
	else
		rc = vnc_web_send(c, 404, "Not Found", "text/plain", "", 0,
				  r->close, NULL);
	if (rc < 0)
		return rc;
	return r->close ? -ECONNABORTED : 0;
}

/* Requests until an upgrade or the end.  @return 0 after an upgrade. */
static int
vnc_web_serve(struct vnc_client *c)
{
	static __thread char buf[VNC_HTTP_MAX];
	int64_t deadline = c->begin_mono + c->srv->logon_timeout_ms;
	struct vnc_http_req r;
	size_t len = 0, hl;
	short want;
	ssize_t n;
	int rc;

	for (int nreq = 0; nreq < VNC_WEB_MAX_REQUESTS; nreq++) {
		while ((rc = vnc_http_parse(buf, len, &r)) == 0) {
			n = vnc_raw_io(c, buf + len, sizeof(buf) - len, false,
				       &want);
			if (n == 0)
				return -ECONNABORTED;
			if (n == -EAGAIN) {
				rc = vnc_io_wait(c, want == POLLIN, deadline);
				if (rc < 0)
					return rc == -ETIMEDOUT ? -ECONNABORTED
								: rc;
				continue;
			}
			if (n < 0)
				return (int)n;
			len += (size_t)n;
		}
		if (rc < 0) {
			vnc_warn(c->srv, "client %u (%s): HTTP %d: %s",
				 c->vc.id, c->vc.address, r.status, r.err);
			vnc_web_error(c, r.status,
				      r.status == 405	? "Method Not Allowed"
				      : r.status == 404 ? "Not Found"
							: "Bad Request");
			return -EPROTO;
		}
		hl = (size_t)rc;
		rc = vnc_web_route(c, &r, buf + hl, len - hl);
		if (rc != 0)
			return rc > 0 ? 0 : rc;
		memmove(buf, buf + hl, len - hl);
		len -= hl;
		deadline = vmod_mono_ms() + VNC_WEB_IDLE_MS;
	}
	return -ECONNABORTED;
}

int
vnc_web_accept(struct vnc_client *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	uint8_t b;
	int rc;

	if (poll(&p, 1, VNC_WEB_SNIFF_MS) <= 0 ||
	    recv(c->fd, &b, 1, MSG_PEEK) != 1)
		return 0; /* silence: an RFB viewer waiting for us */
	if (b == 0x16) {
		if (!c->srv->tls_ctx) {
			vnc_warn(c->srv,
				 "client %u (%s): TLS without a "
				 "certificate (VeNCrypt is off); dropped",
				 c->vc.id, c->vc.address);
			return -EPROTO;
		}
		rc = vnc_tls_accept(c);
		if (rc < 0)
			return rc;
	} else if (b < 'A' || b > 'Z') {
		return 0;
	}
	return vnc_web_serve(c);
}

/* ---- WebSocket framing ------------------------------------------------- */

static int
vnc_ws_control(struct vnc_client *c, uint8_t opcode)
{
	uint8_t f[2] = {0x80 | opcode, 0};

	return vnc_raw_write_all(c, f, 2);
}

ssize_t
vnc_ws_read(struct vnc_client *c, void *buf, size_t n, short *want)
{
	struct vnc_ws_frame f;
	uint8_t *out = buf;
	ssize_t r;
	int h;

	for (;;) {
		if (c->ws_left && c->ws_raw_len) {
			size_t k = c->ws_raw_len;
			bool data = c->ws_opcode == 2 || c->ws_opcode == 0;

			if (k > c->ws_left)
				k = (size_t)c->ws_left;
			if (data && k > n)
				k = n;
			for (size_t i = 0; data && i < k; i++)
				out[i] =
				    c->ws_raw[i] ^ c->ws_mask[c->ws_pos++ & 3];
			memmove(c->ws_raw, c->ws_raw + k, c->ws_raw_len - k);
			c->ws_raw_len -= k;
			c->ws_left -= k;
			if (data)
				return (ssize_t)k;
			continue;
		}
		if (!c->ws_left && c->ws_raw_len) {
			h = vnc_ws_parse(c->ws_raw, c->ws_raw_len, &f);
			if (h < 0 || (h > 0 && f.opcode == 1)) {
				vnc_warn(c->srv,
					 "client %u (%s): bad "
					 "WebSocket frame (binary frames of at "
					 "most %u bytes only); dropped",
					 c->vc.id, c->vc.address,
					 VNC_WS_MAX_FRAME);
				return -EPROTO;
			}
			if (h > 0) {
				memmove(c->ws_raw, c->ws_raw + h,
					c->ws_raw_len - (size_t)h);
				c->ws_raw_len -= (size_t)h;
				if (f.opcode == 8) {
					vnc_ws_control(c, 8);
					return 0;
				}
				if (f.opcode == 9 && vnc_ws_control(c, 10) < 0)
					return -ECONNRESET;
				if (f.opcode != 0)
					c->ws_opcode = f.opcode;
				if (f.opcode == 9 || f.opcode == 10)
					c->ws_opcode = f.opcode;
				c->ws_left = f.len;
				memcpy(c->ws_mask, f.mask, 4);
				c->ws_pos = 0;
				continue;
			}
		}
		r = vnc_raw_io(c, c->ws_raw + c->ws_raw_len,
			       sizeof(c->ws_raw) - c->ws_raw_len, false, want);
		if (r <= 0)
			return r;
		c->ws_raw_len += (size_t)r;
	}
}

int
vnc_ws_write(struct vnc_client *c, const void *buf, size_t n)
{
	uint8_t h[10];
	size_t hl;

	h[0] = 0x82; /* FIN, binary */
	if (n < 126) {
		h[1] = (uint8_t)n;
		hl = 2;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (vnc_raw_write_all(c, h, hl) < 0)
		return -ECONNRESET;
	return vnc_raw_write_all(c, buf, n);
}
