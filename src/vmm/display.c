/*
 * display.c - the display model: N heads of XRGB8888 with damage, and
 * the display thread that hands them to the front end.
 *
 * The guest draws straight into VRAM.  60 times a second, or instead
 * soon after a guest says it has drawn something (the PRESENT register,
 * at most once per VIREO_DISP_PRESENT_MIN_US: an input echo then reaches
 * the viewer without waiting up to a tick, and no tick shows a frame half
 * drawn; ticks resume 500 ms after a guest's last present), the thread
 * fetches the accelerator's dirty-page bitmap (KVM's dirty log; the
 * software CPU keeps none, so all of VRAM counts as dirty), compares the dirty
 * pages of each head with its shadow copy (the frame the host last saw) to find
 * the exact pixels that changed, copies them into the shadow and reports them
 * as rectangles: runs of changed rows with overlapping spans.  The host reads
 * pixels from the shadow only, so what it sees always matches the damage it was
 * given.  Nothing changed, nothing is called.
 */
#define LOG_TAG "display"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vmm_internal.h"
#include "guest/testcard.h"

#define DISPLAY_HZ		60
/* After a guest's last present, ticks wait this long before they look at
 * VRAM again: a presenting guest is shown as it presents (whole frames),
 * one that stops presenting is still shown by the ticks. */
#define DISPLAY_PRESENT_HOLD_NS 500000000LL
#define DISPLAY_MAX_RECTS	64

struct display_damage {
	int32_t *lo, *hi; /* per row: pixel span [lo, hi) to look at */
	struct vmm_rect r[DISPLAY_MAX_RECTS];
	int n;
};

void
vmm_display_default_mode(uint32_t head, uint32_t *w, uint32_t *h)
{
	*w = head ? TESTCARD_HEADN_WIDTH : TESTCARD_HEAD0_WIDTH;
	*h = head ? TESTCARD_HEADN_HEIGHT : TESTCARD_HEAD0_HEIGHT;
}

int
vmm_display_init(struct vmm *vm)
{
	pthread_mutexattr_t a;
	size_t pages = vm->vram_size / 4096;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	for (uint32_t i = 0; i < VMM_MAX_HEADS; i++)
		pthread_mutex_init(&vm->head[i].lock, &a);
	pthread_mutexattr_destroy(&a);
	pthread_mutex_init(&vm->disp_lock, NULL);
	vm->dirty_bitmap = calloc(1, (pages + 63) / 64 * 8);
	return vm->dirty_bitmap ? 0 : -ENOMEM;
}

void
vmm_display_set_mode(struct vmm *vm, uint32_t head, bool enabled, uint32_t w,
		     uint32_t h, uint32_t stride)
{
	struct vmm_head *hd = &vm->head[head];

	pthread_mutex_lock(&vm->disp_lock);
	hd->mode_pending = true;
	hd->p_enabled = enabled;
	hd->p_width = w;
	hd->p_height = h;
	hd->p_stride = stride;
	pthread_mutex_unlock(&vm->disp_lock);
}

void
vmm_display_flush(struct vmm *vm, uint32_t head, const struct vmm_rect *r)
{
	struct vmm_head *hd = &vm->head[head];

	pthread_mutex_lock(&vm->disp_lock);
	if (!hd->flush_pending) {
		hd->flush = *r;
	} else {
		int32_t x0 = hd->flush.x < r->x ? hd->flush.x : r->x;
		int32_t y0 = hd->flush.y < r->y ? hd->flush.y : r->y;
		int64_t x1 = hd->flush.x + (int64_t)hd->flush.w;
		int64_t y1 = hd->flush.y + (int64_t)hd->flush.h;

		if (r->x + (int64_t)r->w > x1)
			x1 = r->x + (int64_t)r->w;
		if (r->y + (int64_t)r->h > y1)
			y1 = r->y + (int64_t)r->h;
		hd->flush = (struct vmm_rect){x0, y0, (uint32_t)(x1 - x0),
					      (uint32_t)(y1 - y0)};
	}
	hd->flush_pending = true;
	pthread_mutex_unlock(&vm->disp_lock);
}

static const uint32_t *
display_fb_row(struct vmm *vm, uint32_t head, uint32_t y)
{
	struct vmm_head *hd = &vm->head[head];

	return (const uint32_t *)(vm->vram + head * vm->vram_per_head +
				  (uint64_t)y * hd->stride);
}

static uint32_t *
display_shadow_row(struct vmm_head *hd, uint32_t y)
{
	return (uint32_t *)(hd->shadow + (uint64_t)y * hd->width * 4);
}

