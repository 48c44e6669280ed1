/*
 * vmod.h - what the remote-display modules (vireo-vrde-rdp.so,
 * vireo-vrde-vnc.so) have in common, in libvireo-vrde-common: the host's
 * properties and log, query_info replies, shared byte buffers, the
 * listening sockets and their accept thread, the screens' shadow copies,
 * the TLS certificate, the clients and their threads.
 *
 * A static convenience library built with -fPIC and linked into each
 * module, whose hidden visibility keeps every vmod_ symbol inside it:
 * a module still exports only vireo_vrde_create().  Nothing here knows
 * a protocol; each module keeps its own server and client structures and
 * embeds the pieces below.
 */
#ifndef VIREO_VRDE_VMOD_H
#define VIREO_VRDE_VMOD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrde/vrde.h"

/* ---- vmod_host.c: the host as a module sees it ---------------------- */

struct vmod_host {
	const struct vrde_host_callbacks *cb;
	void *ctx;
	const char *name; /* "vrde-rdp": stderr lines when the host has no
			     log callback */
};

/** A line to the host's log at an enum vrde_log_level (stderr without a
 * log callback or a host). */
void vmod_log(const struct vmod_host *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Property @name into @buf; "" when unset.  @return its length, 0 when
 * unset, or -errno (@buf "" then). */
int vmod_prop(const struct vmod_host *h, const char *name, char *buf,
	      size_t size);
/** Property @name is 1, true, yes or on (any case). */
bool vmod_prop_bool(const struct vmod_host *h, const char *name);
/** Property @name as a decimal number in [@lo, @hi]; @def when unset.
 * @return 0 or -EINVAL (logged: "bad NAME 'VALUE' (a number from LO to
 * HI)"). */
int vmod_prop_num(const struct vmod_host *h, const char *name, long lo, long hi,
		  long def, long *out);
/** Milliseconds of CLOCK_REALTIME (query_info times) and of
 * CLOCK_MONOTONIC (deadlines). */
int64_t vmod_now_ms(void);
int64_t vmod_mono_ms(void);

/* query_info replies: @return the length the value needs; copied only
 * when @size holds it. */
int vmod_qi_copy(void *buf, size_t size, const void *v, size_t len);
/** A string with its NUL; 0 for NULL or "". */
int vmod_qi_str(void *buf, size_t size, const char *s);

/* ---- vmod_blob.c: bytes shared between clients ---------------------- */

/* A reference-counted byte buffer: an encoded tile, a video frame. */
struct vmod_blob {
	atomic_int refs;
	uint32_t len;
	uint8_t data[];
};

/** A copy of @len bytes of @data with one reference; NULL when out of
 * memory. */
struct vmod_blob *vmod_blob_new(const void *data, uint32_t len);
/** Another reference to @b (NULL passes through). */
struct vmod_blob *vmod_blob_ref(struct vmod_blob *b);
/** Drop a reference; the last one frees @b.  NULL is ignored. */
void vmod_blob_unref(struct vmod_blob *b);

/* ---- vmod_listen.c: TCP/Ports, TCP/Address and the accept thread ---- */

#define VMOD_SET_FDS  4	 /* sockets of one port (addresses it resolves to) */
#define VMOD_MAX_SETS 64 /* ports: one per screen at most */

/* The sockets bound for one port. */
struct vmod_listen_set {
	int fd[VMOD_SET_FDS];
	int n;
};

struct sockaddr_storage;

struct vmod_listener {
	/* set before vmod_listener_start() (the first three by
	 * vmod_server_new(), @arg the module's server) */
	const struct vmod_host *host;
	atomic_bool *enabled; /* false: accepted connections are refused */
	void *arg;
	uint16_t default_port; /* TCP/Ports unset or "default" */
	uint32_t nsets; /* 1, or one port per screen: set n on port + n */
	/** A connection accepted on a socket of set @set, from @addr (its
	 * text) or @ss; the callee owns @fd and closes it when refusing. */
	void (*accept)(void *arg, int fd, const struct sockaddr_storage *ss,
		       const char *addr, uint32_t set);
	/** Before every wait of the accept thread.  @return the longest
	 * wait in ms. */
	int (*tick)(void *arg);
	/* the listener's own */
	struct vmod_listen_set sets[VMOD_MAX_SETS];
	int port; /* set 0's; 0 when not listening */
	int stop_pipe[2];
	pthread_t thread;
	bool started;
};

/** Bind the first free port of TCP/Ports on TCP/Address (loopback only
 * when @grants_all and no address is set; a warning naming @grants_why
 * when it is), start the accept thread and tell the host (listening()).
 * @return 0 or -errno (one error line with the port, address, reason). */
int vmod_listener_start(struct vmod_listener *l, bool grants_all,
			const char *grants_why);
/** Stop the accept thread and close the sockets (no-op when stopped). */
void vmod_listener_stop(struct vmod_listener *l);
/** The peer's address as text (an IPv4-mapped IPv6 one as IPv4). */
void vmod_peer_address(const struct sockaddr_storage *ss, char *buf,
		       size_t size);

/* ---- vmod_fb.c: a screen's shadow copy, cut into tiles -------------- */

#define VMOD_TILE 64

/*
 * Each screen's pixels are copied in update() (or under the host's screen
 * lock) into a shadow cut into VMOD_TILE x VMOD_TILE tiles; every copy
 * stamps the tiles whose pixels changed with a new generation, so a client
 * that remembers the generation it sent knows which tiles to send next.
 */
struct vmod_fb {
	pthread_mutex_t lock; /* everything below; the module's tile caches */
	const struct vmod_host *host;
	uint32_t index;
	uint32_t max_dim; /* a larger screen is shown as off */
	bool enabled;
	uint32_t width, height;	   /* pixels */
	uint32_t tiles_x, tiles_y; /* tile grid */
	uint32_t pad_w, pad_h;	   /* shadow size: tile multiple */
	uint8_t *shadow;	   /* pad_w * pad_h BGRX, stride pad_w * 4 */
	uint64_t gen;		   /* last generation stamped */
	uint64_t *tile_gen;	   /* per tile */
	uint64_t geom_gen;	   /* bumped on every geometry change */
	bool need_full;		   /* the next copy takes everything */
	bool filled;		   /* the shadow holds real pixels */
	uint64_t encodes, shares;  /* tile statistics, logged at the end */
	/* the module's, called with the lock held: after a geometry change
	 * (@return 0 or -ENOMEM: the screen is then shown as off) and after
	 * pixels were copied (@r NULL: all of them) */
	int (*regeom)(struct vmod_fb *fb, void *arg);
	void (*damage)(struct vmod_fb *fb, const struct vrde_rect *r,
		       void *arg);
	void *arg;
};

/** Host/ScreenCount (1 to VMOD_MAX_SETS; 1 when unset or out of range)
 * screens of @size bytes each, zeroed: a module's screen, which starts
 * with its struct vmod_fb.  @return the array (*@n screens) or NULL. */
void *vmod_screens_new(const struct vmod_host *h, size_t size, uint32_t *n);
/** Screen @i's struct vmod_fb of a module's server with @screens and
 * @nscreens, NULL when there is no such screen. */
#define vmod_screen_fb(srv, i)                                                 \
	((i) < (srv)->nscreens ? &(srv)->screens[i].fb : NULL)
/** Set up @fb for host screen @index (hooks set before) and read its
 * geometry. */
void vmod_fb_init(struct vmod_fb *fb, const struct vmod_host *h, uint32_t index,
		  uint32_t max_dim);
/** Free @fb, logging its "N tile encodes, M shared" line. */
void vmod_fb_fini(struct vmod_fb *fb);
/* The four below take NULL for a screen that does not exist: nothing
 * happens (zero sizes). */
/** The host resized the screen: adopt its geometry, copy everything next. */
void vmod_fb_resize(struct vmod_fb *fb);
/** The host changed @r (NULL: the end of an update, nothing to copy); its
 * screen lock is held. */
void vmod_fb_update(struct vmod_fb *fb, const struct vrde_rect *r);
/** Make sure the shadow holds pixels (takes the host's screen lock). */
void vmod_fb_ensure_filled(struct vmod_fb *fb);
void vmod_fb_geometry(struct vmod_fb *fb, uint32_t *w, uint32_t *h,
		      uint64_t *geom_gen);
/** The tile @t of the grid: origin and visible size. */
void vmod_fb_tile(const struct vmod_fb *fb, uint32_t t, uint32_t *x,
		  uint32_t *y, uint32_t *w, uint32_t *h);

/* ---- vmod_cert.c: the VM's TLS certificate -------------------------- */

struct x509_st;
struct evp_pkey_st;

struct vmod_cert {
	/* no machine folder: generate into a fresh $TMPDIR/tmp_name-XXXXXX;
	 * NULL: vmod_cert_setup() says -ENOENT */
	const char *tmp_name;
	char *cert_file, *key_file;
	char *tmpdir;	       /* that directory, removed by vmod_cert_fini() */
	char fingerprint[128]; /* "SHA256:AA:BB:..." */
};

/** Settle @c's files (configured, or generated once in the machine
 * folder), read the fingerprint and check that the key is private.
 * @return 0, -ENOENT (no machine folder and no tmp_name; not logged), or
 * -errno (logged). */
int vmod_cert_setup(const struct vmod_host *h, struct vmod_cert *c);
/** Free the names; remove a temporary directory. */
void vmod_cert_fini(struct vmod_cert *c);
/** Generate a self-signed RSA-2048/SHA-256 certificate into @cert/@key.
 * @return 0 or -errno. */
int vmod_cert_generate(const char *cert, const char *key, const char *cn);
/** SHA-256 fingerprint of the PEM certificate in @cert. */
int vmod_cert_fingerprint(const char *cert, char *out, size_t size);
/** Read the PEM certificate (@x) and/or private key (@key) of @path;
 * the caller frees them.  @return 0, -errno, -EINVAL (not PEM). */
int vmod_pem_load(const char *path, struct x509_st **x,
		  struct evp_pkey_st **key);

/* ---- vmod_server.c: clients, their threads, shared entry points ----- */

#define vmod_container_of(p, type, member)                                     \
	((type *)((char *)(p)-offsetof(type, member)))

/* What every module knows of a client, embedded in its own structure. */
struct vmod_client {
	struct vmod_client *next; /* under the server's lock */
	uint32_t id;
	uint32_t screen;
	bool connected;	      /* client_connect reported */
	const char *security; /* "TLS", "NLA", "VNC", ... */
	char user[256], address[64];
	int64_t begin_ms;
	atomic_ullong bytes_sent, bytes_received;
};

/* The guest's pointer image, once per server (under its lock); a client
 * sends it when its copy of @gen is behind. */
struct vmod_pointer {
	uint64_t gen; /* bumped on every change */
	bool hidden;
	uint32_t width, height, hot_x, hot_y; /* 1..256; hot spot inside */
	uint32_t *argb; /* NULL: no guest shape yet (the viewer's own) */
};

/* The part of a module's server that does not depend on its protocol,
 * embedded first in it. */
struct vmod_server {
	struct vmod_host host;
	pthread_mutex_t lock; /* the clients, the counters below; the
				 modules keep their own shared state under
				 it too */
	pthread_cond_t cond;  /* nthreads dropped */
	int nthreads;	      /* client threads alive */
	pthread_t *finished;  /* ended client threads, to be joined */
	size_t nfinished, finished_cap;
	bool stopping;
	struct vmod_client *clients;
	uint32_t next_id;
	uint32_t total_clients;
	atomic_bool enabled;
	bool grants_all;	/* every client is granted: loopback only */
	const char *grants_why; /* ... because, for the warning */
	struct vmod_listener listen;
	struct vmod_cert cert;
	struct vmod_pointer pointer;
	/* the module's: end a client's session (lock held) */
	void (*kick)(struct vmod_client *vc);
	/* optional: shut down connections that are not clients yet */
	void (*drop_pending)(struct vmod_server *s);
	/* query_info codes not answered here, for a client (lock held) */
	int (*qi_client)(struct vmod_client *vc, uint32_t code, void *buf,
			 size_t size);
	/* wake every client: the pointer changed (lock not held) */
	void (*wake_all)(struct vmod_server *s);
};

/* Every client of @s as the module's type (lock held). */
#define vmod_for_each_client(s, c, type, member)                               \
	for (struct vmod_client *vmod_it_ = (s)->clients;                      \
	     vmod_it_ && ((c) = vmod_container_of(vmod_it_, type, member), 1); \
	     vmod_it_ = vmod_it_->next)

/** Is @cb a host table this module reads (vrde.h "Versions": version 1
 * up to VRDE_ABI_VERSION, at least that version's size)? */
bool vmod_host_table_ok(const struct vrde_host_callbacks *cb);
/** May the module call the host's usb_* callbacks: a version-2 table,
 * long enough, none of them NULL?  (Client/DisableUSB is the module's to
 * check as well.) */
bool vmod_host_usb(const struct vmod_host *h);
/** A module's server of @size bytes (its struct vmod_server first),
 * zeroed, for the host @cb/@ctx.  @return it, or NULL with *@rc
 * -EPROTO (@cb's ABI header does not match) or -ENOMEM. */
void *vmod_server_new(const struct vrde_host_callbacks *cb, void *ctx,
		      const char *name, size_t size, int *rc);
/** Undo vmod_server_new() but for the memory, which the module frees. */
void vmod_server_fini(struct vmod_server *s);

/* Entry points (vrde.h) every module answers alike; @vs is the module's
 * server, which starts with its struct vmod_server. */
/** The first enable starts the listener; a disable ends every session. */
int vmod_enable_connections(struct vrde_server *vs, bool enable);
/** End client @id's session. */
void vmod_disconnect(struct vrde_server *vs, uint32_t id, bool reconnect);
/** Server-wide codes and a client's common ones here, the rest through
 * the qi_client hook. */
int vmod_query_info(struct vrde_server *vs, uint32_t client_id, uint32_t code,
		    void *buf, size_t size);
/** A copy of the guest's shape (up to 256x256; a hot spot outside it
 * moves to 0) becomes the pointer; then wake_all. */
void vmod_pointer_shape(struct vrde_server *vs,
			const struct vrde_pointer_shape *sh);
/** The pointer is hidden until the next shape; then wake_all. */
void vmod_pointer_hide(struct vrde_server *vs);
/** destroy()'s first half: stop listening, end every session and join
 * every client thread (the host may unload the module next). */
void vmod_server_stop(struct vmod_server *s);
/** Add @vc to the clients with a new id (lock held). */
void vmod_client_add(struct vmod_server *s, struct vmod_client *vc);
/** Take @vc off the clients (lock held). */
void vmod_client_remove(struct vmod_server *s, struct vmod_client *vc);
/** A client thread is about to end: count it out and leave it to be
 * joined (takes the lock). */
void vmod_thread_done(struct vmod_server *s);
/** Join the client threads that have ended. */
void vmod_reap(struct vmod_server *s);

#endif /* VIREO_VRDE_VMOD_H */
