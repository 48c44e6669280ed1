/*
 * probe_main.c - rdp-probe: connect to an RDP server with libfreerdp-client2
 * (in-memory GDI, no X11), run a sequence of steps (wait for pixels or
 * stability, dump the framebuffer, send keys and pointer events, stall)
 * and print one JSON object with timings and byte counts.
 *
 * Exit status: 0 every step succeeded; 1 a step failed (timeout, bad
 * pixel); 2 the connection failed; 3 usage.  With --expect-fail [KIND]:
 * 0 when the server refused the way KIND says, else 1 (2 when nothing
 * answered at all, as with the server down):
 *   logon   bad credentials: Set Error Info "insufficient privileges"
 *           (and Logon Errors "bad password" where the server sent it),
 *           FreeRDP's logon/authentication failure codes, or over NLA
 *           the server closing during CredSSP after TLS was up (FreeRDP
 *           2.11 servers send no error code there)
 *   denied  refused for another reason: Set Error Info "server denied
 *           the connection" (Logon Errors "other" where sent)
 *   nego    no common security protocol (negotiation failure)
 *   dropped logged on, then disconnected by the server within a second
 *   (none)  any of these
 *
 * The report names the server's last Set Error Info code ("error_info",
 * 0 when none came, and "error_info_name") whatever happened: a server
 * that ends a session (--wait-disconnect) says why there.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winpr/synch.h>
#include <winpr/wlog.h>
#include <freerdp/client/channels.h>
#include <freerdp/client/cmdline.h>

#include "probe.h"

#define MAX_STEPS 256
#define MAX_ARGS  64

struct step {
	const char *kind;
	const char *arg;
};

static struct probe probe;

int64_t
probe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
probe_pump(struct probe *p, int ms)
{
	HANDLE h[MAXIMUM_WAIT_OBJECTS];
	int64_t end = probe_now_ms() + ms;
	DWORD n, w;

	do {
		if (p->disconnected || freerdp_shall_disconnect(p->instance)) {
			p->disconnected = true;
			return false;
		}
		n = freerdp_get_event_handles(p->ctx, h, MAXIMUM_WAIT_OBJECTS);
		if (n == 0) {
			p->disconnected = true;
			return false;
		}
		w = WaitForMultipleObjects(n, h, FALSE, 20);
		if (w == WAIT_FAILED || !freerdp_check_event_handles(p->ctx)) {
			p->disconnected = true;
			return false;
		}
	} while (probe_now_ms() < end);
	return true;
}

static BOOL
probe_begin_paint(rdpContext *ctx)
{
	struct probe *p = ((struct probe_ctx *)ctx)->p;

	return p->gdi_begin_paint ? p->gdi_begin_paint(ctx) : TRUE;
}

static BOOL
probe_end_paint(rdpContext *ctx)
{
	struct probe *p = ((struct probe_ctx *)ctx)->p;

	p->frames++;
	return p->gdi_end_paint ? p->gdi_end_paint(ctx) : TRUE;
}

static void
probe_on_channel(void *context, ChannelConnectedEventArgs *e, bool up)
{
	struct probe *p = ((struct probe_ctx *)context)->p;

	for (int i = 0; probe_channels[i]; i++) {
		const struct probe_channel *ch = probe_channels[i];
		if (strcmp(ch->name, e->name))
			continue;
		if (up && ch->connected)
			ch->connected(p, e->pInterface);
		else if (!up && ch->disconnected)
			ch->disconnected(p, e->pInterface);
	}
}

static void
probe_channel_up(void *context, ChannelConnectedEventArgs *e)
{
	probe_on_channel(context, e, true);
}

static void
probe_channel_down(void *context, ChannelDisconnectedEventArgs *e)
{
	/* Both event structs start with the same members. */
	probe_on_channel(context, (ChannelConnectedEventArgs *)e, false);
}

static BOOL
probe_pre_connect(freerdp *instance)
{
	PubSub_SubscribeChannelConnected(instance->context->pubSub,
					 probe_channel_up);
	PubSub_SubscribeChannelDisconnected(instance->context->pubSub,
					    probe_channel_down);
	probe_tsmf_pre_connect(((struct probe_ctx *)instance->context)->p);
	probe_urbdrc_pre_connect(((struct probe_ctx *)instance->context)->p);
	return freerdp_client_load_addins(instance->context->channels,
					  instance->settings);
}

