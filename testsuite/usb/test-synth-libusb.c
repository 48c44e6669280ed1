/*
 * test-synth-libusb.c - the test-only libusb (usb/libusb-1.0.la) driven
 * through the libusb API the way FreeRDP 2.11's urbdrc drives it: a poll
 * thread running libusb_try_lock_events / libusb_handle_events_locked /
 * libusb_wait_for_event, a hotplug callback registered without
 * ENUMERATE, devices found by VID:PID in the device list, descriptors,
 * claim, synchronous control requests, asynchronous interrupt, bulk and
 * control transfers with stream ids, cancel, timeouts, the vendor
 * device's echo and loopback with its result file, and a scripted
 * departure and a late arrival.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libusb.h>

#include "synth-libusb.h"
#include "tap.h"

static libusb_context *ctx;
static volatile int running = 1;
static pthread_t poll_tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char dir[256];

/* ---- FreeRDP's poll thread (libusb_udevman.c poll_libusb_events) ----- */

static int hp_arrived, hp_left;
static unsigned hp_left_vid;

static int LIBUSB_CALL
hotplug_cb(libusb_context *c, libusb_device *dev, libusb_hotplug_event ev,
	   void *user)
{
	struct libusb_device_descriptor d;

	libusb_get_device_descriptor(dev, &d);
	pthread_mutex_lock(&mu);
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
		hp_arrived++;
	} else {
		hp_left++;
		hp_left_vid = d.idVendor;
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

static void
poll_events(void)
{
	struct timeval tv = {0, 500};

	if (libusb_try_lock_events(ctx) == 0) {
		if (libusb_event_handling_ok(ctx))
			libusb_handle_events_locked(ctx, &tv);
		libusb_unlock_events(ctx);
	} else {
		libusb_lock_event_waiters(ctx);
		if (libusb_event_handler_active(ctx))
			libusb_wait_for_event(ctx, &tv);
		libusb_unlock_event_waiters(ctx);
	}
}

static void *
poll_thread(void *arg)
{
	libusb_hotplug_callback_handle h;
	int rc;

	rc = libusb_hotplug_register_callback(
	    ctx,
	    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
		LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
	    0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
	    LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb, NULL, &h);
	*(int *)arg = rc;
	while (running)
		poll_events();
	libusb_hotplug_deregister_callback(ctx, h);
	return NULL;
}

/* ---- transfers --------------------------------------------------------- */

struct done {
	int n; /* completions seen */
	int status, actual;
	uint32_t stream;
	int on_poll_thread;
};

static void LIBUSB_CALL
xfer_cb(struct libusb_transfer *t)
{
	struct done *d = t->user_data;

	pthread_mutex_lock(&mu);
	d->status = t->status;
	d->actual = t->actual_length;
	d->stream = libusb_transfer_get_stream_id(t);
	d->on_poll_thread = pthread_equal(pthread_self(), poll_tid);
	d->n++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Wait until *COUNTER reaches WANT (at most MS). @return 1 if it did. */
static int
wait_for(int *counter, int want, int ms)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mu);
	while (*counter < want && pthread_cond_timedwait(&cv, &mu, &ts) == 0)
		;
	ok = *counter >= want;
	pthread_mutex_unlock(&mu);
	return ok;
}

static libusb_device *
find_dev(uint16_t vid, uint16_t pid)
{
	libusb_device **list, *found = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);

	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor d;

		libusb_get_device_descriptor(list[i], &d);
		if (d.idVendor == vid && d.idProduct == pid && !found)
			found = libusb_ref_device(list[i]);
	}
	if (n >= 0)
		libusb_free_device_list(list, 1);
	return found;
}

static ssize_t
count_devices(void)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(ctx, &list);

	if (n >= 0)
		libusb_free_device_list(list, 1);
	return n;
}

/* Submit one transfer and wait for its callback. */
static int
run_xfer(struct libusb_transfer *t, struct done *d, int ms)
{
	int before = d->n, rc = libusb_submit_transfer(t);

	if (rc < 0)
		return rc;
	return wait_for(&d->n, before + 1, ms) ? 0 : LIBUSB_ERROR_TIMEOUT;
}

