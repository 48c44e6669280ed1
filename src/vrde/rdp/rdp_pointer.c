/*
 * rdp_pointer.c - the pointer image: the guest's shape when the host gives
 * one (32 bpp with alpha, PointerNew, clipped to 96x96, which every client
 * accepts), otherwise the client's default arrow; hidden on request.  The
 * state is kept once per server with a generation number (vmod_pointer);
 * each client sends it when its generation is behind.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <freerdp/freerdp.h>
#include <freerdp/pointer.h>

#include "rdp.h"

#define RDP_POINTER_MAX 96

void
rdp_pointer_wake(struct vmod_server *core)
{
	struct rdp_client *c;

	pthread_mutex_lock(&core->lock);
	vmod_for_each_client(core, c, struct rdp_client, vc) SetEvent(c->wake);
	pthread_mutex_unlock(&core->lock);
}

/* Build and send the 32 bpp image; rows go bottom-up in RDP. */
static void
rdp_pointer_send_shape(struct rdp_client *c, const struct vmod_pointer *p)
{
	uint32_t w = p->width < RDP_POINTER_MAX ? p->width : RDP_POINTER_MAX;
	uint32_t h = p->height < RDP_POINTER_MAX ? p->height : RDP_POINTER_MAX;
	uint32_t and_stride = ((w + 15) / 16) * 2;
	POINTER_NEW_UPDATE pn = {.xorBpp = 32};
	uint8_t *xor_mask, *and_mask;

	xor_mask = malloc((size_t)w * h * 4);
	and_mask = calloc(and_stride, h);
	if (!xor_mask || !and_mask)
		goto out;
	for (uint32_t y = 0; y < h; y++)
		memcpy(xor_mask + (size_t)(h - 1 - y) * w * 4,
		       p->argb + (size_t)y * p->width, (size_t)w * 4);
	pn.colorPtrAttr.cacheIndex = 0;
	pn.colorPtrAttr.xPos = p->hot_x < w ? p->hot_x : 0;
	pn.colorPtrAttr.yPos = p->hot_y < h ? p->hot_y : 0;
	pn.colorPtrAttr.width = w;
	pn.colorPtrAttr.height = h;
	pn.colorPtrAttr.lengthXorMask = w * h * 4;
	pn.colorPtrAttr.lengthAndMask = and_stride * h;
	pn.colorPtrAttr.xorMaskData = xor_mask;
	pn.colorPtrAttr.andMaskData = and_mask;
	c->ctx.update->pointer->PointerNew(&c->ctx, &pn);
out:
	free(xor_mask);
	free(and_mask);
}

void
rdp_pointer_send(struct rdp_client *c)
{
	struct rdp_server *srv = c->srv;
	struct vmod_pointer *p = &srv->core.pointer;
	POINTER_SYSTEM_UPDATE sys;

	if (!c->activated || c->srv->disable_display)
		return;
	pthread_mutex_lock(&srv->core.lock);
	if (c->pointer_gen_sent == p->gen + 1) {
		pthread_mutex_unlock(&srv->core.lock);
		return;
	}
	c->pointer_gen_sent = p->gen + 1;
	if (p->hidden || !p->argb) {
		sys.type = p->hidden ? SYSPTR_NULL : SYSPTR_DEFAULT;
		pthread_mutex_unlock(&srv->core.lock);
		c->ctx.update->pointer->PointerSystem(&c->ctx, &sys);
		return;
	}
	rdp_pointer_send_shape(c, p);
	pthread_mutex_unlock(&srv->core.lock);
}