/* The session size changed (DesktopResize or ResetGraphics). */
static BOOL
probe_desktop_resize(rdpContext *ctx)
{
	struct probe *p = ((struct probe_ctx *)ctx)->p;
	BOOL ok;

	pthread_mutex_lock(&p->fb_lock);
	ok = gdi_resize(ctx->gdi, ctx->settings->DesktopWidth,
			ctx->settings->DesktopHeight);
	pthread_mutex_unlock(&p->fb_lock);
	return ok;
}

static BOOL
probe_post_connect(freerdp *instance)
{
	struct probe *p = ((struct probe_ctx *)instance->context)->p;

	if (!gdi_init(instance, PIXEL_FORMAT_BGRX32))
		return FALSE;
	p->gdi_begin_paint = instance->update->BeginPaint;
	p->gdi_end_paint = instance->update->EndPaint;
	instance->update->BeginPaint = probe_begin_paint;
	instance->update->EndPaint = probe_end_paint;
	instance->update->DesktopResize = probe_desktop_resize;
	probe_pointer_register(instance->context);
	return TRUE;
}

static void
probe_post_disconnect(freerdp *instance)
{
	gdi_free(instance);
}

static DWORD
probe_verify_cert(freerdp *instance, const char *host, UINT16 port,
		  const char *cn, const char *subject, const char *issuer,
		  const char *fingerprint, DWORD flags)
{
	struct probe *p = ((struct probe_ctx *)instance->context)->p;

	snprintf(p->fingerprint, sizeof(p->fingerprint), "%s",
		 fingerprint ? fingerprint : "");
	p->tls_seen = true;
	return 2; /* accept for this session only */
}

/* The server's Logon Errors info (Save Session Info PDU). */
static int
probe_logon_error(freerdp *instance, UINT32 data, UINT32 type)
{
	struct probe *p = ((struct probe_ctx *)instance->context)->p;

	p->logon_error_data = data;
	return 1;
}

static DWORD
probe_verify_changed_cert(freerdp *instance, const char *host, UINT16 port,
			  const char *cn, const char *subject,
			  const char *issuer, const char *fingerprint,
			  const char *old_subject, const char *old_issuer,
			  const char *old_fingerprint, DWORD flags)
{
	return probe_verify_cert(instance, host, port, cn, subject, issuer,
				 fingerprint, flags);
}

