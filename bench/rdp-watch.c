/*
 * rdp-watch.c - the benchmark's RDP client: connects with libfreerdp-client
 * (in-memory GDI, no X11), decodes whatever the server sends (bitmaps,
 * RemoteFX, NSCodec, the graphics pipeline with H.264), and measures on the
 * received framebuffer what watch.c describes: delivered frames per second
 * from the testcard's frame counter, input-to-display latency from typed
 * keys, bytes received, and the server's CPU time per delivered frame.
 * Prints one JSON line.
 *
 * Usage: rdp-watch [watch options] [--timeout S] FREERDP-OPTIONS...
 *   e.g. rdp-watch --server vireo --seconds 10 /v:127.0.0.1:37000
 *        /cert:ignore /u:bench /p:bench /sec:tls
 * watch options: --server NAME --scenario NAME --server-pid PID
 *   --exclude-threads COMM --cpu-baseline CPU_S_PER_S --seconds S
 *   --key-interval S (0: type no keys) --dump FILE.ppm
 *   --cycle N (bytes over frames kN..(k+1)N; --seconds must cover 2N)
 *   --no-gfx (bitmap updates: FreeRDP 2.11's own "-gfx" does not turn the
 *   graphics pipeline off)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/client/channels.h>
#include <freerdp/client/cmdline.h>
#include <freerdp/client/rdpgfx.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/gdi/gfx.h>
#include <freerdp/graphics.h>
#include <freerdp/scancode.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>

#include "watch.h"

#define RW_MAX_ARGS 64

/* The graphics pipeline's channel, while it is open.  Its PDUs are
 * decoded on FreeRDP's dynamic-channel thread, which writes the primary
 * buffer while the main loop samples it; gdi's writers hold the
 * context's mux, and so does the main loop while it looks (a picture
 * half old and half new was 18-54 % of the pipeline's samples). */
static RdpgfxClientContext *_Atomic rw_gfx;

/* SIGTERM ends the window early: the figures so far are reported. */
static volatile sig_atomic_t rw_stop;

static void
rw_on_term(int sig)
{
	rw_stop = 1;
}

static void
rw_channel_connected(void *ctx, ChannelConnectedEventArgs *e)
{
	rdpContext *context = ctx;

	/* Without this the graphics pipeline draws nothing. */
	if (strcmp(e->name, RDPGFX_DVC_CHANNEL_NAME) == 0) {
		gdi_graphics_pipeline_init(context->gdi, e->pInterface);
		rw_gfx = e->pInterface;
	}
}

static void
rw_channel_disconnected(void *ctx, ChannelDisconnectedEventArgs *e)
{
	rdpContext *context = ctx;

	if (strcmp(e->name, RDPGFX_DVC_CHANNEL_NAME) == 0) {
		RdpgfxClientContext *gfx = e->pInterface;

		EnterCriticalSection(&gfx->mux);
		rw_gfx = NULL;
		LeaveCriticalSection(&gfx->mux);
		gdi_graphics_pipeline_uninit(context->gdi, e->pInterface);
	}
}

/* Look at the received picture: measure it, or dump it when @dump. */
static void
rw_look(rdpContext *ctx, struct watch *w, int dump)
{
	RdpgfxClientContext *gfx = rw_gfx;
	rdpGdi *gdi = ctx->gdi;

	if (gfx)
		EnterCriticalSection(&gfx->mux);
	if (gdi && gdi->primary_buffer) {
		if (dump)
			watch_dump(w, gdi->primary_buffer, gdi->width,
				   gdi->height, gdi->stride);
		else
			watch_frame(w, gdi->primary_buffer, gdi->width,
				    gdi->height, gdi->stride);
	}
	if (gfx)
		LeaveCriticalSection(&gfx->mux);
}

static BOOL
rw_pre_connect(freerdp *instance)
{
	rdpContext *ctx = instance->context;

	PubSub_SubscribeChannelConnected(ctx->pubSub, rw_channel_connected);
	PubSub_SubscribeChannelDisconnected(ctx->pubSub,
					    rw_channel_disconnected);
	return freerdp_client_load_addins(ctx->channels, instance->settings);
}

/*
 * The pointer is not part of the measurement, but the library fails the
 * connection on pointer updates when no pointer class is registered.
 */
static BOOL
rw_pointer_new(rdpContext *context, rdpPointer *pointer)
{
	return TRUE;
}

static void
rw_pointer_free(rdpContext *context, rdpPointer *pointer)
{
}

static BOOL
rw_pointer_set(rdpContext *context, const rdpPointer *pointer)
{
	return TRUE;
}

static BOOL
rw_pointer_set_none(rdpContext *context)
{
	return TRUE;
}

static BOOL
rw_pointer_set_position(rdpContext *context, UINT32 x, UINT32 y)
{
	return TRUE;
}

/* The library fails every update when these are missing. */
static BOOL
rw_paint(rdpContext *context)
{
	return TRUE;
}

static BOOL
rw_desktop_resize(rdpContext *context)
{
	return gdi_resize(context->gdi, context->settings->DesktopWidth,
			  context->settings->DesktopHeight);
}

static BOOL
rw_play_sound(rdpContext *context, const PLAY_SOUND_UPDATE *play_sound)
{
	return TRUE;
}

static BOOL
rw_keyboard_indicators(rdpContext *context, UINT16 led_flags)
{
	return TRUE;
}

static BOOL
rw_keyboard_ime(rdpContext *context, UINT16 ime_id, UINT32 ime_state,
		UINT32 ime_convmode)
{
	return TRUE;
}

