/*
 * rdp-host.c - a small VRDE host for unit-testing vireo-vrde-rdp.so
 * without a VM: it loads the module through vrde.h, serves synthetic
 * screens, checks credentials from the command line and writes every input
 * event it receives to a log, one line each.
 *
 *   rdp-host --module PATH [--screens N] [--size WxH] [--prop K=V]...
 *            [--user NAME:PASSWORD]... [--policy multi|single|reuse]
 *            [--input-log FILE]
 *
 * It prints "VRDE server is listening on port N." (the line vireo-headless
 * prints) and then reads commands on stdin, one per line:
 *   fill SCREEN X Y W H RRGGBB   paint a rectangle and update()
 *   noise SCREEN X Y W H SEED    paint pseudo-random pixels (incompressible)
 *   resize SCREEN W H            change a screen's size
 *   pointer W H                  set a W x H opaque red pointer shape
 *   hidepointer                  hide the pointer
 *   info CODE [CLIENT]           print query_info (numbers or text)
 *   disconnect CLIENT
 *   quit
 * Each command answers "ok" or "error ..." on stdout.
 *
 * The initial picture of screen s (0-based): the four quadrants red,
 * green, blue and white, and a 32x32 box at (8,8) of colour
 * 0x10*(s+1) in every channel, so a test can tell screens apart.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <winpr/ntlm.h>

#include "vrde/vrde.h"

#define MAX_SCREENS 8
#define MAX_PROPS   32
#define MAX_USERS   8

struct host_screen {
	pthread_mutex_t lock;
	uint32_t w, h;
	uint32_t *px;
};

static struct host_screen screens[MAX_SCREENS];
static uint32_t nscreens = 1;
static const char *props[MAX_PROPS];
static int nprops;
static const char *users[MAX_USERS];
static int nusers;
static const char *policy = "multi";
static FILE *input_log;
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t connected[64];
static int nconnected;
static const struct vrde_entry_points *ep;
static struct vrde_server *srv;

static void
host_paint_initial(uint32_t s)
{
	struct host_screen *sc = &screens[s];
	uint32_t box = 0x101010u * (s + 1);

	for (uint32_t y = 0; y < sc->h; y++)
		for (uint32_t x = 0; x < sc->w; x++) {
			uint32_t c;
			if (y < sc->h / 2)
				c = x < sc->w / 2 ? 0xff0000 : 0x00ff00;
			else
				c = x < sc->w / 2 ? 0x0000ff : 0xffffff;
			if (x >= 8 && x < 40 && y >= 8 && y < 40)
				c = box;
			sc->px[y * sc->w + x] = c;
		}
}

static int
host_get_property(void *ctx, const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);
	char v[16];

	for (int i = nprops - 1; i >= 0; i--) {
		if (strncmp(props[i], name, n) || props[i][n] != '=')
			continue;
		if (strlen(props[i] + n + 1) + 1 > size)
			return -ENOSPC;
		strcpy(buf, props[i] + n + 1);
		return (int)strlen(buf);
	}
	if (!strcmp(name, VRDE_HOST_PROP_SCREEN_COUNT)) {
		snprintf(v, sizeof(v), "%u", nscreens);
		if (strlen(v) + 1 > size)
			return -ENOSPC;
		strcpy(buf, v);
		return (int)strlen(buf);
	}
	return -ENOENT;
}

static const char *
host_find_password(const char *user)
{
	size_t n = strlen(user);

	for (int i = 0; i < nusers; i++)
		if (!strncmp(users[i], user, n) && users[i][n] == ':')
			return users[i] + n + 1;
	return NULL;
}

/* A peer's string for one line of host.out: control characters as \xNN,
 * so a test reading the output line by line sees exactly one line. */
static const char *
host_esc(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; s && *s && n + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '\\')
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

static int
host_client_logon(void *ctx, const struct vrde_logon *lo)
{
	const char *pw = host_find_password(lo->user);
	char u[256], d[256];
	int rc = 0;

	printf("logon client=%u user=%s domain=%s screen=%u security=%s\n",
	       lo->client_id, host_esc(u, sizeof(u), lo->user),
	       host_esc(d, sizeof(d), lo->domain), lo->screen, lo->security);
	fflush(stdout);
	if (nusers && (!pw || strcmp(pw, lo->password)))
		return -EACCES;
	if (lo->screen >= nscreens)
		return -ERANGE;
	pthread_mutex_lock(&host_lock);
	if (nconnected && !strcmp(policy, "single"))
		rc = -EBUSY;
	else if (nconnected && !strcmp(policy, "reuse"))
		for (int i = 0; i < nconnected; i++)
			ep->disconnect(srv, connected[i], false);
	pthread_mutex_unlock(&host_lock);
	return rc;
}

