/*
 * rdp_urbdrc_pdu.h - the messages of MS-RDPEUSB (USB redirection over the
 * dynamic channel "URBDRC"), server role: builders for what the server
 * sends, a parser for what a client sends, and the parsers and builders
 * the other side needs (for the unit test and the probe's client).
 *
 * Pure code: no FreeRDP, no allocation except the growing output buffer.
 * Every length read from a message is checked against what is left of it;
 * a parser fails with -EBADMSG and points ->err at a sentence naming what
 * was wrong, for the one log line the caller writes.
 *
 * Layouts (MS-RDPEUSB §2.2, all little-endian): a header of u32
 * InterfaceId (bits 30-31 the mask), u32 MessageId, and u32 FunctionId
 * in requests (responses have none).  The values, and the deviations of
 * FreeRDP 2.11 tolerated here, are in usb-facts §2.
 */
#ifndef VIREO_RDP_URBDRC_PDU_H
#define VIREO_RDP_URBDRC_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define URBDRC_CHANNEL_NAME "URBDRC"

/* InterfaceId masks (bits 30-31) and the id part */
#define URBDRC_MASK_NONE  0x00000000u
#define URBDRC_MASK_PROXY 0x40000000u
#define URBDRC_MASK_STUB  0x80000000u
#define URBDRC_MASK_BITS  0xC0000000u
#define URBDRC_ID_BITS	  0x3FFFFFFFu

/* Fixed interfaces */
#define URBDRC_IF_CAPS	     0x00000000u /* capability negotiator */
#define URBDRC_IF_DEVSINK    0x00000001u /* client device sink */
#define URBDRC_IF_SERVER_NTF 0x00000002u /* server channel notification */
#define URBDRC_IF_CLIENT_NTF 0x00000003u /* client channel notification */

/* FunctionIds */
#define URBDRC_FN_RELEASE		 0x001u /* RIMCALL_RELEASE */
#define URBDRC_FN_CAPS_REQUEST		 0x100u
#define URBDRC_FN_CHANNEL_CREATED	 0x100u
#define URBDRC_FN_ADD_VIRTUAL_CHANNEL	 0x100u
#define URBDRC_FN_ADD_DEVICE		 0x101u
#define URBDRC_FN_CANCEL_REQUEST	 0x100u
#define URBDRC_FN_REGISTER_CALLBACK	 0x101u
#define URBDRC_FN_IO_CONTROL		 0x102u
#define URBDRC_FN_INTERNAL_IO_CONTROL	 0x103u
#define URBDRC_FN_QUERY_DEVICE_TEXT	 0x104u
#define URBDRC_FN_TRANSFER_IN		 0x105u
#define URBDRC_FN_TRANSFER_OUT		 0x106u
#define URBDRC_FN_RETRACT_DEVICE	 0x107u
#define URBDRC_FN_IOCONTROL_COMPLETION	 0x100u
#define URBDRC_FN_URB_COMPLETION	 0x101u
#define URBDRC_FN_URB_COMPLETION_NO_DATA 0x102u

/* TS_URB functions */
#define URBDRC_URB_SELECT_CONFIGURATION	 0x0000u
#define URBDRC_URB_SELECT_INTERFACE	 0x0001u
#define URBDRC_URB_PIPE_REQUEST		 0x0002u
#define URBDRC_URB_CONTROL_TRANSFER	 0x0008u
#define URBDRC_URB_BULK_OR_INTERRUPT	 0x0009u
#define URBDRC_URB_GET_DESCRIPTOR_DEVICE 0x000Bu
#define URBDRC_URB_VENDOR_DEVICE	 0x0017u
#define URBDRC_URB_VENDOR_INTERFACE	 0x0018u
#define URBDRC_URB_VENDOR_ENDPOINT	 0x0019u
#define URBDRC_URB_CLASS_DEVICE		 0x001Au
#define URBDRC_URB_CLASS_INTERFACE	 0x001Bu
#define URBDRC_URB_CLASS_ENDPOINT	 0x001Cu
#define URBDRC_URB_SYNC_RESET_PIPE_CLEAR 0x001Eu
#define URBDRC_URB_CLASS_OTHER		 0x001Fu
#define URBDRC_URB_VENDOR_OTHER		 0x0020u
#define URBDRC_URB_GET_DESCRIPTOR_EP	 0x0024u
#define URBDRC_URB_GET_DESCRIPTOR_IF	 0x0028u
#define URBDRC_URB_SYNC_RESET_PIPE	 0x0030u
#define URBDRC_URB_SYNC_CLEAR_STALL	 0x0031u
#define URBDRC_URB_CONTROL_TRANSFER_EX	 0x0032u

