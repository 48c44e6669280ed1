/*
 * probe_channels.c - channel receivers of the probe.  The graphics
 * pipeline is wired into FreeRDP's GDI (without that, GFX draws nothing).
 *
 * To add a receiver (say, for a video channel), write it in its own file
 * as a `const struct probe_channel`, declare it below and add it to
 * probe_channels[]; its report() adds members to the JSON output.
 */
#include "config.h"

#include <string.h>

#include <freerdp/channels/rdpgfx.h>
#include <freerdp/client/rdpgfx.h>
#include <freerdp/gdi/gfx.h>

#include "probe.h"

static bool probe_gfx_used;

static void
probe_gfx_connected(struct probe *p, void *iface)
{
	gdi_graphics_pipeline_init(p->ctx->gdi, (RdpgfxClientContext *)iface);
	probe_gfx_used = true;
}

static void
probe_gfx_disconnected(struct probe *p, void *iface)
{
	gdi_graphics_pipeline_uninit(p->ctx->gdi, (RdpgfxClientContext *)iface);
}

static void
probe_gfx_report(struct probe *p, FILE *json)
{
	fprintf(json, ",\"gfx\":%s", probe_gfx_used ? "true" : "false");
}

static const struct probe_channel probe_gfx_channel = {
    .name = RDPGFX_DVC_CHANNEL_NAME,
    .connected = probe_gfx_connected,
    .disconnected = probe_gfx_disconnected,
    .report = probe_gfx_report,
};

const struct probe_channel *const probe_channels[] = {
    &probe_gfx_channel,
    &probe_tsmf_channel,
    &probe_urbdrc_channel,
    NULL,
};
