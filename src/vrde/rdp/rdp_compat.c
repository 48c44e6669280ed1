/*
 * rdp_compat.c - interoperability fix-ups FreeRDP 2.11's server lacks.
 *
 * rdesktop (1.9) encodes the two integers of its MCS Erect Domain Request
 * as plain 16-bit values ("00 01 00 01") where PER wants a length byte
 * before each ("01 01 01 01").  Windows and xrdp accept that; FreeRDP
 * 2.11 parses one byte less and then rejects the PDU as "1 bytes too
 * long", so rdesktop could never connect.  The request is only ever
 * looked at for these two values, so we rewrite it into the PER form, in
 * place and with the same length, before FreeRDP parses it.
 *
 * The hook point is the transport's receive callback, which FreeRDP does
 * not expose: we find it by its known neighbours (the rdp object's
 * settings pointer, followed by the transport, whose context, settings
 * and receive-extra pointers must all match this peer).  When anything
 * does not match -- another FreeRDP build -- nothing is changed and a
 * warning says rdesktop may fail.
 */
#include "config.h"

#include <string.h>

#include <winpr/stream.h>

#include "rdp.h"

typedef int (*rdp_transport_recv)(void *transport, wStream *s, void *extra);

/* The 2.11 rdpTransport members from "context" to "ReceiveCallback". */
struct rdp_transport_tail {
	rdpContext *context;
	void *nla;
	rdpSettings *settings;
	void *receive_extra;
	wStream *receive_buffer;
	rdp_transport_recv receive_callback;
};

static const uint8_t rdp_edrq_rdesktop[12] = {
    0x03, 0x00, 0x00, 0x0c, 0x02, 0xf0, 0x80, 0x04, 0x00, 0x01, 0x00, 0x01};

static int
rdp_compat_recv(void *transport, wStream *s, void *extra)
{
	freerdp_peer *peer = extra;
	struct rdp_client *c = (struct rdp_client *)peer->context;
	uint8_t *b = Stream_Buffer(s);

	if (Stream_Length(s) == sizeof(rdp_edrq_rdesktop) &&
	    !memcmp(b, rdp_edrq_rdesktop, sizeof(rdp_edrq_rdesktop))) {
		b[8] = 0x01;  /* subHeight: length 1, value 1 */
		b[10] = 0x01; /* subInterval: length 1, value 1 */
		rdp_debug(c->srv,
			  "client %u: rewrote an rdesktop-style MCS "
			  "Erect Domain Request",
			  c->vc.id);
	}
	return ((rdp_transport_recv)c->compat_orig_recv)(transport, s, extra);
}

/* Find the transport's receive callback slot; NULL when not recognised. */
static struct rdp_transport_tail *
rdp_compat_find(freerdp_peer *peer)
{
	void **rdp = (void **)peer->context->rdp;
	struct rdp_transport_tail *t;
	void **tr;

	for (int i = 0; i < 24; i++) {
		if (rdp[i] != (void *)peer->settings)
			continue;
		tr = rdp[i + 1];
		if (!tr)
			return NULL;
		for (int j = 0; j < 12; j++) {
			t = (struct rdp_transport_tail *)&tr[j];
			if (t->context == peer->context &&
			    t->settings == peer->settings &&
			    t->receive_extra == (void *)peer &&
			    t->receive_callback)
				return t;
		}
		return NULL;
	}
	return NULL;
}

void
rdp_compat_install(struct rdp_client *c)
{
	struct rdp_transport_tail *t;
	int major = 0, minor = 0, rev = 0;

	freerdp_get_version(&major, &minor, &rev);
	t = major == 2 ? rdp_compat_find(c->peer) : NULL;
	if (!t) {
		rdp_warn(c->srv,
			 "FreeRDP %d.%d.%d: rdesktop compatibility "
			 "fix not installed",
			 major, minor, rev);
		return;
	}
	c->compat_orig_recv = (void *)t->receive_callback;
	t->receive_callback = rdp_compat_recv;
}
