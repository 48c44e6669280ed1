/*
 * xanim.c - the testcard's animation as an X11 client, for the peers that
 * export an X or Wayland desktop (FreeRDP's shadow server on Xvfb, Weston
 * with Xwayland).  It draws the test card with the testcard guest's own
 * drawing code (src/guest/draw.c, font.c), advances the frame counter and
 * the video rectangle at the testcard's 30 frames per second, and echoes
 * typed keys into the text line as the guest does (cardkey.c), so
 * the same benchmark client measures every server the same way.
 *
 * Usage: xanim [--width W --height H] [--override | --fullscreen]
 *              [--scene card|desktop] [--fps 1-60]
 *   --override: an override-redirect window at (0,0) (no window manager)
 *   --fullscreen: ask the window manager for full screen (Weston's
 *                 Xwayland window manager then also gives it the keyboard)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>

#include "cardkey.h"
#include "cardopt.h"
#include "guest/card.h"

struct xanim {
	Display *dpy;
	Window win;
	GC gc;
	XImage *img;
	struct card card; /* head 0 is the window */
	uint32_t *px;
	unsigned w, h;
};

static void
xanim_put(struct xanim *a, int x, int y, unsigned w, unsigned h)
{
	XPutImage(a->dpy, a->win, a->gc, a->img, x, y, x, y, w, h);
}

/* Asks the window manager (EWMH) to show the window full screen. */
static void
xanim_fullscreen(struct xanim *a)
{
	Atom state = XInternAtom(a->dpy, "_NET_WM_STATE", False);
	Atom full = XInternAtom(a->dpy, "_NET_WM_STATE_FULLSCREEN", False);

	XChangeProperty(a->dpy, a->win, state, XA_ATOM, 32, PropModeReplace,
			(unsigned char *)&full, 1);
}

static int
xanim_open(struct xanim *a, unsigned w, unsigned h, int override,
	   int fullscreen)
{
	XSetWindowAttributes attr = {.override_redirect = override,
				     .background_pixel = 0};

	a->dpy = XOpenDisplay(NULL);
	if (!a->dpy) {
		fprintf(stderr, "xanim: cannot open display %s\n",
			getenv("DISPLAY") ? getenv("DISPLAY") : "(unset)");
		return -1;
	}
	int scr = DefaultScreen(a->dpy);
	if (!w || !h) {
		w = (unsigned)DisplayWidth(a->dpy, scr);
		h = (unsigned)DisplayHeight(a->dpy, scr);
	}
	if (DefaultDepth(a->dpy, scr) != 24) {
		fprintf(stderr, "xanim: needs a 24-bit display\n");
		return -1;
	}
	a->win = XCreateWindow(a->dpy, RootWindow(a->dpy, scr), 0, 0, w, h, 0,
			       CopyFromParent, InputOutput, CopyFromParent,
			       CWOverrideRedirect | CWBackPixel, &attr);
	XStoreName(a->dpy, a->win, "vireo-bench testcard");
	XSelectInput(a->dpy, a->win, ExposureMask | KeyPressMask);
	a->gc = XCreateGC(a->dpy, a->win, 0, NULL);
	a->w = w;
	a->h = h;
	a->px = calloc((size_t)w * h, 4);
	if (!a->px)
		return -1;
	a->card.nheads = 1;
	a->card.head[0] = (struct card_head){.enabled = 1,
					     .fb = a->px,
					     .width = w,
					     .height = h,
					     .pitch = w,
					     .cross_x = -1,
					     .cross_y = -1};
	a->img = XCreateImage(a->dpy, DefaultVisual(a->dpy, scr), 24, ZPixmap,
			      0, (char *)a->px, w, h, 32, (int)w * 4);
	if (!a->img) {
		fprintf(stderr, "xanim: cannot create the image\n");
		return -1;
	}
	if (fullscreen)
		xanim_fullscreen(a);
	if (override) {
		/*
		 * An override-redirect window never gets the keyboard from
		 * a window manager (Weston's); a managed window below it
		 * does, and its key presses are echoed the same way.
		 */
		Window focus = XCreateSimpleWindow(
		    a->dpy, RootWindow(a->dpy, scr), 0, 0, w, h, 0, 0, 0);
		XSelectInput(a->dpy, focus, KeyPressMask);
		XMapWindow(a->dpy, focus);
	}
	XMapRaised(a->dpy, a->win);
	XSync(a->dpy, False);
	return 0;
}

/*
 * X keycodes on Xvfb and Xwayland are evdev codes + 8, and evdev codes of
 * the main keyboard block are the set-1 make codes the guest sees.
 */
static void
xanim_key(struct xanim *a, XKeyEvent *ev)
{
	if (ev->keycode < 8 || ev->keycode - 8 >= 0x80)
		return;
	cardkey_press(&a->card, (uint8_t)(ev->keycode - 8));
	xanim_put(a, TESTCARD_TEXT_X, TESTCARD_TEXT_Y, TESTCARD_TEXT_WIDTH,
		  TESTCARD_TEXT_HEIGHT);
}

static void
xanim_events(struct xanim *a)
{
	while (XPending(a->dpy)) {
		XEvent ev;
		XNextEvent(a->dpy, &ev);
		if (ev.type == Expose)
			xanim_put(a, 0, 0, a->w, a->h);
		else if (ev.type == KeyPress)
			xanim_key(a, &ev.xkey);
	}
}

int
main(int argc, char **argv)
{
	struct xanim a = {0};
	unsigned w = 0, h = 0;
	int override = 0, fullscreen = 0, rc;
	unsigned fps = TESTCARD_FPS;

	for (int i = 1; i < argc; i++) {
		rc = cardopt_parse(&a.card, &fps, argc, argv, &i);
		if (rc < 0)
			return 2;
		if (rc > 0) {
			continue;
		} else if (!strcmp(argv[i], "--override")) {
			override = 1;
		} else if (!strcmp(argv[i], "--fullscreen")) {
			fullscreen = 1;
		} else if (!strcmp(argv[i], "--width") && i + 1 < argc) {
			w = (unsigned)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--height") && i + 1 < argc) {
			h = (unsigned)atoi(argv[++i]);
		} else {
			fprintf(stderr,
				"usage: xanim [--width W --height H] "
				"[--override | --fullscreen] " CARDOPT_USAGE
				"\n");
			return 2;
		}
	}
	if (xanim_open(&a, w, h, override, fullscreen) < 0)
		return 1;
	XSetInputFocus(a.dpy, a.win, RevertToParent, CurrentTime);
	a.card.frame = 1;
	card_draw_full(&a.card, 0);
	xanim_put(&a, 0, 0, a.w, a.h);

	/* Frame f is drawn at start + (f - 1) / fps s, like the guest. */
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (uint32_t frame = 1;; frame++) {
		a.card.frame = frame;
		card_draw_frame(&a.card, 0);
		for (uint32_t i = 0; i < a.card.ndamage; i++)
			xanim_put(&a, (int)a.card.damage[i].x,
				  (int)a.card.damage[i].y, a.card.damage[i].w,
				  a.card.damage[i].h);
		XFlush(a.dpy);
		next.tv_nsec += 1000000000L / fps;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		/* Wait for the next frame while answering key presses. */
		for (;;) {
			xanim_events(&a);
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > next.tv_sec ||
			    (now.tv_sec == next.tv_sec &&
			     now.tv_nsec >= next.tv_nsec))
				break;
			struct timespec nap = {0, 2000000};
			nanosleep(&nap, NULL);
		}
	}
}
