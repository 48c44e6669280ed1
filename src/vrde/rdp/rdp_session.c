/*
 * rdp_session.c - one thread per client: the FreeRDP peer, its settings
 * and callbacks, and the loop that reads input and sends screen updates.
 *
 * Each client thread waits on its socket, its virtual channel manager and
 * a "wake" event that update() sets.  It only sends when the transport is
 * not write blocked and few frames are unacknowledged; otherwise it drains
 * its output buffer and lets generations pile up, so a slow or stalled
 * viewer costs the others nothing and later gets the latest pixels only.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <winpr/synch.h>
#include <winpr/wtsapi.h>
#include <freerdp/channels/wtsvc.h>
#include <freerdp/error.h>
#include <freerdp/session.h>

#include "rdp.h"

#define RDP_FIRST_PDU_MAX 4096 /* X.224 requests are far shorter */

static BOOL
rdp_ctx_new(freerdp_peer *peer, rdpContext *ctx)
{
	struct rdp_client *c = (struct rdp_client *)ctx;

	c->srv = peer->ContextExtra;
	c->peer = peer;
	return TRUE;
}

static void
rdp_ctx_free(freerdp_peer *peer, rdpContext *ctx)
{
	struct rdp_client *c = (struct rdp_client *)ctx;

	if (!c)
		return;
	rdp_encoder_free(c->enc);
	c->enc = NULL;
	free(c->nla_user);
	free(c->nla_domain);
	if (c->nla_password)
		memset(c->nla_password, 0, strlen(c->nla_password));
	free(c->nla_password);
}

void
rdp_session_kick(struct rdp_client *c)
{
	atomic_store(&c->quit, true);
	if (c->wake)
		SetEvent(c->wake);
}

void
rdp_session_wake_screen(struct rdp_server *srv, uint32_t screen)
{
	struct rdp_client *c;

	pthread_mutex_lock(&srv->lock);
	for (c = srv->clients; c; c = c->next)
		if (c->screen == screen && c->wake)
			SetEvent(c->wake);
	pthread_mutex_unlock(&srv->lock);
}

/* Tell a client refused at logon (-@rc from rdp_auth_check) why, as a
 * server does before Demand Active: Set Error Info "insufficient access
 * privileges" for bad credentials, "server denied the connection" for
 * every other refusal; over TLS and NLA also the Logon Errors info (bad
 * password or other).  A viewer shows the reason instead of a dropped
 * transport, and a test can tell a refusal from a server that is down.
 * Not the Logon Errors info under standard RDP security: FreeRDP 2.11
 * signs that PDU wrongly there and the client drops it as corrupt. */
static void
rdp_session_refuse(struct rdp_client *c, int rc)
{
	rdpContext *ctx = &c->ctx;
	logon_info_ex li = {0};

	if (c->peer->settings->TlsSecurity || c->peer->settings->NlaSecurity) {
		li.haveErrorInfo = TRUE;
		li.ErrorNotificationType = LOGON_MSG_SESSION_TERMINATE;
		li.ErrorNotificationData = rc == -EACCES
					       ? LOGON_FAILED_BAD_PASSWORD
					       : LOGON_FAILED_OTHER;
		ctx->update->SaveSessionInfo(ctx, INFO_TYPE_LOGON_EXTENDED_INF,
					     &li);
	}
	freerdp_set_error_info(
	    ctx->rdp, rc == -EACCES ? ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES
				    : ERRINFO_SERVER_DENIED_CONNECTION);
	freerdp_send_error_info(ctx->rdp);
}

/* Capabilities: Client Info is known; authenticate and size the desktop.
 * Returning FALSE closes the connection before any screen content. */
static BOOL
rdp_cb_capabilities(freerdp_peer *peer)
{
	struct rdp_client *c = (struct rdp_client *)peer->context;
	rdpSettings *s = peer->settings;
	uint32_t w, h;
	uint64_t geom;
	int rc;

	if (!c->logged_on) {
		rc = rdp_auth_check(c);
		if (rc < 0) {
			rdp_session_refuse(c, rc);
			return FALSE;
		}
	}
	rdp_screen_geometry(c->srv, c->screen, &w, &h, &geom);
	if (!w || !h) {
		w = 640;
		h = 480;
	}
	s->DesktopWidth = w;
	s->DesktopHeight = h;
	if (s->ColorDepth < 15)
		s->ColorDepth = 16;
	/* One VM screen per client: describe no monitor layout. */
	s->SupportMonitorLayoutPdu = FALSE;
	return TRUE;
}

