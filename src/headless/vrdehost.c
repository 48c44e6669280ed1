/*
 * vrdehost.c - load a VRDE module, run its server, and feed it the VM's
 * screens (the display bridge between vmm_display_ops and vrde.h).
 *
 * The module is loaded by name from the module directory only (modpath.c)
 * and its tables are checked in both directions before anything else of
 * it is called.  Order: create, enable_connections(true), wait for the
 * port it listens on, then (once the VM runs) the screens.  Display calls
 * reach the module only for heads it "has": a head goes live with resize,
 * one full update and update(NULL), all while the head is locked, so the
 * module
 * never sees an update before connections are enabled nor a partial
 * screen.  Every display call into the module holds the head lock and
 * then disp_lock, which serialises them in order per head.
 */
#define LOG_TAG "vrde"
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "headless.h"
#include "log.h"
#include "modpath.h"

#define VRDEHOST_LISTEN_WAIT_S 15

/* Set the owner of @head while the calling thread holds its lock, so a
 * module calling screen_lock() from inside an update does not deadlock. */
static void
vrdehost_own(struct headless *hl, uint32_t head, bool own)
{
	hl->disp_owned[head] = own;
	if (own)
		hl->disp_owner[head] = pthread_self();
}

static bool
vrdehost_can_draw(struct headless *hl, uint32_t head)
{
	return head < VMM_MAX_HEADS && hl->server && hl->live[head] &&
	       !hl->disable_display;
}

/* Remember @head's width for the origins of the screens right of it.
 * Called with the head locked. */
static void
vrdehost_note_width(struct headless *hl, uint32_t head)
{
	struct vmm_head_info info;
	uint32_t w = 0;

	if (vmm_head_query(hl->vm, head, &info) == 0 && info.enabled)
		w = info.width;
	__atomic_store_n(&hl->head_width[head], w, __ATOMIC_RELEASE);
}

static void
vrdehost_on_resize(void *ctx, uint32_t head)
{
	struct headless *hl = ctx;

	if (head >= hl->heads)
		return;
	vmm_head_lock(hl->vm, head);
	vrdehost_note_width(hl, head);
	pthread_mutex_lock(&hl->disp_lock);
	vrdehost_own(hl, head, true);
	if (head < VMM_MAX_HEADS && hl->server && hl->live[head])
		hl->server->ep->resize(hl->server->srv, head);
	vrdehost_own(hl, head, false);
	pthread_mutex_unlock(&hl->disp_lock);
	vmm_head_unlock(hl->vm, head);
}

/* Called with the head locked by the VMM. */
static void
vrdehost_on_update(void *ctx, uint32_t head, const struct vmm_rect *r)
{
	struct headless *hl = ctx;
	struct vrde_rect rect = {r->x, r->y, r->w, r->h};

	pthread_mutex_lock(&hl->disp_lock);
	vrdehost_own(hl, head, true);
	if (vrdehost_can_draw(hl, head))
		hl->server->ep->update(hl->server->srv, head, &rect);
	vrdehost_own(hl, head, false);
	pthread_mutex_unlock(&hl->disp_lock);
}

static void
vrdehost_on_update_complete(void *ctx, uint32_t head)
{
	struct headless *hl = ctx;

	pthread_mutex_lock(&hl->disp_lock);
	vrdehost_own(hl, head, true);
	if (vrdehost_can_draw(hl, head))
		hl->server->ep->update(hl->server->srv, head, NULL);
	vrdehost_own(hl, head, false);
	pthread_mutex_unlock(&hl->disp_lock);
}

static void
vrdehost_on_stopped(void *ctx, enum vmm_exit_reason why)
{
	struct headless *hl = ctx;
	uint64_t one = 1;

	hl->stop_reason = why;
	if (write(hl->stop_fd, &one, sizeof(one)) < 0)
		log_warn("cannot signal the main loop: %s", strerror(errno));
}

