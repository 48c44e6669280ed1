/*
 * rdp-fuzzclient.c - an RDP client (libfreerdp-client2) that logs on like
 * a real one and then misbehaves, bounded in count and time:
 *
 *   rdp-fuzzclient --port N --user U --password P [--sec tls|nla|rdp]
 *       [--seed S] [--count N] [--seconds S] [--sessions N]
 *
 * - input PDUs through FreeRDP's input and update API with hostile values:
 *   any key code and flags, Unicode, pointer events with any flags far off
 *   the screen, synchronize and focus events, refresh and suppress-output
 *   rectangles inverted or huge;
 * - the graphics pipeline: our own plug-in takes the place of FreeRDP's
 *   rdpgfx (as rdp-probe's TSMF receiver does) and sends capability
 *   advertisements, frame acknowledgements (of the frames the server
 *   really sent), QoE acknowledgements and cache import offers, valid
 *   ones mutated by bit flips, overwritten fields, truncation and
 *   extension;
 * - TSMF (MS-RDPEV): tsmf_client (libvireo-video) answers the server, and
 *   its answers and notifications are mutated the same way.
 *
 * The server may drop a session for what it gets; the client then logs
 * on again, up to --sessions times.  The last line on stdout is
 *   sessions N logons N sent N input N gfx N tsmf N
 * Exit status: 0 when at least one logon succeeded and --count messages
 * were sent (or --seconds ran out after some were); 1 otherwise; 3 usage.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <freerdp/addin.h>
#include <freerdp/channels/rdpgfx.h>
#include <freerdp/client/channels.h>
#include <freerdp/client/cmdline.h>
#include <freerdp/codec/zgfx.h>
#include <freerdp/dvc.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/graphics.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>

#include "tsmf_client.h"

#define FC_MSG_MAX 4096

struct fc_opts {
	const char *port, *user, *password, *sec;
	unsigned seed;
	long count;
	int seconds;
	int sessions;
};

/* Everything the DVC thread and the main loop share; fc.lock guards it.
 * Recursive: a failed channel write closes the channel (OnClose) inside
 * the write. */
static struct {
	pthread_mutex_t lock;
	long sent, input, gfx, tsmf_sent;
	IWTSVirtualChannel *gfx_chan;
	bool gfx_open;
	uint32_t frames[16]; /* frame ids the server started, unacked */
	int nframes;
	uint32_t decoded;
	ZGFX_CONTEXT *zgfx;
	struct tsmf_client *tsmf_cli;
	IWTSVirtualChannel *tsmf_chans[8];
	int ntsmf;
} fc = {.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP};