static BOOL
probe_client_new(freerdp *instance, rdpContext *context)
{
	instance->PreConnect = probe_pre_connect;
	instance->PostConnect = probe_post_connect;
	instance->PostDisconnect = probe_post_disconnect;
	instance->VerifyCertificateEx = probe_verify_cert;
	instance->VerifyChangedCertificateEx = probe_verify_changed_cert;
	instance->LogonErrorInfo = probe_logon_error;
	((struct probe_ctx *)context)->p = &probe;
	return TRUE;
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_step(struct probe *p, const struct step *s, int rc, int64_t ms,
	  const char *extra)
{
	fprintf(p->json, "%s{\"step\":", p->json_first ? "" : ",");
	p->json_first = false;
	json_str(p->json, s->kind);
	fprintf(p->json, ",\"arg\":");
	json_str(p->json, s->arg ? s->arg : "");
	fprintf(p->json, ",\"ok\":%s,\"ms\":%lld%s}",
		rc >= 0 ? "true" : "false", (long long)ms, extra ? extra : "");
	/* a test may watch the report to learn that a step is done */
	fflush(p->json);
}

/* Until @n video frames arrived over TSMF, at most 20 s: the server
 * detects video only after watching it for a while, later on a loaded
 * machine. */
static int
probe_wait_tsmf(struct probe *p, uint64_t n)
{
	for (int i = 0; i < 200; i++) {
		if (probe_tsmf_frames() >= n)
			return 0;
		if (!probe_pump(p, 100))
			return -1;
	}
	return -1;
}

/* Until the server ends the session, at most @ms: the step succeeds only
 * when it did. */
static int
probe_wait_disconnect(struct probe *p, int ms)
{
	return probe_pump(p, ms) ? -1 : 0;
}

/* Until the urbdrc plug-in's counter KEY reaches N ("KEY=N"), at most
 * 120 s (a test's host side may run long transfers meanwhile). */
static int
probe_wait_urbdrc(struct probe *p, const char *arg, char *extra, size_t esz)
{
	char key[32];
	unsigned long long n;
	int64_t v = -1;

	if (sscanf(arg, "%31[a-z_]=%llu", key, &n) != 2)
		return -1;
	for (int i = 0; i < 1200; i++) {
		v = probe_urbdrc_counter(key);
		if (v < 0)
			return -1;
		if ((uint64_t)v >= n)
			break;
		if (!probe_pump(p, 100))
			break;
	}
	snprintf(extra, esz, ",\"%s\":%lld", key, (long long)v);
	return v >= 0 && (uint64_t)v >= n ? 0 : -1;
}

/* Run one step; @return 0 or -1 (failed). */
static int
probe_step(struct probe *p, const struct step *s, char *extra, size_t esz)
{
	unsigned x, y, rgb, tol = 0;
	int64_t px;

	extra[0] = '\0';
	if (!strcmp(s->kind, "wait-pixel")) {
		/* X,Y,RRGGBB[~T]: T = tolerance per channel (lossy codecs) */
		if (sscanf(s->arg, "%u,%u,%x~%u", &x, &y, &rgb, &tol) < 3)
			return -1;
		px = probe_wait_pixel(p, (int)x, (int)y, rgb, tol);
		snprintf(
		    extra, esz, ",\"pixel\":\"%06llx\"",
		    (long long)(probe_pixel(p, (int)x, (int)y) & 0xffffff));
		return px < 0 ? -1 : 0;
	}
	if (!strcmp(s->kind, "pixel")) {
		if (sscanf(s->arg, "%u,%u", &x, &y) != 2)
			return -1;
		probe_pump(p, 0);
		px = probe_pixel(p, (int)x, (int)y);
		snprintf(extra, esz, ",\"pixel\":\"%06llx\"",
			 (long long)(px & 0xffffff));
		return px < 0 ? -1 : 0;
	}
	if (!strcmp(s->kind, "wait-stable"))
		return probe_wait_stable(p, atoi(s->arg)) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "dump"))
		return probe_dump(p, s->arg) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "keys"))
		return probe_keys(p, s->arg) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "unicode"))
		return probe_unicode(p, s->arg) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "move"))
		return probe_move(p, s->arg) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "click"))
		return probe_click(p, s->arg) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "wheel"))
		return probe_wheel(p, atoi(s->arg), false) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "hwheel"))
		return probe_wheel(p, atoi(s->arg), true) < 0 ? -1 : 0;
	if (!strcmp(s->kind, "sync"))
		return probe_sync(p, (unsigned)strtoul(s->arg, NULL, 0)) < 0
			   ? -1
			   : 0;
	if (!strcmp(s->kind, "sleep"))
		return probe_pump(p, atoi(s->arg)) ? 0 : -1;
	if (!strcmp(s->kind, "wait-disconnect"))
		return probe_wait_disconnect(p, atoi(s->arg));
	if (!strcmp(s->kind, "wait-tsmf"))
		return probe_wait_tsmf(p, strtoull(s->arg, NULL, 10));
	if (!strcmp(s->kind, "wait-urbdrc"))
		return probe_wait_urbdrc(p, s->arg, extra, esz);
	if (!strcmp(s->kind, "stall")) {
		usleep((useconds_t)atoi(s->arg) * 1000);
		return 0;
	}
	return -1;
}

/* stdout carries the JSON report; FreeRDP's log goes to stderr. */
static void
probe_log_to_stderr(void)
{
	wLog *root = WLog_GetRoot();
	wLogAppender *app;

	WLog_SetLogAppenderType(root, WLOG_APPENDER_CONSOLE);
	app = WLog_GetLogAppender(root);
	WLog_ConfigureAppender(app, "outputstream", "stderr");
	if (!getenv("WLOG_LEVEL"))
		WLog_SetLogLevel(root, WLOG_WARN);
}

