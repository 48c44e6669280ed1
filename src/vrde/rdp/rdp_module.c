/*
 * rdp_module.c - the VRDE ABI of vireo-vrde-rdp.so: create/destroy, entry
 * points, host properties, logging through the host (FreeRDP's own WLog
 * messages too) and query_info.
 *
 * Everything FreeRDP-specific stays behind these entry points; the host
 * only ever sees vrde.h types and negative errno values.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <winpr/ssl.h>
#include <winpr/wlog.h>
#include <winpr/wtsapi.h>
#include <freerdp/channels/channels.h>

#include "util/log.h"
#include "rdp.h"

void
rdp_log(struct rdp_server *srv, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (srv && srv->cb->log)
		srv->cb->log(srv->ctx, level, msg);
	else
		fprintf(stderr, "vrde-rdp: %s\n", msg);
}

int
rdp_prop(struct rdp_server *srv, const char *name, char *buf, size_t size)
{
	int rc;

	buf[0] = '\0';
	if (!srv->cb->get_property)
		return 0;
	rc = srv->cb->get_property(srv->ctx, name, buf, size);
	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (rc < 0)
		buf[0] = '\0';
	return rc;
}

bool
rdp_prop_bool(struct rdp_server *srv, const char *name)
{
	char v[32];

	if (rdp_prop(srv, name, v, sizeof(v)) <= 0)
		return false;
	return !strcmp(v, "1") || !strcasecmp(v, "true") ||
	       !strcasecmp(v, "yes") || !strcasecmp(v, "on");
}

/* The one escaper of peer-supplied strings (util/log.c), under the
 * module's name. */
const char *
rdp_escape(char *out, size_t size, const char *s)
{
	return log_escape(out, size, s);
}

int64_t
rdp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Security/Method -> which FreeRDP security layers are enabled. */
static int
rdp_config_security(struct rdp_server *srv)
{
	char m[32], hashes[8];

	rdp_prop(srv, "Security/Method", m, sizeof(m));
	rdp_prop(srv, VRDE_HOST_PROP_NT_HASHES, hashes, sizeof(hashes));
	/* Standard RDP security authenticates no server: only when asked
	 * for by name, never as a fallback a man in the middle could force
	 * by offering nothing else. */
	if (!m[0] || !strcasecmp(m, "Negotiate")) {
		srv->sec_nla = !strcmp(hashes, "1");
		srv->sec_tls = true;
	} else if (!strcasecmp(m, "TLS")) {
		srv->sec_tls = true;
	} else if (!strcasecmp(m, "RDP")) {
		srv->sec_rdp = true;
		rdp_warn(srv, "Security/Method is RDP: standard RDP security "
			      "does not authenticate the server, so a man in "
			      "the middle can read and change the session; "
			      "use Negotiate or TLS unless a client needs it");
	} else if (!strcasecmp(m, "NLA")) {
		srv->sec_nla = true;
		if (strcmp(hashes, "1"))
			rdp_warn(srv, "Security/Method is NLA but the auth "
				      "library supplies no NT hashes: every "
				      "NLA logon will fail");
	} else {
		rdp_err(srv,
			"Security/Method: unknown value '%s' (Negotiate, TLS, "
			"RDP or NLA)",
			m);
		return -EINVAL;
	}
	rdp_info(srv, "security layers:%s%s%s", srv->sec_nla ? " NLA" : "",
		 srv->sec_tls ? " TLS" : "", srv->sec_rdp ? " RDP" : "");
	return 0;
}

static void
rdp_config(struct rdp_server *srv)
{
	char v[32];

	/* The host says whether every client is granted (Null, or an auth
	 * library declaring so); a host that predates Host/AuthGrantsAll is
	 * believed for Null. */
	rdp_prop(srv, VRDE_HOST_PROP_AUTH_TYPE, v, sizeof(v));
	srv->auth_null = rdp_prop_bool(srv, VRDE_HOST_PROP_GRANTS_ALL) ||
			 !strcasecmp(v, "Null");
	srv->disable_input = rdp_prop_bool(srv, "Client/DisableInput");
	srv->disable_display = rdp_prop_bool(srv, "Client/DisableDisplay");
	/* Graphics-pipeline codec: lossless planar (default) or RemoteFX,
	 * which every pipeline client decodes and which costs less
	 * bandwidth on photographic content. */
	rdp_prop(srv, "Property/GfxCodec", v, sizeof(v));
	srv->gfx_rfx = !strcasecmp(v, "remotefx") || !strcasecmp(v, "rfx");
	if (v[0] && !srv->gfx_rfx && strcasecmp(v, "planar"))
		rdp_warn(srv,
			 "unknown Property/GfxCodec '%s' (planar or "
			 "remotefx): using planar",
			 v);
}

