/*
 * synth-libusb.c - a test-only libusb-1.0.so.0 with synthetic devices.
 *
 * This machine has no USB bus, so the remote-USB tests give xfreerdp
 * (FreeRDP 2.11's urbdrc, linked to libusb-1.0.so.0) this library on
 * LD_LIBRARY_PATH instead of the real one.  It exports the libusb 1.0.26
 * API that urbdrc imports (43 symbols) and lsusb's few more, with the
 * same ABI (libusb.h's structures), and behind it a root hub and the
 * devices that SYNTH_LIBUSB_DEVICES or SYNTH_LIBUSB_CONFIG describe:
 *
 *   tablet  an absolute HID tablet (QEMU's report: buttons, X, Y in
 *           0..0x7fff, wheel) whose interrupt IN endpoint delivers
 *           scripted reports;
 *   vendor  class 0xff with bulk IN 0x81 and bulk OUT 0x02: "echo" sends
 *           a deterministic pattern of N bytes on IN and checks what comes
 *           back on OUT (the guest echoes), "loopback" returns OUT's bytes
 *           on IN.
 *
 * Transfers complete asynchronously: a submitted transfer waits on its
 * endpoint, and its callback runs from libusb_handle_events*() (urbdrc's
 * poll thread calls libusb_handle_events_locked), never from the
 * submitting thread.  Hotplug callbacks see arrivals and a departure that
 * the test scripts by creating the file SYNTH_LIBUSB_UNPLUG.  What the
 * library does not do, or a request it refuses, is one line in the file
 * SYNTH_LIBUSB_LOG.  Not installed; see doc/usb-testing.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libusb.h>

#include "synth-libusb.h"
#include "vmm/usb_tablet_hid.h"

#define SYNTH_EXPORT __attribute__((visibility("default")))

/* ---- the log and the clock ------------------------------------------ */

static pthread_mutex_t synth_mu = PTHREAD_MUTEX_INITIALIZER;
static int synth_log_fd = -1;

static uint64_t
synth_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One line, written with one write() so that lines of threads and of
 * several processes sharing the file do not interleave. */
static void __attribute__((format(printf, 1, 2)))
synth_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (synth_log_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "synth-libusb[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(synth_log_fd, line, (size_t)n) < 0)
		return;
}

static void
synth_log_open(void)
{
	const char *path = getenv("SYNTH_LIBUSB_LOG");

	if (synth_log_fd >= 0 || !path || !*path)
		return;
	synth_log_fd =
	    open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (synth_log_fd < 0)
		fprintf(stderr, "synth-libusb: SYNTH_LIBUSB_LOG %s: %s\n", path,
			strerror(errno));
}

/* ---- opaque libusb types -------------------------------------------- */

#define SYNTH_HUB    SYNTH_KIND_HUB
#define SYNTH_TABLET SYNTH_KIND_TABLET
#define SYNTH_VENDOR SYNTH_KIND_VENDOR

#define SYNTH_MAX_ENDPOINTS 4
#define SYNTH_REPORT_LEN    6
#define SYNTH_FIFO_SIZE	    65536

struct synth_report {
	uint8_t b[SYNTH_REPORT_LEN];
};

struct libusb_device {
	struct libusb_context *ctx;
	struct libusb_device *next; /* the context's devices */
	struct synth_spec spec;
	int refs;
	int present;	    /* in the device list */
	int gone;	    /* departed: I/O fails with NO_DEVICE */
	int announced;	    /* an arrival went to the hotplug callbacks */
	uint64_t arrive_at; /* when a late device appears */
	uint8_t ddesc[18];  /* device descriptor */
	uint8_t cdesc[128]; /* configuration descriptor, all of it */
	size_t cdesc_len;
	const uint8_t *hid_report; /* HID report descriptor (tablet) */
	size_t hid_report_len;
	int configuration;
	uint32_t claimed;
	uint32_t halted; /* endpoint bits: IN n = bit 16 + n, OUT n = bit n */
	/* vendor: the echo stream and the loopback FIFO */
	uint64_t in_off, out_off, mismatch;
	uint64_t sum_in, sum_out;
	uint64_t first_in_us, last_out_us;
	int result_written;
	uint8_t *fifo;
	size_t fifo_head, fifo_len;
	/* tablet: the scripted reports */
	size_t report_next;
	uint64_t report_due;
	struct synth_report cur;
	FILE *report_file;
	uint64_t intr_done_us; /* last interrupt IN completion */
	uint64_t intr_n, intr_rtt_sum, intr_rtt_max;
	uint32_t intr_rtt_hist[32]; /* log2 buckets of microseconds */
};

struct libusb_device_handle {
	struct libusb_device *dev;
	struct libusb_device_handle *next;
};

struct synth_hotplug {
	struct synth_hotplug *next;
	libusb_hotplug_callback_handle id;
	int events, vid, pid, cls;
	libusb_hotplug_callback_fn fn;
	void *user;
	int dead;
};

struct synth_event {
	struct synth_event *next;
	struct libusb_device *dev;
	libusb_hotplug_event ev;
};

/* Private part of a transfer, just before the public libusb_transfer. */
struct synth_xfer {
	struct synth_xfer *next; /* pending or done list */
	struct libusb_context *ctx;
	uint32_t stream_id;
	int state; /* SX_IDLE, SX_PENDING, SX_DONE */
	uint64_t deadline_us;
	uint64_t pad;
};
enum { SX_IDLE, SX_PENDING, SX_DONE };

#define SYNTH_XFER_HDR ((sizeof(struct synth_xfer) + 15u) & ~(size_t)15u)

struct libusb_context {
	struct libusb_context *next;
	struct libusb_device *devs;
	struct libusb_device_handle *handles;
	struct synth_hotplug *hotplug;
	struct synth_event *events, **events_tail;
	struct synth_xfer *pending;
	struct synth_xfer *done, **done_tail;
	libusb_hotplug_callback_handle next_hotplug;
	pthread_cond_t activity; /* with synth_mu: something to handle */
	pthread_mutex_t events_lock;
	int events_held;
	pthread_mutex_t waiters_mu;
	pthread_cond_t event_done;
	uint64_t started_us, next_trigger_check;
	int unplug_all_done;
	int delivering; /* hotplug callbacks running: keep the list */
	unsigned refs;	/* libusb_init(NULL) more than once */
};

static struct libusb_context *synth_default_ctx;
static struct libusb_context *synth_contexts;

static struct synth_xfer *
synth_priv(struct libusb_transfer *t)
{
	return (struct synth_xfer *)(void *)((char *)t - SYNTH_XFER_HDR);
}

static struct libusb_transfer *
synth_pub(struct synth_xfer *x)
{
	return (struct libusb_transfer *)(void *)((char *)x + SYNTH_XFER_HDR);
}

static struct libusb_context *
synth_ctx(struct libusb_context *ctx)
{
	return ctx ? ctx : synth_default_ctx;
}

/* ---- descriptors ---------------------------------------------------- */

static void
synth_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static unsigned
synth_get16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void
synth_device_desc(struct libusb_device *d, unsigned bcd_usb, uint8_t cls)
{
	uint8_t *p = d->ddesc;

	p[0] = 18;
	p[1] = LIBUSB_DT_DEVICE;
	synth_put16(p + 2, bcd_usb);
	p[4] = cls; /* 0: per interface */
	p[5] = 0;
	p[6] = 0;
	p[7] = 8; /* bMaxPacketSize0 */
	synth_put16(p + 8, d->spec.vid);
	synth_put16(p + 10, d->spec.pid);
	synth_put16(p + 12, d->spec.bcd_device);
	p[14] = 1; /* iManufacturer */
	p[15] = 2; /* iProduct */
	p[16] = 3; /* iSerialNumber */
	p[17] = 1; /* bNumConfigurations */
}

static uint8_t *
synth_put_desc(uint8_t *p, const uint8_t *d)
{
	memcpy(p, d, d[0]);
	return p + d[0];
}

static void
synth_config_desc(struct libusb_device *d, const uint8_t *iface,
		  const uint8_t *extra, const uint8_t *const *eps, int neps)
{
	uint8_t *p = d->cdesc + 9;
	const uint8_t cfg[9] = {9, LIBUSB_DT_CONFIG, 0, 0, 1, 1, 0, 0xa0, 50};

	p = synth_put_desc(p, iface);
	if (extra)
		p = synth_put_desc(p, extra);
	for (int i = 0; i < neps; i++)
		p = synth_put_desc(p, eps[i]);
	memcpy(d->cdesc, cfg, sizeof(cfg));
	d->cdesc_len = (size_t)(p - d->cdesc);
	synth_put16(d->cdesc + 2, (unsigned)d->cdesc_len);
}

static void
synth_build_hub(struct libusb_device *d)
{
	const uint8_t iface[9] = {9, LIBUSB_DT_INTERFACE, 0, 0, 1, 9, 0, 0, 0};
	const uint8_t ep[7] = {7, LIBUSB_DT_ENDPOINT, 0x81, 3, 2, 0, 255};
	const uint8_t *eps[1] = {ep};

	synth_device_desc(d, 0x0110, LIBUSB_CLASS_HUB);
	synth_config_desc(d, iface, NULL, eps, 1);
	d->cdesc[7] = 0xe0; /* self-powered, remote wakeup */
	d->cdesc[8] = 0;
}

static void
synth_build_tablet(struct libusb_device *d)
{
	const uint8_t iface[9] = {9, LIBUSB_DT_INTERFACE, 0, 0, 1, 3, 0, 2, 0};
	uint8_t hid[9] = {9, LIBUSB_DT_HID, 0x01, 0x01, 0, 1, LIBUSB_DT_REPORT};
	const uint8_t ep[7] = {
	    7, LIBUSB_DT_ENDPOINT, 0x81, 3, SYNTH_REPORT_LEN, 0, 10};
	const uint8_t *eps[1] = {ep};

	synth_put16(hid + 7, sizeof(usb_tablet_report_desc));
	synth_device_desc(d, 0x0100, 0);
	synth_config_desc(d, iface, hid, eps, 1);
	d->hid_report = usb_tablet_report_desc;
	d->hid_report_len = sizeof(usb_tablet_report_desc);
}

