/*
 * logon.c - judging a client's logon: throttle, authenticate, apply the
 * connection policy (VirtualBox's order: the policy is applied only after
 * authentication succeeded, so a failed logon never evicts anyone).
 *
 * Every attempt, over TLS, standard RDP security or NLA, passes the same
 * gate first: attempts from one source (policy.h) are judged one at a
 * time, each after the source's delay, and only a client that passed
 * authentication takes one of the HEADLESS_MAX_CLIENTS slots, so failing
 * clients can neither fill the table nor share one delay between them.
 * NLA attempts are judged in two halves: logon_nla_begin() before the NT
 * hash is handed out, logon_nla_result() once the proof was checked.
 * VNC authentication (security "VNC") uses the same two halves: the VNC
 * module checks the challenge response against the VM's VNC password
 * itself, so there is no hash to hand out and no library to ask; a
 * verified client then logs on with security "VNC" and no password, and
 * only the connection policy is applied.  The browser console's logon
 * (security "Token") carries a token this process issued
 * (logon_console_token) instead of a password: good once, for a minute.
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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "auth/vireo-auth.h"
#include "authcall.h"
#include "authproto.h"
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

struct headless_client *
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
	const char *name = hl_machine_auth_library(hl);
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
	rc = authcall_entry(&req, hl_machine_get_extradata, hl,
			    logon_timeout_ms(hl), &result);
	if (rc < 0) {
		log_warn("auth library %s failed (%s); denying", path,
			 strerror(-rc));
		return false;
	}
	return result == VIREO_AUTH_GRANTED;
}

/* How long an attempt may wait for the earlier ones from its source:
 * their delay and their library call. */
static long
logon_queue_ms(struct headless *hl)
{
	return THROTTLE_MAX_MS + logon_timeout_ms(hl) + 1000;
}

/* Begin an attempt from @addr: wait while another one from the same
 * source is being judged, then sleep the source's delay.  @return its
 * throttle slot, or NULL when the wait was too long (refuse). */
static struct throttle_slot *
logon_gate(struct headless *hl, const char *addr)
{
	char key[THROTTLE_KEY_MAX];
	struct throttle_slot *slot;
	struct timespec until;
	unsigned delay = 0, failures = 0;
	long ms = logon_queue_ms(hl);
	int rc = 0;

	throttle_key(addr, key, sizeof(key));
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	pthread_mutex_lock(&hl->lock);
	while (!(slot = throttle_begin(&hl->throttle, key, headless_now_ms(),
				       &delay, &failures)) &&
	       rc == 0)
		rc = pthread_cond_timedwait(&hl->throttle_cond, &hl->lock,
					    &until);
	pthread_mutex_unlock(&hl->lock);
	if (!slot) {
		log_warn("logon from %s refused: earlier attempts from %s "
			 "were still being judged after %ld ms",
			 addr, key, ms);
		return NULL;
	}
	if (delay) {
		log_warn("%u failed logons from %s; delaying this one by %u ms",
			 failures,
			 slot->key[0] ? slot->key : "overflowing sources",
			 delay);
		usleep(delay * 1000u);
	}
	return slot;
}

