/*
 * vnc.h - private declarations of the RFB (VNC) VRDE module.
 *
 * The module implements RFB 3.3/3.7/3.8 itself (see vireo-vrde-vnc(7) and
 * ../shared/reference/vnc-facts.md for why not libvncserver) and is split
 * by concern: vnc_module.c (ABI entry points, properties, VNC's
 * query_info codes), vnc_listen.c (ports, one per screen), vnc_client.c
 * (one thread per viewer: handshake, messages, updates), vnc_proto.c (the
 * parser of everything a client sends; pure, fuzzed), vnc_auth.c (VNC
 * authentication, VeNCrypt), vnc_tls.c (the TLS layer of VeNCrypt),
 * vnc_screen.c (the shared tile caches), vnc_enc.c (Raw, Hextile, ZRLE,
 * Tight encoders), vnc_keymap.c (keysym -> scancode).  What it shares
 * with the RDP module is libvireo-vrde-common's (../common/vmod.h): the
 * host's properties and log, the listener, the screens' shadow copies,
 * the certificate, the list of clients and their threads.
 *
 * Sharing model, as in the RDP module: each screen has a shadow copy cut
 * into 64x64 tiles stamped with generations.  Encoded tiles are cached per
 * "configuration" (encoding, client pixel format, JPEG quality); the
 * first viewer that needs a tile in a configuration encodes it while
 * holding that configuration's lock, every later viewer with the same
 * configuration takes a reference to the same bytes.  The encodings with
 * connection state (ZRLE's and Tight's zlib streams) are made shareable:
 * ZRLE tiles are independent raw-deflate chunks ending at a sync flush
 * (only the 2-byte zlib header is per viewer), Tight rects reset their
 * zlib stream.
 */
#ifndef VIREO_VRDE_VNC_H
#define VIREO_VRDE_VNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vrde/common/vmod.h"
#include "vrde/vrde.h"

#define VNC_TILE	    VMOD_TILE
#define VNC_MAX_SCREENS	    VMOD_MAX_SETS /* one port each */
#define VNC_MAX_CONFIGS	    8		  /* shared tile caches per screen */
#define VNC_MAX_ENCODINGS   64		  /* SetEncodings entries kept */
#define VNC_MAX_ENC_MSG	    1024	  /* SetEncodings entries accepted */
#define VNC_MAX_CUT_TEXT    (1u << 20)	  /* ClientCutText bytes skipped */
#define VNC_MAX_DESK_SCREEN 16		  /* SetDesktopSize screens */
#define VNC_IN_BUF	    8192 /* bytes of client messages buffered */
#define VNC_MAX_CRED	    255	 /* VeNCrypt Plain user/password bytes */
#define VNC_BLANK_W	    640	 /* what viewers see of a screen that is off, */
#define VNC_BLANK_H	    448	 /* in whole tiles */

/* Encodings (RFB numbers). */
#define VNC_ENC_RAW	    0
#define VNC_ENC_COPYRECT    1
#define VNC_ENC_HEXTILE	    5
#define VNC_ENC_TIGHT	    7
#define VNC_ENC_ZRLE	    16
#define VNC_PSEUDO_CURSOR   (-239)
#define VNC_PSEUDO_DESKSIZE (-223)
#define VNC_PSEUDO_EXTDESK  (-308)
#define VNC_PSEUDO_QEMUKEY  (-258)
#define VNC_PSEUDO_QUAL_LO  (-32) /* JPEG quality level 0 */
#define VNC_PSEUDO_QUAL_HI  (-23) /* JPEG quality level 9 */
#define VNC_PSEUDO_LASTRECT (-224)

/* Security types. */
#define VNC_SEC_NONE	 1
#define VNC_SEC_VNCAUTH	 2
#define VNC_SEC_VENCRYPT 19
#define VNC_VC_X509NONE	 260
#define VNC_VC_X509VNC	 261
#define VNC_VC_X509PLAIN 262

struct vnc_pixfmt {
	uint8_t bpp; /* 8, 16 or 32 */
	uint8_t depth;
	uint8_t big_endian;
	uint8_t true_color;
	uint16_t rmax, gmax, bmax;
	uint8_t rshift, gshift, bshift;
};

/* ---- vnc_proto.c: what a client sends ------------------------------ */

enum vnc_msg_type {
	VNC_MSG_SET_PIXEL_FORMAT = 0,
	VNC_MSG_SET_ENCODINGS = 2,
	VNC_MSG_UPDATE_REQUEST = 3,
	VNC_MSG_KEY = 4,
	VNC_MSG_POINTER = 5,
	VNC_MSG_CUT_TEXT = 6,
	VNC_MSG_SET_DESKTOP_SIZE = 251,
	VNC_MSG_QEMU = 255,
};