static void
synth_build_vendor(struct libusb_device *d)
{
	const uint8_t iface[9] = {9, LIBUSB_DT_INTERFACE, 0, 0, 2, 0xff, 0, 0,
				  0};
	uint8_t in[7] = {7, LIBUSB_DT_ENDPOINT, 0x81, 2, 0, 0, 0};
	uint8_t out[7] = {7, LIBUSB_DT_ENDPOINT, 0x02, 2, 0, 0, 0};
	const uint8_t *eps[2] = {in, out};

	synth_put16(in + 4, d->spec.mps);
	synth_put16(out + 4, d->spec.mps);
	synth_device_desc(d, 0x0110, LIBUSB_CLASS_VENDOR_SPEC);
	d->ddesc[5] = 0xff;
	d->ddesc[6] = 0xff;
	synth_config_desc(d, iface, NULL, eps, 2);
}

/* The endpoint descriptor of address EP in the configuration, or NULL. */
static const uint8_t *
synth_find_ep(const struct libusb_device *d, unsigned ep)
{
	size_t off = 0;

	while (off + 2 <= d->cdesc_len && d->cdesc[off] >= 2 &&
	       off + d->cdesc[off] <= d->cdesc_len) {
		const uint8_t *p = d->cdesc + off;

		if (p[1] == LIBUSB_DT_ENDPOINT && p[0] >= 7 && p[2] == ep)
			return p;
		off += p[0];
	}
	return NULL;
}

static const char *
synth_string(const struct libusb_device *d, unsigned idx)
{
	switch (idx) {
	case 1:
		return d->spec.manufacturer;
	case 2:
		return d->spec.product;
	case 3:
		return d->spec.serial;
	default:
		return NULL;
	}
}

/* ---- the vendor device's stream -------------------------------------- */

static uint64_t
synth_fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

#define SYNTH_FNV_INIT 14695981039346656037ull

static unsigned
synth_log2(uint64_t v)
{
	unsigned n = 0;

	while (v > 1 && n < 31) {
		v >>= 1;
		n++;
	}
	return n;
}

/* The percentile P (0..100) of the interrupt round trips, from the log2
 * histogram: the upper edge of the bucket it falls in, in microseconds. */
static uint64_t
synth_rtt_percentile(const struct libusb_device *d, unsigned p)
{
	uint64_t want = (d->intr_n * p + 99) / 100, seen = 0;

	for (unsigned i = 0; i < 32; i++) {
		seen += d->intr_rtt_hist[i];
		if (seen >= want && want)
			return (uint64_t)2 << i;
	}
	return 0;
}

static void
synth_write_result_text(const struct libusb_device *d, FILE *f)
{
	const struct synth_spec *s = &d->spec;
	int match;

	fprintf(f, "device=%s\nkind=%s\nid=%04x:%04x\n", s->name,
		s->kind == SYNTH_TABLET ? "tablet" : "vendor", s->vid, s->pid);
	fprintf(f, "gone=%s\n", d->gone ? "yes" : "no");
	if (s->kind == SYNTH_TABLET) {
		fprintf(f, "intr_transfers=%" PRIu64 "\n", d->intr_n);
		fprintf(f, "intr_rtt_us_avg=%" PRIu64 "\n",
			d->intr_n ? d->intr_rtt_sum / d->intr_n : 0);
		fprintf(f, "intr_rtt_us_p50=%" PRIu64 "\n",
			synth_rtt_percentile(d, 50));
		fprintf(f, "intr_rtt_us_p99=%" PRIu64 "\n",
			synth_rtt_percentile(d, 99));
		fprintf(f, "intr_rtt_us_max=%" PRIu64 "\n", d->intr_rtt_max);
		return;
	}
	match = d->mismatch == UINT64_MAX && d->in_off == s->bytes &&
		d->out_off == s->bytes;
	fprintf(f, "mode=%s\nbytes_total=%" PRIu64 "\n",
		s->loopback ? "loopback" : "echo", s->bytes);
	fprintf(f, "bytes_in=%" PRIu64 "\nbytes_out=%" PRIu64 "\n", d->in_off,
		d->out_off);
	fprintf(f, "checksum_in=%016" PRIx64 "\nchecksum_out=%016" PRIx64 "\n",
		d->sum_in, d->sum_out);
	fprintf(f, "match=%s\n", match ? "yes" : "no");
	if (d->mismatch == UINT64_MAX)
		fprintf(f, "first_mismatch=none\n");
	else
		fprintf(f, "first_mismatch=%" PRIu64 "\n", d->mismatch);
	fprintf(f, "elapsed_us=%" PRIu64 "\n",
		d->last_out_us > d->first_in_us
		    ? d->last_out_us - d->first_in_us
		    : 0);
}

/* Write the device's result file (temp, fsync, rename). */
static void
synth_write_result(struct libusb_device *d)
{
	char tmp[sizeof(d->spec.result) + 32];
	FILE *f;
	int ok;

	if (!d->spec.result[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", d->spec.result, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		synth_log("result file %s: %s", tmp, strerror(errno));
		return;
	}
	synth_write_result_text(d, f);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, d->spec.result) != 0) {
		synth_log("result file %s: %s", d->spec.result,
			  strerror(errno));
		unlink(tmp);
		return;
	}
	d->result_written = 1;
}

/* ---- devices --------------------------------------------------------- */

static struct libusb_device *
synth_device_new(struct libusb_context *ctx, const struct synth_spec *spec)
{
	struct libusb_device *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ctx = ctx;
	d->spec = *spec;
	d->refs = 1; /* the context's */
	d->configuration = 1;
	d->mismatch = UINT64_MAX;
	d->sum_in = d->sum_out = SYNTH_FNV_INIT;
	switch (spec->kind) {
	case SYNTH_HUB:
		synth_build_hub(d);
		break;
	case SYNTH_TABLET:
		synth_build_tablet(d);
		break;
	default:
		synth_build_vendor(d);
		if (spec->loopback && !(d->fifo = malloc(SYNTH_FIFO_SIZE))) {
			free(d);
			return NULL;
		}
		break;
	}
	if (spec->report_file[0]) {
		d->report_file = fopen(spec->report_file, "r");
		if (!d->report_file)
			synth_log("%s: reportfile %s: %s", spec->name,
				  spec->report_file, strerror(errno));
	}
	d->arrive_at = ctx->started_us + (uint64_t)spec->arrive_ms * 1000u;
	d->present = spec->arrive_ms == 0;
	d->announced = d->present;
	return d;
}

static void
synth_device_free(struct libusb_device *d)
{
	if (d->report_file)
		fclose(d->report_file);
	free(d->fifo);
	free(d);
}

static int
synth_add_devices(struct libusb_context *ctx, struct synth_spec *specs, int n)
{
	struct synth_spec hub = {0};
	struct libusb_device **tail = &ctx->devs;

	hub.kind = SYNTH_HUB;
	snprintf(hub.name, sizeof(hub.name), "roothub");
	hub.vid = 0x1d6b;
	hub.pid = 0x0001;
	hub.bcd_device = 0x0601;
	hub.bus = 1;
	hub.addr = 1;
	snprintf(hub.manufacturer, sizeof(hub.manufacturer), "synth-libusb");
	snprintf(hub.product, sizeof(hub.product), "OHCI root hub");
	snprintf(hub.serial, sizeof(hub.serial), "synth:1");
	for (int i = -1; i < n; i++) {
		const struct synth_spec *s = i < 0 ? &hub : &specs[i];
		struct libusb_device *d = synth_device_new(ctx, s);

		if (!d)
			return LIBUSB_ERROR_NO_MEM;
		*tail = d;
		tail = &d->next;
		if (i >= 0)
			synth_log(
			    "device %s %04x:%04x bus %u addr %u port %u%s",
			    s->name, s->vid, s->pid, s->bus, s->addr, s->port,
			    d->present ? "" : " (arrives later)");
	}
	return 0;
}

/* ---- transfers ------------------------------------------------------- */

static void
synth_finish(struct libusb_context *ctx, struct synth_xfer *x,
	     enum libusb_transfer_status st)
{
	struct libusb_transfer *t = synth_pub(x);

	if (st == LIBUSB_TRANSFER_COMPLETED &&
	    (t->flags & LIBUSB_TRANSFER_SHORT_NOT_OK) &&
	    t->actual_length < t->length)
		st = LIBUSB_TRANSFER_ERROR;
	t->status = st;
	x->state = SX_DONE;
	x->next = NULL;
	*ctx->done_tail = x;
	ctx->done_tail = &x->next;
}

static void
synth_unlink_pending(struct libusb_context *ctx, struct synth_xfer *x)
{
	for (struct synth_xfer **pp = &ctx->pending; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			return;
		}
	}
}

static void
synth_unlink_done(struct libusb_context *ctx, struct synth_xfer *x)
{
	struct synth_xfer **pp = &ctx->done;

	while (*pp && *pp != x)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = x->next;
	if (ctx->done_tail == &x->next)
		ctx->done_tail = pp;
}

/* A standard, class or vendor request on the default pipe: copies up to
 * LEN bytes into DATA for IN; @return the length or a LIBUSB_ERROR. */
static int synth_control(struct libusb_device *d, const uint8_t *setup,
			 uint8_t *data, unsigned len);

static int
synth_reply(uint8_t *data, unsigned len, const void *src, size_t n)
{
	if (n > len)
		n = len;
	memcpy(data, src, n);
	return (int)n;
}

static int
synth_get_string(struct libusb_device *d, unsigned idx, uint8_t *data,
		 unsigned len)
{
	uint8_t buf[256];
	const char *s;
	size_t n;

	if (idx == 0) {
		const uint8_t langs[4] = {4, LIBUSB_DT_STRING, 0x09, 0x04};

		return synth_reply(data, len, langs, sizeof(langs));
	}
	if (idx == 0xee) /* Microsoft OS string: none */
		return LIBUSB_ERROR_PIPE;
	s = synth_string(d, idx);
	if (!s)
		return LIBUSB_ERROR_PIPE;
	n = strlen(s);
	if (n > 126)
		n = 126;
	buf[0] = (uint8_t)(2 + 2 * n);
	buf[1] = LIBUSB_DT_STRING;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = (uint8_t)s[i];
		buf[3 + 2 * i] = 0;
	}
	return synth_reply(data, len, buf, buf[0]);
}

