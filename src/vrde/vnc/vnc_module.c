/*
 * vnc_module.c - the VRDE ABI of vireo-vrde-vnc.so: create/destroy, entry
 * points, host properties, logging through the host and query_info.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "vnc.h"

/* Debian's novnc package; VNC/WebRoot names another noVNC */
#define VNC_NOVNC_DIR		"/usr/share/novnc"
#define VNC_DEFAULT_MAX_CLIENTS 64
#define VNC_MAX_MAX_CLIENTS	1024

static int
vnc_config(struct vnc_server *srv)
{
	char v[32], path[1024];
	long n;

	/* the host says whether every client is granted (authType Null, or
	 * an auth library declaring so) */
	vnc_prop(srv, VRDE_HOST_PROP_AUTH_TYPE, v, sizeof(v));
	srv->host_grants_all = vnc_prop_bool(srv, VRDE_HOST_PROP_GRANTS_ALL) ||
			       !strcasecmp(v, "Null");
	srv->disable_input = vnc_prop_bool(srv, "Client/DisableInput");
	srv->disable_display = vnc_prop_bool(srv, "Client/DisableDisplay");
	if (vmod_prop_num(&srv->core.host, "VNC/MaxClients", 1,
			  VNC_MAX_MAX_CLIENTS, VNC_DEFAULT_MAX_CLIENTS, &n) < 0)
		return -EINVAL;
	srv->max_clients = (uint32_t)n;
	/* the RDP module's property of the same name and default */
	if (vmod_prop_num(&srv->core.host, "Security/MaxPendingPerAddress", 1,
			  VNC_MAX_MAX_CLIENTS, 16, &n) < 0)
		return -EINVAL;
	srv->max_pending_per_addr = (uint32_t)n;
	if (vmod_prop_num(&srv->core.host, "Security/LogonTimeout", 1, 600, 30,
			  &n) < 0)
		return -EINVAL;
	srv->logon_timeout_ms = n * 1000;
	vnc_prop(srv, "VNC/Keymap", srv->keymap, sizeof(srv->keymap));
	if (!srv->keymap[0])
		snprintf(srv->keymap, sizeof(srv->keymap), "en-us");
	if (!vnc_keymap_known(srv->keymap)) {
		vnc_err(srv, "VNC/Keymap: unknown keymap '%s' (en-us, de, fr)",
			srv->keymap);
		return -EINVAL;
	}
	vnc_prop(srv, "VNC/WebRoot", path, sizeof(path));
	if (!path[0] && access(VNC_NOVNC_DIR "/core/rfb.js", R_OK) == 0)
		snprintf(path, sizeof(path), "%s", VNC_NOVNC_DIR);
	if (path[0] && access(path, R_OK | X_OK) < 0) {
		vnc_err(srv, "VNC/WebRoot '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (path[0] && !(srv->web_root = strdup(path)))
		return -ENOMEM;
	vnc_prop(srv, VRDE_HOST_PROP_MACHINE_NAME, srv->name,
		 sizeof(srv->name));
	if (!srv->name[0])
		snprintf(srv->name, sizeof(srv->name), "vireo");
	return 0;
}

static void vnc_destroy(struct vrde_server *vs);

static void
vnc_resize(struct vrde_server *vs, uint32_t screen)
{
	struct vnc_server *srv = (struct vnc_server *)vs;

	vmod_fb_resize(vmod_screen_fb(srv, screen));
	vnc_client_wake_screen(srv, screen);
}

static void
vnc_update(struct vrde_server *vs, uint32_t screen, const struct vrde_rect *r)
{
	struct vnc_server *srv = (struct vnc_server *)vs;

	if (srv->disable_display)
		return;
	vmod_fb_update(vmod_screen_fb(srv, screen), r);
	if (!r)
		vnc_client_wake_screen(srv, screen);
}

static const char *
vnc_enc_name(int32_t enc, int jpeg)
{
	switch (enc) {
	case VNC_ENC_HEXTILE:
		return "hextile";
	case VNC_ENC_ZRLE:
		return "zrle";
	case VNC_ENC_TIGHT:
		return jpeg ? "tight-jpeg" : "tight";
	default:
		return "raw";
	}
}

/* query_info's VNC-only codes (vmod_server.c answers the rest). */
static int
vnc_qi_client(struct vmod_client *vc, uint32_t code, void *buf, size_t size)
{
	struct vnc_client *c = vnc_client_of(vc);
	uint32_t u32;

	switch (code) {
	case VRDE_QI_CLIENT_VERSION:
		u32 = 3000 + (uint32_t)c->minor;
		return vmod_qi_copy(buf, size, &u32, sizeof(u32));
	case VRDE_QI_CODEC:
		return vmod_qi_str(buf, size,
				   vnc_enc_name(c->cfg.enc, c->cfg.jpeg));
	}
	return 0;
}

static const struct vrde_entry_points vnc_entry_points = {
    .hdr = {.version = VRDE_ABI_VERSION,
	    .size = sizeof(struct vrde_entry_points)},
    .destroy = vnc_destroy,
    .enable_connections = vmod_enable_connections,
    .disconnect = vmod_disconnect,
    .resize = vnc_resize,
    .update = vnc_update,
    .pointer_shape = vmod_pointer_shape,
    .pointer_hide = vmod_pointer_hide,
    .query_info = vmod_query_info,
};

/* What vireo_vrde_create() set up, undone (also after it failed half
 * way: each part's fini is a no-op for a part never set up). */
static void
vnc_server_free(struct vnc_server *srv)
{
	vnc_screen_fini(srv);
	vnc_tls_fini(srv);
	vnc_auth_fini(srv);
	free(srv->web_root);
	vmod_server_fini(&srv->core);
	free(srv);
}

static void
vnc_destroy(struct vrde_server *vs)
{
	struct vnc_server *srv = (struct vnc_server *)vs;

	if (!srv)
		return;
	vmod_server_stop(&srv->core);
	vnc_server_free(srv);
}

/* The one exported symbol (the module is built with hidden visibility). */
__attribute__((visibility("default"))) int
vireo_vrde_create(const struct vrde_host_callbacks *cb, void *ctx,
		  const struct vrde_entry_points **ep, struct vrde_server **out)
{
	struct vnc_server *srv;
	int rc;

	srv = vmod_server_new(cb, ctx, "vrde-vnc", sizeof(*srv), &rc);
	if (!srv)
		return rc;
	srv->core.kick = vnc_client_kick;
	srv->core.qi_client = vnc_qi_client;
	srv->core.wake_all = vnc_client_wake_all;
	rc = vnc_config(srv);
	if (rc == 0)
		rc = vnc_auth_config(srv);
	if (rc == 0)
		rc = vnc_tls_init(srv);
	if (rc == 0)
		rc = vnc_screen_init(srv);
	if (rc < 0) {
		vnc_server_free(srv);
		return rc;
	}
	vnc_listen_init(srv);
	*ep = &vnc_entry_points;
	*out = (struct vrde_server *)srv;
	return 0;
}
