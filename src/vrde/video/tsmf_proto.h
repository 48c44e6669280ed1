/*
 * tsmf_proto.h - MS-RDPEV ("TSMF", video redirection) messages: writers
 * and parsers for both directions, no I/O.
 *
 * Windows' mstsc plays a server's video when the server opens a dynamic
 * channel named "TSMF" and describes a presentation on it; VirtualBox
 * sends its detected videos this way as Motion-JPEG.  The server side
 * (vireo's RDP module) writes requests and parses the client's responses
 * and notifications; the probe client of the test suite does the reverse.
 * All integers are little-endian; GUIDs are in their Windows wire form
 * (Data1 u32, Data2 u16, Data3 u16 little-endian, then 8 bytes).
 *
 * Every message starts with a shared header: InterfaceId (30 bits of id,
 * 2 bits of mask: STUB for responses, PROXY for requests), MessageId, and
 * for requests a FunctionId.  A response carries the MessageId of its
 * request and no FunctionId, so its parser must be told what it answers.
 */
#ifndef VIREO_TSMF_PROTO_H
#define VIREO_TSMF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSMF_CHANNEL_NAME "TSMF"

/* InterfaceId values and masks. */
#define TSMF_IID_SERVER_DATA   0x00000000u
#define TSMF_IID_CLIENT_NOTIFY 0x00000001u
#define TSMF_IID_CAPABILITIES  0x00000002u
#define TSMF_MASK_STUB	       0x80000000u
#define TSMF_MASK_PROXY	       0x40000000u
#define TSMF_MASK_NONE	       0x00000000u
#define TSMF_IID_MASK	       0xc0000000u

/* FunctionIds common to all interfaces. */
#define TSMF_RIMCALL_RELEASE		     0x00000001u
#define TSMF_RIMCALL_QUERYINTERFACE	     0x00000002u
/* Capabilities negotiator interface. */
#define TSMF_RIM_EXCHANGE_CAPABILITY_REQUEST 0x00000100u
/* Client notifications interface. */
#define TSMF_PLAYBACK_ACK		     0x00000100u
#define TSMF_CLIENT_EVENT_NOTIFICATION	     0x00000101u
/* Server data interface. */
#define TSMF_EXCHANGE_CAPABILITIES_REQ	     0x00000100u
#define TSMF_SET_CHANNEL_PARAMS		     0x00000101u
#define TSMF_ADD_STREAM			     0x00000102u
#define TSMF_ON_SAMPLE			     0x00000103u
#define TSMF_SET_VIDEO_WINDOW		     0x00000104u
#define TSMF_ON_NEW_PRESENTATION	     0x00000105u
#define TSMF_SHUTDOWN_PRESENTATION_REQ	     0x00000106u
#define TSMF_SET_TOPOLOGY_REQ		     0x00000107u
#define TSMF_CHECK_FORMAT_SUPPORT_REQ	     0x00000108u
#define TSMF_ON_PLAYBACK_STARTED	     0x00000109u
#define TSMF_ON_PLAYBACK_PAUSED		     0x0000010au
#define TSMF_ON_PLAYBACK_STOPPED	     0x0000010bu
#define TSMF_ON_PLAYBACK_RESTARTED	     0x0000010cu
#define TSMF_ON_PLAYBACK_RATE_CHANGED	     0x0000010du
#define TSMF_ON_FLUSH			     0x0000010eu
#define TSMF_ON_STREAM_VOLUME		     0x0000010fu
#define TSMF_ON_CHANNEL_VOLUME		     0x00000110u
#define TSMF_ON_END_OF_STREAM		     0x00000111u
#define TSMF_SET_ALLOCATOR		     0x00000112u
#define TSMF_NOTIFY_PREROLL		     0x00000113u
#define TSMF_UPDATE_GEOMETRY_INFO	     0x00000114u
#define TSMF_REMOVE_STREAM		     0x00000115u
#define TSMF_SET_SOURCE_VIDEO_RECT	     0x00000116u

/* Capabilities (TSMM_CAPABILITIES.CapabilityType) and their values. */
#define TSMF_CAP_VERSION	       1u
#define TSMF_CAP_PLATFORM	       2u
#define TSMF_CAP_AUDIO		       3u
#define TSMF_CAP_LATENCY	       4u
#define TSMF_PLATFORM_MF	       0x1u
#define TSMF_PLATFORM_DSHOW	       0x2u
#define TSMF_PLATFORM_OTHER	       0x4u
#define TSMF_PLATFORM_COOKIE_MF	       1u
#define TSMF_PLATFORM_COOKIE_DSHOW     2u
#define TSMF_RIM_CAPABILITY_VERSION_01 1u

/* CLIENT_EVENT_NOTIFICATION.EventId */
#define TSMF_EVENT_END_OF_STREAM   0x0064u
#define TSMF_EVENT_STOP_COMPLETED  0x00c8u
#define TSMF_EVENT_START_COMPLETED 0x00c9u
#define TSMF_EVENT_MONITOR_CHANGED 0x012cu

