/*
 * probe_urbdrc.c - the client side of MS-RDPEUSB for rdp-probe, with
 * synthetic devices, so the RDP module's remote USB is tested without a
 * USB bus and with what a real client cannot be made to do.
 *
 * Enabled by /dvc:urbdrc[,OPTION...] (rdp-probe --freerdp
 * /dvc:urbdrc,loopback,tablet): FreeRDP asks the addin provider for
 * "urbdrc" and ours answers before the library's built-in one (which
 * needs real devices through libusb).  Options:
 *   loopback      a vendor device 1209:4c42 whose bulk OUT 0x01 feeds a
 *                 FIFO that bulk IN 0x81 reads back (INs wait for data)
 *   tablet        a HID tablet 0627:0001, interrupt IN 0x81 answered at
 *                 once with a 6-byte report
 *   flood=N       N more loopback devices (the server's per-client limit)
 *   vanish        the device is unplugged while a bulk IN waits, the
 *                 way FreeRDP 2.11 does it: a zero-length write, which
 *                 its drdynvc turns into closing the device channel
 *                 (IWTSVirtualChannel::Close does nothing there)
 *   gone          the device stops answering while a bulk IN waits:
 *                 that IN and later ones complete with
 *                 USBD_STATUS_DEVICE_GONE, the channel stays
 *   drop          the whole client vanishes (the process exits at once)
 *                 while a bulk IN waits
 *   malformed     answer the first bulk transfer with a truncated message
 *   toolong       answer the first bulk IN with more bytes than asked for
 *   unknownid     answer the first bulk transfer with a RequestId the
 *                 server never used
 *   spec          complete OUT as URB_COMPLETION_NO_DATA (the spec)
 *                 instead of echoing the data (FreeRDP 2.11)
 *   longtext      describe the device (QUERY_DEVICE_TEXT) with the
 *                 longest string a USB device has: 126 CJK characters
 *                 (U+4E2D), 378 bytes of UTF-8
 *   turn=CASE     send one message out of turn, once (then carry on as
 *                 usual); ctl-* on the control channel, dev-* on the
 *                 first device channel to get there:
 *                   ctl-created-early, dev-created-early: CHANNEL_CREATED
 *                     before the capability response
 *                   ctl-addvc-early: ADD_VIRTUAL_CHANNEL before it
 *                   ctl-adddev, dev-adddev-early: ADD_DEVICE before it
 *                   ctl-caps-twice, dev-caps-twice: the capability
 *                     response twice
 *                   dev-created-twice: CHANNEL_CREATED twice
 *                   ctl-completion: an IOCONTROL_COMPLETION on the control
 *                     channel instead of ADD_VIRTUAL_CHANNEL (sent after)
 *                   dev-addvc: ADD_VIRTUAL_CHANNEL instead of ADD_DEVICE
 *                   dev-completion-early: a URB completion before
 *                     ADD_DEVICE
 *                   dev-adddev-twice: ADD_DEVICE twice
 *                   dev-ioctl-unknown: IO_CONTROL answered with a
 *                     RequestId the server never used
 *                   dev-after-retract: after RETRACT_DEVICE, ADD_DEVICE
 *                     and a completion on the retracted device's channel
 * The first "URBDRC" channel is the control channel; each IFACE_RELEASE
 * 0x40000002 on it sends one ADD_VIRTUAL_CHANNEL per device (FreeRDP's
 * order), each on a later channel binds the next device (ADD_DEVICE).
 *
 * The JSON report gains "urbdrc": {counters}; --wait-urbdrc KEY=N waits
 * until a counter reaches N.  Runs on FreeRDP's drdynvc thread; one
 * mutex guards everything.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <freerdp/addin.h>
#include <freerdp/client/channels.h>
#include <freerdp/dvc.h>
#include <freerdp/settings.h>

#include "probe.h"
#include "vrde/rdp/rdp_urbdrc_pdu.h"

#define PU_DEVS_MAX  40
#define PU_FIFO_MAX  (4u << 20)
#define PU_PARKED    16
#define PU_PIPE_BASE 0x01050000u /* FreeRDP: bus << 24 | dev << 16 | ep */
/* a RequestCompletion interface no REGISTER_REQUEST_CALLBACK named */
#define PU_STRAY_CB  0x100u

enum pu_kind { PU_LOOPBACK, PU_TABLET };

struct pu_dev {
	enum pu_kind kind;
	uint32_t usbdev;
	bool bound;
	struct pu_chan *ch;
	uint8_t *fifo; /* loopback */
	size_t fifo_len;
	struct {
		uint32_t request_id, msgid, len;
	} parked[PU_PARKED];
	int nparked;
};

struct pu_chan {
	IWTSVirtualChannelCallback iface; /* first: FreeRDP casts */
	IWTSVirtualChannel *chan;
	bool control;
	bool closed;
	struct pu_dev *dev;
	uint32_t completion;
	struct pu_chan *next_all;
};

