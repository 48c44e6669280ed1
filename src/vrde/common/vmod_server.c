/*
 * vmod_server.c - what a module's server does the same whatever its
 * protocol: the list of clients, the threads that serve them (joined,
 * never detached, so that destroy() returns only when no thread can
 * still run module code: the host unloads the module right after), and
 * the entry points that only walk that list.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmod.h"

/* vrde.h "Versions": a host table of version 1 (no remote USB) or up
 * to ours, at least as long as that version's table. */
bool
vmod_host_table_ok(const struct vrde_host_callbacks *cb)
{
	if (!cb || cb->hdr.version < VRDE_ABI_VERSION_MIN ||
	    cb->hdr.version > VRDE_ABI_VERSION)
		return false;
	return cb->hdr.size >= (cb->hdr.version == 1
				    ? VRDE_HOST_CB_SIZE_V1
				    : sizeof(struct vrde_host_callbacks));
}

bool
vmod_host_usb(const struct vmod_host *h)
{
	const struct vrde_host_callbacks *cb = h->cb;

	return cb && cb->hdr.version >= 2 &&
	       cb->hdr.size >= sizeof(struct vrde_host_callbacks) &&
	       cb->usb_device_added && cb->usb_device_removed &&
	       cb->usb_complete;
}

void *
vmod_server_new(const struct vrde_host_callbacks *cb, void *ctx,
		const char *name, size_t size, int *rc)
{
	struct vmod_server *s;

	*rc = -EPROTO;
	if (!vmod_host_table_ok(cb))
		return NULL;
	*rc = -ENOMEM;
	s = calloc(1, size);
	if (!s)
		return NULL;
	*rc = 0;
	s->host = (struct vmod_host){cb, ctx, name};
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->listen.host = &s->host;
	s->listen.enabled = &s->enabled;
	s->listen.arg = s;
	return s;
}

void
vmod_server_fini(struct vmod_server *s)
{
	vmod_cert_fini(&s->cert);
	free(s->pointer.argb);
	s->pointer.argb = NULL;
	free(s->finished);
	s->finished = NULL;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
}

static void
vmod_kick_all(struct vmod_server *s)
{
	for (struct vmod_client *vc = s->clients; vc; vc = vc->next)
		s->kick(vc);
}

