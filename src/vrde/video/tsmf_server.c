/*
 * tsmf_server.c - server side of an MS-RDPEV session (see tsmf_server.h).
 *
 * One control channel per client carries capabilities and presentation
 * control; every video gets its own data channel for its samples, which
 * is how Windows' player expects one stream per channel.  Requests that
 * expect an answer are remembered by MessageId, because an answer names
 * only that id.
 */
#include "tsmf_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsmf_proto.h"

#define TSMF_MAX_PENDING 16

enum tsmf_server_state {
	TSS_IDLE = 0, /* control channel not open yet */
	TSS_CAPS,     /* capabilities sent, waiting for the answer */
	TSS_READY,
	TSS_DEAD, /* control channel gone */
};

struct tss_video {
	bool used;
	uint32_t id; /* detector stream id, also the TSMF StreamId */
	struct tsmf_guid guid;
	int chan;	/* data channel, 0 while none */
	bool chan_open; /* SET_CHANNEL_PARAMS sent */
	uint32_t inflight;
	uint32_t fps;
	uint64_t t0_ms; /* time of the first frame */
	bool started;
};

struct tss_pending {
	uint32_t msg_id;
	uint32_t fn;
};

struct tsmf_server {
	const struct tsmf_server_ops *ops;
	void *ctx;
	enum tsmf_server_state state;
	int ctl;
	uint32_t next_msg;
	uint64_t next_guid;
	struct tss_pending pending[TSMF_MAX_PENDING];
	struct tss_video v[TSMF_SERVER_MAX_STREAMS];
	struct tsmf_buf buf;
	struct tsmf_server_stats stats;
};

struct tsmf_server *
tsmf_server_new(const struct tsmf_server_ops *ops, void *ctx)
{
	struct tsmf_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = ops;
	s->ctx = ctx;
	s->next_msg = 1;
	/* Presentation ids only need to be unique within the client's
	 * session; the session's address makes them differ per client. */
	s->next_guid = (uint64_t)(uintptr_t)s;
	tsmf_buf_init(&s->buf);
	return s;
}

void
tsmf_server_free(struct tsmf_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < TSMF_SERVER_MAX_STREAMS; i++) {
		if (s->v[i].used && s->v[i].chan > 0)
			s->ops->close(s->ctx, s->v[i].chan);
	}
	if (s->ctl > 0)
		s->ops->close(s->ctx, s->ctl);
	tsmf_buf_free(&s->buf);
	free(s);
}

/* Write what s->buf holds to @chan and empty it. */
static int
tss_flush(struct tsmf_server *s, int chan)
{
	int rc = s->buf.err;

	if (!rc && s->buf.len) {
		rc = s->ops->write(s->ctx, chan, s->buf.data, s->buf.len);
		if (!rc)
			s->stats.bytes += s->buf.len;
	}
	tsmf_buf_reset(&s->buf);
	return rc;
}

static uint32_t
tss_msg_id(struct tsmf_server *s, uint32_t fn_expecting_answer)
{
	uint32_t id = s->next_msg++;

	if (fn_expecting_answer) {
		struct tss_pending *slot = &s->pending[id % TSMF_MAX_PENDING];

		slot->msg_id = id;
		slot->fn = fn_expecting_answer;
	}
	return id;
}

static uint32_t
tss_pending_lookup(void *ctx, uint32_t iid, uint32_t msg_id)
{
	struct tsmf_server *s = ctx;
	struct tss_pending *slot = &s->pending[msg_id % TSMF_MAX_PENDING];
	uint32_t fn = 0;

	if (slot->fn && slot->msg_id == msg_id) {
		fn = slot->fn;
		slot->fn = 0;
	}
	return fn;
}

int
tsmf_server_start(struct tsmf_server *s)
{
	int chan = s->ops->open(s->ctx);

	if (chan < 0) {
		s->state = TSS_DEAD;
		return chan;
	}
	s->ctl = chan;
	return 0;
}

