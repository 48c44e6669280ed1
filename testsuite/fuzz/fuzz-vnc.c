/*
 * fuzz-vnc.c - libFuzzer target for what an RFB client sends to the VNC
 * module (src/vrde/vnc/vnc_proto.c) and for the encoders that then run
 * with a client's pixel format (vnc_enc.c).
 *
 * Input: records (fuzz.h).  op 0: a ProtocolVersion; op 1: bytes of the
 * client's message stream, fed through the module's own loop shape (a
 * bounded buffer, cut text skipped); op 2: a pixel format (16 bytes), an
 * encoding selector and a tile of pixels, encoded in that format; op 3: an
 * HTTP request head (vnc_http.c); op 4: WebSocket frame headers.
 * Oracles besides ASan/UBSan: a parse consumes at most what it was given
 * and makes progress; a refused message sets a reason; kept encodings are
 * at most VNC_MAX_ENCODINGS; an encoded tile is never larger than a raw
 * tile plus its headers.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "vnc.h"

static void
fuzz_version(const uint8_t *d, size_t n)
{
	int v = vnc_parse_version(d, n);

	FUZZ_ASSERT(v == -EPROTO || v == 3 || v == 7 || v == 8);
}

static void
fuzz_stream(const uint8_t *d, size_t n)
{
	static uint8_t in[VNC_IN_BUF];
	size_t len = 0, off;
	uint64_t skip = 0;
	struct vnc_msg m;
	char err[160];
	int r;

	while (n) {
		size_t k = sizeof(in) - len < n ? sizeof(in) - len : n;

		memcpy(in + len, d, k);
		len += k;
		d += k;
		n -= k;
		off = 0;
		for (;;) {
			if (skip) {
				size_t s = len - off < skip ? len - off : skip;

				off += s;
				skip -= s;
				if (skip)
					break;
			}
			err[0] = '\0';
			r = vnc_parse_msg(in + off, len - off, &m, err,
					  sizeof(err));
			if (r < 0) {
				FUZZ_ASSERT(r == -EPROTO && err[0]);
				return;
			}
			if (r == 0)
				break;
			FUZZ_ASSERT((size_t)r <= len - off);
			off += (size_t)r;
			if (m.type == VNC_MSG_SET_ENCODINGS)
				FUZZ_ASSERT(m.u.encs.n <= VNC_MAX_ENCODINGS);
			if (m.type == VNC_MSG_CUT_TEXT) {
				FUZZ_ASSERT(m.u.cut.len <= VNC_MAX_CUT_TEXT);
				skip = m.u.cut.len;
			}
		}
		memmove(in, in + off, len - off);
		len -= off;
		if (len == sizeof(in))
			return; /* the module drops such a client */
	}
}

static void
fuzz_encode(const uint8_t *d, size_t n)
{
	static const int32_t encs[] = {VNC_ENC_RAW, VNC_ENC_HEXTILE,
				       VNC_ENC_ZRLE, VNC_ENC_TIGHT};
	static struct vnc_encoder *e;
	static uint8_t px[VNC_TILE * VNC_TILE * 4];
	struct vnc_config cfg = {0};
	struct vmod_blob *b;
	char err[160];
	uint32_t w, h;

	if (n < 20)
		return;
	if (!e)
		e = vnc_encoder_new();
	FUZZ_ASSERT(e);
	vnc_pixfmt_read(d, &cfg.pf);
	if (vnc_pixfmt_check(&cfg.pf, err, sizeof(err)) < 0)
		return;
	cfg.enc = encs[d[16] % 4];
	cfg.jpeg = d[17] % 2 ? 1 + d[17] % 100 : 0;
	w = 1 + d[18] % VNC_TILE;
	h = 1 + d[19] % VNC_TILE;
	d += 20;
	n -= 20;
	memset(px, 0, sizeof(px));
	memcpy(px, d, n < sizeof(px) ? n : sizeof(px));
	b = vnc_encode(e, &cfg, px, VNC_TILE * 4, w, h);
	FUZZ_ASSERT(b);
	FUZZ_ASSERT(b->len <= w * h * 4 + 1024 || cfg.jpeg);
	fuzz_touch(b->data, b->len);
	vmod_blob_unref(b);
}

static void
fuzz_http(const uint8_t *d, size_t n)
{
	struct vnc_http_req r;
	int rc = vnc_http_parse((const char *)d, n, &r);

	FUZZ_ASSERT(rc == -EPROTO || (rc >= 0 && (size_t)rc <= n));
	if (rc < 0)
		FUZZ_ASSERT(r.status >= 400 && r.err[0]);
	if (rc > 0) {
		/* what the router relies on */
		FUZZ_ASSERT(r.path[0] == '/' && !strstr(r.path, "/."));
		FUZZ_ASSERT(strlen(r.token) < sizeof(r.token));
		FUZZ_ASSERT(!strpbrk(r.token, "&?/.%"));
	}
}

static void
fuzz_ws(const uint8_t *d, size_t n)
{
	struct vnc_ws_frame f;
	int h;

	while ((h = vnc_ws_parse(d, n, &f)) > 0) {
		FUZZ_ASSERT((size_t)h <= n && h <= 14);
		FUZZ_ASSERT(f.len <= VNC_WS_MAX_FRAME);
		FUZZ_ASSERT(f.opcode < 8 || f.len <= 125);
		d += h;
		n -= (size_t)h;
	}
	FUZZ_ASSERT(h == 0 || h == -EPROTO);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct fuzz_rec r;

	while (fuzz_next(&in, &r)) {
		switch (r.op % 5) {
		case 0:
			fuzz_version(r.data, r.len);
			break;
		case 1:
			fuzz_stream(r.data, r.len);
			break;
		case 2:
			fuzz_encode(r.data, r.len);
			break;
		case 3:
			fuzz_http(r.data, r.len);
			break;
		default:
			fuzz_ws(r.data, r.len);
			break;
		}
	}
	return 0;
}
