/*
 * auth_simple.c - vireo-auth-simple.so: password hashes kept in ExtraData.
 *
 * Compatible with VirtualBox's VBoxAuthSimple: the key is
 * "VBoxAuthSimple/users/<user>" (the VM's ExtraData, else the global one;
 * the host's get_extradata does that fallback), a "DOMAIN\" prefix of the
 * user name is ignored, and the value is the unsalted lowercase SHA-256 hex
 * of the password.  vireo also accepts the salted form written by
 * "vireo-manage internalcommands passwordhash":
 *
 *     pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>
 *
 * Digests are compared in constant time.  Salted hashes with fewer than
 * VIREO_AUTH_PBKDF2_MIN_ITERATIONS are refused with a line on stderr
 * (vireo-headless puts the helper's stderr into vireo.log).  Every answer
 * costs at least one PBKDF2 at the default count: an unknown user, a
 * refused entry or VirtualBox's fast SHA-256 is not answered sooner than
 * a real check, so timing does not tell which users exist.
 *
 * "<key>/nthash" holds the NT hash (MD4 of the UTF-16LE password) that
 * NLA needs; vireo_auth_nt_hash() returns it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "vireo-auth.h"

#define SIMPLE_KEY_PREFIX     "VBoxAuthSimple/users/"
#define SIMPLE_VALUE_MAX      512
#define SIMPLE_DIGEST_LEN     32
#define SIMPLE_SALT_MAX	      64
/* Refuse absurd counts so a bad entry cannot pin the helper for minutes. */
#define SIMPLE_MAX_ITERATIONS 10000000UL

