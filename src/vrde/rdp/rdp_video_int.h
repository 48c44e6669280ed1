/*
 * rdp_video_int.h - state shared by rdp_video.c, rdp_video_tsmf.c and
 * rdp_video_avc.c (private to the video part of the RDP module).
 */
#ifndef VIREO_RDP_VIDEO_INT_H
#define VIREO_RDP_VIDEO_INT_H

#include <stdatomic.h>

#include <freerdp/codec/h264.h>
#include <winpr/wtsapi.h>

#include "rdp.h"
#include "tsmf_server.h"
#include "video_detector.h"
#include "video_jpeg.h"

#define RDP_VIDEO_MAX	    VIDEO_DETECTOR_MAX_STREAMS
#define RDP_VIDEO_TICK_MS   100 /* detector tick when no refresh comes */
#define RDP_VIDEO_TSMF_CHAN (1 + RDP_VIDEO_MAX)

struct rdp_vstream {
	bool active;
	uint32_t id;		/* detector stream id */
	struct vrde_rect rect;	/* inside the screen */
	uint64_t seq;		/* frames so far (START is 1) */
	uint64_t jpeg_seq;	/* frame the cached JPEG shows */
	struct vmod_blob *jpeg; /* shared by every TSMF client of the screen */
	uint64_t jpeg_encodes;	/* JPEGs encoded for this stream */
	uint64_t jpeg_sends;	/* JPEGs handed to TSMF clients */
};

struct rdp_video_screen {
	struct video_detector *det;
	int quality;	   /* VideoChannel/Quality, 10..100 */
	uint32_t max_kbps; /* VideoChannel/MaxBitRate, kbit/s; 0: none */
	uint64_t geom_gen; /* of the screen the state below is for */
	uint32_t tiles_x, tiles_y;
	uint64_t *nv_gen; /* per tile: last change outside video */
	struct rdp_vstream streams[RDP_VIDEO_MAX];
	int64_t last_commit_ms;
	bool fed_since_commit; /* a refresh is under way: no tick */
};

enum rdp_video_path {
	RDP_VIDEO_NONE = 0, /* not delivering (lossless tiles show it) */
	RDP_VIDEO_TSMF,
	RDP_VIDEO_AVC,
};

struct rdp_vcstream {
	bool used;
	uint32_t id;
	struct vrde_rect rect;
	uint64_t seq_sent;
	enum rdp_video_path path;
	/* AVC: surface and encoder of this stream */
	bool surface;
	uint16_t surface_id;
	uint32_t sw, sh; /* surface size: rect rounded up to 16 */
	struct rdp_h264 *enc;
	bool need_idr; /* the client has no picture of this stream yet */
};

struct rdp_vchan {
	HANDLE h;
	int state; /* 0 free, 1 opening, 2 open */
};

struct rdp_h264;

struct rdp_video_client {
	int quality;
	uint32_t max_kbps;	/* VideoChannel/MaxBitRate; 0: none */
	struct rdp_h264 *spare; /* encoder of the last AVC stream that ended */
	uint64_t reused;	/* streams that took the spare over */
	struct rdp_vcstream s[RDP_VIDEO_MAX];
	/* TSMF */
	struct tsmf_server *tsmf;
	int tsmf_state; /* 0 not tried, 1 negotiating, 2 ready, -1 none */
	int64_t tsmf_deadline;
	struct rdp_vchan chan[RDP_VIDEO_TSMF_CHAN];
	struct video_jpeg *jpeg;
	/* AVC: H.264 negotiated (set on the graphics channel's thread) */
	atomic_bool avc;
	/* pixel copy of a stream rectangle */
	uint8_t *buf;
	size_t buf_size;
	/* statistics for query_info and logs */
	enum rdp_video_path last_path;
	uint64_t frames, bytes;
};

/* rdp_video.c */
/** Copy @r of @c's screen into c->video->buf as @w x @h (>= r's size,
 * edges repeated), if @seq is still the stream's latest frame.
 * @return 0, -ESTALE (a newer frame or no stream), -ENOMEM. */
int rdp_video_copy(struct rdp_client *c, uint32_t id, uint64_t seq,
		   const struct vrde_rect *r, uint32_t w, uint32_t h);

/* rdp_video_tsmf.c */
void rdp_video_tsmf_open(struct rdp_client *c);
void rdp_video_tsmf_poll(struct rdp_client *c);
bool rdp_video_tsmf_ready(struct rdp_client *c);
bool rdp_video_tsmf_pending(struct rdp_client *c);
int rdp_video_tsmf_start(struct rdp_client *c, struct rdp_vcstream *vs);
/** @return 1 sent, 0 not now, -errno. */
int rdp_video_tsmf_frame(struct rdp_client *c, struct rdp_vcstream *vs,
			 uint64_t seq);
void rdp_video_tsmf_end(struct rdp_client *c, struct rdp_vcstream *vs);
void rdp_video_tsmf_close(struct rdp_client *c);

/* rdp_video_avc.c */
int rdp_video_avc_start(struct rdp_client *c, struct rdp_vcstream *vs);
int rdp_video_avc_frame(struct rdp_client *c, struct rdp_vcstream *vs,
			uint64_t seq);
void rdp_video_avc_end(struct rdp_client *c, struct rdp_vcstream *vs);

#endif /* VIREO_RDP_VIDEO_INT_H */