static int
tss_send_caps(struct tsmf_server *s)
{
	const struct tsmf_capability caps[2] = {
	    {TSMF_CAP_VERSION, 2},
	    {TSMF_CAP_PLATFORM, TSMF_PLATFORM_DSHOW},
	};

	int rc;

	tsmf_write_rim_exchange_caps(&s->buf, tss_msg_id(s, 0),
				     TSMF_RIM_CAPABILITY_VERSION_01);
	rc = tss_flush(s, s->ctl);
	tsmf_write_exchange_caps_req(
	    &s->buf, tss_msg_id(s, TSMF_EXCHANGE_CAPABILITIES_REQ), caps, 2);
	rc = rc ? rc : tss_flush(s, s->ctl);
	s->state = rc ? TSS_DEAD : TSS_CAPS;
	return rc;
}

static struct tss_video *
tss_video_by_chan(struct tsmf_server *s, int chan)
{
	for (int i = 0; i < TSMF_SERVER_MAX_STREAMS; i++) {
		if (s->v[i].used && s->v[i].chan == chan)
			return &s->v[i];
	}
	return NULL;
}

static struct tss_video *
tss_video_by_id(const struct tsmf_server *s, uint32_t id)
{
	for (int i = 0; i < TSMF_SERVER_MAX_STREAMS; i++) {
		if (s->v[i].used && s->v[i].id == id)
			return (struct tss_video *)&s->v[i];
	}
	return NULL;
}

int
tsmf_server_channel_open(struct tsmf_server *s, int chan)
{
	struct tss_video *v;

	if (chan == s->ctl && s->state == TSS_IDLE)
		return tss_send_caps(s);
	v = tss_video_by_chan(s, chan);
	if (!v || v->chan_open)
		return 0;
	tsmf_write_set_channel_params(&s->buf, tss_msg_id(s, 0), &v->guid,
				      v->id);
	v->chan_open = true;
	return tss_flush(s, chan);
}

void
tsmf_server_channel_closed(struct tsmf_server *s, int chan)
{
	struct tss_video *v;

	if (chan == s->ctl) {
		s->ctl = 0;
		s->state = TSS_DEAD;
		return;
	}
	v = tss_video_by_chan(s, chan);
	if (v) {
		v->chan = 0;
		v->chan_open = false;
	}
}

int
tsmf_server_on_data(struct tsmf_server *s, int chan, const uint8_t *p,
		    size_t len)
{
	struct tsmf_client_msg m;
	struct tss_video *v;
	int rc = tsmf_parse_client_msg(p, len, tss_pending_lookup, s, &m);

	if (rc == -ENOENT)
		return 0; /* an answer we did not wait for: harmless */
	if (rc)
		return rc;
	if (m.response && m.answers == TSMF_EXCHANGE_CAPABILITIES_REQ &&
	    s->state == TSS_CAPS) {
		s->state = m.result == 0 ? TSS_READY : TSS_DEAD;
	} else if (!m.response && m.hdr.function_id == TSMF_PLAYBACK_ACK) {
		v = tss_video_by_chan(s, chan);
		if (!v)
			v = tss_video_by_id(s, m.u.ack.stream_id);
		if (v && v->inflight)
			v->inflight--;
		s->stats.acked++;
	}
	return 0;
}

bool
tsmf_server_ready(const struct tsmf_server *s)
{
	return s->state == TSS_READY;
}

/* Announce @v on the control channel, one message per write (a DVC
 * message is one TSMF message). */
static int
tss_write_presentation(struct tsmf_server *s, struct tss_video *v,
		       const struct vrde_rect *r)
{
	int rc;
	struct tsmf_video_format f;
	struct tsmf_geometry g;
	const struct tsmf_guid *pres = &v->guid;

	memset(&f, 0, sizeof(f));
	f.width = r->w;
	f.height = r->h;
	f.avg_time_per_frame = 10000000ull / v->fps;
	f.bit_rate = r->w * r->h * v->fps; /* ~1 bit/pixel: a hint */
	memset(&g, 0, sizeof(g));
	g.window_id = v->id;
	g.width = r->w;
	g.height = r->h;
	g.left = (uint32_t)r->x;
	g.top = (uint32_t)r->y;
	g.client_left = (uint32_t)r->x;
	g.client_top = (uint32_t)r->y;
	g.n_visible = 1;
	g.visible[0].bottom = r->h;
	g.visible[0].right = r->w;
	tsmf_write_new_presentation(&s->buf, tss_msg_id(s, 0), pres,
				    TSMF_PLATFORM_COOKIE_DSHOW);
	rc = tss_flush(s, s->ctl);
	tsmf_write_add_stream(&s->buf, tss_msg_id(s, 0), pres, v->id, &f);
	rc = rc ? rc : tss_flush(s, s->ctl);
	tsmf_write_set_topology_req(&s->buf,
				    tss_msg_id(s, TSMF_SET_TOPOLOGY_REQ), pres);
	rc = rc ? rc : tss_flush(s, s->ctl);
	tsmf_write_set_video_window(&s->buf, tss_msg_id(s, 0), pres, v->id, 0);
	rc = rc ? rc : tss_flush(s, s->ctl);
	tsmf_write_update_geometry(&s->buf, tss_msg_id(s, 0), pres, &g);
	rc = rc ? rc : tss_flush(s, s->ctl);
	tsmf_write_playback_started(&s->buf, tss_msg_id(s, 0), pres, 0, 0);
	return rc ? rc : tss_flush(s, s->ctl);
}

