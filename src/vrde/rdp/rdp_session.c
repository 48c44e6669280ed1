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
rdp_session_kick(struct vmod_client *vc)
{
	struct rdp_client *c = rdp_client_of(vc);

	atomic_store(&c->quit, true);
	if (c->wake)
		SetEvent(c->wake);
}

void
rdp_session_wake_screen(struct rdp_server *srv, uint32_t screen)
{
	struct rdp_client *c;

	pthread_mutex_lock(&srv->core.lock);
	vmod_for_each_client(&srv->core, c, struct rdp_client,
			     vc) if (c->vc.screen == screen && c->wake)
	    SetEvent(c->wake);
	pthread_mutex_unlock(&srv->core.lock);
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
	vmod_fb_geometry(vmod_screen_fb(c->srv, c->vc.screen), &w, &h, &geom);
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
		 c->vc.id, c->vc.address, s->DesktopWidth, s->DesktopHeight,
		 s->ColorDepth, s->SupportGraphicsPipeline ? "offered" : "no");
	return TRUE;
}

/* The codec of the bitmap path (RemoteFX surface bits when chosen). */
static void
rdp_session_legacy_codec(struct rdp_client *c)
{
	rdpSettings *s = c->peer->settings;

	c->codec =
	    c->srv->gfx_rfx && s->RemoteFxCodec && s->SurfaceCommandsEnabled
		? RDP_CODEC_GFX_RFX
		: rdp_bitmap_choose_codec(s);
}

static BOOL
rdp_cb_activate(freerdp_peer *peer)
{
	struct rdp_client *c = (struct rdp_client *)peer->context;
	rdpSettings *s = peer->settings;
	uint32_t w, h;

	if (!c->logged_on)
		return FALSE;
	vmod_fb_geometry(vmod_screen_fb(c->srv, c->vc.screen), &w, &h,
			 &c->geom_seen);
	c->width = s->DesktopWidth;
	c->height = s->DesktopHeight;
	if (!atomic_load(&c->gfx_ready))
		rdp_session_legacy_codec(c);
	c->frame_ack = s->FrameAcknowledge > 0 && s->SurfaceFrameMarkerEnabled;
	c->need_full = true;
	c->activated = true;
	c->pointer_gen_sent = 0;
	if (!c->vc.connected) {
		c->vc.connected = true;
		c->vc.begin_ms = vmod_now_ms();
		if (c->srv->core.host.cb->client_connect)
			c->srv->core.host.cb->client_connect(
			    c->srv->core.host.ctx, c->vc.id);
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

	rdp_settings_string(s, FreeRDP_CertificateFile,
			    srv->core.cert.cert_file);
	rdp_settings_string(s, FreeRDP_PrivateKeyFile, srv->core.cert.key_file);
	/* standard RDP security: the key FreeRDP can use (rdp_rsakey.c) */
	if (srv->rdp_key_pem)
		rdp_settings_string(s, FreeRDP_RdpKeyContent, srv->rdp_key_pem);
	else
		rdp_settings_string(s, FreeRDP_RdpKeyFile,
				    srv->core.cert.key_file);
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
	/* Channel data (the pipeline's frames) goes out in chunks of this
	 * size, each with its own channel, MCS and TLS record headers: the
	 * default 1,600 bytes cost the pipeline about 50 bytes per 1,600,
	 * where fast-path bitmap updates go in 16 KB fragments. */
	s->VirtualChannelChunkSize = RDP_VC_CHUNK_MAX;
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

	vmod_fb_geometry(vmod_screen_fb(c->srv, c->vc.screen), &w, &h, &geom);
	c->geom_seen = geom;
	c->need_full = true;
	if (!w || !h || (w == c->width && h == c->height))
		return 0;
	rdp_info(c->srv, "client %u: screen %u is now %ux%u", c->vc.id,
		 c->vc.screen + 1, w, h);
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
		rdp_log(c->srv,
			c->blocked_count++ ? VRDE_LOG_DEBUG : VRDE_LOG_INFO,
			"client %u: %s, holding back updates", c->vc.id, why);
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
	vmod_fb_geometry(vmod_screen_fb(c->srv, c->vc.screen), &w, &h, &geom);
	if (geom != c->geom_seen) {
		rc = rdp_session_resize(c);
		if (rc < 0)
			return rc;
	}
	vmod_fb_ensure_filled(vmod_screen_fb(c->srv, c->vc.screen));
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
	if (c->gfx && !c->gfx_failed && rdp_gfx_poll(c) < 0) {
		rdp_info(c->srv,
			 "client %u: graphics pipeline refused or failed, "
			 "using bitmap updates",
			 c->vc.id);
		rdp_video_gfx_reset(c); /* its H.264 streams end */
		rdp_gfx_close(c);
		c->gfx_failed = true;
		c->need_full = true;
		rdp_session_legacy_codec(c);
		/* frames of the pipeline will never be acknowledged */
		atomic_store(&c->frame_acked, c->frame_id);
	}
	rdp_urbdrc_poll(c);
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
			 c->vc.id);
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
		atomic_store(&c->vc.bytes_sent, out);
		atomic_store(&c->vc.bytes_received, in);
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
			gfx_deadline = vmod_now_ms() + 5000;
		if (c->activated && !atomic_load(&c->gfx_ready) &&
		    !c->gfx_failed && vmod_now_ms() > gfx_deadline &&
		    peer->settings->SupportGraphicsPipeline) {
			rdp_info(c->srv,
				 "client %u: no graphics pipeline, "
				 "using bitmap updates",
				 c->vc.id);
			c->gfx_failed = true;
			c->need_full = true;
		}
		if (rdp_session_send(c) < 0)
			break;
		rdp_video_send(c);
		rdp_session_stats(c);
	}
}