static pthread_mutex_t pu_lock = PTHREAD_MUTEX_INITIALIZER;
static IWTSPlugin pu_plugin;
static IWTSListenerCallback pu_listener;
static struct pu_dev pu_devs[PU_DEVS_MAX];
static int pu_ndevs;
static struct pu_chan *pu_ctl_chan, *pu_all;
static bool pu_announced;
static struct {
	bool vanish, gone_opt, drop, malformed, toolong, unknownid, spec;
	bool longtext;
	char turn[32]; /* turn=CASE, "" none */
	bool turn_done;
	bool vanish_done, malformed_done, toolong_done, unknownid_done;
	bool gone; /* vanish happened: every request fails */
} pu_opt;

/* counters for the report and --wait-urbdrc */
#define PU_COUNTERS(X)                                                         \
	X(channels)                                                            \
	X(caps)                                                                \
	X(created)                                                             \
	X(add_vc)                                                              \
	X(devices)                                                             \
	X(registered)                                                          \
	X(select_config)                                                       \
	X(select_if)                                                           \
	X(control)                                                             \
	X(descriptors)                                                         \
	X(bulk_in)                                                             \
	X(bulk_out)                                                            \
	X(interrupt_in)                                                        \
	X(pipe_reset)                                                          \
	X(ioctl)                                                               \
	X(resets)                                                              \
	X(texts)                                                               \
	X(cancels)                                                             \
	X(cancelled)                                                           \
	X(retracts)                                                            \
	X(closed)                                                              \
	X(ended)                                                               \
	X(bytes_out)                                                           \
	X(bytes_in)                                                            \
	X(bad)                                                                 \
	X(misbehaved)
#define PU_FIELD(n) uint64_t n;
static struct {
	PU_COUNTERS(PU_FIELD)
} pu_n;

/* ---- descriptors ------------------------------------------------------ */

static const uint8_t pu_loop_dev[18] = {18,   1,    0x00, 0x02, 0xff, 0,
					0,    64,   0x09, 0x12, 0x42, 0x4c,
					0x00, 0x01, 1,	  2,	3,    1};
static const uint8_t pu_loop_cfg[32] = {
    9, 2, 32, 0, 1, 1, 0,  0x80, 50, 9, 4, 0,	 0, 2,	0xff, 0,
    0, 0, 7,  5, 1, 2, 64, 0,	 0,  7, 5, 0x81, 2, 64, 0,    0};
static const uint8_t pu_tab_dev[18] = {18,   1,	   0x00, 0x01, 0, 0, 0, 8, 0x27,
				       0x06, 0x01, 0x00, 0,    0, 1, 2, 3, 1};
static const uint8_t pu_tab_cfg[34] = {
    9, 2, 34,	0, 1, 1, 0, 0xa0, 50, 9, 4, 0, 0,    1, 3, 0, 2,
    0, 9, 0x21, 1, 0, 0, 1, 0x22, 74, 0, 7, 5, 0x81, 3, 8, 0, 10};

static const char *const pu_strings[2][3] = {
    {"vireo", "USB loopback", "LB0001"}, {"QEMU", "QEMU USB Tablet", "42"}};

/* longtext's description: 126 x U+4E2D in UTF-8. */
static const char *
pu_long_text(void)
{
	static char text[126 * 3 + 1];

	for (int i = 0; i < 126; i++)
		memcpy(text + 3 * i, "\xe4\xb8\xad", 3);
	return text;
}

/* A descriptor into @out (at most @max bytes).  @return its length or
 * -1 (stall). */
static int
pu_descriptor(const struct pu_dev *d, uint8_t type, uint8_t index, uint8_t *out,
	      uint32_t max)
{
	const uint8_t *src = NULL;
	uint8_t buf[256];
	size_t n = 0;

	if (type == 1) {
		src = d->kind == PU_LOOPBACK ? pu_loop_dev : pu_tab_dev;
		n = 18;
	} else if (type == 2 && index == 0) {
		src = d->kind == PU_LOOPBACK ? pu_loop_cfg : pu_tab_cfg;
		n = d->kind == PU_LOOPBACK ? sizeof(pu_loop_cfg)
					   : sizeof(pu_tab_cfg);
	} else if (type == 3 && index == 0) {
		static const uint8_t lang[4] = {4, 3, 0x09, 0x04};

		src = lang;
		n = 4;
	} else if (type == 3 && index >= 1 && index <= 3) {
		const char *s = pu_strings[d->kind][index - 1];

		buf[1] = 3;
		n = 2;
		for (; *s && n + 2 <= sizeof(buf); s++) {
			buf[n++] = (uint8_t)*s;
			buf[n++] = 0;
		}
		buf[0] = (uint8_t)n;
		src = buf;
	} else {
		return -1;
	}
	if (n > max)
		n = max;
	memcpy(out, src, n);
	return (int)n;
}

/* ---- writing ----------------------------------------------------------- */

/* Is @name the turn=CASE to play now (once)? */
static bool
pu_turn(const struct pu_chan *pc, const char *name)
{
	if (pu_opt.turn_done || strcmp(pu_opt.turn, name) ||
	    pc->control != !strncmp(name, "ctl-", 4))
		return false;
	pu_opt.turn_done = true;
	pu_n.misbehaved++;
	return true;
}

