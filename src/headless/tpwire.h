/*
 * tpwire.h - the teleport connection's messages (vireo-teleport(7)),
 * inside TLS: a 4-character tag, a u32 little-endian payload length (at
 * most TPWIRE_MAX), the payload.  The saved-state stream travels between
 * them unframed (it ends itself with its END record).  Pure: the reads
 * and writes are the caller's (struct vmm_state_io), so the fuzz target
 * runs this alone.
 *
 * The exchange, S the source, T the target:
 *   T: HELO u32 version          S: AUTH 32-byte proof
 *   T: AUTH 32-byte proof | NACK  S: CONF CPU description
 *   T: OK   | NACK               S: the state stream, then CRC  u8 u32
 *   T: DONE | NACK               S: GO
 *   T: RUN
 * NACK carries one line of text saying why; it ends the connection.
 */
#ifndef VIREO_HEADLESS_TPWIRE_H
#define VIREO_HEADLESS_TPWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/state.h"

#define TPWIRE_VERSION 1
#define TPWIRE_MAX     8192 /* payload bytes of one message */
#define TPWIRE_PROOF   32   /* HMAC-SHA256 */

struct tpwire_msg {
	char tag[5];
	uint32_t len;
	uint8_t data[TPWIRE_MAX + 1]; /* NUL after the payload */
};

/** Send one message.  @return 0 or -errno. */
int tpwire_send(const struct vmm_state_io *io, const char *tag,
		const void *data, size_t len);
/** Send a NACK with @why (control characters replaced). */
int tpwire_nack(const struct vmm_state_io *io, const char *why);
/** Receive one message into @m.  @return 0, -EPROTO (a tag that is not
 * 4 printable characters, a payload over TPWIRE_MAX; @err says so),
 * -ENODATA (the peer closed), -errno. */
int tpwire_recv(const struct vmm_state_io *io, struct tpwire_msg *m, char *err,
		size_t errlen);
/** Receive a message that must be @tag with a payload of @min..@max
 * bytes.  A NACK instead gives -ECONNREFUSED with its text (printable
 * characters only) in @err; anything else -EPROTO.  @return 0 or <0. */
int tpwire_expect(const struct vmm_state_io *io, struct tpwire_msg *m,
		  const char *tag, uint32_t min, uint32_t max, char *err,
		  size_t errlen);

#endif /* VIREO_HEADLESS_TPWIRE_H */
