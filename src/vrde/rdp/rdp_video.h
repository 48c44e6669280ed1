/*
 * rdp_video.h - video redirection inside the RDP module (see
 * vireo-video(7)).
 *
 * Per screen, the detector of libvireo-video watches the damage the host
 * reports; per client, each detected stream is delivered the best way the
 * client can take: Motion-JPEG over MS-RDPEV ("TSMF", rdp_video_tsmf.c),
 * H.264 AVC420 on a surface of its own in the graphics pipeline
 * (rdp_video_avc.c), or else as ordinary lossless tiles, which the frame
 * acknowledgements already rate-limit.  While a client receives a stream
 * as video, the lossless path skips the tiles the stream covers unless
 * something else changed in them; when the stream ends, its area is sent
 * losslessly again.  With VideoChannel/Enabled off none of this exists:
 * every hook returns at once and the module behaves as before.
 *
 * Locking: detector and stream state live under the screen's lock
 * (struct rdp_screen.lock); per-client state is touched only by the
 * client's thread.
 */
#ifndef VIREO_RDP_VIDEO_H
#define VIREO_RDP_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rdp_server;
struct rdp_screen;
struct rdp_client;
struct vrde_rect;
struct _RDPGFX_CAPSET;

/* Screen side (rdp_video.c). */
/** Read the VideoChannel and VideoDetector properties for @s (at module
 * start). */
void rdp_video_screen_init(struct rdp_server *srv, struct rdp_screen *s);
void rdp_video_screen_free(struct rdp_screen *s);
/** @r (NULL: the whole screen) was copied into the shadow; s->lock held. */
void rdp_video_damage(struct rdp_server *srv, struct rdp_screen *s,
		      const struct vrde_rect *r);
/** The host completed a refresh of @screen (update(NULL)). */
void rdp_video_commit(struct rdp_server *srv, uint32_t screen);
/** The generation of tile @t that matters for @c (s->lock held): tiles
 * @c receives as video only count changes outside the video. */
uint64_t rdp_video_tile_gen(struct rdp_client *c, struct rdp_screen *s,
			    uint32_t t);

/* Client side. */
/** Open the client's video channels once drdynvc is ready (idempotent). */
void rdp_video_open(struct rdp_client *c);
/** Send what the client's video streams need; called every loop turn. */
void rdp_video_send(struct rdp_client *c);
void rdp_video_close(struct rdp_client *c);
/** The graphics pipeline confirmed @confirm of the advertised @adv: keep
 * H.264 enabled in @confirm when video needs it and the client has it. */
void rdp_video_gfx_caps(struct rdp_client *c, const struct _RDPGFX_CAPSET *adv,
			struct _RDPGFX_CAPSET *confirm);
/** ResetGraphics was sent: the client dropped every surface. */
void rdp_video_gfx_reset(struct rdp_client *c);
/** The codec name for query_info: @base, plus the video path when the
 * video channel is on ("gfx-planar+tsmf-mjpeg"). */
void rdp_video_codec_name(struct rdp_client *c, const char *base, char *buf,
			  size_t size);

#endif /* VIREO_RDP_VIDEO_H */
