/*
 * rdp_pointer.c - the pointer image: the guest's shape when the host gives
 * one (32 bpp with alpha, PointerNew, clipped to 96x96, which every client
 * accepts), otherwise the client's default arrow; hidden on request.  The
 * state is kept once per server with a generation number; each client
 * sends it when its generation is behind.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <freerdp/freerdp.h>
#include <freerdp/pointer.h>

#include "rdp.h"

#define RDP_POINTER_MAX 96

void
rdp_pointer_set(struct rdp_server *srv, const struct vrde_pointer_shape *sh)
{
	struct rdp_pointer_state *p = &srv->pointer;
	size_t n;
	uint32_t *copy;

	if (!sh || !sh->argb || !sh->width || !sh->height || sh->width > 256 ||
	    sh->height > 256)
		return;
	n = (size_t)sh->width * sh->height;
	copy = malloc(n * 4);
	if (!copy)
		return;
	memcpy(copy, sh->argb, n * 4);
	pthread_mutex_lock(&srv->lock);
	free(p->argb);
	p->argb = copy;
	p->width = sh->width;
	p->height = sh->height;
	p->hot_x = sh->hot_x < sh->width ? sh->hot_x : 0;
	p->hot_y = sh->hot_y < sh->height ? sh->hot_y : 0;
	p->custom = true;
	p->hidden = false;
	p->gen++;
	for (struct rdp_client *c = srv->clients; c; c = c->next)
		SetEvent(c->wake);
	pthread_mutex_unlock(&srv->lock);
}

void
rdp_pointer_hide(struct rdp_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	srv->pointer.hidden = true;
	srv->pointer.gen++;
	for (struct rdp_client *c = srv->clients; c; c = c->next)
		SetEvent(c->wake);
	pthread_mutex_unlock(&srv->lock);
}

void
rdp_pointer_fini(struct rdp_server *srv)
{
	free(srv->pointer.argb);
	srv->pointer.argb = NULL;
}

/* Build and send the 32 bpp image; rows go bottom-up in RDP. */
static void
rdp_pointer_send_shape(struct rdp_client *c, const struct rdp_pointer_state *p)
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
	struct rdp_pointer_state *p = &srv->pointer;
	POINTER_SYSTEM_UPDATE sys;

	if (!c->activated || c->srv->disable_display)
		return;
	pthread_mutex_lock(&srv->lock);
	if (c->pointer_gen_sent == p->gen + 1) {
		pthread_mutex_unlock(&srv->lock);
		return;
	}
	c->pointer_gen_sent = p->gen + 1;
	if (p->hidden || !p->custom) {
		sys.type = p->hidden ? SYSPTR_NULL : SYSPTR_DEFAULT;
		pthread_mutex_unlock(&srv->lock);
		c->ctx.update->pointer->PointerSystem(&c->ctx, &sys);
		return;
	}
	rdp_pointer_send_shape(c, p);
	pthread_mutex_unlock(&srv->lock);
}