struct vnc_msg {
	int type;
	union {
		struct vnc_pixfmt pf;
		struct {
			uint32_t n; /* kept, at most VNC_MAX_ENCODINGS */
			int32_t enc[VNC_MAX_ENCODINGS];
		} encs;
		struct {
			bool incremental;
			uint16_t x, y, w, h;
		} req;
		struct {
			bool down;
			uint32_t keysym;
			uint32_t
			    keycode; /* QEMU extended key: XT code; 0 none */
		} key;
		struct {
			uint8_t mask;
			uint16_t x, y;
		} ptr;
		struct {
			uint32_t len; /* bytes of text that follow, skipped */
		} cut;
		struct {
			uint16_t w, h;
		} size;
	} u;
};

/** Parse one client message from @buf.  @return bytes consumed (> 0),
 * 0 when more bytes are needed, or -EPROTO with @err set to a one-line
 * reason. */
int vnc_parse_msg(const uint8_t *buf, size_t len, struct vnc_msg *m, char *err,
		  size_t err_size);
/** The client's ProtocolVersion (12 bytes).  @return 3, 7 or 8 (minor),
 * or -EPROTO. */
int vnc_parse_version(const uint8_t *buf, size_t len);
/** Whether @pf is one the module can convert to.  @return 0 or -EPROTO
 * with @err set. */
int vnc_pixfmt_check(const struct vnc_pixfmt *pf, char *err, size_t size);
/** Read the 16-byte wire form of @pf. */
void vnc_pixfmt_read(const uint8_t *p, struct vnc_pixfmt *pf);
void vnc_pixfmt_write(uint8_t *p, const struct vnc_pixfmt *pf);
/** The server's native format: 32 bpp, depth 24, red at 16 (BGRX). */
extern const struct vnc_pixfmt vnc_native_pf;

/* ---- vnc_http.c: the browser side of the port ---------------------- */

#define VNC_HTTP_MAX	 8192	    /* bytes of one request head */
#define VNC_WS_MAX_FRAME (1u << 20) /* bytes of one client frame */

struct vnc_http_req {
	int status;   /* when refused: the HTTP status to answer */
	char err[64]; /* ... and why, for the log */
	char path[128];
	char token[80]; /* the token query parameter, "" when absent */
	bool http11, upgrade, conn_upgrade, close, ws_binary;
	int ws_version;
	char ws_key[64];
};

struct vnc_ws_frame {
	bool fin;
	uint8_t opcode;
	uint64_t len;
	uint8_t mask[4];
};

/** Parse one request head from @buf.  @return its length (> 0), 0 when
 * more bytes are needed, or -EPROTO with r->status and r->err set. */
int vnc_http_parse(const char *buf, size_t len, struct vnc_http_req *r);
/** Parse a client frame header.  @return its length (> 0), 0 when more
 * bytes are needed, or -EPROTO (unmasked, reserved bits, bad opcode,
 * oversized). */
int vnc_ws_parse(const uint8_t *p, size_t len, struct vnc_ws_frame *f);

/* ---- vnc_enc.c ------------------------------------------------------ */

/* What a viewer's tiles are encoded with; equal configs share bytes. */
struct vnc_config {
	int32_t enc;  /* VNC_ENC_RAW, _HEXTILE, _ZRLE, _TIGHT */
	int32_t jpeg; /* Tight: JPEG quality 1..100, 0 lossless */
	struct vnc_pixfmt pf;
};

bool vnc_config_equal(const struct vnc_config *a, const struct vnc_config *b);

struct vnc_encoder; /* per-thread scratch (zlib, turbojpeg) */
struct vnc_encoder *vnc_encoder_new(void);
void vnc_encoder_free(struct vnc_encoder *e);
/** Encode @w x @h BGRX pixels @px (stride @stride bytes) as the body of
 * one rectangle in @cfg (ZRLE: the deflate bytes without the length and
 * the per-connection zlib header).  @return a new blob or NULL. */
struct vmod_blob *vnc_encode(struct vnc_encoder *e,
			     const struct vnc_config *cfg, const uint8_t *px,
			     uint32_t stride, uint32_t w, uint32_t h);
/** Convert @n BGRX pixels to @pf, writing bpp/8 bytes each.  @return bytes
 * written. */
size_t vnc_convert(const struct vnc_pixfmt *pf, const uint8_t *px, size_t n,
		   uint8_t *out);

/* ---- vnc_screen.c --------------------------------------------------- */