static void rdp_destroy(struct vrde_server *vs);
static void rdp_wlog_attach(struct rdp_server *srv, bool attach);

static int
rdp_enable_connections(struct vrde_server *vs, bool enable)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct rdp_client *c;
	int rc;

	if (enable && !srv->listen_started) {
		rc = rdp_listen_start(srv);
		if (rc < 0)
			return rc;
	}
	atomic_store(&srv->enabled, enable);
	if (!enable) {
		rdp_guard_drop_all(srv);
		pthread_mutex_lock(&srv->lock);
		for (c = srv->clients; c; c = c->next)
			rdp_session_kick(c);
		pthread_mutex_unlock(&srv->lock);
	}
	return 0;
}

static void
rdp_disconnect(struct vrde_server *vs, uint32_t client_id, bool reconnect)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct rdp_client *c;

	pthread_mutex_lock(&srv->lock);
	for (c = srv->clients; c; c = c->next)
		if (c->id == client_id)
			rdp_session_kick(c);
	pthread_mutex_unlock(&srv->lock);
}

static void
rdp_resize(struct vrde_server *vs, uint32_t screen)
{
	struct rdp_server *srv = (struct rdp_server *)vs;

	rdp_screen_resize(srv, screen);
	rdp_session_wake_screen(srv, screen);
}

static void
rdp_update(struct vrde_server *vs, uint32_t screen, const struct vrde_rect *r)
{
	struct rdp_server *srv = (struct rdp_server *)vs;

	rdp_screen_update(srv, screen, r);
	if (!r) {
		rdp_video_commit(srv, screen);
		rdp_session_wake_screen(srv, screen);
	}
}

static void
rdp_pointer_shape_ep(struct vrde_server *vs,
		     const struct vrde_pointer_shape *shape)
{
	rdp_pointer_set((struct rdp_server *)vs, shape);
}

static void
rdp_pointer_hide_ep(struct vrde_server *vs)
{
	rdp_pointer_hide((struct rdp_server *)vs);
}

static int
rdp_qi_copy(void *buf, size_t size, const void *v, size_t len)
{
	if (len > size)
		return (int)len;
	memcpy(buf, v, len);
	return (int)len;
}

static int
rdp_qi_str(void *buf, size_t size, const char *s)
{
	if (!s || !s[0])
		return 0;
	return rdp_qi_copy(buf, size, s, strlen(s) + 1);
}

static int
rdp_qi_client(struct rdp_client *c, uint32_t code, void *buf, size_t size)
{
	uint64_t u64;
	int64_t i64;
	uint32_t u32;

	switch (code) {
	case VRDE_QI_BEGIN_TIME:
		i64 = c->begin_ms;
		return rdp_qi_copy(buf, size, &i64, sizeof(i64));
	case VRDE_QI_BYTES_SENT:
		u64 = atomic_load(&c->bytes_sent);
		return rdp_qi_copy(buf, size, &u64, sizeof(u64));
	case VRDE_QI_BYTES_RECEIVED:
		u64 = atomic_load(&c->bytes_received);
		return rdp_qi_copy(buf, size, &u64, sizeof(u64));
	case VRDE_QI_USER:
		return rdp_qi_str(buf, size, c->user);
	case VRDE_QI_DOMAIN:
		return rdp_qi_str(buf, size, c->domain);
	case VRDE_QI_CLIENT_NAME:
		return rdp_qi_str(buf, size, c->client_name);
	case VRDE_QI_CLIENT_IP:
		return rdp_qi_str(buf, size, c->address);
	case VRDE_QI_CLIENT_VERSION:
		u32 = c->client_build;
		return rdp_qi_copy(buf, size, &u32, sizeof(u32));
	case VRDE_QI_ENCRYPTION:
		return rdp_qi_str(buf, size, c->security);
	case VRDE_QI_SCREEN:
		u32 = c->screen;
		return rdp_qi_copy(buf, size, &u32, sizeof(u32));
	case VRDE_QI_CODEC: {
		static const char *const names[RDP_CODEC_COUNT] = {
		    "bitmap-planar",	     "bitmap-planar-alpha",
		    "bitmap-interleaved-16", "bitmap-interleaved-24",
		    "bitmap-interleaved-15", "gfx-planar",
		    "gfx-remotefx"};
		if (!c->activated)
			return 0;
		char name[96];
		rdp_video_codec_name(c,
				     c->codec == RDP_CODEC_GFX_RFX &&
					     !atomic_load(&c->gfx_ready)
					 ? "surfacebits-remotefx"
					 : names[c->codec],
				     name, sizeof(name));
		return rdp_qi_str(buf, size, name);
	}
	}
	return -EINVAL;
}