static void
host_client_connect(void *ctx, uint32_t id)
{
	pthread_mutex_lock(&host_lock);
	if (nconnected < 64)
		connected[nconnected++] = id;
	pthread_mutex_unlock(&host_lock);
	printf("connect client=%u\n", id);
	fflush(stdout);
}

static void
host_client_disconnect(void *ctx, uint32_t id)
{
	pthread_mutex_lock(&host_lock);
	for (int i = 0; i < nconnected; i++)
		if (connected[i] == id)
			connected[i--] = connected[--nconnected];
	pthread_mutex_unlock(&host_lock);
	printf("disconnect client=%u\n", id);
	fflush(stdout);
}

static int
host_screen_query(void *ctx, uint32_t s, struct vrde_screen_info *info)
{
	if (s >= nscreens)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->enabled = 1;
	info->width = screens[s].w;
	info->height = screens[s].h;
	info->stride = screens[s].w * 4;
	info->bpp = 32;
	info->pixels = (const uint8_t *)screens[s].px;
	return 0;
}

static void
host_screen_lock(void *ctx, uint32_t s)
{
	pthread_mutex_lock(&screens[s].lock);
}

static void
host_screen_unlock(void *ctx, uint32_t s)
{
	pthread_mutex_unlock(&screens[s].lock);
}

static void
host_input(void *ctx, uint32_t client, uint32_t screen,
	   const struct vrde_input_event *ev)
{
	if (!input_log)
		return;
	switch (ev->type) {
	case VRDE_INPUT_SCANCODE:
		fprintf(input_log, "screen=%u key %s%s%02x %s\n", screen,
			ev->u.key.flags & VRDE_KEY_E0 ? "e0 " : "",
			ev->u.key.flags & VRDE_KEY_E1 ? "e1 " : "",
			ev->u.key.scancode,
			ev->u.key.flags & VRDE_KEY_RELEASE ? "up" : "down");
		break;
	case VRDE_INPUT_POINTER:
		fprintf(input_log, "screen=%u ptr %d %d %u %d %d\n", screen,
			ev->u.pointer.x, ev->u.pointer.y, ev->u.pointer.buttons,
			ev->u.pointer.wheel, ev->u.pointer.hwheel);
		break;
	case VRDE_INPUT_SYNC:
		fprintf(input_log, "screen=%u sync %u\n", screen,
			ev->u.sync.locks);
		break;
	default:
		fprintf(input_log, "screen=%u type %u\n", screen, ev->type);
	}
	fflush(input_log);
}

static void
host_video_mode_hint(void *ctx, uint32_t s, uint32_t w, uint32_t h)
{
}

static int
host_get_nt_hash(void *ctx, const char *user, const char *domain,
		 uint8_t hash[16])
{
	const char *pw = host_find_password(user);

	if (!pw)
		return -ENOENT;
	if (!NTOWFv1A((LPSTR)pw, (UINT32)strlen(pw), hash))
		return -EIO;
	return 0;
}

/* NLA attempts: one line when judged, one with the outcome, so tests
 * can count failures the way vireo-headless counts them. */
static int
host_nla_begin(void *ctx, const struct vrde_logon *lo, uint8_t hash[16])
{
	char u[256];

	printf("nla client=%u user=%s address=%s\n", lo->client_id,
	       host_esc(u, sizeof(u), lo->user), lo->address);
	fflush(stdout);
	return host_get_nt_hash(ctx, lo->user, lo->domain, hash);
}

static void
host_nla_result(void *ctx, const struct vrde_logon *lo, int result)
{
	char u[256];

	printf("nla-result client=%u user=%s address=%s rc=%d\n", lo->client_id,
	       host_esc(u, sizeof(u), lo->user), lo->address, result);
	fflush(stdout);
}

static void
host_listening(void *ctx, uint32_t port)
{
	if (port)
		printf("VRDE server is listening on port %u.\n", port);
	else
		printf("VRDE server failed to listen.\n");
	fflush(stdout);
}

