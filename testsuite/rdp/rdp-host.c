/*
 * rdp-host.c - a small VRDE host for unit-testing vireo-vrde-rdp.so
 * without a VM: it loads the module through vrde.h, serves synthetic
 * screens, checks credentials from the command line and writes every input
 * event it receives to a log, one line each.
 *
 *   rdp-host --module PATH [--screens N] [--size WxH] [--prop K=V]...
 *            [--user NAME:PASSWORD]... [--policy multi|single|reuse]
 *            [--input-log FILE] [--usb] [--usb-refuse VID:PID|all]...
 *
 * It prints "VRDE server is listening on port N." (the line vireo-headless
 * prints) and then reads commands on stdin, one per line:
 *   fill SCREEN X Y W H RRGGBB   paint a rectangle and update()
 *   noise SCREEN X Y W H SEED    paint pseudo-random pixels (incompressible)
 *   damage SCREEN X Y W H        update() a rectangle without changing it
 *   resize SCREEN W H            change a screen's size
 *   pointer W H                  set a W x H opaque red pointer shape
 *   hidepointer                  hide the pointer
 * the usb-* commands of rdp-host-usb.c (remote USB through the module's
 * version-2 entry points), and the commands of every stand-in host
 * (testsuite/lib/vhost.h: info, disconnect, cpu, quit).  Each command answers
 * "ok" or "error ..." on stdout.
 *
 * The initial picture of screen s (0-based): the four quadrants red,
 * green, blue and white, and a 32x32 box at (8,8) of colour
 * 0x10*(s+1) in every channel, so a test can tell screens apart.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winpr/ntlm.h>

#include "lib/vhost.h"
#include "rdp/rdp-host-usb.h"

#define MAX_USERS 8

static struct vhost vh;
static const char *users[MAX_USERS];
static int nusers;
static const char *policy = "multi";
static FILE *input_log;
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t connected[64];
static int nconnected;

static void
host_paint_initial(uint32_t s)
{
	struct vhost_screen *sc = &vh.screen[s];
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
	if (lo->screen >= vh.nscreens)
		return -ERANGE;
	pthread_mutex_lock(&host_lock);
	if (nconnected && !strcmp(policy, "single")) {
		rc = -EBUSY;
	} else if (nconnected && !strcmp(policy, "reuse")) {
		for (int i = 0; i < nconnected; i++)
			vh.ep->disconnect(vh.srv, connected[i], false);
	}
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

static int
host_screen_alloc(uint32_t s, uint32_t w, uint32_t h)
{
	int rc = vhost_screen_alloc(&vh, s, w, h);

	if (rc == 0)
		host_paint_initial(s);
	return rc;
}

static int
cmd_fill(const char *args, bool noise)
{
	unsigned s, x, y, w, h, color;
	uint32_t rnd;

	if (sscanf(args, "%u %u %u %u %u %x", &s, &x, &y, &w, &h, &color) !=
		6 ||
	    s >= vh.nscreens)
		return -EINVAL;
	rnd = color * 2654435761u + 1;
	pthread_mutex_lock(&vh.screen[s].lock);
	for (uint32_t j = y; j < y + h && j < vh.screen[s].h; j++)
		for (uint32_t i = x; i < x + w && i < vh.screen[s].w; i++) {
			rnd = rnd * 1664525u + 1013904223u;
			vh.screen[s].px[j * vh.screen[s].w + i] =
			    noise ? rnd >> 8 : color;
		}
	vhost_damage(&vh, s, x, y, w, h);
	vh.ep->update(vh.srv, s, NULL);
	pthread_mutex_unlock(&vh.screen[s].lock);
	return 0;
}

/* Report damage where no pixel changed (as a guest redrawing the same
 * picture does): the module should find nothing to send. */
static int
cmd_damage(const char *args)
{
	unsigned s, x, y, w, h;

	if (sscanf(args, "%u %u %u %u %u", &s, &x, &y, &w, &h) != 5 ||
	    s >= vh.nscreens)
		return -EINVAL;
	pthread_mutex_lock(&vh.screen[s].lock);
	vhost_damage(&vh, s, x, y, w, h);
	vh.ep->update(vh.srv, s, NULL);
	pthread_mutex_unlock(&vh.screen[s].lock);
	return 0;
}