static int
synth_get_descriptor(struct libusb_device *d, const uint8_t *setup,
		     uint8_t *data, unsigned len)
{
	unsigned type = setup[3], idx = setup[2];

	switch (setup[0] << 8 | type) {
	case 0x8000 | LIBUSB_DT_DEVICE:
		return synth_reply(data, len, d->ddesc, sizeof(d->ddesc));
	case 0x8000 | LIBUSB_DT_CONFIG:
		if (idx != 0)
			break;
		return synth_reply(data, len, d->cdesc, d->cdesc_len);
	case 0x8000 | LIBUSB_DT_STRING:
		return synth_get_string(d, idx, data, len);
	case 0x8100 | LIBUSB_DT_HID:
		if (!d->hid_report)
			break;
		return synth_reply(data, len, d->cdesc + 18, 9);
	case 0x8100 | LIBUSB_DT_REPORT:
		if (!d->hid_report)
			break;
		return synth_reply(data, len, d->hid_report, d->hid_report_len);
	default:
		break;
	}
	return LIBUSB_ERROR_PIPE;
}

static int
synth_hub_port_status(struct libusb_device *hub, unsigned port, uint8_t *data,
		      unsigned len)
{
	uint8_t st[4] = {0, 0, 0, 0};

	for (struct libusb_device *d = hub->ctx->devs; d; d = d->next) {
		if (d != hub && d->present && !d->gone &&
		    d->spec.bus == hub->spec.bus && d->spec.port == port)
			st[0] = 0x03; /* connection, enable */
	}
	st[1] = 0x01; /* power */
	return synth_reply(data, len, st, sizeof(st));
}

static int
synth_hub_request(struct libusb_device *d, const uint8_t *setup, uint8_t *data,
		  unsigned len)
{
	uint8_t hd[9] = {9, 0x29, 7, 0x12, 0, 1, 0, 0, 0xff};

	if (setup[0] == 0xa0 && setup[1] == LIBUSB_REQUEST_GET_DESCRIPTOR)
		return synth_reply(data, len, hd, sizeof(hd));
	if (setup[0] == 0xa0 && setup[1] == LIBUSB_REQUEST_GET_STATUS) {
		const uint8_t st[4] = {0, 0, 0, 0};

		return synth_reply(data, len, st, sizeof(st));
	}
	if (setup[0] == 0xa3 && setup[1] == LIBUSB_REQUEST_GET_STATUS)
		return synth_hub_port_status(d, synth_get16(setup + 4), data,
					     len);
	if (setup[0] == 0x23 && (setup[1] == LIBUSB_REQUEST_SET_FEATURE ||
				 setup[1] == LIBUSB_REQUEST_CLEAR_FEATURE))
		return 0;
	return LIBUSB_ERROR_PIPE;
}

static int
synth_hid_request(struct libusb_device *d, const uint8_t *setup, uint8_t *data,
		  unsigned len)
{
	static const uint8_t zero[1] = {0};

	switch (setup[0] << 8 | setup[1]) {
	case 0x210a: /* SET_IDLE */
	case 0x210b: /* SET_PROTOCOL */
		return 0;
	case 0xa101: /* GET_REPORT */
		return synth_reply(data, len, d->cur.b, SYNTH_REPORT_LEN);
	case 0xa102: /* GET_IDLE */
		return synth_reply(data, len, zero, 1);
	case 0xa103: /* GET_PROTOCOL: report protocol */
	{
		const uint8_t one[1] = {1};

		return synth_reply(data, len, one, 1);
	}
	default:
		return LIBUSB_ERROR_PIPE;
	}
}

static int
synth_ep_valid(struct libusb_device *d, unsigned ep)
{
	return (ep & 0x7f) == 0 || synth_find_ep(d, ep) != NULL;
}

static uint32_t
synth_ep_bit(unsigned ep)
{
	return (uint32_t)1 << ((ep & 0x0f) + ((ep & 0x80) ? 16 : 0));
}

static int
synth_standard_request(struct libusb_device *d, const uint8_t *setup,
		       uint8_t *data, unsigned len)
{
	const uint8_t zero2[2] = {0, 0};
	unsigned value = synth_get16(setup + 2), index = synth_get16(setup + 4);

	switch (setup[0] << 8 | setup[1]) {
	case 0x8000: /* GET_STATUS device, interface, endpoint */
	case 0x8100:
		return synth_reply(data, len, zero2, 2);
	case 0x8200: {
		uint8_t st[2] = {0, 0};

		if (!synth_ep_valid(d, index))
			break;
		st[0] = (d->halted & synth_ep_bit(index)) ? 1 : 0;
		return synth_reply(data, len, st, 2);
	}
	case 0x0001: /* CLEAR_FEATURE / SET_FEATURE remote wakeup */
	case 0x0003:
		return 0;
	case 0x0201: /* CLEAR_FEATURE ENDPOINT_HALT */
	case 0x0203: /* SET_FEATURE ENDPOINT_HALT */
		if (value != 0 || !synth_ep_valid(d, index))
			break;
		if (setup[1] == 1)
			d->halted &= ~synth_ep_bit(index);
		else
			d->halted |= synth_ep_bit(index);
		return 0;
	case 0x0005: /* SET_ADDRESS: the host's business, accepted */
		return 0;
	case 0x8006:
	case 0x8106:
		return synth_get_descriptor(d, setup, data, len);
	case 0x8008: { /* GET_CONFIGURATION */
		const uint8_t c[1] = {(uint8_t)d->configuration};

		return synth_reply(data, len, c, 1);
	}
	case 0x0009: /* SET_CONFIGURATION */
		if (value > 1)
			break;
		d->configuration = (int)value;
		return 0;
	case 0x810a: /* GET_INTERFACE */
		if (index != 0)
			break;
		return synth_reply(data, len, zero2, 1);
	case 0x010b: /* SET_INTERFACE: one alternate setting */
		if (index != 0 || value != 0)
			break;
		return 0;
	default:
		break;
	}
	return LIBUSB_ERROR_PIPE;
}

static int
synth_control(struct libusb_device *d, const uint8_t *setup, uint8_t *data,
	      unsigned len)
{
	int rc;

	if (d->gone)
		return LIBUSB_ERROR_NO_DEVICE;
	if ((setup[0] & 0x60) == 0)
		rc = synth_standard_request(d, setup, data, len);
	else if (d->spec.kind == SYNTH_HUB && (setup[0] & 0x60) == 0x20)
		rc = synth_hub_request(d, setup, data, len);
	else if (d->spec.kind == SYNTH_TABLET && (setup[0] & 0x7f) == 0x21)
		rc = synth_hid_request(d, setup, data, len);
	else
		rc = LIBUSB_ERROR_PIPE;
	if (rc == LIBUSB_ERROR_PIPE)
		synth_log("%s: stall: control %02x %02x value %04x index %04x "
			  "length %u",
			  d->spec.name, setup[0], setup[1],
			  synth_get16(setup + 2), synth_get16(setup + 4),
			  synth_get16(setup + 6));
	return rc;
}

/* The vendor device's IN endpoint: the next bytes of the pattern (echo)
 * or of the FIFO (loopback).  @return 0 when nothing is there yet. */
static int
synth_vendor_in(struct libusb_device *d, struct libusb_transfer *t,
		uint64_t now)
{
	size_t n;

	if (d->spec.loopback) {
		n = (size_t)t->length < d->fifo_len ? (size_t)t->length
						    : d->fifo_len;
		for (size_t i = 0; i < n; i++)
			t->buffer[i] =
			    d->fifo[(d->fifo_head + i) % SYNTH_FIFO_SIZE];
		d->fifo_head = (d->fifo_head + n) % SYNTH_FIFO_SIZE;
		d->fifo_len -= n;
	} else {
		uint64_t left = d->spec.bytes - d->in_off;

		n = (uint64_t)t->length < left ? (size_t)t->length
					       : (size_t)left;
		for (size_t i = 0; i < n; i++)
			t->buffer[i] =
			    synth_pattern(d->in_off + i, d->spec.seed);
	}
	if (n == 0)
		return 0;
	if (d->in_off == 0)
		d->first_in_us = now;
	d->sum_in = synth_fnv(d->sum_in, t->buffer, n);
	d->in_off += n;
	t->actual_length = (int)n;
	return 1;
}

static void
synth_vendor_check(struct libusb_device *d, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && d->mismatch == UINT64_MAX; i++) {
		uint64_t off = d->out_off + i;

		if (off >= d->spec.bytes ||
		    p[i] != synth_pattern(off, d->spec.seed)) {
			d->mismatch = off;
			synth_log("%s: OUT byte %" PRIu64 " is %02x, want %02x",
				  d->spec.name, off, p[i],
				  off < d->spec.bytes
				      ? synth_pattern(off, d->spec.seed)
				      : 0);
		}
	}
}

/* The OUT endpoint: echo checks against the pattern, loopback queues. */
static int
synth_vendor_out(struct libusb_device *d, struct libusb_transfer *t,
		 uint64_t now)
{
	size_t n = (size_t)t->length;

	if (d->spec.loopback) {
		if (n > SYNTH_FIFO_SIZE - d->fifo_len)
			return 0; /* NAK until IN drains the FIFO */
		for (size_t i = 0; i < n; i++)
			d->fifo[(d->fifo_head + d->fifo_len + i) %
				SYNTH_FIFO_SIZE] = t->buffer[i];
		d->fifo_len += n;
	} else {
		synth_vendor_check(d, t->buffer, n);
	}
	d->sum_out = synth_fnv(d->sum_out, t->buffer, n);
	d->out_off += n;
	d->last_out_us = now;
	t->actual_length = (int)n;
	if (!d->spec.loopback && d->out_off >= d->spec.bytes && n)
		synth_write_result(d);
	return 1;
}

