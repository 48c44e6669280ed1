/*
 * vrde.h - the remote-display module ABI of vireo (see vireo-vrde(3)).
 *
 * A VRDE module is a shared object that exports one symbol,
 * vireo_vrde_create().  The host (vireo-headless) hands it a table of
 * callbacks; the module returns a table of entry points and a server
 * handle.  Both tables begin with struct vrde_header; each side refuses a
 * version it does not know, or a size smaller than that version's table,
 * before calling anything else.  This is in the spirit of VirtualBox's
 * VRDE interface, not binary compatible with it.
 *
 * Threads: the host calls resize() and update() from its display thread,
 * one screen at a time, in order; other entry points from any host thread.
 * The module may call any callback from any of its threads; the host's
 * callbacks are thread-safe.  During update() the host holds the screen's
 * lock: the module may read the pixels it got from screen_query() but must
 * not call screen_lock() for that screen.  Pixels must not be read outside
 * update() or a screen_lock()/screen_unlock() pair.
 *
 * Errors: functions returning int use 0 (or a non-negative length) for
 * success and a negative errno for failure.
 *
 * Versions: version 2 added remote USB (the usb_* members at the end of
 * both tables).  A reader accepts versions VRDE_ABI_VERSION_MIN up to its
 * own, requires the size of that version's table (VRDE_HOST_CB_SIZE_V1,
 * VRDE_ENTRY_POINTS_SIZE_V1 for version 1) and never touches a member
 * the table's version and size do not cover.  A module built before
 * version 2 refuses a version-2 host table with -EPROTO; the host then
 * calls it again with the version-1 part of its table, so old modules
 * still load (without USB).
 */
#ifndef VIREO_VRDE_H
#define VIREO_VRDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes, and the oldest one a reader
 * of this header still accepts. */
#define VRDE_ABI_VERSION     2u
#define VRDE_ABI_VERSION_MIN 1u

/** The one symbol a module exports, and its type. */
#define VRDE_CREATE_SYMBOL "vireo_vrde_create"

/** Start of both tables: what the caller built them against. */
struct vrde_header {
	uint32_t version; /**< VRDE_ABI_VERSION */
	uint32_t size;	  /**< sizeof the whole table, in bytes */
};

/** Levels of the host's log() callback, most severe first; the host drops
 * or keeps a line by its own threshold. */
enum vrde_log_level {
	VRDE_LOG_ERR = 0,
	VRDE_LOG_WARN = 1,
	VRDE_LOG_INFO = 2,
	VRDE_LOG_DEBUG = 3,
};

/** A rectangle on one screen, in pixels, origin top-left. */
struct vrde_rect {
	int32_t x;
	int32_t y;
	uint32_t w;
	uint32_t h;
};

/** Geometry and pixels of one VM screen (a "head"). */
struct vrde_screen_info {
	uint32_t enabled; /**< 0: the guest has this head switched off */
	uint32_t width;	  /**< pixels */
	uint32_t height;  /**< pixels */
	uint32_t stride;  /**< bytes from one line to the next */
	uint32_t bpp;	  /**< always 32: XRGB8888, bytes B,G,R,X in memory */
	int32_t x_origin; /**< place in the multi-monitor desktop, pixels */
	int32_t y_origin;
	const uint8_t *pixels; /**< valid while the screen is locked */
};

/* Input events passed to the host's input() callback. */
enum vrde_input_type {
	VRDE_INPUT_SCANCODE = 0, /**< one key press or release */
	VRDE_INPUT_POINTER = 1,	 /**< absolute pointer, buttons, wheel */
	VRDE_INPUT_CAD = 2,	 /**< Ctrl-Alt-Del as one event */
	VRDE_INPUT_RESET = 3,	 /**< reset the VM (host may refuse) */
	VRDE_INPUT_SYNC = 4,	 /**< lock-key state of the client */
};

/* vrde_input_event.key.flags */
#define VRDE_KEY_RELEASE 0x0001u /**< key goes up (else down) */
#define VRDE_KEY_E0	 0x0002u /**< extended key: E0 prefix */
#define VRDE_KEY_E1	 0x0004u /**< E1 prefix (Pause) */

