/*
 * usb.h - the VMM's USB device layer: what a host controller (OHCI,
 * dev_pci_ohci.c) and a USB device (the emulated tablet, usb_tablet.c;
 * the proxy of a remote client's device, usb_remote.c) agree on.
 *
 * A host controller hands each transaction to the layer as a packet:
 * SETUP, IN or OUT on one endpoint of one device.  The layer runs the
 * default pipe's control-transfer state machine (setup, data and status
 * stages) and answers SET_ADDRESS and CLEAR_FEATURE(ENDPOINT_HALT)
 * itself, so a device sees whole requests; other endpoints go to the
 * device as they come.  Stalled endpoints stay halted until cleared.
 *
 * A device may finish a request or transfer at once, or return
 * USB_RES_ASYNC and finish it later from any thread with
 * usb_control_complete() / usb_packet_complete(): that is how a device
 * whose transfers go to an outside party (a remote client over RDP) fits.
 * While a packet is in flight the controller keeps it (and its buffer)
 * and asks usb_packet_poll() each frame; when it no longer wants it (the
 * guest unlinked the endpoint, a port or bus reset) it calls
 * usb_packet_cancel(), after which the device must not complete it.
 *
 * Locking: each device has a mutex taken by every function here; a
 * controller calls them with its own lock held (order: controller, then
 * device).  Device ops run with the device mutex held and must not call
 * back into this API for the same device, nor block.
 */
#ifndef VIREO_VMM_USB_H
#define VIREO_VMM_USB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum usb_speed {
	USB_SPEED_LOW = 0,
	USB_SPEED_FULL,
};

enum usb_pid {
	USB_PID_SETUP = 0,
	USB_PID_OUT,
	USB_PID_IN,
};

/* How a packet ended (what a controller turns into its condition code). */
enum usb_result {
	USB_RES_OK = 0,	   /* p->actual bytes moved */
	USB_RES_NAK,	   /* nothing now: the controller retries */
	USB_RES_STALL,	   /* the endpoint halted (or a request refused) */
	USB_RES_NODEV,	   /* no answer: no such device, or it left */
	USB_RES_BABBLE,	   /* the device had more than the buffer holds */
	USB_RES_IOERR,	   /* the transfer failed on the way */
	USB_RES_ASYNC,	   /* in flight: poll later */
	USB_RES_CANCELLED, /* the controller cancelled it */
};

/* The largest control data stage the layer buffers (wLength above it
 * is stalled), and the largest transfer a packet carries. */
#define USB_CTL_MAX  4096
#define USB_XFER_MAX 8192

struct usb_device;

struct usb_packet {
	uint8_t pid; /* enum usb_pid */
	uint8_t ep;  /* endpoint number 0..15 */
	uint8_t *data;
	uint32_t len;	 /* IN: room in data; OUT/SETUP: bytes in it */
	uint32_t actual; /* bytes moved when done */
	int result;	 /* enum usb_result */
	/* the layer's: in flight on @dev, and whether done since */
	struct usb_device *dev;
	bool in_flight, done;
};

struct usb_device_ops {
	const char *name;
	/* A control request on the default pipe (not SET_ADDRESS).  @data
	 * holds wLength bytes: OUT data, or room for IN data.  Sets
	 * *actual; returns OK, STALL, or ASYNC (then
	 * usb_control_complete() later). */
	int (*control)(struct usb_device *d, const uint8_t setup[8],
		       uint8_t *data, uint32_t *actual);
	/* A transfer on endpoint p->ep (1..15): OK, NAK, STALL, ... or
	 * ASYNC (then usb_packet_complete() later).  May be NULL. */
	int (*transfer)(struct usb_device *d, struct usb_packet *p);
	/* Forget an ASYNC transfer (@p) or control request (@p NULL). */
	void (*cancel)(struct usb_device *d, struct usb_packet *p);
	/* A bus reset from the port: back to the default state. */
	void (*reset)(struct usb_device *d);
	void (*destroy)(struct usb_device *d);
};

/* Control pipe stages (usb_core.c). */
enum usb_ctl_state {
	USB_CTL_IDLE = 0,
	USB_CTL_WAIT,	  /* the request is in flight (async) */
	USB_CTL_DATA_IN,  /* IN data stage: buf[pos..len) to send */
	USB_CTL_DATA_OUT, /* OUT data stage: collecting into buf */
	USB_CTL_STATUS,	  /* the status stage is next */
	USB_CTL_STALLED,  /* the request was refused */
};

