/*
 * machine_teleporter.c - the teleporter target settings,
 * <Machine><Teleporter enabled= port= address= password=/>, as
 * VirtualBox writes them (older files: the Machine attributes
 * teleporterEnabled, teleporterPort, teleporterAddress and
 * teleporterPassword, read and moved into the element on save).
 *
 * The password is kept in VirtualBox's "#SHA-512##<128 hex>" form
 * (unsalted SHA-512, lower-case hex).  A file holding a plain password
 * (VirtualBox accepts one and hashes it on read) gets it hashed in the
 * tree when loaded, so the next save never writes the plain text back.
 * vireo-teleport(7) says why the hash is only the stored form: on the
 * wire the password is proven inside TLS, never sent.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "settings_priv.h"

#define TP_PREFIX "#SHA-512##"

bool
settings_teleporter_is_hashed(const char *v)
{
	size_t n = strlen(TP_PREFIX);

	if (!v || strncmp(v, TP_PREFIX, n) || strlen(v) != n + 128)
		return false;
	return strspn(v + n, "0123456789abcdefABCDEF") == 128;
}

int
settings_teleporter_hash(const char *plain, char *out, size_t size)
{
	unsigned char md[64];
	unsigned int len = 0;
	size_t o;

	if (size < SETTINGS_TP_HASH_LEN + 1)
		return -ENOSPC;
	if (!EVP_Digest(plain, strlen(plain), md, &len, EVP_sha512(), NULL) ||
	    len != sizeof(md))
		return -EIO;
	o = (size_t)snprintf(out, size, "%s", TP_PREFIX);
	for (unsigned i = 0; i < len; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

static xmlNodePtr
tp_node(const struct settings_machine *m)
{
	return sx_child(machine_priv(m)->machine, "Teleporter");
}

/* The element's attribute, else the old Machine attribute. */
static char *
tp_attr(const struct settings_machine *m, const char *name, const char *old)
{
	xmlNodePtr t = tp_node(m);
	char *v = t ? sx_attr(t, name) : NULL;

	return v ? v : sx_attr(machine_priv(m)->machine, old);
}

/* Check the values and hash a plain password in the tree (at load). */
int
teleporter_parse(struct settings_machine *m, struct sx_ctx *c)
{
	xmlNodePtr t = tp_node(m), mach = machine_priv(m)->machine;
	xmlNodePtr at = t ? t : mach;
	char *pw = tp_attr(m, "password", "teleporterPassword");
	char hash[SETTINGS_TP_HASH_LEN + 1];
	uint32_t port;

	if (t) {
		sx_attr_bool(c, t, "enabled", false);
		port = sx_attr_u32(c, t, "port", 0);
	} else {
		sx_attr_bool(c, mach, "teleporterEnabled", false);
		port = sx_attr_u32(c, mach, "teleporterPort", 0);
	}
	if (port > 65535)
		sx_fail(c, at, -EINVAL,
			"<Teleporter> port %u is not a TCP port (0..65535)",
			port);
	if (pw && *pw && !settings_teleporter_is_hashed(pw) &&
	    settings_teleporter_hash(pw, hash, sizeof(hash)) == 0)
		sx_set(at, t ? "password" : "teleporterPassword", hash);
	if (pw)
		OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
	return 0;
}

int
settings_machine_teleporter(const struct settings_machine *m,
			    struct settings_teleporter *out)
{
	struct settings_error e = {{0}};
	struct sx_ctx c = {.path = m->path, .err = &e};
	xmlNodePtr t = tp_node(m), mach = machine_priv(m)->machine;
	char *pw;

	memset(out, 0, sizeof(*out));
	if (t) {
		out->enabled = sx_attr_bool(&c, t, "enabled", false);
		out->port = sx_attr_u32(&c, t, "port", 0);
	} else {
		out->enabled =
		    sx_attr_bool(&c, mach, "teleporterEnabled", false);
		out->port = sx_attr_u32(&c, mach, "teleporterPort", 0);
	}
	out->address = tp_attr(m, "address", "teleporterAddress");
	pw = tp_attr(m, "password", "teleporterPassword");
	if (pw && settings_teleporter_is_hashed(pw))
		snprintf(out->password, sizeof(out->password), "%s", pw);
	free(pw);
	if (!out->address)
		out->address = settings_strdup("");
	if (!out->address)
		return -ENOMEM;
	return c.rc;
}

void
settings_teleporter_free(struct settings_teleporter *t)
{
	free(t->address);
	t->address = NULL;
	OPENSSL_cleanse(t->password, sizeof(t->password));
}

int
settings_machine_set_teleporter(struct settings_machine *m,
				const struct settings_teleporter *t)
{
	xmlNodePtr mach = machine_priv(m)->machine, n;
	static const char *const old[] = {
	    "teleporterEnabled", "teleporterPort", "teleporterAddress",
	    "teleporterPassword", "liveMigrationTarget"};

	if (t->port > 65535 ||
	    (t->password[0] && !settings_teleporter_is_hashed(t->password)))
		return -EINVAL;
	n = sx_ensure(mach, "Teleporter");
	if (!n)
		return -ENOMEM;
	sx_set_bool(n, "enabled", t->enabled);
	sx_set_u32(n, "port", t->port);
	sx_set(n, "address", t->address && *t->address ? t->address : NULL);
	sx_set(n, "password", t->password[0] ? t->password : NULL);
	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
		sx_set(mach, old[i], NULL);
	return 0;
}