/* TransferFlags */
#define URBDRC_XFER_DIRECTION_IN 0x1u
#define URBDRC_XFER_SHORT_OK	 0x2u
#define URBDRC_XFER_DEFAULT_PIPE 0x8u

/* USBD_STATUS values a completion carries */
#define URBDRC_USBD_SUCCESS	       0x00000000u
#define URBDRC_USBD_STALL_PID	       0xC0000004u
#define URBDRC_USBD_DEV_NOT_RESPONDING 0xC0000005u
#define URBDRC_USBD_DATA_OVERRUN       0xC0000008u
#define URBDRC_USBD_DATA_UNDERRUN      0xC0000009u
#define URBDRC_USBD_BUFFER_OVERRUN     0xC000000Cu
#define URBDRC_USBD_BABBLE	       0xC0000012u
#define URBDRC_USBD_DEVICE_GONE	       0xC0007000u
#define URBDRC_USBD_CANCELED	       0xC0010000u

/* IOCTLs */
#define URBDRC_IOCTL_SUBMIT_URB	     0x00220003u
#define URBDRC_IOCTL_RESET_PORT	     0x00220007u
#define URBDRC_IOCTL_GET_PORT_STATUS 0x00220013u
#define URBDRC_IOCTL_CYCLE_PORT	     0x0022001Fu
#define URBDRC_IOCTL_QUERY_BUS_TIME  0x00224000u

#define URBDRC_RETRACT_BLOCKED_BY_POLICY 1u
#define URBDRC_TEXT_DESCRIPTION		 0u
#define URBDRC_TEXT_LOCATION		 1u
#define URBDRC_TEXT_LOCALE		 0x0409u /* en-US */

/* Limits of what the parser keeps (more is an error, not a truncation,
 * except for a device text, which is only logged). */
#define URBDRC_STR_MAX	  256 /* UTF-8 bytes of one id string, with NUL */
#define URBDRC_PIPES_MAX  32  /* pipes of one SELECT_* result */
#define URBDRC_IFACES_MAX 16  /* interfaces of one SELECT_CONFIGURATION */

/* ---- output ------------------------------------------------------------ */

/* A growing message.  Out of memory sets @oom and later puts do nothing. */
struct urbdrc_buf {
	uint8_t *data;
	size_t len, cap;
	bool oom;
};

void urbdrc_buf_free(struct urbdrc_buf *b);
void urbdrc_put_u8(struct urbdrc_buf *b, uint8_t v);
void urbdrc_put_u16(struct urbdrc_buf *b, uint16_t v);
void urbdrc_put_u32(struct urbdrc_buf *b, uint32_t v);
void urbdrc_put_bytes(struct urbdrc_buf *b, const void *p, size_t n);
/** UTF-8 @s as UTF-16LE with its NUL.  @return code units written. */
uint32_t urbdrc_put_utf16z(struct urbdrc_buf *b, const char *s);

/* ---- server to client ------------------------------------------------ */

void urbdrc_put_caps_request(struct urbdrc_buf *b, uint32_t msgid);
void urbdrc_put_release(struct urbdrc_buf *b, uint32_t iface, uint32_t msgid);
/** CHANNEL_CREATED v1.0 on @iface (server 0x40000002, client 0x40000003).
 */
void urbdrc_put_channel_created(struct urbdrc_buf *b, uint32_t iface,
				uint32_t msgid);
void urbdrc_put_register_callback(struct urbdrc_buf *b, uint32_t usbdev,
				  uint32_t msgid, uint32_t completion);
void urbdrc_put_cancel(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
		       uint32_t request_id);
void urbdrc_put_retract(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
			uint32_t reason);
void urbdrc_put_io_control(struct urbdrc_buf *b, uint32_t usbdev,
			   uint32_t msgid, bool internal, uint32_t code,
			   const uint8_t *in, uint32_t in_len,
			   uint32_t out_size, uint32_t request_id);
