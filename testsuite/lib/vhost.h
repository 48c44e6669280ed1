/*
 * vhost.h - the stand-in VRDE host that the test and bench hosts share
 * (testsuite/rdp/rdp-host, testsuite/video/video-host, bench/card-host):
 * it loads a module through vrde.h, checks its entry points' version,
 * serves up to VHOST_MAX_SCREENS screens from memory, answers properties
 * from --prop K=V options, prints "VRDE server is listening on port N."
 * like vireo-headless, logs the module's lines as "NAME: LEVEL: text" on
 * stderr and runs a command loop on stdin.  Each host keeps only what it
 * does differently: its pictures, its commands, the callbacks it
 * replaces in vhost.cb before vhost_start().
 *
 * Commands (one a line) end with exactly one "ok" or "error <why>" line,
 * after any data lines they print.  Every host knows:
 *   info CODE [CLIENT]   query_info as "info <number, ids or text>"
 *   disconnect CLIENT
 *   cpu                  "cpu MS": CPU time of the process so far
 *   quit
 */
#ifndef VIREO_TESTSUITE_VHOST_H
#define VIREO_TESTSUITE_VHOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vrde/vrde.h"

#define VHOST_MAX_SCREENS 8
#define VHOST_MAX_PROPS	  32

struct vhost_screen {
	pthread_mutex_t lock; /* screen_lock/unlock */
	uint32_t w, h;
	uint32_t *px; /* w * h pixels, 0x00RRGGBB */
};

struct vhost {
	const char *name; /* the program, first word of its messages */
	/* the callbacks the module gets, with vhost as context; vhost_init
	 * fills in defaults that a host may replace */
	struct vrde_host_callbacks cb;
	uint32_t nscreens;
	struct vhost_screen screen[VHOST_MAX_SCREENS];
	uint32_t width, height; /* --size, before the screens exist */
	const char *module;	/* --module */
	const char *props[VHOST_MAX_PROPS]; /* "K=V", the last one wins */
	int nprops;
	const struct vrde_entry_points *ep;
	struct vrde_server *srv;
	void *dl;
};

/** Defaults: one screen of @w x @h, callbacks that grant every logon to
 * an existing screen, print "connect client=N"/"disconnect client=N",
 * drop input and mode hints, have no NT hashes. */
void vhost_init(struct vhost *h, const char *name, uint32_t w, uint32_t hh);
/** Add a property "K=V".  @return 0, or -EINVAL (no '=' or too many). */
int vhost_prop(struct vhost *h, const char *kv);
/** An option both hosts know (--module, --prop, --size) at argv[*i],
 * value argv[*i + 1]; advances *@i past it.  @return 1 taken, 0 not one
 * of them, -EINVAL a bad value. */
int vhost_option(struct vhost *h, int argc, char **argv, int *i);
/** (Re)allocate screen @s as @w x @hh black pixels.  @return 0 or
 * -ENOMEM (the old picture stays). */
int vhost_screen_alloc(struct vhost *h, uint32_t s, uint32_t w, uint32_t hh);
/** Report damage of screen @s (x, y, w, hh); the caller holds its lock. */
void vhost_damage(struct vhost *h, uint32_t s, uint32_t x, uint32_t y,
		  uint32_t w, uint32_t hh);
/** Load the module, check its entry points, create the server and let
 * it listen.  @return 0, or -1 after one line on stderr. */
int vhost_start(struct vhost *h);
/** Read commands from stdin until "quit" or end of input; @command
 * gets every other line first (@cmd the first word, @args the rest) and
 * returns 0 (answered "ok"), -errno ("error ...") or -ENOSYS when it
 * does not know the command. */
void vhost_serve(struct vhost *h,
		 int (*command)(struct vhost *h, const char *cmd, char *args));
/** Destroy the server, unload the module (unless RDP_HOST_NO_DLCLOSE is
 * set: leak checkers then still see its symbols), free the screens. */
void vhost_stop(struct vhost *h);

#endif /* VIREO_TESTSUITE_VHOST_H */
