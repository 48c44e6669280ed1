/*
 * ctlproto.h - the requests of vireo-headless's control socket
 * (conventions.md, "Control socket"), one table for both ends: the server
 * (headless/ctl.c) checks what it receives with it and dispatches on the
 * id, the client (manage/control.c) checks what it is about to send, and
 * the request list in doc/conventions.md is generated from it
 * (testsuite/util/test-ctlproto fails when they disagree).
 *
 * A request is one line of at most CTLPROTO_LINE_MAX bytes: fields
 * separated by TAB, ended by '\n'; the first field names the request,
 * the others are its arguments, checked here for number and form.  What
 * depends on the running VM (does screen 2 exist?) is the server's.
 */
#ifndef VIREO_UTIL_CTLPROTO_H
#define VIREO_UTIL_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/un.h>

#define CTLPROTO_SOCKET	    "vireo.ctl" /* in the machine folder */
#define CTLPROTO_LINE_MAX   4096	/* bytes, without the '\n' */
#define CTLPROTO_MAX_FIELDS 64		/* the name and 63 arguments */
#define CTLPROTO_MAX_SCREEN 63		/* screen numbers are 0-based */

enum ctlproto_id {
	CTLPROTO_INFO,
	CTLPROTO_PAUSE,
	CTLPROTO_RESUME,
	CTLPROTO_RESET,
	CTLPROTO_POWEROFF,
	CTLPROTO_ACPIPOWERBUTTON,
	CTLPROTO_SCREENSHOTPNG,
	CTLPROTO_VRDE,
	CTLPROTO_VRDEPORT,
	CTLPROTO_VRDEPROPERTY,
	CTLPROTO_SETVIDEOMODEHINT,
	CTLPROTO_KEYBOARDPUTSCANCODE,
	CTLPROTO_SAVESTATE,
	CTLPROTO_CONSOLETOKEN,
	CTLPROTO_TELEPORT,
};

/* The form of one argument. */
enum ctlproto_type {
	CTLPROTO_ONOFF = 1,   /* "on" or "off" */
	CTLPROTO_PORTS,	      /* a TCP/Ports list (portlist.h) */
	CTLPROTO_PROPERTY,    /* name=value, name not empty, without '=' */
	CTLPROTO_ABSPATH,     /* a file name starting with '/' */
	CTLPROTO_UINT,	      /* decimal, 0 .. max */
	CTLPROTO_HEXBYTE,     /* hexadecimal, 0 .. ff */
	CTLPROTO_HOST,	      /* a host name or address: [A-Za-z0-9.:_-]+ */
	CTLPROTO_PWHASH,      /* "#SHA-512##" and 128 hex digits */
	CTLPROTO_FINGERPRINT, /* "SHA256:" and 32 hex pairs, or "-" */
};

struct ctlproto_arg {
	const char *name; /* as the synopsis shows it */
	enum ctlproto_type type;
	unsigned long max; /* CTLPROTO_UINT */
};

#define CTLPROTO_MAX_ARGS 8

struct ctlproto_request {
	enum ctlproto_id id;
	const char *name;
	int min, max; /* arguments; beyond CTLPROTO_MAX_ARGS the last
		       * described one repeats */
	struct ctlproto_arg arg[CTLPROTO_MAX_ARGS];
	bool controlvm;	  /* `vireo-manage controlvm` sends it as is */
	const char *what; /* one line for the documentation */
};

extern const struct ctlproto_request ctlproto_requests[];
extern const size_t ctlproto_n_requests;

/** The request called @name, or NULL. */
const struct ctlproto_request *ctlproto_find(const char *name);
/** Check the @n fields @f of a request (f[0] its name).  @return the
 * request, or NULL with one line in @err saying what is wrong. */
const struct ctlproto_request *ctlproto_check(const char *const *f, int n,
					      char *err, size_t size);
/** The synopsis of @r: "name ARG [ARG]...", as usage messages show it. */
void ctlproto_synopsis(const struct ctlproto_request *r, char *buf,
		       size_t size);
/** Split the request line @line (no '\n') at TABs, in place, into at
 * most @max fields.  @return how many, or -E2BIG when there are more. */
int ctlproto_split(char *line, char **f, int max);
/** Join @n fields with TABs and end the line with '\n'.  @return its
 * length, or -EINVAL when a field holds a TAB or newline or the line
 * would be longer than CTLPROTO_LINE_MAX. */
int ctlproto_join(const char *const *f, int n, char *buf, size_t size);
/** The socket's address in the machine folder @folder; when the path is
 * too long for sun_path, through /proc/self/fd/ of a descriptor of the
 * folder left in *@dir_fd (else -1), which the caller closes.
 * @return 0 or -errno. */
int ctlproto_address(const char *folder, struct sockaddr_un *sa, int *dir_fd);
/** The same for any socket @name in the folder (the serial console's). */
int ctlproto_socket_address(const char *folder, const char *name,
			    struct sockaddr_un *sa, int *dir_fd);
/** The request list of doc/conventions.md, in Markdown, into @out. */
void ctlproto_write_doc(FILE *out);

#endif /* VIREO_UTIL_CTLPROTO_H */
