/*
 * tlscert.c - a VM's self-signed TLS certificate: made once (RSA-2048,
 * SHA-256, ten years) and shown by its SHA-256 fingerprint.  The RDP
 * module serves it, and the teleporter target presents the same one, so
 * one fingerprint identifies the VM's host end (tlscert.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tlscert.h"

#define TLSCERT_DAYS 3650

/* Write @pkey (mode 0600 from the start) or @x (0644) to @path through a
 * temporary name renamed into place, so a reader never sees half a file
 * (another module of the same VM may be reading it). */
static int
tlscert_write_pem(const char *path, EVP_PKEY *pkey, X509 *x)
{
	char tmp[4200];
	FILE *f;
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	ok = pkey ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL)
		  : PEM_write_X509(f, x);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || (!pkey && chmod(tmp, 0644) < 0) || rename(tmp, path) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

static X509 *
tlscert_make_x509(EVP_PKEY *pkey, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[8];
	FILE *r;

	if (!x)
		return NULL;
	X509_set_version(x, 2);
	r = fopen("/dev/urandom", "re");
	if (r && fread(serial, 1, sizeof(serial), r) == sizeof(serial))
		ASN1_INTEGER_set_uint64(
		    X509_get_serialNumber(x),
		    (serial[0] & 0x7f) | 1 | (uint64_t)serial[1] << 8 |
			(uint64_t)serial[2] << 16 | (uint64_t)serial[3] << 24 |
			(uint64_t)serial[4] << 32);
	else
		ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	if (r)
		fclose(r);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 60L * 60 * 24 * TLSCERT_DAYS);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, pkey, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
tlscert_generate(const char *cert, const char *key, const char *cn)
{
	EVP_PKEY *pkey;
	X509 *x;
	int rc;

	pkey = EVP_RSA_gen(2048);
	if (!pkey)
		return -ENOMEM;
	x = tlscert_make_x509(pkey, cn && cn[0] ? cn : "vireo");
	if (!x) {
		EVP_PKEY_free(pkey);
		return -EIO;
	}
	rc = tlscert_write_pem(key, pkey, NULL);
	if (rc == 0)
		rc = tlscert_write_pem(cert, NULL, x);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

int
tlscert_fingerprint(const char *cert, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	X509 *x;
	FILE *f;
	size_t o;

	f = fopen(cert, "re");
	if (!f)
		return -errno;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return -EINVAL;
	if (!X509_digest(x, EVP_sha256(), md, &len) || size < len * 3 + 8) {
		X509_free(x);
		return -EINVAL;
	}
	X509_free(x);
	o = (size_t)snprintf(out, size, "SHA256:");
	for (i = 0; i < len; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%02X", i ? ":" : "",
				      md[i]);
	return 0;
}