/* vrde_input_event.pointer.buttons */
#define VRDE_BUTTON_LEFT   0x01u
#define VRDE_BUTTON_RIGHT  0x02u
#define VRDE_BUTTON_MIDDLE 0x04u
#define VRDE_BUTTON_X1	   0x08u /**< "back" */
#define VRDE_BUTTON_X2	   0x10u /**< "forward" */

/* vrde_input_event.sync.locks */
#define VRDE_LOCK_SCROLL 0x01u
#define VRDE_LOCK_NUM	 0x02u
#define VRDE_LOCK_CAPS	 0x04u
#define VRDE_LOCK_KANA	 0x08u

struct vrde_input_event {
	uint32_t type; /**< enum vrde_input_type */
	union {
		struct {
			uint8_t scancode; /**< XT set-1 make code, 0x01..0x7f */
			uint8_t pad;
			uint16_t flags; /**< VRDE_KEY_* */
		} key;
		struct {
			int32_t x; /**< pixels on the client's screen */
			int32_t y;
			uint32_t buttons; /**< VRDE_BUTTON_* held now */
			int32_t wheel;	  /**< vertical notches, + = away */
			int32_t hwheel;	  /**< horizontal notches, + = right */
		} pointer;
		struct {
			uint32_t locks; /**< VRDE_LOCK_* */
		} sync;
	} u;
};

/** Pointer image: ARGB8888, straight alpha, hotspot inside the image. */
struct vrde_pointer_shape {
	uint32_t width;	 /**< 1..256 */
	uint32_t height; /**< 1..256 */
	uint32_t hot_x;
	uint32_t hot_y;
	const uint32_t *argb; /**< width*height pixels, row major */
};

/** What the module knows about a client asking to log on. */
struct vrde_logon {
	uint32_t client_id;
	const char *user;     /**< "@n" suffix already removed */
	const char *password; /**< plaintext, never logged */
	const char *domain;   /**< "@n" suffix already removed */
	const char *address;  /**< client IP as text */
	uint32_t screen;      /**< 0-based screen the client selected */
	const char *security; /**< "NLA", "TLS" or "RDP"; VNC module: "None",
				"VNC", "X509None", "X509Vnc", "X509Plain" */
};

/* Host property names the module may ask for besides the VRDE properties
 * (TCP/Ports, TCP/Address, Security/..., VideoChannel/..., Client/...). */
#define VRDE_HOST_PROP_MACHINE_FOLDER "Host/MachineFolder"
#define VRDE_HOST_PROP_MACHINE_NAME   "Host/MachineName"
#define VRDE_HOST_PROP_MACHINE_UUID   "Host/MachineUUID"
#define VRDE_HOST_PROP_AUTH_TYPE      "Host/AuthType" /* Null|External|Guest */
#define VRDE_HOST_PROP_NT_HASHES      "Host/AuthHasNtHashes" /* "1" or "0" */
/* "1": whatever a client sends is granted (authType Null, or an auth
 * library declaring VIREO_AUTH_F_GRANTS_ALL): listen on loopback only
 * unless TCP/Address is set. */
#define VRDE_HOST_PROP_GRANTS_ALL     "Host/AuthGrantsAll"
#define VRDE_HOST_PROP_SCREEN_COUNT   "Host/ScreenCount"

/* ---- Remote USB (version 2) ----
 *
 * A client's USB device, as the module reports it.  The host matches it
 * against the VM's USB device filters and, if it takes it, attaches a
 * proxy of it to the VM's USB controller; the guest's transfers then go
 * to the module as URBs and come back as completions.  The host answers
 * SET_ADDRESS itself and never sends it; it does send the guest's
 * SET_CONFIGURATION, SET_INTERFACE and CLEAR_FEATURE(ENDPOINT_HALT) as
 * control URBs, which the module maps to its protocol's own requests
 * (MS-RDPEUSB: SELECT_CONFIGURATION, SELECT_INTERFACE, reset pipe). */

enum vrde_usb_speed {
	VRDE_USB_SPEED_UNKNOWN = 0,
	VRDE_USB_SPEED_LOW = 1,	  /**< 1.5 Mbit/s */
	VRDE_USB_SPEED_FULL = 2,  /**< 12 Mbit/s */
	VRDE_USB_SPEED_HIGH = 3,  /**< 480 Mbit/s */
	VRDE_USB_SPEED_SUPER = 4, /**< 5 Gbit/s and up */
};

