/*
 * vhost.c - the stand-in VRDE host of the tests and benchmarks (vhost.h).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "vhost.h"

/* ---- default callbacks ------------------------------------------------- */

static int
vhost_copy(const char *value, char *buf, size_t size)
{
	size_t n = strlen(value);

	if (n + 1 > size)
		return -ENOSPC;
	memcpy(buf, value, n + 1);
	return (int)n;
}

static int
vhost_get_property(void *ctx, const char *name, char *buf, size_t size)
{
	struct vhost *h = ctx;
	size_t n = strlen(name);
	char v[16];

	for (int i = h->nprops - 1; i >= 0; i--)
		if (!strncmp(h->props[i], name, n) && h->props[i][n] == '=')
			return vhost_copy(h->props[i] + n + 1, buf, size);
	if (!strcmp(name, VRDE_HOST_PROP_SCREEN_COUNT)) {
		snprintf(v, sizeof(v), "%u", h->nscreens);
		return vhost_copy(v, buf, size);
	}
	return -ENOENT;
}

static int
vhost_client_logon(void *ctx, const struct vrde_logon *logon)
{
	struct vhost *h = ctx;

	return logon->screen < h->nscreens ? 0 : -ERANGE;
}

static void
vhost_client_connect(void *ctx, uint32_t id)
{
	printf("connect client=%u\n", id);
	fflush(stdout);
}

static void
vhost_client_disconnect(void *ctx, uint32_t id)
{
	printf("disconnect client=%u\n", id);
	fflush(stdout);
}

static int
vhost_screen_query(void *ctx, uint32_t s, struct vrde_screen_info *info)
{
	struct vhost *h = ctx;

	if (s >= h->nscreens)
		return -ENOENT;
	*info = (struct vrde_screen_info){
	    .enabled = 1,
	    .width = h->screen[s].w,
	    .height = h->screen[s].h,
	    .stride = h->screen[s].w * 4,
	    .bpp = 32,
	    .pixels = (const uint8_t *)h->screen[s].px,
	};
	return 0;
}

static void
vhost_screen_lock(void *ctx, uint32_t s)
{
	pthread_mutex_lock(&((struct vhost *)ctx)->screen[s].lock);
}

static void
vhost_screen_unlock(void *ctx, uint32_t s)
{
	pthread_mutex_unlock(&((struct vhost *)ctx)->screen[s].lock);
}

static void
vhost_input(void *ctx, uint32_t client, uint32_t screen,
	    const struct vrde_input_event *ev)
{
}

static void
vhost_mode_hint(void *ctx, uint32_t s, uint32_t w, uint32_t h)
{
}

static int
vhost_get_nt_hash(void *ctx, const char *user, const char *domain,
		  uint8_t hash[16])
{
	return -ENOENT;
}

static void
vhost_listening(void *ctx, uint32_t port)
{
	if (port)
		printf("VRDE server is listening on port %u.\n", port);
	else
		printf("VRDE server failed to listen.\n");
	fflush(stdout);
}

static void
vhost_log(void *ctx, int level, const char *msg)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	struct vhost *h = ctx;

	fprintf(stderr, "%s: %s: %s\n", h->name,
		level >= 0 && level < 4 ? names[level] : "?", msg);
}

void
vhost_init(struct vhost *h, const char *name, uint32_t w, uint32_t hh)
{
	*h = (struct vhost){
	    .name = name,
	    .nscreens = 1,
	    .width = w,
	    .height = hh,
	    .cb =
		{
		    .hdr = {.version = VRDE_ABI_VERSION,
			    .size = sizeof(struct vrde_host_callbacks)},
		    .get_property = vhost_get_property,
		    .client_logon = vhost_client_logon,
		    .client_connect = vhost_client_connect,
		    .client_disconnect = vhost_client_disconnect,
		    .screen_query = vhost_screen_query,
		    .screen_lock = vhost_screen_lock,
		    .screen_unlock = vhost_screen_unlock,
		    .input = vhost_input,
		    .video_mode_hint = vhost_mode_hint,
		    .get_nt_hash = vhost_get_nt_hash,
		    .listening = vhost_listening,
		    .log = vhost_log,
		},
	};
	for (int s = 0; s < VHOST_MAX_SCREENS; s++)
		pthread_mutex_init(&h->screen[s].lock, NULL);
}