/* TS_MM_DATA_SAMPLE.SampleExtensions */
#define TSMF_SAMPLE_CLEANPOINT		0x00000001u
#define TSMF_SAMPLE_DISCONTINUITY	0x00000002u
#define TSMF_SAMPLE_ABSOLUTE_TIMESTAMPS 0x00000200u

/** 100-ns units per millisecond (sample times are REFERENCE_TIME). */
#define TSMF_TICKS_PER_MS 10000ull

struct tsmf_guid {
	uint8_t b[16]; /**< wire form */
};

/** MEDIATYPE_Video, MEDIASUBTYPE_MJPG, FORMAT_VideoInfo */
extern const struct tsmf_guid tsmf_guid_media_video;
extern const struct tsmf_guid tsmf_guid_subtype_mjpg;
extern const struct tsmf_guid tsmf_guid_format_videoinfo;

/** A growable output buffer; errors stick until reset. */
struct tsmf_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err; /**< 0, or -ENOMEM once a write failed */
};

void tsmf_buf_init(struct tsmf_buf *b);
void tsmf_buf_reset(struct tsmf_buf *b); /**< len = 0, err = 0 */
void tsmf_buf_free(struct tsmf_buf *b);

/** One capability of EXCHANGE_CAPABILITIES_REQ/RSP (all are u32). */
struct tsmf_capability {
	uint32_t type;
	uint32_t value;
};

#define TSMF_MAX_CAPS 8

/* An EXCHANGE_CAPABILITIES_REQ or _RSP's list (the first TSMF_MAX_CAPS). */
struct tsmf_caps {
	uint32_t n;
	struct tsmf_capability caps[TSMF_MAX_CAPS];
};

/** An MJPG video stream (TS_AM_MEDIA_TYPE with a VIDEOINFOHEADER). */
struct tsmf_video_format {
	struct tsmf_guid major;	 /**< tsmf_guid_media_video */
	struct tsmf_guid sub;	 /**< tsmf_guid_subtype_mjpg */
	struct tsmf_guid format; /**< tsmf_guid_format_videoinfo */
	uint32_t fixed_size_samples;
	uint32_t temporal_compression;
	uint32_t sample_size;
	uint32_t width; /**< pixels */
	uint32_t height;
	uint32_t bit_rate;	     /**< bits/s, an estimate */
	uint64_t avg_time_per_frame; /**< 100 ns */
	uint16_t bit_count;	     /**< 24 */
	uint32_t compression;	     /**< FOURCC 'MJPG' */
};

/** GEOMETRY_INFO plus the visible rectangles of UPDATE_GEOMETRY_INFO. */
struct tsmf_geometry {
	uint64_t window_id;
	uint32_t window_state;
	uint32_t width; /**< of the video window, pixels */
	uint32_t height;
	uint32_t left; /**< of the video window on the desktop */
	uint32_t top;
	uint32_t client_left;
	uint32_t client_top;
	uint32_t n_visible;
	struct {
		uint32_t top, left, bottom, right;
	} visible[4];
};

/** One TS_MM_DATA_SAMPLE. */
struct tsmf_sample {
	uint64_t start; /**< 100 ns */
	uint64_t end;
	uint64_t throttle_duration;
	uint32_t flags;
	uint32_t extensions; /**< TSMF_SAMPLE_* */
	uint32_t len;
	const uint8_t *data; /**< parse: points into the message */
};

/* ---- server -> client requests (write) ---- */
void tsmf_write_rim_exchange_caps(struct tsmf_buf *b, uint32_t msg_id,
				  uint32_t value);
void tsmf_write_exchange_caps_req(struct tsmf_buf *b, uint32_t msg_id,
				  const struct tsmf_capability *caps,
				  uint32_t n);
void tsmf_write_new_presentation(struct tsmf_buf *b, uint32_t msg_id,
				 const struct tsmf_guid *pres,
				 uint32_t platform_cookie);
void tsmf_write_set_channel_params(struct tsmf_buf *b, uint32_t msg_id,
				   const struct tsmf_guid *pres,
				   uint32_t stream_id);
/** Fills in the GUIDs, bit count and FOURCC when they are zero. */
void tsmf_write_add_stream(struct tsmf_buf *b, uint32_t msg_id,
			   const struct tsmf_guid *pres, uint32_t stream_id,
			   const struct tsmf_video_format *fmt);
void tsmf_write_set_topology_req(struct tsmf_buf *b, uint32_t msg_id,
				 const struct tsmf_guid *pres);
void tsmf_write_set_video_window(struct tsmf_buf *b, uint32_t msg_id,
				 const struct tsmf_guid *pres,
				 uint64_t window_id, uint64_t parent);
