/*
 * rdp.h - private declarations of the FreeRDP-based VRDE module.
 *
 * The module is split by concern:
 *
 *   rdp_module.c       ABI entry points, properties, FreeRDP's log, query_info
 *   rdp_listen.c       accepted connections to the guard and a session
 *   rdp_cert.c         TLS certificate (vmod_cert.c) and RDP key
 *   rdp_guard.c        limits on connections that have not logged on
 *   rdp_session.c      one thread per client, FreeRDP peer callbacks
 *   rdp_compat.c       work-arounds for clients FreeRDP 2.11 mishandles
 *   rdp_auth.c         credentials
 *   rdp_auth_screen.c  "@n" monitor selection in the user name
 *   rdp_input.c        input mapping
 *   rdp_screen.c       the shared tile encoder and its caches
 *   rdp_bitmap.c       legacy BitmapUpdate
 *   rdp_rle.c          interleaved RLE for it below 32 bpp (rdp_rle.h)
 *   rdp_gfx.c          graphics pipeline: its channel and frames
 *   rdp_gfx_pdu.c      its PDUs, and the parser of the client's (.h)
 *   rdp_zgfx.c         RDP 8.0 bulk compression of it (rdp_zgfx.h)
 *   rdp_pointer.c      pointer shape
 *   rdp_video.c        video redirection: streams per screen and client
 *   rdp_video_tsmf.c   MJPEG over MS-RDPEV for one client
 *   rdp_video_avc.c    H.264 AVC420 through the graphics pipeline
 *   rdp_h264.c         its encoder: libx264, or FreeRDP's (rdp_h264.h)
 *   rdp_urbdrc.c       remote USB: MS-RDPEUSB over "URBDRC" to the host
 *   rdp_urbdrc_pdu.c   its messages (rdp_urbdrc_pdu.h)
 *                      (the three: rdp_video.h, rdp_video_int.h)
 *
 * What it shares with the VNC module is libvireo-vrde-common's
 * (../common/vmod.h): the host's properties and log, the listener, the
 * screens' shadow copies, the certificate, the clients and their threads.
 *
 * Sharing model: each screen has a shadow copy cut into 64x64 tiles.  Every
 * update() stamps the tiles it touches with a new generation number.  A
 * client remembers the generation it has sent; when it may send (not write
 * blocked, few frames in flight) it sends every tile stamped later, in its
 * latest state.  Encoded tiles are cached per codec configuration together
 * with the generation they show, so a tile is encoded once however many
 * clients with the same configuration need it.  A stalled client just falls
 * behind in generations; it never holds anything others wait for.
 */
#ifndef VIREO_VRDE_RDP_H
#define VIREO_VRDE_RDP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <freerdp/freerdp.h>
#include <freerdp/peer.h>
#include <freerdp/channels/channels.h>
#include <freerdp/channels/rdpgfx.h>

#include "vrde/common/vmod.h"
#include "vrde/vrde.h"

#define RDP_TILE	 VMOD_TILE
#define RDP_GFX_INFLIGHT 3 /* frames sent but not acknowledged */
/* the largest virtual channel chunk a server may announce (MS-RDPBCGR
 * 2.2.7.1.10, VCChunkSize) */
#define RDP_VC_CHUNK_MAX 16256

/* Encoded-tile configurations; clients with the same one share bytes. */
enum rdp_codec {
	RDP_CODEC_PLANAR_NA = 0, /* BitmapUpdate planar, no alpha plane */
	RDP_CODEC_PLANAR_ALPHA =
	    1, /* BitmapUpdate planar with alpha (rdesktop) */
	RDP_CODEC_INTERLEAVED_16 = 2,
	RDP_CODEC_INTERLEAVED_24 = 3,
	RDP_CODEC_INTERLEAVED_15 = 4,
	RDP_CODEC_GFX_PLANAR = 5, /* RDPGFX planar, top-down, exact size */
	RDP_CODEC_GFX_RFX = 6,	  /* RDPGFX RemoteFX (CAVIDEO), lossy */
	RDP_CODEC_COUNT
};

struct rdp_tile_entry {
	uint64_t gen; /* tile generation the bytes show; 0 = empty */
	struct vmod_blob *blob;
	uint64_t busy_gen; /* generation a client is encoding now; 0 = none */
};

struct rdp_screen {
	struct vmod_fb fb;	/* shadow, tiles, lock (vmod_fb.c) */
	pthread_cond_t encoded; /* a busy tile entry was filled or given up */
	struct rdp_tile_entry *cache[RDP_CODEC_COUNT]; /* per tile */
	uint32_t cache_tiles;			       /* their length */
	struct rdp_video_screen *video; /* rdp_video.c; NULL: channel off */
};