static int
usage(void)
{
	fprintf(
	    stderr,
	    "usage: rdp-probe [--host H] --port N [--sec nla|tls|rdp|any]\n"
	    "  [--user U] [--password P] [--domain D] [--size WxH]\n"
	    "  [--bpp N] [--gfx|--no-gfx] [--gfx-codec planar|rfx|avc420]\n"
	    "  [--rfx] (offer RemoteFX surface bits without the pipeline)\n"
	    "  [--no-skip-alpha] [--timeout SEC]\n"
	    "  [--expect-fail [logon|denied|nego|dropped]]\n"
	    "  [--freerdp ARG]...   steps, run in order:\n"
	    "  --wait-pixel X,Y,RRGGBB[~TOLERANCE] --pixel X,Y\n"
	    "  --wait-stable MS\n"
	    "  --wait-tsmf N  (until N video frames came over TSMF, 20 s "
	    "at most)\n"
	    "  --wait-disconnect MS  (until the server ends the session)\n"
	    "  --wait-urbdrc KEY=N  (until the urbdrc plug-in's counter KEY "
	    "is N, 120 s)\n"
	    "  --dump FILE.ppm|png --keys 1e,e0:48,down:2a,up:2a\n"
	    "  --unicode TEXT --move X,Y --click X,Y,l|r|m|x1|x2\n"
	    "  --wheel N --hwheel N --sync LOCKS --sleep MS --stall MS\n");
	return 3;
}

static const char *const step_kinds[] = {
    "wait-pixel",  "pixel", "wait-stable", "dump",	"keys",
    "unicode",	   "move",  "click",	   "wheel",	"hwheel",
    "sync",	   "sleep", "stall",	   "wait-tsmf", "wait-disconnect",
    "wait-urbdrc", NULL};

static bool
is_step(const char *opt)
{
	for (int i = 0; step_kinds[i]; i++)
		if (!strcmp(opt, step_kinds[i]))
			return true;
	return false;
}

struct opts {
	const char *host, *port, *sec, *user, *password, *domain, *size;
	const char *bpp, *gfx_codec;
	bool gfx, rfx, no_skip_alpha, expect_fail;
	const char *expect_kind; /* NULL: any refusal */
	int timeout;
	const char *extra[16];
	int nextra;
	struct step steps[MAX_STEPS];
	int nsteps;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strncmp(a, "--", 2))
			return -1;
		a += 2;
		if (!strcmp(a, "gfx") || !strcmp(a, "no-gfx")) {
			o->gfx = !strcmp(a, "gfx");
		} else if (!strcmp(a, "rfx")) {
			o->rfx = true;
		} else if (!strcmp(a, "no-skip-alpha")) {
			o->no_skip_alpha = true;
		} else if (!strcmp(a, "expect-fail")) {
			o->expect_fail = true;
			if (v && strncmp(v, "--", 2)) {
				if (strcmp(v, "logon") && strcmp(v, "denied") &&
				    strcmp(v, "nego") && strcmp(v, "dropped"))
					return -1;
				o->expect_kind = v;
				i++;
			}
		} else if (!v) {
			return -1;
		} else if (is_step(a)) {
			if (o->nsteps == MAX_STEPS)
				return -1;
			o->steps[o->nsteps++] = (struct step){a, v};
			i++;
		} else {
			i++;
			if (!strcmp(a, "host"))
				o->host = v;
			else if (!strcmp(a, "port"))
				o->port = v;
			else if (!strcmp(a, "sec"))
				o->sec = v;
			else if (!strcmp(a, "user"))
				o->user = v;
			else if (!strcmp(a, "password"))
				o->password = v;
			else if (!strcmp(a, "domain"))
				o->domain = v;
			else if (!strcmp(a, "size"))
				o->size = v;
			else if (!strcmp(a, "bpp"))
				o->bpp = v;
			else if (!strcmp(a, "gfx-codec"))
				o->gfx_codec = v;
			else if (!strcmp(a, "timeout"))
				o->timeout = atoi(v);
			else if (!strcmp(a, "freerdp") && o->nextra < 16)
				o->extra[o->nextra++] = v;
			else
				return -1;
		}
	}
	return o->port ? 0 : -1;
}

