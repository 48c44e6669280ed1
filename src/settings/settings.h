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
 * Contents, by topic: common types and uuids; the machine file (load,
 * save, the struct); a machine's ExtraData, VRDE server, boot, CPU,
 * network, storage and USB; the global registry; password hashes.
 */
#ifndef VIREO_SETTINGS_H
#define VIREO_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- common types and uuids ----------------------------------------- */

#define SETTINGS_UUID_LEN 38 /* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */

struct settings_error {
	char msg[512]; /**< "FILE:LINE: what is wrong" */
};

struct settings_property {
	char *name;
	char *value;
};

/* uuids: "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", lower case. */
void settings_uuid_generate(char out[SETTINGS_UUID_LEN + 1]);
/** Accept with or without braces, any case. @return 0 or -EINVAL. */
int settings_uuid_normalize(const char *in, char out[SETTINGS_UUID_LEN + 1]);

/* ---- the machine file ----------------------------------------------- */

/* The VRDE server (Hardware/RemoteDisplay); its properties below. */
enum settings_auth_type {
	SETTINGS_AUTH_NULL = 0,
	SETTINGS_AUTH_EXTERNAL = 1,
	SETTINGS_AUTH_GUEST = 2,
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
	 * settings_machine_priv, read and written by the accessors below */
	void *priv;
};

int settings_machine_load(const char *path, struct settings_machine **out,
			  struct settings_error *err);
/** Write typed fields back and save safely (tmp, fsync, -prev, rename). */
int settings_machine_save(struct settings_machine *m,
			  struct settings_error *err);
void settings_machine_free(struct settings_machine *m);

/** Load and keep an exclusive lock on the machine's directory until
 * settings_machine_free(), so a load-modify-save cannot interleave with
 * another writer (vireo-manage uses this). */
int settings_machine_load_locked(const char *path,
				 struct settings_machine **out,
				 struct settings_error *err);
/** Parse a machine file from memory (@path names it in messages and sets
 * m->path; nothing is read from disk).  Used by the fuzz target. */
int settings_machine_load_buffer(const char *buf, size_t len, const char *path,
				 struct settings_machine **out,
				 struct settings_error *err);
/** A new machine file in memory (settings version 1.19-linux); nothing is
 * written until settings_machine_save().  @uuid NULL: a random one. */
int settings_machine_new(const char *path, const char *name, const char *ostype,
			 const char *uuid, struct settings_machine **out,
			 struct settings_error *err);
/** Write typed fields back and serialise to memory (malloc'd, for tests). */
int settings_machine_serialize(struct settings_machine *m, char **buf,
			       size_t *len);
/** "1.16-linux" as found in the file. */
const char *settings_machine_version(const struct settings_machine *m);

/* ---- a machine's ExtraData ------------------------------------------ */

/** @return the value or NULL (pointer owned by @m). */
const char *settings_machine_get_extradata(const struct settings_machine *m,
					   const char *key);
/** The line of @m's file that sets ExtraData @key, for "FILE:LINE:"
 * messages; 0 when unknown (not set, or set in memory only). */
long settings_machine_extradata_line(const struct settings_machine *m,
				     const char *key);
/** @value NULL deletes. */
int settings_machine_set_extradata(struct settings_machine *m, const char *key,
				   const char *value);
/** All ExtraData items in file order (array owned by @m). */
size_t settings_machine_extradata(const struct settings_machine *m,
				  const struct settings_property **items);

/** Machine/@stateFile: the saved state the VM resumes from on its next
 * start (VirtualBox's "saved" state), as written: relative to the machine
 * folder or absolute.  malloc'd, or NULL when the VM has none. */
char *settings_machine_state_file(const struct settings_machine *m);
/** Set it (@path NULL removes it); written by the next save.
 * @return 0. */
int settings_machine_set_state_file(struct settings_machine *m,
				    const char *path);

/** What a host stop does to the running VM: Machine/Autostart/@autostop,
 * VirtualBox's names (VBoxManage modifyvm --autostop-type). */
