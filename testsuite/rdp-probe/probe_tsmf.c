/*
 * probe_tsmf.c - a minimal MS-RDPEV (TSMF) receiver for rdp-probe, so the
 * MJPEG video path of the RDP module is tested end to end.
 *
 * Debian's libfreerdp-client2 has no TSMF channel (and FreeRDP's never
 * decoded MJPEG), so the probe brings its own: a dynamic-channel plug-in
 * named "tsmf" that listens for "TSMF" channels and feeds them to
 * tsmf_client (libvireo-video), which answers the server, decodes each
 * JPEG sample with TurboJPEG and hands us the pixels; we compose them into
 * the probe's GDI framebuffer where the video window is.  It is enabled by
 * the FreeRDP option /dvc:tsmf (rdp-probe --freerdp /dvc:tsmf): FreeRDP
 * then asks the addin provider for "tsmf", and ours answers before the
 * library's built-in one.  The JSON report gains a "tsmf" object, and when
 * VIREO_PROBE_TSMF_DUMP names a file, the last decoded frame is written
 * there as a PPM.
 *
 * The plug-in runs on FreeRDP's drdynvc thread; a mutex guards the
 * session, the statistics and the framebuffer writes.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/addin.h>
#include <freerdp/client/channels.h>
#include <freerdp/dvc.h>
#include <freerdp/settings.h>

#include "probe.h"
#include "tsmf_client.h"

struct ptsmf_chan {
	IWTSVirtualChannelCallback iface; /* first: FreeRDP casts */
	IWTSVirtualChannel *chan;
};

static pthread_mutex_t ptsmf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct probe *ptsmf_probe;
static struct tsmf_client *ptsmf_client;
static IWTSPlugin ptsmf_plugin;
static IWTSListenerCallback ptsmf_listener;
static uint64_t ptsmf_channels;
static struct {
	int32_t x, y;
	uint32_t w, h;
	uint8_t *px; /* last decoded frame, w * h * 4 */
} ptsmf_last;

static int
ptsmf_write(void *ctx, void *chan, const uint8_t *data, size_t len)
{
	IWTSVirtualChannel *c = chan;

	return c->Write(c, (ULONG)len, data, NULL) == CHANNEL_RC_OK ? 0 : -EIO;
}

/* Compose a decoded frame into the GDI framebuffer (BGRX, clipped). */
static void
ptsmf_frame(void *ctx, const struct tsmf_client_frame *f)
{
	rdpGdi *gdi =
	    ptsmf_probe && ptsmf_probe->ctx ? ptsmf_probe->ctx->gdi : NULL;
	uint8_t *copy;

	if (gdi)
		pthread_mutex_lock(&ptsmf_probe->fb_lock);
	if (gdi && gdi->primary_buffer && f->x >= 0 && f->y >= 0 &&
	    gdi->width > 0 && gdi->height > 0) {
		uint32_t gw = (uint32_t)gdi->width, gh = (uint32_t)gdi->height;
		uint32_t w = f->width;

		if ((uint32_t)f->x + w > gw)
			w = (uint32_t)f->x < gw ? gw - (uint32_t)f->x : 0;
		for (uint32_t y = 0; y < f->height && w; y++) {
			uint32_t dy = (uint32_t)f->y + y;

			if (dy >= gh)
				break;
			memcpy(gdi->primary_buffer + (size_t)dy * gdi->stride +
				   (size_t)f->x * 4,
			       f->pixels + (size_t)y * f->stride,
			       (size_t)w * 4);
		}
	}
	if (gdi)
		pthread_mutex_unlock(&ptsmf_probe->fb_lock);
	copy = realloc(ptsmf_last.px, (size_t)f->width * f->height * 4);
	if (copy) {
		for (uint32_t y = 0; y < f->height; y++)
			memcpy(copy + (size_t)y * f->width * 4,
			       f->pixels + (size_t)y * f->stride,
			       (size_t)f->width * 4);
		ptsmf_last.px = copy;
		ptsmf_last.x = f->x;
		ptsmf_last.y = f->y;
		ptsmf_last.w = f->width;
		ptsmf_last.h = f->height;
	}
}

static const struct tsmf_client_ops ptsmf_ops = {ptsmf_write, ptsmf_frame};

static UINT
ptsmf_on_data(IWTSVirtualChannelCallback *cb, wStream *s)
{
	struct ptsmf_chan *pc = (struct ptsmf_chan *)cb;

	pthread_mutex_lock(&ptsmf_lock);
	if (ptsmf_client)
		tsmf_client_on_data(ptsmf_client, pc->chan, Stream_Pointer(s),
				    Stream_GetRemainingLength(s));
	pthread_mutex_unlock(&ptsmf_lock);
	return CHANNEL_RC_OK;
}

static UINT
ptsmf_on_close(IWTSVirtualChannelCallback *cb)
{
	free(cb);
	return CHANNEL_RC_OK;
}