struct vnc_cache {
	pthread_mutex_t lock; /* held while encoding into this cache */
	bool used;
	int users;	       /* clients attached (under screen lock) */
	struct vnc_config cfg; /* fixed while users > 0 */
	uint64_t geom_gen;     /* geometry the entries belong to */
	uint32_t ntiles;
	uint64_t *gen;		 /* per tile: generation the blob shows */
	struct vmod_blob **blob; /* per tile */
};

struct vnc_screen {
	struct vmod_fb fb; /* shadow, tiles, lock (vmod_fb.c) */
	struct vnc_cache caches[VNC_MAX_CONFIGS];
};

/* One rectangle of an update, with its encoded bytes (a reference). */
struct vnc_tile_out {
	uint16_t x, y, w, h;
	struct vmod_blob *blob;
};

struct vnc_server;
struct vnc_client;

int vnc_screen_init(struct vnc_server *srv);
void vnc_screen_fini(struct vnc_server *srv);
/** Attach @c to a cache for @cfg (detaching the old one).  No cache free:
 * the client encodes privately (c->cache -1). */
void vnc_screen_attach(struct vnc_client *c, const struct vnc_config *cfg);
void vnc_screen_detach(struct vnc_client *c);
/** Tiles of @c's screen newer than c->gen_sent (all when @all), encoded
 * in c->cfg.  @return 0 (fills @out, @n), -ESTALE after a geometry change,
 * other -errno. */
int vnc_screen_collect(struct vnc_client *c, bool all,
		       struct vnc_tile_out **out, uint32_t *n);
void vnc_tiles_free(struct vnc_tile_out *t, uint32_t n);
/** Whether @c's screen has tiles newer than c->gen_sent. */
bool vnc_screen_dirty(struct vnc_client *c);

/* ---- vnc_keymap.c --------------------------------------------------- */

/** Keysym to XT set-1 code for the layout @map ("en-us", "de", "fr").
 * @return code (0x100 bit: E0 prefix), or 0 when unknown. */
int vnc_keysym_to_xt(const char *map, uint32_t keysym);
/** Whether @map is a known keymap name. */
bool vnc_keymap_known(const char *map);

/* ---- vnc_tls.c ------------------------------------------------------ */

struct vnc_tls; /* the server's SSL_CTX */
int vnc_tls_init(struct vnc_server *srv);
void vnc_tls_fini(struct vnc_server *srv);
/** TLS handshake on @c's socket.  @return 0 or -errno (logged). */
int vnc_tls_accept(struct vnc_client *c);

/* ---- vnc_client.c --------------------------------------------------- */

struct vnc_client {
	struct vmod_client vc; /* id, screen, address, ... (vmod_server.c) */
	struct vnc_server *srv;
	int fd;
	int wake_fd; /* eventfd: update(NULL), pointer, kick */
	void *ssl;   /* SSL * once VeNCrypt started TLS */
	pthread_t thread;
	atomic_bool quit;
	bool logged_on;
	int minor; /* RFB 3.minor */
	/* what the client asked for */
	struct vnc_pixfmt pf;
	struct vnc_config cfg;
	int cache; /* index into the screen's caches, -1: none */
	bool want_cursor, want_desksize, want_extdesk, want_qemukey;
	bool want_lastrect, qemukey_sent;
	bool extdesk_pending; /* confirm ExtendedDesktopSize support */
	bool extdesk_reply;   /* answer a SetDesktopSize */
	bool update_requested, full_requested;
	bool zrle_header_sent;
	bool blank; /* the screen is off: the viewer sees a black one */
	uint64_t gen_sent;
	uint64_t geom_seen;
	uint32_t width, height; /* what the client believes */
	uint64_t pointer_gen_sent;
	uint8_t buttons;
	struct vnc_encoder *enc;
	/* browsers (vnc_web.c): WebSocket framing under RFB */
	bool ws;
	uint8_t ws_opcode; /* of the frame being read */
	uint64_t ws_left;  /* its payload bytes still to come */
	uint8_t ws_mask[4];
	uint32_t ws_pos; /* mask position */
	uint8_t ws_raw[VNC_IN_BUF];
	size_t ws_raw_len;
	char token[80]; /* console token from the WebSocket URL */
	/* input */
	uint8_t in[VNC_IN_BUF];
	size_t in_len;
	uint64_t skip;	    /* cut text still to discard */
	int64_t begin_mono; /* the handshake's deadline counts from here */
};

/** Socket-level I/O under any WebSocket framing (TLS when started).
 * @return bytes, 0 at EOF, -EAGAIN with *@want, or -errno. */
ssize_t vnc_raw_io(struct vnc_client *c, void *buf, size_t n, bool wr,
		   short *want);