const struct vmm_display_ops vrdehost_display_ops = {
    .resize = vrdehost_on_resize,
    .update = vrdehost_on_update,
    .update_complete = vrdehost_on_update_complete,
    .stopped = vrdehost_on_stopped,
};

/* Hand @head to the module: resize, the whole screen, refresh complete. */
static void
vrdehost_go_live(struct headless *hl, uint32_t head)
{
	struct vmm_head_info info;

	vmm_head_lock(hl->vm, head);
	vrdehost_note_width(hl, head);
	pthread_mutex_lock(&hl->disp_lock);
	vrdehost_own(hl, head, true);
	if (hl->server) {
		hl->live[head] = true;
		hl->server->ep->resize(hl->server->srv, head);
		if (!hl->disable_display &&
		    vmm_head_query(hl->vm, head, &info) == 0 && info.enabled &&
		    info.width && info.height) {
			struct vrde_rect all = {0, 0, info.width, info.height};

			hl->server->ep->update(hl->server->srv, head, &all);
			hl->server->ep->update(hl->server->srv, head, NULL);
		}
	}
	vrdehost_own(hl, head, false);
	pthread_mutex_unlock(&hl->disp_lock);
	vmm_head_unlock(hl->vm, head);
}

/* The module's table: a version this vireo reads (VRDE_ABI_VERSION_MIN
 * up to its own), at least that version's size, the entry points every
 * version has.  Sets s->usb: version 2 or more, long enough for the
 * usb_* members, none of them NULL. */
static int
vrdehost_check_ep(struct headless_server *s, char *errbuf, size_t size)
{
	const struct vrde_entry_points *ep = s->ep;
	size_t need = 0;

	if (ep && ep->hdr.version >= VRDE_ABI_VERSION_MIN &&
	    ep->hdr.version <= VRDE_ABI_VERSION)
		need = ep->hdr.version == 1 ? VRDE_ENTRY_POINTS_SIZE_V1
					    : sizeof(*ep);
	if (!need || ep->hdr.size < need) {
		snprintf(errbuf, size,
			 "VRDE module has entry points of version %u size %u; "
			 "this vireo needs version %u to %u, size %zu for "
			 "version 1, %zu for version %u",
			 ep ? ep->hdr.version : 0, ep ? ep->hdr.size : 0,
			 VRDE_ABI_VERSION_MIN, VRDE_ABI_VERSION,
			 (size_t)VRDE_ENTRY_POINTS_SIZE_V1, sizeof(*ep),
			 VRDE_ABI_VERSION);
		return -EPROTO;
	}
	if (!ep->destroy || !ep->enable_connections || !ep->disconnect ||
	    !ep->resize || !ep->update) {
		snprintf(errbuf, size,
			 "VRDE module lacks required entry "
			 "points");
		return -EPROTO;
	}
	s->usb = ep->hdr.version >= 2 && s->cb_version >= 2 &&
		 ep->hdr.size >= sizeof(*ep) && ep->usb_submit &&
		 ep->usb_cancel && ep->usb_reset && ep->usb_release;
	return 0;
}

/* create() with our table, and again with its version-1 part when the
 * module refuses it with -EPROTO: a module built before remote USB. */
static int
vrdehost_create(struct headless_server *s, vrde_create_fn create,
		const char *name)
{
	int rc;

	s->cb_version = VRDE_ABI_VERSION;
	rc = create(&headless_callbacks, s, &s->ep, &s->srv);
	if (rc != -EPROTO)
		return rc;
	log_info("VRDE module '%s' refused the version %u host table; "
		 "trying version 1",
		 name, VRDE_ABI_VERSION);
	/* its complaint about our version is not the reason to report */
	pthread_mutex_lock(&s->port_lock);
	s->first_err[0] = '\0';
	pthread_mutex_unlock(&s->port_lock);
	s->cb_version = 1;
	s->ep = NULL;
	s->srv = NULL;
	return create(&headless_callbacks_v1, s, &s->ep, &s->srv);
}