int
tsmf_server_video_start(struct tsmf_server *s, uint32_t id,
			const struct vrde_rect *r, uint32_t fps)
{
	struct tss_video *v = NULL;
	int rc, chan;

	if (s->state != TSS_READY)
		return -EAGAIN;
	if (r->x < 0 || r->y < 0 || r->w == 0 || r->h == 0)
		return -EINVAL;
	for (int i = 0; i < TSMF_SERVER_MAX_STREAMS && !v; i++)
		v = s->v[i].used ? NULL : &s->v[i];
	if (!v)
		return -ENOSPC;
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->fps = fps ? fps : 25;
	tsmf_guid_make(&v->guid, s->next_guid++);
	rc = tss_write_presentation(s, v, r);
	if (rc)
		return rc;
	chan = s->ops->open(s->ctx);
	if (chan < 0)
		return chan;
	v->used = true;
	v->chan = chan;
	return 0;
}

bool
tsmf_server_video_can_send(const struct tsmf_server *s, uint32_t id)
{
	const struct tss_video *v = tss_video_by_id(s, id);

	return v && v->chan_open && v->inflight < TSMF_SERVER_MAX_INFLIGHT;
}

int
tsmf_server_video_frame(struct tsmf_server *s, uint32_t id, const uint8_t *jpeg,
			size_t len, uint64_t now_ms)
{
	struct tss_video *v = tss_video_by_id(s, id);
	struct tsmf_sample smp;
	int rc;

	if (!v)
		return -ENOENT;
	if (!tsmf_server_video_can_send(s, id) || len > UINT32_MAX)
		return -EAGAIN;
	if (!v->started) {
		v->t0_ms = now_ms;
		v->started = true;
	}
	memset(&smp, 0, sizeof(smp));
	smp.start = (now_ms - v->t0_ms) * TSMF_TICKS_PER_MS;
	smp.throttle_duration = 10000000ull / v->fps;
	smp.end = smp.start + smp.throttle_duration;
	smp.extensions =
	    TSMF_SAMPLE_CLEANPOINT | TSMF_SAMPLE_ABSOLUTE_TIMESTAMPS;
	smp.data = jpeg;
	smp.len = (uint32_t)len;
	tsmf_write_on_sample(&s->buf, tss_msg_id(s, 0), &v->guid, v->id, &smp);
	rc = tss_flush(s, v->chan);
	if (!rc) {
		v->inflight++;
		s->stats.frames++;
	}
	return rc;
}

int
tsmf_server_video_end(struct tsmf_server *s, uint32_t id)
{
	struct tss_video *v = tss_video_by_id(s, id);
	int rc = 0;

	if (!v)
		return -ENOENT;
	if (s->state == TSS_READY) {
		tsmf_write_end_of_stream(&s->buf, tss_msg_id(s, 0), &v->guid,
					 v->id);
		rc = tss_flush(s, s->ctl);
		tsmf_write_shutdown_presentation(
		    &s->buf, tss_msg_id(s, TSMF_SHUTDOWN_PRESENTATION_REQ),
		    &v->guid);
		rc = rc ? rc : tss_flush(s, s->ctl);
	}
	if (v->chan > 0)
		s->ops->close(s->ctx, v->chan);
	memset(v, 0, sizeof(*v));
	return rc;
}

void
tsmf_server_get_stats(const struct tsmf_server *s, struct tsmf_server_stats *st)
{
	*st = s->stats;
}