static void
pu_send(struct pu_chan *pc, struct urbdrc_buf *b)
{
	if (!b->oom && !pc->closed)
		pc->chan->Write(pc->chan, (ULONG)b->len, b->data, NULL);
	urbdrc_buf_free(b);
}

/* Complete request @rid (message @msgid) of @pc's device. */
static void
pu_done(struct pu_chan *pc, uint32_t msgid, uint32_t rid, uint32_t status,
	bool in, const uint8_t *data, uint32_t len, uint16_t fn)
{
	struct urbdrc_buf b = {0};

	if (in || !pu_opt.spec)
		/* IN data, or FreeRDP 2.11's echo of OUT data */
		urbdrc_put_urb_done(&b, pc->completion, msgid, rid, len == 0,
				    fn, status, NULL, 0, len, data, len);
	else
		urbdrc_put_urb_done(&b, pc->completion, msgid, rid, true, fn,
				    status, NULL, 0, len, NULL, 0);
	pu_send(pc, &b);
}

/* The result body of SELECT_CONFIGURATION (@iface < 0) or
 * SELECT_INTERFACE, from the device's configuration. */
static void
pu_select_result(const struct pu_dev *d, int iface, struct urbdrc_buf *r)
{
	const uint8_t *cfg = d->kind == PU_LOOPBACK ? pu_loop_cfg : pu_tab_cfg;
	size_t n =
	    d->kind == PU_LOOPBACK ? sizeof(pu_loop_cfg) : sizeof(pu_tab_cfg);
	struct urbdrc_pipe ep[8];
	int k =
	    urbdrc_config_endpoints(cfg, n, iface < 0 ? -1 : iface, 0, ep, 8);

	if (k < 0)
		k = 0;
	if (iface < 0) {
		urbdrc_put_u32(r, 0x1234); /* ConfigurationHandle */
		urbdrc_put_u32(r, 1);
	}
	urbdrc_put_u16(r, (uint16_t)(16 + 20 * k));
	urbdrc_put_u8(r, 0);
	urbdrc_put_u8(r, 0);
	urbdrc_put_u8(r, cfg[14]);
	urbdrc_put_u8(r, cfg[15]);
	urbdrc_put_u8(r, cfg[16]);
	urbdrc_put_u8(r, 0);
	urbdrc_put_u32(r, 0x5678);
	urbdrc_put_u32(r, (uint32_t)k);
	for (int i = 0; i < k; i++) {
		urbdrc_put_u16(r, ep[i].mps);
		urbdrc_put_u8(r, ep[i].ep);
		urbdrc_put_u8(r, ep[i].interval);
		urbdrc_put_u32(r, ep[i].type);
		urbdrc_put_u32(r, PU_PIPE_BASE | ep[i].ep);
		urbdrc_put_u32(r, 0x10000);
		urbdrc_put_u32(r, 0);
	}
}

/* ---- the device ---------------------------------------------------------- */

/* A control request: @setup, OUT @data.  IN answer into @out.  @return
 * bytes, or -1 stall. */
static int
pu_control(struct pu_dev *d, const uint8_t *s, uint8_t *out, uint32_t max)
{
	uint16_t len = (uint16_t)(s[6] | s[7] << 8);

	if (s[0] == 0x80 && s[1] == 6)
		return pu_descriptor(d, s[3], s[2], out, len < max ? len : max);
	if (s[0] == 0x81 && s[1] == 6 && s[3] == 0x22 && d->kind == PU_TABLET) {
		/* report descriptor: content does not matter here */
		uint32_t n = len < max ? len : max;

		memset(out, 0, n);
		return (int)n;
	}
	if ((s[0] & 0x80) && s[1] == 0 && max >= 2) { /* GET_STATUS */
		out[0] = out[1] = 0;
		return 2;
	}
	if (s[0] == 0xc0 && s[1] == 1 && max >= 4 && d->kind == PU_LOOPBACK) {
		/* vendor: bytes waiting in the FIFO */
		uint32_t f = (uint32_t)d->fifo_len;

		memcpy(out, &f, 4);
		return 4;
	}
	if (!(s[0] & 0x80))
		return 0; /* SET_IDLE, vendor OUT, ...: accepted */
	return -1;
}

/* Serve parked bulk INs from the FIFO. */
static void
pu_serve(struct pu_chan *pc)
{
	struct pu_dev *d = pc->dev;

	while (d->nparked && d->fifo_len) {
		uint32_t n = d->parked[0].len;

		if (n > d->fifo_len)
			n = (uint32_t)d->fifo_len;
		pu_done(pc, d->parked[0].msgid, d->parked[0].request_id, 0,
			true, d->fifo, n, URBDRC_URB_BULK_OR_INTERRUPT);
		pu_n.bytes_in += n;
		memmove(d->fifo, d->fifo + n, d->fifo_len - n);
		d->fifo_len -= n;
		memmove(&d->parked[0], &d->parked[1],
			(size_t)(--d->nparked) * sizeof(d->parked[0]));
	}
}