static BOOL
rw_save_session_info(rdpContext *context, UINT32 type, void *data)
{
	return TRUE;
}

static BOOL
rw_post_connect(freerdp *instance)
{
	rdpUpdate *update = instance->update;
	rdpPointer pointer = {
	    .size = sizeof(rdpPointer),
	    .New = rw_pointer_new,
	    .Free = rw_pointer_free,
	    .Set = rw_pointer_set,
	    .SetNull = rw_pointer_set_none,
	    .SetDefault = rw_pointer_set_none,
	    .SetPosition = rw_pointer_set_position,
	};

	if (!gdi_init(instance, PIXEL_FORMAT_BGRX32))
		return FALSE;
	graphics_register_pointer(instance->context->graphics, &pointer);
	/* Unhandled server PDUs would fail the connection. */
	update->BeginPaint = rw_paint;
	update->EndPaint = rw_paint;
	update->DesktopResize = rw_desktop_resize;
	update->PlaySound = rw_play_sound;
	update->SetKeyboardIndicators = rw_keyboard_indicators;
	update->SetKeyboardImeStatus = rw_keyboard_ime;
	update->SaveSessionInfo = rw_save_session_info;
	return TRUE;
}

static void
rw_post_disconnect(freerdp *instance)
{
	gdi_free(instance);
}

static BOOL
rw_client_new(freerdp *instance, rdpContext *context)
{
	instance->PreConnect = rw_pre_connect;
	instance->PostConnect = rw_post_connect;
	instance->PostDisconnect = rw_post_disconnect;
	return TRUE;
}

static void
rw_type_key(freerdp *instance, int backspace)
{
	UINT16 code = backspace ? RDP_SCANCODE_BACKSPACE : RDP_SCANCODE_KEY_A;

	freerdp_input_send_keyboard_event(instance->input, KBD_FLAGS_DOWN,
					  RDP_SCANCODE_CODE(code));
	freerdp_input_send_keyboard_event(instance->input, KBD_FLAGS_RELEASE,
					  RDP_SCANCODE_CODE(code));
}

/* The connection's event loop; returns 0 when the window was measured. */
static int
rw_loop(rdpContext *ctx, struct watch *w, double timeout)
{
	freerdp *instance = ctx->instance;

	while (!freerdp_shall_disconnect(instance) && !watch_done(w) &&
	       !rw_stop) {
		HANDLE handles[64];
		DWORD n = freerdp_get_event_handles(ctx, handles, 64);
		if (n == 0) {
			fprintf(stderr, "rdp-watch: no event handles\n");
			return -1;
		}
		WaitForMultipleObjects(n, handles, FALSE, 5);
		if (!freerdp_check_event_handles(ctx)) {
			fprintf(stderr, "rdp-watch: connection lost\n");
			return -1;
		}
		rw_look(ctx, w, 0);
		int backspace;
		if (watch_want_key(w, &backspace))
			rw_type_key(instance, backspace);
		if (!w->t_first_frame && watch_now() - w->t_process > timeout) {
			rw_look(ctx, w, 1);
			fprintf(stderr,
				"rdp-watch: no frame counter within "
				"%.0f s\n",
				timeout);
			return -1;
		}
	}
	return watch_done(w) || (rw_stop && w->t_window) ? 0 : -1;
}

int
main(int argc, char **argv)
{
	RDP_CLIENT_ENTRY_POINTS ep = {0};
	struct watch w;
	char *rdp_argv[RW_MAX_ARGS] = {argv[0]};
	int rdp_argc = 1, rc = 1;
	double timeout = 60;
	int no_gfx = 0;

	watch_init(&w);
	for (int i = 1; i < argc; i++) {
		if (watch_option(&w, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atof(argv[++i]);
		else if (!strcmp(argv[i], "--no-gfx"))
			no_gfx = 1; /* FreeRDP 2.11's "-gfx" leaves it on */
		else if (rdp_argc < RW_MAX_ARGS - 1)
			rdp_argv[rdp_argc++] = argv[i];
	}
	WLog_SetLogLevel(WLog_GetRoot(), WLOG_ERROR);
	signal(SIGTERM, rw_on_term);
	ep.Version = RDP_CLIENT_INTERFACE_VERSION;
	ep.Size = sizeof(RDP_CLIENT_ENTRY_POINTS_V1);
	ep.ContextSize = sizeof(rdpContext);
	ep.ClientNew = rw_client_new;
	rdpContext *ctx = freerdp_client_context_new(&ep);
	if (!ctx) {
		fprintf(stderr, "rdp-watch: cannot create the client\n");
		return 1;
	}
	if (freerdp_client_settings_parse_command_line(ctx->settings, rdp_argc,
						       rdp_argv, FALSE) != 0) {
		fprintf(stderr, "rdp-watch: bad FreeRDP options\n");
		goto out;
	}
	if (no_gfx)
		ctx->settings->SupportGraphicsPipeline = FALSE;
	if (!freerdp_connect(ctx->instance)) {
		fprintf(stderr, "rdp-watch: cannot connect: 0x%08x\n",
			freerdp_get_last_error(ctx));
		goto out;
	}
	if (rw_loop(ctx, &w, timeout) == 0 && watch_report(&w, stdout) == 0) {
		rdpGdi *gdi = ctx->gdi;
		watch_dump(&w, gdi->primary_buffer, gdi->width, gdi->height,
			   gdi->stride);
		rc = 0;
	}
	freerdp_disconnect(ctx->instance);
out:
	freerdp_client_context_free(ctx);
	return rc;
}