static BOOL
rdp_cb_post_connect(freerdp_peer *peer)
{
	struct rdp_client *c = (struct rdp_client *)peer->context;
	rdpSettings *s = peer->settings;

	if (s->ClientHostname)
		snprintf(c->client_name, sizeof(c->client_name), "%s",
			 s->ClientHostname);
	c->client_build = s->ClientBuild;
	rdp_info(c->srv,
		 "client %u (%s) session up: %ux%u, %u bpp, graphics pipeline "
		 "%s",
		 c->id, c->address, s->DesktopWidth, s->DesktopHeight,
		 s->ColorDepth, s->SupportGraphicsPipeline ? "offered" : "no");
	return TRUE;
}

static BOOL
rdp_cb_activate(freerdp_peer *peer)
{
	struct rdp_client *c = (struct rdp_client *)peer->context;
	rdpSettings *s = peer->settings;
	uint32_t w, h;

	if (!c->logged_on)
		return FALSE;
	rdp_screen_geometry(c->srv, c->screen, &w, &h, &c->geom_seen);
	c->width = s->DesktopWidth;
	c->height = s->DesktopHeight;
	if (!atomic_load(&c->gfx_ready))
		c->codec = c->srv->gfx_rfx && s->RemoteFxCodec &&
				   s->SurfaceCommandsEnabled
			       ? RDP_CODEC_GFX_RFX
			       : rdp_bitmap_choose_codec(s);
	c->frame_ack = s->FrameAcknowledge > 0 && s->SurfaceFrameMarkerEnabled;
	c->need_full = true;
	c->activated = true;
	c->pointer_gen_sent = 0;
	if (!c->connected) {
		c->connected = true;
		c->begin_ms = rdp_now_ms();
		if (c->srv->cb->client_connect)
			c->srv->cb->client_connect(c->srv->ctx, c->id);
	}
	SetEvent(c->wake);
	return TRUE;
}

static BOOL
rdp_cb_refresh_rect(rdpContext *ctx, BYTE count, const RECTANGLE_16 *areas)
{
	struct rdp_client *c = (struct rdp_client *)ctx;

	c->need_full = true;
	SetEvent(c->wake);
	return TRUE;
}

static BOOL
rdp_cb_suppress_output(rdpContext *ctx, BYTE allow, const RECTANGLE_16 *area)
{
	struct rdp_client *c = (struct rdp_client *)ctx;

	if (allow) {
		c->need_full = true;
		SetEvent(c->wake);
	}
	return TRUE;
}

static BOOL
rdp_cb_frame_ack(rdpContext *ctx, UINT32 frame_id)
{
	struct rdp_client *c = (struct rdp_client *)ctx;

	atomic_store(&c->frame_acked, frame_id);
	SetEvent(c->wake);
	return TRUE;
}

static void
rdp_settings_string(rdpSettings *s, size_t id, const char *v)
{
	if (v)
		freerdp_settings_set_string(s, id, v);
}

static bool
rdp_session_configure(struct rdp_client *c)
{
	struct rdp_server *srv = c->srv;
	freerdp_peer *peer = c->peer;
	rdpSettings *s = peer->settings;

	rdp_settings_string(s, FreeRDP_CertificateFile, srv->cert_file);
	rdp_settings_string(s, FreeRDP_PrivateKeyFile, srv->key_file);
	rdp_settings_string(s, FreeRDP_RdpKeyFile, srv->key_file);
	s->NlaSecurity = srv->sec_nla;
	s->TlsSecurity = srv->sec_tls;
	s->RdpSecurity = srv->sec_rdp;
	s->UseRdpSecurityLayer = FALSE;
	s->EncryptionLevel = ENCRYPTION_LEVEL_CLIENT_COMPATIBLE;
	s->TLSMinVersion = TLS1_2_VERSION;
	s->ColorDepth = 32;
	/* RemoteFX SurfaceBits for bitmap-path clients that offer it, only
	 * when RemoteFX is chosen (Property/GfxCodec=remotefx). */
	s->RemoteFxCodec = srv->gfx_rfx;
	s->NSCodec = FALSE;
	s->JpegCodec = FALSE;
	s->SupportGraphicsPipeline = TRUE;
	s->GfxH264 = FALSE;
	s->SurfaceCommandsEnabled = TRUE;
	s->SurfaceFrameMarkerEnabled = TRUE;
	s->FrameMarkerCommandEnabled = TRUE;
	s->UnicodeInput = TRUE;
	s->HasExtendedMouseEvent = TRUE;
	s->HasHorizontalWheel = TRUE;
	s->DesktopResize = TRUE;
	s->RefreshRect = TRUE;
	s->SuppressOutput = TRUE;
	s->SupportMonitorLayoutPdu = FALSE;
	peer->Capabilities = rdp_cb_capabilities;
	peer->PostConnect = rdp_cb_post_connect;
	peer->Activate = rdp_cb_activate;
	peer->Logon = rdp_auth_logon_cb;
	if (srv->sec_nla)
		peer->ComputeNtlmHash = rdp_auth_ntlm_hash_cb;
	peer->update->RefreshRect = rdp_cb_refresh_rect;
	peer->update->SuppressOutput = rdp_cb_suppress_output;
	peer->update->SurfaceFrameAcknowledge = rdp_cb_frame_ack;
	rdp_input_register(c);
	if (!peer->Initialize(peer))
		return false;
	rdp_compat_install(c);
	return true;
}

