/*
 * vnc-probe.c - the benchmark's VNC client (libvncclient), measuring QEMU's
 * VNC server the way rdp-watch measures RDP servers: delivered frames per
 * second from the test card's frame counter, key-to-display latency, bytes
 * received and server CPU per frame (watch.c).  Prints one JSON line.
 *
 * Usage: vnc-probe [watch options] [--timeout S] HOST PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "watch.h"

static struct watch vp_watch;

static void
vp_updated(rfbClient *cl)
{
	watch_frame(&vp_watch, cl->frameBuffer, (unsigned)cl->width,
		    (unsigned)cl->height, (unsigned)cl->width * 4);
}

static void
vp_type_key(rfbClient *cl, int backspace)
{
	uint32_t sym = backspace ? 0xff08 /* BackSpace */ : 0x61 /* a */;

	SendKeyEvent(cl, sym, TRUE);
	SendKeyEvent(cl, sym, FALSE);
}

/* Silences libvncclient's chatter; errors still reach stderr. */
static void
vp_quiet(const char *format, ...)
{
}

static rfbClient *
vp_client_new(const char *host, int port)
{
	rfbClient *cl = rfbGetClient(8, 3, 4);

	if (!cl) {
		return NULL;
	}
	/* 32-bit pixels stored B, G, R, X: what watch.c reads. */
	cl->format.redShift = 16;
	cl->format.greenShift = 8;
	cl->format.blueShift = 0;
	cl->serverHost = strdup(host);
	cl->serverPort = port;
	cl->FinishedFrameBufferUpdate = vp_updated;
	return cl;
}

int
main(int argc, char **argv)
{
	const char *host = NULL;
	int port = 0;
	double timeout = 60;

	watch_init(&vp_watch);
	for (int i = 1; i < argc; i++) {
		if (watch_option(&vp_watch, argc, argv, &i)) {
			continue;
		}
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout = atof(argv[++i]);
		} else if (!host) {
			host = argv[i];
		} else if (!port) {
			port = atoi(argv[i]);
		} else {
			host = NULL;
			break;
		}
	}
	if (!host || port <= 0) {
		fprintf(stderr, "usage: vnc-probe [options] HOST PORT\n");
		return 2;
	}
	rfbClientLog = vp_quiet;
	/* Retries: QEMU's VNC server may not listen yet (rfbInitClient
	 * frees the client when it fails). */
	rfbClient *cl = vp_client_new(host, port);
	while (!cl || !rfbInitClient(cl, NULL, NULL)) {
		if (watch_now() - vp_watch.t_process > timeout) {
			fprintf(stderr, "vnc-probe: cannot connect to %s:%d\n",
				host, port);
			return 1;
		}
		usleep(100000);
		cl = vp_client_new(host, port);
	}
	while (!watch_done(&vp_watch)) {
		int n = WaitForMessage(cl, 5000);
		if (n < 0 || (n > 0 && !HandleRFBServerMessage(cl))) {
			fprintf(stderr, "vnc-probe: connection lost\n");
			return 1;
		}
		int backspace;
		if (watch_want_key(&vp_watch, &backspace)) {
			vp_type_key(cl, backspace);
		}
		if (!vp_watch.t_first_frame &&
		    watch_now() - vp_watch.t_process > timeout) {
			fprintf(stderr,
				"vnc-probe: no frame counter within "
				"%.0f s\n",
				timeout);
			watch_dump(&vp_watch, cl->frameBuffer,
				   (unsigned)cl->width, (unsigned)cl->height,
				   (unsigned)cl->width * 4);
			return 1;
		}
	}
	watch_dump(&vp_watch, cl->frameBuffer, (unsigned)cl->width,
		   (unsigned)cl->height, (unsigned)cl->width * 4);
	int rc = watch_report(&vp_watch, stdout) == 0 ? 0 : 1;
	rfbClientCleanup(cl);
	return rc;
}
