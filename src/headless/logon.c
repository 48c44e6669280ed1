/*
 * logon.c - judging a client's logon: throttle, authenticate, apply the
 * connection policy (VirtualBox's order: the policy is applied only after
 * authentication succeeded, so a failed logon never evicts anyone).
 *
 * authType Null grants without a library; External runs the auth library
 * in vireo-authd with a time limit; Guest needs guest additions vireo does
 * not have, so it is refused with a message saying so.
 */
#define LOG_TAG "auth"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/vireo-auth.h"
#include "authcall.h"
#include "headless.h"
#include "log.h"
#include "modpath.h"

#define LOGON_LOGOFF_TIMEOUT_MS 1000

static int
logon_timeout_ms(struct headless *hl)
{
	uint32_t t = hl->m->vrde.auth_timeout_ms;

	return t ? (int)(t > 600000 ? 600000 : t) : 5000;
}

static struct headless_client *
logon_find(struct headless *hl, uint32_t id)
{
	for (int i = 0; i < HEADLESS_MAX_CLIENTS; i++) {
		if (hl->clients[i].used && hl->clients[i].id == id)
			return &hl->clients[i];
	}
	return NULL;
}

/* Remember a client that asks to log on.  Caller holds hl->lock. */
static struct headless_client *
logon_track(struct headless *hl, const struct vrde_logon *l)
{
	struct headless_client *c = logon_find(hl, l->client_id);

	for (int i = 0; !c && i < HEADLESS_MAX_CLIENTS; i++) {
		if (!hl->clients[i].used)
			c = &hl->clients[i];
	}
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->id = l->client_id;
	c->screen = l->screen;
	snprintf(c->user, sizeof(c->user), "%s", l->user ? l->user : "");
	snprintf(c->domain, sizeof(c->domain), "%s",
		 l->domain ? l->domain : "");
	snprintf(c->address, sizeof(c->address), "%s",
		 l->address ? l->address : "");
	c->since = time(NULL);
	return c;
}

static int
logon_library_path(struct headless *hl, char *path, size_t size)
{
	const char *name = machine_auth_library(hl);
	int rc = modpath_resolve("auth", name, path, size);

	if (rc < 0)
		log_err("bad auth library name '%s'", name);
	return rc;
}

/* @return true when the credentials are good. */
static bool
logon_authenticate(struct headless *hl, const struct vrde_logon *l)
{
	char path[4096];
	struct authcall_req req = {
	    .library = path,
	    .vm_uuid = hl->m->uuid,
	    .user = l->user,
	    .password = l->password,
	    .domain = l->domain,
	    .logon = 1,
	    .client_id = l->client_id,
	};
	int result = VIREO_AUTH_DENIED;
	int rc;

	switch (hl->m->vrde.auth_type) {
	case SETTINGS_AUTH_NULL:
		return true;
	case SETTINGS_AUTH_GUEST:
		log_err("authType Guest needs guest additions, which vireo "
			"does not have; denying (use Null or External)");
		return false;
	default:
		break;
	}
	if (logon_library_path(hl, path, sizeof(path)) < 0)
		return false;
	rc = authcall_entry(&req, machine_get_extradata, hl,
			    logon_timeout_ms(hl), &result);
	if (rc < 0) {
		log_warn("auth library %s failed (%s); denying", path,
			 strerror(-rc));
		return false;
	}
	return result == VIREO_AUTH_GRANTED;
}

/* Delay a logon from an address with recent failures. */
static void
logon_throttle(struct headless *hl, const char *address)
{
	unsigned failures;
	unsigned delay;

	pthread_mutex_lock(&hl->lock);
	delay = throttle_delay_ms(&hl->throttle, address, headless_now_ms(),
				  &failures);
	pthread_mutex_unlock(&hl->lock);
	if (!delay)
		return;
	log_warn("%u failed logons from %s; delaying this one by %u ms",
		 failures, address, delay);
	usleep(delay * 1000u);
}

/* Apply the connection policy to granted client @id.  Fills @evict with
 * the clients to disconnect.  @return 0 or -EBUSY. */
static int
logon_policy(struct headless *hl, uint32_t id, uint32_t *evict, int *n_evict)
{
	unsigned others = 0;
	enum policy_verdict v;
	struct headless_client *c;

	*n_evict = 0;
	pthread_mutex_lock(&hl->lock);
	for (int i = 0; i < HEADLESS_MAX_CLIENTS; i++) {
		if (hl->clients[i].used && hl->clients[i].granted &&
		    hl->clients[i].id != id)
			evict[others++] = hl->clients[i].id;
	}
	v = policy_decide(hl->m->vrde.allow_multi_connection,
			  hl->m->vrde.reuse_single_connection, others);
	c = logon_find(hl, id);
	if (v != POLICY_REFUSE && c) {
		c->granted = true;
		hl->clients_so_far++;
	}
	if (v == POLICY_REPLACE)
		*n_evict = (int)others;
	pthread_mutex_unlock(&hl->lock);
	return v == POLICY_REFUSE || !c ? -EBUSY : 0;
}