/* The host ended this client's session (the VM powered off or was
 * teleported away, the remote display was switched off, another client
 * replaced this one): say so before the transport closes, with Set Error
 * Info "disconnected by an administrative tool on the server"
 * (MS-RDPBCGR 2.2.5.1.1, ERRINFO_RPC_INITIATED_DISCONNECT), as a server
 * does when an administrator ends a session.  A viewer then shows that
 * reason instead of a lost connection, and FreeRDP's clients do not try
 * to reconnect (they do so only after a drop without error info).  At
 * most RDP_END_NOTICE_MS to get the PDU out to a viewer that does not
 * read: the host waits for every client thread when it stops. */
#define RDP_END_NOTICE_MS 500

static void
rdp_session_end_notice(struct rdp_client *c)
{
	freerdp_peer *peer = c->peer;
	int64_t end = vmod_mono_ms() + RDP_END_NOTICE_MS;

	if (!c->activated)
		return;
	freerdp_set_error_info(c->ctx.rdp, ERRINFO_RPC_INITIATED_DISCONNECT);
	if (!freerdp_send_error_info(c->ctx.rdp)) {
		rdp_info(c->srv,
			 "client %u: the host ended the session; telling the "
			 "viewer failed",
			 c->vc.id);
		return;
	}
	while (peer->IsWriteBlocked(peer) && vmod_mono_ms() < end) {
		peer->DrainOutputBuffer(peer);
		usleep(10000);
	}
	rdp_info(c->srv,
		 "client %u: the host ended the session; the viewer was told "
		 "(Set Error Info 0x%08x: disconnected by the server's "
		 "administrator)",
		 c->vc.id, ERRINFO_RPC_INITIATED_DISCONNECT);
}

static void
rdp_session_register(struct rdp_server *srv, struct rdp_client *c)
{
	pthread_mutex_lock(&srv->core.lock);
	vmod_client_add(&srv->core, &c->vc);
	srv->core.total_clients++;
	if (srv->core.stopping)
		atomic_store(&c->quit, true);
	pthread_mutex_unlock(&srv->core.lock);
}

static void
rdp_session_unregister(struct rdp_server *srv, struct rdp_client *c)
{
	pthread_mutex_lock(&srv->core.lock);
	vmod_client_remove(&srv->core, &c->vc);
	pthread_mutex_unlock(&srv->core.lock);
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
	while ((left = end_ms - vmod_mono_ms()) > 0)
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
	int64_t end = vmod_mono_ms() + srv->guard.timeout_ms + 1000;
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
		vmod_thread_done(&srv->core);
		return NULL;
	}
	c = (struct rdp_client *)peer->context;
	c->ticket = t;
	snprintf(c->vc.address, sizeof(c->vc.address), "%s", peer->hostname);
	c->wake = CreateEvent(NULL, TRUE, FALSE, NULL);
	rdp_session_register(srv, c);
	rdp_info(srv, "client %u connected from %s", c->vc.id, c->vc.address);
	if (c->wake && rdp_session_configure(c)) {
		c->vcm = WTSOpenServerA((LPSTR)peer->context);
		if (c->vcm && c->vcm != INVALID_HANDLE_VALUE)
			rdp_session_loop(c);
	}
	/* quit is set only by the host's kick (or its stop) */
	if (atomic_load(&c->quit))
		rdp_session_end_notice(c);
	/* an NLA proof checked but never followed by credentials failed */
	rdp_auth_nla_end(c, -EACCES);
	rdp_urbdrc_close(c);
	rdp_video_close(c);
	rdp_gfx_close(c);
	if (c->vcm && c->vcm != INVALID_HANDLE_VALUE)
		WTSCloseServer(c->vcm);
	rdp_guard_release(srv, &c->ticket);
	peer->Disconnect(peer);
	rdp_session_unregister(srv, c);
	rdp_info(srv, "client %u disconnected", c->vc.id);
	if (srv->core.host.cb->client_disconnect)
		srv->core.host.cb->client_disconnect(srv->core.host.ctx,
						     c->vc.id);
	if (c->wake)
		CloseHandle(c->wake);
	freerdp_peer_context_free(peer);
	freerdp_peer_free(peer);
	vmod_thread_done(&srv->core);
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
	vmod_reap(&srv->core);
	pthread_mutex_lock(&srv->core.lock);
	srv->core.nthreads++;
	pthread_mutex_unlock(&srv->core.lock);
	rc = pthread_create(&th, NULL, rdp_session_thread, a);
	if (rc) {
		pthread_mutex_lock(&srv->core.lock);
		srv->core.nthreads--;
		pthread_cond_broadcast(&srv->core.cond);
		pthread_mutex_unlock(&srv->core.lock);
		freerdp_peer_free(peer);
		free(a);
		return -rc;
	}
	return 0;
}
