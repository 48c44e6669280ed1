/*
 * vnc_auth.c - security types: None, VNC authentication and VeNCrypt
 * (X509None, X509Vnc, X509Plain), and the host's judgement of each.
 *
 * What is offered follows from the configuration:
 *   - None (and X509None) only when the host grants every client (authType
 *     Null) and no VNC password is set; the module then listens on
 *     loopback only unless TCP/Address is set (vnc_listen.c).
 *   - VNC authentication (and X509Vnc) when VNCPassword or
 *     VNCPasswordFile is set.  The challenge is 16 bytes from OpenSSL's
 *     CSPRNG; the response is checked with DES from OpenSSL's legacy
 *     provider, loaded into a library context of the module's own so the
 *     rest of the process never sees legacy algorithms.  The host judges
 *     the attempt through nla_begin()/nla_result() (throttled, counted and
 *     logged like every RDP logon) and grants it with client_logon()
 *     (security "VNC", no password: the host's connection policy).
 *   - a browser that came with a console token in its WebSocket URL
 *     (vnc_web.c) is offered None only and logs on with security "Token"
 *     and the token as its password: the host accepts each token it
 *     issued once and for a short time.
 *   - X509Plain when the host does not grant everyone: user and password
 *     arrive inside TLS and go to client_logon() like an RDP logon, so the
 *     auth library (authType External) decides.
 * VNC authentication uses 8 password bytes at most (the protocol's DES
 * key); longer passwords are cut, and a warning says so.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "util/log.h"
#include "vnc.h"

#define VNC_PASSWORD_MAX 256

static pthread_once_t vnc_des_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *vnc_des_libctx;
static EVP_CIPHER *vnc_des_cipher;

static void
vnc_des_init(void)
{
	vnc_des_libctx = OSSL_LIB_CTX_new();
	if (!vnc_des_libctx || !OSSL_PROVIDER_load(vnc_des_libctx, "legacy"))
		return;
	vnc_des_cipher = EVP_CIPHER_fetch(vnc_des_libctx, "DES-ECB", NULL);
}

static uint8_t
vnc_bitrev(uint8_t b)
{
	b = (uint8_t)((b & 0xf0) >> 4 | (b & 0x0f) << 4);
	b = (uint8_t)((b & 0xcc) >> 2 | (b & 0x33) << 2);
	return (uint8_t)((b & 0xaa) >> 1 | (b & 0x55) << 1);
}

/* DES-ECB of @n bytes (a multiple of 8) with @key. */
static int
vnc_des(const uint8_t key[8], const uint8_t *in, uint8_t *out, int n,
	bool encrypt)
{
	EVP_CIPHER_CTX *ctx;
	int len = 0, ok;

	pthread_once(&vnc_des_once, vnc_des_init);
	if (!vnc_des_cipher)
		return -ENOSYS;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok =
	    EVP_CipherInit_ex2(ctx, vnc_des_cipher, key, NULL, encrypt, NULL) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_CipherUpdate(ctx, out, &len, in, n) && len == n;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int
vnc_auth_response(const char *password, const uint8_t challenge[16],
		  uint8_t out[16])
{
	uint8_t key[8] = {0};
	size_t n = strlen(password);

	/* the protocol's key is the password's first 8 bytes with each
	 * byte's bits mirrored (a quirk of the original d3des code) */
	for (size_t i = 0; i < 8 && i < n; i++)
		key[i] = vnc_bitrev((uint8_t)password[i]);
	return vnc_des(key, challenge, out, 16, true);
}

int
vnc_auth_unobfuscate(const uint8_t in[8], char out[9])
{
	/* vncpasswd's fixed key {23,82,107,6,35,78,88,7}, bits mirrored */
	static const uint8_t key[8] = {0xe8, 0x4a, 0xd6, 0x60,
				       0xc4, 0x72, 0x1a, 0xe0};
	int rc = vnc_des(key, in, (uint8_t *)out, 8, false);

	out[8] = '\0';
	return rc;
}

/* VNCPasswordFile: vncpasswd(1)'s 8 obfuscated bytes, not readable by
 * others. */
static int
vnc_auth_read_file(struct vnc_server *srv, const char *path, char *pw)
{
	uint8_t buf[9];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		vnc_err(srv, "VNCPasswordFile '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		vnc_err(srv,
			"VNCPasswordFile '%s': not a regular file of mode "
			"0600 or stricter",
			path);
		close(fd);
		return -EINVAL;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != 8) {
		vnc_err(srv,
			"VNCPasswordFile '%s': %zd bytes; expected the 8 "
			"that vncpasswd -f writes",
			path, n);
		return -EINVAL;
	}
	rc = vnc_auth_unobfuscate(buf, pw);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc < 0)
		vnc_err(srv, "VNCPasswordFile: DES is unavailable (OpenSSL's "
			     "legacy provider is missing)");
	return rc < 0 ? -EINVAL : 0;
}

