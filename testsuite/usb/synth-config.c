/*
 * synth-config.c - the test-only libusb's device descriptions, read from
 * the environment, and its configuration-descriptor parser (libusb's
 * struct libusb_config_descriptor from the raw bytes).
 *
 *   SYNTH_LIBUSB_DEVICES  descriptions separated by ';'
 *   SYNTH_LIBUSB_CONFIG   a file of descriptions, one a line, '#' comments
 *   SYNTH_LIBUSB_RESULT   the result file of the first vendor device
 *                         without result=
 *
 * A description is a kind, "tablet" or "vendor", then key=value words:
 *   name= id=VVVV:PPPP bcd= bus= addr= port= manufacturer= product=
 *   serial= arrive=MS result=PATH
 *   vendor: bytes=N[K|M] mode=echo|loopback seed= mps=
 *   tablet: reports=X,Y[,B[,W]]/X,Y... repeat=0|1 interval=MS
 *           reportfile=PATH (lines "X,Y[,B[,W]]" read as they are added)
 * Values cannot contain spaces (use '_'; it becomes a space in strings).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth-libusb.h"

static int __attribute__((format(printf, 3, 4)))
synth_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Byte OFF of the echo pattern: a hash of the offset, so a dropped,
 * repeated or reordered packet shows at its own offset. */
uint8_t
synth_pattern(uint64_t off, uint32_t seed)
{
	uint32_t x = (uint32_t)(off >> 2) * 2654435761u ^ seed;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return (uint8_t)(x >> (8 * (off & 3)));
}

static void
synth_put16le(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Parse "X,Y[,BUTTONS[,WHEEL]]" into a report. @return 0 or -1. */
int
synth_parse_report(const char *s, uint8_t out[6])
{
	long v[4] = {0, 0, 0, 0};
	int n = 0;
	char *end;

	while (n < 4) {
		errno = 0;
		v[n++] = strtol(s, &end, 0);
		if (end == s || errno)
			return -1;
		s = end;
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s != ',')
			break;
		s++;
	}
	if (*s || n < 2 || v[0] < 0 || v[0] > 0x7fff || v[1] < 0 ||
	    v[1] > 0x7fff || v[2] < 0 || v[2] > 7 || v[3] < -127 || v[3] > 127)
		return -1;
	out[0] = (uint8_t)v[2];
	synth_put16le(out + 1, (unsigned)v[0]);
	synth_put16le(out + 3, (unsigned)v[1]);
	out[5] = (uint8_t)(int8_t)v[3];
	return 0;
}

static void
synth_defaults(struct synth_spec *s, int kind, int index)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->bus = 1;
	s->addr = (unsigned)index + 2; /* the root hub is address 1 */
	s->port = (unsigned)index + 1;
	s->bcd_device = 0x0100;
	snprintf(s->manufacturer, sizeof(s->manufacturer), "vireo test");
	snprintf(s->serial, sizeof(s->serial), "synth-%d", index + 1);
	if (kind == SYNTH_KIND_TABLET) {
		snprintf(s->name, sizeof(s->name), "tablet");
		s->vid = 0x0627;
		s->pid = 0x0001;
		snprintf(s->product, sizeof(s->product),
			 "synthetic USB tablet");
		s->interval_ms = 10;
	} else {
		snprintf(s->name, sizeof(s->name), "vendor");
		s->vid = 0x1209; /* pid.codes' test ID */
		s->pid = 0x0001;
		snprintf(s->product, sizeof(s->product),
			 "synthetic bulk loopback");
		s->bytes = 1024 * 1024;
		s->seed = 1;
		s->mps = 64;
	}
}

