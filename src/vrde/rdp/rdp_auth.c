/*
 * rdp_auth.c - client credentials and "@n" monitor selection.
 *
 * NLA: WinPR's NTLM asks ComputeNtlmHash for the NTLMv2 hash, which we
 * derive from the host's get_nt_hash(); after NTLM succeeded the client
 * delegates its plaintext password, which FreeRDP hands to Logon; that
 * password is checked once more through client_logon (which also applies
 * the connection policy).  TLS and RDP: the Client Info fields, read in
 * Capabilities.  Either way the decision happens before Demand Active, so
 * a denied client never sees a pixel.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <winpr/ntlm.h>
#include <winpr/string.h>

#include "rdp.h"

static char *
rdp_identity_str(const SEC_WINNT_AUTH_IDENTITY *id, const void *p, UINT32 len)
{
	char *out = NULL;

	if (!p || !len)
		return strdup("");
	/* WinPR's NTLM always hands over UTF-16 (lengths in WCHARs), even
	 * when Flags are not set; only an explicit ANSI flag means bytes. */
	if (id->Flags & SEC_WINNT_AUTH_IDENTITY_ANSI)
		return strndup((const char *)p, len);
	if (ConvertFromUnicode(CP_UTF8, 0, (LPCWSTR)p, (int)len, &out, 0, NULL,
			       NULL) <= 0)
		return strdup("");
	return out;
}

/* The host's view of @c's NLA attempt. */
static void
rdp_auth_nla_logon(struct rdp_client *c, struct vrde_logon *lo)
{
	*lo = (struct vrde_logon){
	    .client_id = c->vc.id,
	    .user = c->nla_try_user,
	    .domain = c->nla_try_domain,
	    .address = c->vc.address,
	    .security = "NLA",
	};
}

void
rdp_auth_nla_end(struct rdp_client *c, int result)
{
	struct rdp_server *srv = c->srv;
	struct vrde_logon lo;

	if (!c->nla_judged)
		return;
	c->nla_judged = false;
	rdp_auth_nla_logon(c, &lo);
	if (srv->core.host.cb->nla_result)
		srv->core.host.cb->nla_result(srv->core.host.ctx, &lo, result);
	if (result < 0) {
		char u[128];

		rdp_warn(srv, "client %u (%s) user '%s' denied over NLA: %s",
			 c->vc.id, c->vc.address,
			 rdp_escape(u, sizeof(u), c->nla_try_user),
			 "bad credentials");
	}
}

BOOL
rdp_auth_logon_cb(freerdp_peer *peer, SEC_WINNT_AUTH_IDENTITY *id,
		  BOOL automatic)
{
	struct rdp_client *c = (struct rdp_client *)peer->context;

	/* Called with an empty identity for TLS/RDP; with the delegated
	 * plaintext credentials after NLA.  The return value is ignored by
	 * FreeRDP: the verdict is enforced in Capabilities. */
	if (!automatic || !id || !id->User)
		return TRUE;
	/* the NTLM proof verified: the host may forget the attempt */
	rdp_auth_nla_end(c, 0);
	free(c->nla_user);
	free(c->nla_domain);
	free(c->nla_password);
	c->nla_user = rdp_identity_str(id, id->User, id->UserLength);
	c->nla_domain = rdp_identity_str(id, id->Domain, id->DomainLength);
	c->nla_password =
	    rdp_identity_str(id, id->Password, id->PasswordLength);
	return TRUE;
}

/* The NT hash of @user: through the host's throttle (nla_begin) when it
 * has one.  @return 0 or -errno. */
static int
rdp_auth_nt_hash(struct rdp_client *c, const char *user, const char *domain,
		 uint8_t nt[16])
{
	struct rdp_server *srv = c->srv;
	struct vrde_logon lo;

	if (!srv->core.host.cb->nla_begin)
		return srv->core.host.cb->get_nt_hash
			   ? srv->core.host.cb->get_nt_hash(srv->core.host.ctx,
							    user, domain, nt)
			   : -ENOENT;
	/* a second NTLM round means the first one failed */
	rdp_auth_nla_end(c, -EACCES);
	snprintf(c->nla_try_user, sizeof(c->nla_try_user), "%s", user);
	snprintf(c->nla_try_domain, sizeof(c->nla_try_domain), "%s", domain);
	c->nla_judged = true;
	rdp_auth_nla_logon(c, &lo);
	return srv->core.host.cb->nla_begin(srv->core.host.ctx, &lo, nt);
}