/* "@what: <why>", why being the module's first error line, else
 * @otherwise, else strerror(-@rc). */
static void
vrdehost_reason(struct headless_server *s, int rc, const char *what,
		const char *otherwise, char *errbuf, size_t size)
{
	pthread_mutex_lock(&s->port_lock);
	snprintf(errbuf, size, "%s: %s", what,
		 s->first_err[0] ? s->first_err
				 : (otherwise ? otherwise : strerror(-rc)));
	pthread_mutex_unlock(&s->port_lock);
}

static int
vrdehost_load(struct headless_server *s, const char *name, char *errbuf,
	      size_t size)
{
	char path[4096];
	vrde_create_fn create;
	int rc = modpath_resolve("vrde", name, path, sizeof(path));

	if (rc < 0) {
		snprintf(errbuf, size, "bad VRDE module name '%s'", name);
		return rc;
	}
	s->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!s->dl) {
		snprintf(errbuf, size, "cannot load VRDE module '%s': %s", name,
			 dlerror());
		return -ENOENT;
	}
	create = (vrde_create_fn)dlsym(s->dl, VRDE_CREATE_SYMBOL);
	if (!create) {
		snprintf(errbuf, size, "%s does not export %s", path,
			 VRDE_CREATE_SYMBOL);
		return -ENOEXEC;
	}
	rc = vrdehost_create(s, create, name);
	if (rc < 0) {
		char what[300];

		/* the module's own error line names the bad property */
		snprintf(what, sizeof(what),
			 "VRDE module '%s' refused to start", name);
		vrdehost_reason(s, rc, what, NULL, errbuf, size);
		s->ep = NULL;
		return rc;
	}
	rc = vrdehost_check_ep(s, errbuf, size);
	if (rc < 0) {
		/* nothing of a module we do not understand is called, not
		 * even destroy: its table may not mean what we think */
		s->ep = NULL;
		s->srv = NULL;
		return rc;
	}
	log_info("loaded VRDE module %s (host table version %u, entry points "
		 "version %u)",
		 path, s->cb_version, s->ep->hdr.version);
	if (!s->usb)
		log_info("remote USB is unavailable with VRDE module '%s': "
			 "it has no USB entry points (ABI version %u)",
			 name, s->ep->hdr.version);
	return 0;
}

/* Wait for the module's listening() report.  @return the port or 0. */
static uint32_t
vrdehost_wait_port(struct headless_server *s)
{
	struct timespec until;
	uint32_t port = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += VRDEHOST_LISTEN_WAIT_S;
	pthread_mutex_lock(&s->port_lock);
	while (!s->port_known) {
		if (pthread_cond_timedwait(&s->port_cond, &s->port_lock,
					   &until) == ETIMEDOUT)
			break;
	}
	if (s->port_known)
		port = s->port;
	pthread_mutex_unlock(&s->port_lock);
	return port;
}

static void
vrdehost_free(struct headless_server *s)
{
	/* A module that failed or whose table we refused is left loaded:
	 * nothing tells us its threads are gone. */
	if (s->ep && s->srv) {
		s->ep->destroy(s->srv);
#ifndef VIREO_SANITIZERS /* leak reports name a loaded module's code */
		dlclose(s->dl);
#endif
	}
	pthread_cond_destroy(&s->port_cond);
	pthread_mutex_destroy(&s->port_lock);
	free(s);
}