enum settings_autostop {
	SETTINGS_AUTOSTOP_DISABLED,	/* "Disabled": the power button */
	SETTINGS_AUTOSTOP_SAVESTATE,	/* "SaveState" */
	SETTINGS_AUTOSTOP_POWEROFF,	/* "PowerOff" */
	SETTINGS_AUTOSTOP_ACPISHUTDOWN, /* "AcpiShutdown": the power button */
};
/** Its name in the file ("SaveState"...), NULL for a bad value. */
const char *settings_autostop_name(enum settings_autostop a);
/** Read it (Disabled when absent).  @return 0, or -EINVAL for a value
 * that is none of the four (@raw, when not NULL, gets it, malloc'd). */
int settings_machine_autostop(const struct settings_machine *m,
			      enum settings_autostop *out, char **raw);
/** Set it.  @return 0 or -EINVAL. */
int settings_machine_set_autostop(struct settings_machine *m,
				  enum settings_autostop a);

/* ---- a machine's teleporter (vireo-teleport(7)) --------------------- */

/* <Machine><Teleporter>: the VM, when started, waits for a teleported
 * one instead of booting.  The password is only ever held in
 * VirtualBox's "#SHA-512##<hex>" form. */
#define SETTINGS_TP_HASH_LEN (10 + 128)
struct settings_teleporter {
	bool enabled;
	uint32_t port;				 /* 0: any free one */
	char *address;				 /* "" or NULL: every address */
	char password[SETTINGS_TP_HASH_LEN + 1]; /* "" none, else hashed */
};

/** The settings (old Machine attributes are read too).  @return 0, or
 * -EINVAL for a value that is not a number/boolean. */
int settings_machine_teleporter(const struct settings_machine *m,
				struct settings_teleporter *out);
void settings_teleporter_free(struct settings_teleporter *t);
/** Write them as the <Teleporter> element (the old attributes go);
 * @t->password must be "" or hashed.  @return 0 or -EINVAL. */
int settings_machine_set_teleporter(struct settings_machine *m,
				    const struct settings_teleporter *t);
/** VirtualBox's stored form of @plain: "#SHA-512##" and the lower-case
 * hex SHA-512.  @return 0, -ENOSPC. */
int settings_teleporter_hash(const char *plain, char *out, size_t size);
/** Is @v in that form? */
bool settings_teleporter_is_hashed(const char *v);

/* ---- a machine's VRDE server ---------------------------------------- */

/** The VRDE "extension pack" that serves @m: its own VRDEExtPack, else
 * @global (setproperty vrdeextpack), else "RDP".  Never NULL. */
const char *settings_vrde_ext_pack(const struct settings_machine *m,
				   const char *global);
/** The module a VRDE extension pack name loads (vireo-vrde-NAME.so):
 * "rdp" for RDP and VirtualBox's own pack names, "vnc" for VNC (any
 * case), else @name itself. */
const char *settings_vrde_module(const char *name);
/** VRDE property value or NULL. */
const char *settings_vrde_get_property(const struct settings_machine *m,
				       const char *name);
/** @value NULL or "" deletes. */
int settings_vrde_set_property(struct settings_machine *m, const char *name,
			       const char *value);

/* ---- a machine's boot source and order, CPU ------------------------- */

/* Boot order (Hardware/Boot/Order); default Floppy, DVD, HardDisk, None. */
enum settings_boot_device {
	SETTINGS_BOOTDEV_NONE = 0,
	SETTINGS_BOOTDEV_FLOPPY,
	SETTINGS_BOOTDEV_DVD,
	SETTINGS_BOOTDEV_HARDDISK,
	SETTINGS_BOOTDEV_NETWORK,
};
#define SETTINGS_BOOT_POSITIONS 4
/** @order gets SETTINGS_BOOT_POSITIONS entries. */
void settings_machine_boot_order(const struct settings_machine *m,
				 enum settings_boot_device *order);
/** @position 1..4.  @return 0 or -EINVAL. */
int settings_machine_set_boot_order(struct settings_machine *m,
				    unsigned position,
				    enum settings_boot_device dev);
/** "None", "Floppy", "DVD", "HardDisk", "Network". */
const char *settings_boot_device_name(enum settings_boot_device dev);

/** vireo's boot source from ExtraData vireo/Boot/Source (default testcard).
 * Kernel/initrd/cmdline: settings_machine_get_extradata("vireo/Boot/..."). */
enum settings_boot_kind
settings_machine_boot_kind(const struct settings_machine *m);

