/*
 * rdp-host-usb.c - the USB side of rdp-host: the version-2 callbacks of
 * vrde.h (usb_device_added, usb_device_removed, usb_complete) and commands
 * that submit URBs and wait for them, so tests drive the module's remote
 * USB without a VM.
 *
 * Only with --usb (or --usb-refuse) does the host table carry them: other
 * tests keep a host without USB, to which the module opens no URBDRC.
 * Devices are accepted unless --usb-refuse VID:PID (or "all") names them.
 * Asynchronous lines on stdout:
 *   usb-added dev=N client=C vid=VVVV pid=PPPP class=CC speed=S
 *             product="..." serial="..."
 *   usb-refused dev=N vid=VVVV pid=PPPP
 *   usb-removed dev=N
 * Commands (answers as every vhost command, "ok" or "error ..."):
 *   usb-wait N              until N devices were accepted (8 s at most)
 *   usb-ctrl DEV SETUP [HEX] a control URB (SETUP: 16 hex digits; OUT
 *                           data HEX); waits: "usb-ctrl status=S
 *                           actual=N data=HEX"
 *   usb-loop DEV BYTES CHUNK  a pattern through bulk OUT 0x01 and back
 *                           from bulk IN 0x81, compared byte for byte:
 *                           "usb-loop ok bytes=N" or where it differs
 *   usb-in DEV bulk|intr EP LEN MS  an IN URB; waits MS: "usb-in
 *                           status=S actual=N" or "usb-in pending
 *                           handle=H"
 *   usb-cancel DEV HANDLE   "usb-cancel rc=R" (the completion follows)
 *   usb-reset DEV / usb-release DEV   "usb-reset rc=R"
 *   usb-count               "usb-count added=A refused=F removed=R
 *                           submitted=S completed=C outstanding=O
 *                           bogus=B" (bogus: a completion for a handle
 *                           not outstanding: the exactly-once check)
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rdp-host-usb.h"

#define HU_SLOTS 256
#define HU_DEVS	 64

struct hu_slot {
	uint64_t handle; /* 0: free */
	bool done;
	uint32_t status, actual;
	uint8_t *data;
};

static pthread_mutex_t hu_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hu_cond = PTHREAD_COND_INITIALIZER;
static struct vhost *hu_vh;
static const char *hu_refuse[8];
static int hu_nrefuse;
static struct hu_slot hu_slot[HU_SLOTS];
static uint64_t hu_next_handle = 1;
static uint32_t hu_devs[HU_DEVS];
static int hu_ndevs;
static struct {
	uint64_t added, refused, removed, submitted, completed, bogus;
} hu_n;