/* The next report line of the tablet's reportfile, if one was appended. */
static int
synth_report_from_file(struct libusb_device *d, uint8_t out[6])
{
	char line[128];

	if (!d->report_file)
		return 0;
	clearerr(d->report_file);
	for (;;) {
		long pos = ftell(d->report_file);

		if (!fgets(line, sizeof(line), d->report_file))
			return 0;
		if (!strchr(line, '\n')) { /* half a line: read it later */
			fseek(d->report_file, pos, SEEK_SET);
			return 0;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (synth_parse_report(line, out) == 0)
			return 1;
		synth_log("%s: reportfile %s: bad report '%.*s'", d->spec.name,
			  d->spec.report_file, (int)strcspn(line, "\n"), line);
	}
}

static int
synth_tablet_in(struct libusb_device *d, struct libusb_transfer *t,
		uint64_t now)
{
	const struct synth_spec *s = &d->spec;
	uint8_t r[SYNTH_REPORT_LEN];

	if (now < d->report_due)
		return 0;
	if (d->report_next < s->nreports) {
		memcpy(r, s->reports[d->report_next++], SYNTH_REPORT_LEN);
		if (d->report_next == s->nreports && s->repeat)
			d->report_next = 0;
	} else if (!synth_report_from_file(d, r)) {
		return 0;
	}
	memcpy(d->cur.b, r, SYNTH_REPORT_LEN);
	d->report_due = now + (uint64_t)s->interval_ms * 1000u;
	t->actual_length =
	    t->length < SYNTH_REPORT_LEN ? t->length : SYNTH_REPORT_LEN;
	memcpy(t->buffer, r, (size_t)t->actual_length);
	if (t->length < SYNTH_REPORT_LEN)
		return -1; /* babble */
	return 1;
}

/* Try to complete one pending transfer. @return 1 when it finished. */
static int
synth_try(struct libusb_context *ctx, struct synth_xfer *x, uint64_t now)
{
	struct libusb_transfer *t = synth_pub(x);
	struct libusb_device *d = t->dev_handle->dev;
	int r;

	if (d->gone) {
		synth_finish(ctx, x, LIBUSB_TRANSFER_NO_DEVICE);
		return 1;
	}
	if (d->halted & synth_ep_bit(t->endpoint)) {
		synth_finish(ctx, x, LIBUSB_TRANSFER_STALL);
		return 1;
	}
	if (d->spec.kind == SYNTH_TABLET)
		r = synth_tablet_in(d, t, now);
	else if (d->spec.kind == SYNTH_VENDOR && (t->endpoint & 0x80))
		r = synth_vendor_in(d, t, now);
	else if (d->spec.kind == SYNTH_VENDOR)
		r = synth_vendor_out(d, t, now);
	else
		r = 0; /* the hub's status change endpoint never has news */
	if (r < 0) {
		synth_finish(ctx, x, LIBUSB_TRANSFER_OVERFLOW);
		return 1;
	}
	if (r > 0) {
		synth_finish(ctx, x, LIBUSB_TRANSFER_COMPLETED);
		return 1;
	}
	if (x->deadline_us && now >= x->deadline_us) {
		synth_finish(ctx, x, LIBUSB_TRANSFER_TIMED_OUT);
		return 1;
	}
	return 0;
}

/* ---- hotplug --------------------------------------------------------- */

static void
synth_queue_event(struct libusb_context *ctx, struct libusb_device *d,
		  libusb_hotplug_event ev)
{
	struct synth_event *e = calloc(1, sizeof(*e));

	if (!e) {
		synth_log("hotplug event for %s lost: no memory", d->spec.name);
		return;
	}
	e->dev = d;
	e->ev = ev;
	d->refs++;
	*ctx->events_tail = e;
	ctx->events_tail = &e->next;
}

static void
synth_depart(struct libusb_context *ctx, struct libusb_device *d)
{
	if (d->gone || !d->present || d->spec.kind == SYNTH_HUB)
		return;
	d->gone = 1;
	d->present = 0;
	synth_log("device %s %04x:%04x departs", d->spec.name, d->spec.vid,
		  d->spec.pid);
	if (d->spec.kind == SYNTH_VENDOR || d->spec.result[0])
		synth_write_result(d);
	if (d->announced)
		synth_queue_event(ctx, d, LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT);
}

/* The unplug trigger: the file SYNTH_LIBUSB_UNPLUG, its words the names
 * of the devices that leave (none: all of them). */
static void
synth_check_unplug(struct libusb_context *ctx)
{
	const char *path = getenv("SYNTH_LIBUSB_UNPLUG");
	char buf[512], *save = NULL;
	int fd, any = 0;
	ssize_t n;

	if (!path || !*path || ctx->unplug_all_done)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (char *w = strtok_r(buf, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		any = 1;
		for (struct libusb_device *d = ctx->devs; d; d = d->next)
			if (!strcmp(d->spec.name, w))
				synth_depart(ctx, d);
	}
	if (!any) {
		for (struct libusb_device *d = ctx->devs; d; d = d->next)
			synth_depart(ctx, d);
		ctx->unplug_all_done = 1;
	}
}

static void
synth_check_arrivals(struct libusb_context *ctx, uint64_t now)
{
	for (struct libusb_device *d = ctx->devs; d; d = d->next) {
		if (d->present || d->gone || now < d->arrive_at)
			continue;
		d->present = 1;
		d->announced = 1;
		synth_log("device %s %04x:%04x arrives", d->spec.name,
			  d->spec.vid, d->spec.pid);
		synth_queue_event(ctx, d, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED);
	}
}

static int
synth_hotplug_matches(const struct synth_hotplug *h, struct libusb_device *d,
		      libusb_hotplug_event ev)
{
	return !h->dead && (h->events & (int)ev) &&
	       (h->vid == LIBUSB_HOTPLUG_MATCH_ANY ||
		h->vid == (int)d->spec.vid) &&
	       (h->pid == LIBUSB_HOTPLUG_MATCH_ANY ||
		h->pid == (int)d->spec.pid) &&
	       (h->cls == LIBUSB_HOTPLUG_MATCH_ANY || h->cls == d->ddesc[4]);
}

/* Call the callbacks for one event, synth_mu released around each. */
static void
synth_deliver_event(struct libusb_context *ctx, struct synth_event *e)
{
	for (struct synth_hotplug *h = ctx->hotplug; h; h = h->next) {
		int rc;

		if (!synth_hotplug_matches(h, e->dev, e->ev))
			continue;
		ctx->delivering++;
		pthread_mutex_unlock(&synth_mu);
		rc = h->fn(ctx, e->dev, e->ev, h->user);
		pthread_mutex_lock(&synth_mu);
		ctx->delivering--;
		if (rc)
			h->dead = 1;
	}
}

static void
synth_reap_hotplug(struct libusb_context *ctx)
{
	struct synth_hotplug **pp = &ctx->hotplug;

	if (ctx->delivering)
		return;
	while (*pp) {
		struct synth_hotplug *h = *pp;

		if (h->dead) {
			*pp = h->next;
			free(h);
		} else {
			pp = &h->next;
		}
	}
}

/* ---- the event loop -------------------------------------------------- */

/* Whether an earlier transfer on X's endpoint is still waiting: the
 * later one waits too (no reordering within an endpoint). */
static int
synth_queued_behind(struct synth_xfer *x, struct synth_xfer **waiting, size_t n)
{
	struct libusb_transfer *t = synth_pub(x);

	for (size_t i = 0; i < n; i++) {
		struct libusb_transfer *w = synth_pub(waiting[i]);

		if (w->dev_handle->dev == t->dev_handle->dev &&
		    w->endpoint == t->endpoint)
			return 1;
	}
	return 0;
}

/* Advance the devices: arrivals, the unplug trigger (at most every
 * 20 ms: it is a file), pending transfers. Called with synth_mu held. */
static void
synth_pump(struct libusb_context *ctx)
{
	uint64_t now = synth_now_us();
	struct synth_xfer **pp = &ctx->pending, *waiting[16];
	size_t nwaiting = 0;

	synth_check_arrivals(ctx, now);
	if (now >= ctx->next_trigger_check) {
		synth_check_unplug(ctx);
		ctx->next_trigger_check = now + 20000;
	}
	while (*pp) {
		struct synth_xfer *x = *pp, *next = x->next;
		int behind = synth_queued_behind(x, waiting, nwaiting);

		/* synth_finish moves X to the done list (and its next) */
		if (behind && x->deadline_us && now >= x->deadline_us) {
			synth_finish(ctx, x, LIBUSB_TRANSFER_TIMED_OUT);
			*pp = next;
			continue;
		}
		if (!behind && synth_try(ctx, x, now)) {
			*pp = next;
			continue;
		}
		if (nwaiting < sizeof(waiting) / sizeof(waiting[0]))
			waiting[nwaiting++] = x;
		pp = &x->next;
	}
}

/* When the pump must look again without being woken: the nearest
 * deadline, report or arrival, else soon (the trigger files). */
static uint64_t
synth_next_wakeup(struct libusb_context *ctx, uint64_t limit)
{
	uint64_t t = ctx->next_trigger_check;

	for (struct synth_xfer *x = ctx->pending; x; x = x->next) {
		struct libusb_device *d = synth_pub(x)->dev_handle->dev;

		if (x->deadline_us && x->deadline_us < t)
			t = x->deadline_us;
		if (d->spec.kind == SYNTH_TABLET && d->report_due < t)
			t = d->report_due;
	}
	for (struct libusb_device *d = ctx->devs; d; d = d->next)
		if (!d->present && !d->gone && d->arrive_at < t)
			t = d->arrive_at;
	return t < limit ? t : limit;
}

static void
synth_wait_activity(struct libusb_context *ctx, uint64_t until_us)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(until_us / 1000000u);
	ts.tv_nsec = (long)(until_us % 1000000u) * 1000;
	pthread_cond_timedwait(&ctx->activity, &synth_mu, &ts);
}

/* Interrupt latency through the whole path (urbdrc, RDP, the server,
 * the guest and back): from a report's completion to the next
 * interrupt IN submitted on the tablet. */
static void
synth_note_interrupt(struct libusb_device *d, struct libusb_transfer *t)
{
	if (d->spec.kind != SYNTH_TABLET || t->status != 0)
		return;
	d->intr_done_us = synth_now_us();
}

static void
synth_note_submit(struct libusb_device *d, struct libusb_transfer *t)
{
	uint64_t rtt;

	if (d->spec.kind != SYNTH_TABLET ||
	    t->type != LIBUSB_TRANSFER_TYPE_INTERRUPT || !d->intr_done_us)
		return;
	rtt = synth_now_us() - d->intr_done_us;
	d->intr_done_us = 0;
	d->intr_n++;
	d->intr_rtt_sum += rtt;
	if (rtt > d->intr_rtt_max)
		d->intr_rtt_max = rtt;
	d->intr_rtt_hist[synth_log2(rtt)]++;
}

/* Deliver the finished transfers and hotplug events; synth_mu held, and
 * released around each callback (which may submit again). */
static int
synth_deliver(struct libusb_context *ctx)
{
	int n = 0;

	while (ctx->events) {
		struct synth_event *e = ctx->events;

		ctx->events = e->next;
		if (!ctx->events)
			ctx->events_tail = &ctx->events;
		synth_deliver_event(ctx, e);
		e->dev->refs--;
		free(e);
		n++;
	}
	synth_reap_hotplug(ctx);
	while (ctx->done) {
		struct synth_xfer *x = ctx->done;
		struct libusb_transfer *t = synth_pub(x);
		int free_it = t->flags & LIBUSB_TRANSFER_FREE_TRANSFER;

		ctx->done = x->next;
		if (!ctx->done)
			ctx->done_tail = &ctx->done;
		x->state = SX_IDLE;
		synth_note_interrupt(t->dev_handle->dev, t);
		pthread_mutex_unlock(&synth_mu);
		if (t->callback)
			t->callback(t);
		if (free_it)
			libusb_free_transfer(t);
		pthread_mutex_lock(&synth_mu);
		n++;
	}
	return n;
}

static void
synth_signal_waiters(struct libusb_context *ctx)
{
	pthread_mutex_lock(&ctx->waiters_mu);
	pthread_cond_broadcast(&ctx->event_done);
	pthread_mutex_unlock(&ctx->waiters_mu);
}

static uint64_t
synth_tv_us(const struct timeval *tv)
{
	if (!tv)
		return 60000000u;
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

/* Handle events until something was delivered, *COMPLETED became
 * non-zero or the timeout passed. */
static int
synth_handle(struct libusb_context *ctx, const struct timeval *tv,
	     int *completed)
{
	uint64_t end = synth_now_us() + synth_tv_us(tv);
	int n = 0;

	pthread_mutex_lock(&synth_mu);
	for (;;) {
		synth_pump(ctx);
		n = synth_deliver(ctx);
		if (n || (completed && *completed) || synth_now_us() >= end)
			break;
		synth_wait_activity(ctx, synth_next_wakeup(ctx, end));
	}
	pthread_mutex_unlock(&synth_mu);
	synth_signal_waiters(ctx);
	return 0;
}

/* ---- configuration --------------------------------------------------- */

static struct synth_spec synth_specs[SYNTH_MAX_DEVICES];
static int synth_nspecs = -1;

static int
synth_load_config(void)
{
	char err[256];
	int n;

	if (synth_nspecs >= 0)
		return 0;
	n = synth_config_load(synth_specs, SYNTH_MAX_DEVICES, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "synth-libusb: %s\n", err);
		synth_log("%s", err);
		return LIBUSB_ERROR_INVALID_PARAM;
	}
	synth_nspecs = n;
	return 0;
}

/* ---- the API: context ------------------------------------------------ */

static struct libusb_context *
synth_ctx_new(void)
{
	struct libusb_context *ctx = calloc(1, sizeof(*ctx));
	pthread_condattr_t ca;

	if (!ctx)
		return NULL;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ctx->activity, &ca);
	pthread_cond_init(&ctx->event_done, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&ctx->events_lock, NULL);
	pthread_mutex_init(&ctx->waiters_mu, NULL);
	ctx->events_tail = &ctx->events;
	ctx->done_tail = &ctx->done;
	ctx->next_hotplug = 1;
	ctx->started_us = synth_now_us();
	ctx->refs = 1;
	return ctx;
}