/** Hardware virtualization: HardwareVirtEx/@enabled, default true; in
 * Hardware/CPU up to settings 1.19, in Hardware/Platform/x86 from 1.20.
 * vireo-headless runs the VM on KVM when it is on (the software CPU when
 * /dev/kvm is not usable) and on the software CPU when it is off. */
bool settings_machine_hwvirtex(const struct settings_machine *m);
/** Set it; a file without the element gets one only for false.
 * @return 0 or -ENOMEM. */
int settings_machine_set_hwvirtex(struct settings_machine *m, bool on);

/* ---- a machine's network adapters ----------------------------------- */

/* Network adapters (Hardware/Network/Adapter). */
enum settings_nic_attachment {
	SETTINGS_NIC_NULL = 0, /* enabled but not attached */
	SETTINGS_NIC_NAT,
	SETTINGS_NIC_BRIDGED,
	SETTINGS_NIC_INTNET,
	SETTINGS_NIC_HOSTONLY,
	SETTINGS_NIC_GENERIC,
	SETTINGS_NIC_NATNETWORK,
};
struct settings_port_forward {
	char *name;
	char *proto;   /* "tcp" or "udp" (file: 1 = TCP, 0 = UDP) */
	char *host_ip; /* "" = any */
	uint16_t host_port;
	char *guest_ip; /* "" = the guest's DHCP address */
	uint16_t guest_port;
};
struct settings_nic {
	uint32_t slot;	    /* 0-based */
	bool enabled;	    /* default false */
	bool cable;	    /* default true */
	char *adapter_type; /* "82540EM", "virtio", ... */
	char *mac;	    /* 12 hex digits or NULL */
	enum settings_nic_attachment attachment;
	struct settings_port_forward *forwards; /* NAT only */
	size_t n_forwards;
};
/** Adapters present in the file, in slot order (array owned by @m). */
size_t settings_machine_nics(const struct settings_machine *m,
			     const struct settings_nic **nics);
/** @slot 0-based; @kind "none" (disable), "null", or "nat".
 * @return 0 or -EINVAL. */
int settings_machine_set_nic(struct settings_machine *m, uint32_t slot,
			     const char *kind);
/** Add (or with @remove delete by name) a NAT port forward on @slot. */
int settings_machine_set_port_forward(struct settings_machine *m, uint32_t slot,
				      const struct settings_port_forward *pf,
				      bool remove);

/* ---- a machine's storage -------------------------------------------- */

/* Storage (StorageControllers, resolved through the MediaRegistry). */
struct settings_controller {
	char *name;
	char *type; /* "PIIX4", "AHCI", "VirtioSCSI", ... */
	uint32_t port_count;
	bool bootable; /* default true */
};
struct settings_attachment {
	char *controller; /* controller name */
	char *type;	  /* "HardDisk", "DVD", "Floppy" */
	int32_t port;
	int32_t device;
	char *medium_uuid;   /* "{...}" or NULL (empty drive) */
	char *medium_path;   /* absolute path, NULL if not in a registry */
	char *medium_format; /* "RAW", "VDI", ... or NULL */
};
size_t settings_machine_controllers(const struct settings_machine *m,
				    const struct settings_controller **out);
size_t settings_machine_attachments(const struct settings_machine *m,
				    const struct settings_attachment **out);
/** Add a controller (or update one of that name).  @bus "ide", "sata",
 * "scsi", "floppy", "sas", "usb", "pcie", "virtio"; @type NULL: the bus's
 * default chip.  @port_count 0: default.  @return 0 or -EINVAL/-EEXIST. */
int settings_machine_set_controller(struct settings_machine *m,
				    const char *name, const char *bus,
				    const char *type, uint32_t port_count);
int settings_machine_remove_controller(struct settings_machine *m,
				       const char *name);
/** Attach @medium_path (absolute; registered in the machine's
 * MediaRegistry as @format with @medium_uuid or a new uuid) at
 * controller/port/device as @type; @medium_path NULL detaches.
 * @return 0, -ENOENT (no controller), -EINVAL. */
int settings_machine_attach(struct settings_machine *m, const char *controller,
			    int32_t port, int32_t device, const char *type,
			    const char *medium_path, const char *medium_uuid,
			    const char *format);

/* ---- a machine's USB ------------------------------------------------ */