static void hu_print(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
hu_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static bool
hu_refused(const struct vrde_usb_device_desc *d)
{
	char id[16];

	snprintf(id, sizeof(id), "%04x:%04x", d->vendor_id, d->product_id);
	for (int i = 0; i < hu_nrefuse; i++)
		if (!strcmp(hu_refuse[i], "all") ||
		    !strcasecmp(hu_refuse[i], id))
			return true;
	return false;
}

static int
hu_added(void *ctx, const struct vrde_usb_device_desc *d)
{
	bool no = hu_refused(d);

	pthread_mutex_lock(&hu_lock);
	if (no) {
		hu_n.refused++;
		hu_print("usb-refused dev=%u vid=%04x pid=%04x\n", d->device_id,
			 d->vendor_id, d->product_id);
	} else {
		hu_n.added++;
		if (hu_ndevs < HU_DEVS)
			hu_devs[hu_ndevs++] = d->device_id;
		hu_print("usb-added dev=%u client=%u vid=%04x pid=%04x "
			 "class=%02x speed=%u product=\"%s\" serial=\"%s\"\n",
			 d->device_id, d->client_id, d->vendor_id,
			 d->product_id, d->dev_class, d->speed,
			 d->product ? d->product : "",
			 d->serial ? d->serial : "");
	}
	pthread_cond_broadcast(&hu_cond);
	pthread_mutex_unlock(&hu_lock);
	return no ? -EACCES : 0;
}

static void
hu_removed(void *ctx, uint32_t id)
{
	pthread_mutex_lock(&hu_lock);
	hu_n.removed++;
	for (int i = 0; i < hu_ndevs; i++)
		if (hu_devs[i] == id)
			hu_devs[i--] = hu_devs[--hu_ndevs];
	hu_print("usb-removed dev=%u\n", id);
	pthread_cond_broadcast(&hu_cond);
	pthread_mutex_unlock(&hu_lock);
}

static void
hu_complete(void *ctx, const struct vrde_usb_completion *c)
{
	struct hu_slot *s = NULL;

	pthread_mutex_lock(&hu_lock);
	for (int i = 0; i < HU_SLOTS && !s; i++)
		if (hu_slot[i].handle == c->handle && !hu_slot[i].done)
			s = &hu_slot[i];
	if (!s) {
		hu_n.bogus++;
	} else {
		hu_n.completed++;
		s->done = true;
		s->status = c->status;
		s->actual = c->actual;
		if (c->actual && c->data) {
			s->data = malloc(c->actual);
			if (s->data)
				memcpy(s->data, c->data, c->actual);
		}
	}
	pthread_cond_broadcast(&hu_cond);
	pthread_mutex_unlock(&hu_lock);
}

void
host_usb_install(struct vhost *vh)
{
	hu_vh = vh;
}

/* The callbacks go into the table: the host has USB. */
static void
hu_enable(void)
{
	hu_vh->cb.usb_device_added = hu_added;
	hu_vh->cb.usb_device_removed = hu_removed;
	hu_vh->cb.usb_complete = hu_complete;
}

int
host_usb_option(const char *name, const char *value)
{
	if (!strcmp(name, "--usb")) {
		hu_enable();
		return 2;
	}
	if (strcmp(name, "--usb-refuse"))
		return 0;
	if (hu_nrefuse == 8)
		return -EINVAL;
	hu_refuse[hu_nrefuse++] = value;
	hu_enable();
	return 1;
}

/* ---- submitting -------------------------------------------------------- */

static struct hu_slot *
hu_slot_new(void)
{
	for (int i = 0; i < HU_SLOTS; i++)
		if (!hu_slot[i].handle) {
			hu_slot[i] =
			    (struct hu_slot){.handle = hu_next_handle++};
			return &hu_slot[i];
		}
	return NULL;
}

static void
hu_slot_free(struct hu_slot *s)
{
	free(s->data);
	*s = (struct hu_slot){0};
}

/* Submit @u (its handle from a new slot).  @return the slot, or NULL
 * with *@rc. */
static struct hu_slot *
hu_submit(struct vrde_usb_urb *u, int *rc)
{
	struct hu_slot *s;

	pthread_mutex_lock(&hu_lock);
	s = hu_slot_new();
	pthread_mutex_unlock(&hu_lock);
	if (!s) {
		*rc = -ENOSPC;
		return NULL;
	}
	u->handle = s->handle;
	*rc = hu_vh->ep->usb_submit(hu_vh->srv, u);
	pthread_mutex_lock(&hu_lock);
	if (*rc < 0) {
		hu_slot_free(s);
		s = NULL;
	} else {
		hu_n.submitted++;
	}
	pthread_mutex_unlock(&hu_lock);
	return s;
}

/* Wait up to @ms for @s.  @return true when it completed. */
static bool
hu_wait(struct hu_slot *s, int ms)
{
	struct timespec t;
	bool done;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&hu_lock);
	while (!s->done &&
	       pthread_cond_timedwait(&hu_cond, &hu_lock, &t) != ETIMEDOUT)
		;
	done = s->done;
	pthread_mutex_unlock(&hu_lock);
	return done;
}

static int
hu_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s && s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (int)n;
}