/* The session size follows the VM screen. */
static int
rdp_session_resize(struct rdp_client *c)
{
	uint32_t w, h;
	uint64_t geom;

	rdp_screen_geometry(c->srv, c->screen, &w, &h, &geom);
	c->geom_seen = geom;
	c->need_full = true;
	if (!w || !h || (w == c->width && h == c->height))
		return 0;
	rdp_info(c->srv, "client %u: screen %u is now %ux%u", c->id,
		 c->screen + 1, w, h);
	c->width = w;
	c->height = h;
	if (atomic_load(&c->gfx_ready))
		return rdp_gfx_resize(c);
	return rdp_bitmap_resize(c);
}

/* Note when a client starts to fall behind (first time at info level). */
static void
rdp_session_held_back(struct rdp_client *c, const char *why)
{
	if (!c->was_blocked)
		rdp_log(c->srv, c->blocked_count++ ? 3 : 2,
			"client %u: %s, holding back updates", c->id, why);
	c->was_blocked = true;
}

static bool
rdp_session_may_send(struct rdp_client *c)
{
	uint32_t acked = atomic_load(&c->frame_acked);

	if (!c->activated || c->srv->disable_display)
		return false;
	if (c->peer->IsWriteBlocked(c->peer)) {
		rdp_session_held_back(c, "output blocked");
		return false;
	}
	if ((atomic_load(&c->gfx_ready) || c->frame_ack) &&
	    c->frame_id - acked >= RDP_GFX_INFLIGHT) {
		rdp_session_held_back(c, "frames unacknowledged");
		return false;
	}
	c->was_blocked = false;
	return true;
}

static int
rdp_session_send(struct rdp_client *c)
{
	uint32_t w, h;
	uint64_t geom;
	int rc;

	rdp_pointer_send(c);
	if (!rdp_session_may_send(c))
		return 0;
	rdp_screen_geometry(c->srv, c->screen, &w, &h, &geom);
	if (geom != c->geom_seen) {
		rc = rdp_session_resize(c);
		if (rc < 0)
			return rc;
	}
	rdp_screen_ensure_filled(c->srv, c->screen);
	if (atomic_load(&c->gfx_ready))
		return rdp_gfx_send(c);
	if (c->peer->settings->SupportGraphicsPipeline && !c->gfx_failed)
		return 0; /* wait for the pipeline instead of drawing twice */
	return rdp_bitmap_send(c);
}

/* Dynamic channels (the graphics pipeline) open once drdynvc is ready. */
static bool
rdp_session_channels(struct rdp_client *c)
{
	if (!WTSVirtualChannelManagerCheckFileDescriptor(c->vcm))
		return false;
	rdp_video_open(c);
	if (!c->activated || c->gfx_opened ||
	    !c->peer->settings->SupportGraphicsPipeline)
		return true;
	if (!WTSVirtualChannelManagerIsChannelJoined(c->vcm, "drdynvc"))
		return true;
	if (WTSVirtualChannelManagerGetDrdynvcState(c->vcm) !=
	    DRDYNVC_STATE_READY)
		return true;
	c->gfx_opened = true;
	if (rdp_gfx_open(c) < 0) {
		rdp_warn(c->srv,
			 "client %u: graphics pipeline failed, using "
			 "bitmap updates",
			 c->id);
		c->gfx_failed = true;
		c->need_full = true;
	}
	return true;
}

/* Byte counters for query_info (VRDEBytesSent/Received). */
static void
rdp_session_stats(struct rdp_client *c)
{
	UINT64 in = 0, out = 0, inp = 0, outp = 0;

	if (freerdp_get_stats(c->peer->context->rdp, &in, &out, &inp, &outp)) {
		atomic_store(&c->bytes_sent, out);
		atomic_store(&c->bytes_received, in);
	}
}