SYNTH_EXPORT int
libusb_init(libusb_context **out)
{
	struct libusb_context *ctx;
	int rc;

	pthread_mutex_lock(&synth_mu);
	synth_log_open();
	rc = synth_load_config();
	if (rc == 0 && !out && synth_default_ctx) {
		synth_default_ctx->refs++;
		pthread_mutex_unlock(&synth_mu);
		return 0;
	}
	ctx = rc == 0 ? synth_ctx_new() : NULL;
	if (rc == 0 && !ctx)
		rc = LIBUSB_ERROR_NO_MEM;
	if (rc == 0)
		rc = synth_add_devices(ctx, synth_specs, synth_nspecs);
	if (rc == 0) {
		ctx->next = synth_contexts;
		synth_contexts = ctx;
		if (out)
			*out = ctx;
		else
			synth_default_ctx = ctx;
		synth_log("libusb_init: %d devices", synth_nspecs);
	}
	pthread_mutex_unlock(&synth_mu);
	if (rc != 0 && ctx)
		libusb_exit(ctx);
	return rc;
}

static void
synth_ctx_free(struct libusb_context *ctx)
{
	for (struct libusb_device *d = ctx->devs; d; d = d->next)
		if (d->spec.kind == SYNTH_VENDOR || d->spec.result[0])
			synth_write_result(d);
	while (ctx->handles) {
		struct libusb_device_handle *h = ctx->handles;

		ctx->handles = h->next;
		synth_log("libusb_exit: handle of %s still open",
			  h->dev->spec.name);
		free(h);
	}
	while (ctx->events) {
		struct synth_event *e = ctx->events;

		ctx->events = e->next;
		free(e);
	}
	for (struct synth_xfer *x = ctx->pending; x; x = x->next)
		x->state = SX_IDLE;
	for (struct synth_xfer *x = ctx->done; x; x = x->next)
		x->state = SX_IDLE;
	while (ctx->hotplug) {
		struct synth_hotplug *h = ctx->hotplug;

		ctx->hotplug = h->next;
		free(h);
	}
	while (ctx->devs) {
		struct libusb_device *d = ctx->devs;

		ctx->devs = d->next;
		if (d->refs > 1)
			synth_log("libusb_exit: %s still has %d references",
				  d->spec.name, d->refs - 1);
		synth_device_free(d);
	}
	pthread_cond_destroy(&ctx->activity);
	pthread_cond_destroy(&ctx->event_done);
	pthread_mutex_destroy(&ctx->events_lock);
	pthread_mutex_destroy(&ctx->waiters_mu);
	free(ctx);
}

SYNTH_EXPORT void
libusb_exit(libusb_context *arg)
{
	struct libusb_context *ctx;

	pthread_mutex_lock(&synth_mu);
	ctx = synth_ctx(arg);
	if (!ctx || --ctx->refs > 0) {
		pthread_mutex_unlock(&synth_mu);
		return;
	}
	for (struct libusb_context **pp = &synth_contexts; *pp;
	     pp = &(*pp)->next) {
		if (*pp == ctx) {
			*pp = ctx->next;
			break;
		}
	}
	if (ctx == synth_default_ctx)
		synth_default_ctx = NULL;
	synth_log("libusb_exit");
	synth_ctx_free(ctx);
	pthread_mutex_unlock(&synth_mu);
}

SYNTH_EXPORT int
libusb_has_capability(uint32_t cap)
{
	switch (cap) {
	case LIBUSB_CAP_HAS_CAPABILITY:
	case LIBUSB_CAP_HAS_HOTPLUG:
	case LIBUSB_CAP_SUPPORTS_DETACH_KERNEL_DRIVER:
		return 1;
	default:
		return 0;
	}
}

SYNTH_EXPORT const char *
libusb_error_name(int code)
{
	switch (code) {
	case LIBUSB_SUCCESS:
		return "LIBUSB_SUCCESS / LIBUSB_TRANSFER_COMPLETED";
	case LIBUSB_ERROR_IO:
		return "LIBUSB_ERROR_IO";
	case LIBUSB_ERROR_INVALID_PARAM:
		return "LIBUSB_ERROR_INVALID_PARAM";
	case LIBUSB_ERROR_ACCESS:
		return "LIBUSB_ERROR_ACCESS";
	case LIBUSB_ERROR_NO_DEVICE:
		return "LIBUSB_ERROR_NO_DEVICE";
	case LIBUSB_ERROR_NOT_FOUND:
		return "LIBUSB_ERROR_NOT_FOUND";
	case LIBUSB_ERROR_BUSY:
		return "LIBUSB_ERROR_BUSY";
	case LIBUSB_ERROR_TIMEOUT:
		return "LIBUSB_ERROR_TIMEOUT";
	case LIBUSB_ERROR_OVERFLOW:
		return "LIBUSB_ERROR_OVERFLOW";
	case LIBUSB_ERROR_PIPE:
		return "LIBUSB_ERROR_PIPE";
	case LIBUSB_ERROR_INTERRUPTED:
		return "LIBUSB_ERROR_INTERRUPTED";
	case LIBUSB_ERROR_NO_MEM:
		return "LIBUSB_ERROR_NO_MEM";
	case LIBUSB_ERROR_NOT_SUPPORTED:
		return "LIBUSB_ERROR_NOT_SUPPORTED";
	case LIBUSB_ERROR_OTHER:
		return "LIBUSB_ERROR_OTHER";
	case LIBUSB_TRANSFER_ERROR:
		return "LIBUSB_TRANSFER_ERROR";
	case LIBUSB_TRANSFER_TIMED_OUT:
		return "LIBUSB_TRANSFER_TIMED_OUT";
	case LIBUSB_TRANSFER_CANCELLED:
		return "LIBUSB_TRANSFER_CANCELLED";
	case LIBUSB_TRANSFER_STALL:
		return "LIBUSB_TRANSFER_STALL";
	case LIBUSB_TRANSFER_NO_DEVICE:
		return "LIBUSB_TRANSFER_NO_DEVICE";
	case LIBUSB_TRANSFER_OVERFLOW:
		return "LIBUSB_TRANSFER_OVERFLOW";
	default:
		return "**UNKNOWN**";
	}
}