static void *
pu_vanish_thread(void *arg)
{
	struct pu_chan *pc = arg;
	struct pu_dev *d;

	usleep(100 * 1000);
	if (pu_opt.drop)
		_exit(4); /* the client is gone, mid-transfer */
	pthread_mutex_lock(&pu_lock);
	if (pu_opt.vanish) {
		pc->closed = true;
		pu_n.closed++;
		pthread_mutex_unlock(&pu_lock);
		/* not under the lock: closing calls pu_on_close at once */
		pc->chan->Write(pc->chan, 0, NULL, NULL);
		return NULL;
	}
	d = pc->dev;
	pu_opt.gone = true;
	pu_n.closed++;
	while (d && d->nparked) {
		pu_done(pc, d->parked[0].msgid, d->parked[0].request_id,
			URBDRC_USBD_DEVICE_GONE, true, NULL, 0,
			URBDRC_URB_BULK_OR_INTERRUPT);
		memmove(&d->parked[0], &d->parked[1],
			(size_t)(--d->nparked) * sizeof(d->parked[0]));
	}
	pthread_mutex_unlock(&pu_lock);
	return NULL;
}

/* One of the selected misbehaviours, for a bulk request.  @return true
 * when it replaced the normal answer. */
static bool
pu_misbehave(struct pu_chan *pc, const struct urbdrc_req *q, bool in,
	     uint32_t len)
{
	struct urbdrc_buf b = {0};
	uint8_t junk[8] = {0};

	if (pu_opt.malformed && !pu_opt.malformed_done) {
		pu_opt.malformed_done = true;
		urbdrc_put_urb_done(&b, pc->completion, q->msgid, q->request_id,
				    true, 9, 0, NULL, 0, 0, NULL, 0);
		b.len -= 6; /* cut into HResult */
	} else if (pu_opt.unknownid && !pu_opt.unknownid_done) {
		pu_opt.unknownid_done = true;
		urbdrc_put_urb_done(&b, pc->completion, q->msgid,
				    q->request_id + 1000, true, 9, 0, NULL, 0,
				    0, NULL, 0);
	} else if (pu_opt.toolong && in && !pu_opt.toolong_done) {
		uint8_t *big = calloc(1, (size_t)len + 8);

		pu_opt.toolong_done = true;
		if (big)
			urbdrc_put_urb_done(&b, pc->completion, q->msgid,
					    q->request_id, false, 9, 0, NULL, 0,
					    len + 8, big, len + 8);
		free(big);
		if (!big)
			return false;
		(void)junk;
	} else {
		return false;
	}
	pu_n.misbehaved++;
	pu_send(pc, &b);
	return true;
}

static void
pu_bulk(struct pu_chan *pc, const struct urbdrc_req *q, bool in)
{
	struct pu_dev *d = pc->dev;
	uint32_t ep;
	uint8_t report[6] = {0, 0x00, 0x40, 0x00, 0x20, 0};

	if (q->urb_len < 8) {
		pu_n.bad++;
		return;
	}
	ep = q->urb[0]; /* low byte of the pipe handle */
	if (pu_opt.gone) {
		pu_done(pc, q->msgid, q->request_id, URBDRC_USBD_DEVICE_GONE,
			in, NULL, 0, URBDRC_URB_BULK_OR_INTERRUPT);
		return;
	}
	if (pu_misbehave(pc, q, in, q->out_size))
		return;
	if (d->kind == PU_TABLET) {
		pu_n.interrupt_in++;
		pu_done(pc, q->msgid, q->request_id, 0, true, report,
			q->out_size < 6 ? q->out_size : 6,
			URBDRC_URB_BULK_OR_INTERRUPT);
		return;
	}
	if (!in) {
		pu_n.bulk_out++;
		if (ep != 0x01 || d->fifo_len + q->out_len > PU_FIFO_MAX) {
			pu_done(pc, q->msgid, q->request_id,
				URBDRC_USBD_STALL_PID, false, NULL, 0,
				URBDRC_URB_BULK_OR_INTERRUPT);
			return;
		}
		uint8_t *f = realloc(d->fifo, d->fifo_len + q->out_len + 1);

		if (!f)
			return;
		d->fifo = f;
		memcpy(d->fifo + d->fifo_len, q->out, q->out_len);
		d->fifo_len += q->out_len;
		pu_n.bytes_out += q->out_len;
		pu_done(pc, q->msgid, q->request_id, 0, false, q->out,
			q->out_len, URBDRC_URB_BULK_OR_INTERRUPT);
		pu_serve(pc);
		return;
	}
	pu_n.bulk_in++;
	if (ep != 0x81 || d->nparked == PU_PARKED) {
		pu_done(pc, q->msgid, q->request_id, URBDRC_USBD_STALL_PID,
			true, NULL, 0, URBDRC_URB_BULK_OR_INTERRUPT);
		return;
	}
	d->parked[d->nparked].request_id = q->request_id;
	d->parked[d->nparked].msgid = q->msgid;
	d->parked[d->nparked].len = q->out_size;
	d->nparked++;
	if ((pu_opt.vanish || pu_opt.gone_opt || pu_opt.drop) &&
	    !pu_opt.vanish_done && !d->fifo_len) {
		pthread_t th;

		pu_opt.vanish_done = true;
		pu_n.misbehaved++;
		if (pthread_create(&th, NULL, pu_vanish_thread, pc) == 0)
			pthread_detach(th);
		return;
	}
	pu_serve(pc);
}

