/*
 * rdp_rsakey.c - the RSA key in the form FreeRDP 2's standard RDP
 * security can use.
 *
 * FreeRDP 2.11 stores the private exponent d in a buffer of d's own
 * length but decrypts the client random reading as many bytes as the
 * modulus has.  About one key in 256 has a d with a leading zero byte:
 * then FreeRDP reads past its buffer (ASan reports it) and decrypts with
 * a wrong exponent, so standard RDP security fails for that VM every
 * time.  Every d + k * lcm(p - 1, q - 1) is the same private key, so a
 * short d is handed to FreeRDP lengthened to the modulus' length, as PEM
 * in memory; the key file and the TLS certificate stay as they are.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "rdp_rsakey.h"
#include "vrde/common/vmod.h"

#define RDP_RSAKEY_PARTS 8

/* The parameters of an RSA key, in the order they are rebuilt. */
static const char *const rdp_rsakey_names[RDP_RSAKEY_PARTS] = {
    OSSL_PKEY_PARAM_RSA_N,	   OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,	   OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

enum { RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q };

static void
rdp_rsakey_free_parts(BIGNUM **bn)
{
	for (int i = 0; i < RDP_RSAKEY_PARTS; i++)
		BN_clear_free(bn[i]);
}

/* lcm(p - 1, q - 1) into @l.  @return 0 or -ENOMEM. */
static int
rdp_rsakey_lambda(BIGNUM *l, const BIGNUM *p, const BIGNUM *q, BN_CTX *ctx)
{
	BIGNUM *p1 = BN_dup(p), *q1 = BN_dup(q), *g = BN_new(), *m = BN_new();
	int ok = p1 && q1 && g && m && BN_sub_word(p1, 1) &&
		 BN_sub_word(q1, 1) && BN_gcd(g, p1, q1, ctx) &&
		 BN_mul(m, p1, q1, ctx) && BN_div(l, NULL, m, g, ctx);

	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_free(g);
	BN_clear_free(m);
	return ok ? 0 : -ENOMEM;
}

/* Add lambda to @d until it has as many bytes as @n (still below n).
 * @return 0, or -EINVAL when no such exponent exists. */
static int
rdp_rsakey_lengthen(BIGNUM *d, const BIGNUM *n, const BIGNUM *p,
		    const BIGNUM *q)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *l = BN_new();
	int rc = ctx && l ? rdp_rsakey_lambda(l, p, q, ctx) : -ENOMEM;

	while (rc == 0 && BN_num_bytes(d) < BN_num_bytes(n)) {
		if (!BN_add(d, d, l))
			rc = -ENOMEM;
		else if (BN_cmp(d, n) >= 0)
			rc = -EINVAL;
	}
	BN_free(l);
	BN_CTX_free(ctx);
	return rc;
}

/* A key of @bn's parameters.  @return the key or NULL. */
static EVP_PKEY *
rdp_rsakey_build(BIGNUM **bn)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *out = NULL;
	int ok = bld != NULL;

	for (int i = 0; ok && i < RDP_RSAKEY_PARTS; i++)
		ok = OSSL_PARAM_BLD_push_BN(bld, rdp_rsakey_names[i], bn[i]);
	if (ok)
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params)
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_KEYPAIR, params) <= 0)
		out = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return out;
}

int
rdp_rsakey_full_d(EVP_PKEY *pkey, EVP_PKEY **out)
{
	BIGNUM *bn[RDP_RSAKEY_PARTS] = {NULL};
	int rc = 0;

	*out = NULL;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return 0;
	for (int i = 0; i < RDP_RSAKEY_PARTS; i++)
		if (!EVP_PKEY_get_bn_param(pkey, rdp_rsakey_names[i], &bn[i]))
			rc = -EINVAL;
	if (rc == 0 && BN_num_bytes(bn[RSA_D]) < BN_num_bytes(bn[RSA_N])) {
		rc = rdp_rsakey_lengthen(bn[RSA_D], bn[RSA_N], bn[RSA_P],
					 bn[RSA_Q]);
		if (rc == 0) {
			*out = rdp_rsakey_build(bn);
			rc = *out ? 1 : -ENOMEM;
		}
	}
	rdp_rsakey_free_parts(bn);
	return rc;
}

/* @pkey as PEM in a new string. */
static char *
rdp_rsakey_to_pem(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data, *pem = NULL;
	long len;

	if (bio &&
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)) {
		len = BIO_get_mem_data(bio, &data);
		pem = len > 0 ? strndup(data, (size_t)len) : NULL;
	}
	BIO_free(bio);
	return pem;
}

int
rdp_rsakey_pem(const char *path, char **pem)
{
	EVP_PKEY *pkey, *full = NULL;
	int rc;

	*pem = NULL;
	rc = vmod_pem_load(path, NULL, &pkey);
	if (rc < 0)
		return rc;
	rc = rdp_rsakey_full_d(pkey, &full);
	if (rc == 1) {
		*pem = rdp_rsakey_to_pem(full);
		rc = *pem ? 1 : -ENOMEM;
	}
	EVP_PKEY_free(full);
	EVP_PKEY_free(pkey);
	return rc;
}