struct usb_device {
	const struct usb_device_ops *ops;
	pthread_mutex_t lock;
	enum usb_speed speed;
	uint8_t addr;	    /* 0 until SET_ADDRESS */
	uint8_t config;	    /* bConfigurationValue set, 0 = unconfigured */
	bool halted[2][16]; /* [IN][endpoint] */
	struct {
		enum usb_ctl_state state;
		uint8_t setup[8];
		uint8_t buf[USB_CTL_MAX];
		uint32_t len, pos;
		int result;
		struct usb_packet *waiting; /* a stage held for the request */
		uint8_t new_addr;	    /* applied after the status stage */
	} ctl;
	void *priv; /* the device's own state */
};

/** Set up the layer's part of @d (ops, speed; address 0). */
void usb_device_init(struct usb_device *d, const struct usb_device_ops *ops,
		     enum usb_speed speed, void *priv);
/** Release the layer's part (not @d itself). */
void usb_device_fini(struct usb_device *d);
/** Port reset: cancel whatever is in flight, address 0, unconfigured,
 * endpoints un-halted, then ops->reset. */
void usb_device_reset(struct usb_device *d);
/** The device's address (0 before SET_ADDRESS). */
uint8_t usb_device_addr(struct usb_device *d);

/** One transaction.  @return a result; USB_RES_ASYNC means @p is in
 * flight and stays the caller's (with its buffer) until usb_packet_poll()
 * says otherwise or usb_packet_cancel(). */
int usb_packet_submit(struct usb_device *d, struct usb_packet *p);
/** An in-flight packet's result, or USB_RES_ASYNC while it runs. */
int usb_packet_poll(struct usb_packet *p);
/** Stop waiting for @p (no-op if it is not in flight). */
void usb_packet_cancel(struct usb_packet *p);

/* For devices, from any thread (not from inside an op). */
/** Finish the ASYNC transfer @p with @result and @actual bytes (IN data
 * already in p->data).  Ignored when @p was cancelled. */
void usb_packet_complete(struct usb_device *d, struct usb_packet *p, int result,
			 uint32_t actual);
/** Finish the ASYNC control request: @result OK or STALL, @actual IN
 * bytes copied from @data (NULL for none). */
void usb_control_complete(struct usb_device *d, int result, const void *data,
			  uint32_t actual);

/* The same with d->lock already held: a device that must look up its
 * own state under the lock first (usb_remote.c, whose completions race
 * with the controller cancelling and reusing the packet). */
void usb_packet_complete_locked(struct usb_device *d, struct usb_packet *p,
				int result, uint32_t actual);
void usb_control_complete_locked(struct usb_device *d, int result,
				 const void *data, uint32_t actual);

/* Saved state (state.h): the layer's part of a device (address,
 * configuration, halted endpoints, the control pipe; a request in
 * flight is not kept: the guest's retry starts it again), and the
 * tablet's.  Loads check every value and say what is wrong in @err. */
struct vmm_sw;
struct vmm_sr;
void usb_device_save(struct usb_device *d, struct vmm_sw *w);
int usb_device_load(struct usb_device *d, struct vmm_sr *r, char *err,
		    size_t errlen);
void usb_tablet_save(struct usb_device *d, struct vmm_sw *w);
int usb_tablet_load(struct usb_device *d, struct vmm_sr *r, char *err,
		    size_t errlen);

/* Standard requests and descriptors (USB 1.1 chapter 9). */
#define USB_REQ_GET_STATUS	  0x00
#define USB_REQ_CLEAR_FEATURE	  0x01
#define USB_REQ_SET_FEATURE	  0x03
#define USB_REQ_SET_ADDRESS	  0x05
#define USB_REQ_GET_DESCRIPTOR	  0x06
#define USB_REQ_GET_CONFIGURATION 0x08
#define USB_REQ_SET_CONFIGURATION 0x09
#define USB_REQ_GET_INTERFACE	  0x0a
#define USB_REQ_SET_INTERFACE	  0x0b
#define USB_DT_DEVICE		  1
#define USB_DT_CONFIG		  2
#define USB_DT_STRING		  3

/* The emulated absolute USB tablet (usb_tablet.c). */
struct usb_device *usb_tablet_create(void);
/** A pointer state: @x, @y 0..0x7fff over the desktop, buttons bit0
 * left, bit1 right, bit2 middle, wheel notches (positive: away). */
void usb_tablet_event(struct usb_device *d, uint32_t x, uint32_t y,
		      uint32_t buttons, int32_t wheel);

#endif /* VIREO_VMM_USB_H */