void tsmf_write_update_geometry(struct tsmf_buf *b, uint32_t msg_id,
				const struct tsmf_guid *pres,
				const struct tsmf_geometry *g);
void tsmf_write_playback_started(struct tsmf_buf *b, uint32_t msg_id,
				 const struct tsmf_guid *pres, uint64_t offset,
				 uint32_t is_seek);
void tsmf_write_on_sample(struct tsmf_buf *b, uint32_t msg_id,
			  const struct tsmf_guid *pres, uint32_t stream_id,
			  const struct tsmf_sample *s);
void tsmf_write_end_of_stream(struct tsmf_buf *b, uint32_t msg_id,
			      const struct tsmf_guid *pres, uint32_t stream_id);
void tsmf_write_remove_stream(struct tsmf_buf *b, uint32_t msg_id,
			      const struct tsmf_guid *pres, uint32_t stream_id);
void tsmf_write_shutdown_presentation(struct tsmf_buf *b, uint32_t msg_id,
				      const struct tsmf_guid *pres);

/* ---- client -> server (write, for the probe client) ---- */
void tsmf_write_rim_caps_rsp(struct tsmf_buf *b, uint32_t msg_id,
			     uint32_t value, uint32_t result);
void tsmf_write_exchange_caps_rsp(struct tsmf_buf *b, uint32_t msg_id,
				  const struct tsmf_capability *caps,
				  uint32_t n, uint32_t result);
/** SET_TOPOLOGY_RSP: TopologyReady then Result. */
void tsmf_write_set_topology_rsp(struct tsmf_buf *b, uint32_t msg_id,
				 uint32_t ready, uint32_t result);
void tsmf_write_shutdown_rsp(struct tsmf_buf *b, uint32_t msg_id,
			     uint32_t result);
void tsmf_write_playback_ack(struct tsmf_buf *b, uint32_t msg_id,
			     uint32_t stream_id, uint64_t duration,
			     uint64_t bytes);
void tsmf_write_client_event(struct tsmf_buf *b, uint32_t msg_id,
			     uint32_t stream_id, uint32_t event_id);

/** The shared header of any message. */
struct tsmf_header {
	uint32_t interface_id; /**< with its mask bits */
	uint32_t message_id;
	uint32_t function_id; /**< 0 for responses (STUB mask) */
};

/** A parsed server request (what the client receives). */
struct tsmf_server_msg {
	struct tsmf_header hdr;
	struct tsmf_guid presentation; /**< where the message has one */
	uint32_t stream_id;
	union {
		uint32_t rim_caps_value;
		struct tsmf_caps caps;
		uint32_t platform_cookie;
		struct tsmf_video_format format;
		struct {
			uint64_t window_id;
			uint64_t parent;
		} window;
		struct tsmf_geometry geometry;
		struct tsmf_sample sample;
		struct {
			uint64_t offset;
			uint32_t is_seek;
		} started;
	} u;
};

/**
 * Parse one server message of @len bytes.  Messages of functions this
 * parser does not know come back with only the header filled in.
 * @return 0, or -EBADMSG for a truncated or inconsistent message.
 */
int tsmf_parse_server_msg(const uint8_t *p, size_t len,
			  struct tsmf_server_msg *m);

/** A parsed client message (what the server receives). */
struct tsmf_client_msg {
	struct tsmf_header hdr;
	bool response;	  /**< STUB: an answer to request hdr.message_id */
	uint32_t answers; /**< FunctionId of that request, as told */
	uint32_t result;  /**< HRESULT of the response, when it has one */
	union {
		uint32_t rim_caps_value;
		struct tsmf_caps caps;
		uint32_t topology_ready;
		struct {
			uint32_t stream_id;
			uint64_t duration;
			uint64_t bytes;
		} ack;
		struct {
			uint32_t stream_id;
			uint32_t event_id;
		} event;
	} u;
};

/** Look up what function the request with @message_id was (for parsing
 * responses); @return its FunctionId, or 0 if none is pending. */
typedef uint32_t (*tsmf_pending_fn)(void *ctx, uint32_t interface_id,
				    uint32_t message_id);

/**
 * Parse one client message of @len bytes; @pending names the request a
 * response answers (RIM_EXCHANGE_CAPABILITY_REQUEST for the capabilities
 * interface).  @return 0, -EBADMSG when malformed, -ENOENT for a response
 * to nothing pending.
 */
int tsmf_parse_client_msg(const uint8_t *p, size_t len, tsmf_pending_fn pending,
			  void *ctx, struct tsmf_client_msg *m);

/** Make a fresh presentation id from @seed (unique per server run). */
void tsmf_guid_make(struct tsmf_guid *g, uint64_t seed);
bool tsmf_guid_equal(const struct tsmf_guid *a, const struct tsmf_guid *b);

#endif /* VIREO_TSMF_PROTO_H */