static void
pu_transfer(struct pu_chan *pc, const struct urbdrc_req *q)
{
	struct pu_dev *d = pc->dev;
	bool in = q->fn == URBDRC_FN_TRANSFER_IN;
	uint8_t *buf = NULL;
	struct urbdrc_buf r = {0}, b = {0};
	int n;

	switch (q->urb_fn) {
	case URBDRC_URB_SELECT_CONFIGURATION:
	case URBDRC_URB_SELECT_INTERFACE:
		if (q->urb_fn == URBDRC_URB_SELECT_CONFIGURATION)
			pu_n.select_config++;
		else
			pu_n.select_if++;
		pu_select_result(
		    d, q->urb_fn == URBDRC_URB_SELECT_CONFIGURATION ? -1 : 0,
		    &r);
		urbdrc_put_urb_done(&b, pc->completion, q->msgid, q->request_id,
				    true, q->urb_fn, 0, r.data, (uint32_t)r.len,
				    0, NULL, 0);
		pu_send(pc, &b);
		urbdrc_buf_free(&r);
		return;
	case URBDRC_URB_PIPE_REQUEST:
	case URBDRC_URB_SYNC_RESET_PIPE_CLEAR:
	case URBDRC_URB_SYNC_RESET_PIPE:
	case URBDRC_URB_SYNC_CLEAR_STALL:
		pu_n.pipe_reset++;
		pu_done(pc, q->msgid, q->request_id, 0, true, NULL, 0,
			q->urb_fn);
		return;
	case URBDRC_URB_BULK_OR_INTERRUPT:
		pu_bulk(pc, q, in);
		return;
	case URBDRC_URB_CONTROL_TRANSFER:
	case URBDRC_URB_CONTROL_TRANSFER_EX:
	case URBDRC_URB_GET_DESCRIPTOR_DEVICE:
		break;
	default:
		pu_done(pc, q->msgid, q->request_id, URBDRC_USBD_STALL_PID, in,
			NULL, 0, q->urb_fn);
		return;
	}
	buf = malloc(q->out_size + 1);
	if (!buf)
		return;
	if (q->urb_fn == URBDRC_URB_GET_DESCRIPTOR_DEVICE) {
		pu_n.descriptors++;
		n = q->urb_len >= 4 ? pu_descriptor(d, q->urb[1], q->urb[0],
						    buf, q->out_size)
				    : -1;
	} else {
		uint32_t off =
		    q->urb_fn == URBDRC_URB_CONTROL_TRANSFER_EX ? 12 : 8;
		uint8_t setup[8];

		pu_n.control++;
		if (q->urb_len < off + 8) {
			pu_n.bad++;
			free(buf);
			return;
		}
		memcpy(setup, q->urb + off, 8);
		if (setup[0] == 0x80 && setup[1] == 6)
			pu_n.descriptors++;
		/* FreeRDP 2.11 drops a transfer whose wLength is not the
		 * OutputBufferSize; count it as bad instead */
		if ((uint32_t)(setup[6] | setup[7] << 8) != q->out_size)
			pu_n.bad++;
		n = pu_control(d, setup, buf, q->out_size);
		if (!in && n >= 0)
			n = (int)q->out_len;
	}
	if (n < 0)
		pu_done(pc, q->msgid, q->request_id, URBDRC_USBD_STALL_PID, in,
			NULL, 0, q->urb_fn);
	else
		pu_done(pc, q->msgid, q->request_id, 0, in, in ? buf : q->out,
			(uint32_t)n, q->urb_fn);
	free(buf);
}

/* IO_CONTROL / INTERNAL_IO_CONTROL, answered as FreeRDP 2.11 does. */
static void
pu_ioctl(struct pu_chan *pc, const struct urbdrc_req *q)
{
	struct urbdrc_buf b = {0};
	uint8_t st[4] = {0x03, 0x03, 0, 0};

	pu_n.ioctl++;
	if (pu_turn(pc, "dev-ioctl-unknown")) {
		urbdrc_put_ioctl_done(&b, pc->completion, q->msgid,
				      q->request_id + 1000, 0, 4, st, 4);
	} else if (q->fn == URBDRC_FN_IO_CONTROL &&
		   q->code == URBDRC_IOCTL_RESET_PORT) {
		pu_n.resets++;
		/* claims 4 bytes and sends none */
		urbdrc_put_ioctl_done(&b, pc->completion, q->msgid,
				      q->request_id, 0, 4, NULL, 0);
		b.data[24] = 4;
	} else {
		urbdrc_put_ioctl_done(&b, pc->completion, q->msgid,
				      q->request_id, 0, 4, st, 4);
	}
	pu_send(pc, &b);
}