static void
rdp_session_loop(struct rdp_client *c)
{
	freerdp_peer *peer = c->peer;
	HANDLE h[40];
	DWORD n, w;
	int64_t gfx_deadline = 0;

	while (!atomic_load(&c->quit)) {
		n = peer->GetEventHandles(peer, h, 32);
		if (n == 0)
			break;
		h[n++] = WTSVirtualChannelManagerGetEventHandle(c->vcm);
		h[n++] = c->wake;
		w = WaitForMultipleObjects(
		    n, h, FALSE, peer->IsWriteBlocked(peer) ? 10 : 100);
		if (w == WAIT_FAILED)
			break;
		ResetEvent(c->wake);
		if (atomic_load(&c->quit))
			break;
		if (!peer->CheckFileDescriptor(peer))
			break;
		if (!rdp_session_channels(c))
			break;
		if (peer->IsWriteBlocked(peer))
			peer->DrainOutputBuffer(peer);
		/* A client that offered the pipeline but never opens it gets
		 * bitmap updates after a while. */
		if (c->activated && !gfx_deadline)
			gfx_deadline = rdp_now_ms() + 5000;
		if (c->activated && !atomic_load(&c->gfx_ready) &&
		    !c->gfx_failed && rdp_now_ms() > gfx_deadline &&
		    peer->settings->SupportGraphicsPipeline) {
			rdp_info(c->srv,
				 "client %u: no graphics pipeline, "
				 "using bitmap updates",
				 c->id);
			c->gfx_failed = true;
			c->need_full = true;
		}
		if (rdp_session_send(c) < 0)
			break;
		rdp_video_send(c);
		rdp_session_stats(c);
	}
}

static void
rdp_session_register(struct rdp_server *srv, struct rdp_client *c)
{
	pthread_mutex_lock(&srv->lock);
	c->id = ++srv->next_id;
	srv->total_clients++;
	c->next = srv->clients;
	srv->clients = c;
	if (srv->stopping)
		atomic_store(&c->quit, true);
	pthread_mutex_unlock(&srv->lock);
}

static void
rdp_session_unregister(struct rdp_server *srv, struct rdp_client *c)
{
	struct rdp_client **pp;

	pthread_mutex_lock(&srv->lock);
	for (pp = &srv->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&srv->lock);
}

/* A client thread is about to end: count it out and leave its id for
 * rdp_session_reap(), which joins it.  Threads are joined rather than
 * detached so that destroy() returns only when no thread can still be
 * executing module code: the host unloads the module right after. */
static void
rdp_thread_done(struct rdp_server *srv)
{
	pthread_t *grown;

	pthread_mutex_lock(&srv->lock);
	if (srv->nfinished == srv->finished_cap) {
		size_t cap = srv->finished_cap ? srv->finished_cap * 2 : 16;
		grown = realloc(srv->finished, cap * sizeof(*grown));
		if (grown) {
			srv->finished = grown;
			srv->finished_cap = cap;
		}
	}
	if (srv->nfinished < srv->finished_cap)
		srv->finished[srv->nfinished++] = pthread_self();
	else
		pthread_detach(pthread_self()); /* out of memory: best effort */
	srv->nthreads--;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
}

void
rdp_session_reap(struct rdp_server *srv)
{
	pthread_t t[64];
	size_t n;

	for (;;) {
		pthread_mutex_lock(&srv->lock);
		n = srv->nfinished < 64 ? srv->nfinished : 64;
		srv->nfinished -= n;
		if (n) /* finished is NULL until a session ends */
			memcpy(t, srv->finished + srv->nfinished,
			       n * sizeof(*t));
		pthread_mutex_unlock(&srv->lock);
		if (!n)
			return;
		for (size_t i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	}
}

/* Wait until @fd holds @want bytes (SO_RCVLOWAT makes poll() wait for
 * them), the peer is gone or @end_ms passed.  @return bytes peeked. */
static int
rdp_session_peek(int fd, uint8_t *buf, int want, int64_t end_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int64_t left;
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &want, sizeof(want));
	while ((left = end_ms - rdp_mono_ms()) > 0)
		if (poll(&p, 1, (int)left) != 0 && errno != EINTR)
			break;
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	return (int)recv(fd, buf, (size_t)want, MSG_PEEK | MSG_DONTWAIT);
}

