/*
 * passwd.c - the password hash formats of vireo's simple auth
 * (conventions.md): VirtualBox's unsalted SHA-256 hex, vireo's salted
 * "pbkdf2-sha256$<iter>$<salt>$<hash>", and the NT hash (MD4 of the
 * UTF-16LE password) that NLA needs.
 *
 * MD4 is implemented here (RFC 1320) because OpenSSL 3 only offers it
 * through the legacy provider, which may not be installed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "auth/vireo-auth.h"
#include "settings_priv.h"

static void
passwd_hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
settings_password_hash_sha256(const char *pw, char *out, size_t size)
{
	uint8_t d[SHA256_DIGEST_LENGTH];

	if (size < 2 * sizeof(d) + 1)
		return -ENOSPC;
	if (!EVP_Digest(pw, strlen(pw), d, NULL, EVP_sha256(), NULL))
		return -EIO;
	passwd_hex(d, sizeof(d), out);
	return 0;
}

int
settings_password_hash_pbkdf2(const char *pw, unsigned iterations, char *out,
			      size_t size)
{
	uint8_t salt[16], hash[32];
	char salt_hex[33], hash_hex[65];
	int n;

	/* the floor the simple auth library enforces when it checks */
	if (iterations < VIREO_AUTH_PBKDF2_MIN_ITERATIONS)
		return -EINVAL;
	settings_random_bytes(salt, sizeof(salt));
	if (!PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof(salt),
			       (int)iterations, EVP_sha256(), sizeof(hash),
			       hash))
		return -EIO;
	passwd_hex(salt, sizeof(salt), salt_hex);
	passwd_hex(hash, sizeof(hash), hash_hex);
	n = snprintf(out, size, "pbkdf2-sha256$%u$%s$%s", iterations, salt_hex,
		     hash_hex);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

#define MD4_ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))

static void
md4_block(uint32_t h[4], const uint8_t *blk)
{
	static const int r1[4] = {3, 7, 11, 19}, r2[4] = {3, 5, 9, 13},
			 r3[4] = {3, 9, 11, 15};
	static const int o3[16] = {0, 8, 4, 12, 2, 10, 6, 14,
				   1, 9, 5, 13, 3, 11, 7, 15};
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], t;

	for (int i = 0; i < 16; i++)
		x[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
		       (uint32_t)blk[4 * i + 2] << 16 |
		       (uint32_t)blk[4 * i + 3] << 24;
	for (int i = 0; i < 16; i++) {
		t = a + ((b & c) | (~b & d)) + x[i];
		a = d, d = c, c = b, b = MD4_ROTL(t, r1[i % 4]);
	}
	for (int i = 0; i < 16; i++) {
		int k = (i % 4) * 4 + i / 4;

		t = a + ((b & c) | (b & d) | (c & d)) + x[k] + 0x5a827999;
		a = d, d = c, c = b, b = MD4_ROTL(t, r2[i % 4]);
	}
	for (int i = 0; i < 16; i++) {
		t = a + (b ^ c ^ d) + x[o3[i]] + 0x6ed9eba1;
		a = d, d = c, c = b, b = MD4_ROTL(t, r3[i % 4]);
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

static void
md4(const uint8_t *msg, size_t len, uint8_t out[16])
{
	uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	uint8_t tail[128] = {0};
	size_t full = len / 64 * 64, rest = len - full, tl;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t off = 0; off < full; off += 64)
		md4_block(h, msg + off);
	memcpy(tail, msg + full, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tl - 8 + i] = (uint8_t)(bits >> (8 * i));
	md4_block(h, tail);
	if (tl == 128)
		md4_block(h, tail + 64);
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(h[i / 4] >> (8 * (i % 4)));
}

/* UTF-8 to UTF-16LE; @return bytes written or -EINVAL. */
static ssize_t
passwd_utf16le(const char *s, uint8_t *out, size_t cap)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p) {
		uint32_t cp;
		int more;

		if (*p < 0x80)
			cp = *p, more = 0;
		else if ((*p & 0xe0) == 0xc0)
			cp = *p & 0x1f, more = 1;
		else if ((*p & 0xf0) == 0xe0)
			cp = *p & 0x0f, more = 2;
		else if ((*p & 0xf8) == 0xf0)
			cp = *p & 0x07, more = 3;
		else
			return -EINVAL;
		p++;
		for (int i = 0; i < more; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return -EINVAL;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (n + 4 > cap)
			return -ENOSPC;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			uint32_t hi = 0xd800 | (cp >> 10),
				 lo = 0xdc00 | (cp & 0x3ff);

			out[n++] = (uint8_t)hi, out[n++] = (uint8_t)(hi >> 8);
			out[n++] = (uint8_t)lo, out[n++] = (uint8_t)(lo >> 8);
		} else {
			out[n++] = (uint8_t)cp, out[n++] = (uint8_t)(cp >> 8);
		}
	}
	return (ssize_t)n;
}

int
settings_password_nt_hash(const char *pw, char *out, size_t size)
{
	uint8_t buf[1024], d[16];
	ssize_t n;

	if (size < 33)
		return -ENOSPC;
	n = passwd_utf16le(pw, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	md4(buf, (size_t)n, d);
	passwd_hex(d, sizeof(d), out);
	return 0;
}
