/*
 * rdp_listen.c - the RDP side of the listener (vmod_listen.c binds
 * TCP/Ports on TCP/Address and runs the accept thread): every accepted
 * connection is counted in by rdp_guard.c before its session thread
 * starts, and the guard's deadlines are kept between accepts.
 */
#include "config.h"

#include <sys/socket.h>
#include <unistd.h>

#include "rdp.h"
#include "util/portlist.h"

static void
rdp_listen_accept(void *arg, int fd, const struct sockaddr_storage *ss,
		  const char *addr, uint32_t set)
{
	struct rdp_server *srv = arg;
	struct rdp_guard_ticket t = {.slot = -1};
	char source[48];

	(void)set;
	rdp_guard_source(ss, source, sizeof(source));
	if (rdp_guard_admit(srv, fd, source, addr, &t) < 0) {
		close(fd);
		return;
	}
	if (rdp_session_start(srv, fd, addr, &t) < 0) {
		rdp_guard_release(srv, &t);
		close(fd);
	}
}

/* wake for the next logon deadline */
static int
rdp_listen_tick(void *arg)
{
	return rdp_guard_tick(arg);
}

void
rdp_listen_init(struct rdp_server *srv)
{
	struct vmod_listener *l = &srv->core.listen;

	l->default_port = PORTLIST_DEFAULT;
	l->nsets = 1;
	l->accept = rdp_listen_accept;
	l->tick = rdp_listen_tick;
	srv->core.grants_why = "every client is granted (auth type Null or "
			       "an auth library that grants everyone)";
}
