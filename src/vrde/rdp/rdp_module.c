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

/* The one escaper of peer-supplied strings (util/log.c), under the
 * module's name. */
const char *
rdp_escape(char *out, size_t size, const char *s)
{
	return log_escape(out, size, s);
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
	srv->core.grants_all = rdp_prop_bool(srv, VRDE_HOST_PROP_GRANTS_ALL) ||
			       !strcasecmp(v, "Null");
	srv->disable_input = rdp_prop_bool(srv, "Client/DisableInput");
	srv->disable_display = rdp_prop_bool(srv, "Client/DisableDisplay");
	/* "1" (or true/yes/on): no URBDRC channel is ever opened */
	srv->disable_usb = rdp_prop_bool(srv, "Client/DisableUSB");
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

static void
rdp_resize(struct vrde_server *vs, uint32_t screen)
{
	struct rdp_server *srv = (struct rdp_server *)vs;

	vmod_fb_resize(vmod_screen_fb(srv, screen));
	rdp_session_wake_screen(srv, screen);
}

static void
rdp_update(struct vrde_server *vs, uint32_t screen, const struct vrde_rect *r)
{
	struct rdp_server *srv = (struct rdp_server *)vs;

	vmod_fb_update(vmod_screen_fb(srv, screen), r);
	if (!r) {
		rdp_video_commit(srv, screen);
		rdp_session_wake_screen(srv, screen);
	}
}

/* query_info's RDP-only codes (vmod_server.c answers the rest). */
static int
rdp_qi_client(struct vmod_client *vc, uint32_t code, void *buf, size_t size)
{
	struct rdp_client *c = rdp_client_of(vc);
	uint32_t u32;

	switch (code) {
	case VRDE_QI_DOMAIN:
		return vmod_qi_str(buf, size, c->domain);
	case VRDE_QI_CLIENT_NAME:
		return vmod_qi_str(buf, size, c->client_name);
	case VRDE_QI_CLIENT_VERSION:
		u32 = c->client_build;
		return vmod_qi_copy(buf, size, &u32, sizeof(u32));
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
		return vmod_qi_str(buf, size, name);
	}
	}
	return -EINVAL;
}

/* What vireo_vrde_create() set up, undone (also after it failed half
 * way: each part's fini is a no-op for a part never set up). */
static void
rdp_server_free(struct rdp_server *srv)
{
	rdp_guard_fini(srv);
	rdp_urbdrc_fini(srv);
	rdp_screen_fini(srv);
	rdp_cert_fini(srv);
	rdp_wlog_attach(srv, false);
	vmod_server_fini(&srv->core);
	free(srv);
}

static const struct vrde_entry_points rdp_entry_points = {
    .hdr = {.version = VRDE_ABI_VERSION,
	    .size = sizeof(struct vrde_entry_points)},
    .destroy = rdp_destroy,
    .enable_connections = vmod_enable_connections,
    .disconnect = vmod_disconnect,
    .resize = rdp_resize,
    .update = rdp_update,
    .pointer_shape = vmod_pointer_shape,
    .pointer_hide = vmod_pointer_hide,
    .query_info = vmod_query_info,
    .usb_submit = rdp_urbdrc_submit,
    .usb_cancel = rdp_urbdrc_cancel,
    .usb_reset = rdp_urbdrc_reset,
    .usb_release = rdp_urbdrc_release,
};

static void
rdp_destroy(struct vrde_server *vs)
{
	struct rdp_server *srv = (struct rdp_server *)vs;

	if (!srv)
		return;
	vmod_server_stop(&srv->core);
	rdp_server_free(srv);
}

/*
 * FreeRDP's WLog writes to stderr by default.  Its messages go to the
 * host's log instead, at the matching level, through the server created
 * last (WLog is one per process); with no server they are dropped.  The
 * level stays FreeRDP's (WLOG_LEVEL in the environment, default WARN).
 */
static pthread_mutex_t rdp_wlog_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rdp_server *rdp_wlog_srv;

/* WLog's level as the host's. */
static enum vrde_log_level
rdp_wlog_level(DWORD level)
{
	switch (level) {
	case WLOG_FATAL:
	case WLOG_ERROR:
		return VRDE_LOG_ERR;
	case WLOG_WARN:
		return VRDE_LOG_WARN;
	case WLOG_INFO:
		return VRDE_LOG_INFO;
	default:
		return VRDE_LOG_DEBUG;
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

	srv = vmod_server_new(cb, ctx, "vrde-rdp", sizeof(*srv), &rc);
	if (!srv)
		return rc;
	srv->core.kick = rdp_session_kick;
	srv->core.drop_pending = rdp_guard_drop_all;
	srv->core.qi_client = rdp_qi_client;
	srv->core.wake_all = rdp_pointer_wake;
	rdp_listen_init(srv);
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
	if (rc == 0)
		rc = rdp_urbdrc_init(srv);
	if (rc < 0) {
		rdp_server_free(srv);
		return rc;
	}
	*ep = &rdp_entry_points;
	*out = (struct vrde_server *)srv;
	return 0;
}
