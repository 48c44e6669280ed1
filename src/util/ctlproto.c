/*
 * ctlproto.c - the control socket's request table and the checks of its
 * argument forms (ctlproto.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctlproto.h"
#include "portlist.h"

#define ARG(n, t)                                                              \
	{                                                                      \
		(n), CTLPROTO_##t, 0                                           \
	}
#define NUM(n, m)                                                              \
	{                                                                      \
		(n), CTLPROTO_UINT, (m)                                        \
	}
#define SCREEN NUM("screen", CTLPROTO_MAX_SCREEN)
#define PLAIN(i, n, w)                                                         \
	{                                                                      \
		CTLPROTO_##i, (n), 0, 0, {{0}}, true, (w)                      \
	}

const struct ctlproto_request ctlproto_requests[] = {
    {CTLPROTO_INFO,
     "info",
     0,
     0,
     {{0}},
     false,
     "the running state as `showvminfo --machinereadable` lines (below)"},
    PLAIN(PAUSE, "pause", "stop the virtual CPUs"),
    PLAIN(RESUME, "resume", "run them again"),
    PLAIN(RESET, "reset", "reset the machine"),
    PLAIN(POWEROFF, "poweroff", "stop the VM; vireo-headless exits"),
    PLAIN(ACPIPOWERBUTTON, "acpipowerbutton",
	  "press the power button (the guest decides)"),
    {CTLPROTO_SCREENSHOTPNG,
     "screenshotpng",
     1,
     2,
     {ARG("/abs/file.png", ABSPATH), SCREEN},
     true,
     "write a PNG of the screen (default 0) to the file"},
    {CTLPROTO_VRDE,
     "vrde",
     1,
     1,
     {ARG("on|off", ONOFF)},
     true,
     "start or stop the VRDE server"},
    {CTLPROTO_VRDEPORT,
     "vrdeport",
     1,
     1,
     {ARG("list", PORTS)},
     true,
     "set TCP/Ports for this run and restart a running server"},
    {CTLPROTO_VRDEPROPERTY,
     "vrdeproperty",
     1,
     1,
     {ARG("name=value", PROPERTY)},
     true,
     "set a VRDE property for this run and restart a running server "
     "(an empty value deletes it; a TCP/Ports value is a port list)"},
    {CTLPROTO_SETVIDEOMODEHINT,
     "setvideomodehint",
     3,
     4,
     {NUM("w", 65535), NUM("h", 65535), NUM("bpp", 64), SCREEN},
     true,
     "ask the guest for a mode on the screen (default 0)"},
    {CTLPROTO_KEYBOARDPUTSCANCODE,
     "keyboardputscancode",
     1,
     CTLPROTO_MAX_FIELDS - 1,
     {ARG("hex", HEXBYTE)},
     true,
     "type PC scancode bytes (set 1) in order"},
    PLAIN(SAVESTATE, "savestate",
	  "save the VM's state to the machine folder and power it off; "
	  "the next start restores it"),
    {CTLPROTO_CONSOLETOKEN,
     "consoletoken",
     0,
     0,
     {{0}},
     false,
     "a one-time token for the browser console (VNC module): "
     "`token=`, `port=`, `ttl=` lines"},
    {CTLPROTO_TELEPORT,
     "teleport",
     6,
     6,
     {ARG("host", HOST), NUM("port", 65535), ARG("pwhash", PWHASH),
      NUM("maxdowntime-ms", 3600000), NUM("timeout-ms", 86400000),
      ARG("fingerprint|-", FINGERPRINT)},
     false,
     "move the running VM to the teleporter target at host:port "
     "(vireo-teleport(7)); `live=`, `rounds=`, `bytes=`, `rate_mbs=`, "
     "`downtime_ms=`, `total_ms=` lines and `ok` when the target runs it "
     "and this side powers off"},
};

const size_t ctlproto_n_requests =
    sizeof(ctlproto_requests) / sizeof(ctlproto_requests[0]);

const struct ctlproto_request *
ctlproto_find(const char *name)
{
	for (size_t i = 0; i < ctlproto_n_requests; i++)
		if (!strcmp(ctlproto_requests[i].name, name))
			return &ctlproto_requests[i];
	return NULL;
}

/* The description of argument @i of @r (the last one repeats). */
static const struct ctlproto_arg *
ctlproto_arg(const struct ctlproto_request *r, int i)
{
	while (i > 0 && (i >= CTLPROTO_MAX_ARGS || !r->arg[i].name))
		i--;
	return &r->arg[i];
}

