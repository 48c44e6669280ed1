/*
 * tsmf_client.h - a minimal MS-RDPEV (TSMF) receiver for Motion-JPEG
 * presentations, as the test suite's probe client uses it.
 *
 * It answers what a Windows client answers (capabilities, topology,
 * shutdown, a PLAYBACK_ACK per sample, start/end-of-stream events),
 * remembers each presentation's size and place from ADD_STREAM and
 * UPDATE_GEOMETRY_INFO, decodes every ON_SAMPLE with TurboJPEG and hands
 * the pixels and their place on the desktop to its user, who composes
 * them into a framebuffer.  Transport-free like tsmf_server; channels are
 * whatever pointer the user passes in.  Not thread-safe.
 */
#ifndef VIREO_TSMF_CLIENT_H
#define VIREO_TSMF_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct tsmf_client_frame {
	int32_t x; /**< desktop position of the video window */
	int32_t y;
	uint32_t width; /**< decoded size */
	uint32_t height;
	const uint8_t *pixels; /**< XRGB8888 (B,G,R,X), valid in the call */
	uint32_t stride;
	uint64_t start;	   /**< sample time, 100 ns */
	size_t jpeg_bytes; /**< size of the JPEG it came from */
	uint32_t stream_id;
};

struct tsmf_client_ops {
	/** Send @len bytes on channel @chan.  @return 0 or -errno. */
	int (*write)(void *ctx, void *chan, const uint8_t *data, size_t len);
	/** A decoded frame. */
	void (*frame)(void *ctx, const struct tsmf_client_frame *f);
};

struct tsmf_client_stats {
	uint64_t presentations; /**< ON_NEW_PRESENTATION seen */
	uint64_t shutdowns;	/**< SHUTDOWN_PRESENTATION_REQ seen */
	uint64_t frames;	/**< samples decoded */
	uint64_t jpeg_bytes;	/**< their JPEG bytes */
	uint64_t bad;		/**< malformed messages, undecodable frames */
	uint32_t caps_version;	/**< server's protocol version capability */
	uint32_t caps_platform; /**< server's platform capability */
};

struct tsmf_client;

struct tsmf_client *tsmf_client_new(const struct tsmf_client_ops *ops,
				    void *ctx);
void tsmf_client_free(struct tsmf_client *c);
/** A message from the server on @chan.  @return 0 or -EBADMSG. */
int tsmf_client_on_data(struct tsmf_client *c, void *chan, const uint8_t *p,
			size_t len);
void tsmf_client_get_stats(const struct tsmf_client *c,
			   struct tsmf_client_stats *st);

#endif /* VIREO_TSMF_CLIENT_H */
