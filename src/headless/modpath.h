/*
 * modpath.h - where vireo-headless finds loadable modules and helpers.
 *
 * conventions.md: VRDE module X is vireo-vrde-X.so and auth library X is
 * vireo-auth-X.so in the module directory ($VIREO_MODULE_DIR, else the
 * compiled-in MODULEDIR); a name starting with '/' is used as is; nothing
 * else is searched.  VBoxAuth and VBoxAuthSimple are names for pam and
 * simple.
 */
#ifndef VIREO_HEADLESS_MODPATH_H
#define VIREO_HEADLESS_MODPATH_H

#include <stddef.h>

/** Build the path of module @name of @kind ("vrde" or "auth").
 * @return 0, -EINVAL for a name that is neither bare nor absolute,
 * -ENAMETOOLONG. */
int modpath_resolve(const char *kind, const char *name, char *buf, size_t size);
/** The module directory in use. */
const char *modpath_dir(void);
/** Auth library aliases: "VBoxAuth" -> "pam", "VBoxAuthSimple" -> "simple";
 * anything else unchanged. */
const char *modpath_auth_alias(const char *name);
/** Path of the vireo-authd helper: $VIREO_AUTHD, else next to the running
 * executable (the build tree), else PKGLIBEXECDIR. */
int modpath_authd(char *buf, size_t size);

#endif /* VIREO_HEADLESS_MODPATH_H */