/** A client's device.  Strings are UTF-8 or NULL (the device has none);
 * all pointers are valid only during the call they are passed to. */
struct vrde_usb_device_desc {
	uint32_t client_id;
	uint32_t device_id; /**< the module's; unique per server, never 0 */
	uint16_t bcd_usb;
	uint16_t vendor_id;
	uint16_t product_id;
	uint16_t bcd_device;
	uint8_t dev_class;
	uint8_t dev_subclass;
	uint8_t dev_protocol;
	uint8_t speed; /**< enum vrde_usb_speed */
	const char *manufacturer;
	const char *product;
	const char *serial;
	const char *location; /**< where it sits on the client, for logs */
};

enum vrde_usb_xfer {
	VRDE_USB_XFER_CONTROL = 0, /**< default pipe, with a setup packet */
	VRDE_USB_XFER_ISOC = 1,	   /**< not supported yet: -ENOTSUP */
	VRDE_USB_XFER_BULK = 2,
	VRDE_USB_XFER_INTERRUPT = 3,
};

/** How a URB ended. */
enum vrde_usb_status {
	VRDE_USB_OK = 0,	/**< actual bytes moved */
	VRDE_USB_STALL = 1,	/**< the endpoint halted or refused */
	VRDE_USB_NODEV = 2,	/**< the device is gone (no response) */
	VRDE_USB_BABBLE = 3,	/**< more data than the buffer holds */
	VRDE_USB_SHORT = 4,	/**< short IN where short_ok was 0 */
	VRDE_USB_CANCELLED = 5, /**< usb_cancel() took it back */
	VRDE_USB_ERROR = 6,	/**< any other failure on the way */
};

/** One transfer the host submits. */
struct vrde_usb_urb {
	uint64_t handle;    /**< the host's, never 0; unique while queued */
	uint32_t device_id; /**< from vrde_usb_device_desc */
	uint8_t type;	    /**< enum vrde_usb_xfer */
	/** bEndpointAddress: number | 0x80 for IN; 0 (or 0x80) for control,
	 * whose direction is bit 7 of setup[0]. */
	uint8_t endpoint;
	uint8_t short_ok; /**< 1: a short IN is not an error */
	uint8_t pad;
	uint8_t setup[8]; /**< control only: the setup packet as sent */
	/** IN: the most bytes wanted; OUT: bytes in @data.  Control: the
	 * setup's wLength. */
	uint32_t length;
	const uint8_t *data; /**< OUT data, valid during usb_submit() */
};

/** A URB's end, reported by the module. */
struct vrde_usb_completion {
	uint64_t handle; /**< the URB's */
	uint32_t device_id;
	uint32_t status;     /**< enum vrde_usb_status */
	uint32_t actual;     /**< bytes moved (IN: bytes in @data) */
	const uint8_t *data; /**< IN data, valid during usb_complete() */
};