/* Widen @r to cover columns [x0, x1) and make it end with row @y. */
static void
display_grow(struct vmm_rect *r, uint32_t y, int32_t x0, int32_t x1)
{
	int32_t nx0 = r->x < x0 ? r->x : x0;
	int32_t nx1 = r->x + (int32_t)r->w > x1 ? r->x + (int32_t)r->w : x1;

	r->x = nx0;
	r->w = (uint32_t)(nx1 - nx0);
	r->h = y + 1 - (uint32_t)r->y;
}

/* Add row @y, span [x0, x1), to the rectangle list. */
static void
display_add_span(struct display_damage *d, uint32_t y, int32_t x0, int32_t x1)
{
	struct vmm_rect *last = d->n ? &d->r[d->n - 1] : NULL;

	if (last && (uint32_t)last->y + last->h == y &&
	    x0 < last->x + (int32_t)last->w && last->x < x1) {
		display_grow(last, y, x0, x1);
		return;
	}
	if (d->n == DISPLAY_MAX_RECTS) {
		/* too fragmented: grow the last rectangle instead */
		display_grow(last, y, x0, x1);
		return;
	}
	d->r[d->n++] =
	    (struct vmm_rect){x0, (int32_t)y, (uint32_t)(x1 - x0), 1};
}

/* Mark the rows and spans covered by dirty VRAM pages of @head. */
static void
display_mark_dirty(struct vmm *vm, uint32_t head, struct display_damage *d)
{
	struct vmm_head *hd = &vm->head[head];
	uint64_t base = head * vm->vram_per_head;
	uint64_t size = (uint64_t)hd->stride * hd->height;
	uint64_t p0 = base / 4096, p1 = (base + size + 4095) / 4096;

	for (uint64_t p = p0; p < p1; p++) {
		uint64_t b0, b1;

		if (!(vm->dirty_bitmap[p / 8] & (1u << (p % 8))))
			continue;
		b0 = p * 4096 > base ? p * 4096 - base : 0;
		b1 = (p + 1) * 4096 - base;
		if (b1 > size)
			b1 = size;
		for (uint64_t y = b0 / hd->stride; y <= (b1 - 1) / hd->stride;
		     y++) {
			uint64_t r0 = y * hd->stride, xa, xb;

			xa = b0 > r0 ? (b0 - r0) / 4 : 0;
			xb = (b1 - r0 + 3) / 4;
			if (xb > hd->width)
				xb = hd->width;
			if (xa >= xb)
				continue;
			if ((int32_t)xa < d->lo[y])
				d->lo[y] = (int32_t)xa;
			if ((int32_t)xb > d->hi[y])
				d->hi[y] = (int32_t)xb;
		}
	}
}

/* Compare the marked spans with the shadow, copy what changed, and build
 * the rectangles.  A flush rectangle is copied and reported as is. */
static void
display_refine(struct vmm *vm, uint32_t head, struct display_damage *d,
	       const struct vmm_rect *flush)
{
	struct vmm_head *hd = &vm->head[head];

	for (uint32_t y = 0; y < hd->height; y++) {
		const uint32_t *src = display_fb_row(vm, head, y);
		uint32_t *dst = display_shadow_row(hd, y);
		int32_t lo = d->lo[y], hi = d->hi[y], a = -1, b = -1;

		if (flush && y >= (uint32_t)flush->y &&
		    y < (uint32_t)flush->y + flush->h) {
			a = flush->x;
			b = flush->x + (int32_t)flush->w;
		} else if (hi <= lo ||
			   !memcmp(src + lo, dst + lo, (size_t)(hi - lo) * 4)) {
			continue; /* libc's compare is much faster than ours */
		}
		for (int32_t x = lo; x < hi; x++)
			if (src[x] != dst[x]) {
				if (a < 0 || x < a)
					a = x;
				break;
			}
		for (int32_t x = hi - 1; x >= lo; x--)
			if (src[x] != dst[x]) {
				if (x + 1 > b)
					b = x + 1;
				break;
			}
		if (a < 0 || b <= a)
			continue;
		memcpy(dst + a, src + a, (size_t)(b - a) * 4);
		display_add_span(d, y, a, b);
	}
}

/* A new mode (@m, taken under disp_lock): publish geometry, fill the
 * shadow from VRAM. */
static int
display_apply_mode(struct vmm *vm, uint32_t head, const struct vmm_head *m)
{
	struct vmm_head *hd = &vm->head[head];
	size_t need = (size_t)m->p_width * m->p_height * 4;

	if (need > hd->shadow_cap) {
		uint8_t *s = realloc(hd->shadow, need);
		if (!s)
			return -ENOMEM;
		hd->shadow = s;
		hd->shadow_cap = need;
	}
	hd->enabled = m->p_enabled;
	hd->width = m->p_width;
	hd->height = m->p_height;
	hd->stride = m->p_stride;
	for (uint32_t y = 0; y < hd->height; y++)
		memcpy(display_shadow_row(hd, y), display_fb_row(vm, head, y),
		       (size_t)hd->width * 4);
	return 0;
}

