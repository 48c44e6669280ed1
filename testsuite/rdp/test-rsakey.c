/*
 * test-rsakey.c - the RSA key lengthened for FreeRDP 2's standard RDP
 * security (src/vrde/rdp/rdp_rsakey.c): a key whose private exponent is
 * shorter than its modulus comes back as the same key (modulus, public
 * exponent, CRT values) with a full-length exponent that decrypts what
 * the public key encrypted, computed the way FreeRDP does (a plain modular
 * power, no CRT); a full-length key and a non-RSA key are left alone; a
 * file that holds no key is refused.  Short exponents are found among
 * 512-bit keys (about one in 256), so the search is quick and bounded.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "rdp_rsakey.h"
#include "tap.h"

#define TRIES 20000

static BIGNUM *
param(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;

	EVP_PKEY_get_bn_param(k, name, &bn);
	return bn;
}

static int
d_bytes(EVP_PKEY *k)
{
	BIGNUM *d = param(k, OSSL_PKEY_PARAM_RSA_D);
	int n = d ? BN_num_bytes(d) : -1;

	BN_clear_free(d);
	return n;
}

/* A 512-bit key with a private exponent of at most 63 bytes, or NULL. */
static EVP_PKEY *
short_key(int *tries)
{
	for (*tries = 1; *tries <= TRIES; (*tries)++) {
		EVP_PKEY *k = EVP_RSA_gen(512);

		if (k && d_bytes(k) < 64)
			return k;
		EVP_PKEY_free(k);
	}
	return NULL;
}

static int
same_param(EVP_PKEY *a, EVP_PKEY *b, const char *name)
{
	BIGNUM *x = param(a, name), *y = param(b, name);
	int same = x && y && BN_cmp(x, y) == 0;

	BN_clear_free(x);
	BN_clear_free(y);
	return same;
}

/* m^e^d mod n == m with @full's d and @pub's n and e, as FreeRDP computes
 * it (no CRT). */
static int
decrypts(EVP_PKEY *pub, EVP_PKEY *full)
{
	BIGNUM *n = param(pub, OSSL_PKEY_PARAM_RSA_N);
	BIGNUM *e = param(pub, OSSL_PKEY_PARAM_RSA_E);
	BIGNUM *d = param(full, OSSL_PKEY_PARAM_RSA_D);
	BIGNUM *m = BN_new(), *c = BN_new(), *r = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int ok = n && e && d && m && c && r && ctx && BN_rand_range(m, n) &&
		 BN_mod_exp(c, m, e, n, ctx) && BN_mod_exp(r, c, d, n, ctx) &&
		 BN_cmp(r, m) == 0;

	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_free(m);
	BN_free(c);
	BN_free(r);
	BN_CTX_free(ctx);
	return ok;
}

static int
key_checks(EVP_PKEY *k)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	int ok = ctx && EVP_PKEY_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static void
remove_dir(const char *dir)
{
	static const char *const names[] = {"short.pem", "not-a-key.pem"};
	char path[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int
write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "we");
	int ok = f && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);

	if (f)
		fclose(f);
	return ok;
}

static EVP_PKEY *
read_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k =
	    bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return k;
}

static void
check_pem(EVP_PKEY *shrt, const char *dir)
{
	char path[4096];
	EVP_PKEY *k = NULL;
	char *pem = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/short.pem", dir);
	tap_ok(write_key(path, shrt), "the short key written to a file");
	rc = rdp_rsakey_pem(path, &pem);
	tap_ok(rc == 1 && pem, "the file's key comes back as PEM (rc %d)", rc);
	if (pem)
		k = read_pem(pem);
	tap_ok(k && d_bytes(k) == 64 && decrypts(shrt, k),
	       "the PEM holds the same key with a 64-byte exponent");
	EVP_PKEY_free(k);
	free(pem);
	snprintf(path, sizeof(path), "%s/not-a-key.pem", dir);
	write_key(path, NULL);
	rc = rdp_rsakey_pem(path, &pem);
	tap_ok(rc == -EINVAL && !pem, "a file with no key is refused (rc %d)",
	       rc);
	snprintf(path, sizeof(path), "%s/missing.pem", dir);
	rc = rdp_rsakey_pem(path, &pem);
	tap_ok(rc == -ENOENT && !pem, "a missing file is -ENOENT (rc %d)", rc);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[3800];
	EVP_PKEY *shrt, *full = NULL, *other = NULL, *ec;
	int tries, rc;

	tap_plan(13);
	shrt = short_key(&tries);
	if (!shrt)
		tap_skip_all("no 512-bit key with a short exponent in 20000");
	tap_diag("a key with a %d-byte exponent after %d keys", d_bytes(shrt),
		 tries);
	rc = rdp_rsakey_full_d(shrt, &full);
	tap_ok(rc == 1 && full, "a short exponent is lengthened (rc %d)", rc);
	tap_ok(full && d_bytes(full) == 64, "to the modulus' 64 bytes (%d)",
	       full ? d_bytes(full) : -1);
	tap_ok(full && same_param(shrt, full, OSSL_PKEY_PARAM_RSA_N) &&
		   same_param(shrt, full, OSSL_PKEY_PARAM_RSA_E),
	       "modulus and public exponent are unchanged");
	tap_ok(full && same_param(shrt, full, OSSL_PKEY_PARAM_RSA_EXPONENT1) &&
		   same_param(shrt, full, OSSL_PKEY_PARAM_RSA_COEFFICIENT1),
	       "the CRT values are unchanged");
	tap_ok(full && decrypts(shrt, full),
	       "the long exponent decrypts what the public key encrypted");
	tap_ok(full && key_checks(full), "OpenSSL's checks accept the new key");
	rc = rdp_rsakey_full_d(full, &other);
	tap_ok(rc == 0 && !other, "a full-length exponent is left alone");
	ec = EVP_EC_gen("P-256");
	rc = ec ? rdp_rsakey_full_d(ec, &other) : -1;
	tap_ok(rc == 0 && !other, "a non-RSA key is left alone (rc %d)", rc);
	snprintf(dir, sizeof(dir), "%s/test-rsakey.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(dir)) {
		check_pem(shrt, dir);
		remove_dir(dir);
	} else {
		tap_ok(0, "mkdtemp %s: %s", dir, strerror(errno));
	}
	EVP_PKEY_free(ec);
	EVP_PKEY_free(full);
	EVP_PKEY_free(shrt);
	return tap_done();
}
