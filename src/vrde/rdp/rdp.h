/*
 * rdp.h - private declarations of the FreeRDP-based VRDE module.
 *
 * The module is split by concern: rdp_module.c (ABI entry points,
 * properties, query_info), rdp_listen.c (ports, sockets, accept thread),
 * rdp_cert.c (TLS certificate), rdp_session.c (one thread per client,
 * FreeRDP peer callbacks), rdp_auth.c (credentials, "@n" monitor
 * selection), rdp_input.c (input mapping), rdp_screen.c (per-screen shadow
 * copy and the shared tile encoder), rdp_bitmap.c (legacy BitmapUpdate),
 * rdp_rle.c (interleaved RLE for it below 32 bpp),
 * rdp_gfx.c (graphics pipeline), rdp_pointer.c (pointer shape),
 * rdp_compat.c (work-arounds for clients FreeRDP 2.11 mishandles),
 * rdp_guard.c (limits on connections that have not logged on).
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
#include <freerdp/server/rdpgfx.h>

#include "vrde/vrde.h"

#define RDP_TILE	 64
#define RDP_MAX_LISTEN	 4
#define RDP_GFX_INFLIGHT 3 /* frames sent but not acknowledged */

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

/* A reference-counted byte buffer shared between clients. */
struct rdp_blob {
	atomic_int refs;
	uint32_t len;
	uint8_t data[];
};

struct rdp_tile_entry {
	uint64_t gen; /* tile generation the bytes show; 0 = empty */
	struct rdp_blob *blob;
	uint64_t busy_gen; /* generation a client is encoding now; 0 = none */
};

struct rdp_screen {
	pthread_mutex_t lock;
	pthread_cond_t encoded; /* a busy tile entry was filled or given up */
	uint32_t index;
	bool enabled;
	uint32_t width, height;	   /* pixels */
	uint32_t tiles_x, tiles_y; /* tile grid */
	uint32_t pad_w, pad_h;	   /* shadow size: tile multiple */
	uint8_t *shadow;	   /* pad_w * pad_h XRGB, stride pad_w*4 */
	uint64_t gen;		   /* last generation stamped */
	uint64_t *tile_gen;	   /* per tile */
	uint64_t geom_gen;	   /* bumped on every geometry change */
	bool need_full;		   /* next update() copies everything */
	bool filled;		   /* shadow holds real pixels */
	struct rdp_tile_entry *cache[RDP_CODEC_COUNT]; /* per tile */
	uint64_t encodes, shares;		       /* statistics */
	struct rdp_video_screen *video; /* rdp_video.c; NULL: channel off */
};

struct rdp_server;
struct rdp_encoder;

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
	rdpContext ctx; /* first: FreeRDP allocates ContextSize bytes */
	struct rdp_server *srv;
	freerdp_peer *peer;
	struct rdp_client *next;
	uint32_t id;
	uint32_t screen;
	HANDLE wake; /* set by update() and disconnect() */
	HANDLE vcm;
	atomic_bool quit;
	bool logged_on; /* client_logon granted */
	bool connected; /* client_connect reported */
	bool activated;
	bool need_full; /* send every tile regardless of generation */
	uint64_t gen_sent;
	uint64_t geom_seen;
	uint32_t width, height; /* session size */
	enum rdp_codec codec;
	const char *security; /* "NLA", "TLS", "RDP" */
	/* graphics pipeline */
	RdpgfxServerContext *gfx;
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
	char user[256], domain[256], client_name[64], address[64];
	uint32_t client_build;
	int64_t begin_ms;
	atomic_ullong bytes_sent, bytes_received;
	struct rdp_video_client *video; /* rdp_video.c */
};

struct rdp_pointer_state {
	uint64_t gen; /* bumped on every change */
	bool hidden;
	bool custom; /* a guest shape is set */
	uint32_t width, height, hot_x, hot_y;
	uint32_t *argb;
};

struct rdp_server {
	const struct vrde_host_callbacks *cb;
	void *ctx;
	uint32_t nscreens;
	struct rdp_screen *screens;
	pthread_mutex_t lock; /* clients list, counters, pointer */
	pthread_cond_t cond;  /* nthreads reached 0 */
	int nthreads;	      /* client threads alive */
	pthread_t *finished;  /* ended client threads, to be joined */
	size_t nfinished, finished_cap;
	bool stopping;
	struct rdp_client *clients;
	uint32_t next_id;
	uint32_t total_clients;
	atomic_bool enabled;
	/* listening */
	int listen_fds[RDP_MAX_LISTEN];
	int nlisten;
	int port;
	int stop_pipe[2];
	pthread_t listen_thread;
	bool listen_started;
	/* security */
	bool sec_nla, sec_tls, sec_rdp;
	char *cert_file, *key_file;
	char *cert_tmpdir;     /* mkdtemp'd when there is no machine folder */
	char fingerprint[128]; /* "SHA256:AA:BB:..." */
	bool auth_null; /* every client is granted: loopback by default */
	struct rdp_guard guard;
	bool disable_input, disable_display;
	bool gfx_rfx; /* Property/GfxCodec=remotefx */
	struct rdp_pointer_state pointer;
};