void urbdrc_put_query_text(struct urbdrc_buf *b, uint32_t usbdev,
			   uint32_t msgid, uint32_t type, uint32_t locale);

/* A TS_URB the server sends (the fields its function uses). */
struct urbdrc_urb {
	uint16_t fn;		       /* URBDRC_URB_* */
	uint32_t request_id;	       /* 31 bits */
	uint32_t pipe;		       /* pipe handle */
	uint32_t flags;		       /* TransferFlags */
	uint32_t timeout;	       /* CONTROL_TRANSFER_EX, ms */
	uint8_t setup[8];	       /* control */
	uint8_t desc_index, desc_type; /* GET_DESCRIPTOR_* */
	uint16_t lang;
	uint8_t request; /* VENDOR/CLASS */
	uint16_t value, index;
	uint32_t config_handle; /* SELECT_INTERFACE */
	uint8_t iface, alt;	/* SELECT_INTERFACE */
	/* SELECT_CONFIGURATION / SELECT_INTERFACE: the full configuration
	 * descriptor the interface information is taken from; NULL with
	 * SELECT_CONFIGURATION: unconfigure */
	const uint8_t *config;
	uint32_t config_len;
};

/** TRANSFER_IN_REQUEST (@out NULL) or TRANSFER_OUT_REQUEST with @out_len
 * bytes of @out; @out_size: OutputBufferSize (IN: the most wanted).
 * @return 0, or -EINVAL when @u cannot be expressed (bad descriptor). */
int urbdrc_put_transfer(struct urbdrc_buf *b, uint32_t usbdev, uint32_t msgid,
			const struct urbdrc_urb *u, uint32_t out_size,
			const uint8_t *out, uint32_t out_len);

/* ---- client to server: the parser -------------------------------------- */

enum urbdrc_kind {
	URBDRC_K_CAPS_RSP = 1,
	URBDRC_K_CHANNEL_CREATED,
	URBDRC_K_RELEASE,
	URBDRC_K_ADD_VIRTUAL_CHANNEL,
	URBDRC_K_ADD_DEVICE,
	URBDRC_K_TEXT_RSP,	   /* QUERY_DEVICE_TEXT response (mask STUB) */
	URBDRC_K_IOCTL_DONE,	   /* IOCONTROL_COMPLETION */
	URBDRC_K_URB_DONE,	   /* URB_COMPLETION */
	URBDRC_K_URB_DONE_NO_DATA, /* URB_COMPLETION_NO_DATA */
};

/* USB_DEVICE_CAPABILITIES */
struct urbdrc_dev_caps {
	uint32_t cb_size, bus_if_version, usbdi_version, usb_version;
	uint32_t hcd_caps, high_speed, jitter_ms;
};

/* What ADD_DEVICE says, strings as UTF-8 (multi-sz: the first two hardware
 * ids, the first compatible id). */
struct urbdrc_add_device {
	uint32_t usbdev;
	char instance_id[URBDRC_STR_MAX];
	char hw_id[2][URBDRC_STR_MAX];
	char compat_id[URBDRC_STR_MAX];
	char container_id[URBDRC_STR_MAX];
	struct urbdrc_dev_caps caps;
};

struct urbdrc_msg {
	enum urbdrc_kind kind;
	uint32_t iface; /* with its mask */
	uint32_t msgid;
	uint32_t fn; /* 0 in responses */
	/* CAPS_RSP */
	uint32_t capability, hresult;
	/* CHANNEL_CREATED */
	uint32_t major, minor, caps;
	/* ADD_DEVICE */
	struct urbdrc_add_device dev;
	/* TEXT_RSP: UTF-8, cut at a character when longer (@text_cut) */
	char text[URBDRC_STR_MAX];
	bool text_cut;
	/* completions */
	uint32_t request_id;
	uint32_t information;  /* IOCTL_DONE */
	uint16_t result_size;  /* TS_URB_RESULT_HEADER.Size */
	uint16_t result_fn;    /* its padding: FreeRDP puts the fn */
	uint32_t usbd_status;  /* TS_URB_RESULT_HEADER.UsbdStatus */
	const uint8_t *result; /* after the 8-byte result header */
	uint32_t result_len;
	uint32_t out_size;   /* OutputBufferSize as sent */
	const uint8_t *data; /* the bytes that follow (URB_DONE, IOCTL) */
	uint32_t data_len;   /* bytes present: min(out_size, what is left) */
};