struct rdp_server;
struct rdp_encoder;
struct rdp_gfx;
struct rdp_zbuf;

/* A connection that has not logged on yet (rdp_guard.c). */
struct rdp_guard_place {
	int fd;		  /* the guard's duplicate; -1: place free */
	bool dying;	  /* shut down, its thread has not released it yet */
	uint64_t gen;	  /* tells a reused place from the one a ticket names */
	int64_t since_ms; /* accepted, CLOCK_MONOTONIC */
	int64_t marked_ms; /* its source was refused or dropped then; 0 */
	char source[48];   /* IPv4 address or IPv6 /64 prefix */
	char address[64];
};

#define RDP_GUARD_MARKS 1024

/* A source that had a connection refused or dropped lately. */
struct rdp_guard_mark {
	char source[48];
	int64_t ms; /* when, CLOCK_MONOTONIC; 0: unused */
};

struct rdp_guard {
	uint32_t max, per_source;     /* Security/MaxPending... */
	int64_t timeout_ms;	      /* Security/LogonTimeout */
	struct rdp_guard_place *slot; /* nslots places, under srv->lock */
	uint32_t nslots;
	uint64_t gen;
	struct rdp_guard_mark marks[RDP_GUARD_MARKS]; /* listener thread */
	uint64_t released, released_trimmed;	      /* places given back */
	int64_t trim_ms;
	/* refusal lines, listener thread only */
	uint64_t refusals, replaced, expired;
	int64_t log_window_ms;
	unsigned log_count, log_suppressed;
};

/* A client's place in the guard; slot -1: none (logged on or gone). */
struct rdp_guard_ticket {
	int slot;
	uint64_t gen;
};

struct rdp_client {
	rdpContext ctx;	       /* first: FreeRDP allocates ContextSize bytes */
	struct vmod_client vc; /* id, screen, address, ... (vmod_server.c) */
	struct rdp_server *srv;
	freerdp_peer *peer;
	HANDLE wake; /* set by update() and disconnect() */
	HANDLE vcm;
	atomic_bool quit;
	bool logged_on; /* client_logon granted */
	bool activated;
	bool need_full; /* send every tile regardless of generation */
	uint64_t gen_sent;
	uint64_t geom_seen;
	uint32_t width, height; /* session size */
	enum rdp_codec codec;
	/* graphics pipeline */
	struct rdp_gfx *gfx; /* rdp_gfx.c: the channel, NULL until opened */
	bool gfx_opened;
	bool gfx_failed;       /* fall back to bitmap updates */
	atomic_bool gfx_ready; /* caps confirmed; set on the channel thread */
	atomic_bool gfx_noack; /* client suspended frame acknowledgements */
	bool gfx_surface;      /* surface created for the current size */
	uint16_t gfx_surface_id;
	uint32_t frame_id;
	atomic_uint frame_acked;
	bool frame_ack;	  /* legacy: client acknowledges frame markers */
	bool was_blocked; /* transport write blocked at the last look */
	uint32_t blocked_count;
	struct rdp_encoder *enc; /* scratch codec contexts of this thread */
	/* pointer */
	uint64_t pointer_gen_sent;
	/* input */
	uint32_t buttons;
	int32_t last_x, last_y;
	struct rdp_guard_ticket ticket;
	/* NLA: plaintext from Logon(automatic) */
	char *nla_user, *nla_domain, *nla_password;
	/* NLA: an attempt the host was told of (nla_begin), not yet ended */
	bool nla_judged;
	char nla_try_user[256], nla_try_domain[256];
	void *compat_orig_recv; /* rdp_compat.c: FreeRDP's receive callback */
	/* query_info */
	char domain[256], client_name[64];
	uint32_t client_build;
	struct rdp_video_client *video; /* rdp_video.c */
	struct rdp_urbdrc *urbdrc;	/* rdp_urbdrc.c, under usb->lock */
	bool urbdrc_tried;		/* opened once, never again */
};

struct rdp_server {
	struct vmod_server core; /* first: clients, threads, listener, cert */
	uint32_t nscreens;
	struct rdp_screen *screens;
	/* security */
	bool sec_nla, sec_tls, sec_rdp;
	char *rdp_key_pem; /* the key for standard RDP security, or NULL */
	struct rdp_guard guard;
	bool disable_input, disable_display;
	bool gfx_rfx;	     /* Property/GfxCodec=remotefx */
	bool disable_usb;    /* Client/DisableUSB */
	bool usb_enabled;    /* host has USB callbacks and USB is not off */
	struct rdp_usb *usb; /* rdp_urbdrc.c */
};