static int
simple_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly @len hex digits into @out.  @return bytes or -EINVAL. */
static int
simple_unhex(const char *hex, size_t len, uint8_t *out, size_t size)
{
	if (len == 0 || len % 2 || len / 2 > size)
		return -EINVAL;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = simple_hexval(hex[2 * i]);
		int lo = simple_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

/* The user name without a "DOMAIN\" prefix. */
static const char *
simple_bare_user(const char *user)
{
	const char *bs = strrchr(user, '\\');

	return bs ? bs + 1 : user;
}

/* Look up "<prefix><user><suffix>".  @return length or negative errno. */
static int
simple_lookup(const struct vireo_auth_request *req, const char *suffix,
	      char *buf, size_t size)
{
	char key[512];
	const char *user;
	int n;

	if (!req->get_extradata || !req->user)
		return -ENOENT;
	user = simple_bare_user(req->user);
	if (!user[0])
		return -ENOENT;
	n = snprintf(key, sizeof(key), "%s%s%s", SIMPLE_KEY_PREFIX, user,
		     suffix);
	if (n < 0 || (size_t)n >= sizeof(key))
		return -ENAMETOOLONG;
	return req->get_extradata(req->ctx, key, buf, size);
}

static int
simple_check_sha256(const char *stored, const char *password)
{
	uint8_t want[SIMPLE_DIGEST_LEN], got[SIMPLE_DIGEST_LEN];
	unsigned int len = 0;

	if (simple_unhex(stored, strlen(stored), want, sizeof(want)) !=
	    SIMPLE_DIGEST_LEN)
		return 0;
	if (!EVP_Digest(password, strlen(password), got, &len, EVP_sha256(),
			NULL) ||
	    len != SIMPLE_DIGEST_LEN)
		return 0;
	return CRYPTO_memcmp(want, got, SIMPLE_DIGEST_LEN) == 0;
}

/* @user for a log line: control bytes become '?', so a name cannot
 * forge a line. */
static void
simple_printable(const char *user, char *out, size_t size)
{
	size_t i;

	for (i = 0; user[i] && i + 1 < size; i++)
		out[i] = (unsigned char)user[i] < 0x20 || user[i] == 0x7f
			     ? '?'
			     : user[i];
	out[i] = '\0';
}

static void
simple_refuse(const struct vireo_auth_request *req, const char *why)
{
	char user[128];

	simple_printable(simple_bare_user(req->user), user, sizeof(user));
	fprintf(stderr, "vireo-auth-simple: user '%s' refused: %s\n", user,
		why);
}

/* "pbkdf2-sha256$iter$salt$hash".  @return 1 match, 0 no match, -1 a
 * refused entry (nothing computed). */
static int
simple_check_pbkdf2(const struct vireo_auth_request *req, const char *stored)
{
	uint8_t salt[SIMPLE_SALT_MAX], want[SIMPLE_DIGEST_LEN];
	uint8_t got[SIMPLE_DIGEST_LEN];
	const char *p = stored + strlen("pbkdf2-sha256$");
	const char *salt_hex, *hash_hex;
	unsigned long iter;
	char *end, why[160];
	int salt_len;

	errno = 0;
	iter = strtoul(p, &end, 10);
	if (errno || end == p || *end != '$' || iter > SIMPLE_MAX_ITERATIONS) {
		simple_refuse(req, "malformed pbkdf2-sha256 iteration count");
		return -1;
	}
	if (iter < VIREO_AUTH_PBKDF2_MIN_ITERATIONS) {
		snprintf(why, sizeof(why),
			 "its hash has %lu PBKDF2 iterations, fewer than the "
			 "floor of %u; set the password again",
			 iter, VIREO_AUTH_PBKDF2_MIN_ITERATIONS);
		simple_refuse(req, why);
		return -1;
	}
	salt_hex = end + 1;
	hash_hex = strchr(salt_hex, '$');
	salt_len = hash_hex
		       ? simple_unhex(salt_hex, (size_t)(hash_hex - salt_hex),
				      salt, sizeof(salt))
		       : -EINVAL;
	if (salt_len <= 0 ||
	    simple_unhex(hash_hex + 1, strlen(hash_hex + 1), want,
			 sizeof(want)) != SIMPLE_DIGEST_LEN) {
		simple_refuse(req, "malformed pbkdf2-sha256 salt or hash");
		return -1;
	}
	if (!PKCS5_PBKDF2_HMAC(req->password, (int)strlen(req->password), salt,
			       salt_len, (int)iter, EVP_sha256(),
			       SIMPLE_DIGEST_LEN, got))
		return -1;
	return CRYPTO_memcmp(want, got, SIMPLE_DIGEST_LEN) == 0;
}

/* The cost of a check at the default count, for answers that would
 * otherwise come sooner than a real check's. */
static void
simple_equal_work(const char *password)
{
	static const uint8_t salt[16];
	uint8_t out[SIMPLE_DIGEST_LEN];

	PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt),
			  (int)VIREO_AUTH_PBKDF2_DEFAULT_ITERATIONS,
			  EVP_sha256(), sizeof(out), out);
	OPENSSL_cleanse(out, sizeof(out));
}

int
vireo_auth_entry(const struct vireo_auth_request *req)
{
	char stored[SIMPLE_VALUE_MAX];
	int ok = -1;

	if (!req || req->version != VIREO_AUTH_ABI_VERSION || !req->logon ||
	    !req->password)
		return VIREO_AUTH_DENIED;
	if (simple_lookup(req, "", stored, sizeof(stored)) < 0)
		ok = -1;
	else if (strncmp(stored, "pbkdf2-sha256$", 14) == 0)
		ok = simple_check_pbkdf2(req, stored);
	else
		ok = simple_check_sha256(stored, req->password) ? 1 : -1;
	/* -1: nothing slow was computed; a denied SHA-256 entry also costs
	 * the same as an unknown user */
	if (ok < 0)
		simple_equal_work(req->password);
	OPENSSL_cleanse(stored, sizeof(stored));
	return ok > 0 ? VIREO_AUTH_GRANTED : VIREO_AUTH_DENIED;
}

int
vireo_auth_nt_hash(const struct vireo_auth_request *req, uint8_t out[16])
{
	char stored[SIMPLE_VALUE_MAX];
	int n;

	if (!req || req->version != VIREO_AUTH_ABI_VERSION)
		return -ENOENT;
	n = simple_lookup(req, "/nthash", stored, sizeof(stored));
	if (n < 0)
		return -ENOENT;
	if (simple_unhex(stored, strlen(stored), out, 16) != 16)
		return -ENOENT;
	return 0;
}