int
vnc_auth_config(struct vnc_server *srv)
{
	char pw[VNC_PASSWORD_MAX], path[1024];
	uint8_t z[16] = {0}, r[16];
	int rc = 0;

	vnc_prop(srv, "VNCPassword", pw, sizeof(pw));
	vnc_prop(srv, "VNCPasswordFile", path, sizeof(path));
	if (pw[0] && path[0]) {
		vnc_err(srv, "VNCPassword and VNCPasswordFile are both set; "
			     "set one");
		rc = -EINVAL;
	} else if (path[0]) {
		rc = vnc_auth_read_file(srv, path, pw);
	}
	if (rc == 0 && pw[0]) {
		if (strlen(pw) > 8)
			vnc_warn(srv, "VNC authentication uses the first 8 "
				      "characters of the password only");
		if (vnc_auth_response(pw, z, r) < 0) {
			vnc_err(srv,
				"a VNC password is set but DES is "
				"unavailable (OpenSSL's legacy provider is "
				"missing)");
			rc = -EINVAL;
		}
		srv->password = rc == 0 ? strdup(pw) : NULL;
		if (rc == 0 && !srv->password)
			rc = -ENOMEM;
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	srv->core.grants_all = srv->host_grants_all && !srv->password;
	return rc;
}

void
vnc_auth_fini(struct vnc_server *srv)
{
	if (srv->password) {
		OPENSSL_cleanse(srv->password, strlen(srv->password));
		free(srv->password);
		srv->password = NULL;
	}
}

/* ---- the negotiation ------------------------------------------------------
 */

static void
vnc_logon_init(struct vnc_client *c, struct vrde_logon *lo, const char *user,
	       const char *password, const char *security)
{
	*lo = (struct vrde_logon){
	    .client_id = c->vc.id,
	    .user = user,
	    .password = password,
	    .domain = "",
	    .address = c->vc.address,
	    .screen = c->vc.screen,
	    .security = security,
	};
}

/* SecurityResult: 3.8 always, 3.7 except for None, 3.3 only after VNC
 * authentication.  3.8 adds a reason to a failure. */
static int
vnc_auth_result(struct vnc_client *c, int type, int rc, const char *why)
{
	uint8_t b[4] = {0, 0, 0, rc < 0 ? 1 : 0};
	uint8_t len[4];
	size_t n = strlen(why);

	if (c->minor == 3 && type != VNC_SEC_VNCAUTH)
		return rc;
	if (c->minor == 7 && type == VNC_SEC_NONE)
		return rc;
	if (vnc_write_all(c, b, 4) < 0 || rc == 0 || c->minor < 8)
		return rc;
	len[0] = len[1] = 0;
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	vnc_write_all(c, len, 4);
	vnc_write_all(c, why, n);
	return rc;
}

/* The host's answer to a logon it judges (policy, and for Plain the auth
 * library).  @return 0 or -errno. */
static int
vnc_auth_host(struct vnc_client *c, const char *user, const char *password,
	      const char *security)
{
	struct vrde_logon lo;
	int rc;

	vnc_logon_init(c, &lo, user, password, security);
	rc = c->srv->core.host.cb->client_logon(c->srv->core.host.ctx, &lo);
	if (rc == 0) {
		c->logged_on = true;
		snprintf(c->vc.user, sizeof(c->vc.user), "%s", user);
	}
	return rc;
}

static const char *
vnc_auth_why(int rc)
{
	switch (rc) {
	case -EBUSY:
		return "another viewer holds the VM, or too many attempts";
	case -ERANGE:
		return "no such screen";
	default:
		return "authentication failed";
	}
}

/* VNC authentication: challenge, response, the host's judgement. */
static int
vnc_auth_vnc(struct vnc_client *c)
{
	struct vnc_server *srv = c->srv;
	const struct vrde_host_callbacks *cb = srv->core.host.cb;
	uint8_t chal[16], resp[16], want[16], hash[16];
	struct vrde_logon lo;
	int rc, judged = -1;

	if (RAND_bytes(chal, sizeof(chal)) != 1)
		return -EIO;
	rc = vnc_write_all(c, chal, sizeof(chal));
	if (rc == 0)
		rc = vnc_read_exact(c, resp, sizeof(resp));
	if (rc < 0)
		return rc;
	vnc_logon_init(c, &lo, "", NULL, "VNC");
	/* the host throttles and counts the attempt before it is answered */
	if (cb->nla_begin) {
		judged = cb->nla_begin(srv->core.host.ctx, &lo, hash);
		OPENSSL_cleanse(hash, sizeof(hash));
		if (judged == -EBUSY)
			return -EBUSY;
	}
	rc = vnc_auth_response(srv->password, chal, want);
	if (rc == 0 && CRYPTO_memcmp(want, resp, sizeof(want)))
		rc = -EACCES;
	if (cb->nla_begin && cb->nla_result)
		cb->nla_result(srv->core.host.ctx, &lo, rc == 0 ? 0 : -EACCES);
	if (rc < 0) {
		vnc_warn(srv, "client %u (%s): wrong VNC password", c->vc.id,
			 c->vc.address);
		return -EACCES;
	}
	/* security "VNC" without a password: the host applies its policy
	 * and does not ask the auth library (the module checked the
	 * response; vrde.h) */
	return vnc_auth_host(c, "", NULL, "VNC");
}

static int
vnc_auth_plain(struct vnc_client *c)
{
	uint8_t hdr[8];
	char user[VNC_MAX_CRED + 1], pass[VNC_MAX_CRED + 1];
	uint32_t ul, pl;
	int rc;

	rc = vnc_read_exact(c, hdr, sizeof(hdr));
	if (rc < 0)
		return rc;
	ul = (uint32_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
	pl = (uint32_t)hdr[4] << 24 | hdr[5] << 16 | hdr[6] << 8 | hdr[7];
	if (ul > VNC_MAX_CRED || pl > VNC_MAX_CRED) {
		vnc_warn(c->srv,
			 "client %u (%s): VeNCrypt Plain user of %u "
			 "or password of %u bytes (limit %u); dropped",
			 c->vc.id, c->vc.address, ul, pl, VNC_MAX_CRED);
		return -EPROTO;
	}
	rc = vnc_read_exact(c, user, ul);
	if (rc == 0)
		rc = vnc_read_exact(c, pass, pl);
	user[ul] = '\0';
	pass[pl] = '\0';
	if (rc == 0 && (strlen(user) != ul || strlen(pass) != pl))
		rc = -EACCES; /* NUL inside: never a valid credential */
	if (rc == 0)
		rc = vnc_auth_host(c, user, pass, c->vc.security);
	OPENSSL_cleanse(pass, sizeof(pass));
	return rc;
}

/* VeNCrypt 0.2: version, sub-type list, choice, then TLS. */
static int
vnc_auth_vencrypt(struct vnc_client *c, uint32_t *sub)
{
	struct vnc_server *srv = c->srv;
	uint32_t types[3];
	uint8_t b[2 + 3 * 4], ver[2], pick[4], ok = 1;
	size_t nt = 0, o = 0;
	int rc;

	if (srv->core.grants_all)
		types[nt++] = VNC_VC_X509NONE;
	if (srv->password)
		types[nt++] = VNC_VC_X509VNC;
	if (!srv->host_grants_all)
		types[nt++] = VNC_VC_X509PLAIN;
	rc = vnc_write_all(c, "\0\2", 2);
	if (rc == 0)
		rc = vnc_read_exact(c, ver, 2);
	if (rc < 0)
		return rc;
	if (ver[0] != 0 || ver[1] != 2) {
		vnc_write_all(c, "\1", 1);
		vnc_warn(srv, "client %u (%s): VeNCrypt %u.%u (only 0.2)",
			 c->vc.id, c->vc.address, ver[0], ver[1]);
		return -EPROTO;
	}
	b[o++] = 0;
	b[o++] = (uint8_t)nt;
	for (size_t i = 0; i < nt; i++) {
		b[o++] = (uint8_t)(types[i] >> 24);
		b[o++] = (uint8_t)(types[i] >> 16);
		b[o++] = (uint8_t)(types[i] >> 8);
		b[o++] = (uint8_t)types[i];
	}
	rc = vnc_write_all(c, b, o);
	if (rc == 0)
		rc = vnc_read_exact(c, pick, 4);
	if (rc < 0)
		return rc;
	*sub = (uint32_t)pick[0] << 24 | pick[1] << 16 | pick[2] << 8 | pick[3];
	for (o = 0; o < nt && types[o] != *sub; o++)
		;
	if (o == nt)
		ok = 0;
	rc = vnc_write_all(c, &ok, 1);
	if (rc < 0)
		return rc;
	if (!ok) {
		vnc_warn(srv,
			 "client %u (%s): VeNCrypt sub-type %u was not "
			 "offered",
			 c->vc.id, c->vc.address, *sub);
		return -EPROTO;
	}
	c->vc.security = *sub == VNC_VC_X509NONE  ? "X509None"
			 : *sub == VNC_VC_X509VNC ? "X509Vnc"
						  : "X509Plain";
	rc = vnc_tls_accept(c);
	if (rc < 0)
		return rc;
	if (*sub == VNC_VC_X509VNC)
		return vnc_auth_vnc(c);
	if (*sub == VNC_VC_X509PLAIN)
		return vnc_auth_plain(c);
	return vnc_auth_host(c, "", "", c->vc.security);
}

/* The security types on offer, best first.  @return how many. */
static size_t
vnc_auth_offer(struct vnc_client *c, uint8_t *types)
{
	struct vnc_server *srv = c->srv;
	size_t n = 0;

	/* a browser with a console token: the token is the credential */
	if (c->token[0]) {
		types[n++] = VNC_SEC_NONE;
		return n;
	}

	if (srv->tls_ctx)
		types[n++] = VNC_SEC_VENCRYPT;
	if (srv->password)
		types[n++] = VNC_SEC_VNCAUTH;
	if (srv->core.grants_all)
		types[n++] = VNC_SEC_NONE;
	return n;
}

static int
vnc_auth_refuse(struct vnc_client *c, const char *why)
{
	uint8_t z[4] = {0}, len[4] = {0, 0, 0, (uint8_t)strlen(why)};

	/* 3.3: security type 0; 3.7+: zero types; then the reason */
	vnc_write_all(c, z, c->minor == 3 ? 4 : 1);
	vnc_write_all(c, len, 4);
	vnc_write_all(c, why, strlen(why));
	vnc_warn(c->srv, "client %u (%s): %s", c->vc.id, c->vc.address, why);
	return -EACCES;
}

int
vnc_auth_run(struct vnc_client *c)
{
	uint8_t types[4], pick = 0, b[4];
	size_t n = vnc_auth_offer(c, types), i;
	uint32_t sub = 0;
	int rc;

	if (c->minor == 3) {
		/* the server picks; 3.3 knows no VeNCrypt */
		for (i = 0; i < n && types[i] == VNC_SEC_VENCRYPT; i++)
			;
		if (i == n)
			return vnc_auth_refuse(c, "no security type this RFB "
						  "3.3 viewer supports is "
						  "enabled");
		pick = types[i];
		b[0] = b[1] = b[2] = 0;
		b[3] = pick;
		rc = vnc_write_all(c, b, 4);
	} else {
		if (!n)
			return vnc_auth_refuse(c,
					       "no security type is enabled");
		b[0] = (uint8_t)n;
		rc = vnc_write_all(c, b, 1);
		if (rc == 0)
			rc = vnc_write_all(c, types, n);
		if (rc == 0)
			rc = vnc_read_exact(c, &pick, 1);
		for (i = 0; rc == 0 && i < n && types[i] != pick; i++)
			;
		if (rc == 0 && i == n) {
			vnc_warn(c->srv,
				 "client %u (%s): chose security type "
				 "%u, which was not offered",
				 c->vc.id, c->vc.address, pick);
			return -EPROTO;
		}
	}
	if (rc < 0)
		return rc;
	switch (pick) {
	case VNC_SEC_NONE:
		/* the host checks a console token itself (once, in time) */
		c->vc.security = c->token[0] ? "Token" : "None";
		rc = vnc_auth_host(c, "", c->token[0] ? c->token : "",
				   c->vc.security);
		break;
	case VNC_SEC_VNCAUTH:
		c->vc.security = "VNC";
		rc = vnc_auth_vnc(c);
		break;
	default:
		rc = vnc_auth_vencrypt(c, &sub);
		break;
	}
	if (rc == -EPROTO || rc == -ECONNRESET || rc == -ETIMEDOUT ||
	    rc == -ECANCELED)
		return rc;
	return vnc_auth_result(c, pick, rc, vnc_auth_why(rc));
}