static int
hu_cmd_ctrl(char *args)
{
	unsigned dev;
	char setup_hex[32] = "", data_hex[1024] = "";
	uint8_t data[512];
	struct vrde_usb_urb u = {.type = VRDE_USB_XFER_CONTROL, .short_ok = 1};
	struct hu_slot *s;
	int rc, n;

	if (sscanf(args, "%u %31s %1023s", &dev, setup_hex, data_hex) < 2 ||
	    hu_hex(setup_hex, u.setup, 8) != 8)
		return -EINVAL;
	n = hu_hex(data_hex, data, sizeof(data));
	u.device_id = dev;
	u.length = (uint32_t)(u.setup[6] | u.setup[7] << 8);
	u.endpoint = u.setup[0] & 0x80;
	if (!(u.setup[0] & 0x80)) {
		if ((uint32_t)n != u.length)
			return -EINVAL;
		u.data = data;
	}
	s = hu_submit(&u, &rc);
	if (!s)
		return rc;
	if (!hu_wait(s, 8000)) {
		hu_print("usb-ctrl pending handle=%llu\n",
			 (unsigned long long)s->handle);
		return 0;
	}
	pthread_mutex_lock(&hu_lock);
	printf("usb-ctrl status=%u actual=%u data=", s->status, s->actual);
	for (uint32_t i = 0; i < s->actual && i < 64 && s->data; i++)
		printf("%02x", s->data[i]);
	hu_print("\n");
	hu_slot_free(s);
	pthread_mutex_unlock(&hu_lock);
	return 0;
}

static uint8_t
hu_pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
}

/* One bulk transfer, waited for.  @return status, or -errno. */
static int
hu_bulk(uint32_t dev, uint8_t ep, uint8_t *buf, uint32_t len, uint32_t *actual,
	uint8_t *in)
{
	struct vrde_usb_urb u = {.type = VRDE_USB_XFER_BULK,
				 .device_id = dev,
				 .endpoint = ep,
				 .short_ok = 1,
				 .length = len,
				 .data = buf};
	struct hu_slot *s = hu_submit(&u, &(int){0});
	int st;

	if (!s)
		return -EIO;
	if (!hu_wait(s, 5000))
		return -ETIMEDOUT;
	pthread_mutex_lock(&hu_lock);
	st = (int)s->status;
	*actual = s->actual;
	if (in && s->data)
		memcpy(in, s->data, s->actual <= len ? s->actual : len);
	hu_slot_free(s);
	pthread_mutex_unlock(&hu_lock);
	return st;
}

static int
hu_cmd_loop(char *args)
{
	unsigned dev, bytes, chunk;
	uint8_t *out, *in;
	uint32_t actual;
	size_t done = 0;
	int st;

	if (sscanf(args, "%u %u %u", &dev, &bytes, &chunk) != 3 || !chunk ||
	    chunk > (1u << 20) || bytes > (64u << 20))
		return -EINVAL;
	out = malloc(chunk);
	in = malloc(chunk);
	if (!out || !in) {
		free(out);
		free(in);
		return -ENOMEM;
	}
	while (done < bytes) {
		uint32_t n =
		    bytes - done < chunk ? (uint32_t)(bytes - done) : chunk;
		uint32_t got = 0;

		for (uint32_t i = 0; i < n; i++)
			out[i] = hu_pattern(done + i);
		st = hu_bulk(dev, 0x01, out, n, &actual, NULL);
		if (st != 0 || actual != n) {
			hu_print("usb-loop out-failed at=%zu status=%d "
				 "actual=%u\n",
				 done, st, actual);
			goto out;
		}
		while (got < n) {
			st = hu_bulk(dev, 0x81, NULL, n - got, &actual,
				     in + got);
			if (st != 0 || !actual) {
				hu_print("usb-loop in-failed at=%zu status=%d "
					 "actual=%u\n",
					 done + got, st, actual);
				goto out;
			}
			got += actual;
		}
		for (uint32_t i = 0; i < n; i++)
			if (in[i] != out[i]) {
				hu_print("usb-loop mismatch at=%zu got=%02x "
					 "want=%02x\n",
					 done + i, in[i], out[i]);
				goto out;
			}
		done += n;
	}
	hu_print("usb-loop ok bytes=%zu\n", done);
out:
	free(out);
	free(in);
	return 0;
}