/* USB (Hardware/USB). */
struct settings_usb_controller {
	char *name;
	char *type; /* "OHCI", "EHCI", "XHCI" */
};
struct settings_usb_filter {
	char *name;
	bool active;
	bool remote_set; /* whether the "remote" attribute is present */
	char *remote;	 /* "yes"/"no"/"" ... as written */
	char *vendor_id, *product_id, *revision, *manufacturer, *product;
	char *serial_number, *port, *masked_interfaces;
};
size_t
settings_machine_usb_controllers(const struct settings_machine *m,
				 const struct settings_usb_controller **out);
size_t settings_machine_usb_filters(const struct settings_machine *m,
				    const struct settings_usb_filter **out);
/** Is a controller of @type ("OHCI", "EHCI", "XHCI"; any case) there? */
bool settings_machine_usb_controller(const struct settings_machine *m,
				     const char *type);
/** Add (@on) or remove the controller of @type, named as VirtualBox
 * names it ("OHCI", "EHCI", "xHCI").  @return 0, -EINVAL (unknown type),
 * -ENOTSUP (xHCI in a pre-1.14 <USBController> file). */
int settings_machine_set_usb_controller(struct settings_machine *m,
					const char *type, bool on);
/* A filter edit: NULL leaves a field, "" removes it (any value matches);
 * @active -1 leaves it. */
struct settings_usb_filter_edit {
	const char *name, *vendor_id, *product_id, *revision;
	const char *manufacturer, *product, *serial_number;
	const char *remote; /* "yes", "no", "" (any) */
	int active;
};
/** @insert: a new filter at @index (0..count; @e->name required), the
 * ones from @index on move down; else change filter @index.
 * @return 0, -ENOENT (no such index), -EINVAL. */
int settings_machine_usb_filter_edit(struct settings_machine *m, size_t index,
				     bool insert,
				     const struct settings_usb_filter_edit *e);
/** @return 0 or -ENOENT. */
int settings_machine_usb_filter_remove(struct settings_machine *m,
				       size_t index);

/* The pointing device (Hardware/HID/@Pointing, VirtualBox's
 * PointingHIDType); default PS2Mouse.  vireo runs PS2Mouse and USBTablet. */
enum settings_pointing {
	SETTINGS_POINTING_NONE = 0,
	SETTINGS_POINTING_PS2MOUSE,
	SETTINGS_POINTING_USBMOUSE,
	SETTINGS_POINTING_USBTABLET,
	SETTINGS_POINTING_COMBOMOUSE,
	SETTINGS_POINTING_USBMULTITOUCH,
	SETTINGS_POINTING_USBMTSCREENPLUSPAD,
};
enum settings_pointing
settings_machine_pointing(const struct settings_machine *m);
/** "PS2Mouse", "USBTablet", ... as the file spells them. */
const char *settings_pointing_name(enum settings_pointing t);
int settings_machine_set_pointing(struct settings_machine *m,
				  enum settings_pointing t);

/* Serial ports (Hardware/UART/Port).  VirtualBox has 4 slots; vireo's
 * VMM runs slots 0 and 1 (COM1, COM2). */
#define SETTINGS_MAX_UARTS 4
enum settings_uart_mode {
	SETTINGS_UART_DISCONNECTED = 0,
	SETTINGS_UART_FILE,   /* RawFile: path is the file */
	SETTINGS_UART_PIPE,   /* HostPipe: a unix socket; server or client */
	SETTINGS_UART_DEVICE, /* HostDevice: kept, not run by vireo */
	SETTINGS_UART_TCP,    /* TCP: server: path is [ADDR:]PORT; client:
			       * HOST:PORT */
};
enum settings_uart_type {
	SETTINGS_UART_16550A = 0,
	SETTINGS_UART_16450,
	SETTINGS_UART_16750,
};
struct settings_uart {
	uint32_t slot; /* 0-based: 0 is COM1 */
	bool enabled;
	uint32_t io_base; /* IOBase, or IOAddress from 1.20; 0 if absent */
	uint32_t irq;
	enum settings_uart_mode mode;
	char *path; /* "" when absent */
	bool server;
	enum settings_uart_type type;
};
/** Ports present in the file (array owned by @m). */
size_t settings_machine_uarts(const struct settings_machine *m,
			      const struct settings_uart **out);
/** The port of @slot, or NULL when the file has none. */
const struct settings_uart *
settings_machine_uart(const struct settings_machine *m, uint32_t slot);
/** Write @u's element (created if missing).  @return 0 or -EINVAL. */
int settings_machine_set_uart(struct settings_machine *m,
			      const struct settings_uart *u);
