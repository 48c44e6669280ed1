/*
 * authproto.h - the wire format between vireo-headless and its auth
 * helper process vireo-authd.
 *
 * Auth libraries are untrusted for liveness: they may hang or crash.  The
 * host therefore runs each call in a fresh vireo-authd process and talks
 * to it over a socketpair with length-prefixed frames:
 *
 *   frame  = type (1 byte) + payload length (u32, host order) + payload
 *   'A'    host -> helper: the request, a list of strings (see below)
 *   'Q'    helper -> host: get_extradata(key); payload = key
 *   'V'    host -> helper: the value; 'N': no such key
 *   'R'    helper -> host: result (i32) then, for nt_hash, 16 bytes
 *
 * A string list is a sequence of (u32 length, bytes); length
 * AUTHPROTO_NULL stands for a NULL pointer.
 */
#ifndef VIREO_HEADLESS_AUTHPROTO_H
#define VIREO_HEADLESS_AUTHPROTO_H

#include <stddef.h>
#include <stdint.h>

#define AUTHPROTO_NULL	    0xffffffffu
#define AUTHPROTO_FRAME_MAX (64u * 1024u)

/* Bits of the "probe" result: what the library declares about itself. */
#define AUTHPROTO_PROBE_NT_HASH	   0x1 /* exports vireo_auth_nt_hash */
#define AUTHPROTO_PROBE_GRANTS_ALL 0x2 /* VIREO_AUTH_F_GRANTS_ALL */

enum authproto_field {
	AUTHPROTO_F_OP = 0, /* "entry", "nthash" or "probe" */
	AUTHPROTO_F_LIBRARY,
	AUTHPROTO_F_CALLER,
	AUTHPROTO_F_VM_UUID,
	AUTHPROTO_F_USER,
	AUTHPROTO_F_PASSWORD,
	AUTHPROTO_F_DOMAIN,
	AUTHPROTO_F_LOGON,     /* "1" or "0" */
	AUTHPROTO_F_CLIENT_ID, /* decimal */
	AUTHPROTO_F_COUNT,
};

/** Send one frame (retries on EINTR, never raises SIGPIPE).
 * @return 0 or a negative errno. */
int authproto_send(int fd, char type, const void *payload, size_t len);
/** CLOCK_MONOTONIC in ms: the clock of the deadlines here and in
 * authcall.c. */
long authproto_now_ms(void);
/** Receive one frame into @buf (NUL-terminated for convenience).
 * @timeout_ms < 0 waits forever.  @return payload length, -ETIMEDOUT,
 * -EPIPE on end of stream, -EPROTO on a malformed frame. */
int authproto_recv(int fd, char *type, char *buf, size_t size, int timeout_ms);
/** Encode @n strings (NULL allowed) into @buf.  @return length or
 * -ENOSPC. */
int authproto_pack(char *buf, size_t size, const char *const *s, int n);
/** Decode in place; @s gets pointers into @buf (which must have one spare
 * byte per string for the terminators, see authproto_recv).
 * @return 0 or -EPROTO. */
int authproto_unpack(char *buf, size_t len, const char **s, int n);

#endif /* VIREO_HEADLESS_AUTHPROTO_H */