static int
cmd_resize(const char *args)
{
	unsigned s, w, h;
	int rc;

	if (sscanf(args, "%u %u %u", &s, &w, &h) != 3 || s >= vh.nscreens ||
	    !w || !h || w > 8192 || h > 8192)
		return -EINVAL;
	pthread_mutex_lock(&vh.screen[s].lock);
	rc = host_screen_alloc(s, w, h);
	pthread_mutex_unlock(&vh.screen[s].lock);
	if (rc < 0)
		return rc;
	vh.ep->resize(vh.srv, s);
	pthread_mutex_lock(&vh.screen[s].lock);
	vhost_damage(&vh, s, 0, 0, w, h);
	vh.ep->update(vh.srv, s, NULL);
	pthread_mutex_unlock(&vh.screen[s].lock);
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
	vh.ep->pointer_shape(vh.srv, &sh);
	free(px);
	return 0;
}

static int
host_command(struct vhost *h, const char *cmd, char *args)
{
	if (!strcmp(cmd, "fill"))
		return cmd_fill(args, false);
	if (!strcmp(cmd, "noise"))
		return cmd_fill(args, true);
	if (!strcmp(cmd, "damage"))
		return cmd_damage(args);
	if (!strcmp(cmd, "resize"))
		return cmd_resize(args);
	if (!strcmp(cmd, "pointer"))
		return cmd_pointer(args);
	if (!strncmp(cmd, "usb-", 4))
		return host_usb_command(cmd, args);
	if (!strcmp(cmd, "hidepointer")) {
		vh.ep->pointer_hide(vh.srv);
		return 0;
	}
	return -ENOSYS;
}

static int
usage(void)
{
	fprintf(stderr, "usage: rdp-host --module PATH [--screens N] "
			"[--size WxH] [--prop K=V]... [--user U:P]... "
			"[--policy multi|single|reuse] [--input-log FILE] "
			"[--usb] [--usb-refuse VID:PID|all]...\n");
	return 2;
}

int
main(int argc, char **argv)
{
	vhost_init(&vh, "rdp-host", 800, 600);
	vh.cb.client_logon = host_client_logon;
	vh.cb.client_connect = host_client_connect;
	vh.cb.client_disconnect = host_client_disconnect;
	vh.cb.input = host_input;
	vh.cb.get_nt_hash = host_get_nt_hash;
	vh.cb.nla_begin = host_nla_begin;
	vh.cb.nla_result = host_nla_result;
	host_usb_install(&vh);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = vhost_option(&vh, argc, argv, &i);

		if (rc == 0 && !strcmp(a, "--usb")) {
			host_usb_option(a, NULL); /* no value */
			continue;
		}
		if (rc < 0 || !v)
			return usage();
		if (rc > 0)
			continue;
		i++;
		rc = host_usb_option(a, v);
		if (rc < 0)
			return usage();
		if (rc > 0)
			continue;
		if (!strcmp(a, "--screens")) {
			vh.nscreens = (uint32_t)atoi(v);
		} else if (!strcmp(a, "--user") && nusers < MAX_USERS) {
			users[nusers++] = v;
		} else if (!strcmp(a, "--policy")) {
			policy = v;
		} else if (!strcmp(a, "--input-log")) {
			input_log = fopen(v, "w");
			if (!input_log) {
				perror(v);
				return 1;
			}
		} else {
			return usage();
		}
	}
	if (!vh.module || vh.nscreens < 1 || vh.nscreens > VHOST_MAX_SCREENS)
		return usage();
	for (uint32_t s = 0; s < vh.nscreens; s++)
		if (host_screen_alloc(s, vh.width, vh.height) < 0)
			return 1;
	if (vhost_start(&vh) < 0)
		return 1;
	vhost_serve(&vh, host_command);
	vhost_stop(&vh);
	if (input_log)
		fclose(input_log);
	return 0;
}