int
vmod_enable_connections(struct vrde_server *vs, bool enable)
{
	struct vmod_server *s = (struct vmod_server *)vs;
	int rc;

	if (enable && !s->listen.started) {
		rc = vmod_listener_start(&s->listen, s->grants_all,
					 s->grants_why);
		if (rc < 0)
			return rc;
	}
	atomic_store(&s->enabled, enable);
	if (enable)
		return 0;
	if (s->drop_pending)
		s->drop_pending(s);
	pthread_mutex_lock(&s->lock);
	vmod_kick_all(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void
vmod_disconnect(struct vrde_server *vs, uint32_t id, bool reconnect)
{
	struct vmod_server *s = (struct vmod_server *)vs;

	(void)reconnect;
	pthread_mutex_lock(&s->lock);
	for (struct vmod_client *vc = s->clients; vc; vc = vc->next)
		if (vc->id == id)
			s->kick(vc);
	pthread_mutex_unlock(&s->lock);
}

static int
vmod_qi_client(struct vmod_server *s, struct vmod_client *vc, uint32_t code,
	       void *buf, size_t size)
{
	uint64_t u64;
	int64_t i64;
	uint32_t u32;

	switch (code) {
	case VRDE_QI_BEGIN_TIME:
		i64 = vc->begin_ms;
		return vmod_qi_copy(buf, size, &i64, sizeof(i64));
	case VRDE_QI_BYTES_SENT:
		u64 = atomic_load(&vc->bytes_sent);
		return vmod_qi_copy(buf, size, &u64, sizeof(u64));
	case VRDE_QI_BYTES_RECEIVED:
		u64 = atomic_load(&vc->bytes_received);
		return vmod_qi_copy(buf, size, &u64, sizeof(u64));
	case VRDE_QI_USER:
		return vmod_qi_str(buf, size, vc->user);
	case VRDE_QI_CLIENT_IP:
		return vmod_qi_str(buf, size, vc->address);
	case VRDE_QI_ENCRYPTION:
		return vmod_qi_str(buf, size, vc->security);
	case VRDE_QI_SCREEN:
		u32 = vc->screen;
		return vmod_qi_copy(buf, size, &u32, sizeof(u32));
	}
	return s->qi_client(vc, code, buf, size);
}

static int
vmod_qi_server(struct vmod_server *s, uint32_t client_id, uint32_t code,
	       void *buf, size_t size)
{
	struct vmod_client *vc;
	uint32_t u32 = 0, ids[256];
	int32_t i32;
	size_t n = 0;

	switch (code) {
	case VRDE_QI_ACTIVE:
		for (vc = s->clients; vc; vc = vc->next)
			u32 += vc->connected;
		return vmod_qi_copy(buf, size, &u32, sizeof(u32));
	case VRDE_QI_NUMBER_OF_CLIENTS:
		return vmod_qi_copy(buf, size, &s->total_clients,
				    sizeof(uint32_t));
	case VRDE_QI_PORT:
		i32 = s->listen.port;
		return vmod_qi_copy(buf, size, &i32, sizeof(i32));
	case VRDE_QI_CLIENT_IDS:
		for (vc = s->clients; vc && n < 256; vc = vc->next)
			if (vc->connected)
				ids[n++] = vc->id;
		return vmod_qi_copy(buf, size, ids, n * sizeof(uint32_t));
	case VRDE_QI_CERT_FINGERPRINT:
		return vmod_qi_str(buf, size, s->cert.fingerprint);
	}
	/* a client's, once its session is up */
	for (vc = s->clients; vc; vc = vc->next)
		if (vc->id == client_id && vc->connected)
			return vmod_qi_client(s, vc, code, buf, size);
	return 0;
}

int
vmod_query_info(struct vrde_server *vs, uint32_t client_id, uint32_t code,
		void *buf, size_t size)
{
	struct vmod_server *s = (struct vmod_server *)vs;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = vmod_qi_server(s, client_id, code, buf, size);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void
vmod_pointer_shape(struct vrde_server *vs, const struct vrde_pointer_shape *sh)
{
	struct vmod_server *s = (struct vmod_server *)vs;
	struct vmod_pointer *p = &s->pointer;
	uint32_t *copy;
	size_t n;

	if (!sh || !sh->argb || !sh->width || !sh->height || sh->width > 256 ||
	    sh->height > 256)
		return;
	n = (size_t)sh->width * sh->height;
	copy = malloc(n * 4);
	if (!copy)
		return;
	memcpy(copy, sh->argb, n * 4);
	pthread_mutex_lock(&s->lock);
	free(p->argb);
	p->argb = copy;
	p->width = sh->width;
	p->height = sh->height;
	p->hot_x = sh->hot_x < sh->width ? sh->hot_x : 0;
	p->hot_y = sh->hot_y < sh->height ? sh->hot_y : 0;
	p->hidden = false;
	p->gen++;
	pthread_mutex_unlock(&s->lock);
	s->wake_all(s);
}

void
vmod_pointer_hide(struct vrde_server *vs)
{
	struct vmod_server *s = (struct vmod_server *)vs;

	pthread_mutex_lock(&s->lock);
	s->pointer.hidden = true;
	s->pointer.gen++;
	pthread_mutex_unlock(&s->lock);
	s->wake_all(s);
}

void
vmod_server_stop(struct vmod_server *s)
{
	atomic_store(&s->enabled, false);
	vmod_listener_stop(&s->listen);
	/* A client thread that has not registered yet sees "stopping" and
	 * leaves at once; threads still in a handshake may be blocked in
	 * reads the module has to shut down. */
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_mutex_unlock(&s->lock);
	if (s->drop_pending)
		s->drop_pending(s);
	pthread_mutex_lock(&s->lock);
	while (s->nthreads > 0) {
		vmod_kick_all(s);
		pthread_cond_wait(&s->cond, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	vmod_reap(s);
}

void
vmod_client_add(struct vmod_server *s, struct vmod_client *vc)
{
	vc->id = ++s->next_id;
	vc->next = s->clients;
	s->clients = vc;
}

void
vmod_client_remove(struct vmod_server *s, struct vmod_client *vc)
{
	for (struct vmod_client **pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == vc) {
			*pp = vc->next;
			return;
		}
}

void
vmod_thread_done(struct vmod_server *s)
{
	pthread_t *grown;

	pthread_mutex_lock(&s->lock);
	if (s->nfinished == s->finished_cap) {
		size_t cap = s->finished_cap ? s->finished_cap * 2 : 16;

		grown = realloc(s->finished, cap * sizeof(*grown));
		if (grown) {
			s->finished = grown;
			s->finished_cap = cap;
		}
	}
	if (s->nfinished < s->finished_cap)
		s->finished[s->nfinished++] = pthread_self();
	else
		pthread_detach(pthread_self()); /* out of memory: best effort */
	s->nthreads--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void
vmod_reap(struct vmod_server *s)
{
	pthread_t t[64];
	size_t n;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = s->nfinished < 64 ? s->nfinished : 64;
		s->nfinished -= n;
		if (n) /* finished is NULL until a thread ends */
			memcpy(t, s->finished + s->nfinished, n * sizeof(*t));
		pthread_mutex_unlock(&s->lock);
		if (!n)
			return;
		for (size_t i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	}
}
