/*
 * modpath.c - module and helper lookup (modpath.h).  Deliberately narrow:
 * a VM's settings name a module, and the name must not be able to point
 * outside the module directory except by an explicit absolute path.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "modpath.h"

#ifndef MODULEDIR
#define MODULEDIR "/usr/local/lib/vireo"
#endif
#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/local/libexec/vireo"
#endif

const char *
modpath_dir(void)
{
	const char *env = getenv("VIREO_MODULE_DIR");

	return env && env[0] ? env : MODULEDIR;
}

const char *
modpath_auth_alias(const char *name)
{
	if (strcasecmp(name, "VBoxAuth") == 0)
		return "pam";
	if (strcasecmp(name, "VBoxAuthSimple") == 0)
		return "simple";
	return name;
}

static int
modpath_bare_ok(const char *name)
{
	if (!name[0] || name[0] == '.')
		return 0;
	for (const char *p = name; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_' &&
		    *p != '.')
			return 0;
	}
	return 1;
}

int
modpath_resolve(const char *kind, const char *name, char *buf, size_t size)
{
	int n;

	if (!name)
		return -EINVAL;
	if (name[0] == '/')
		n = snprintf(buf, size, "%s", name);
	else if (modpath_bare_ok(name))
		n = snprintf(buf, size, "%s/vireo-%s-%s.so", modpath_dir(),
			     kind, name);
	else
		return -EINVAL;
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int
modpath_try(char *buf, size_t size, const char *dir, const char *sub)
{
	int n = snprintf(buf, size, "%s%s/vireo-authd", dir, sub);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

int
modpath_authd(char *buf, size_t size)
{
	const char *env = getenv("VIREO_AUTHD");
	char exe[4096];
	ssize_t n;

	if (env && env[0]) {
		n = snprintf(buf, size, "%s", env);
		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* in the build tree; libtool may run us from .libs */
			if (modpath_try(buf, size, exe, "") == 0 ||
			    modpath_try(buf, size, exe, "/..") == 0)
				return 0;
		}
	}
	return modpath_try(buf, size, PKGLIBEXECDIR, "");
}
