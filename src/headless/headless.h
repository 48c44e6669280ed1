/*
 * headless.h - the state of one vireo-headless run, shared by its parts:
 *
 *   main.c     options, start-up order, exit codes, signals, main loop
 *   machine.c  settings -> vmm_config, VRDE properties, auth library
 *   vrdehost.c VRDE module loading and the display bridge
 *   callbacks.c the host callbacks a module calls
 *   logon.c    authentication, throttling, connection policy
 *   ctl.c      the control socket (conventions.md)
 *   shot.c     screenshots as PNG
 *
 * Lock order: a VMM head lock, then hl->disp_lock, then hl->lock.
 */
#ifndef VIREO_HEADLESS_HEADLESS_H
#define VIREO_HEADLESS_HEADLESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "policy.h"
#include "settings/settings.h"
#include "vmm/vmm.h"
#include "vrde/vrde.h"

/* Exit codes (vireo-headless(1)). */
enum headless_exit {
	HEADLESS_EXIT_OK = 0,	    /* the VM ran and stopped */
	HEADLESS_EXIT_FAILURE = 1,  /* other failure; VM crashed */
	HEADLESS_EXIT_USAGE = 2,    /* bad command line */
	HEADLESS_EXIT_SETTINGS = 3, /* unknown VM, bad/locked settings */
	HEADLESS_EXIT_VM = 4,	    /* the VM could not be created/started */
	HEADLESS_EXIT_VRDE = 5,	    /* VRDE module missing/bad/no port */
};

#define HEADLESS_MAX_PROPS   16 /* --vrdeproperty per run (VBoxHeadless) */
#define HEADLESS_MAX_CLIENTS 64
#define HEADLESS_STR	     256

enum headless_vrde_mode {
	HEADLESS_VRDE_CONFIG = 0,
	HEADLESS_VRDE_ON,
	HEADLESS_VRDE_OFF,
};

struct headless_opts {
	const char *vm;
	enum headless_vrde_mode vrde;
	const char *props[HEADLESS_MAX_PROPS]; /* "name=value" */
	int n_props;
	bool start_paused;
	bool accel_given; /* --accel, else from HardwareVirtEx */
	enum vmm_accel accel;
};

struct headless_client {
	bool used;
	bool granted;	/* passed logon and policy */
	bool connected; /* client_connect seen */
	uint32_t id;
	uint32_t screen;
	char user[HEADLESS_STR];
	char domain[HEADLESS_STR];
	char address[HEADLESS_STR];
	time_t since;
};

/* A property set for this run only (--vrdeproperty, controlvm). */
struct headless_prop {
	char *name;
	char *value; /* "" deletes */
};

/* One VRDE server instance (recreated by controlvm vrde/vrdeproperty). */
struct headless_server {
	struct headless *hl;
	void *dl;
	const struct vrde_entry_points *ep;
	struct vrde_server *srv;
	pthread_mutex_t port_lock;
	pthread_cond_t port_cond;
	bool port_known;
	uint32_t port; /* 0: failed to listen */
};

struct headless {
	struct headless_opts opts;
	struct settings_registry *reg;
	struct settings_machine *m;
	struct vmm *vm;
	uint32_t heads;
	time_t state_change;

	/* protects the fields below and the client table */
	pthread_mutex_t lock;
	struct headless_prop *props;
	int n_props;
	struct headless_client clients[HEADLESS_MAX_CLIENTS];
	unsigned clients_so_far;
	struct throttle throttle;
	int32_t vrde_port; /* -1 inactive, 0 failed, else bound */
	int nt_hashes;	   /* -1 unknown, 0 no, 1 yes */

	/* display bridge: protected by disp_lock */
	pthread_mutex_t disp_lock;
	struct headless_server *server; /* NULL: VRDE off */
	bool live[VMM_MAX_HEADS];	/* module has this head */
	pthread_t disp_owner[VMM_MAX_HEADS];
	bool disp_owned[VMM_MAX_HEADS];
	/* width of each enabled head (0 if off), for screen origins without
	 * taking other heads' locks; written by the display bridge */
	uint32_t head_width[VMM_MAX_HEADS];
	bool disable_display;
	bool disable_input;

	/* keyboard lock state as the guest last saw it from us */
	uint32_t guest_locks;

	int stop_fd; /* eventfd: the VM stopped */
	enum vmm_exit_reason stop_reason;
};

/* machine.c */
int machine_vmm_config(struct headless *hl, struct vmm_config *cfg,
		       char *serial_log, size_t size);
/** Property @name for the module (settings, then this run's overrides,
 * Host/ names, Client/ fallbacks).  @return length, -ENOENT, -ENOSPC. */
int machine_get_property(struct headless *hl, const char *name, char *buf,
			 size_t size);
/** Set a property for this run.  @return 0 or -errno. */
int machine_set_property(struct headless *hl, const char *name,
			 const char *value);
/** The auth library name (VM, else global, else "pam"), aliases applied. */
const char *machine_auth_library(struct headless *hl);
/** ExtraData of the VM, else the global one.  @return length or -errno. */
int machine_get_extradata(void *hl, const char *key, char *buf, size_t size);
bool machine_feature_disabled(struct headless *hl, const char *feature);

/* vrdehost.c */
/** Load the module, create the server, enable connections, wait for its
 * port.
 * @return 0, -ENOENT/-EPROTO/... (message logged and in @errbuf). */
int vrdehost_start(struct headless *hl, char *errbuf, size_t size);
/** Hand every head to the module (resize, full update, update(NULL)). */
int vrdehost_enable(struct headless *hl);
/** Disconnect everyone, destroy the server, unload the module. */
void vrdehost_stop(struct headless *hl);
extern const struct vmm_display_ops vrdehost_display_ops;
/** Drop a client of server @s (from a callback of that server). */
void vrdehost_disconnect(struct headless_server *s, uint32_t client_id);
/** query_info of the current server (control thread only). */
int vrdehost_query(struct headless *hl, uint32_t client_id, uint32_t code,
		   void *buf, size_t size);

/* callbacks.c */
extern const struct vrde_host_callbacks headless_callbacks;

/* logon.c */
int logon_client(struct headless_server *s, const struct vrde_logon *logon);
void logon_client_left(struct headless *hl, uint32_t client_id);
int logon_nt_hash(struct headless *hl, const char *user, const char *domain,
		  uint8_t hash[16]);
void logon_probe_nt_hashes(struct headless *hl);

/* ctl.c */
int ctl_start(struct headless *hl, char *errbuf, size_t size);
void ctl_stop(struct headless *hl);
void ctl_info(struct headless *hl, int fd);

/* shot.c */
int shot_png(struct headless *hl, uint32_t head, const char *path);

/* input.c */
void input_event(struct headless *hl, uint32_t screen,
		 const struct vrde_input_event *ev);
int input_scancodes(struct headless *hl, const uint8_t *codes, int n);

/* main.c */
long headless_now_ms(void);
void headless_state_changed(struct headless *hl);

#endif /* VIREO_HEADLESS_HEADLESS_H */