SYNTH_EXPORT const char *
libusb_strerror(int code)
{
	return libusb_error_name(code);
}

SYNTH_EXPORT const struct libusb_version *
libusb_get_version(void)
{
	static const struct libusb_version v = {
	    1, 0, 26, 11724, "-synth", "synth-libusb"};

	return &v;
}

SYNTH_EXPORT int
libusb_set_option(libusb_context *ctx, enum libusb_option option, ...)
{
	(void)ctx;
	if (option == LIBUSB_OPTION_LOG_LEVEL)
		return 0;
	synth_log("libusb_set_option %d: not supported", (int)option);
	return LIBUSB_ERROR_NOT_SUPPORTED;
}

SYNTH_EXPORT void
libusb_set_debug(libusb_context *ctx, int level)
{
	(void)ctx;
	(void)level;
}

/* ---- the API: devices ------------------------------------------------ */

SYNTH_EXPORT ssize_t
libusb_get_device_list(libusb_context *arg, libusb_device ***list)
{
	struct libusb_context *ctx;
	struct libusb_device **v;
	ssize_t n = 0;

	pthread_mutex_lock(&synth_mu);
	ctx = synth_ctx(arg);
	if (!ctx) {
		pthread_mutex_unlock(&synth_mu);
		synth_log("libusb_get_device_list: no context");
		return LIBUSB_ERROR_INVALID_PARAM;
	}
	synth_check_arrivals(ctx, synth_now_us());
	for (struct libusb_device *d = ctx->devs; d; d = d->next)
		n += d->present;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&synth_mu);
		return LIBUSB_ERROR_NO_MEM;
	}
	n = 0;
	for (struct libusb_device *d = ctx->devs; d; d = d->next) {
		if (!d->present)
			continue;
		d->refs++;
		v[n++] = d;
	}
	pthread_mutex_unlock(&synth_mu);
	*list = v;
	return n;
}

SYNTH_EXPORT void
libusb_free_device_list(libusb_device **list, int unref_devices)
{
	if (!list)
		return;
	if (unref_devices)
		for (libusb_device **p = list; *p; p++)
			libusb_unref_device(*p);
	free(list);
}

SYNTH_EXPORT libusb_device *
libusb_ref_device(libusb_device *dev)
{
	pthread_mutex_lock(&synth_mu);
	dev->refs++;
	pthread_mutex_unlock(&synth_mu);
	return dev;
}

/* The context keeps one reference until libusb_exit, so a device is
 * never freed under an application that holds it a little too long. */
SYNTH_EXPORT void
libusb_unref_device(libusb_device *dev)
{
	if (!dev)
		return;
	pthread_mutex_lock(&synth_mu);
	if (dev->refs > 1)
		dev->refs--;
	else
		synth_log("libusb_unref_device %s: more unrefs than refs",
			  dev->spec.name);
	pthread_mutex_unlock(&synth_mu);
}

SYNTH_EXPORT uint8_t
libusb_get_bus_number(libusb_device *dev)
{
	return (uint8_t)dev->spec.bus;
}

SYNTH_EXPORT uint8_t
libusb_get_device_address(libusb_device *dev)
{
	return (uint8_t)dev->spec.addr;
}

SYNTH_EXPORT uint8_t
libusb_get_port_number(libusb_device *dev)
{
	return (uint8_t)dev->spec.port;
}

SYNTH_EXPORT int
libusb_get_port_numbers(libusb_device *dev, uint8_t *ports, int len)
{
	if (dev->spec.kind == SYNTH_HUB)
		return 0;
	if (len < 1)
		return LIBUSB_ERROR_OVERFLOW;
	ports[0] = (uint8_t)dev->spec.port;
	return 1;
}

SYNTH_EXPORT libusb_device *
libusb_get_parent(libusb_device *dev)
{
	if (dev->spec.kind == SYNTH_HUB)
		return NULL;
	for (struct libusb_device *d = dev->ctx->devs; d; d = d->next)
		if (d->spec.kind == SYNTH_HUB && d->spec.bus == dev->spec.bus)
			return d;
	return NULL;
}

SYNTH_EXPORT int
libusb_get_device_speed(libusb_device *dev)
{
	(void)dev;
	return LIBUSB_SPEED_FULL;
}

SYNTH_EXPORT int
libusb_get_device_descriptor(libusb_device *dev,
			     struct libusb_device_descriptor *desc)
{
	const uint8_t *p = dev->ddesc;

	desc->bLength = p[0];
	desc->bDescriptorType = p[1];
	desc->bcdUSB = (uint16_t)synth_get16(p + 2);
	desc->bDeviceClass = p[4];
	desc->bDeviceSubClass = p[5];
	desc->bDeviceProtocol = p[6];
	desc->bMaxPacketSize0 = p[7];
	desc->idVendor = (uint16_t)synth_get16(p + 8);
	desc->idProduct = (uint16_t)synth_get16(p + 10);
	desc->bcdDevice = (uint16_t)synth_get16(p + 12);
	desc->iManufacturer = p[14];
	desc->iProduct = p[15];
	desc->iSerialNumber = p[16];
	desc->bNumConfigurations = p[17];
	return 0;
}

SYNTH_EXPORT int
libusb_get_config_descriptor(libusb_device *dev, uint8_t index,
			     struct libusb_config_descriptor **config)
{
	int rc;