/** "Disconnected", "RawFile", "HostPipe", "HostDevice", "TCP". */
const char *settings_uart_mode_name(enum settings_uart_mode mode);
/** "16550A", "16450", "16750". */
const char *settings_uart_type_name(enum settings_uart_type type);

/* ---- the global registry (VirtualBox.xml equivalent) ---------------- */

struct settings_registry;

/** Path of the registry file: $VIREO_HOME/vireo.xml, else
 * $XDG_CONFIG_HOME/vireo/vireo.xml, else ~/.config/vireo/vireo.xml. */
int settings_registry_path(char *buf, size_t size);
/** Load (an absent file is an empty registry). */
int settings_registry_open(struct settings_registry **out,
			   struct settings_error *err);
int settings_registry_open_locked(struct settings_registry **out,
				  struct settings_error *err);
/** A registry from @len bytes of @buf read from @path (which only names
 * it in errors; nothing is written there unless saved).  For tests. */
int settings_registry_load_buffer(const char *buf, size_t len, const char *path,
				  struct settings_registry **out,
				  struct settings_error *err);
int settings_registry_save(struct settings_registry *r,
			   struct settings_error *err);
void settings_registry_free(struct settings_registry *r);
const char *settings_registry_file(const struct settings_registry *r);

/* Registered machines */
struct settings_registry_entry {
	char uuid[SETTINGS_UUID_LEN + 1];
	char *path; /* absolute */
};
/** Find a machine by name or "{uuid}"/"uuid"; *@path malloc'd.
 * @return 0 or -ENOENT. */
int settings_registry_find(const struct settings_registry *r,
			   const char *name_or_uuid, char **path);
size_t settings_registry_machines(const struct settings_registry *r,
				  const struct settings_registry_entry **out);
/** @return 0 or -EEXIST (uuid or path already registered). */
int settings_registry_add_machine(struct settings_registry *r, const char *uuid,
				  const char *path);
/** @return 0 or -ENOENT. */
int settings_registry_remove_machine(struct settings_registry *r,
				     const char *uuid);

/* SystemProperties */
/** SystemProperties/@VRDEAuthLibrary or NULL. */
const char *settings_registry_auth_library(const struct settings_registry *r);
/** SystemProperties/@defaultVRDEExtPack (setproperty vrdeextpack) or NULL:
 * the VRDE module of VMs that name none. */
const char *settings_registry_vrde_ext_pack(const struct settings_registry *r);
/** @value NULL: back to the default. */
int settings_registry_set_vrde_ext_pack(struct settings_registry *r,
					const char *value);
int settings_registry_set_auth_library(struct settings_registry *r,
				       const char *value);
/** SystemProperties/@defaultMachineFolder (default "~/vireo VMs"). */
const char *settings_registry_machine_folder(const struct settings_registry *r);
int settings_registry_set_machine_folder(struct settings_registry *r,
					 const char *value);

/* Global ExtraData */
const char *settings_registry_get_extradata(const struct settings_registry *r,
					    const char *key);
int settings_registry_set_extradata(struct settings_registry *r,
				    const char *key, const char *value);
size_t settings_registry_extradata(const struct settings_registry *r,
				   const struct settings_property **items);

/** Global MediaRegistry/HardDisks: add an image; find by "{uuid}" or path.
 * @return 0, -EEXIST / -ENOENT. */
int settings_registry_add_hard_disk(struct settings_registry *r,
				    const char *uuid, const char *location,
				    const char *format);
int settings_registry_find_hard_disk(const struct settings_registry *r,
				     const char *uuid_or_path,
				     char uuid[SETTINGS_UUID_LEN + 1],
				     char **location, char **format);

/* ---- password hashes ------------------------------------------------ */

/* Password hashes (vireo's conventions.md). @out must hold 200 bytes.
 * pbkdf2 refuses fewer than VIREO_AUTH_PBKDF2_MIN_ITERATIONS (-EINVAL). */
int settings_password_hash_sha256(const char *pw, char *out, size_t size);
int settings_password_hash_pbkdf2(const char *pw, unsigned iterations,
				  char *out, size_t size);
int settings_password_nt_hash(const char *pw, char *out, size_t size);

#endif /* VIREO_SETTINGS_H */