static int64_t
fc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift; one state per thread (the main loop's input, the DVC
 * thread's channel messages), both derived from --seed. */
static uint64_t fc_seed;
static __thread uint64_t fc_rng;

static uint32_t
fc_rand(void)
{
	if (!fc_rng)
		fc_rng = 0x9e3779b97f4a7c15ull ^ fc_seed ^
			 (uint64_t)(uintptr_t)&fc_rng;
	fc_rng ^= fc_rng << 13;
	fc_rng ^= fc_rng >> 7;
	fc_rng ^= fc_rng << 17;
	return (uint32_t)(fc_rng >> 16);
}

static uint32_t
fc_interesting(void)
{
	static const uint32_t v[] = {
	    0,		1,	0x7f,	   0x80,       0xff,	   0x7fff,
	    0x8000,	0xffff, 0x10000,   0x7fffffff, 0x80000000, 0xffffffff,
	    0xfffffffe, 4096,	65535 * 4, 2};

	return v[fc_rand() % (sizeof(v) / sizeof(v[0]))];
}

/* Mutate @len bytes of @b (room for FC_MSG_MAX); @return the new length. */
static size_t
fc_mutate(uint8_t *b, size_t len)
{
	int rounds = 1 + (int)(fc_rand() % 3);

	for (int r = 0; r < rounds; r++) {
		uint32_t v;

		switch (fc_rand() % 6) {
		case 0: /* bit flip */
			if (len)
				b[fc_rand() % len] ^=
				    (uint8_t)(1u << (fc_rand() % 8));
			break;
		case 1: /* random byte */
			if (len)
				b[fc_rand() % len] = (uint8_t)fc_rand();
			break;
		case 2: /* an interesting 32-bit field */
			if (len >= 4) {
				v = fc_interesting();
				memcpy(b + fc_rand() % (len - 3), &v, 4);
			}
			break;
		case 3: /* an interesting 16-bit field */
			if (len >= 2) {
				v = fc_interesting();
				memcpy(b + fc_rand() % (len - 1), &v, 2);
			}
			break;
		case 4: /* truncate */
			len = len ? fc_rand() % len : 0;
			break;
		default: /* extend with junk */
			for (uint32_t k = fc_rand() % 64; k && len < FC_MSG_MAX;
			     k--)
				b[len++] = (uint8_t)fc_rand();
			break;
		}
	}
	return len;
}

/* ---- graphics pipeline ---------------------------------------------- */

struct fc_chan {
	IWTSVirtualChannelCallback iface; /* first: FreeRDP casts */
	IWTSVirtualChannel *chan;
	bool gfx;
};

static size_t
fc_put16(uint8_t *b, size_t at, uint16_t v)
{
	b[at] = (uint8_t)v;
	b[at + 1] = (uint8_t)(v >> 8);
	return at + 2;
}

static size_t
fc_put32(uint8_t *b, size_t at, uint32_t v)
{
	fc_put16(b, at, (uint16_t)v);
	return fc_put16(b, at + 2, (uint16_t)(v >> 16));
}

static size_t
fc_put64(uint8_t *b, size_t at, uint64_t v)
{
	fc_put32(b, at, (uint32_t)v);
	return fc_put32(b, at + 4, (uint32_t)(v >> 32));
}

/* RDPGFX_HEADER, pduLength filled in once the body is written. */
static void
fc_gfx_header(uint8_t *b, uint16_t cmd, size_t len)
{
	fc_put16(b, 0, cmd);
	fc_put16(b, 2, 0);
	fc_put32(b, 4, (uint32_t)len);
}

static size_t
fc_gfx_caps(uint8_t *b)
{
	static const uint32_t versions[] = {
	    RDPGFX_CAPVERSION_8,   RDPGFX_CAPVERSION_81,  RDPGFX_CAPVERSION_10,
	    RDPGFX_CAPVERSION_101, RDPGFX_CAPVERSION_102, RDPGFX_CAPVERSION_103,
	    RDPGFX_CAPVERSION_104, RDPGFX_CAPVERSION_105, RDPGFX_CAPVERSION_106,
	    RDPGFX_CAPVERSION_107};
	uint16_t n = (uint16_t)(1 + fc_rand() % 10);
	size_t at = fc_put16(b, 8, n);

	for (uint16_t i = 0; i < n; i++) {
		at = fc_put32(b, at, versions[fc_rand() % 10]);
		at = fc_put32(b, at, 4);
		at = fc_put32(b, at, fc_rand() & 0x3f);
	}
	fc_gfx_header(b, RDPGFX_CMDID_CAPSADVERTISE, at);
	return at;
}

static size_t
fc_gfx_message(uint8_t *b)
{
	size_t at;
	uint32_t id = fc.nframes ? fc.frames[0] : fc_rand();

	switch (fc_rand() % 8) {
	case 0:
		return fc_gfx_caps(b);
	case 1: /* cache import offer */
		at = fc_put16(b, 8, (uint16_t)(fc_rand() % 8));
		for (int i = 0; i < 8; i++) {
			at = fc_put64(b, at,
				      ((uint64_t)fc_rand() << 32) | fc_rand());
			at = fc_put32(b, at, fc_rand() % 65536);
		}
		fc_gfx_header(b, RDPGFX_CMDID_CACHEIMPORTOFFER, at);
		return at;
	case 2: /* QoE frame acknowledge */
		at = fc_put32(b, 8, id);
		at = fc_put32(b, at, fc_rand());
		at = fc_put16(b, at, (uint16_t)fc_rand());
		at = fc_put16(b, at, (uint16_t)fc_rand());
		fc_gfx_header(b, RDPGFX_CMDID_QOEFRAMEACKNOWLEDGE, at);
		return at;
	default: /* frame acknowledge, of a real frame when there is one */
		if (fc.nframes)
			memmove(fc.frames, fc.frames + 1,
				--fc.nframes * sizeof(fc.frames[0]));
		at = fc_put32(b, 8, fc_rand() % 4 ? 0 : fc_interesting());
		at = fc_put32(b, at, id);
		at = fc_put32(b, at, ++fc.decoded);
		fc_gfx_header(b, RDPGFX_CMDID_FRAMEACKNOWLEDGE, at);
		return at;
	}
}

/* Send one gfx message, mutated three times in four.  Under fc_lock. */
static void
fc_gfx_send(void)
{
	uint8_t b[FC_MSG_MAX];
	size_t len;

	if (!fc.gfx_open)
		return;
	len = fc_gfx_message(b);
	if (fc_rand() % 4)
		len = fc_mutate(b, len);
	fc.gfx_chan->Write(fc.gfx_chan, (ULONG)len, b, NULL);
	fc.gfx++;
	fc.sent++;
}

/* Remember the server's StartFrame ids so that acknowledgements name
 * real frames (the server then keeps sending). */
static void
fc_gfx_received(const BYTE *p, size_t len)
{
	BYTE *out = NULL;
	UINT32 n = 0;

	if (zgfx_decompress(fc.zgfx, p, (UINT32)len, &out, &n, 0) < 0)
		return;
	for (size_t at = 0; at + 8 <= n;) {
		uint16_t cmd = (uint16_t)(out[at] | out[at + 1] << 8);
		uint32_t pdu = out[at + 4] | out[at + 5] << 8 |
			       out[at + 6] << 16 | (uint32_t)out[at + 7] << 24;

		if (pdu < 8 || pdu > n - at)
			break;
		if (cmd == RDPGFX_CMDID_STARTFRAME && pdu >= 16 &&
		    fc.nframes < 16)
			fc.frames[fc.nframes++] =
			    out[at + 12] | out[at + 13] << 8 |
			    out[at + 14] << 16 | (uint32_t)out[at + 15] << 24;
		at += pdu;
	}
	free(out);
}

/* ---- TSMF ------------------------------------------------------------ */

static int
fc_tsmf_write(void *ctx, void *chan, const uint8_t *data, size_t len)
{
	IWTSVirtualChannel *c = chan;
	uint8_t b[FC_MSG_MAX];

	if (len > FC_MSG_MAX)
		len = FC_MSG_MAX;
	memcpy(b, data, len);
	if (fc_rand() % 2)
		len = fc_mutate(b, len);
	fc.tsmf_sent++;
	fc.sent++;
	return c->Write(c, (ULONG)len, b, NULL) == CHANNEL_RC_OK ? 0 : -EIO;
}

static void
fc_tsmf_frame(void *ctx, const struct tsmf_client_frame *f)
{
}

static const struct tsmf_client_ops fc_tsmf_ops = {fc_tsmf_write,
						   fc_tsmf_frame};

/* An unsolicited notification (PLAYBACK_ACK or CLIENT_EVENT) on a TSMF
 * channel, mutated.  Under fc_lock. */
static void
fc_tsmf_send(void)
{
	uint8_t b[FC_MSG_MAX];
	size_t at;
	IWTSVirtualChannel *c;

	if (!fc.ntsmf)
		return;
	c = fc.tsmf_chans[fc_rand() % fc.ntsmf];
	at = fc_put32(b, 0, 1); /* CLIENT_NOTIFY */
	at = fc_put32(b, at, fc_rand());
	if (fc_rand() % 2) {
		at = fc_put32(b, at, 0x100); /* PLAYBACK_ACK */
		at = fc_put32(b, at, fc_rand() % 4);
		at = fc_put64(b, at, 400000);
		at = fc_put64(b, at, fc_rand());
	} else {
		at = fc_put32(b, at, 0x101); /* CLIENT_EVENT_NOTIFICATION */
		at = fc_put32(b, at, fc_rand() % 4);
		at = fc_put32(b, at, 0xc9);
		at = fc_put32(b, at, 0);
	}
	fc_tsmf_write(NULL, c, b, at);
}

/* ---- the dynamic-channel plug-in ------------------------------------ */

static UINT
fc_on_data(IWTSVirtualChannelCallback *cb, wStream *s)
{
	struct fc_chan *fch = (struct fc_chan *)cb;

	pthread_mutex_lock(&fc.lock);
	if (fch->gfx) {
		fc_gfx_received(Stream_Pointer(s),
				Stream_GetRemainingLength(s));
		fc_gfx_send();
	} else if (fc.tsmf_cli) {
		tsmf_client_on_data(fc.tsmf_cli, fch->chan, Stream_Pointer(s),
				    Stream_GetRemainingLength(s));
		if (fc_rand() % 2)
			fc_tsmf_send();
	}
	pthread_mutex_unlock(&fc.lock);
	return CHANNEL_RC_OK;
}

static UINT
fc_on_open(IWTSVirtualChannelCallback *cb)
{
	struct fc_chan *fch = (struct fc_chan *)cb;

	pthread_mutex_lock(&fc.lock);
	if (fch->gfx) {
		uint8_t b[FC_MSG_MAX];
		size_t len = fc_gfx_caps(b);

		fc.gfx_chan = fch->chan;
		fc.gfx_open = true;
		/* a valid advertisement first, so the session gets going */
		fc.gfx_chan->Write(fc.gfx_chan, (ULONG)len, b, NULL);
	}
	pthread_mutex_unlock(&fc.lock);
	return CHANNEL_RC_OK;
}

static UINT
fc_on_close(IWTSVirtualChannelCallback *cb)
{
	struct fc_chan *fch = (struct fc_chan *)cb;

	pthread_mutex_lock(&fc.lock);
	if (fch->gfx) {
		fc.gfx_open = false;
	} else {
		for (int i = 0; i < fc.ntsmf; i++)
			if (fc.tsmf_chans[i] == fch->chan)
				fc.tsmf_chans[i] = fc.tsmf_chans[--fc.ntsmf];
	}
	pthread_mutex_unlock(&fc.lock);
	free(cb);
	return CHANNEL_RC_OK;
}

static UINT
fc_new_channel(IWTSListenerCallback *lcb, IWTSVirtualChannel *chan, BYTE *data,
	       BOOL *accept, IWTSVirtualChannelCallback **out, bool gfx)
{
	struct fc_chan *fch = calloc(1, sizeof(*fch));

	if (!fch)
		return CHANNEL_RC_NO_MEMORY;
	fch->iface.OnDataReceived = fc_on_data;
	fch->iface.OnOpen = fc_on_open;
	fch->iface.OnClose = fc_on_close;
	fch->chan = chan;
	fch->gfx = gfx;
	pthread_mutex_lock(&fc.lock);
	if (!gfx && fc.ntsmf < 8)
		fc.tsmf_chans[fc.ntsmf++] = chan;
	pthread_mutex_unlock(&fc.lock);
	*accept = TRUE;
	*out = &fch->iface;
	return CHANNEL_RC_OK;
}

static UINT
fc_new_gfx(IWTSListenerCallback *lcb, IWTSVirtualChannel *chan, BYTE *data,
	   BOOL *accept, IWTSVirtualChannelCallback **out)
{
	return fc_new_channel(lcb, chan, data, accept, out, true);
}

static UINT
fc_new_tsmf(IWTSListenerCallback *lcb, IWTSVirtualChannel *chan, BYTE *data,
	    BOOL *accept, IWTSVirtualChannelCallback **out)
{
	return fc_new_channel(lcb, chan, data, accept, out, false);
}

static IWTSListenerCallback fc_gfx_listener = {.OnNewChannelConnection =
						   fc_new_gfx};
static IWTSListenerCallback fc_tsmf_listener = {.OnNewChannelConnection =
						    fc_new_tsmf};

static UINT
fc_gfx_initialize(IWTSPlugin *plugin, IWTSVirtualChannelManager *mgr)
{
	return mgr->CreateListener(mgr, RDPGFX_DVC_CHANNEL_NAME, 0,
				   &fc_gfx_listener, NULL);
}

static UINT
fc_tsmf_initialize(IWTSPlugin *plugin, IWTSVirtualChannelManager *mgr)
{
	return mgr->CreateListener(mgr, "TSMF", 0, &fc_tsmf_listener, NULL);
}

static UINT
fc_terminated(IWTSPlugin *plugin)
{
	return CHANNEL_RC_OK;
}

static IWTSPlugin fc_gfx_plugin = {.Initialize = fc_gfx_initialize,
				   .Terminated = fc_terminated};
static IWTSPlugin fc_tsmf_plugin = {.Initialize = fc_tsmf_initialize,
				    .Terminated = fc_terminated};

static UINT VCAPITYPE
fc_gfx_entry(IDRDYNVC_ENTRY_POINTS *ep)
{
	return ep->RegisterPlugin(ep, "rdpgfx", &fc_gfx_plugin);
}

static UINT VCAPITYPE
fc_tsmf_entry(IDRDYNVC_ENTRY_POINTS *ep)
{
	return ep->RegisterPlugin(ep, "tsmf", &fc_tsmf_plugin);
}

/* Our plug-ins in place of FreeRDP's rdpgfx and (absent) tsmf. */
static PVIRTUALCHANNELENTRY
fc_provider(LPCSTR name, LPCSTR subsystem, LPCSTR type, DWORD flags)
{
	if (name && !subsystem && (flags & FREERDP_ADDIN_CHANNEL_DYNAMIC)) {
		if (!strcmp(name, "rdpgfx"))
			return (PVIRTUALCHANNELENTRY)fc_gfx_entry;
		if (!strcmp(name, "tsmf"))
			return (PVIRTUALCHANNELENTRY)fc_tsmf_entry;
	}
	return freerdp_channels_load_static_addin_entry(name, subsystem, type,
							flags);
}

static BOOL
fc_pre_connect(freerdp *instance)
{
	if (!getenv("FC_NO_PROVIDER"))
		freerdp_register_addin_provider(fc_provider, 0);
	return freerdp_client_load_addins(instance->context->channels,
					  instance->settings);
}

/* Pointer shapes are taken and ignored (FreeRDP fails a session whose
 * client has no pointer callbacks). */
static BOOL
fc_pointer_new(rdpContext *ctx, rdpPointer *ptr)
{
	return TRUE;
}

static void
fc_pointer_free(rdpContext *ctx, rdpPointer *ptr)
{
}

static BOOL
fc_pointer_set(rdpContext *ctx, const rdpPointer *ptr)
{
	return TRUE;
}

static BOOL
fc_pointer_set_other(rdpContext *ctx)
{
	return TRUE;
}

static BOOL
fc_pointer_set_position(rdpContext *ctx, UINT32 x, UINT32 y)
{
	return TRUE;
}

/* The server sets the session size (a Deactivate-Reactivate). */
static BOOL
fc_desktop_resize(rdpContext *ctx)
{
	return gdi_resize(ctx->gdi, ctx->settings->DesktopWidth,
			  ctx->settings->DesktopHeight);
}

/* FreeRDP fails an update whose client has no paint callbacks; the GDI
 * draws without them. */
static BOOL
fc_paint(rdpContext *ctx)
{
	return TRUE;
}

/* A GDI to draw into: the updates are processed like a viewer's. */
static BOOL
fc_post_connect(freerdp *instance)
{
	rdpPointer ptr = {.size = sizeof(rdpPointer),
			  .New = fc_pointer_new,
			  .Free = fc_pointer_free,
			  .Set = fc_pointer_set,
			  .SetNull = fc_pointer_set_other,
			  .SetDefault = fc_pointer_set_other,
			  .SetPosition = fc_pointer_set_position};

	if (!gdi_init(instance, PIXEL_FORMAT_BGRX32))
		return FALSE;
	graphics_register_pointer(instance->context->graphics, &ptr);
	instance->update->DesktopResize = fc_desktop_resize;
	instance->update->BeginPaint = fc_paint;
	instance->update->EndPaint = fc_paint;
	return TRUE;
}

static void
fc_post_disconnect(freerdp *instance)
{
	gdi_free(instance);
}

static BOOL
fc_verify_cert(freerdp *instance, const char *host, UINT16 port, const char *cn,
	       const char *subject, const char *issuer, const char *fingerprint,
	       DWORD flags)
{
	return 2; /* accept for this session only */
}

static BOOL
fc_client_new(freerdp *instance, rdpContext *context)
{
	instance->PreConnect = fc_pre_connect;
	instance->PostConnect = fc_post_connect;
	instance->PostDisconnect = fc_post_disconnect;
	instance->VerifyCertificateEx = (pVerifyCertificateEx)fc_verify_cert;
	return TRUE;
}

/* ---- input ----------------------------------------------------------- */

static void
fc_input_send(rdpContext *ctx)
{
	rdpInput *in = ctx->input;
	RECTANGLE_16 r[4];
	BYTE allow;

	for (int i = 0; i < 4; i++)
		r[i] = (RECTANGLE_16){(UINT16)fc_rand(), (UINT16)fc_rand(),
				      (UINT16)fc_rand(), (UINT16)fc_rand()};

	switch (fc_rand() % 9) {
	case 0:
		freerdp_input_send_keyboard_event(in, (UINT16)fc_rand(),
						  (UINT16)(fc_rand() % 512));
		break;
	case 1:
		freerdp_input_send_unicode_keyboard_event(
		    in, (UINT16)(fc_rand() & 0x8000), (UINT16)fc_rand());
		break;
	case 2:
	case 3:
		freerdp_input_send_mouse_event(in, (UINT16)fc_rand(),
					       (UINT16)fc_interesting(),
					       (UINT16)fc_rand());
		break;
	case 4:
		freerdp_input_send_extended_mouse_event(in, (UINT16)fc_rand(),
							(UINT16)fc_rand(),
							(UINT16)fc_rand());
		break;
	case 5:
		freerdp_input_send_synchronize_event(in, fc_rand());
		break;
	case 6:
		freerdp_input_send_focus_in_event(in, (UINT16)fc_rand());
		break;
	case 7:
		if (ctx->update->RefreshRect)
			ctx->update->RefreshRect(ctx, (BYTE)(1 + fc_rand() % 4),
						 r);
		break;
	default:
		/* FreeRDP's client writes the area whenever allow is set */
		allow = (BYTE)(fc_rand() % 3);
		if (ctx->update->SuppressOutput)
			ctx->update->SuppressOutput(
			    ctx, allow, allow || fc_rand() % 2 ? r : NULL);
		break;
	}
	pthread_mutex_lock(&fc.lock);
	fc.input++;
	fc.sent++;
	pthread_mutex_unlock(&fc.lock);
}

static long
fc_sent(void)
{
	long n;

	pthread_mutex_lock(&fc.lock);
	n = fc.sent;
	pthread_mutex_unlock(&fc.lock);
	return n;
}

/* ---- sessions -------------------------------------------------------- */

/* Process events for @ms.  @return false once the session is gone. */
static bool
fc_pump(rdpContext *ctx, int ms)
{
	HANDLE h[MAXIMUM_WAIT_OBJECTS];
	int64_t end = fc_now_ms() + ms;

	do {
		DWORD n =
		    freerdp_get_event_handles(ctx, h, MAXIMUM_WAIT_OBJECTS);

		if (n == 0 || freerdp_shall_disconnect(ctx->instance))
			return false;
		if (WaitForMultipleObjects(n, h, FALSE, 10) == WAIT_FAILED ||
		    !freerdp_check_event_handles(ctx))
			return false;
	} while (fc_now_ms() < end);
	return true;
}

/* One session until the server drops it, --count or the deadline.
 * @return 1 if it logged on, 0 if not. */
static int
fc_session(const struct fc_opts *o, int64_t deadline)
{
	RDP_CLIENT_ENTRY_POINTS ep = {.Version = RDP_CLIENT_INTERFACE_VERSION,
				      .Size =
					  sizeof(RDP_CLIENT_ENTRY_POINTS_V1),
				      .ContextSize = sizeof(rdpContext),
				      .ClientNew = fc_client_new};
	rdpContext *ctx = freerdp_client_context_new(&ep);
	char *av[12];
	int ac = 0, logged_on = 0;

	if (!ctx)
		return 0;
	av[ac++] = strdup("rdp-fuzzclient");
	av[ac++] = strdup("/v:127.0.0.1");
	asprintf(&av[ac++], "/port:%s", o->port);
	asprintf(&av[ac++], "/u:%s", o->user);
	asprintf(&av[ac++], "/p:%s", o->password);
	asprintf(&av[ac++], "/sec:%s", o->sec);
	av[ac++] = strdup(getenv("FC_NO_GFX") ? "-gfx" : "/gfx");
	av[ac++] = strdup("/size:800x600");
	av[ac++] = strdup("/bpp:32");
	if (!getenv("FC_NO_TSMF"))
		av[ac++] = strdup("/dvc:tsmf");
	if (freerdp_client_settings_parse_command_line(ctx->settings, ac, av,
						       FALSE) != 0) {
		fprintf(stderr,
			"rdp-fuzzclient: FreeRDP rejected the options\n");
		exit(3);
	}
	for (int i = 0; i < ac; i++)
		free(av[i]);
	ctx->settings->TcpConnectTimeout = 10000;
	ctx->settings->SupportGraphicsPipeline = TRUE;
	ctx->settings->RemoteFxCodec = TRUE;
	ctx->settings->ColorDepth = 32;
	pthread_mutex_lock(&fc.lock);
	fc.zgfx = zgfx_context_new(FALSE);
	fc.tsmf_cli = tsmf_client_new(&fc_tsmf_ops, NULL);
	fc.nframes = fc.ntsmf = 0;
	fc.gfx_open = false;
	pthread_mutex_unlock(&fc.lock);
	if (freerdp_connect(ctx->instance)) {
		logged_on = 1;
		/* input from here; the channel messages go out from the DVC
		 * thread as the server's arrive (never a channel write under
		 * fc.lock from this thread: FreeRDP's channel lock is taken
		 * the other way round there) */
		while (fc_sent() < o->count && fc_now_ms() < deadline &&
		       fc_pump(ctx, 2))
			fc_input_send(ctx);
		freerdp_disconnect(ctx->instance);
	}
	freerdp_client_context_free(ctx);
	pthread_mutex_lock(&fc.lock);
	zgfx_context_free(fc.zgfx);
	tsmf_client_free(fc.tsmf_cli);
	fc.zgfx = NULL;
	fc.tsmf_cli = NULL;
	pthread_mutex_unlock(&fc.lock);
	return logged_on;
}

static int
fc_usage(void)
{
	fprintf(stderr, "usage: rdp-fuzzclient --port N --user U --password P "
			"[--sec tls|nla|rdp] [--seed S] [--count N] "
			"[--seconds S] [--sessions N]\n");
	return 3;
}

int
main(int argc, char **argv)
{
	struct fc_opts o = {.sec = "tls",
			    .seed = 1,
			    .count = 2000,
			    .seconds = 20,
			    .sessions = 20};
	int64_t deadline;
	int logons = 0, sessions = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--port"))
			o.port = v;
		else if (!strcmp(a, "--user"))
			o.user = v;
		else if (!strcmp(a, "--password"))
			o.password = v;
		else if (!strcmp(a, "--sec"))
			o.sec = v;
		else if (!strcmp(a, "--seed"))
			o.seed = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--count"))
			o.count = strtol(v, NULL, 0);
		else if (!strcmp(a, "--seconds"))
			o.seconds = atoi(v);
		else if (!strcmp(a, "--sessions"))
			o.sessions = atoi(v);
		else
			return fc_usage();
	}
	if (argc % 2 == 0 || !o.port || !o.user || !o.password)
		return fc_usage();
	if (!getenv("WLOG_LEVEL")) /* FreeRDP complains about every error */
		WLog_SetLogLevel(WLog_GetRoot(), WLOG_FATAL);
	fc_seed = o.seed;
	deadline = fc_now_ms() + (int64_t)o.seconds * 1000;
	while (sessions < o.sessions && fc_sent() < o.count &&
	       fc_now_ms() < deadline) {
		sessions++;
		logons += fc_session(&o, deadline);
	}
	printf("sessions %d logons %d sent %ld input %ld gfx %ld tsmf %ld\n",
	       sessions, logons, fc.sent, fc.input, fc.gfx, fc.tsmf_sent);
	return logons > 0 && fc.sent > 0 ? 0 : 1;
}