/* End the attempt on @slot.  @return the source's failures now. */
static unsigned
logon_ungate(struct headless *hl, struct throttle_slot *slot, bool ok)
{
	unsigned n;

	pthread_mutex_lock(&hl->lock);
	n = throttle_end(&hl->throttle, slot, ok, headless_now_ms());
	pthread_cond_broadcast(&hl->throttle_cond);
	pthread_mutex_unlock(&hl->lock);
	return n;
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

static bool
logon_is_vnc(const struct vrde_logon *l)
{
	return l->security && !strcmp(l->security, "VNC");
}

/* Remember (@set) or take the verified VNC response of client @id.
 * @return whether it was there (take) or could be stored (set). */
static bool
logon_vnc_verified(struct headless *hl, uint32_t id, bool set)
{
	bool ok = false;

	pthread_mutex_lock(&hl->lock);
	for (int i = 0; i < HEADLESS_MAX_CLIENTS && !ok; i++) {
		if (set && !hl->vnc_verified[i]) {
			hl->vnc_verified[i] = id;
			ok = true;
		} else if (!set && id && hl->vnc_verified[i] == id) {
			hl->vnc_verified[i] = 0;
			ok = true;
		}
	}
	pthread_mutex_unlock(&hl->lock);
	return ok;
}

/* A VNC logon: granted by the module's verified response (counted by
 * logon_nla_result), never by a password.  @return 0 or -EACCES. */
static int
logon_vnc(struct headless *hl, const struct vrde_logon *l, const char *addr)
{
	if (!l->password && logon_vnc_verified(hl, l->client_id, false))
		return 0;
	log_warn("VNC logon of client %u from %s without a verified "
		 "response; denied",
		 l->client_id, addr);
	return -EACCES;
}

int
logon_console_token(struct headless *hl, char *out, size_t size)
{
	uint8_t b[LOGON_TOKEN_LEN / 2];
	char tok[LOGON_TOKEN_LEN + 1];

	if (size <= LOGON_TOKEN_LEN)
		return -ENOSPC;
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(tok + 2 * i, 3, "%02x", b[i]);
	pthread_mutex_lock(&hl->lock);
	memcpy(hl->console_token, tok, sizeof(tok));
	hl->console_token_until = headless_now_ms() + LOGON_TOKEN_TTL_MS;
	pthread_mutex_unlock(&hl->lock);
	memcpy(out, tok, sizeof(tok));
	return 0;
}

/* Take the console token if @tok is it and it has not expired: it is
 * good once.  Compared in constant time. */
static bool
logon_token_take(struct headless *hl, const char *tok)
{
	unsigned diff = 0;
	bool ok;

	if (!tok || strlen(tok) != LOGON_TOKEN_LEN)
		return false;
	pthread_mutex_lock(&hl->lock);
	for (size_t i = 0; i < LOGON_TOKEN_LEN; i++)
		diff |= (unsigned char)(hl->console_token[i] ^ tok[i]);
	ok = hl->console_token[0] && !diff &&
	     headless_now_ms() < hl->console_token_until;
	if (ok)
		hl->console_token[0] = '\0';
	pthread_mutex_unlock(&hl->lock);
	return ok;
}

int
logon_client(struct headless_server *s, const struct vrde_logon *l)
{
	struct headless *hl = s->hl;
	uint32_t evict[HEADLESS_MAX_CLIENTS];
	char user[HEADLESS_STR], addr[HEADLESS_STR];
	const char *sec = l->security ? l->security : "?";
	struct throttle_slot *slot;
	int n_evict;
	bool ok;

	log_escape(user, sizeof(user), l->user ? l->user : "");
	log_escape(addr, sizeof(addr),
		   l->address && l->address[0] ? l->address : "?");
	if (l->screen >= hl->heads) {
		log_warn("client %u from %s asks for screen %u of %u; refused",
			 l->client_id, addr, l->screen + 1, hl->heads);
		return -ERANGE;
	}
	if (logon_is_vnc(l)) {
		if (logon_vnc(hl, l, addr) < 0)
			return -EACCES;
		goto granted;
	}
	slot = logon_gate(hl, addr);
	if (!slot)
		return -EBUSY;
	if (l->security && !strcmp(l->security, "Token"))
		ok = logon_token_take(hl, l->password);
	else
		ok = logon_authenticate(hl, l);
	if (!ok) {
		unsigned n = logon_ungate(hl, slot, false);

		log_warn("logon of user '%s' from %s over %s denied (failure "
			 "%u from this source)",
			 user, addr, sec, n);
		return -EACCES;
	}
	logon_ungate(hl, slot, true);
granted:
	pthread_mutex_lock(&hl->lock);
	ok = logon_track(hl, l) != NULL;
	pthread_mutex_unlock(&hl->lock);
	if (!ok) {
		log_warn("too many clients; refusing client %u from %s",
			 l->client_id, addr);
		return -EBUSY;
	}
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
	log_info("logon of user '%s' from %s granted over %s (client %u, "
		 "screen %u)",
		 user, addr, sec, l->client_id, l->screen);
	return 0;
}

void
logon_client_left(struct headless *hl, uint32_t client_id)
{
	struct headless_client *c;
	struct headless_client copy = {0};
	char user[HEADLESS_STR], addr[HEADLESS_STR];

	logon_vnc_verified(hl, client_id, false); /* left before logging on */
	pthread_mutex_lock(&hl->lock);
	c = logon_find(hl, client_id);
	if (c) {
		copy = *c;
		c->used = false;
	}
	pthread_mutex_unlock(&hl->lock);
	if (!c)
		return;
	log_info("client %u ('%s' from %s) disconnected", client_id,
		 log_escape(user, sizeof(user), copy.user),
		 log_escape(addr, sizeof(addr), copy.address));
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
			authcall_entry(&req, hl_machine_get_extradata, hl,
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
	return authcall_nt_hash(&req, hl_machine_get_extradata, hl,
				logon_timeout_ms(hl), hash) == 0
		   ? 0
		   : -ENOENT;
}

/* The NLA attempt of client @id.  Caller holds hl->lock. */
static struct headless_nla *
logon_nla_find(struct headless *hl, uint32_t id, bool take)
{
	struct headless_nla *free_one = NULL;

	for (int i = 0; i < HEADLESS_MAX_CLIENTS; i++) {
		struct headless_nla *a = &hl->nla[i];

		if (a->slot && a->client_id == id)
			return a;
		if (!a->slot && !free_one)
			free_one = a;
	}
	return take ? free_one : NULL;
}

int
logon_nla_begin(struct headless_server *s, const struct vrde_logon *l,
		uint8_t hash[16])
{
	struct headless *hl = s->hl;
	char addr[HEADLESS_STR];
	struct throttle_slot *slot, *stale;
	struct headless_nla *a;
	bool room;

	log_escape(addr, sizeof(addr),
		   l->address && l->address[0] ? l->address : "?");
	pthread_mutex_lock(&hl->lock);
	room = logon_nla_find(hl, l->client_id, true) != NULL;
	pthread_mutex_unlock(&hl->lock);
	if (!room) {
		log_warn("too many NLA logons at once; refusing client %u "
			 "from %s",
			 l->client_id, addr);
		return -EBUSY;
	}
	slot = logon_gate(hl, addr);
	if (!slot)
		return -EBUSY;
	pthread_mutex_lock(&hl->lock);
	a = logon_nla_find(hl, l->client_id, true);
	/* an attempt the module never ended counts as failed */
	stale = a ? a->slot : NULL;
	if (a) {
		a->client_id = l->client_id;
		a->slot = slot;
	}
	pthread_mutex_unlock(&hl->lock);
	if (stale)
		logon_ungate(hl, stale, false);
	if (!a) {
		logon_ungate(hl, slot, true);
		return -EBUSY;
	}
	if (logon_is_vnc(l))
		return -ENOENT; /* the module checks the response itself */
	return logon_nt_hash(hl, l->user ? l->user : "",
			     l->domain ? l->domain : "", hash);
}

void
logon_nla_result(struct headless_server *s, const struct vrde_logon *l,
		 int result)
{
	struct headless *hl = s->hl;
	char user[HEADLESS_STR], addr[HEADLESS_STR];
	struct throttle_slot *slot = NULL;
	struct headless_nla *a;
	unsigned n;

	pthread_mutex_lock(&hl->lock);
	a = logon_nla_find(hl, l->client_id, false);
	if (a) {
		slot = a->slot;
		a->slot = NULL;
	}
	pthread_mutex_unlock(&hl->lock);
	if (!slot)
		return; /* refused in logon_nla_begin, already logged */
	n = logon_ungate(hl, slot, result == 0);
	log_escape(user, sizeof(user), l->user ? l->user : "");
	log_escape(addr, sizeof(addr),
		   l->address && l->address[0] ? l->address : "?");
	if (result == 0 && logon_is_vnc(l) &&
	    !logon_vnc_verified(hl, l->client_id, true)) {
		log_warn("too many VNC logons at once; refusing client %u",
			 l->client_id);
		result = -EBUSY;
	}
	if (result == 0)
		log_info("%s proof of user '%s' from %s verified (client %u)",
			 logon_is_vnc(l) ? "VNC" : "NLA", user, addr,
			 l->client_id);
	else
		log_warn("logon of user '%s' from %s over %s denied (failure "
			 "%u from this source)",
			 user, addr, logon_is_vnc(l) ? "VNC" : "NLA", n);
}

void
logon_probe_nt_hashes(struct headless *hl)
{
	char path[4096];
	struct authcall_req req = {.library = path, .vm_uuid = hl->m->uuid};
	int result = 0;

	hl->nt_hashes = 0;
	/* authType Null grants everyone without a library */
	hl->auth_grants_all = hl->m->vrde.auth_type == SETTINGS_AUTH_NULL;
	if (hl->m->vrde.auth_type != SETTINGS_AUTH_EXTERNAL ||
	    logon_library_path(hl, path, sizeof(path)) < 0)
		return;
	if (authcall_probe(&req, logon_timeout_ms(hl), &result) == 0) {
		hl->nt_hashes = (result & AUTHPROTO_PROBE_NT_HASH) != 0;
		hl->auth_grants_all =
		    (result & AUTHPROTO_PROBE_GRANTS_ALL) != 0;
	}
	log_info("auth library %s %s NT hashes (NLA %s)", path,
		 hl->nt_hashes ? "supplies" : "does not supply",
		 hl->nt_hashes ? "possible" : "off");
	if (hl->auth_grants_all)
		log_warn("auth library %s grants every client: treated like "
			 "authType Null (listening on loopback only unless "
			 "TCP/Address is set)",
			 path);
}