static int
rdp_qi_ids(struct rdp_server *srv, void *buf, size_t size)
{
	uint32_t ids[256];
	struct rdp_client *c;
	size_t n = 0;

	for (c = srv->clients; c && n < 256; c = c->next)
		if (c->connected)
			ids[n++] = c->id;
	return rdp_qi_copy(buf, size, ids, n * sizeof(uint32_t));
}

static int
rdp_query_info(struct vrde_server *vs, uint32_t client_id, uint32_t code,
	       void *buf, size_t size)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct rdp_client *c;
	uint32_t u32 = 0;
	int32_t i32;
	int rc = 0;

	pthread_mutex_lock(&srv->lock);
	switch (code) {
	case VRDE_QI_ACTIVE:
		for (c = srv->clients; c; c = c->next)
			u32 += c->connected;
		rc = rdp_qi_copy(buf, size, &u32, sizeof(u32));
		break;
	case VRDE_QI_NUMBER_OF_CLIENTS:
		u32 = srv->total_clients;
		rc = rdp_qi_copy(buf, size, &u32, sizeof(u32));
		break;
	case VRDE_QI_PORT:
		i32 = srv->port;
		rc = rdp_qi_copy(buf, size, &i32, sizeof(i32));
		break;
	case VRDE_QI_CLIENT_IDS:
		rc = rdp_qi_ids(srv, buf, size);
		break;
	case VRDE_QI_CERT_FINGERPRINT:
		rc = rdp_qi_str(buf, size, srv->fingerprint);
		break;
	default:
		for (c = srv->clients; c; c = c->next)
			if (c->id == client_id)
				break;
		rc = c ? rdp_qi_client(c, code, buf, size) : 0;
		break;
	}
	pthread_mutex_unlock(&srv->lock);
	return rc;
}

static const struct vrde_entry_points rdp_entry_points = {
    .hdr = {.version = VRDE_ABI_VERSION,
	    .size = sizeof(struct vrde_entry_points)},
    .destroy = rdp_destroy,
    .enable_connections = rdp_enable_connections,
    .disconnect = rdp_disconnect,
    .resize = rdp_resize,
    .update = rdp_update,
    .pointer_shape = rdp_pointer_shape_ep,
    .pointer_hide = rdp_pointer_hide_ep,
    .query_info = rdp_query_info,
};

static void
rdp_destroy(struct vrde_server *vs)
{
	struct rdp_server *srv = (struct rdp_server *)vs;
	struct rdp_client *c;

	if (!srv)
		return;
	atomic_store(&srv->enabled, false);
	rdp_listen_stop(srv);
	/* Client threads unlink themselves; a thread that has not
	 * registered yet sees "stopping" and leaves at once.  All are joined
	 * before we return: the host may unload the module next. */
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_mutex_unlock(&srv->lock);
	/* threads still in the handshake may be blocked in reads */
	rdp_guard_drop_all(srv);
	pthread_mutex_lock(&srv->lock);
	while (srv->nthreads > 0) {
		for (c = srv->clients; c; c = c->next)
			rdp_session_kick(c);
		pthread_cond_wait(&srv->cond, &srv->lock);
	}
	pthread_mutex_unlock(&srv->lock);
	rdp_session_reap(srv);
	free(srv->finished);
	rdp_guard_fini(srv);
	rdp_screen_fini(srv);
	rdp_pointer_fini(srv);
	rdp_cert_fini(srv);
	rdp_wlog_attach(srv, false);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->cond);
	free(srv);
}