/* FreeRDP's own parser turns the options into settings (as xfreerdp). */
static int
build_argv(const struct opts *o, char **av)
{
	int n = 0;

	av[n++] = strdup("rdp-probe");
	asprintf(&av[n++], "/v:%s", o->host ? o->host : "127.0.0.1");
	asprintf(&av[n++], "/port:%s", o->port);
	asprintf(&av[n++], "/u:%s", o->user ? o->user : "");
	asprintf(&av[n++], "/p:%s", o->password ? o->password : "");
	if (o->domain)
		asprintf(&av[n++], "/d:%s", o->domain);
	if (o->sec && strcmp(o->sec, "any"))
		asprintf(&av[n++], "/sec:%s", o->sec);
	asprintf(&av[n++], "/size:%s", o->size ? o->size : "1024x768");
	asprintf(&av[n++], "/bpp:%s", o->bpp ? o->bpp : "32");
	if (o->gfx && o->gfx_codec && strcmp(o->gfx_codec, "planar"))
		asprintf(&av[n++], "/gfx:%s", o->gfx_codec);
	else
		av[n++] = strdup(o->gfx ? "/gfx" : "-gfx");
	if (!o->gfx)
		av[n++] = strdup("-rfx"); /* legacy BitmapUpdate path */
	for (int i = 0; i < o->nextra; i++)
		av[n++] = strdup(o->extra[i]);
	return n;
}

static void
probe_report_end(struct probe *p, const char *error, int64_t connect_ms)
{
	rdpSettings *s = p->instance ? p->instance->settings : NULL;
	UINT64 in = 0, out = 0, inp = 0, outp = 0;

	if (p->ctx && p->ctx->rdp)
		freerdp_get_stats(p->ctx->rdp, &in, &out, &inp, &outp);
	fprintf(p->json, "],\"connected\":%s,\"connect_ms\":%lld",
		p->connected ? "true" : "false", (long long)connect_ms);
	if (s && p->connected)
		fprintf(p->json,
			",\"width\":%u,\"height\":%u,\"security\":\"%s\","
			"\"vc_chunk\":%u",
			s->DesktopWidth, s->DesktopHeight,
			s->NlaSecurity	 ? "nla"
			: s->TlsSecurity ? "tls"
					 : "rdp",
			s->VirtualChannelChunkSize);
	fprintf(p->json,
		",\"bytes_received\":%llu,\"bytes_sent\":%llu,\"frames\":%llu,"
		"\"total_ms\":%lld,\"fingerprint\":",
		(unsigned long long)in, (unsigned long long)out,
		(unsigned long long)p->frames,
		(long long)(probe_now_ms() - p->t0_ms));
	json_str(p->json, p->fingerprint);
	probe_pointer_report(p->json);
	for (int i = 0; probe_channels[i]; i++)
		if (probe_channels[i]->report)
			probe_channels[i]->report(p, p->json);
	if (p->ctx)
		fprintf(p->json, ",\"error_code\":%u",
			freerdp_get_last_error(p->ctx));
	if (p->instance) {
		UINT32 ei = freerdp_error_info(p->instance);

		fprintf(p->json, ",\"error_info\":%u,\"error_info_name\":", ei);
		json_str(p->json, ei ? freerdp_get_error_info_name(ei) : "");
	}
	fprintf(p->json, ",\"logon_error\":%lld",
		(long long)p->logon_error_data);
	fprintf(p->json, ",\"error\":");
	if (error)
		json_str(p->json, error);
	else
		fprintf(p->json, "null");
	fprintf(p->json, "}\n");
	fflush(p->json);
}

static int
probe_run(struct probe *p, const struct opts *o)
{
	char extra[128];
	int64_t t;
	int rc = 0;

	for (int i = 0; i < o->nsteps; i++) {
		t = probe_now_ms();
		int r = probe_step(p, &o->steps[i], extra, sizeof(extra));
		json_step(p, &o->steps[i], r, probe_now_ms() - t, extra);
		if (r < 0) {
			rc = 1;
			break;
		}
	}
	return rc;
}

/* How the server refused a connection that failed with FreeRDP's error
 * @e: "logon", "denied", "nego", or NULL when it was no refusal (nothing
 * listening, a transport error before TLS, an unknown error). */
static const char *
probe_failure_kind(const struct probe *p, UINT32 e)
{
	rdpSettings *s = p->instance->settings;

	switch (e) {
	case FREERDP_ERROR_SERVER_INSUFFICIENT_PRIVILEGES:
		return p->logon_error_data < 0 ||
			       p->logon_error_data == LOGON_FAILED_BAD_PASSWORD
			   ? "logon"
			   : NULL;
	case FREERDP_ERROR_CONNECT_LOGON_FAILURE:
	case FREERDP_ERROR_AUTHENTICATION_FAILED:
	case FREERDP_ERROR_CONNECT_WRONG_PASSWORD:
		return "logon";
	case FREERDP_ERROR_SERVER_DENIED_CONNECTION:
		return p->logon_error_data < 0 ||
			       p->logon_error_data == LOGON_FAILED_OTHER
			   ? "denied"
			   : NULL;
	case FREERDP_ERROR_SECURITY_NEGO_CONNECT_FAILED:
		return "nego";
	case FREERDP_ERROR_CONNECT_TRANSPORT_FAILED:
		/* NLA was negotiated, TLS came up, then the server closed */
		return s->NlaSecurity && p->tls_seen ? "logon" : NULL;
	default:
		return NULL;
	}
}

