/*
 * tsmf_server.h - the server's side of an MS-RDPEV (TSMF) session: one per
 * RDP client, turning detected video streams into TSMF presentations.
 *
 * The session is transport-free: it asks its user to open dynamic
 * channels named "TSMF" and to write bytes to them, and is fed what the
 * client sends back.  The RDP module maps this onto FreeRDP's virtual
 * channel manager; the unit tests connect it to a tsmf_client in memory.
 *
 * Sequence (as VirtualBox's VRDP sends it, MS-RDPEV 4.x):
 *   control channel:  RIM_EXCHANGE_CAPABILITY_REQUEST, then
 *                     EXCHANGE_CAPABILITIES_REQ (version 2, DShow);
 *                     the session is ready when the client answers.
 *   per video:        ON_NEW_PRESENTATION, ADD_STREAM (MJPG),
 *                     SET_TOPOLOGY_REQ, SET_VIDEO_WINDOW,
 *                     UPDATE_GEOMETRY_INFO, ON_PLAYBACK_STARTED on the
 *                     control channel; a data channel of its own carries
 *                     SET_CHANNEL_PARAMS and then ON_SAMPLE frames.
 *   end:              ON_END_OF_STREAM, SHUTDOWN_PRESENTATION_REQ; the
 *                     data channel is closed.
 * Frames wait for PLAYBACK_ACKs: at most TSMF_SERVER_MAX_INFLIGHT samples
 * of a stream are unacknowledged; the user asks before encoding.
 * Not thread-safe: the user serialises calls (one lock per client).
 */
#ifndef VIREO_TSMF_SERVER_H
#define VIREO_TSMF_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrde/vrde.h"

#define TSMF_SERVER_MAX_STREAMS	 4
#define TSMF_SERVER_MAX_INFLIGHT 3

struct tsmf_server_ops {
	/** Open a new "TSMF" dynamic channel.  @return a handle > 0 (the
	 * session calls tsmf_server_channel_open() once it can be written),
	 * or a negative errno. */
	int (*open)(void *ctx);
	/** Write one message to channel @chan.  @return 0 or -errno. */
	int (*write)(void *ctx, int chan, const uint8_t *data, size_t len);
	/** Close channel @chan. */
	void (*close)(void *ctx, int chan);
};

struct tsmf_server_stats {
	uint64_t frames; /**< ON_SAMPLEs sent */
	uint64_t bytes;	 /**< bytes written to all TSMF channels */
	uint64_t acked;	 /**< PLAYBACK_ACKs received */
};

struct tsmf_server;

struct tsmf_server *tsmf_server_new(const struct tsmf_server_ops *ops,
				    void *ctx);
/** Free the session (closes its channels through ops->close). */
void tsmf_server_free(struct tsmf_server *s);

/** Open the control channel.  @return 0 or -errno from ops->open. */
int tsmf_server_start(struct tsmf_server *s);
/** Channel @chan can now be written (the client accepted it). */
int tsmf_server_channel_open(struct tsmf_server *s, int chan);
/** Channel @chan failed to open or was closed by the client.  Losing the
 * control channel makes the session unusable (ready() stays false). */
void tsmf_server_channel_closed(struct tsmf_server *s, int chan);
/** A message from the client on @chan.  @return 0, or -EBADMSG (logged
 * by the caller; the session goes on). */
int tsmf_server_on_data(struct tsmf_server *s, int chan, const uint8_t *p,
			size_t len);

/** Capabilities were exchanged: presentations can start. */
bool tsmf_server_ready(const struct tsmf_server *s);

/**
 * Announce video @id (the detector's stream id) covering @r at @fps.
 * @return 0, -EAGAIN when not ready, -ENOSPC when all streams are busy.
 */
int tsmf_server_video_start(struct tsmf_server *s, uint32_t id,
			    const struct vrde_rect *r, uint32_t fps);
/** Whether a frame of video @id may be sent now (its data channel is
 * open and fewer than TSMF_SERVER_MAX_INFLIGHT frames are unacked). */
bool tsmf_server_video_can_send(const struct tsmf_server *s, uint32_t id);
/** Send one JPEG frame of video @id captured at @now_ms.
 * @return 0, -EAGAIN (not now: see can_send), -ENOENT (no such video). */
int tsmf_server_video_frame(struct tsmf_server *s, uint32_t id,
			    const uint8_t *jpeg, size_t len, uint64_t now_ms);
/** End video @id.  @return 0 or -ENOENT. */
int tsmf_server_video_end(struct tsmf_server *s, uint32_t id);

void tsmf_server_get_stats(const struct tsmf_server *s,
			   struct tsmf_server_stats *st);

#endif /* VIREO_TSMF_SERVER_H */
