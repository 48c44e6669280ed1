/*
 * probe_pointer.c - the probe's pointer class: it draws no cursor but
 * records what the server sent (a shape with its size, the default
 * arrow, hidden) so tests can check pointer updates in the JSON report.
 */
#include "config.h"

#include <freerdp/graphics.h>

#include "probe.h"

static struct probe_pointer_stats {
	unsigned set, null, dflt;
	UINT32 w, h, hot_x, hot_y;
} stats;

static BOOL
probe_pointer_new(rdpContext *ctx, rdpPointer *ptr)
{
	return TRUE;
}

static void
probe_pointer_free(rdpContext *ctx, rdpPointer *ptr)
{
}

static BOOL
probe_pointer_set(rdpContext *ctx, const rdpPointer *ptr)
{
	stats.set++;
	stats.w = ptr->width;
	stats.h = ptr->height;
	stats.hot_x = ptr->xPos;
	stats.hot_y = ptr->yPos;
	return TRUE;
}

static BOOL
probe_pointer_set_null(rdpContext *ctx)
{
	stats.null++;
	return TRUE;
}

static BOOL
probe_pointer_set_default(rdpContext *ctx)
{
	stats.dflt++;
	return TRUE;
}

static BOOL
probe_pointer_set_position(rdpContext *ctx, UINT32 x, UINT32 y)
{
	return TRUE;
}

void
probe_pointer_register(rdpContext *ctx)
{
	rdpPointer ptr = {0};

	ptr.size = sizeof(rdpPointer);
	ptr.New = probe_pointer_new;
	ptr.Free = probe_pointer_free;
	ptr.Set = probe_pointer_set;
	ptr.SetNull = probe_pointer_set_null;
	ptr.SetDefault = probe_pointer_set_default;
	ptr.SetPosition = probe_pointer_set_position;
	graphics_register_pointer(ctx->graphics, &ptr);
}

void
probe_pointer_report(FILE *json)
{
	fprintf(json,
		",\"pointer\":{\"set\":%u,\"null\":%u,\"default\":%u,\"w\":%u,"
		"\"h\":%u,\"hot_x\":%u,\"hot_y\":%u}",
		stats.set, stats.null, stats.dflt, stats.w, stats.h,
		stats.hot_x, stats.hot_y);
}