/* rdp_module.c; the helpers are libvireo-vrde-common's (vmod.h) */
#define rdp_log(s, level, ...)	     vmod_log(&(s)->core.host, level, __VA_ARGS__)
#define rdp_err(s, ...)		     rdp_log(s, VRDE_LOG_ERR, __VA_ARGS__)
#define rdp_warn(s, ...)	     rdp_log(s, VRDE_LOG_WARN, __VA_ARGS__)
#define rdp_info(s, ...)	     rdp_log(s, VRDE_LOG_INFO, __VA_ARGS__)
#define rdp_debug(s, ...)	     rdp_log(s, VRDE_LOG_DEBUG, __VA_ARGS__)
#define rdp_prop(s, name, buf, size) vmod_prop(&(s)->core.host, name, buf, size)
#define rdp_prop_bool(s, name)	     vmod_prop_bool(&(s)->core.host, name)
/** Copy @s into @out for a log line: backslash and quotes escaped,
 * control characters as \xNN, "..." when cut.  @return @out. */
const char *rdp_escape(char *out, size_t size, const char *s);

/* rdp_guard.c */
/** Read Security/MaxPendingConnections, MaxPendingPerAddress and
 * LogonTimeout.  @return 0 or -EINVAL (logged), -ENOMEM. */
int rdp_guard_init(struct rdp_server *srv);
void rdp_guard_fini(struct rdp_server *srv);
/** The source key of a peer address: IPv4 address or IPv6 /64 prefix. */
void rdp_guard_source(const struct sockaddr_storage *ss, char *key,
		      size_t size);
/** Count accepted @fd from @source in, or refuse it (logged).  Fills @t.
 * @return 0 or -EMFILE (source full), -ENFILE (all full), -errno. */
int rdp_guard_admit(struct rdp_server *srv, int fd, const char *source,
		    const char *address, struct rdp_guard_ticket *t);
/** The client logged on or is leaving: give its place back. */
void rdp_guard_release(struct rdp_server *srv, struct rdp_guard_ticket *t);
/** Shut every pending connection down (connections disabled, destroy):
 * their threads may be blocked in FreeRDP reads. */
void rdp_guard_drop_all(struct vmod_server *core);
/** Drop connections past their deadline.  Listener thread.
 * @return milliseconds until the next deadline (at most 1000). */
int rdp_guard_tick(struct rdp_server *srv);

/* rdp_listen.c (sockets: vmod_listen.c; TCP/Ports: src/util/portlist.h) */
/** Set up srv->core.listen (vmod_server.c starts and stops it). */
void rdp_listen_init(struct rdp_server *srv);

/* rdp_cert.c */
/** Settle srv->cert (vmod_cert.c) and the key for standard RDP security.
 * @return 0 or -errno. */
int rdp_cert_setup(struct rdp_server *srv);
/** Free them; remove a temporary certificate directory. */
void rdp_cert_fini(struct rdp_server *srv);

/* rdp_session.c */
int rdp_session_start(struct rdp_server *srv, int fd, const char *address,
		      const struct rdp_guard_ticket *t);
void rdp_session_kick(struct vmod_client *vc);
void rdp_session_wake_screen(struct rdp_server *srv, uint32_t screen);

/* rdp_auth_screen.c */
/** Split the "@n" selector off @user/@domain (modified in place).
 * @return 0-based screen. */
uint32_t rdp_auth_take_screen(char *user, char *domain);

/* rdp_auth.c */
BOOL rdp_auth_logon_cb(freerdp_peer *peer, SEC_WINNT_AUTH_IDENTITY *id,
		       BOOL automatic);
SECURITY_STATUS rdp_auth_ntlm_hash_cb(void *peer,
				      const SEC_WINNT_AUTH_IDENTITY *id,
				      const SecBuffer *proof,
				      const BYTE *randkey, const BYTE *mic,
				      const SecBuffer *micvalue, BYTE *hash);
/** Check the client's credentials through the host.  @return 0 or -errno
 * (client must be dropped). */
int rdp_auth_check(struct rdp_client *c);
/** The session ends: an NLA attempt still open failed. */
void rdp_auth_nla_end(struct rdp_client *c, int result);

/* rdp_compat.c */
/** Work around FreeRDP 2.11 rejecting rdesktop's MCS Erect Domain Request.
 */
void rdp_compat_install(struct rdp_client *c);

/* rdp_input.c */
void rdp_input_register(struct rdp_client *c);
/** Unicode code unit to set-1 scancode (US layout).  @return scancode with
 * 0x100 for "needs shift", or 0 when unknown. */