/** Callbacks the host implements. */
struct vrde_host_callbacks {
	struct vrde_header hdr;
	/** Copy property @name's value into @buf (NUL-terminated).
	 * @return its length, -ENOENT when unset, -ENOSPC if @size is short. */
	int (*get_property)(void *ctx, const char *name, char *buf,
			    size_t size);
	/** Authenticate and apply the connection policy.  Security "VNC"
	 * with password NULL: the module verified a VNC authentication
	 * response, judged by nla_begin()/nla_result() with the same
	 * security, and only the policy is applied.
	 * @return 0 to grant; -EACCES bad credentials; -EBUSY another client
	 * holds the VM (single-connection policy); -ERANGE bad screen. */
	int (*client_logon)(void *ctx, const struct vrde_logon *logon);
	/** The client's session is up (after a granted logon). */
	void (*client_connect)(void *ctx, uint32_t client_id);
	/** The client is gone (also for clients that never logged on). */
	void (*client_disconnect)(void *ctx, uint32_t client_id);
	/** Fill @info for @screen.  @return 0, or -ENOENT for no such screen.
	 */
	int (*screen_query)(void *ctx, uint32_t screen,
			    struct vrde_screen_info *info);
	void (*screen_lock)(void *ctx, uint32_t screen);
	void (*screen_unlock)(void *ctx, uint32_t screen);
	/** Input from @client_id, who looks at @screen. */
	void (*input)(void *ctx, uint32_t client_id, uint32_t screen,
		      const struct vrde_input_event *ev);
	/** A client asks for another size of @screen. */
	void (*video_mode_hint)(void *ctx, uint32_t screen, uint32_t width,
				uint32_t height);
	/** NT hash (MD4 of UTF-16LE password) of @user for NLA.
	 * @return 0, or -ENOENT when the auth library has none. */
	int (*get_nt_hash)(void *ctx, const char *user, const char *domain,
			   uint8_t hash[16]);
	/** The module bound @port (0: it failed to start listening). */
	void (*listening)(void *ctx, uint32_t port);
	/** A log line from the module, at an enum vrde_log_level. */
	void (*log)(void *ctx, int level, const char *msg);
	/** NLA: the client's NTLM response names @logon->user (password
	 * NULL).  The host judges the attempt like a client_logon() before
	 * the proof is checked: it may delay it (this call sleeps) and then
	 * supplies the NT hash into @hash.  Every call is followed by one
	 * nla_result() for the same client.  NULL: the module uses
	 * get_nt_hash() and nothing is counted.
	 * @return 0, -ENOENT no hash (the proof fails), -EBUSY refused. */
	int (*nla_begin)(void *ctx, const struct vrde_logon *logon,
			 uint8_t hash[16]);
	/** NLA: how the attempt nla_begin() started ended: 0 the proof
	 * verified, -EACCES it did not or the client left before it was
	 * known.  The host counts a failure like a denied client_logon(). */
	void (*nla_result)(void *ctx, const struct vrde_logon *logon,
			   int result);

	/* Version 2: remote USB.  The module calls these only when the
	 * table's version is 2 or more and Client/DisableUSB is not "1".
	 * vireo-headless queues their work for a thread of its own: they
	 * may be called from any module thread, with the module's locks
	 * held, even from inside usb_submit/usb_cancel/usb_reset. */
	/** A client plugged @dev in (or had it at logon).  The host decides
	 * at once: 0 it takes the device (URBs may follow at once); -EACCES
	 * no active filter with Remote or Any matches, or USB is disabled;
	 * -ENOSPC no free port; -ENODEV the VM has no USB controller.  On
	 * any refusal the module tells the client (MS-RDPEUSB:
	 * RETRACT_DEVICE) and forgets the device. */
	int (*usb_device_added)(void *ctx,
				const struct vrde_usb_device_desc *dev);
	/** A device the host took is gone (unplugged, its channel closed or
	 * its client disconnected).  Every URB still queued on it was
	 * completed (VRDE_USB_NODEV) before this call; usb_submit() for it
	 * now fails with -ENODEV. */
	void (*usb_device_removed)(void *ctx, uint32_t device_id);
	/** A URB ended.  Called once per URB accepted by usb_submit(), from
	 * any module thread, possibly before usb_submit() has returned.  The
	 * host may call usb_submit() and usb_cancel() from inside it. */
	void (*usb_complete)(void *ctx, const struct vrde_usb_completion *c);
};

/** Sizes of the version-1 tables (before the usb_* members). */
#define VRDE_HOST_CB_SIZE_V1                                                   \
	offsetof(struct vrde_host_callbacks, usb_device_added)

/* Codes for query_info().  Per-client codes take a client id; the others
 * ignore it.  Numbers are u32/u64/i64 in host byte order, strings UTF-8. */
enum vrde_query {
	VRDE_QI_ACTIVE = 0,	       /**< u32: clients connected now */
	VRDE_QI_NUMBER_OF_CLIENTS = 1, /**< u32: clients so far */
	VRDE_QI_PORT = 2,	       /**< i32: bound port, 0 failed */
	VRDE_QI_CLIENT_IDS = 3,	       /**< u32[]: ids connected now */
	VRDE_QI_BEGIN_TIME = 10,       /**< i64 ms since epoch, per client */
	VRDE_QI_BYTES_SENT = 11,       /**< u64, per client */
	VRDE_QI_BYTES_RECEIVED = 12,   /**< u64, per client */
	VRDE_QI_USER = 13,	       /**< string, per client */
	VRDE_QI_DOMAIN = 14,	       /**< string, per client */
	VRDE_QI_CLIENT_NAME = 15,      /**< string, per client */
	VRDE_QI_CLIENT_IP = 16,	       /**< string, per client */
	VRDE_QI_CLIENT_VERSION = 17,   /**< u32, per client */
	VRDE_QI_ENCRYPTION = 18,       /**< string "NLA"|"TLS"|"RDP" */
	VRDE_QI_SCREEN = 19,	       /**< u32: 0-based screen, per client */
	VRDE_QI_CODEC = 20,	       /**< string: encoding path, per client */
	VRDE_QI_CERT_FINGERPRINT = 21, /**< string: SHA-256 of TLS cert */
};