static void
host_log(void *ctx, int level, const char *msg)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	fprintf(stderr, "rdp-host: %s: %s\n",
		level >= 0 && level < 4 ? names[level] : "?", msg);
}

static const struct vrde_host_callbacks host_cb = {
    .hdr = {.version = VRDE_ABI_VERSION,
	    .size = sizeof(struct vrde_host_callbacks)},
    .get_property = host_get_property,
    .client_logon = host_client_logon,
    .client_connect = host_client_connect,
    .client_disconnect = host_client_disconnect,
    .screen_query = host_screen_query,
    .screen_lock = host_screen_lock,
    .screen_unlock = host_screen_unlock,
    .input = host_input,
    .video_mode_hint = host_video_mode_hint,
    .get_nt_hash = host_get_nt_hash,
    .listening = host_listening,
    .log = host_log,
    .nla_begin = host_nla_begin,
    .nla_result = host_nla_result,
};

static int
host_screen_alloc(uint32_t s, uint32_t w, uint32_t h)
{
	uint32_t *px = calloc((size_t)w * h, 4);

	if (!px)
		return -ENOMEM;
	free(screens[s].px);
	screens[s].px = px;
	screens[s].w = w;
	screens[s].h = h;
	host_paint_initial(s);
	return 0;
}

static int
cmd_fill(const char *args, bool noise)
{
	unsigned s, x, y, w, h, color;
	struct vrde_rect r;
	uint32_t rnd;

	if (sscanf(args, "%u %u %u %u %u %x", &s, &x, &y, &w, &h, &color) !=
		6 ||
	    s >= nscreens)
		return -EINVAL;
	rnd = color * 2654435761u + 1;
	pthread_mutex_lock(&screens[s].lock);
	for (uint32_t j = y; j < y + h && j < screens[s].h; j++)
		for (uint32_t i = x; i < x + w && i < screens[s].w; i++) {
			rnd = rnd * 1664525u + 1013904223u;
			screens[s].px[j * screens[s].w + i] =
			    noise ? rnd >> 8 : color;
		}
	r = (struct vrde_rect){
	    .x = (int32_t)x, .y = (int32_t)y, .w = w, .h = h};
	ep->update(srv, s, &r);
	ep->update(srv, s, NULL);
	pthread_mutex_unlock(&screens[s].lock);
	return 0;
}

static int
cmd_resize(const char *args)
{
	unsigned s, w, h;
	struct vrde_rect r;
	int rc;

	if (sscanf(args, "%u %u %u", &s, &w, &h) != 3 || s >= nscreens || !w ||
	    !h || w > 8192 || h > 8192)
		return -EINVAL;
	pthread_mutex_lock(&screens[s].lock);
	rc = host_screen_alloc(s, w, h);
	pthread_mutex_unlock(&screens[s].lock);
	if (rc < 0)
		return rc;
	ep->resize(srv, s);
	pthread_mutex_lock(&screens[s].lock);
	r = (struct vrde_rect){.w = w, .h = h};
	ep->update(srv, s, &r);
	ep->update(srv, s, NULL);
	pthread_mutex_unlock(&screens[s].lock);
	return 0;
}

static int
cmd_pointer(const char *args)
{
	unsigned w, h;
	uint32_t *px;
	struct vrde_pointer_shape sh;

	if (sscanf(args, "%u %u", &w, &h) != 2 || !w || !h || w > 256 ||
	    h > 256)
		return -EINVAL;
	px = malloc((size_t)w * h * 4);
	if (!px)
		return -ENOMEM;
	for (size_t i = 0; i < (size_t)w * h; i++)
		px[i] = 0xffff0000u;
	sh = (struct vrde_pointer_shape){.width = w,
					 .height = h,
					 .hot_x = w / 2,
					 .hot_y = h / 2,
					 .argb = px};
	ep->pointer_shape(srv, &sh);
	free(px);
	return 0;
}