SECURITY_STATUS
rdp_auth_ntlm_hash_cb(void *arg, const SEC_WINNT_AUTH_IDENTITY *id,
		      const SecBuffer *proof, const BYTE *randkey,
		      const BYTE *mic, const SecBuffer *micvalue, BYTE *hash)
{
	freerdp_peer *peer = arg;
	struct rdp_client *c = (struct rdp_client *)peer->context;
	struct rdp_server *srv = c->srv;
	uint8_t nt[16];
	char *user, *domain, u[128];
	int rc = -ENOENT;

	user = rdp_identity_str(id, id->User, id->UserLength);
	domain = rdp_identity_str(id, id->Domain, id->DomainLength);
	if (user && domain) {
		rdp_auth_take_screen(user, domain);
		rc = rdp_auth_nt_hash(c, user, domain, nt);
		if (rc < 0)
			rdp_info(srv, "client %u: no NT hash for user '%s'",
				 c->vc.id, rdp_escape(u, sizeof(u), user));
	}
	free(user);
	free(domain);
	if (rc < 0)
		return 0;
	/* The client hashed the names exactly as it sent them, suffix and
	 * all, so the NTLMv2 hash uses the raw identity. */
	if (!NTOWFv2FromHashW(nt, (LPWSTR)id->User, id->UserLength * 2,
			      (LPWSTR)id->Domain, id->DomainLength * 2, hash))
		return 0;
	memset(nt, 0, sizeof(nt));
	return 1; /* WinPR treats non-zero as success */
}

static const char *
rdp_auth_security(rdpSettings *s)
{
	if (s->NlaSecurity)
		return "NLA";
	if (s->TlsSecurity)
		return "TLS";
	return "RDP";
}

static const char *
rdp_auth_reason(int rc)
{
	switch (rc) {
	case -EACCES:
		return "bad credentials";
	case -EBUSY:
		return "another client holds the VM";
	case -ERANGE:
		return "no such screen";
	default:
		return strerror(-rc);
	}
}

int
rdp_auth_check(struct rdp_client *c)
{
	struct rdp_server *srv = c->srv;
	rdpSettings *s = c->peer->settings;
	struct vrde_logon lo = {0};
	bool nla = s->NlaSecurity && c->nla_user;
	const char *pw;
	char u[128];
	uint32_t screen;
	int rc;

	c->vc.security = rdp_auth_security(s);
	snprintf(c->vc.user, sizeof(c->vc.user), "%s",
		 nla ? c->nla_user : (s->Username ? s->Username : ""));
	snprintf(c->domain, sizeof(c->domain), "%s",
		 nla ? c->nla_domain : (s->Domain ? s->Domain : ""));
	pw = nla ? c->nla_password : (s->Password ? s->Password : "");
	screen = rdp_auth_take_screen(c->vc.user, c->domain);
	if (screen >= srv->nscreens) {
		rdp_warn(srv,
			 "client %u (%s): screen @%u requested, the VM "
			 "has %u; disconnecting",
			 c->vc.id, c->vc.address, screen + 1, srv->nscreens);
		return -ERANGE;
	}
	lo.client_id = c->vc.id;
	lo.user = c->vc.user;
	lo.password = pw;
	lo.domain = c->domain;
	lo.address = c->vc.address;
	lo.screen = screen;
	lo.security = c->vc.security;
	rc = srv->core.host.cb->client_logon
		 ? srv->core.host.cb->client_logon(srv->core.host.ctx, &lo)
		 : 0;
	rdp_escape(u, sizeof(u), c->vc.user);
	if (rc < 0) {
		rdp_warn(srv, "client %u (%s) user '%s' denied over %s: %s",
			 c->vc.id, c->vc.address, u, c->vc.security,
			 rdp_auth_reason(rc));
		return rc;
	}
	c->vc.screen = screen;
	c->logged_on = true;
	/* no longer subject to the pending limits and the logon deadline */
	rdp_guard_release(srv, &c->ticket);
	rdp_info(srv, "client %u (%s) user '%s' logged on over %s, screen %u",
		 c->vc.id, c->vc.address, u, c->vc.security, screen + 1);
	return 0;
}