int
main(int argc, char **argv)
{
	RDP_CLIENT_ENTRY_POINTS ep = {0};
	static struct opts o = {.timeout = 20};
	char *av[MAX_ARGS];
	int ac, rc;
	int64_t connect_ms = -1;
	const char *error = NULL;
	char errbuf[256];

	if (parse_opts(argc, argv, &o) < 0)
		return usage();
	probe_log_to_stderr();
	probe.timeout_ms = o.timeout * 1000;
	probe.json = stdout;
	probe.json_first = true;
	probe.logon_error_data = -1;
	pthread_mutex_init(&probe.fb_lock, NULL);
	probe.t0_ms = probe_now_ms();
	ep.Version = RDP_CLIENT_INTERFACE_VERSION;
	ep.Size = sizeof(RDP_CLIENT_ENTRY_POINTS_V1);
	ep.ContextSize = sizeof(struct probe_ctx);
	ep.ClientNew = probe_client_new;
	probe.ctx = freerdp_client_context_new(&ep);
	if (!probe.ctx)
		return 2;
	probe.instance = probe.ctx->instance;
	ac = build_argv(&o, av);
	if (freerdp_client_settings_parse_command_line(probe.ctx->settings, ac,
						       av, FALSE) != 0) {
		fprintf(stderr, "rdp-probe: FreeRDP rejected the options\n");
		return 3;
	}
	for (int i = 0; i < ac; i++)
		free(av[i]);
	probe.ctx->settings->SupportGraphicsPipeline = o.gfx;
	probe.ctx->settings->ColorDepth = o.bpp ? (UINT32)atoi(o.bpp) : 32;
	/* --rfx: offer RemoteFX surface bits (the bitmap path) */
	probe.ctx->settings->RemoteFxCodec = o.gfx || o.rfx;
	if (o.rfx) {
		probe.ctx->settings->SurfaceCommandsEnabled = TRUE;
		probe.ctx->settings->FrameMarkerCommandEnabled = TRUE;
		probe.ctx->settings->FastPathOutput = TRUE;
	}
	if (o.no_skip_alpha) {
		/* behave like rdesktop: planar bitmaps carry an alpha plane */
		probe.ctx->settings->DrawAllowSkipAlpha = FALSE;
		probe.ctx->settings->DrawAllowDynamicColorFidelity = FALSE;
	}
	probe.ctx->settings->TcpConnectTimeout = (UINT32)o.timeout * 1000;
	fprintf(probe.json, "{\"steps\":[");
	if (!freerdp_connect(probe.instance)) {
		UINT32 e = freerdp_get_last_error(probe.ctx);
		const char *kind = probe_failure_kind(&probe, e);

		snprintf(errbuf, sizeof(errbuf),
			 "connect failed: %s (0x%08x)%s%s",
			 freerdp_get_last_error_string(e), e,
			 kind ? ", a refusal of kind " : "", kind ? kind : "");
		error = errbuf;
		rc = 2;
		if (o.expect_fail && kind)
			rc = !o.expect_kind || !strcmp(o.expect_kind, kind) ? 0
									    : 1;
	} else {
		probe.connected = true;
		connect_ms = probe_now_ms() - probe.t0_ms;
		rc = probe_run(&probe, &o);
		if (o.expect_fail) {
			/* the server may drop us right after connecting */
			probe_pump(&probe, 1000);
			error = probe.disconnected ? "disconnected"
						   : "unexpectedly connected";
			rc = probe.disconnected &&
				     (!o.expect_kind ||
				      !strcmp(o.expect_kind, "dropped"))
				 ? 0
				 : 1;
		}
	}
	probe_report_end(&probe, error, connect_ms);
	if (probe.connected)
		freerdp_disconnect(probe.instance);
	freerdp_client_context_free(probe.ctx);
	return rc;
}