struct vrde_server; /* opaque, owned by the module */

/** Entry points the module implements. */
struct vrde_entry_points {
	struct vrde_header hdr;
	/** Disconnect everyone, stop listening, free @srv. */
	void (*destroy)(struct vrde_server *srv);
	/** Accept clients (true) or disconnect all and refuse (false). */
	int (*enable_connections)(struct vrde_server *srv, bool enable);
	/** Drop one client. */
	void (*disconnect)(struct vrde_server *srv, uint32_t client_id,
			   bool reconnect);
	/** @screen's geometry may have changed: query it again. */
	void (*resize)(struct vrde_server *srv, uint32_t screen);
	/** @rect of @screen changed; @rect NULL: this refresh is complete
	 * and the screen is consistent. */
	void (*update)(struct vrde_server *srv, uint32_t screen,
		       const struct vrde_rect *rect);
	/** New pointer image, shown on every screen. */
	void (*pointer_shape)(struct vrde_server *srv,
			      const struct vrde_pointer_shape *shape);
	void (*pointer_hide)(struct vrde_server *srv);
	/** Copy information @code (about @client_id where per client) to @buf.
	 * @return bytes needed (may exceed @size: then nothing was written),
	 * 0 when there is no such information, or a negative errno. */
	int (*query_info)(struct vrde_server *srv, uint32_t client_id,
			  uint32_t code, void *buf, size_t size);

	/* Version 2: remote USB, for devices the host took.  vireo-headless
	 * calls usb_submit, usb_cancel and usb_reset from the VMM's USB
	 * frame thread with the device's lock held: they must not block
	 * (queue and return); usb_release from its USB thread. */
	/** Queue @urb (copied; OUT data too).  Its completion comes later
	 * through usb_complete(), exactly once.  @return 0; -ENODEV the
	 * device is gone; -EINVAL a bad type, endpoint or length; -ENOTSUP
	 * isochronous; -ENOMEM; -EBUSY too many URBs queued on the device
	 * (the module's limit, at least 32). */
	int (*usb_submit)(struct vrde_server *srv,
			  const struct vrde_usb_urb *urb);
	/** Take back a queued URB: it completes with VRDE_USB_CANCELLED (or
	 * its real result if that arrived first).  @return 0 or -ENOENT. */
	int (*usb_cancel)(struct vrde_server *srv, uint32_t device_id,
			  uint64_t handle);
	/** Reset the device on the client (the guest reset its port).
	 * Queued URBs complete as cancelled first.  @return 0 or -ENODEV. */
	int (*usb_reset)(struct vrde_server *srv, uint32_t device_id);
	/** The host lets the device go (the VM stops, or a port could not be
	 * kept): URBs complete as cancelled, the client is told the device is
	 * no longer used, usb_device_removed() is not called. */
	void (*usb_release)(struct vrde_server *srv, uint32_t device_id);
};

#define VRDE_ENTRY_POINTS_SIZE_V1 offsetof(struct vrde_entry_points, usb_submit)

/**
 * Create a server.  Nothing is accepted until enable_connections(true).
 * @return 0 and set *@ep and *@srv; -EPROTO when @cb's version or size is
 * not understood (nothing else is called then); other negative errno.
 */
typedef int (*vrde_create_fn)(const struct vrde_host_callbacks *cb, void *ctx,
			      const struct vrde_entry_points **ep,
			      struct vrde_server **srv);

int vireo_vrde_create(const struct vrde_host_callbacks *cb, void *ctx,
		      const struct vrde_entry_points **ep,
		      struct vrde_server **srv);

#ifdef __cplusplus
}
#endif

#endif /* VIREO_VRDE_H */