static bool
ctlproto_digits(const char *s, int base, unsigned long max)
{
	unsigned long v = 0;
	size_t len =
	    strspn(s, base == 16 ? "0123456789abcdefABCDEF" : "0123456789");

	if (!len || s[len] || len > 8)
		return false;
	for (; *s; s++) {
		int d = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;

		v = v * (unsigned long)base + (unsigned long)d;
	}
	return v <= max;
}

/* "SHA256:" and 32 colon-separated hex pairs, as showvminfo prints a
 * certificate's fingerprint. */
static bool
ctlproto_fingerprint(const char *s)
{
	if (strncmp(s, "SHA256:", 7) || strlen(s) != 7 + 32 * 3 - 1)
		return false;
	for (int i = 0; i < 32; i++) {
		const char *p = s + 7 + 3 * i;

		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) || (i < 31 && p[2] != ':'))
			return false;
	}
	return true;
}

/* Whether @s has the form of @a; else why not, into @err. */
static bool
ctlproto_arg_ok(const struct ctlproto_request *r, const struct ctlproto_arg *a,
		const char *s, char *err, size_t size)
{
	const char *eq = strchr(s, '=');
	const char *form = NULL;

	switch (a->type) {
	case CTLPROTO_ONOFF:
		if (strcmp(s, "on") && strcmp(s, "off"))
			form = "on or off";
		break;
	case CTLPROTO_PORTS:
		if (!portlist_valid(s))
			form = "a valid port list";
		break;
	case CTLPROTO_PROPERTY:
		if (!eq || eq == s)
			form = "name=value";
		else if (!strncmp(s, "TCP/Ports=", 10) &&
			 !portlist_valid(eq + 1))
			form = "a valid port list for TCP/Ports";
		break;
	case CTLPROTO_ABSPATH:
		if (s[0] != '/')
			form = "an absolute file name";
		break;
	case CTLPROTO_UINT:
		if (!ctlproto_digits(s, 10, a->max)) {
			snprintf(err, size, "%s: %s '%s' is not a number 0-%lu",
				 r->name, a->name, s, a->max);
			return false;
		}
		break;
	case CTLPROTO_HEXBYTE:
		if (!ctlproto_digits(s, 16, 0xff))
			form = "a hex byte";
		break;
	case CTLPROTO_HOST:
		if (!s[0] || s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789.:_-")])
			form = "a host name or address";
		break;
	case CTLPROTO_PWHASH:
		if (strncmp(s, "#SHA-512##", 10) || strlen(s) != 138 ||
		    strspn(s + 10, "0123456789abcdef") != 128)
			form = "a teleporter password hash";
		break;
	case CTLPROTO_FINGERPRINT:
		if (strcmp(s, "-") && !ctlproto_fingerprint(s))
			form = "a SHA256:XX:... fingerprint or -";
		break;
	}
	if (form)
		snprintf(err, size, "%s: '%s' is not %s", r->name, s, form);
	return !form;
}

const struct ctlproto_request *
ctlproto_check(const char *const *f, int n, char *err, size_t size)
{
	const struct ctlproto_request *r;
	char syn[256];

	if (n < 1 || !f[0][0]) {
		snprintf(err, size, "empty request");
		return NULL;
	}
	r = ctlproto_find(f[0]);
	if (!r) {
		snprintf(err, size, "unknown or malformed request '%s'", f[0]);
		return NULL;
	}
	if (n - 1 < r->min || n - 1 > r->max) {
		ctlproto_synopsis(r, syn, sizeof(syn));
		snprintf(err, size, "usage: %s", syn);
		return NULL;
	}
	for (int i = 1; i < n; i++)
		if (!ctlproto_arg_ok(r, ctlproto_arg(r, i - 1), f[i], err,
				     size))
			return NULL;
	return r;
}

/* The synopsis: "name w h [screen]", "name hex..." with blanks, or
 * "name<TAB>w<TAB>h[<TAB>screen]" as the documentation shows a line. */
static void
ctlproto_format(const struct ctlproto_request *r, bool tabs, char *buf,
		size_t size)
{
	const char *sep = tabs ? "<TAB>" : " ";
	size_t len = (size_t)snprintf(buf, size, "%s", r->name);
	int described = 0;

	while (described < CTLPROTO_MAX_ARGS && r->arg[described].name)
		described++;
	for (int i = 0; i < described && i < r->max && len < size; i++) {
		const char *name = r->arg[i].name;
		const char *dots =
		    i == described - 1 && r->max > described ? "..." : "";

		if (i < r->min)
			len += (size_t)snprintf(buf + len, size - len, "%s%s%s",
						sep, name, dots);
		else if (tabs)
			len += (size_t)snprintf(buf + len, size - len,
						"[%s%s%s]", sep, name, dots);
		else
			len += (size_t)snprintf(buf + len, size - len,
						" [%s%s]", name, dots);
	}
}

void
ctlproto_synopsis(const struct ctlproto_request *r, char *buf, size_t size)
{
	ctlproto_format(r, false, buf, size);
}

int
ctlproto_split(char *line, char **f, int max)
{
	int n = 0;

	for (char *p = line;; p++) {
		char *tab = strchr(p, '\t');

		if (n == max)
			return -E2BIG;
		f[n++] = p;
		if (!tab)
			return n;
		*tab = '\0';
		p = tab;
	}
}

int
ctlproto_join(const char *const *f, int n, char *buf, size_t size)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		size_t fl = strlen(f[i]);

		if (strpbrk(f[i], "\t\n") || len + fl + 1 > CTLPROTO_LINE_MAX ||
		    len + fl + 2 > size)
			return -EINVAL;
		if (i)
			buf[len++] = '\t';
		memcpy(buf + len, f[i], fl);
		len += fl;
	}
	buf[len++] = '\n';
	return (int)len;
}