	if (index != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	rc = synth_parse_config(dev->cdesc, dev->cdesc_len, config);
	if (rc < 0)
		synth_log("%s: configuration descriptor does not parse: %d",
			  dev->spec.name, rc);
	return rc;
}

SYNTH_EXPORT int
libusb_get_active_config_descriptor(libusb_device *dev,
				    struct libusb_config_descriptor **config)
{
	if (dev->configuration == 0)
		return LIBUSB_ERROR_NOT_FOUND;
	return libusb_get_config_descriptor(dev, 0, config);
}

SYNTH_EXPORT int
libusb_get_config_descriptor_by_value(libusb_device *dev, uint8_t value,
				      struct libusb_config_descriptor **config)
{
	if (value != 1)
		return LIBUSB_ERROR_NOT_FOUND;
	return libusb_get_config_descriptor(dev, 0, config);
}

SYNTH_EXPORT void
libusb_free_config_descriptor(struct libusb_config_descriptor *config)
{
	synth_free_config(config);
}

SYNTH_EXPORT int
libusb_get_max_packet_size(libusb_device *dev, unsigned char endpoint)
{
	const uint8_t *ep = synth_find_ep(dev, endpoint);

	return ep ? (int)(synth_get16(ep + 4) & 0x7ff) : LIBUSB_ERROR_NOT_FOUND;
}

/* ---- the API: handles ------------------------------------------------ */

SYNTH_EXPORT int
libusb_open(libusb_device *dev, libusb_device_handle **out)
{
	struct libusb_device_handle *h;

	pthread_mutex_lock(&synth_mu);
	if (dev->gone || !dev->present) {
		pthread_mutex_unlock(&synth_mu);
		synth_log("libusb_open %s: no device", dev->spec.name);
		return LIBUSB_ERROR_NO_DEVICE;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		pthread_mutex_unlock(&synth_mu);
		return LIBUSB_ERROR_NO_MEM;
	}
	h->dev = dev;
	dev->refs++;
	h->next = dev->ctx->handles;
	dev->ctx->handles = h;
	pthread_mutex_unlock(&synth_mu);
	synth_log("libusb_open %s %04x:%04x", dev->spec.name, dev->spec.vid,
		  dev->spec.pid);
	*out = h;
	return 0;
}

SYNTH_EXPORT libusb_device_handle *
libusb_open_device_with_vid_pid(libusb_context *arg, uint16_t vid, uint16_t pid)
{
	struct libusb_context *ctx = synth_ctx(arg);
	struct libusb_device_handle *h = NULL;

	if (!ctx)
		return NULL;
	for (struct libusb_device *d = ctx->devs; d; d = d->next)
		if (d->present && d->spec.vid == vid && d->spec.pid == pid &&
		    libusb_open(d, &h) == 0)
			return h;
	return NULL;
}

/* Forget the transfers of H that are still listed (they belong to the
 * application, which should have waited for them). */
static void
synth_drop_transfers(struct libusb_context *ctx, struct libusb_device_handle *h)
{
	struct synth_xfer **lists[2] = {&ctx->pending, &ctx->done};

	for (int i = 0; i < 2; i++) {
		struct synth_xfer **pp = lists[i];

		while (*pp) {
			struct synth_xfer *x = *pp;

			if (synth_pub(x)->dev_handle != h) {
				pp = &x->next;
				continue;
			}
			synth_log(
			    "libusb_close %s: transfer on 0x%02x still in "
			    "flight",
			    h->dev->spec.name, synth_pub(x)->endpoint);
			if (i == 1)
				synth_unlink_done(ctx, x);
			else
				*pp = x->next;
			x->state = SX_IDLE;
		}
	}
}

SYNTH_EXPORT void
libusb_close(libusb_device_handle *h)
{
	struct libusb_context *ctx;

	if (!h)
		return;
	pthread_mutex_lock(&synth_mu);
	ctx = h->dev->ctx;
	synth_drop_transfers(ctx, h);
	for (struct libusb_device_handle **pp = &ctx->handles; *pp;
	     pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	if (h->dev->refs > 1)
		h->dev->refs--;
	pthread_mutex_unlock(&synth_mu);
	free(h);
}

SYNTH_EXPORT libusb_device *
libusb_get_device(libusb_device_handle *h)
{
	return h->dev;
}

static int
synth_check_iface(libusb_device_handle *h, int iface, const char *what)
{
	if (h->dev->gone)
		return LIBUSB_ERROR_NO_DEVICE;
	if (iface != 0) {
		synth_log("%s %s interface %d: not found", what,
			  h->dev->spec.name, iface);
		return LIBUSB_ERROR_NOT_FOUND;
	}
	return 0;
}

SYNTH_EXPORT int
libusb_claim_interface(libusb_device_handle *h, int iface)
{
	int rc;

	pthread_mutex_lock(&synth_mu);
	rc = synth_check_iface(h, iface, "libusb_claim_interface");
	if (rc == 0)
		h->dev->claimed |= 1u << iface;
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

SYNTH_EXPORT int
libusb_release_interface(libusb_device_handle *h, int iface)
{
	int rc;

	pthread_mutex_lock(&synth_mu);
	rc = synth_check_iface(h, iface, "libusb_release_interface");
	if (rc == 0 && !(h->dev->claimed & (1u << iface)))
		rc = LIBUSB_ERROR_NOT_FOUND;
	if (rc == 0)
		h->dev->claimed &= ~(1u << iface);
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

SYNTH_EXPORT int
libusb_set_interface_alt_setting(libusb_device_handle *h, int iface, int alt)
{
	int rc;

	pthread_mutex_lock(&synth_mu);
	rc = synth_check_iface(h, iface, "libusb_set_interface_alt_setting");
	if (rc == 0 && alt != 0) {
		synth_log("libusb_set_interface_alt_setting %s: no alternate "
			  "setting %d",
			  h->dev->spec.name, alt);
		rc = LIBUSB_ERROR_NOT_FOUND;
	}
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

SYNTH_EXPORT int
libusb_set_configuration(libusb_device_handle *h, int configuration)
{
	int rc = 0;

	pthread_mutex_lock(&synth_mu);
	if (h->dev->gone) {
		rc = LIBUSB_ERROR_NO_DEVICE;
	} else if (configuration == -1 || configuration == 0) {
		h->dev->configuration = 0;
	} else if (configuration == 1) {
		h->dev->configuration = 1;
	} else {
		synth_log("libusb_set_configuration %s: no configuration %d",
			  h->dev->spec.name, configuration);
		rc = LIBUSB_ERROR_NOT_FOUND;
	}
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

SYNTH_EXPORT int
libusb_get_configuration(libusb_device_handle *h, int *config)
{
	if (h->dev->gone)
		return LIBUSB_ERROR_NO_DEVICE;
	*config = h->dev->configuration;
	return 0;
}

SYNTH_EXPORT int
libusb_clear_halt(libusb_device_handle *h, unsigned char endpoint)
{
	int rc = 0;

	pthread_mutex_lock(&synth_mu);
	if (h->dev->gone) {
		rc = LIBUSB_ERROR_NO_DEVICE;
	} else if (!synth_find_ep(h->dev, endpoint)) {
		synth_log("libusb_clear_halt %s: no endpoint 0x%02x",
			  h->dev->spec.name, endpoint);
		rc = LIBUSB_ERROR_NOT_FOUND;
	} else {
		h->dev->halted &= ~synth_ep_bit(endpoint);
	}
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

SYNTH_EXPORT int
libusb_reset_device(libusb_device_handle *h)
{
	int rc = 0;

	pthread_mutex_lock(&synth_mu);
	if (h->dev->gone) {
		rc = LIBUSB_ERROR_NOT_FOUND; /* what Linux's libusb says */
	} else {
		h->dev->halted = 0;
		h->dev->configuration = 1;
	}
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

/* No kernel drivers here: nothing is bound, nothing to detach. */
SYNTH_EXPORT int
libusb_kernel_driver_active(libusb_device_handle *h, int iface)
{
	if (h->dev->gone)
		return LIBUSB_ERROR_NO_DEVICE;
	return iface == 0 ? 0 : LIBUSB_ERROR_NOT_FOUND;
}

SYNTH_EXPORT int
libusb_detach_kernel_driver(libusb_device_handle *h, int iface)
{
	(void)iface;
	return h->dev->gone ? LIBUSB_ERROR_NO_DEVICE : LIBUSB_ERROR_NOT_FOUND;
}

SYNTH_EXPORT int
libusb_attach_kernel_driver(libusb_device_handle *h, int iface)
{
	(void)iface;
	return h->dev->gone ? LIBUSB_ERROR_NO_DEVICE : LIBUSB_ERROR_NOT_FOUND;
}

SYNTH_EXPORT int
libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
	(void)h;
	(void)enable;
	return 0;
}

/* ---- the API: synchronous I/O ---------------------------------------- */

SYNTH_EXPORT int
libusb_control_transfer(libusb_device_handle *h, uint8_t request_type,
			uint8_t request, uint16_t value, uint16_t index,
			unsigned char *data, uint16_t length,
			unsigned int timeout)
{
	uint8_t setup[8], *buf = NULL;
	int rc;

	(void)timeout;
	setup[0] = request_type;
	setup[1] = request;
	synth_put16(setup + 2, value);
	synth_put16(setup + 4, index);
	synth_put16(setup + 6, length);
	if (length && !data)
		return LIBUSB_ERROR_INVALID_PARAM;
	if ((request_type & 0x80) && length && !(buf = malloc(length)))
		return LIBUSB_ERROR_NO_MEM;
	pthread_mutex_lock(&synth_mu);
	rc = synth_control(h->dev, setup, buf, length);
	pthread_mutex_unlock(&synth_mu);
	if (rc > 0 && buf)
		memcpy(data, buf, (size_t)rc);
	free(buf);
	return rc;
}

SYNTH_EXPORT int
libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t idx,
				   unsigned char *data, int length)
{
	unsigned char buf[255];
	int rc, n = 0;

	if (idx == 0)
		return LIBUSB_ERROR_INVALID_PARAM;
	rc = libusb_control_transfer(h, LIBUSB_ENDPOINT_IN,
				     LIBUSB_REQUEST_GET_DESCRIPTOR,
				     (uint16_t)(LIBUSB_DT_STRING << 8 | idx),
				     0x0409, buf, sizeof(buf), 1000);
	if (rc < 0)
		return rc;
	if (rc < 2 || buf[1] != LIBUSB_DT_STRING || buf[0] > rc)
		return LIBUSB_ERROR_IO;
	for (int i = 2; i + 1 < buf[0] && n < length - 1; i += 2)
		data[n++] = (buf[i + 1] || buf[i] & 0x80) ? '?' : buf[i];
	if (length > 0)
		data[n] = 0;
	return n;
}

/* libusb_bulk_transfer and libusb_interrupt_transfer: submit and handle
 * events until done, as libusb's sync.c does. */
static void LIBUSB_CALL
synth_sync_cb(struct libusb_transfer *t)
{
	*(int *)t->user_data = 1;
}

static int
synth_sync_io(libusb_device_handle *h, unsigned char ep, unsigned char *data,
	      int length, int *transferred, unsigned timeout,
	      unsigned char type)
{
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	struct libusb_context *ctx = h->dev->ctx;
	int done = 0, rc;
	static const int map[] = {
	    [LIBUSB_TRANSFER_COMPLETED] = 0,
	    [LIBUSB_TRANSFER_ERROR] = LIBUSB_ERROR_IO,
	    [LIBUSB_TRANSFER_TIMED_OUT] = LIBUSB_ERROR_TIMEOUT,
	    [LIBUSB_TRANSFER_CANCELLED] = LIBUSB_ERROR_IO,
	    [LIBUSB_TRANSFER_STALL] = LIBUSB_ERROR_PIPE,
	    [LIBUSB_TRANSFER_NO_DEVICE] = LIBUSB_ERROR_NO_DEVICE,
	    [LIBUSB_TRANSFER_OVERFLOW] = LIBUSB_ERROR_OVERFLOW,
	};

	if (!t)
		return LIBUSB_ERROR_NO_MEM;
	t->dev_handle = h;
	t->endpoint = ep;
	t->type = type;
	t->timeout = timeout;
	t->buffer = data;
	t->length = length;
	t->user_data = &done;
	t->callback = synth_sync_cb;
	rc = libusb_submit_transfer(t);
	if (rc < 0) {
		libusb_free_transfer(t);
		return rc;
	}
	while (!done)
		synth_handle(ctx, NULL, &done);
	if (transferred)
		*transferred = t->actual_length;
	rc = map[t->status];
	libusb_free_transfer(t);
	return rc;
}

SYNTH_EXPORT int
libusb_bulk_transfer(libusb_device_handle *h, unsigned char ep,
		     unsigned char *data, int length, int *transferred,
		     unsigned int timeout)
{
	return synth_sync_io(h, ep, data, length, transferred, timeout,
			     LIBUSB_TRANSFER_TYPE_BULK);
}

SYNTH_EXPORT int
libusb_interrupt_transfer(libusb_device_handle *h, unsigned char ep,
			  unsigned char *data, int length, int *transferred,
			  unsigned int timeout)
{
	return synth_sync_io(h, ep, data, length, transferred, timeout,
			     LIBUSB_TRANSFER_TYPE_INTERRUPT);
}

/* ---- the API: asynchronous I/O --------------------------------------- */

SYNTH_EXPORT struct libusb_transfer *
libusb_alloc_transfer(int iso_packets)
{
	size_t size = SYNTH_XFER_HDR + sizeof(struct libusb_transfer) +
		      (size_t)(iso_packets > 0 ? iso_packets : 0) *
			  sizeof(struct libusb_iso_packet_descriptor);
	char *p;

	if (iso_packets < 0)
		return NULL;
	p = calloc(1, size);
	if (!p)
		return NULL;
	((struct libusb_transfer *)(void *)(p + SYNTH_XFER_HDR))
	    ->num_iso_packets = iso_packets;
	return (struct libusb_transfer *)(void *)(p + SYNTH_XFER_HDR);
}

SYNTH_EXPORT void
libusb_free_transfer(struct libusb_transfer *t)
{
	struct synth_xfer *x;

	if (!t)
		return;
	x = synth_priv(t);
	pthread_mutex_lock(&synth_mu);
	if (x->state != SX_IDLE && x->ctx) {
		/* freed in flight (FreeRDP 2.11 does on device close):
		 * forget it rather than touch freed memory later */
		synth_log("libusb_free_transfer: transfer on 0x%02x freed "
			  "while %s",
			  t->endpoint,
			  x->state == SX_PENDING ? "pending" : "completing");
		if (x->state == SX_PENDING)
			synth_unlink_pending(x->ctx, x);
		else
			synth_unlink_done(x->ctx, x);
	}
	pthread_mutex_unlock(&synth_mu);
	if (t->flags & LIBUSB_TRANSFER_FREE_BUFFER)
		free(t->buffer);
	free(x);
}

SYNTH_EXPORT void
libusb_transfer_set_stream_id(struct libusb_transfer *t, uint32_t stream_id)
{
	synth_priv(t)->stream_id = stream_id;
}

SYNTH_EXPORT uint32_t
libusb_transfer_get_stream_id(struct libusb_transfer *t)
{
	return synth_priv(t)->stream_id;
}

/* A control transfer is answered at once; its completion still waits
 * for libusb_handle_events like every other. */
static int
synth_submit_control(struct libusb_context *ctx, struct synth_xfer *x)
{
	struct libusb_transfer *t = synth_pub(x);
	unsigned want;
	int rc;

	if (t->length < 8)
		return LIBUSB_ERROR_INVALID_PARAM;
	want = synth_get16(t->buffer + 6);
	if (want > (unsigned)t->length - 8)
		return LIBUSB_ERROR_INVALID_PARAM;
	rc = synth_control(t->dev_handle->dev, t->buffer, t->buffer + 8, want);
	t->actual_length = rc > 0 ? rc : 0;
	if (rc == LIBUSB_ERROR_NO_DEVICE)
		return rc;
	if ((t->buffer[0] & 0x80) == 0 && rc == 0)
		t->actual_length = (int)want;
	synth_finish(
	    ctx, x, rc < 0 ? LIBUSB_TRANSFER_STALL : LIBUSB_TRANSFER_COMPLETED);
	return 0;
}

static int
synth_submit_check(struct libusb_transfer *t)
{
	struct libusb_device *d = t->dev_handle->dev;
	const uint8_t *ep;
	struct synth_xfer *x = synth_priv(t);

	if (x->state != SX_IDLE)
		return LIBUSB_ERROR_BUSY;
	if (d->gone)
		return LIBUSB_ERROR_NO_DEVICE;
	if (t->type == LIBUSB_TRANSFER_TYPE_CONTROL)
		return 0;
	ep = synth_find_ep(d, t->endpoint);
	if (!ep || (ep[3] & 3) != t->type || t->length < 0) {
		synth_log("libusb_submit_transfer %s: no endpoint 0x%02x of "
			  "type %u",
			  d->spec.name, t->endpoint, t->type);
		return LIBUSB_ERROR_NOT_FOUND;
	}
	return 0;
}

SYNTH_EXPORT int
libusb_submit_transfer(struct libusb_transfer *t)
{
	struct synth_xfer *x = synth_priv(t);
	struct libusb_context *ctx;
	int rc;

	if (!t->dev_handle)
		return LIBUSB_ERROR_INVALID_PARAM;
	pthread_mutex_lock(&synth_mu);
	ctx = t->dev_handle->dev->ctx;
	rc = synth_submit_check(t);
	if (rc == 0 && (t->type == LIBUSB_TRANSFER_TYPE_ISOCHRONOUS ||
			t->type == LIBUSB_TRANSFER_TYPE_BULK_STREAM)) {
		synth_log("libusb_submit_transfer: type %u not supported",
			  t->type);
		rc = LIBUSB_ERROR_NOT_SUPPORTED;
	}
	if (rc == 0) {
		x->ctx = ctx;
		t->actual_length = 0;
		x->deadline_us =
		    t->timeout ? synth_now_us() + (uint64_t)t->timeout * 1000u
			       : 0;
		synth_note_submit(t->dev_handle->dev, t);
	}
	if (rc == 0 && t->type == LIBUSB_TRANSFER_TYPE_CONTROL) {
		rc = synth_submit_control(ctx, x);
	} else if (rc == 0) {
		struct synth_xfer **pp = &ctx->pending;

		/* in submission order: an endpoint is a queue */
		while (*pp)
			pp = &(*pp)->next;
		x->state = SX_PENDING;
		x->next = NULL;
		*pp = x;
	}
	if (rc == 0)
		pthread_cond_broadcast(&ctx->activity);
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

SYNTH_EXPORT int
libusb_cancel_transfer(struct libusb_transfer *t)
{
	struct synth_xfer *x = synth_priv(t);
	int rc = 0;

	pthread_mutex_lock(&synth_mu);
	if (x->state != SX_PENDING) {
		rc = LIBUSB_ERROR_NOT_FOUND;
	} else {
		synth_unlink_pending(x->ctx, x);
		synth_finish(x->ctx, x, LIBUSB_TRANSFER_CANCELLED);
		pthread_cond_broadcast(&x->ctx->activity);
	}
	pthread_mutex_unlock(&synth_mu);
	return rc;
}

/* ---- the API: events ------------------------------------------------- */

SYNTH_EXPORT int
libusb_try_lock_events(libusb_context *arg)
{
	struct libusb_context *ctx = synth_ctx(arg);

	if (pthread_mutex_trylock(&ctx->events_lock) != 0)
		return 1;
	ctx->events_held = 1;
	return 0;
}

SYNTH_EXPORT void
libusb_lock_events(libusb_context *arg)
{
	struct libusb_context *ctx = synth_ctx(arg);

	pthread_mutex_lock(&ctx->events_lock);
	ctx->events_held = 1;
}

SYNTH_EXPORT void
libusb_unlock_events(libusb_context *arg)
{
	struct libusb_context *ctx = synth_ctx(arg);

	ctx->events_held = 0;
	pthread_mutex_unlock(&ctx->events_lock);
	synth_signal_waiters(ctx);
}

SYNTH_EXPORT int
libusb_event_handling_ok(libusb_context *arg)
{
	(void)arg;
	return 1;
}

SYNTH_EXPORT int
libusb_event_handler_active(libusb_context *arg)
{
	return synth_ctx(arg)->events_held;
}

SYNTH_EXPORT void
libusb_lock_event_waiters(libusb_context *arg)
{
	pthread_mutex_lock(&synth_ctx(arg)->waiters_mu);
}

SYNTH_EXPORT void
libusb_unlock_event_waiters(libusb_context *arg)
{
	pthread_mutex_unlock(&synth_ctx(arg)->waiters_mu);
}

SYNTH_EXPORT int
libusb_wait_for_event(libusb_context *arg, struct timeval *tv)
{
	struct libusb_context *ctx = synth_ctx(arg);
	uint64_t until = synth_now_us() + synth_tv_us(tv);
	struct timespec ts;

	if (!tv) {
		pthread_cond_wait(&ctx->event_done, &ctx->waiters_mu);
		return 0;
	}
	ts.tv_sec = (time_t)(until / 1000000u);
	ts.tv_nsec = (long)(until % 1000000u) * 1000;
	return pthread_cond_timedwait(&ctx->event_done, &ctx->waiters_mu,
				      &ts) == ETIMEDOUT;
}

SYNTH_EXPORT int
libusb_handle_events_locked(libusb_context *arg, struct timeval *tv)
{
	return synth_handle(synth_ctx(arg), tv, NULL);
}

SYNTH_EXPORT int
libusb_handle_events_timeout_completed(libusb_context *arg, struct timeval *tv,
				       int *completed)
{
	struct libusb_context *ctx = synth_ctx(arg);
	int rc;

	libusb_lock_events(ctx);
	rc = synth_handle(ctx, tv, completed);
	libusb_unlock_events(ctx);
	return rc;
}

SYNTH_EXPORT int
libusb_handle_events_timeout(libusb_context *ctx, struct timeval *tv)
{
	return libusb_handle_events_timeout_completed(ctx, tv, NULL);
}

SYNTH_EXPORT int
libusb_handle_events_completed(libusb_context *ctx, int *completed)
{
	struct timeval tv = {60, 0};

	return libusb_handle_events_timeout_completed(ctx, &tv, completed);
}

SYNTH_EXPORT int
libusb_handle_events(libusb_context *ctx)
{
	return libusb_handle_events_completed(ctx, NULL);
}

/* ---- the API: hotplug ------------------------------------------------ */

SYNTH_EXPORT int
libusb_hotplug_register_callback(libusb_context *arg, int events, int flags,
				 int vendor_id, int product_id, int dev_class,
				 libusb_hotplug_callback_fn cb_fn,
				 void *user_data,
				 libusb_hotplug_callback_handle *handle)
{
	struct libusb_context *ctx = synth_ctx(arg);
	struct synth_hotplug *h;

	if (!ctx || !cb_fn || !(events & 3))
		return LIBUSB_ERROR_INVALID_PARAM;
	h = calloc(1, sizeof(*h));
	if (!h)
		return LIBUSB_ERROR_NO_MEM;
	h->events = events;
	h->vid = vendor_id;
	h->pid = product_id;
	h->cls = dev_class;
	h->fn = cb_fn;
	h->user = user_data;
	pthread_mutex_lock(&synth_mu);
	h->id = ctx->next_hotplug++;
	h->next = ctx->hotplug;
	ctx->hotplug = h;
	if (handle)
		*handle = h->id;
	/* LIBUSB_HOTPLUG_ENUMERATE: an arrival for every device there */
	for (struct libusb_device *d = ctx->devs;
	     (flags & LIBUSB_HOTPLUG_ENUMERATE) && d; d = d->next) {
		if (d->present &&
		    synth_hotplug_matches(
			h, d, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)) {
			pthread_mutex_unlock(&synth_mu);
			if (cb_fn(ctx, d, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED,
				  user_data))
				h->dead = 1;
			pthread_mutex_lock(&synth_mu);
		}
	}
	pthread_mutex_unlock(&synth_mu);
	synth_log("hotplug callback %d registered", h->id);
	return 0;
}

SYNTH_EXPORT void
libusb_hotplug_deregister_callback(libusb_context *arg,
				   libusb_hotplug_callback_handle handle)
{
	struct libusb_context *ctx = synth_ctx(arg);

	pthread_mutex_lock(&synth_mu);
	for (struct synth_hotplug *h = ctx->hotplug; h; h = h->next)
		if (h->id == handle)
			h->dead = 1;
	pthread_mutex_unlock(&synth_mu);
}