static void
display_refresh_head(struct vmm *vm, uint32_t head, struct display_damage *d)
{
	struct vmm_head *hd = &vm->head[head];
	struct vmm_rect flush, *fp = NULL;
	struct vmm_head m;
	bool mode;

	pthread_mutex_lock(&vm->disp_lock);
	mode = hd->mode_pending;
	hd->mode_pending = false;
	m.p_enabled = hd->p_enabled;
	m.p_width = hd->p_width;
	m.p_height = hd->p_height;
	m.p_stride = hd->p_stride;
	if (hd->flush_pending) {
		flush = hd->flush;
		fp = &flush;
		hd->flush_pending = false;
	}
	pthread_mutex_unlock(&vm->disp_lock);

	pthread_mutex_lock(&hd->lock);
	d->n = 0;
	if (mode) {
		if (display_apply_mode(vm, head, &m)) {
			pthread_mutex_unlock(&hd->lock);
			return;
		}
		pthread_mutex_unlock(&hd->lock);
		if (vm->ops && vm->ops->resize)
			vm->ops->resize(vm->ctx, head);
		pthread_mutex_lock(&hd->lock);
		if (hd->enabled)
			d->r[d->n++] =
			    (struct vmm_rect){0, 0, hd->width, hd->height};
	} else if (hd->enabled) {
		for (uint32_t y = 0; y < hd->height; y++) {
			d->lo[y] = INT32_MAX;
			d->hi[y] = 0;
		}
		if (fp) {
			/* clip the guest's rectangle to the head */
			int64_t x1 = fp->x + (int64_t)fp->w;
			int64_t y1 = fp->y + (int64_t)fp->h;
			fp->x = fp->x < 0 ? 0 : fp->x;
			fp->y = fp->y < 0 ? 0 : fp->y;
			x1 = x1 > hd->width ? hd->width : x1;
			y1 = y1 > hd->height ? hd->height : y1;
			fp->w = x1 > fp->x ? (uint32_t)(x1 - fp->x) : 0;
			fp->h = y1 > fp->y ? (uint32_t)(y1 - fp->y) : 0;
			if (!fp->w || !fp->h)
				fp = NULL;
		}
		display_mark_dirty(vm, head, d);
		display_refine(vm, head, d, fp);
	}
	if (d->n && vm->ops) {
		if (!vm->first_frame_ns)
			vm->first_frame_ns = vmm_now_ns();
		for (int i = 0; i < d->n && vm->ops->update; i++)
			vm->ops->update(vm->ctx, head, &d->r[i]);
		if (vm->ops->update_complete)
			vm->ops->update_complete(vm->ctx, head);
	}
	pthread_mutex_unlock(&hd->lock);
}

/* The accelerator's record of written VRAM pages; where it keeps none
 * (the software CPU), every page counts as written and the comparison
 * with the shadow finds what changed. */
static int
display_fetch_dirty(struct vmm *vm)
{
	int r = vm->accel->dirty_log(vm, vm->dirty_bitmap);

	if (r == -ENOTSUP) {
		memset(vm->dirty_bitmap, 0xff,
		       (vm->vram_size / 4096 + 63) / 64 * 8);
		r = 0;
	}
	return r;
}

/* Tell vmm_display_sync() callers up to @seq that their refresh is done
 * (UINT64_MAX: the thread stops, nobody need wait any more). */
