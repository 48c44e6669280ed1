/*
 * settings.h - VirtualBox-compatible machine (.vbox) and global registry
 * files: load, typed access, edit, safe save (vireo-settings(5)).
 *
 * The file's whole XML tree is kept, so anything vireo does not model
 * survives a rewrite.  Typed fields below are read from the tree at load
 * and written back into it at save.
 *
 * Errors: 0 or a negative errno; loaders also fill struct settings_error
 * with a message naming the file and line.
 *
 * NOTE for implementers: this is the agreed API surface that
 * vireo-headless and vireo-manage are written against; extend it, do not
 * rename or remove.
 */
#ifndef VIREO_SETTINGS_H
#define VIREO_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SETTINGS_UUID_LEN 38 /* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */

struct settings_error {
	char msg[512]; /**< "FILE:LINE: what is wrong" */
};

enum settings_auth_type {
	SETTINGS_AUTH_NULL = 0,
	SETTINGS_AUTH_EXTERNAL = 1,
	SETTINGS_AUTH_GUEST = 2,
};

struct settings_property {
	char *name;
	char *value;
};

struct settings_vrde {
	bool enabled;			   /* default false */
	enum settings_auth_type auth_type; /* default Null */
	uint32_t auth_timeout_ms;	   /* default 5000 */
	bool allow_multi_connection;	   /* default false */
	bool reuse_single_connection;	   /* default false */
	char *auth_library;		   /* NULL: use the global one */
	char *ext_pack;			   /* VRDEExtPack; NULL: "rdp" */
	/* VRDEProperties, with legacy port/netAddress/VideoChannel folded in */
	struct settings_property *props;
	size_t n_props;
};

/* vireo's own boot source, stored as ExtraData "vireo/Boot/..." */
enum settings_boot_kind {
	SETTINGS_BOOT_TESTCARD = 0, /* default */
	SETTINGS_BOOT_LINUX = 1,
};

struct settings_machine {
	char uuid[SETTINGS_UUID_LEN + 1];
	char *name;
	char *ostype;
	char *path;		   /* absolute path of the .vbox file */
	char *folder;		   /* directory holding it */
	uint32_t cpus;		   /* default 1 */
	uint32_t ram_mb;	   /* default 128 */
	uint32_t vram_mb;	   /* default 8 */
	uint32_t monitor_count;	   /* default 1 */
	char *graphics_controller; /* default "VBoxVGA" */
	struct settings_vrde vrde;
	/* more typed sections (boot order, network, storage, USB) live in
	 * settings_machine_priv; see the accessors in the implementation. */
	void *priv;
};

/* ---- machine files ---------------------------------------------------- */

int settings_machine_load(const char *path, struct settings_machine **out,
			  struct settings_error *err);
/** Write typed fields back and save safely (tmp, fsync, -prev, rename). */
int settings_machine_save(struct settings_machine *m,
			  struct settings_error *err);
void settings_machine_free(struct settings_machine *m);

/** @return the value or NULL (pointer owned by @m). */
const char *settings_machine_get_extradata(const struct settings_machine *m,
					   const char *key);
/** @value NULL deletes. */
int settings_machine_set_extradata(struct settings_machine *m, const char *key,
				   const char *value);
/** VRDE property value or NULL. */
const char *settings_vrde_get_property(const struct settings_machine *m,
				       const char *name);
/** @value NULL or "" deletes. */
int settings_vrde_set_property(struct settings_machine *m, const char *name,
			       const char *value);

/* ---- the global registry (VirtualBox.xml equivalent) ------------------ */

struct settings_registry;

/** Path of the registry file: $VIREO_HOME/vireo.xml, else
 * $XDG_CONFIG_HOME/vireo/vireo.xml, else ~/.config/vireo/vireo.xml. */
int settings_registry_path(char *buf, size_t size);
/** Load (an absent file is an empty registry). */
int settings_registry_open(struct settings_registry **out,
			   struct settings_error *err);
int settings_registry_save(struct settings_registry *r,
			   struct settings_error *err);
void settings_registry_free(struct settings_registry *r);
/** Find a machine by name or "{uuid}"/"uuid"; *@path malloc'd.
 * @return 0 or -ENOENT. */
int settings_registry_find(const struct settings_registry *r,
			   const char *name_or_uuid, char **path);
/** SystemProperties/@VRDEAuthLibrary or NULL. */
const char *settings_registry_auth_library(const struct settings_registry *r);
/** SystemProperties/@defaultMachineFolder (default "~/vireo VMs"). */
const char *settings_registry_machine_folder(const struct settings_registry *r);
const char *settings_registry_get_extradata(const struct settings_registry *r,
					    const char *key);

#endif /* VIREO_SETTINGS_H */
