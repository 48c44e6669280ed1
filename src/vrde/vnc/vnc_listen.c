/*
 * vnc_listen.c - the VNC side of the listener (vmod_listen.c binds
 * TCP/Ports on TCP/Address and runs the accept thread): screen 1 listens
 * on the first free port of the list (default 5900), screen n on that
 * port + n - 1, as RFB has no way to pick a screen inside the protocol.
 * Loopback only when every client would be granted (security type None:
 * authType Null and no VNC password) unless TCP/Address is set.  Each
 * accepted viewer gets a thread of its own (vnc_client_start() caps
 * them); ended ones are joined between accepts.
 */
#include "config.h"

#include <unistd.h>

#include "vnc.h"

#define VNC_DEFAULT_PORT 5900

static void
vnc_listen_accept(void *arg, int fd, const struct sockaddr_storage *ss,
		  const char *addr, uint32_t screen)
{
	(void)ss;
	if (vnc_client_start(arg, fd, screen, addr) < 0)
		close(fd);
}

static int
vnc_listen_tick(void *arg)
{
	vmod_reap(arg);
	return 1000;
}

void
vnc_listen_init(struct vnc_server *srv)
{
	struct vmod_listener *l = &srv->core.listen;

	l->default_port = VNC_DEFAULT_PORT;
	l->nsets = srv->nscreens;
	l->accept = vnc_listen_accept;
	l->tick = vnc_listen_tick;
	srv->core.grants_why = "security type None is offered (authType Null "
			       "and no VNC password)";
}