static void
pu_cancel(struct pu_chan *pc, uint32_t rid)
{
	struct pu_dev *d = pc->dev;

	pu_n.cancels++;
	for (int i = 0; i < d->nparked; i++) {
		if (d->parked[i].request_id != rid)
			continue;
		pu_done(pc, d->parked[i].msgid, rid, URBDRC_USBD_CANCELED, true,
			NULL, 0, URBDRC_URB_BULK_OR_INTERRUPT);
		pu_n.cancelled++;
		memmove(&d->parked[i], &d->parked[i + 1],
			(size_t)(d->nparked - i - 1) * sizeof(d->parked[0]));
		d->nparked--;
		return;
	}
}

/* ---- the channel --------------------------------------------------------- */

/* ADD_DEVICE for a device the probe does not have (UsbDevice 99), for
 * turn=. */
static void
pu_put_stray_device(struct urbdrc_buf *b)
{
	struct urbdrc_add_device *a = calloc(1, sizeof(*a));

	if (!a)
		return;
	a->usbdev = 99;
	snprintf(a->instance_id, sizeof(a->instance_id), "probe#99");
	snprintf(a->hw_id[0], sizeof(a->hw_id[0]),
		 "USB\\VID_1209&PID_0000&REV_0100");
	snprintf(a->hw_id[1], sizeof(a->hw_id[1]), "USB\\VID_1209&PID_0000");
	snprintf(a->compat_id, sizeof(a->compat_id),
		 "USB\\Class_FF&SubClass_00&Prot_00");
	snprintf(a->container_id, sizeof(a->container_id),
		 "{00000000-0000-0000-0000-000000000099}");
	a->caps = (struct urbdrc_dev_caps){28, 2, 0x600, 0x200, 0, 1, 80};
	urbdrc_put_add_device(b, a);
	free(a);
}

/* turn=: what goes before the capability response. */
static void
pu_early(struct pu_chan *pc)
{
	struct urbdrc_buf b = {0};

	if (pu_turn(pc, "ctl-created-early") ||
	    pu_turn(pc, "dev-created-early"))
		urbdrc_put_channel_created(
		    &b, URBDRC_MASK_PROXY | URBDRC_IF_CLIENT_NTF, 0);
	else if (pu_turn(pc, "ctl-addvc-early"))
		urbdrc_put_add_virtual_channel(&b, 0);
	else if (pu_turn(pc, "ctl-adddev") || pu_turn(pc, "dev-adddev-early"))
		pu_put_stray_device(&b);
	else
		return;
	pu_send(pc, &b);
}

/* turn=: instead of ADD_DEVICE on a device channel.  @return true when
 * it replaced it. */
static bool
pu_no_device(struct pu_chan *pc)
{
	struct urbdrc_buf b = {0};

	if (pu_turn(pc, "dev-addvc"))
		urbdrc_put_add_virtual_channel(&b, 0);
	else if (pu_turn(pc, "dev-completion-early"))
		urbdrc_put_urb_done(&b, PU_STRAY_CB, 0, 1, true, 9, 0, NULL, 0,
				    0, NULL, 0);
	else
		return false;
	pu_send(pc, &b);
	return true;
}

/* turn=dev-after-retract: the retracted device's channel carries on. */
static void
pu_after_retract(struct pu_chan *pc)
{
	struct urbdrc_buf b = {0};

	pu_put_stray_device(&b);
	pu_send(pc, &b);
	urbdrc_put_urb_done(&b, pc->completion, 0, 1, true, 9, 0, NULL, 0, 0,
			    NULL, 0);
	pu_send(pc, &b);
}

static void
pu_add_device(struct pu_chan *pc)
{
	struct urbdrc_add_device *a = calloc(1, sizeof(*a));
	struct urbdrc_buf b = {0};
	struct pu_dev *d = NULL;
	const uint8_t *dd;

	for (int i = 0; i < pu_ndevs && !d; i++)
		if (!pu_devs[i].bound)
			d = &pu_devs[i];
	if (!d || !a) {
		free(a);
		return;
	}
	d->bound = true;
	d->ch = pc;
	pc->dev = d;
	dd = d->kind == PU_LOOPBACK ? pu_loop_dev : pu_tab_dev;
	a->usbdev = d->usbdev;
	snprintf(a->instance_id, sizeof(a->instance_id), "probe#%u", d->usbdev);
	snprintf(a->hw_id[0], sizeof(a->hw_id[0]),
		 "USB\\VID_%02X%02X&PID_%02X%02X&REV_%02X%02X", dd[9], dd[8],
		 dd[11], dd[10], dd[13], dd[12]);
	snprintf(a->hw_id[1], sizeof(a->hw_id[1]),
		 "USB\\VID_%02X%02X&PID_%02X%02X", dd[9], dd[8], dd[11],
		 dd[10]);
	snprintf(a->compat_id, sizeof(a->compat_id),
		 "USB\\Class_%02X&SubClass_00&Prot_00",
		 d->kind == PU_LOOPBACK ? 0xff : 3);
	snprintf(a->container_id, sizeof(a->container_id),
		 "{00000000-0000-0000-0000-%012u}", d->usbdev);
	a->caps = (struct urbdrc_dev_caps){
	    28, 2, 0x600, dd[3] << 8 | dd[2], 0, d->kind == PU_LOOPBACK, 80};
	urbdrc_put_add_device(&b, a);
	free(a);
	pu_n.devices++;
	if (pu_turn(pc, "dev-adddev-twice") && !b.oom)
		pc->chan->Write(pc->chan, (ULONG)b.len, b.data, NULL);
	pu_send(pc, &b);
}