/* ---- set-up ------------------------------------------------------------ */

int
vhost_prop(struct vhost *h, const char *kv)
{
	if (!strchr(kv, '=') || kv[0] == '=' || h->nprops == VHOST_MAX_PROPS)
		return -EINVAL;
	h->props[h->nprops++] = kv;
	return 0;
}

int
vhost_option(struct vhost *h, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	int rc = 0;

	if (strcmp(a, "--module") && strcmp(a, "--prop") && strcmp(a, "--size"))
		return 0;
	if (!v)
		return -EINVAL;
	if (!strcmp(a, "--module"))
		h->module = v;
	else if (!strcmp(a, "--prop"))
		rc = vhost_prop(h, v);
	else if (sscanf(v, "%ux%u", &h->width, &h->height) != 2 || !h->width ||
		 !h->height || h->width > 8192 || h->height > 8192)
		rc = -EINVAL;
	*i += 1;
	return rc < 0 ? rc : 1;
}

int
vhost_screen_alloc(struct vhost *h, uint32_t s, uint32_t w, uint32_t hh)
{
	uint32_t *px = calloc((size_t)w * hh, 4);

	if (!px)
		return -ENOMEM;
	free(h->screen[s].px);
	h->screen[s].px = px;
	h->screen[s].w = w;
	h->screen[s].h = hh;
	return 0;
}

void
vhost_damage(struct vhost *h, uint32_t s, uint32_t x, uint32_t y, uint32_t w,
	     uint32_t hh)
{
	struct vrde_rect r = {
	    .x = (int32_t)x, .y = (int32_t)y, .w = w, .h = hh};

	h->ep->update(h->srv, s, &r);
}

/* The module's entry points are of the version this host was built for,
 * and have what the host calls. */
static int
vhost_check_ep(struct vhost *h)
{
	const struct vrde_entry_points *ep = h->ep;

	size_t need = 0;

	/* vrde.h "Versions": 1 up to ours, that version's size */
	if (ep && ep->hdr.version >= VRDE_ABI_VERSION_MIN &&
	    ep->hdr.version <= VRDE_ABI_VERSION)
		need = ep->hdr.version == 1 ? VRDE_ENTRY_POINTS_SIZE_V1
					    : sizeof(*ep);
	if (!need || ep->hdr.size < need) {
		fprintf(stderr,
			"%s: %s: entry points of version %u size %u, "
			"not %u..%u of their version's size\n",
			h->name, h->module, ep ? ep->hdr.version : 0,
			ep ? ep->hdr.size : 0, VRDE_ABI_VERSION_MIN,
			VRDE_ABI_VERSION);
		return -1;
	}
	if (!ep->destroy || !ep->enable_connections || !ep->disconnect ||
	    !ep->resize || !ep->update || !ep->query_info) {
		fprintf(stderr, "%s: %s lacks entry points\n", h->name,
			h->module);
		return -1;
	}
	return 0;
}

int
vhost_start(struct vhost *h)
{
	vrde_create_fn create;
	int rc;

	h->dl = dlopen(h->module, RTLD_NOW | RTLD_LOCAL);
	if (!h->dl) {
		fprintf(stderr, "%s: %s\n", h->name, dlerror());
		return -1;
	}
	create = (vrde_create_fn)dlsym(h->dl, VRDE_CREATE_SYMBOL);
	if (!create) {
		fprintf(stderr, "%s: no %s in %s\n", h->name,
			VRDE_CREATE_SYMBOL, h->module);
		return -1;
	}
	rc = create(&h->cb, h, &h->ep, &h->srv);
	if (rc == -EPROTO && h->cb.hdr.version > 1) {
		/* a module built before version 2: its part of our table */
		fprintf(stderr,
			"%s: %s refused host table version %u; "
			"trying version 1\n",
			h->name, h->module, h->cb.hdr.version);
		h->cb.hdr.version = 1;
		h->cb.hdr.size = VRDE_HOST_CB_SIZE_V1;
		rc = create(&h->cb, h, &h->ep, &h->srv);
	}
	if (rc < 0) {
		fprintf(stderr, "%s: create failed: %s\n", h->name,
			strerror(-rc));
		return -1;
	}
	if (vhost_check_ep(h) < 0)
		return -1;
	rc = h->ep->enable_connections(h->srv, true);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot listen: %s\n", h->name,
			strerror(-rc));
		h->ep->destroy(h->srv);
		h->srv = NULL;
		return -1;
	}
	return 0;
}