static int
file_has(const char *path, const char *text)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

static void
path_in_dir(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* ---- the parts ---------------------------------------------------------- */

static void
test_config(void)
{
	struct synth_spec s;
	char err[256];
	uint8_t r[6];

	memset(&s, 0, sizeof(s));
	tap_ok(synth_config_parse_spec("vendor bytes=1M mode=loopback "
				       "id=80ee:cafe product=a_b",
				       &s, err, sizeof(err)) == 0 &&
		   s.bytes == 1048576 && s.loopback && s.vid == 0x80ee &&
		   s.pid == 0xcafe && !strcmp(s.product, "a b"),
	       "config: a vendor description parses");
	tap_ok(synth_config_parse_spec("vendor colour=red", &s, err,
				       sizeof(err)) < 0 &&
		   strstr(err, "unknown key 'colour'"),
	       "config: an unknown key is refused by name (%s)", err);
	tap_ok(synth_config_parse_spec("tablet reports=1,2/40000,1", &s, err,
				       sizeof(err)) < 0,
	       "config: X beyond 0x7fff is refused (%s)", err);
	tap_ok(synth_parse_report("32767,5,1,-1", r) == 0 && r[0] == 1 &&
		   r[1] == 0xff && r[2] == 0x7f && r[3] == 5 && r[4] == 0 &&
		   r[5] == 0xff,
	       "config: a report is buttons, X, Y (LE), wheel");
}

static void
test_descriptors(libusb_device *tab, libusb_device *ven)
{
	struct libusb_device_descriptor d;
	struct libusb_config_descriptor *c = NULL;
	uint8_t ports[8];

	libusb_get_device_descriptor(ven, &d);
	tap_ok(d.bLength == 18 && d.bDeviceClass == 0xff &&
		   d.bNumConfigurations == 1 && d.bMaxPacketSize0 == 8,
	       "vendor: device descriptor (class %02x)", d.bDeviceClass);
	tap_ok(libusb_get_bus_number(ven) == 1 &&
		   libusb_get_device_address(ven) == 3 &&
		   libusb_get_port_numbers(ven, ports, sizeof(ports)) == 1 &&
		   ports[0] == 2 && libusb_get_port_number(ven) == 2,
	       "vendor: bus 1, address 3, port 2");
	tap_ok(
	    libusb_get_active_config_descriptor(ven, &c) == 0 &&
		c->bNumInterfaces == 1 && c->interface[0].num_altsetting == 1 &&
		c->interface[0].altsetting[0].bInterfaceClass == 0xff &&
		c->interface[0].altsetting[0].bNumEndpoints == 2 &&
		c->interface[0].altsetting[0].endpoint[0].bEndpointAddress ==
		    0x81 &&
		c->interface[0].altsetting[0].endpoint[1].bmAttributes ==
		    LIBUSB_TRANSFER_TYPE_BULK &&
		c->interface[0].altsetting[0].endpoint[1].wMaxPacketSize == 64,
	    "vendor: one interface, class ff, bulk 0x81 and 0x02 of 64");
	libusb_free_config_descriptor(c);
	c = NULL;
	tap_ok(libusb_get_config_descriptor(tab, 0, &c) == 0 &&
		   c->interface[0].altsetting[0].bInterfaceClass == 3 &&
		   c->interface[0].altsetting[0].extra_length == 9 &&
		   c->interface[0].altsetting[0].extra[1] == LIBUSB_DT_HID &&
		   c->interface[0].altsetting[0].endpoint[0].bmAttributes ==
		       LIBUSB_TRANSFER_TYPE_INTERRUPT,
	       "tablet: HID interface with its HID descriptor in extra and "
	       "an interrupt endpoint");
	libusb_free_config_descriptor(c);
}

static void
test_control(libusb_device_handle *tab, libusb_device_handle *hub)
{
	uint8_t buf[256];
	unsigned char s[64];
	int n;

	n = libusb_control_transfer(tab, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR,
				    LIBUSB_DT_DEVICE << 8, 0, buf, 64, 1000);
	tap_ok(n == 18 && buf[8] == 0x27 && buf[9] == 0x06,
	       "control: GET_DESCRIPTOR(device) answers 18 bytes (%d)", n);
	n = libusb_control_transfer(tab, 0x81, LIBUSB_REQUEST_GET_DESCRIPTOR,
				    LIBUSB_DT_REPORT << 8, 0, buf, 255, 1000);
	tap_ok(n == 74 && buf[0] == 0x05 && buf[n - 1] == 0xc0,
	       "control: the HID report descriptor (%d bytes)", n);
	n = libusb_get_string_descriptor_ascii(tab, 2, s, sizeof(s));
	tap_ok(n > 0 && !strcmp((char *)s, "synthetic USB tablet"),
	       "control: product string '%s'", n > 0 ? (char *)s : "");
	n = libusb_control_transfer(tab, 0x21, 0x0a, 0, 0, NULL, 0, 1000);
	tap_ok(n == 0, "control: HID SET_IDLE accepted");
	n = libusb_control_transfer(tab, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR,
				    0x0a00, 0, buf, 4, 1000);
	tap_ok(n == LIBUSB_ERROR_PIPE, "control: an unknown request stalls");
	n = libusb_control_transfer(hub, 0xa3, LIBUSB_REQUEST_GET_STATUS, 0, 1,
				    buf, 4, 1000);
	tap_ok(n == 4 && (buf[0] & 1) && (buf[1] & 1),
	       "control: the root hub's port 1 is connected and powered");
}

static void
fill_int(struct libusb_transfer *t, libusb_device_handle *h, uint8_t *buf,
	 int len, struct done *d, uint32_t stream)
{
	libusb_fill_interrupt_transfer(t, h, 0x81, buf, len, xfer_cb, d, 0);
	libusb_transfer_set_stream_id(t, stream);
}

static void
test_interrupt(libusb_device_handle *tab)
{
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	struct done d = {0};
	uint8_t buf[8];
	const uint8_t want1[6] = {1, 100, 0, 200, 0, 0};
	int rc;

	fill_int(t, tab, buf, 8, &d, 0x80000005u);
	rc = run_xfer(t, &d, 5000);
	tap_ok(rc == 0 && d.status == LIBUSB_TRANSFER_COMPLETED &&
		   d.actual == 6 && !memcmp(buf, want1, 6),
	       "interrupt IN: the first scripted report (rc %d, %d bytes)", rc,
	       d.actual);
	tap_ok(d.stream == 0x80000005u && d.on_poll_thread,
	       "interrupt IN: stream id kept, callback on the events thread");
	rc = run_xfer(t, &d, 5000);
	tap_ok(rc == 0 && buf[1] == (300 & 0xff) && buf[2] == (300 >> 8) &&
		   buf[0] == 0,
	       "interrupt IN: the second report (300,400)");
	/* no more reports: the transfer stays pending, like a NAK */
	rc = libusb_submit_transfer(t);
	tap_ok(rc == 0 && !wait_for(&d.n, 3, 200),
	       "interrupt IN: pending while the script has no report");
	tap_ok(libusb_submit_transfer(t) == LIBUSB_ERROR_BUSY,
	       "submit of a transfer in flight: BUSY");
	rc = libusb_cancel_transfer(t);
	tap_ok(rc == 0 && wait_for(&d.n, 3, 2000) &&
		   d.status == LIBUSB_TRANSFER_CANCELLED,
	       "cancel: the callback reports CANCELLED");
	tap_ok(libusb_cancel_transfer(t) == LIBUSB_ERROR_NOT_FOUND,
	       "cancel of an idle transfer: NOT_FOUND");
	libusb_free_transfer(t);
}

/* The guest's part: read bulk IN, write it back on bulk OUT; CORRUPT >= 0
 * flips that byte of the stream on its way back. */
static uint64_t
echo(libusb_device_handle *h, uint64_t total, long corrupt)
{
	struct libusb_transfer *in = libusb_alloc_transfer(0);
	struct libusb_transfer *out = libusb_alloc_transfer(0);
	struct done din = {0}, dout = {0};
	uint8_t buf[512];
	uint64_t moved = 0;

	while (moved < total) {
		libusb_fill_bulk_transfer(in, h, 0x81, buf, sizeof(buf),
					  xfer_cb, &din, 1000);
		if (run_xfer(in, &din, 5000) || din.status || !din.actual)
			break;
		if (corrupt >= (long)moved &&
		    corrupt < (long)moved + din.actual)
			buf[corrupt - (long)moved] ^= 0x40;
		libusb_fill_bulk_transfer(out, h, 0x02, buf, din.actual,
					  xfer_cb, &dout, 1000);
		if (run_xfer(out, &dout, 5000) || dout.status)
			break;
		moved += (uint64_t)dout.actual;
	}
	libusb_free_transfer(in);
	libusb_free_transfer(out);
	return moved;
}

static void
test_echo(libusb_device_handle *ven, libusb_device_handle *bad)
{
	char path[300];
	uint64_t n;

	path_in_dir(path, sizeof(path), "result");
	n = echo(ven, 4096, -1);
	tap_ok(n == 4096, "echo: 4096 bytes read on IN and written back (%llu)",
	       (unsigned long long)n);
	tap_ok(file_has(path, "bytes_in=4096\n") &&
		   file_has(path, "bytes_out=4096\n") &&
		   file_has(path, "match=yes\n") &&
		   file_has(path, "first_mismatch=none\n"),
	       "echo: the result file says match=yes");
	path_in_dir(path, sizeof(path), "bad.result");
	n = echo(bad, 1024, 700);
	tap_ok(n == 1024 && file_has(path, "match=no\n") &&
		   file_has(path, "first_mismatch=700\n"),
	       "echo: a byte changed on the way back shows at offset 700");
}

static void
test_loopback(libusb_device_handle *loop)
{
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	struct done d = {0};
	uint8_t out[100], in[256];
	int rc;

	for (int i = 0; i < 100; i++)
		out[i] = (uint8_t)(i * 3);
	libusb_fill_bulk_transfer(t, loop, 0x02, out, 100, xfer_cb, &d, 1000);
	rc = run_xfer(t, &d, 5000);
	tap_ok(rc == 0 && d.status == 0 && d.actual == 100,
	       "loopback: 100 bytes OUT");
	libusb_fill_bulk_transfer(t, loop, 0x81, in, sizeof(in), xfer_cb, &d,
				  1000);
	rc = run_xfer(t, &d, 5000);
	tap_ok(rc == 0 && d.status == 0 && d.actual == 100 &&
		   !memcmp(in, out, 100),
	       "loopback: the same 100 bytes come back on IN");
	libusb_fill_bulk_transfer(t, loop, 0x81, in, sizeof(in), xfer_cb, &d,
				  100);
	rc = run_xfer(t, &d, 5000);
	tap_ok(rc == 0 && d.status == LIBUSB_TRANSFER_TIMED_OUT,
	       "loopback: IN with nothing queued times out after its "
	       "timeout");
	libusb_fill_bulk_transfer(t, loop, 0x05, in, sizeof(in), xfer_cb, &d,
				  100);
	tap_ok(libusb_submit_transfer(t) == LIBUSB_ERROR_NOT_FOUND,
	       "submit to an endpoint the device lacks: NOT_FOUND");
	libusb_free_transfer(t);
}

static void
test_async_control(libusb_device_handle *ven)
{
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	struct done d = {0};
	uint8_t buf[8 + 64];
	int rc;

	libusb_fill_control_setup(buf, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR,
				  LIBUSB_DT_CONFIG << 8, 0, 64);
	libusb_fill_control_transfer(t, ven, buf, xfer_cb, &d, 1000);
	rc = run_xfer(t, &d, 5000);
	tap_ok(rc == 0 && d.status == 0 && d.actual == 32 &&
		   buf[8 + 1] == LIBUSB_DT_CONFIG && d.on_poll_thread,
	       "async control: the configuration descriptor (%d bytes), "
	       "completed on the events thread",
	       d.actual);
	libusb_free_transfer(t);
}

static void
test_unplug(libusb_device *tabdev, libusb_device_handle *tab)
{
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	struct done d = {0};
	char path[300];
	uint8_t buf[8];
	FILE *f;

	fill_int(t, tab, buf, 8, &d, 0x80000009u);
	libusb_submit_transfer(t);
	path_in_dir(path, sizeof(path), "unplug");
	f = fopen(path, "w");
	if (f) {
		fputs("tablet\n", f);
		fclose(f);
	}
	tap_ok(wait_for(&hp_left, 1, 5000) && hp_left_vid == 0x0627,
	       "unplug: the hotplug callback sees the tablet leave");
	tap_ok(wait_for(&d.n, 1, 2000) && d.status == LIBUSB_TRANSFER_NO_DEVICE,
	       "unplug: its pending interrupt IN ends with NO_DEVICE");
	tap_ok(libusb_submit_transfer(t) == LIBUSB_ERROR_NO_DEVICE &&
		   libusb_control_transfer(tab, 0x80, 6, 0x100, 0, buf, 8,
					   100) == LIBUSB_ERROR_NO_DEVICE,
	       "unplug: later I/O fails with NO_DEVICE");
	tap_ok(count_devices() == 5 &&
		   libusb_open(tabdev, &tab) == LIBUSB_ERROR_NO_DEVICE,
	       "unplug: the device list no longer has it");
	libusb_free_transfer(t);
}

/* Two INs queued on one endpoint complete in the order submitted, with
 * the stream in order, after an OUT queued behind them. */
static void
test_order(libusb_device_handle *loop)
{
	struct libusb_transfer *in1 = libusb_alloc_transfer(0);
	struct libusb_transfer *in2 = libusb_alloc_transfer(0);
	struct libusb_transfer *out = libusb_alloc_transfer(0);
	struct done d1 = {0}, d2 = {0}, dout = {0};
	uint8_t b1[100], b2[100], ob[150];

	for (int i = 0; i < 150; i++)
		ob[i] = (uint8_t)(255 - i);
	libusb_fill_bulk_transfer(in1, loop, 0x81, b1, 100, xfer_cb, &d1, 0);
	libusb_fill_bulk_transfer(in2, loop, 0x81, b2, 100, xfer_cb, &d2, 0);
	libusb_fill_bulk_transfer(out, loop, 0x02, ob, 150, xfer_cb, &dout, 0);
	tap_ok(libusb_submit_transfer(in1) == 0 &&
		   libusb_submit_transfer(in2) == 0 &&
		   libusb_submit_transfer(out) == 0,
	       "order: two INs, then an OUT of 150 bytes, all pending");
	tap_ok(wait_for(&dout.n, 1, 5000) && wait_for(&d1.n, 1, 5000) &&
		   wait_for(&d2.n, 1, 5000) && d1.actual == 100 &&
		   d2.actual == 50 && !memcmp(b1, ob, 100) &&
		   !memcmp(b2, ob + 100, 50),
	       "order: the first IN has bytes 0-99, the second 100-149");
	libusb_free_transfer(in1);
	libusb_free_transfer(in2);
	libusb_free_transfer(out);
}

/* A transfer freed while pending (FreeRDP 2.11 does this when it drops
 * a device) is forgotten, not completed into freed memory. */
static void
test_free_pending(libusb_device_handle *loop)
{
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	struct done d = {0};
	uint8_t buf[64];

	libusb_fill_bulk_transfer(t, loop, 0x81, buf, sizeof(buf), xfer_cb, &d,
				  0);
	tap_ok(libusb_submit_transfer(t) == 0,
	       "a pending IN on the loopback device");
	libusb_free_transfer(t);
	usleep(100000);
	tap_ok(d.n == 0, "freed while pending: no callback afterwards");
}

static void
setup_env(void)
{
	char path[300], spec[1024];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/vireo-synthusb.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		tap_skip_all("no temporary directory");
	path_in_dir(path, sizeof(path), "log");
	setenv("SYNTH_LIBUSB_LOG", path, 1);
	path_in_dir(path, sizeof(path), "result");
	setenv("SYNTH_LIBUSB_RESULT", path, 1);
	path_in_dir(path, sizeof(path), "unplug");
	setenv("SYNTH_LIBUSB_UNPLUG", path, 1);
	path_in_dir(path, sizeof(path), "bad.result");
	snprintf(spec, sizeof(spec),
		 "tablet reports=100,200,1/300,400 interval=0;"
		 "vendor bytes=4096;"
		 "vendor name=bad id=1209:0003 bytes=1024 result=%s;"
		 "vendor name=loop id=1209:0002 mode=loopback;"
		 "vendor name=late id=1209:0004 arrive=300",
		 path);
	setenv("SYNTH_LIBUSB_DEVICES", spec, 1);
}

static void
cleanup_dir(void)
{
	const char *names[] = {"log", "result", "bad.result", "unplug"};
	char path[300];

	if (getenv("KEEP_TMP"))
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in_dir(path, sizeof(path), names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
main(void)
{
	libusb_device *tabdev, *vendev, *loopdev, *baddev, *hubdev;
	libusb_device_handle *tab = NULL, *ven = NULL, *loop = NULL,
			     *bad = NULL, *hub = NULL;
	char logpath[300];
	int hp_rc = -1;

	setup_env();
	test_config();
	tap_ok(libusb_init(&ctx) == 0, "libusb_init");
	tap_ok(libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG),
	       "hotplug capability");
	pthread_create(&poll_tid, NULL, poll_thread, &hp_rc);
	tap_ok(count_devices() == 5,
	       "the device list: root hub and four devices (the late one "
	       "not yet)");
	tabdev = find_dev(0x0627, 0x0001);
	vendev = find_dev(0x1209, 0x0001);
	loopdev = find_dev(0x1209, 0x0002);
	baddev = find_dev(0x1209, 0x0003);
	hubdev = find_dev(0x1d6b, 0x0001);
	tap_ok(tabdev && vendev && loopdev && baddev && hubdev,
	       "found by VID:PID");
	if (!(tabdev && vendev && loopdev && baddev && hubdev)) {
		tap_plan(tap_count);
		return 1;
	}
	test_descriptors(tabdev, vendev);
	tap_ok(libusb_open(tabdev, &tab) == 0 &&
		   libusb_open(vendev, &ven) == 0 &&
		   libusb_open(loopdev, &loop) == 0 &&
		   libusb_open(baddev, &bad) == 0 &&
		   libusb_open(hubdev, &hub) == 0,
	       "libusb_open");
	tap_ok(libusb_kernel_driver_active(ven, 0) == 0 &&
		   libusb_set_configuration(ven, 1) == 0 &&
		   libusb_claim_interface(ven, 0) == 0 &&
		   libusb_claim_interface(ven, 1) == LIBUSB_ERROR_NOT_FOUND &&
		   libusb_set_interface_alt_setting(ven, 0, 0) == 0 &&
		   libusb_clear_halt(ven, 0x81) == 0,
	       "configuration, claim, alternate setting, clear halt");
	test_control(tab, hub);
	test_interrupt(tab);
	test_async_control(ven);
	test_echo(ven, bad);
	test_loopback(loop);
	test_order(loop);
	test_free_pending(loop);
	tap_ok(hp_rc == 0 && wait_for(&hp_arrived, 1, 5000) &&
		   count_devices() == 6,
	       "a late device arrives: hotplug callback and device list");
	test_unplug(tabdev, tab);

	running = 0;
	pthread_join(poll_tid, NULL);
	libusb_close(tab);
	libusb_close(ven);
	libusb_close(loop);
	libusb_close(bad);
	libusb_close(hub);
	libusb_unref_device(tabdev);
	libusb_unref_device(vendev);
	libusb_unref_device(loopdev);
	libusb_unref_device(baddev);
	libusb_unref_device(hubdev);
	libusb_exit(ctx);
	path_in_dir(logpath, sizeof(logpath), "log");
	tap_ok(file_has(logpath, "stall: control 80 06 value 0a00") &&
		   file_has(logpath, "device tablet 0627:0001 departs") &&
		   !file_has(logpath, "still"),
	       "the log: one line for the stall and the departure; no "
	       "handle or reference left at exit");
	cleanup_dir();
	tap_plan(tap_count);
	return tap_done();
}