static int
synth_number(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long n;

	if (*v == '-' || !*v)
		return -1;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || end == v)
		return -1;
	if (*end == 'K' || *end == 'k')
		n *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		n *= 1024 * 1024, end++;
	if (*end || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
synth_string_value(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return -1;
	for (size_t i = 0; v[i]; i++)
		dst[i] = v[i] == '_' ? ' ' : v[i];
	dst[strlen(v)] = 0;
	return 0;
}

static int
synth_reports(struct synth_spec *s, const char *v)
{
	char buf[2048], *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	s->nreports = 0;
	for (char *r = strtok_r(buf, "/", &save); r;
	     r = strtok_r(NULL, "/", &save)) {
		if (s->nreports == SYNTH_MAX_REPORTS ||
		    synth_parse_report(r, s->reports[s->nreports]) < 0)
			return -1;
		s->nreports++;
	}
	return 0;
}

static int
synth_id(struct synth_spec *s, const char *v)
{
	unsigned vid, pid;
	int n = 0;

	if (sscanf(v, "%4x:%4x%n", &vid, &pid, &n) != 2 || v[n])
		return -1;
	s->vid = vid;
	s->pid = pid;
	return 0;
}

/* The numeric and string keys: which kinds have them, where they go. */
enum { SYNTH_ANY, SYNTH_VENDOR_ONLY, SYNTH_TABLET_ONLY };
struct synth_key {
	const char *key;
	int only;
	size_t off, size; /* string: char[size]; number: unsigned or u64 */
	unsigned long long max;
};
#define SK_STR(k, only, f)                                                     \
	{                                                                      \
		k, only, offsetof(struct synth_spec, f),                       \
		    sizeof(((struct synth_spec *)0)->f), 0                     \
	}
#define SK_NUM(k, only, f, max)                                                \
	{                                                                      \
		k, only, offsetof(struct synth_spec, f),                       \
		    sizeof(((struct synth_spec *)0)->f), max                   \
	}
static const struct synth_key synth_keys[] = {
    SK_STR("name", SYNTH_ANY, name),
    SK_STR("manufacturer", SYNTH_ANY, manufacturer),
    SK_STR("product", SYNTH_ANY, product),
    SK_STR("serial", SYNTH_ANY, serial),
    SK_STR("result", SYNTH_ANY, result),
    SK_STR("reportfile", SYNTH_TABLET_ONLY, report_file),
    SK_NUM("bcd", SYNTH_ANY, bcd_device, 0xffff),
    SK_NUM("bus", SYNTH_ANY, bus, 127),
    SK_NUM("addr", SYNTH_ANY, addr, 127),
    SK_NUM("port", SYNTH_ANY, port, 15),
    SK_NUM("arrive", SYNTH_ANY, arrive_ms, 3600000),
    SK_NUM("bytes", SYNTH_VENDOR_ONLY, bytes, 1ull << 40),
    SK_NUM("seed", SYNTH_VENDOR_ONLY, seed, 0xffffffffu),
    SK_NUM("mps", SYNTH_VENDOR_ONLY, mps, 1023),
    SK_NUM("repeat", SYNTH_TABLET_ONLY, repeat, 1),
    SK_NUM("interval", SYNTH_TABLET_ONLY, interval_ms, 3600000),
};

static int
synth_set_key(struct synth_spec *s, const struct synth_key *k, const char *v)
{
	char *field = (char *)s + k->off;
	unsigned long long n;

	if (!k->max)
		return synth_string_value(field, k->size, v);
	if (synth_number(v, k->max, &n) < 0)
		return -1;
	if (k->size == sizeof(uint64_t)) {
		uint64_t u = n;

		memcpy(field, &u, sizeof(u));
	} else {
		unsigned u = (unsigned)n;

		memcpy(field, &u, sizeof(u));
	}
	return 0;
}

/* Set KEY to V. @return 0, -1 for a bad value, -2 for an unknown key. */
static int
synth_set(struct synth_spec *s, const char *key, const char *v)
{
	int only = s->kind == SYNTH_KIND_VENDOR ? SYNTH_VENDOR_ONLY
						: SYNTH_TABLET_ONLY;

	for (size_t i = 0; i < sizeof(synth_keys) / sizeof(synth_keys[0]);
	     i++) {
		const struct synth_key *k = &synth_keys[i];

		if (!strcmp(key, k->key) &&
		    (k->only == SYNTH_ANY || k->only == only))
			return synth_set_key(s, k, v);
	}
	if (!strcmp(key, "id"))
		return synth_id(s, v);
	if (only == SYNTH_VENDOR_ONLY && !strcmp(key, "mode")) {
		if (strcmp(v, "echo") && strcmp(v, "loopback"))
			return -1;
		s->loopback = !strcmp(v, "loopback");
		return 0;
	}
	if (only == SYNTH_TABLET_ONLY && !strcmp(key, "reports"))
		return synth_reports(s, v);
	return -2;
}

int
synth_config_parse_spec(const char *line, struct synth_spec *s, char *err,
			size_t errlen)
{
	char buf[4096], *save = NULL, *w;
	int index = s->addr ? (int)s->addr - 2 : 0;

	if (strlen(line) >= sizeof(buf))
		return synth_err(err, errlen, "description too long");
	strcpy(buf, line);
	w = strtok_r(buf, " \t\r\n", &save);
	if (!w)
		return synth_err(err, errlen, "empty description");
	if (!strcmp(w, "tablet"))
		synth_defaults(s, SYNTH_KIND_TABLET, index);
	else if (!strcmp(w, "vendor"))
		synth_defaults(s, SYNTH_KIND_VENDOR, index);
	else
		return synth_err(err, errlen,
				 "unknown kind '%s' (tablet or vendor)", w);
	while ((w = strtok_r(NULL, " \t\r\n", &save))) {
		char *eq = strchr(w, '=');
		int rc;

		if (!eq)
			return synth_err(err, errlen, "'%s' is not key=value",
					 w);
		*eq = 0;
		rc = synth_set(s, w, eq + 1);
		if (rc == -2)
			return synth_err(
			    err, errlen, "unknown key '%s' for a %s", w,
			    s->kind == SYNTH_KIND_TABLET ? "tablet" : "vendor");
		if (rc < 0)
			return synth_err(err, errlen, "bad value '%s' for %s",
					 eq + 1, w);
	}
	if (s->kind == SYNTH_KIND_VENDOR && (s->mps < 8 || s->mps > 64))
		return synth_err(err, errlen,
				 "mps=%u: a full-speed bulk endpoint has 8..64",
				 s->mps);
	return 0;
}

/* Parse one description into SPECS[*N] (its default address and port
 * follow its position); WHERE names it in errors. */
static int
synth_add_spec(struct synth_spec *specs, int max, int *n, const char *text,
	       const char *where, char *err, size_t errlen)
{
	char why[256];

	if (*n >= max)
		return synth_err(err, errlen, "%s: more than %d devices", where,
				 max);
	memset(&specs[*n], 0, sizeof(specs[*n]));
	specs[*n].addr = (unsigned)*n + 2;
	if (synth_config_parse_spec(text, &specs[*n], why, sizeof(why)) < 0)
		return synth_err(err, errlen, "%s: %s", where, why);
	(*n)++;
	return 0;
}

static int
synth_load_file(const char *path, struct synth_spec *specs, int max, int *n,
		char *err, size_t errlen)
{
	char line[4096], where[300];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f)
		return synth_err(err, errlen, "SYNTH_LIBUSB_CONFIG %s: %s",
				 path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		lineno++;
		if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (synth_add_spec(specs, max, n, p, where, err, errlen) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int
synth_load_env(const char *text, struct synth_spec *specs, int max, int *n,
	       char *err, size_t errlen)
{
	char buf[8192], where[64], *save = NULL;
	int i = 0;

	if (strlen(text) >= sizeof(buf))
		return synth_err(err, errlen, "SYNTH_LIBUSB_DEVICES too long");
	strcpy(buf, text);
	for (char *d = strtok_r(buf, ";", &save); d;
	     d = strtok_r(NULL, ";", &save)) {
		i++;
		if (strspn(d, " \t\r\n") == strlen(d))
			continue;
		snprintf(where, sizeof(where), "SYNTH_LIBUSB_DEVICES entry %d",
			 i);
		if (synth_add_spec(specs, max, n, d, where, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
synth_check_specs(struct synth_spec *specs, int n, char *err, size_t errlen)
{
	const char *result = getenv("SYNTH_LIBUSB_RESULT");

	for (int i = 0; i < n; i++) {
		if (specs[i].addr < 2)
			return synth_err(err, errlen,
					 "%s: address %u is the root hub's",
					 specs[i].name, specs[i].addr);
		for (int j = 0; j < i; j++) {
			if (specs[j].bus == specs[i].bus &&
			    (specs[j].addr == specs[i].addr ||
			     specs[j].port == specs[i].port))
				return synth_err(err, errlen,
						 "%s and %s share bus %u's "
						 "address or port",
						 specs[j].name, specs[i].name,
						 specs[i].bus);
			if (!strcmp(specs[j].name, specs[i].name))
				return synth_err(err, errlen,
						 "two devices named %s",
						 specs[i].name);
		}
		if (result && *result && specs[i].kind == SYNTH_KIND_VENDOR &&
		    !specs[i].result[0]) {
			snprintf(specs[i].result, sizeof(specs[i].result), "%s",
				 result);
			result = NULL;
		}
	}
	return 0;
}

int
synth_config_load(struct synth_spec *specs, int max, char *err, size_t errlen)
{
	const char *file = getenv("SYNTH_LIBUSB_CONFIG");
	const char *list = getenv("SYNTH_LIBUSB_DEVICES");
	int n = 0;

	if (file && *file &&
	    synth_load_file(file, specs, max, &n, err, errlen) < 0)
		return -1;
	if (list && synth_load_env(list, specs, max, &n, err, errlen) < 0)
		return -1;
	if (!(file && *file) && !list &&
	    synth_load_env("tablet;vendor", specs, max, &n, err, errlen) < 0)
		return -1;
	if (synth_check_specs(specs, n, err, errlen) < 0)
		return -1;
	return n;
}

/* ---- configuration descriptor -> struct libusb_config_descriptor ---- */

static int
synth_extra(const unsigned char **extra, int *len, const uint8_t *p, size_t n)
{
	unsigned char *e = realloc((void *)*extra, (size_t)*len + n);

	if (!e)
		return LIBUSB_ERROR_NO_MEM;
	memcpy(e + *len, p, n);
	*extra = e;
	*len += (int)n;
	return 0;
}

static int
synth_add_altsetting(struct libusb_interface *ifc, const uint8_t *p,
		     struct libusb_interface_descriptor **cur)
{
	struct libusb_interface_descriptor *alt;

	alt = realloc((void *)ifc->altsetting,
		      sizeof(*alt) * (size_t)(ifc->num_altsetting + 1));
	if (!alt)
		return LIBUSB_ERROR_NO_MEM;
	ifc->altsetting = alt;
	*cur = &alt[ifc->num_altsetting++];
	memset(*cur, 0, sizeof(**cur));
	(*cur)->bLength = p[0];
	(*cur)->bDescriptorType = p[1];
	(*cur)->bInterfaceNumber = p[2];
	(*cur)->bAlternateSetting = p[3];
	(*cur)->bInterfaceClass = p[5];
	(*cur)->bInterfaceSubClass = p[6];
	(*cur)->bInterfaceProtocol = p[7];
	(*cur)->iInterface = p[8];
	if (p[4]) {
		(*cur)->endpoint = calloc(p[4], sizeof(*(*cur)->endpoint));
		if (!(*cur)->endpoint)
			return LIBUSB_ERROR_NO_MEM;
	}
	/* counts up as endpoints are found; p[4] is the room */
	(*cur)->bNumEndpoints = 0;
	return p[4];
}

struct synth_walk {
	struct libusb_config_descriptor *cfg;
	struct libusb_interface_descriptor *alt;
	struct libusb_endpoint_descriptor *ep;
	int room; /* endpoints the current altsetting announced */
};

static int
synth_walk_one(struct synth_walk *w, const uint8_t *p)
{
	struct libusb_endpoint_descriptor *eps;

	if (p[1] == LIBUSB_DT_INTERFACE && p[0] >= 9) {
		if (p[2] >= w->cfg->bNumInterfaces)
			return LIBUSB_ERROR_IO;
		w->ep = NULL;
		w->room = synth_add_altsetting(
		    (struct libusb_interface *)&w->cfg->interface[p[2]], p,
		    &w->alt);
		return w->room < 0 ? w->room : 0;
	}
	if (p[1] == LIBUSB_DT_ENDPOINT && p[0] >= 7 && w->alt &&
	    w->alt->bNumEndpoints < w->room) {
		eps = (struct libusb_endpoint_descriptor *)w->alt->endpoint;
		w->ep = &eps[w->alt->bNumEndpoints++];
		w->ep->bLength = p[0];
		w->ep->bDescriptorType = p[1];
		w->ep->bEndpointAddress = p[2];
		w->ep->bmAttributes = p[3];
		w->ep->wMaxPacketSize = (uint16_t)(p[4] | p[5] << 8);
		w->ep->bInterval = p[6];
		w->ep->bRefresh = p[0] >= 9 ? p[7] : 0;
		w->ep->bSynchAddress = p[0] >= 9 ? p[8] : 0;
		return 0;
	}
	if (w->ep)
		return synth_extra(&w->ep->extra, &w->ep->extra_length, p,
				   p[0]);
	if (w->alt)
		return synth_extra(&w->alt->extra, &w->alt->extra_length, p,
				   p[0]);
	return synth_extra(&w->cfg->extra, &w->cfg->extra_length, p, p[0]);
}

int
synth_parse_config(const uint8_t *p, size_t len,
		   struct libusb_config_descriptor **out)
{
	struct synth_walk w = {0};
	size_t off;
	int rc = 0;

	*out = NULL;
	if (len < 9 || p[0] < 9 || p[1] != LIBUSB_DT_CONFIG)
		return LIBUSB_ERROR_IO;
	if ((size_t)(p[2] | p[3] << 8) < len)
		len = (size_t)(p[2] | p[3] << 8);
	w.cfg = calloc(1, sizeof(*w.cfg));
	if (!w.cfg)
		return LIBUSB_ERROR_NO_MEM;
	w.cfg->bLength = p[0];
	w.cfg->bDescriptorType = p[1];
	w.cfg->wTotalLength = (uint16_t)(p[2] | p[3] << 8);
	w.cfg->bNumInterfaces = p[4];
	w.cfg->bConfigurationValue = p[5];
	w.cfg->iConfiguration = p[6];
	w.cfg->bmAttributes = p[7];
	w.cfg->MaxPower = p[8];
	w.cfg->interface = calloc(p[4] ? p[4] : 1, sizeof(*w.cfg->interface));
	if (!w.cfg->interface)
		rc = LIBUSB_ERROR_NO_MEM;
	for (off = p[0]; rc == 0 && off + 2 <= len; off += p[off]) {
		if (p[off] < 2 || off + p[off] > len) {
			rc = LIBUSB_ERROR_IO;
			break;
		}
		rc = synth_walk_one(&w, p + off);
	}
	if (rc < 0) {
		synth_free_config(w.cfg);
		return rc;
	}
	*out = w.cfg;
	return 0;
}

void
synth_free_config(struct libusb_config_descriptor *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; cfg->interface && i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *ifc = &cfg->interface[i];

		for (int a = 0; a < ifc->num_altsetting; a++) {
			const struct libusb_interface_descriptor *alt =
			    &ifc->altsetting[a];

			for (int e = 0; e < alt->bNumEndpoints; e++)
				free((void *)alt->endpoint[e].extra);
			free((void *)alt->endpoint);
			free((void *)alt->extra);
		}
		free((void *)ifc->altsetting);
	}
	free((void *)cfg->interface);
	free((void *)cfg->extra);
	free(cfg);
}