int vnc_raw_write_all(struct vnc_client *c, const void *buf, size_t n);
int vnc_client_start(struct vnc_server *srv, int fd, uint32_t screen,
		     const char *address);
void vnc_client_kick(struct vmod_client *vc);
void vnc_client_wake_screen(struct vnc_server *srv, uint32_t screen);
void vnc_client_wake_all(struct vmod_server *core);
/** Read exactly @n bytes (handshake phase), bounded by a deadline.
 * @return 0 or -errno. */
int vnc_read_exact(struct vnc_client *c, void *buf, size_t n);
int vnc_write_all(struct vnc_client *c, const void *buf, size_t n);
/** Wait until @c's socket is readable (@rd) or writable, at most until
 * @deadline (CLOCK_MONOTONIC ms).  @return 0 or -ETIMEDOUT, -errno. */
int vnc_io_wait(struct vnc_client *c, bool rd, int64_t deadline);

/* ---- vnc_web.c ------------------------------------------------------ */

/** Whether the connection is a browser's (HTTP, maybe in TLS): serve
 * files until a WebSocket upgrade (c->ws set, return 0 to go on with
 * RFB), or return -ECONNRESET when done.  Plain RFB: 0 at once. */
int vnc_web_accept(struct vnc_client *c);
/** Read decoded WebSocket payload.  Same contract as vnc_raw_io(). */
ssize_t vnc_ws_read(struct vnc_client *c, void *buf, size_t n, short *want);
/** Write @n bytes as one binary frame. */
int vnc_ws_write(struct vnc_client *c, const void *buf, size_t n);

/* ---- vnc_auth.c ----------------------------------------------------- */

/** Security negotiation and authentication for @c (version known).
 * @return 0 granted, or -errno (the client was told, and it is logged). */
int vnc_auth_run(struct vnc_client *c);
/** Load VNCPassword / VNCPasswordFile into srv.  @return 0 or -EINVAL. */
int vnc_auth_config(struct vnc_server *srv);
/** The VNC authentication response to @challenge for @password.
 * @return 0 or -ENOSYS when DES is unavailable. */
int vnc_auth_response(const char *password, const uint8_t challenge[16],
		      uint8_t out[16]);
/** Decode a vncpasswd(1) file's 8 obfuscated bytes into @out (9 bytes). */
int vnc_auth_unobfuscate(const uint8_t in[8], char out[9]);
void vnc_auth_fini(struct vnc_server *srv);

/* ---- vnc_module.c --------------------------------------------------- */

struct vnc_server {
	struct vmod_server core; /* first: clients, threads, listener, cert;
				    its lock also guards the pointer */
	uint32_t nscreens;
	struct vnc_screen *screens;
	uint32_t max_clients;	       /* threads, logged on or not */
	uint32_t max_pending_per_addr; /* not logged on, per address */
	/* security */
	bool host_grants_all; /* core.grants_all: and no VNC password */
	char *password;	      /* VNCPassword or file, NULL: none */
	void *des_ctx;	      /* OSSL_LIB_CTX with the legacy provider */
	void *des_cipher;
	void *tls_ctx; /* SSL_CTX; NULL: no VeNCrypt */
	char keymap[16];
	char *web_root; /* VNC/WebRoot: noVNC's directory; NULL: no console */
	char name[128]; /* desktop name: the VM's */
	bool disable_input, disable_display;
	int64_t logon_timeout_ms;
};

/* the helpers are libvireo-vrde-common's (vmod.h) */
#define vnc_err(s, ...)		     vmod_log(&(s)->core.host, VRDE_LOG_ERR, __VA_ARGS__)
#define vnc_warn(s, ...)	     vmod_log(&(s)->core.host, VRDE_LOG_WARN, __VA_ARGS__)
#define vnc_info(s, ...)	     vmod_log(&(s)->core.host, VRDE_LOG_INFO, __VA_ARGS__)
#define vnc_debug(s, ...)	     vmod_log(&(s)->core.host, VRDE_LOG_DEBUG, __VA_ARGS__)
#define vnc_prop(s, name, buf, size) vmod_prop(&(s)->core.host, name, buf, size)
#define vnc_prop_bool(s, name)	     vmod_prop_bool(&(s)->core.host, name)

/* The VNC client that embeds vmod_client @v. */
#define vnc_client_of(v) vmod_container_of(v, struct vnc_client, vc)

/* ---- vnc_listen.c --------------------------------------------------- */

/** Set up srv->core.listen (vmod_server.c starts and stops it). */
void vnc_listen_init(struct vnc_server *srv);

#endif /* VIREO_VRDE_VNC_H */