static int
hu_cmd_in(char *args)
{
	unsigned dev, ep, len, ms;
	char type[8];
	struct vrde_usb_urb u = {.short_ok = 1};
	struct hu_slot *s;
	int rc;

	if (sscanf(args, "%u %7s %x %u %u", &dev, type, &ep, &len, &ms) != 5)
		return -EINVAL;
	u.type = !strcmp(type, "intr") ? VRDE_USB_XFER_INTERRUPT
				       : VRDE_USB_XFER_BULK;
	u.device_id = dev;
	u.endpoint = (uint8_t)ep;
	u.length = len;
	s = hu_submit(&u, &rc);
	if (!s) {
		hu_print("usb-in rc=%d\n", rc);
		return 0;
	}
	if (!hu_wait(s, (int)ms)) {
		hu_print("usb-in pending handle=%llu\n",
			 (unsigned long long)s->handle);
		return 0;
	}
	pthread_mutex_lock(&hu_lock);
	hu_print("usb-in status=%u actual=%u\n", s->status, s->actual);
	hu_slot_free(s);
	pthread_mutex_unlock(&hu_lock);
	return 0;
}

static int
hu_cmd_cancel(char *args)
{
	unsigned dev;
	unsigned long long h;
	struct hu_slot *s = NULL;
	int rc;

	if (sscanf(args, "%u %llu", &dev, &h) != 2)
		return -EINVAL;
	rc = hu_vh->ep->usb_cancel(hu_vh->srv, dev, h);
	pthread_mutex_lock(&hu_lock);
	for (int i = 0; i < HU_SLOTS && !s; i++)
		if (hu_slot[i].handle == h)
			s = &hu_slot[i];
	hu_print("usb-cancel rc=%d status=%d\n", rc,
		 s && s->done ? (int)s->status : -1);
	if (s && s->done)
		hu_slot_free(s);
	pthread_mutex_unlock(&hu_lock);
	return 0;
}

static int
hu_cmd_wait(char *args)
{
	unsigned n = (unsigned)strtoul(args, NULL, 10);
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 8;
	pthread_mutex_lock(&hu_lock);
	while (hu_n.added < n &&
	       pthread_cond_timedwait(&hu_cond, &hu_lock, &t) != ETIMEDOUT)
		;
	printf("usb-wait added=%llu devs=", (unsigned long long)hu_n.added);
	for (int i = 0; i < hu_ndevs; i++)
		printf("%s%u", i ? "," : "", hu_devs[i]);
	hu_print("\n");
	n = hu_n.added >= n;
	pthread_mutex_unlock(&hu_lock);
	return n ? 0 : -ETIMEDOUT;
}

static int
hu_cmd_count(void)
{
	uint64_t outstanding = 0;

	pthread_mutex_lock(&hu_lock);
	for (int i = 0; i < HU_SLOTS; i++)
		if (hu_slot[i].handle && !hu_slot[i].done)
			outstanding++;
	hu_print(
	    "usb-count added=%llu refused=%llu removed=%llu "
	    "submitted=%llu completed=%llu outstanding=%llu bogus=%llu\n",
	    (unsigned long long)hu_n.added, (unsigned long long)hu_n.refused,
	    (unsigned long long)hu_n.removed,
	    (unsigned long long)hu_n.submitted,
	    (unsigned long long)hu_n.completed, (unsigned long long)outstanding,
	    (unsigned long long)hu_n.bogus);
	pthread_mutex_unlock(&hu_lock);
	return 0;
}

int
host_usb_command(const char *cmd, char *args)
{
	unsigned dev;

	if (strncmp(cmd, "usb-", 4))
		return -ENOSYS;
	if (!hu_vh->ep->usb_submit)
		return -ENOTSUP;
	if (!strcmp(cmd, "usb-wait"))
		return hu_cmd_wait(args);
	if (!strcmp(cmd, "usb-ctrl"))
		return hu_cmd_ctrl(args);
	if (!strcmp(cmd, "usb-loop"))
		return hu_cmd_loop(args);
	if (!strcmp(cmd, "usb-in"))
		return hu_cmd_in(args);
	if (!strcmp(cmd, "usb-cancel"))
		return hu_cmd_cancel(args);
	if (!strcmp(cmd, "usb-count"))
		return hu_cmd_count();
	if (sscanf(args, "%u", &dev) != 1)
		return -EINVAL;
	if (!strcmp(cmd, "usb-reset")) {
		hu_print("usb-reset rc=%d\n",
			 hu_vh->ep->usb_reset(hu_vh->srv, dev));
		return 0;
	}
	if (!strcmp(cmd, "usb-release")) {
		hu_vh->ep->usb_release(hu_vh->srv, dev);
		return 0;
	}
	return -ENOSYS;
}