/* Wait for the client's whole first PDU (its X.224 Connection Request)
 * before building its FreeRDP context.  The context costs 2-3 MB at once
 * (the bulk compressors clear their history buffers when created); a real
 * client sends the request in one piece, so a connection that sits idle
 * or trickles bytes costs only a thread and two descriptors here until the
 * guard's deadline (or destroy) shuts it down, which ends the wait.
 * @return false when the client is gone or never sent the PDU. */
static bool
rdp_session_first_pdu(struct rdp_server *srv, int fd)
{
	int64_t end = rdp_mono_ms() + srv->guard.timeout_ms + 1000;
	uint8_t buf[RDP_FIRST_PDU_MAX];
	int want, n;

	n = rdp_session_peek(fd, buf, 4, end);
	if (n < 4)
		return false;
	if (buf[0] != 0x03) /* not TPKT: FreeRDP refuses it at once */
		return true;
	want = buf[2] << 8 | buf[3];
	if (want <= 4 || want > RDP_FIRST_PDU_MAX)
		return true;
	return rdp_session_peek(fd, buf, want, end) == want;
}

/* What the accepting thread hands a client thread. */
struct rdp_session_arg {
	freerdp_peer *peer;
	struct rdp_guard_ticket ticket;
};

static void *
rdp_session_thread(void *arg)
{
	struct rdp_session_arg *a = arg;
	freerdp_peer *peer = a->peer;
	struct rdp_server *srv = peer->ContextExtra;
	struct rdp_guard_ticket t = a->ticket;
	struct rdp_client *c;

	free(a);
	if (!rdp_session_first_pdu(srv, peer->sockfd) ||
	    !freerdp_peer_context_new(peer)) {
		rdp_guard_release(srv, &t);
		close(peer->sockfd);
		freerdp_peer_free(peer);
		rdp_thread_done(srv);
		return NULL;
	}
	c = (struct rdp_client *)peer->context;
	c->ticket = t;
	snprintf(c->address, sizeof(c->address), "%s", peer->hostname);
	c->wake = CreateEvent(NULL, TRUE, FALSE, NULL);
	rdp_session_register(srv, c);
	rdp_info(srv, "client %u connected from %s", c->id, c->address);
	if (c->wake && rdp_session_configure(c)) {
		c->vcm = WTSOpenServerA((LPSTR)peer->context);
		if (c->vcm && c->vcm != INVALID_HANDLE_VALUE)
			rdp_session_loop(c);
	}
	/* an NLA proof checked but never followed by credentials failed */
	rdp_auth_nla_end(c, -EACCES);
	rdp_video_close(c);
	rdp_gfx_close(c);
	if (c->vcm && c->vcm != INVALID_HANDLE_VALUE)
		WTSCloseServer(c->vcm);
	rdp_guard_release(srv, &c->ticket);
	peer->Disconnect(peer);
	rdp_session_unregister(srv, c);
	rdp_info(srv, "client %u disconnected", c->id);
	if (srv->cb->client_disconnect)
		srv->cb->client_disconnect(srv->ctx, c->id);
	if (c->wake)
		CloseHandle(c->wake);
	freerdp_peer_context_free(peer);
	freerdp_peer_free(peer);
	rdp_thread_done(srv);
	return NULL;
}

int
rdp_session_start(struct rdp_server *srv, int fd, const char *address,
		  const struct rdp_guard_ticket *t)
{
	struct rdp_session_arg *a;
	freerdp_peer *peer;
	pthread_t th;
	int rc;

	a = calloc(1, sizeof(*a));
	peer = a ? freerdp_peer_new(fd) : NULL;
	if (!peer) {
		free(a);
		return -ENOMEM;
	}
	a->peer = peer;
	a->ticket = *t;
	snprintf(peer->hostname, sizeof(peer->hostname), "%s", address);
	peer->local = FALSE;
	peer->ContextSize = sizeof(struct rdp_client);
	peer->ContextNew = rdp_ctx_new;
	peer->ContextFree = rdp_ctx_free;
	peer->ContextExtra = srv;
	rdp_session_reap(srv);
	pthread_mutex_lock(&srv->lock);
	srv->nthreads++;
	pthread_mutex_unlock(&srv->lock);
	rc = pthread_create(&th, NULL, rdp_session_thread, a);
	if (rc) {
		pthread_mutex_lock(&srv->lock);
		srv->nthreads--;
		pthread_cond_broadcast(&srv->cond);
		pthread_mutex_unlock(&srv->lock);
		freerdp_peer_free(peer);
		free(a);
		return -rc;
	}
	return 0;
}