/** Parse one client message.  @return 0, or -EBADMSG with *@err set. */
int urbdrc_parse_client(const uint8_t *p, size_t n, struct urbdrc_msg *m,
			const char **err);

/* One pipe of a SELECT_CONFIGURATION / SELECT_INTERFACE result. */
struct urbdrc_pipe {
	uint8_t iface, alt;
	uint8_t ep; /* bEndpointAddress */
	uint8_t interval;
	uint16_t mps;
	uint32_t type; /* 0 control 1 isoch 2 bulk 3 interrupt */
	uint32_t handle;
	uint32_t max_transfer;
};

struct urbdrc_select_result {
	uint32_t config_handle;
	uint32_t nifaces;
	uint32_t npipes;
	struct urbdrc_pipe pipe[URBDRC_PIPES_MAX];
};

/** The TS_URB_SELECT_CONFIGURATION_RESULT (@select_if false) or
 * TS_URB_SELECT_INTERFACE_RESULT in @m->result.  @return 0 or -EBADMSG. */
int urbdrc_parse_select_result(const uint8_t *p, size_t n, bool select_if,
			       struct urbdrc_select_result *r,
			       const char **err);

/* ---- the client's side (tests, the probe) ------------------------------ */

/* A request as the client sees it. */
struct urbdrc_req {
	uint32_t iface, msgid, fn;
	uint32_t capability;		 /* caps request */
	uint32_t major, minor;		 /* channel created */
	uint32_t count, completion;	 /* register callback */
	uint32_t request_id;		 /* cancel, ioctl, transfer */
	uint32_t reason;		 /* retract */
	uint32_t code, in_len, out_size; /* ioctl; out_size: transfers too */
	const uint8_t *in;
	uint32_t text_type, locale; /* query device text */
	/* transfers: the TS_URB */
	uint16_t urb_size, urb_fn;
	bool no_ack;
	const uint8_t *urb; /* after its 8-byte header */
	uint32_t urb_len;
	const uint8_t *out; /* TRANSFER_OUT data */
	uint32_t out_len;
};

/** Parse what the server sends (the client's view).  @return 0 or
 * -EBADMSG. */
int urbdrc_parse_server(const uint8_t *p, size_t n, struct urbdrc_req *r,
			const char **err);

void urbdrc_put_caps_response(struct urbdrc_buf *b, uint32_t msgid);
void urbdrc_put_add_virtual_channel(struct urbdrc_buf *b, uint32_t msgid);
void urbdrc_put_add_device(struct urbdrc_buf *b,
			   const struct urbdrc_add_device *d);
void urbdrc_put_text_response(struct urbdrc_buf *b, uint32_t usbdev,
			      uint32_t msgid, const char *text,
			      uint32_t hresult);
void urbdrc_put_ioctl_done(struct urbdrc_buf *b, uint32_t completion,
			   uint32_t msgid, uint32_t request_id,
			   uint32_t hresult, uint32_t information,
			   const uint8_t *data, uint32_t len);
/** URB_COMPLETION (@data non-NULL, or @no_data false) or _NO_DATA.
 * @result: the result body after its 8-byte header (select results). */
void urbdrc_put_urb_done(struct urbdrc_buf *b, uint32_t completion,
			 uint32_t msgid, uint32_t request_id, bool no_data,
			 uint16_t urb_fn, uint32_t usbd_status,
			 const uint8_t *result, uint32_t result_len,
			 uint32_t out_size, const uint8_t *data,
			 uint32_t data_len);

/* ---- USB descriptors ------------------------------------------------- */

/* Walk a configuration descriptor: the endpoints of @iface/@alt (all
 * interfaces' alternate 0 when @iface < 0), up to @max.  @return how
 * many, or -EBADMSG when a descriptor overruns. */
int urbdrc_config_endpoints(const uint8_t *cfg, size_t n, int iface,
			    uint8_t alt, struct urbdrc_pipe *out, int max);

#endif /* VIREO_RDP_URBDRC_PDU_H */
