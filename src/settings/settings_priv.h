/*
 * settings_priv.h - what the settings library's files share: the XML
 * helpers (namespace-blind lookups, indentation-preserving inserts), the
 * private half of struct settings_machine, and the safe writer.
 *
 * Lookups match local names only, because a file uses one of two
 * namespaces (http://www.virtualbox.org/ or the older innotek one) and new
 * nodes must be created in whichever the file already uses.
 */
#ifndef VIREO_SETTINGS_PRIV_H
#define VIREO_SETTINGS_PRIV_H

#include <libxml/tree.h>

#include "settings.h"

#define SETTINGS_NS_CURRENT "http://www.virtualbox.org/"
#define SETTINGS_NS_INNOTEK "http://www.innotek.de/VirtualBox-settings"

/* Parse context: the file name for messages and the first error. */
struct sx_ctx {
	const char *path;
	struct settings_error *err;
	int rc;
};

void sx_fail(struct sx_ctx *c, xmlNodePtr node, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void settings_error_set(struct settings_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

xmlNodePtr sx_child(xmlNodePtr parent, const char *name);
xmlNodePtr sx_next(xmlNodePtr node, const char *name);
/** Walk "A/B/C" from @from; NULL when any step is missing. */
xmlNodePtr sx_path(xmlNodePtr from, const char *path);
/** Append an element after the last element child, copying its
 * indentation so the rewritten file stays readable. */
xmlNodePtr sx_add(xmlNodePtr parent, const char *name);
xmlNodePtr sx_ensure(xmlNodePtr parent, const char *name);
/** A new element just before @sibling, indented like it. */
xmlNodePtr sx_insert_before(xmlNodePtr sibling, const char *name);
/** Unlink and free @node together with the whitespace before it. */
void sx_remove(xmlNodePtr node);
/** Move @node (with its indentation) to the end of @parent. */
void sx_move(xmlNodePtr node, xmlNodePtr parent);

/** malloc'd attribute value or NULL. */
char *sx_attr(xmlNodePtr node, const char *name);
bool sx_attr_bool(struct sx_ctx *c, xmlNodePtr node, const char *name,
		  bool def);
uint32_t sx_attr_u32(struct sx_ctx *c, xmlNodePtr node, const char *name,
		     uint32_t def);
/** @value NULL removes the attribute. */
void sx_set(xmlNodePtr node, const char *name, const char *value);
void sx_set_u32(xmlNodePtr node, const char *name, uint32_t value);
void sx_set_bool(xmlNodePtr node, const char *name, bool value);

/** Parse @buf; on error fill @err with "PATH:LINE: message". */
int sx_parse(const char *buf, size_t len, const char *path, xmlDocPtr *out,
	     struct settings_error *err);
/** Read a whole file (malloc'd, NUL-terminated). */
int sx_read_file(const char *path, char **buf, size_t *len);
/** Check root <VirtualBox>, namespace and version; @minor gets 12..20. */
int sx_check_root(xmlDocPtr doc, const char *path, unsigned *minor,
		  struct settings_error *err);

/* ---- safe save (save.c) --------------------------------------------- */

/** Exclusive flock on the file @path (re-taken if the file was replaced
 * while waiting); @return the fd holding it or -errno. */
int settings_lock_file(const char *path);
/** tmp + fsync, link old to -prev, rename, fsync dir.  @held: NULL or
 * -1, the file is locked for the save only; else the caller's lock fd on
 * the file, replaced by one on the new file. */
int settings_write_file(const char *path, const char *buf, size_t len,
			int *held, struct settings_error *err);
int settings_doc_dump(xmlDocPtr doc, char **buf, size_t *len);

/* ---- the machine's private half ------------------------------------- */

struct settings_machine_priv {
	xmlDocPtr doc;
	xmlNodePtr machine;
	char *version;
	unsigned minor;
	int lock_fd;
	bool hwvirtex; /* HardwareVirtEx/@enabled; edited in the tree */
	/* typed scalars as loaded, to write back only what changed */
	struct settings_machine orig;
	/* derived from the tree again after every edit (machine_hw.c) */
	struct settings_property *extradata;
	size_t n_extradata;
	enum settings_boot_device boot[SETTINGS_BOOT_POSITIONS];
	struct settings_nic *nics;
	size_t n_nics;
	struct settings_controller *ctls;
	size_t n_ctls;
	struct settings_attachment *atts;
	size_t n_atts;
	struct settings_usb_controller *usb_ctls;
	size_t n_usb_ctls;
	struct settings_usb_filter *usb_filters;
	size_t n_usb_filters;
	enum settings_pointing pointing;
	struct settings_uart uarts[SETTINGS_MAX_UARTS];
	size_t n_uarts;
};

static inline struct settings_machine_priv *
machine_priv(const struct settings_machine *m)
{
	return (struct settings_machine_priv *)m->priv;
}

xmlNodePtr machine_hardware(struct settings_machine *m, bool create);
/** Re-derive every list view from the tree. */
int machine_reparse(struct settings_machine *m, struct sx_ctx *c);
void machine_free_views(struct settings_machine_priv *p);

/* Teleporter (machine_teleporter.c): check it, hash a plain password */
int teleporter_parse(struct settings_machine *m, struct sx_ctx *c);

/* RemoteDisplay (machine_vrde.c) */
int machine_vrde_parse(struct settings_machine *m, struct sx_ctx *c);
void machine_vrde_write(struct settings_machine *m);
void machine_vrde_free(struct settings_vrde *v);
int machine_vrde_copy(struct settings_vrde *dst,
		      const struct settings_vrde *src);

/* ExtraData lists shared by machine and registry (extradata.c) */
int extradata_parse(xmlNodePtr owner, struct settings_property **items,
		    size_t *n);
int extradata_set(xmlNodePtr owner, const char *key, const char *value);
/** The line of ExtraDataItem @key in its file, 0 if unknown. */
long extradata_line(xmlNodePtr owner, const char *key);
void props_free(struct settings_property *p, size_t n);

/* USB and the pointing device (machine_usb.c) */
int usb_parse(struct settings_machine *m, struct sx_ctx *c);
void usb_free_views(struct settings_machine_priv *p);

/* serial ports (machine_uart.c) */
int uart_parse(struct settings_machine *m, struct sx_ctx *c);
void uart_free_views(struct settings_machine_priv *p);

/* storage (machine_storage.c) */
xmlNodePtr storage_controllers_node(struct settings_machine *m, bool create);
int storage_parse(struct settings_machine *m, struct sx_ctx *c);

char *settings_strdup(const char *s);
void settings_random_bytes(void *buf, size_t len);

#endif /* VIREO_SETTINGS_PRIV_H */