/* A refused client is forgotten at once: modules report its disconnect,
 * but nothing else about it matters any more. */
static void
logon_untrack(struct headless *hl, uint32_t id)
{
	struct headless_client *c;

	pthread_mutex_lock(&hl->lock);
	c = logon_find(hl, id);
	if (c && !c->granted)
		c->used = false;
	pthread_mutex_unlock(&hl->lock);
}

int
logon_client(struct headless_server *s, const struct vrde_logon *l)
{
	struct headless *hl = s->hl;
	uint32_t evict[HEADLESS_MAX_CLIENTS];
	const char *addr = l->address && l->address[0] ? l->address : "?";
	const char *user = l->user ? l->user : "";
	int n_evict;
	bool ok;

	if (l->screen >= hl->heads) {
		log_warn("client %u from %s asks for screen %u of %u; refused",
			 l->client_id, addr, l->screen + 1, hl->heads);
		return -ERANGE;
	}
	pthread_mutex_lock(&hl->lock);
	ok = logon_track(hl, l) != NULL;
	pthread_mutex_unlock(&hl->lock);
	if (!ok) {
		log_warn("too many clients; refusing client %u from %s",
			 l->client_id, addr);
		return -EBUSY;
	}
	logon_throttle(hl, addr);
	if (!logon_authenticate(hl, l)) {
		unsigned n;

		pthread_mutex_lock(&hl->lock);
		n = throttle_fail(&hl->throttle, addr, headless_now_ms());
		pthread_mutex_unlock(&hl->lock);
		log_warn("logon of user '%s' from %s denied (failure %u from "
			 "this address)",
			 user, addr, n);
		logon_untrack(hl, l->client_id);
		return -EACCES;
	}
	pthread_mutex_lock(&hl->lock);
	throttle_success(&hl->throttle, addr);
	pthread_mutex_unlock(&hl->lock);
	if (logon_policy(hl, l->client_id, evict, &n_evict) < 0) {
		log_warn("client %u ('%s' from %s) refused: another client is "
			 "connected and allowMultiConnection is off",
			 l->client_id, user, addr);
		logon_untrack(hl, l->client_id);
		return -EBUSY;
	}
	for (int i = 0; i < n_evict; i++) {
		log_info("client %u replaces client %u "
			 "(reuseSingleConnection)",
			 l->client_id, evict[i]);
		vrdehost_disconnect(s, evict[i]);
	}
	log_info("logon of user '%s' from %s granted (client %u, screen %u)",
		 user, addr, l->client_id, l->screen);
	return 0;
}

void
logon_client_left(struct headless *hl, uint32_t client_id)
{
	struct headless_client *c;
	struct headless_client copy = {0};

	pthread_mutex_lock(&hl->lock);
	c = logon_find(hl, client_id);
	if (c) {
		copy = *c;
		c->used = false;
	}
	pthread_mutex_unlock(&hl->lock);
	if (!c)
		return;
	log_info("client %u (%s@%s) disconnected", client_id, copy.user,
		 copy.address);
	/* tell the library the client left, as VirtualBox does */
	if (copy.granted && hl->m->vrde.auth_type == SETTINGS_AUTH_EXTERNAL) {
		char path[4096];
		struct authcall_req req = {
		    .library = path,
		    .vm_uuid = hl->m->uuid,
		    .logon = 0,
		    .client_id = client_id,
		};
		int result;

		if (logon_library_path(hl, path, sizeof(path)) == 0)
			authcall_entry(&req, machine_get_extradata, hl,
				       LOGON_LOGOFF_TIMEOUT_MS, &result);
	}
}

int
logon_nt_hash(struct headless *hl, const char *user, const char *domain,
	      uint8_t hash[16])
{
	char path[4096];
	struct authcall_req req = {
	    .library = path,
	    .vm_uuid = hl->m->uuid,
	    .user = user,
	    .domain = domain,
	    .logon = 1,
	};

	if (hl->m->vrde.auth_type != SETTINGS_AUTH_EXTERNAL ||
	    logon_library_path(hl, path, sizeof(path)) < 0)
		return -ENOENT;
	return authcall_nt_hash(&req, machine_get_extradata, hl,
				logon_timeout_ms(hl), hash) == 0
		   ? 0
		   : -ENOENT;
}

void
logon_probe_nt_hashes(struct headless *hl)
{
	char path[4096];
	struct authcall_req req = {.library = path, .vm_uuid = hl->m->uuid};
	int result = 0;

	hl->nt_hashes = 0;
	if (hl->m->vrde.auth_type != SETTINGS_AUTH_EXTERNAL ||
	    logon_library_path(hl, path, sizeof(path)) < 0)
		return;
	if (authcall_probe(&req, logon_timeout_ms(hl), &result) == 0)
		hl->nt_hashes = result == 1;
	log_info("auth library %s %s NT hashes (NLA %s)", path,
		 hl->nt_hashes ? "supplies" : "does not supply",
		 hl->nt_hashes ? "possible" : "off");
}