static void
pu_request(struct pu_chan *pc, const struct urbdrc_req *q)
{
	struct urbdrc_buf b = {0};

	if (q->iface == URBDRC_IF_CAPS && q->fn == URBDRC_FN_CAPS_REQUEST) {
		pu_n.caps++;
		pu_early(pc);
		urbdrc_put_caps_response(&b, q->msgid);
		if ((pu_turn(pc, "ctl-caps-twice") ||
		     pu_turn(pc, "dev-caps-twice")) &&
		    !b.oom)
			pc->chan->Write(pc->chan, (ULONG)b.len, b.data, NULL);
		pu_send(pc, &b);
		return;
	}
	if (q->iface == (URBDRC_MASK_PROXY | URBDRC_IF_SERVER_NTF) &&
	    q->fn == URBDRC_FN_CHANNEL_CREATED) {
		pu_n.created++;
		urbdrc_put_channel_created(
		    &b, URBDRC_MASK_PROXY | URBDRC_IF_CLIENT_NTF, q->msgid);
		if (pu_turn(pc, "dev-created-twice") && !b.oom)
			pc->chan->Write(pc->chan, (ULONG)b.len, b.data, NULL);
		pu_send(pc, &b);
		return;
	}
	if (q->fn == URBDRC_FN_RELEASE) {
		if (q->iface != (URBDRC_MASK_PROXY | URBDRC_IF_SERVER_NTF))
			return;
		if (pc->control && !pu_announced) {
			if (pu_turn(pc, "ctl-completion")) {
				urbdrc_put_ioctl_done(&b, PU_STRAY_CB, 0, 1, 0,
						      0, NULL, 0);
				pu_send(pc, &b);
			}
			pu_announced = true;
			for (int i = 0; i < pu_ndevs; i++) {
				urbdrc_put_add_virtual_channel(&b, 0);
				pu_send(pc, &b);
				pu_n.add_vc++;
			}
		} else if (!pc->control && !pc->dev && !pu_no_device(pc)) {
			pu_add_device(pc);
		}
		return;
	}
	if (!pc->dev || (q->iface & URBDRC_ID_BITS) != pc->dev->usbdev) {
		pu_n.bad++;
		return;
	}
	switch (q->fn) {
	case URBDRC_FN_REGISTER_CALLBACK:
		pu_n.registered++;
		pc->completion = q->completion;
		break;
	case URBDRC_FN_TRANSFER_IN:
	case URBDRC_FN_TRANSFER_OUT:
		pu_transfer(pc, q);
		break;
	case URBDRC_FN_IO_CONTROL:
	case URBDRC_FN_INTERNAL_IO_CONTROL:
		pu_ioctl(pc, q);
		break;
	case URBDRC_FN_QUERY_DEVICE_TEXT:
		pu_n.texts++;
		urbdrc_put_text_response(&b, pc->dev->usbdev, q->msgid,
					 pu_opt.longtext
					     ? pu_long_text()
					     : pu_strings[pc->dev->kind][1],
					 0);
		pu_send(pc, &b);
		break;
	case URBDRC_FN_CANCEL_REQUEST:
		pu_cancel(pc, q->request_id);
		break;
	case URBDRC_FN_RETRACT_DEVICE:
		pu_n.retracts++;
		if (pu_turn(pc, "dev-after-retract"))
			pu_after_retract(pc);
		break;
	}
}

static UINT
pu_on_data(IWTSVirtualChannelCallback *cb, wStream *s)
{
	struct pu_chan *pc = (struct pu_chan *)cb;
	struct urbdrc_req q;
	const char *err = NULL;

	pthread_mutex_lock(&pu_lock);
	if (urbdrc_parse_server(Stream_Pointer(s), Stream_GetRemainingLength(s),
				&q, &err) < 0) {
		pu_n.bad++;
		fprintf(stderr, "rdp-probe: urbdrc: bad server message: %s\n",
			err ? err : "?");
	} else if (!pc->closed) {
		pu_request(pc, &q);
	}
	pthread_mutex_unlock(&pu_lock);
	return CHANNEL_RC_OK;
}

static UINT
pu_on_close(IWTSVirtualChannelCallback *cb)
{
	struct pu_chan *pc = (struct pu_chan *)cb;

	/* kept until the plug-in ends: a vanish thread may hold it */
	pthread_mutex_lock(&pu_lock);
	pc->closed = true;
	pu_n.ended++; /* either side closed it */
	pthread_mutex_unlock(&pu_lock);
	return CHANNEL_RC_OK;
}

