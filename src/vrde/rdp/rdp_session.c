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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <winpr/synch.h>
#include <winpr/wtsapi.h>
#include <freerdp/channels/wtsvc.h>

#include "rdp.h"

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

/* Capabilities: Client Info is known; authenticate and size the desktop.
 * Returning FALSE closes the connection before any screen content. */
static BOOL
rdp_cb_capabilities(freerdp_peer *peer)
{
	struct rdp_client *c = (struct rdp_client *)peer->context;
	rdpSettings *s = peer->settings;
	uint32_t w, h;
	uint64_t geom;

	if (!c->logged_on && rdp_auth_check(c) < 0)
		return FALSE;
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

static void *
rdp_session_thread(void *arg)
{
	freerdp_peer *peer = arg;
	struct rdp_server *srv = peer->ContextExtra;
	struct rdp_client *c;

	if (!freerdp_peer_context_new(peer)) {
		close(peer->sockfd);
		freerdp_peer_free(peer);
		rdp_thread_done(srv);
		return NULL;
	}
	c = (struct rdp_client *)peer->context;
	snprintf(c->address, sizeof(c->address), "%s", peer->hostname);
	c->wake = CreateEvent(NULL, TRUE, FALSE, NULL);
	rdp_session_register(srv, c);
	rdp_info(srv, "client %u connected from %s", c->id, c->address);
	if (c->wake && rdp_session_configure(c)) {
		c->vcm = WTSOpenServerA((LPSTR)peer->context);
		if (c->vcm && c->vcm != INVALID_HANDLE_VALUE)
			rdp_session_loop(c);
	}
	rdp_video_close(c);
	rdp_gfx_close(c);
	if (c->vcm && c->vcm != INVALID_HANDLE_VALUE)
		WTSCloseServer(c->vcm);
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
rdp_session_start(struct rdp_server *srv, int fd, const char *address)
{
	freerdp_peer *peer;
	pthread_t t;
	int rc;

	peer = freerdp_peer_new(fd);
	if (!peer)
		return -ENOMEM;
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
	rc = pthread_create(&t, NULL, rdp_session_thread, peer);
	if (rc) {
		pthread_mutex_lock(&srv->lock);
		srv->nthreads--;
		pthread_cond_broadcast(&srv->cond);
		pthread_mutex_unlock(&srv->lock);
		freerdp_peer_free(peer);
		return -rc;
	}
	return 0;
}