int rdp_input_unicode_to_scancode(uint16_t cu);

/* rdp_screen.c */
int rdp_screen_init(struct rdp_server *srv);
void rdp_screen_fini(struct rdp_server *srv);
/* The RDP client that embeds vmod_client @v. */
#define rdp_client_of(v) vmod_container_of(v, struct rdp_client, vc)

/* One tile of a frame, with its encoded bytes (a reference). */
struct rdp_tile_out {
	uint32_t x, y, w, h; /* pixels; w/h are the encoded size */
	uint32_t cw, ch;     /* visible part inside the screen */
	struct vmod_blob *blob;
};

/** Collect the tiles of @c's screen newer than @c->gen_sent (all when
 * @all), encoded with @codec.  Fills @out (allocated, caller frees with
 * rdp_tiles_free), sets *@n and advances @c->gen_sent.
 * @return 0, -ESTALE when the geometry changed, other -errno. */
int rdp_screen_collect(struct rdp_client *c, enum rdp_codec codec, bool all,
		       struct rdp_tile_out **out, uint32_t *n);
/** What the next update of @c sends: rdp_screen_collect() with @c's
 * codec, everything when @c->need_full (cleared then).  @return 0, also
 * with *@n 0 when nothing changed or the geometry is changing, or
 * -errno. */
int rdp_screen_take(struct rdp_client *c, struct rdp_tile_out **out,
		    uint32_t *n);
void rdp_tiles_free(struct rdp_tile_out *t, uint32_t n);
void rdp_encoder_free(struct rdp_encoder *enc);

/* rdp_bitmap.c */
/** Choose the legacy codec from the client's settings. */
enum rdp_codec rdp_bitmap_choose_codec(rdpSettings *s);
/** Send what changed through BitmapUpdate.  @return 0 or -errno. */
int rdp_bitmap_send(struct rdp_client *c);
int rdp_bitmap_resize(struct rdp_client *c);

/* rdp_gfx.c */
/** Open the pipeline's channel (the client answers later). */
int rdp_gfx_open(struct rdp_client *c);
void rdp_gfx_close(struct rdp_client *c);
/** Read what the client sent.  @return 0, or -errno when the client
 * refused the channel (use bitmap updates). */
int rdp_gfx_poll(struct rdp_client *c);
int rdp_gfx_send(struct rdp_client *c);
/** One graphics-pipeline frame: StartFrame, @emit's surface commands,
 * EndFrame (counted as acknowledged at once when the client suspended
 * acknowledgements).  @return 0, -EIO, or @emit's error. */
int rdp_gfx_frame(struct rdp_client *c,
		  int (*emit)(struct rdp_client *, void *), void *arg);
int rdp_gfx_resize(struct rdp_client *c);
/** The PDUs of the message being built (rdp_gfx_pdu.h writers). */
struct rdp_zbuf *rdp_gfx_pdus(struct rdp_client *c);
/** Compress and send the PDUs collected.  @return 0 or -errno. */
int rdp_gfx_flush(struct rdp_client *c);
/** StartFrame with the next frame id.  @return the id. */
uint32_t rdp_gfx_frame_start(struct rdp_client *c);
/** EndFrame @id, then send the frame.  @return 0 or -errno. */
int rdp_gfx_frame_end(struct rdp_client *c, uint32_t id);

/* rdp_pointer.c */
void rdp_pointer_send(struct rdp_client *c);
/** Wake every client to send the new pointer (vmod_server hook). */
void rdp_pointer_wake(struct vmod_server *core);

/* rdp_urbdrc.c */
/** The host table has the version-2 USB callbacks. */
bool rdp_urbdrc_host_has_usb(const struct vrde_host_callbacks *cb);
int rdp_urbdrc_init(struct rdp_server *srv);
void rdp_urbdrc_fini(struct rdp_server *srv);
/** Open URBDRC once the session is up, then run its channels (client
 * thread). */
void rdp_urbdrc_poll(struct rdp_client *c);
/** The client is leaving: its devices are gone. */
void rdp_urbdrc_close(struct rdp_client *c);
int rdp_urbdrc_submit(struct vrde_server *vs, const struct vrde_usb_urb *urb);
int rdp_urbdrc_cancel(struct vrde_server *vs, uint32_t device_id,
		      uint64_t handle);
int rdp_urbdrc_reset(struct vrde_server *vs, uint32_t device_id);
void rdp_urbdrc_release(struct vrde_server *vs, uint32_t device_id);

#include "rdp_video.h"

#endif /* VIREO_VRDE_RDP_H */
