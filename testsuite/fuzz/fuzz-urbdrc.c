/*
 * fuzz-urbdrc.c - libFuzzer target for the MS-RDPEUSB parsers of the RDP
 * module (src/vrde/rdp/rdp_urbdrc_pdu.c): what a client sends on
 * "URBDRC" (ADD_DEVICE strings, completions, select results) from the
 * network, and the client-side parser the probe uses.
 *
 * The first byte picks the parser (0 client message, 1 server message,
 * 2 SELECT_CONFIGURATION result, 3 SELECT_INTERFACE result, 4 a
 * configuration descriptor walk); the rest is its input.
 *
 * Oracles besides ASan/UBSan: every pointer handed out lies inside the
 * input, data never exceeds what OutputBufferSize claims, strings are
 * terminated within their buffers, counts stay within their arrays.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "rdp_urbdrc_pdu.h"

static bool
inside(const uint8_t *p, size_t n, const uint8_t *q, size_t k)
{
	return !k || (q >= p && q + k <= p + n);
}

static void
check_client(const uint8_t *p, size_t n)
{
	struct urbdrc_msg m;
	const char *err = NULL;
	struct urbdrc_select_result r;
	int rc = urbdrc_parse_client(p, n, &m, &err);

	FUZZ_ASSERT(rc == 0 || (rc == -EBADMSG && err));
	if (rc)
		return;
	FUZZ_ASSERT(inside(p, n, m.data, m.data_len));
	FUZZ_ASSERT(inside(p, n, m.result, m.result_len));
	FUZZ_ASSERT(m.data_len <= m.out_size || m.kind == URBDRC_K_TEXT_RSP);
	FUZZ_ASSERT(memchr(m.text, 0, sizeof(m.text)));
	/* a text is cut only when the next character did not fit */
	FUZZ_ASSERT(!m.text_cut || strlen(m.text) + 4 >= sizeof(m.text) - 1);
	FUZZ_ASSERT(memchr(m.dev.hw_id[1], 0, sizeof(m.dev.hw_id[1])));
	FUZZ_ASSERT(memchr(m.dev.instance_id, 0, sizeof(m.dev.instance_id)));
	if (m.result_len) {
		rc = urbdrc_parse_select_result(m.result, m.result_len, false,
						&r, &err);
		FUZZ_ASSERT(rc == 0 || rc == -EBADMSG);
		FUZZ_ASSERT(r.npipes <= URBDRC_PIPES_MAX);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct urbdrc_req q;
	struct urbdrc_select_result r;
	struct urbdrc_pipe ep[URBDRC_PIPES_MAX];
	struct urbdrc_buf b = {0};
	const char *err = NULL;
	int rc;

	if (size < 1)
		return 0;
	switch (data[0]) {
	case 0:
		check_client(data + 1, size - 1);
		break;
	case 1:
		rc = urbdrc_parse_server(data + 1, size - 1, &q, &err);
		FUZZ_ASSERT(rc == 0 || rc == -EBADMSG);
		if (rc == 0) {
			FUZZ_ASSERT(
			    inside(data + 1, size - 1, q.urb, q.urb_len));
			FUZZ_ASSERT(
			    inside(data + 1, size - 1, q.out, q.out_len));
			FUZZ_ASSERT(inside(data + 1, size - 1, q.in, q.in_len));
		}
		break;
	case 2:
	case 3:
		rc = urbdrc_parse_select_result(data + 1, size - 1,
						data[0] == 3, &r, &err);
		FUZZ_ASSERT(rc == 0 || rc == -EBADMSG);
		FUZZ_ASSERT(r.npipes <= URBDRC_PIPES_MAX);
		break;
	case 4: {
		/* the walk, and the builder on the same descriptor */
		struct urbdrc_urb u = {.fn = URBDRC_URB_SELECT_CONFIGURATION,
				       .config = data + 1,
				       .config_len = (uint32_t)(size - 1)};

		rc = urbdrc_config_endpoints(data + 1, size - 1, -1, 0, ep,
					     URBDRC_PIPES_MAX);
		FUZZ_ASSERT(rc <= URBDRC_PIPES_MAX);
		if (urbdrc_put_transfer(&b, 5, 1, &u, 0, NULL, 0) == 0) {
			rc = urbdrc_parse_server(b.data, b.len, &q, &err);
			FUZZ_ASSERT(rc == 0 || b.oom);
		}
		urbdrc_buf_free(&b);
		break;
	}
	}
	return 0;
}