static UINT
pu_on_new_channel(IWTSListenerCallback *lcb, IWTSVirtualChannel *chan,
		  BYTE *data, BOOL *accept, IWTSVirtualChannelCallback **out)
{
	struct pu_chan *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return CHANNEL_RC_NO_MEMORY;
	pc->iface.OnDataReceived = pu_on_data;
	pc->iface.OnClose = pu_on_close;
	pc->chan = chan;
	pthread_mutex_lock(&pu_lock);
	pu_n.channels++;
	if (!pu_ctl_chan) {
		pu_ctl_chan = pc;
		pc->control = true;
	}
	pc->next_all = pu_all;
	pu_all = pc;
	pthread_mutex_unlock(&pu_lock);
	*accept = TRUE;
	*out = &pc->iface;
	return CHANNEL_RC_OK;
}

static UINT
pu_initialize(IWTSPlugin *plugin, IWTSVirtualChannelManager *mgr)
{
	pu_listener.OnNewChannelConnection = pu_on_new_channel;
	return mgr->CreateListener(mgr, URBDRC_CHANNEL_NAME, 0, &pu_listener,
				   NULL);
}

static UINT
pu_terminated(IWTSPlugin *plugin)
{
	return CHANNEL_RC_OK;
}

static void
pu_add(enum pu_kind kind)
{
	if (pu_ndevs == PU_DEVS_MAX)
		return;
	pu_devs[pu_ndevs].kind = kind;
	pu_devs[pu_ndevs].usbdev = 5 + (uint32_t)pu_ndevs; /* as FreeRDP */
	pu_ndevs++;
}

static void
pu_options(const ADDIN_ARGV *args)
{
	for (int i = 1; args && i < args->argc; i++) {
		const char *a = args->argv[i];

		if (!strcmp(a, "loopback")) {
			pu_add(PU_LOOPBACK);
		} else if (!strcmp(a, "tablet")) {
			pu_add(PU_TABLET);
		} else if (!strncmp(a, "flood=", 6)) {
			for (int k = atoi(a + 6); k > 0; k--)
				pu_add(PU_LOOPBACK);
		} else if (!strcmp(a, "vanish")) {
			pu_opt.vanish = true;
		} else if (!strcmp(a, "drop")) {
			pu_opt.drop = true;
		} else if (!strcmp(a, "gone")) {
			pu_opt.gone_opt = true;
		} else if (!strcmp(a, "malformed")) {
			pu_opt.malformed = true;
		} else if (!strcmp(a, "toolong")) {
			pu_opt.toolong = true;
		} else if (!strcmp(a, "unknownid")) {
			pu_opt.unknownid = true;
		} else if (!strcmp(a, "spec")) {
			pu_opt.spec = true;
		} else if (!strcmp(a, "longtext")) {
			pu_opt.longtext = true;
		} else if (!strncmp(a, "turn=", 5)) {
			snprintf(pu_opt.turn, sizeof(pu_opt.turn), "%s", a + 5);
		} else {
			fprintf(stderr,
				"rdp-probe: urbdrc: unknown option %s\n", a);
		}
	}
}

static UINT VCAPITYPE
pu_entry(IDRDYNVC_ENTRY_POINTS *ep)
{
	pu_plugin.Initialize = pu_initialize;
	pu_plugin.Terminated = pu_terminated;
	pthread_mutex_lock(&pu_lock);
	pu_options(ep->GetPluginData(ep));
	pthread_mutex_unlock(&pu_lock);
	return ep->RegisterPlugin(ep, "urbdrc", &pu_plugin);
}

/* Our "urbdrc" first, then the TSMF receiver's provider (which falls
 * back to FreeRDP's built-in table). */
static PVIRTUALCHANNELENTRY
pu_provider(LPCSTR name, LPCSTR subsystem, LPCSTR type, DWORD flags)
{
	if (name && !strcmp(name, "urbdrc") && !subsystem &&
	    (flags & FREERDP_ADDIN_CHANNEL_DYNAMIC))
		return (PVIRTUALCHANNELENTRY)pu_entry;
	return probe_tsmf_provider(name, subsystem, type, flags);
}

void
probe_urbdrc_pre_connect(struct probe *p)
{
	if (freerdp_dynamic_channel_collection_find(p->ctx->settings, "urbdrc"))
		freerdp_register_addin_provider(pu_provider, 0);
}

/* Counter @key (see PU_COUNTERS); -1 when unknown. */
int64_t
probe_urbdrc_counter(const char *key)
{
	int64_t v = -1;

	pthread_mutex_lock(&pu_lock);
#define PU_GET(n)                                                              \
	if (!strcmp(key, #n))                                                  \
		v = (int64_t)pu_n.n;
	PU_COUNTERS(PU_GET)
#undef PU_GET
	pthread_mutex_unlock(&pu_lock);
	return v;
}

static void
pu_report(struct probe *p, FILE *json)
{
	const char *sep = "";

	pthread_mutex_lock(&pu_lock);
	fprintf(json, ",\"urbdrc\":{");
#define PU_PRINT(n)                                                            \
	fprintf(json, "%s\"%s\":%llu", sep, #n, (unsigned long long)pu_n.n);   \
	sep = ",";
	PU_COUNTERS(PU_PRINT)
#undef PU_PRINT
	fprintf(json, "}");
	pthread_mutex_unlock(&pu_lock);
}

const struct probe_channel probe_urbdrc_channel = {
    .name = URBDRC_CHANNEL_NAME,
    .report = pu_report,
};
