/*
 * fuzz-tsmf.c - libFuzzer target for MS-RDPEV (TSMF): both message
 * parsers, the server's session (fed what a client sends) and the
 * probe's client session (fed what a server sends).
 *
 * Each input first brings a server and a client session in memory to a
 * video being played, so that the fuzzer starts deep in the protocol;
 * then its records (fuzz.h) deliver bytes to the server or the client on
 * a channel, to either parser alone, or drive the server (start, frame
 * and end videos, channels opening and closing).  Besides ASan/UBSan, every
 * message the server writes must parse as a server message.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "tsmf_client.h"
#include "tsmf_proto.h"
#include "tsmf_server.h"

#define FUZZ_MAX_CHANS 16

struct world {
	struct tsmf_server *srv;
	struct tsmf_client *cli;
	int next_chan;
	int opening[FUZZ_MAX_CHANS];
	int nopening;
	bool deliver; /* hand the server's writes to the client */
};

static int
srv_open(void *ctx)
{
	struct world *w = ctx;

	if (w->nopening == FUZZ_MAX_CHANS)
		return -EMFILE;
	w->opening[w->nopening++] = ++w->next_chan;
	return w->next_chan;
}

static int
srv_write(void *ctx, int chan, const uint8_t *p, size_t len)
{
	struct world *w = ctx;
	struct tsmf_server_msg m;

	FUZZ_ASSERT(tsmf_parse_server_msg(p, len, &m) == 0);
	if (w->deliver)
		tsmf_client_on_data(w->cli, (void *)(intptr_t)chan, p, len);
	return 0;
}

static void
srv_close(void *ctx, int chan)
{
}

static const struct tsmf_server_ops srv_ops = {srv_open, srv_write, srv_close};

/* The client answers straight back to the server (one level deep: the
 * server's reaction is not delivered again). */
static int
cli_write(void *ctx, void *chan, const uint8_t *p, size_t len)
{
	struct world *w = ctx;

	w->deliver = false;
	tsmf_server_on_data(w->srv, (int)(intptr_t)chan, p, len);
	w->deliver = true;
	return 0;
}

static void
cli_frame(void *ctx, const struct tsmf_client_frame *f)
{
	fuzz_touch(f->pixels, (size_t)f->stride * f->height);
}

static const struct tsmf_client_ops cli_ops = {cli_write, cli_frame};

static void
accept_channels(struct world *w)
{
	while (w->nopening > 0)
		tsmf_server_channel_open(w->srv, w->opening[--w->nopening]);
}

static uint32_t
rd32(const uint8_t *p, size_t len, size_t at)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 4 && at + i < len; i++)
		v |= (uint32_t)p[at + i] << (8 * i);
	return v;
}

static uint32_t
pending_from_input(void *ctx, uint32_t iid, uint32_t msg_id)
{
	return *(const uint32_t *)ctx;
}

/* Drive the server: video start/frame/end, channel events. */
static void
drive(struct world *w, const uint8_t *p, size_t len)
{
	uint32_t a = rd32(p, len, 1), b = rd32(p, len, 5);
	struct vrde_rect r = {(int32_t)(a & 0xfff), (int32_t)(a >> 12 & 0xfff),
			      b & 0xfff, b >> 12 & 0xfff};

	switch (len ? p[0] % 6 : 0) {
	case 0:
		tsmf_server_video_start(w->srv, a & 7, &r, b >> 24);
		break;
	case 1:
		if (tsmf_server_video_can_send(w->srv, a & 7))
			tsmf_server_video_frame(w->srv, a & 7, p, len, b);
		break;
	case 2:
		tsmf_server_video_end(w->srv, a & 7);
		break;
	case 3:
		tsmf_server_channel_open(w->srv, (int)(a % FUZZ_MAX_CHANS));
		break;
	case 4:
		tsmf_server_channel_closed(w->srv, (int)(a % FUZZ_MAX_CHANS));
		break;
	default:
		accept_channels(w);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct world w = {.deliver = true};
	struct vrde_rect r = {16, 16, 64, 48};
	struct tsmf_server_stats st;
	struct fuzz_rec rec;
	struct tsmf_server_msg sm;
	struct tsmf_client_msg cm;
	uint32_t pending;

	w.srv = tsmf_server_new(&srv_ops, &w);
	w.cli = tsmf_client_new(&cli_ops, &w);
	if (!w.srv || !w.cli)
		abort();
	tsmf_server_start(w.srv);
	accept_channels(&w);
	if (tsmf_server_video_start(w.srv, 1, &r, 25) == 0) {
		accept_channels(&w);
		tsmf_server_video_frame(w.srv, 1, (const uint8_t *)"x", 1, 40);
	}
	while (fuzz_next(&in, &rec)) {
		int chan = 1 + (rec.op >> 3) % 4;

		switch (rec.op & 7) {
		case 0:
		case 1:
			tsmf_server_on_data(w.srv, chan, rec.data, rec.len);
			break;
		case 2:
			tsmf_client_on_data(w.cli, (void *)(intptr_t)chan,
					    rec.data, rec.len);
			break;
		case 3:
			tsmf_parse_server_msg(rec.data, rec.len, &sm);
			break;
		case 4:
			pending = rd32(rec.data, rec.len, 0);
			tsmf_parse_client_msg(rec.len > 4 ? rec.data + 4 : NULL,
					      rec.len > 4 ? rec.len - 4 : 0,
					      pending_from_input, &pending,
					      &cm);
			break;
		default:
			drive(&w, rec.data, rec.len);
			break;
		}
	}
	tsmf_server_get_stats(w.srv, &st);
	tsmf_server_free(w.srv);
	tsmf_client_free(w.cli);
	return 0;
}