/* rdp_module.c */
void rdp_log(struct rdp_server *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define rdp_err(s, ...)	  rdp_log(s, 0, __VA_ARGS__)
#define rdp_warn(s, ...)  rdp_log(s, 1, __VA_ARGS__)
#define rdp_info(s, ...)  rdp_log(s, 2, __VA_ARGS__)
#define rdp_debug(s, ...) rdp_log(s, 3, __VA_ARGS__)
/** Property @name into @buf; "" when unset.  @return length or -errno. */
int rdp_prop(struct rdp_server *srv, const char *name, char *buf, size_t size);
bool rdp_prop_bool(struct rdp_server *srv, const char *name);
int64_t rdp_now_ms(void);
/** Copy @s into @out for a log line: backslash and quotes escaped,
 * control characters as \xNN, "..." when cut.  @return @out. */
const char *rdp_escape(char *out, size_t size, const char *s);

/* rdp_guard.c */
int64_t rdp_mono_ms(void);
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
void rdp_guard_drop_all(struct rdp_server *srv);
/** Drop connections past their deadline.  Listener thread.
 * @return milliseconds until the next deadline (at most 1000). */
int rdp_guard_tick(struct rdp_server *srv);

/* rdp_listen.c (TCP/Ports: src/util/portlist.h) */
int rdp_listen_start(struct rdp_server *srv);
void rdp_listen_stop(struct rdp_server *srv);

/* rdp_cert.c */
/** Settle srv->cert_file/key_file (configured or generated) and the
 * fingerprint.  @return 0 or -errno. */
int rdp_cert_setup(struct rdp_server *srv);
/** Free the file names; remove a temporary certificate directory. */
void rdp_cert_fini(struct rdp_server *srv);
/** Generate a self-signed RSA-2048/SHA-256 certificate into @cert/@key.
 * @return 0 or -errno. */
int rdp_cert_generate(const char *cert, const char *key, const char *cn);
/** SHA-256 fingerprint of the PEM certificate in @cert. */
int rdp_cert_fingerprint(const char *cert, char *out, size_t size);

/* rdp_session.c */
int rdp_session_start(struct rdp_server *srv, int fd, const char *address,
		      const struct rdp_guard_ticket *t);
void rdp_session_kick(struct rdp_client *c);
/** Join the client threads that have ended. */
void rdp_session_reap(struct rdp_server *srv);
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
void rdp_screen_resize(struct rdp_server *srv, uint32_t screen);
void rdp_screen_update(struct rdp_server *srv, uint32_t screen,
		       const struct vrde_rect *r);
/** Make sure the shadow of @screen holds pixels (locks the host screen). */
void rdp_screen_ensure_filled(struct rdp_server *srv, uint32_t screen);
struct rdp_blob *rdp_blob_ref(struct rdp_blob *b);
void rdp_blob_unref(struct rdp_blob *b);

/* One tile of a frame, with its encoded bytes (a reference). */
struct rdp_tile_out {
	uint32_t x, y, w, h; /* pixels; w/h are the encoded size */
	uint32_t cw, ch;     /* visible part inside the screen */
	struct rdp_blob *blob;
};

/** Collect the tiles of @c's screen newer than @c->gen_sent (all when
 * @all), encoded with @codec.  Fills @out (allocated, caller frees with
 * rdp_tiles_free), sets *@n and advances @c->gen_sent.
 * @return 0, -ESTALE when the geometry changed, other -errno. */
int rdp_screen_collect(struct rdp_client *c, enum rdp_codec codec, bool all,
		       struct rdp_tile_out **out, uint32_t *n);
void rdp_tiles_free(struct rdp_tile_out *t, uint32_t n);
void rdp_encoder_free(struct rdp_encoder *enc);
/** Geometry of @screen (0 sizes if unknown). */
void rdp_screen_geometry(struct rdp_server *srv, uint32_t screen, uint32_t *w,
			 uint32_t *h, uint64_t *geom_gen);

/* rdp_bitmap.c */
/** Choose the legacy codec from the client's settings. */
enum rdp_codec rdp_bitmap_choose_codec(rdpSettings *s);
/** Send what changed through BitmapUpdate.  @return 0 or -errno. */
int rdp_bitmap_send(struct rdp_client *c);
int rdp_bitmap_resize(struct rdp_client *c);

/* rdp_gfx.c */
int rdp_gfx_open(struct rdp_client *c);
void rdp_gfx_close(struct rdp_client *c);
int rdp_gfx_send(struct rdp_client *c);
int rdp_gfx_resize(struct rdp_client *c);

/* rdp_pointer.c */
void rdp_pointer_send(struct rdp_client *c);
void rdp_pointer_set(struct rdp_server *srv,
		     const struct vrde_pointer_shape *shape);
void rdp_pointer_hide(struct rdp_server *srv);
void rdp_pointer_fini(struct rdp_server *srv);

#include "rdp_video.h"

#endif /* VIREO_VRDE_RDP_H */