/*
 * FreeRDP's WLog writes to stderr by default.  Its messages go to the
 * host's log instead, at the matching level, through the server created
 * last (WLog is one per process); with no server they are dropped.  The
 * level stays FreeRDP's (WLOG_LEVEL in the environment, default WARN).
 */
static pthread_mutex_t rdp_wlog_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rdp_server *rdp_wlog_srv;

/* WLog's level as the host's (vrde.h log(): 0 error .. 3 debug). */
static int
rdp_wlog_level(DWORD level)
{
	switch (level) {
	case WLOG_FATAL:
	case WLOG_ERROR:
		return 0;
	case WLOG_WARN:
		return 1;
	case WLOG_INFO:
		return 2;
	default:
		return 3;
	}
}

static BOOL
rdp_wlog_message(const wLogMessage *msg)
{
	const char *text = msg->TextString ? msg->TextString : "";

	pthread_mutex_lock(&rdp_wlog_lock);
	if (rdp_wlog_srv)
		rdp_log(rdp_wlog_srv, rdp_wlog_level(msg->Level),
			"freerdp: %s%s",
			msg->PrefixString ? msg->PrefixString : "", text);
	pthread_mutex_unlock(&rdp_wlog_lock);
	return TRUE;
}

static void
rdp_wlog_init(void)
{
	wLog *root = WLog_GetRoot();
	wLogCallbacks cbs = {.message = rdp_wlog_message};
	wLogAppender *app;

	if (!root || !WLog_SetLogAppenderType(root, WLOG_APPENDER_CALLBACK))
		return;
	app = WLog_GetLogAppender(root);
	if (app)
		WLog_ConfigureAppender(app, "callbacks", &cbs);
	/* the logger's name is the part of FreeRDP that speaks */
	WLog_Layout_SetPrefixFormat(root, WLog_GetLogLayout(root), "[%mn] ");
	WLog_OpenAppender(root);
}

static void
rdp_wlog_attach(struct rdp_server *srv, bool attach)
{
	pthread_mutex_lock(&rdp_wlog_lock);
	if (attach)
		rdp_wlog_srv = srv;
	else if (rdp_wlog_srv == srv)
		rdp_wlog_srv = NULL;
	pthread_mutex_unlock(&rdp_wlog_lock);
}

static void
rdp_process_init_once(void)
{
	rdp_wlog_init();
	winpr_InitializeSSL(WINPR_SSL_INIT_DEFAULT);
	WTSRegisterWtsApiFunctionTable(FreeRDP_InitWtsApi());
}

static void
rdp_process_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, rdp_process_init_once);
}

/* The one exported symbol (the module is built with hidden visibility). */
__attribute__((visibility("default"))) int
vireo_vrde_create(const struct vrde_host_callbacks *cb, void *ctx,
		  const struct vrde_entry_points **ep, struct vrde_server **out)
{
	struct rdp_server *srv;
	int rc;

	if (!cb || cb->hdr.version != VRDE_ABI_VERSION ||
	    cb->hdr.size < sizeof(struct vrde_host_callbacks))
		return -EPROTO;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->cb = cb;
	srv->ctx = ctx;
	srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);
	rdp_process_init();
	rdp_wlog_attach(srv, true);
	rdp_config(srv);
	rc = rdp_config_security(srv);
	if (rc == 0)
		rc = rdp_guard_init(srv);
	if (rc == 0 && (srv->sec_tls || srv->sec_nla || srv->sec_rdp))
		rc = rdp_cert_setup(srv);
	if (rc == 0)
		rc = rdp_screen_init(srv);
	if (rc < 0) {
		rdp_guard_fini(srv);
		rdp_screen_fini(srv);
		rdp_cert_fini(srv);
		rdp_wlog_attach(srv, false);
		pthread_mutex_destroy(&srv->lock);
		pthread_cond_destroy(&srv->cond);
		free(srv);
		return rc;
	}
	*ep = &rdp_entry_points;
	*out = (struct vrde_server *)srv;
	return 0;
}