static UINT
ptsmf_on_new_channel(IWTSListenerCallback *lcb, IWTSVirtualChannel *chan,
		     BYTE *data, BOOL *accept, IWTSVirtualChannelCallback **out)
{
	struct ptsmf_chan *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return CHANNEL_RC_NO_MEMORY;
	pc->iface.OnDataReceived = ptsmf_on_data;
	pc->iface.OnClose = ptsmf_on_close;
	pc->chan = chan;
	*accept = TRUE;
	*out = &pc->iface;
	pthread_mutex_lock(&ptsmf_lock);
	ptsmf_channels++;
	pthread_mutex_unlock(&ptsmf_lock);
	return CHANNEL_RC_OK;
}

static UINT
ptsmf_initialize(IWTSPlugin *plugin, IWTSVirtualChannelManager *mgr)
{
	ptsmf_listener.OnNewChannelConnection = ptsmf_on_new_channel;
	pthread_mutex_lock(&ptsmf_lock);
	if (!ptsmf_client)
		ptsmf_client = tsmf_client_new(&ptsmf_ops, NULL);
	pthread_mutex_unlock(&ptsmf_lock);
	if (!ptsmf_client)
		return CHANNEL_RC_NO_MEMORY;
	return mgr->CreateListener(mgr, "TSMF", 0, &ptsmf_listener, NULL);
}

static UINT
ptsmf_terminated(IWTSPlugin *plugin)
{
	return CHANNEL_RC_OK;
}

static UINT VCAPITYPE
ptsmf_entry(IDRDYNVC_ENTRY_POINTS *ep)
{
	ptsmf_plugin.Initialize = ptsmf_initialize;
	ptsmf_plugin.Terminated = ptsmf_terminated;
	return ep->RegisterPlugin(ep, "tsmf", &ptsmf_plugin);
}

/* Our "tsmf" first, everything else from FreeRDP's built-in table. */
PVIRTUALCHANNELENTRY
probe_tsmf_provider(LPCSTR name, LPCSTR subsystem, LPCSTR type, DWORD flags)
{
	if (name && !strcmp(name, "tsmf") && !subsystem &&
	    (flags & FREERDP_ADDIN_CHANNEL_DYNAMIC))
		return (PVIRTUALCHANNELENTRY)ptsmf_entry;
	return freerdp_channels_load_static_addin_entry(name, subsystem, type,
							flags);
}

void
probe_tsmf_pre_connect(struct probe *p)
{
	ptsmf_probe = p;
	if (freerdp_dynamic_channel_collection_find(p->ctx->settings, "tsmf"))
		freerdp_register_addin_provider(probe_tsmf_provider, 0);
}

/* Frames decoded so far (for the --wait-tsmf step). */
uint64_t
probe_tsmf_frames(void)
{
	struct tsmf_client_stats st = {0};

	pthread_mutex_lock(&ptsmf_lock);
	if (ptsmf_client)
		tsmf_client_get_stats(ptsmf_client, &st);
	pthread_mutex_unlock(&ptsmf_lock);
	return st.frames;
}

/* The last decoded frame as a binary PPM (RGB). */
static void
ptsmf_dump_last(const char *path)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return;
	fprintf(f, "P6\n%u %u\n255\n", ptsmf_last.w, ptsmf_last.h);
	for (size_t i = 0; i < (size_t)ptsmf_last.w * ptsmf_last.h; i++) {
		const uint8_t *q = ptsmf_last.px + i * 4;
		uint8_t rgb[3] = {q[2], q[1], q[0]};

		fwrite(rgb, 1, 3, f);
	}
	fclose(f);
}

static void
ptsmf_report(struct probe *p, FILE *json)
{
	struct tsmf_client_stats st = {0};
	const char *dump = getenv("VIREO_PROBE_TSMF_DUMP");

	pthread_mutex_lock(&ptsmf_lock);
	if (ptsmf_client)
		tsmf_client_get_stats(ptsmf_client, &st);
	fprintf(json,
		",\"tsmf\":{\"channels\":%llu,\"presentations\":%llu,"
		"\"shutdowns\":%llu,\"frames\":%llu,\"jpeg_bytes\":%llu,"
		"\"bad\":%llu,\"version\":%u,\"platform\":%u,"
		"\"x\":%d,\"y\":%d,\"w\":%u,\"h\":%u}",
		(unsigned long long)ptsmf_channels,
		(unsigned long long)st.presentations,
		(unsigned long long)st.shutdowns, (unsigned long long)st.frames,
		(unsigned long long)st.jpeg_bytes, (unsigned long long)st.bad,
		st.caps_version, st.caps_platform, ptsmf_last.x, ptsmf_last.y,
		ptsmf_last.w, ptsmf_last.h);
	if (dump && ptsmf_last.px)
		ptsmf_dump_last(dump);
	pthread_mutex_unlock(&ptsmf_lock);
}

const struct probe_channel probe_tsmf_channel = {
    .name = "TSMF",
    .report = ptsmf_report,
};