int
vrdehost_start(struct headless *hl, char *errbuf, size_t size)
{
	struct headless_server *s = calloc(1, sizeof(*s));
	const char *name;
	uint32_t port;
	int rc;

	if (!s)
		return -ENOMEM;
	/* the VM's VRDEExtPack, else setproperty vrdeextpack, else RDP;
	 * VirtualBox's pack names ("VNC", ...) name vireo's modules */
	name = settings_vrde_module(settings_vrde_ext_pack(
	    hl->m, hl->reg ? settings_registry_vrde_ext_pack(hl->reg) : NULL));
	hl->vrde_module = name;
	s->hl = hl;
	pthread_mutex_init(&s->port_lock, NULL);
	pthread_cond_init(&s->port_cond, NULL);
	hl->disable_display =
	    hl_machine_feature_disabled(hl, "Client/DisableDisplay");
	hl->disable_input =
	    hl_machine_feature_disabled(hl, "Client/DisableInput");
	hl->disable_usb = hl_machine_feature_disabled(hl, "Client/DisableUSB");
	rc = hl->usb ? 0 : hl_usb_init(hl);
	if (rc < 0) {
		snprintf(errbuf, size, "remote USB: %s", strerror(-rc));
		vrdehost_free(s);
		return rc;
	}
	rc = vrdehost_load(s, name, errbuf, size);
	if (rc < 0) {
		vrdehost_free(s);
		return rc;
	}
	/* Modules may listen as soon as they are created or only once
	 * connections are enabled; either way the port is known before the
	 * VM runs, so a busy port stops us early.  Screens follow only after
	 * the VM started (vrdehost_enable). */
	rc = s->ep->enable_connections(s->srv, true);
	port = rc < 0 ? 0 : vrdehost_wait_port(s);
	pthread_mutex_lock(&hl->lock);
	hl->vrde_port = (int32_t)port;
	pthread_mutex_unlock(&hl->lock);
	if (!port) {
		char late[128];

		/* listening(0) reported, or nothing at all in time */
		pthread_mutex_lock(&s->port_lock);
		if (rc == 0)
			rc = s->port_known ? -EADDRINUSE : -ETIMEDOUT;
		pthread_mutex_unlock(&s->port_lock);
		snprintf(late, sizeof(late),
			 "the module reported no listening port within %d s",
			 VRDEHOST_LISTEN_WAIT_S);
		/* the module's line says which port and address, and why */
		vrdehost_reason(s, rc, "VRDE server failed to start",
				rc == -ETIMEDOUT ? late : NULL, errbuf, size);
		vrdehost_free(s);
		return rc;
	}
	printf("VRDE server is listening on port %u.\n", port);
	fflush(stdout);
	log_info("VRDE server is listening on port %u", port);
	pthread_mutex_lock(&hl->disp_lock);
	hl->server = s;
	pthread_mutex_unlock(&hl->disp_lock);
	return 0;
}

int
vrdehost_enable(struct headless *hl)
{
	if (!hl->server)
		return -ENODEV;
	for (uint32_t h = 0; h < hl->heads; h++)
		vrdehost_go_live(hl, h);
	return 0;
}

void
vrdehost_stop(struct headless *hl)
{
	struct headless_server *s;

	pthread_mutex_lock(&hl->disp_lock);
	s = hl->server;
	hl->server = NULL;
	memset(hl->live, 0, sizeof(hl->live));
	pthread_mutex_unlock(&hl->disp_lock);
	if (!s)
		return;
	/* the VM stops or the server goes: its devices go back */
	hl_usb_server_stop(hl, s);
	/* destroy() disconnects every client; their client_disconnect
	 * callbacks find the server gone from hl and only update tables */
	vrdehost_free(s);
	pthread_mutex_lock(&hl->lock);
	hl->vrde_port = -1;
	for (int i = 0; i < HEADLESS_MAX_CLIENTS; i++)
		hl->clients[i].used = false;
	pthread_mutex_unlock(&hl->lock);
	printf("VRDE server is inactive.\n");
	fflush(stdout);
	log_info("VRDE server stopped");
}

void
vrdehost_disconnect(struct headless_server *s, uint32_t client_id)
{
	s->ep->disconnect(s->srv, client_id, false);
}

int
vrdehost_query(struct headless *hl, uint32_t client_id, uint32_t code,
	       void *buf, size_t size)
{
	struct headless_server *s = hl->server;

	if (!s || !s->ep->query_info)
		return 0;
	return s->ep->query_info(s->srv, client_id, code, buf, size);
}
