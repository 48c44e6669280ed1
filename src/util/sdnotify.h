/*
 * sdnotify.h - service readiness and status for systemd (Type=notify),
 * spoken directly: one datagram per message to the AF_UNIX socket named
 * by $NOTIFY_SOCKET (a path, or an abstract name written with a leading
 * '@'), as sd_notify(3) documents the protocol.
 *
 * vireo does not link libsystemd for this: the protocol is one sendto(),
 * and the VM process then carries no library (and its compression and
 * crypto dependencies) for it.  Without $NOTIFY_SOCKET every call is a
 * no-op, so the same binary runs with or without systemd.
 */
#ifndef VIREO_SDNOTIFY_H
#define VIREO_SDNOTIFY_H

#include <stddef.h>

#include "log.h"

/* Longest message sent (the status text is cut to fit). */
#define SDNOTIFY_MAX 512

/** Take $NOTIFY_SOCKET and remove it from the environment, so helper
 * processes do not inherit it.  Call once, before threads start.
 * @return 1 when a usable socket was named, 0 when none, -EINVAL when
 * the variable is malformed (too long, relative, vsock:...; logged). */
int sdnotify_init(void);
/** Send @msg ("READY=1", "STOPPING=1", ...).  @return 0, or -errno
 * (logged once); 0 also when there is no socket. */
int sdnotify_send(const char *msg);
/** "STATUS=<text>" with the text formatted; newlines become spaces. */
int sdnotify_status(const char *fmt, ...) VIREO_PRINTF(1, 2);

#endif /* VIREO_SDNOTIFY_H */
