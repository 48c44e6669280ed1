/*
 * vnc-probe.c - the benchmark's VNC client (libvncclient), measuring QEMU's
 * VNC server the way rdp-watch measures RDP servers: delivered frames per
 * second from the test card's frame counter, key-to-display latency, bytes
 * received and server CPU per frame (watch.c).  Prints one JSON line.
 *
 * Usage: vnc-probe [watch options] [--timeout S] HOST PORT
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "watch.h"

static struct watch vp_watch;

/* SIGTERM ends the window early: the figures so far are reported (the
 * scaling bench ends its clients this way, as it does rdp-watch). */
static volatile sig_atomic_t vp_stop, vp_running;

static void
vp_on_term(int sig)
{
	(void)sig;
	/* still in the handshake, whose reads a signal does not interrupt
	 * (a loaded QEMU left viewers there for minutes): nothing to
	 * report */
	if (!vp_running)
		_exit(1);
	vp_stop = 1;
}

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

/* Silences libvncclient's chatter unless VNC_PROBE_VERBOSE is set. */
static void
vp_quiet(const char *format, ...)
{
	va_list ap;

	if (!getenv("VNC_PROBE_VERBOSE"))
		return;
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
}

static rfbClient *
vp_client_new(const char *host, int port)
{
	rfbClient *cl = rfbGetClient(8, 3, 4);

	if (!cl)
		return NULL;
	/* 32-bit pixels stored B, G, R, X: what watch.c reads. */
	cl->format.redShift = 16;
	cl->format.greenShift = 8;
	cl->format.blueShift = 0;
	cl->serverHost = strdup(host);
	cl->serverPort = port;
	cl->FinishedFrameBufferUpdate = vp_updated;
	/* security None only, as QEMU's server is measured: a server that
	 * also offers VeNCrypt (vireo's VNC module) would otherwise be
	 * asked for X509 first, and TLS would not be what is compared */
	static const uint32_t vp_schemes[] = {rfbNoAuth, 0};
	SetClientAuthSchemes(cl, vp_schemes, -1);
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
		if (watch_option(&vp_watch, argc, argv, &i))
			continue;
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
	signal(SIGTERM, vp_on_term);
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
	vp_running = 1;
	while (!watch_done(&vp_watch) && !vp_stop) {
		int n = WaitForMessage(cl, 5000);
		if (vp_stop)
			break;
		if (n < 0 || (n > 0 && !HandleRFBServerMessage(cl))) {
			fprintf(stderr, "vnc-probe: connection lost\n");
			return 1;
		}
		int backspace;
		if (watch_want_key(&vp_watch, &backspace))
			vp_type_key(cl, backspace);
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