void
vhost_stop(struct vhost *h)
{
	if (h->srv)
		h->ep->destroy(h->srv);
	h->srv = NULL;
	if (h->dl && !getenv("RDP_HOST_NO_DLCLOSE"))
		dlclose(h->dl);
	h->dl = NULL;
	for (int s = 0; s < VHOST_MAX_SCREENS; s++) {
		free(h->screen[s].px);
		h->screen[s].px = NULL;
	}
}

/* ---- commands every host knows ----------------------------------------- */

static int
vhost_cmd_info(struct vhost *h, const char *args)
{
	unsigned code, client = 0;
	uint8_t buf[512];
	uint64_t v64;
	uint32_t v32;
	int n;

	if (sscanf(args, "%u %u", &code, &client) < 1)
		return -EINVAL;
	n = h->ep->query_info(h->srv, client, code, buf, sizeof(buf) - 1);
	if (n < 0)
		return n;
	if (n >= (int)sizeof(buf))
		return -E2BIG;
	buf[n] = '\0';
	if (n == 8 &&
	    (code == VRDE_QI_BYTES_SENT || code == VRDE_QI_BYTES_RECEIVED ||
	     code == VRDE_QI_BEGIN_TIME)) {
		memcpy(&v64, buf, sizeof(v64));
		printf("info %llu\n", (unsigned long long)v64);
	} else if (n == 4 && (code <= VRDE_QI_PORT || code == VRDE_QI_SCREEN ||
			      code == VRDE_QI_CLIENT_VERSION)) {
		memcpy(&v32, buf, sizeof(v32));
		printf("info %u\n", v32);
	} else if (code == VRDE_QI_CLIENT_IDS) {
		printf("info");
		for (int i = 0; i + 4 <= n; i += 4) {
			memcpy(&v32, buf + i, sizeof(v32));
			printf(" %u", v32);
		}
		printf("\n");
	} else {
		printf("info %s\n", (char *)buf);
	}
	return 0;
}

static int
vhost_common(struct vhost *h, const char *cmd, char *args)
{
	struct rusage ru;

	if (!strcmp(cmd, "info"))
		return vhost_cmd_info(h, args);
	if (!strcmp(cmd, "disconnect")) {
		h->ep->disconnect(h->srv, (uint32_t)strtoul(args, NULL, 10),
				  false);
		return 0;
	}
	if (!strcmp(cmd, "cpu")) {
		getrusage(RUSAGE_SELF, &ru);
		printf("cpu %ld\n",
		       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
			   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L);
		return 0;
	}
	return -ENOSYS;
}

void
vhost_serve(struct vhost *h,
	    int (*command)(struct vhost *h, const char *cmd, char *args))
{
	char line[512];

	while (fgets(line, sizeof(line), stdin)) {
		char *args;
		int rc;

		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "quit"))
			break;
		if (!line[0])
			continue;
		args = strchr(line, ' ');
		if (args)
			*args++ = '\0';
		else
			args = line + strlen(line);
		rc = command ? command(h, line, args) : -ENOSYS;
		if (rc == -ENOSYS)
			rc = vhost_common(h, line, args);
		if (rc == -ENOSYS)
			printf("error unknown command '%s'\n", line);
		else if (rc < 0)
			printf("error %s\n", strerror(-rc));
		else
			printf("ok\n");
		fflush(stdout);
	}
}