int
ctlproto_socket_address(const char *folder, const char *name,
			struct sockaddr_un *sa, int *dir_fd)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*dir_fd = -1;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", folder, name);
	if (n > 0 && (size_t)n < sizeof(sa->sun_path))
		return 0;
	*dir_fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dir_fd < 0)
		return -errno;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s",
		 *dir_fd, name);
	return 0;
}

int
ctlproto_address(const char *folder, struct sockaddr_un *sa, int *dir_fd)
{
	return ctlproto_socket_address(folder, CTLPROTO_SOCKET, sa, dir_fd);
}

/* What the arguments of @r must look like, for the documentation. */
static void
ctlproto_write_forms(FILE *out, const struct ctlproto_request *r)
{
	const char *sep = "; ";

	for (int i = 0; i < CTLPROTO_MAX_ARGS && r->arg[i].name; i++) {
		const struct ctlproto_arg *a = &r->arg[i];

		if (a->type == CTLPROTO_UINT)
			fprintf(out, "%s`%s` 0-%lu", sep, a->name, a->max);
		else if (a->type == CTLPROTO_HEXBYTE)
			fprintf(out, "%s`%s` 00-ff, %d to %d of them", sep,
				a->name, r->min, r->max);
		else if (a->type == CTLPROTO_PORTS)
			fprintf(out, "%s`%s` as in TCP/Ports", sep, a->name);
		else
			continue;
		sep = ", ";
	}
}

void
ctlproto_write_doc(FILE *out)
{
	char syn[256];

	for (size_t i = 0; i < ctlproto_n_requests; i++) {
		const struct ctlproto_request *r = &ctlproto_requests[i];

		ctlproto_format(r, true, syn, sizeof(syn));
		fprintf(out, "  * `%s`: %s", syn, r->what);
		ctlproto_write_forms(out, r);
		fprintf(out, "%s\n",
			r->controlvm ? "" : "; not a controlvm request");
	}
}