static void
display_sync_done(struct vmm *vm, uint64_t seq)
{
	pthread_mutex_lock(&vm->lock);
	if (seq > vm->disp_sync_done) {
		vm->disp_sync_done =
		    seq == UINT64_MAX ? vm->disp_sync_req : seq;
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
}

void
vmm_display_sync(struct vmm *vm)
{
	uint64_t seq;

	pthread_mutex_lock(&vm->lock);
	seq = ++vm->disp_sync_req;
	pthread_cond_broadcast(&vm->cond);
	while (vm->disp_started && vm->disp_sync_done < seq)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

void
vmm_display_get_mode(struct vmm *vm, uint32_t head, bool *enabled, uint32_t *w,
		     uint32_t *h, uint32_t *stride)
{
	struct vmm_head *hd = &vm->head[head];

	pthread_mutex_lock(&vm->disp_lock);
	if (hd->mode_pending) {
		*enabled = hd->p_enabled;
		*w = hd->p_width;
		*h = hd->p_height;
		*stride = hd->p_stride;
		pthread_mutex_unlock(&vm->disp_lock);
		return;
	}
	pthread_mutex_unlock(&vm->disp_lock);
	pthread_mutex_lock(&hd->lock);
	*enabled = hd->enabled;
	*w = hd->width;
	*h = hd->height;
	*stride = hd->stride;
	pthread_mutex_unlock(&hd->lock);
}

uint64_t
vmm_display_presents(struct vmm *vm)
{
	return __atomic_load_n(&vm->disp_presents, __ATOMIC_RELAXED);
}

/* The guest's present waits for its refresh, as a flip waits for the
 * vertical blank: the guest cannot start the next frame while the display
 * copies this one, so no viewer sees parts of two frames. */
void
vmm_display_kick(struct vmm *vm)
{
	uint64_t seq;

	pthread_mutex_lock(&vm->lock);
	seq = ++vm->disp_sync_req;
	vm->disp_kick = true;
	pthread_cond_broadcast(&vm->cond);
	while (vm->disp_started && vm->disp_sync_done < seq)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

static int64_t
display_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A kick within VIREO_DISP_PRESENT_MIN_US of the last refresh waits for
 * the rest of it, so a guest presenting in a loop costs at most that
 * rate of refreshes. */
static void
display_kick_pace(int64_t last_ns)
{
	int64_t wait =
	    last_ns + VIREO_DISP_PRESENT_MIN_US * 1000LL - display_now_ns();

	if (wait > 0) {
		struct timespec ts = {0, (long)wait};

		nanosleep(&ts, NULL);
	}
}

static void *
display_thread(void *arg)
{
	struct vmm *vm = arg;
	struct display_damage d;
	struct timespec next;
	uint32_t max_h = 16384;
	int64_t last_ns = 0, present_ns = 0;

	d.lo = malloc(max_h * sizeof(int32_t));
	d.hi = malloc(max_h * sizeof(int32_t));
	if (!d.lo || !d.hi) {
		log_err("display thread: out of memory");
		free(d.lo);
		free(d.hi);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		uint64_t sync;
		bool run, kick, tick = false;

		pthread_mutex_lock(&vm->lock);
		while ((run = vm->disp_started) && !tick &&
		       vm->disp_sync_done == vm->disp_sync_req &&
		       !vm->disp_kick)
			tick = pthread_cond_timedwait(&vm->cond, &vm->lock,
						      &next) == ETIMEDOUT;
		sync = vm->disp_sync_req;
		kick = vm->disp_kick;
		vm->disp_kick = false;
		pthread_mutex_unlock(&vm->lock);
		if (!run)
			break;
		if (tick) {
			next.tv_nsec += 1000000000 / DISPLAY_HZ;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
		}
		if (kick) {
			display_kick_pace(last_ns);
			__atomic_add_fetch(&vm->disp_presents, 1,
					   __ATOMIC_RELAXED);
			present_ns = display_now_ns();
		} else if (tick && sync == vm->disp_sync_done && present_ns &&
			   display_now_ns() - present_ns <
			       DISPLAY_PRESENT_HOLD_NS) {
			/* between two presents the guest may be mid-frame */
			continue;
		}
		last_ns = display_now_ns();
		/* a paused VM is refreshed only when a sync asks for it */
		if ((sync != vm->disp_sync_done ||
		     __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) ==
			 VMM_STATE_RUNNING) &&
		    !display_fetch_dirty(vm))
			for (uint32_t h = 0; h < vm->heads; h++)
				display_refresh_head(vm, h, &d);
		display_sync_done(vm, sync);
	}
	display_sync_done(vm, UINT64_MAX);
	free(d.lo);
	free(d.hi);
	return NULL;
}

int
vmm_display_start(struct vmm *vm)
{
	/* one refresh at once, also for a VM started paused: a restored
	 * VM shows its screen before it runs */
	pthread_mutex_lock(&vm->lock);
	vm->disp_sync_req++;
	pthread_mutex_unlock(&vm->lock);
	vm->disp_started = true;
	if (pthread_create(&vm->disp_thread, NULL, display_thread, vm)) {
		vm->disp_started = false;
		return -EAGAIN;
	}
	return 0;
}

void
vmm_display_stop(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->disp_started) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm->disp_started = false;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	pthread_join(vm->disp_thread, NULL);
}

void
vmm_display_destroy(struct vmm *vm)
{
	for (uint32_t i = 0; i < VMM_MAX_HEADS; i++) {
		free(vm->head[i].shadow);
		vm->head[i].shadow = NULL;
	}
	free(vm->dirty_bitmap);
	vm->dirty_bitmap = NULL;
}