static int
cmd_info(const char *args)
{
	unsigned code, client = 0;
	uint8_t buf[512];
	int n;

	if (sscanf(args, "%u %u", &code, &client) < 1)
		return -EINVAL;
	n = ep->query_info(srv, client, code, buf, sizeof(buf) - 1);
	if (n < 0)
		return n;
	buf[n > 0 && n < (int)sizeof(buf) ? n : 0] = 0;
	if (code == VRDE_QI_BYTES_SENT || code == VRDE_QI_BYTES_RECEIVED ||
	    code == VRDE_QI_BEGIN_TIME)
		printf("info %llu\n",
		       n == 8 ? (unsigned long long)*(uint64_t *)buf : 0ull);
	else if (code <= VRDE_QI_PORT || code == VRDE_QI_SCREEN ||
		 code == VRDE_QI_CLIENT_VERSION)
		printf("info %u\n", n == 4 ? *(uint32_t *)buf : 0u);
	else if (code == VRDE_QI_CLIENT_IDS) {
		printf("info");
		for (int i = 0; i + 4 <= n; i += 4)
			printf(" %u", *(uint32_t *)(buf + i));
		printf("\n");
	} else
		printf("info %s\n", n ? (char *)buf : "");
	return 0;
}

static int
host_command(char *line)
{
	char *args = strchr(line, ' ');

	if (args)
		*args++ = '\0';
	else
		args = "";
	if (!strcmp(line, "fill"))
		return cmd_fill(args, false);
	if (!strcmp(line, "noise"))
		return cmd_fill(args, true);
	if (!strcmp(line, "resize"))
		return cmd_resize(args);
	if (!strcmp(line, "pointer"))
		return cmd_pointer(args);
	if (!strcmp(line, "info"))
		return cmd_info(args);
	if (!strcmp(line, "hidepointer")) {
		ep->pointer_hide(srv);
		return 0;
	}
	if (!strcmp(line, "disconnect")) {
		ep->disconnect(srv, (uint32_t)strtoul(args, NULL, 10), false);
		return 0;
	}
	return -ENOSYS;
}

static int
usage(void)
{
	fprintf(stderr, "usage: rdp-host --module PATH [--screens N] "
			"[--size WxH] [--prop K=V]... [--user U:P]... "
			"[--policy multi|single|reuse] [--input-log FILE]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *module = NULL;
	unsigned w = 800, h = 600;
	vrde_create_fn create;
	char line[512];
	void *dl;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--module"))
			module = v;
		else if (!strcmp(a, "--screens"))
			nscreens = (uint32_t)atoi(v);
		else if (!strcmp(a, "--size")) {
			if (sscanf(v, "%ux%u", &w, &h) != 2)
				return usage();
		} else if (!strcmp(a, "--prop") && nprops < MAX_PROPS)
			props[nprops++] = v;
		else if (!strcmp(a, "--user") && nusers < MAX_USERS)
			users[nusers++] = v;
		else if (!strcmp(a, "--policy"))
			policy = v;
		else if (!strcmp(a, "--input-log")) {
			input_log = fopen(v, "w");
			if (!input_log) {
				perror(v);
				return 1;
			}
		} else
			return usage();
	}
	if (!module || nscreens < 1 || nscreens > MAX_SCREENS)
		return usage();
	for (uint32_t s = 0; s < nscreens; s++) {
		pthread_mutex_init(&screens[s].lock, NULL);
		if (host_screen_alloc(s, w, h) < 0)
			return 1;
	}
	dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "rdp-host: %s\n", dlerror());
		return 1;
	}
	create = (vrde_create_fn)dlsym(dl, VRDE_CREATE_SYMBOL);
	if (!create) {
		fprintf(stderr, "rdp-host: no %s in %s\n", VRDE_CREATE_SYMBOL,
			module);
		return 1;
	}
	rc = create(&host_cb, NULL, &ep, &srv);
	if (rc < 0) {
		fprintf(stderr, "rdp-host: create failed: %s\n", strerror(-rc));
		return 1;
	}
	rc = ep->enable_connections(srv, true);
	if (rc < 0) {
		fprintf(stderr, "rdp-host: cannot listen: %s\n", strerror(-rc));
		ep->destroy(srv);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "quit"))
			break;
		if (!line[0])
			continue;
		rc = host_command(line);
		if (rc < 0)
			printf("error %s\n", strerror(-rc));
		else
			printf("ok\n");
		fflush(stdout);
	}
	ep->destroy(srv);
	for (uint32_t s = 0; s < nscreens; s++)
		free(screens[s].px);
	if (input_log)
		fclose(input_log);
	if (getenv("RDP_HOST_NO_DLCLOSE") == NULL)
		dlclose(dl);
	return 0;
}
