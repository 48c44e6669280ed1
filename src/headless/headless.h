/*
 * headless.h - the state of one vireo-headless run, shared by its parts:
 *
 *   main.c       options, start-up order, exit codes, signals, main loop
 *   machine.c    settings -> vmm_config, VRDE properties, auth library
 *   vrdehost.c   VRDE module loading and the display bridge
 *   callbacks.c  the host callbacks a module calls
 *   usb.c        remote USB: filters, the devices' proxies in the VM
 *   input.c      client input to the guest's keyboard and pointer
 *   logon.c      authentication, throttling, connection policy
 *   ctl.c        the control socket (conventions.md)
 *   info.c       the control socket's "info" answer
 *   shot.c       screenshots as PNG
 *   savestate.c  saved state: restore at start, the savestate request
 *   serial*.c    serial ports' host modes and the console socket
 *
 * and, with their own headers (libvireo-headless-core, shared with
 * vireo-authd and the tests): policy.c (connection policy, throttling),
 * authcall.c (one auth call in a vireo-authd process), authproto.c (its
 * wire format), modpath.c (where modules and helpers are found); authd.c
 * is vireo-authd itself.
 *
 * Lock order: a VMM head lock, then hl->disp_lock, then hl->lock.
 */
#ifndef VIREO_HEADLESS_HEADLESS_H
#define VIREO_HEADLESS_HEADLESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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
	/* --graceful-stop: seconds a signal leaves the guest to power off
	 * after the power button; 0: a signal powers off at once */
	unsigned graceful_stop;
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

/* An NLA attempt between logon_nla_begin() and logon_nla_result(). */
struct headless_nla {
	uint32_t client_id;
	struct throttle_slot *slot; /* NULL: unused */
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
	/* the module's first error line, under port_lock: the reason a
	 * failed start reports on stderr */
	char first_err[512];
	/* the version of the host table the module took (1: it refused
	 * version 2), and whether its table has usable usb_* entry points
	 * (version 2 or more, long enough, none NULL) */
	uint32_t cb_version;
	bool usb;
	bool usb_closed; /* usb.c, under its lock: no device is taken now */
};

/* Where the run is, for "info" and for refusing requests that do not fit
 * (savestate.c). */
enum hl_phase {
	HL_PHASE_STARTING = 0,
	HL_PHASE_RESTORING,	     /* a saved state is being read */
	HL_PHASE_RUNNING,	     /* running or paused */
	HL_PHASE_SAVING,	     /* controlvm savestate at work */
	HL_PHASE_SAVED,		     /* saved and recorded: powering off */
	HL_PHASE_TELEPORTING_IN,     /* target: waiting for / receiving a VM */
	HL_PHASE_TELEPORTING,	     /* source: sending, the guest runs */
	HL_PHASE_TELEPORTING_PAUSED, /* source: stop-and-copy, hand-over */
	HL_PHASE_TELEPORTED,	     /* source: the target runs it now */
};
#define LOGON_TOKEN_LEN	   48
#define LOGON_TOKEN_TTL_MS 60000

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
	pthread_cond_t throttle_cond; /* a throttle slot stopped being busy */
	struct headless_nla nla[HEADLESS_MAX_CLIENTS];
	/* clients whose VNC response the module verified (nla_result 0 of
	 * security "VNC"), until their client_logon; 0: free */
	uint32_t vnc_verified[HEADLESS_MAX_CLIENTS];
	/* the browser console's one-time token (console --web); "" none */
	char console_token[LOGON_TOKEN_LEN + 1];
	long console_token_until; /* headless_now_ms() */
	int32_t vrde_port;	  /* -1 inactive, 0 failed, else bound */
	int nt_hashes;		  /* -1 unknown, 0 no, 1 yes */
	bool auth_grants_all;	  /* Null, or a library declaring it */
	const char *vrde_module;  /* "rdp", "vnc", ...: set before loading */
	/* Client/WaitForLogon: the VM starts paused and the first viewer
	 * that logs on (not a bare connect) resumes it, once */
	bool wait_for_logon;

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
	bool disable_usb;   /* Client/DisableUSB: no remote USB device */
	struct hl_usb *usb; /* usb.c; NULL until a server started */

	/* keyboard lock state as the guest last saw it from us */
	uint32_t guest_locks;

	enum hl_phase phase; /* atomic: hl_state_phase() */
	/* teleporter target: the port listened on, the certificate shown */
	uint32_t tp_port;
	char tp_fingerprint[128];

	int stop_fd; /* eventfd: the VM stopped */
	enum vmm_exit_reason stop_reason;
};

/* machine.c */
/** @err gets "FILE[:LINE]: what is wrong" on failure. */
int hl_machine_vmm_config(struct headless *hl, struct vmm_config *cfg,
			  char *serial_log, size_t size, char *err,
			  size_t errsize);
/** Property @name for the module (settings, then this run's overrides,
 * Host/ names, Client/ fallbacks).  @return length, -ENOENT, -ENOSPC. */
int hl_machine_get_property(struct headless *hl, const char *name, char *buf,
			    size_t size);
/** Set a property for this run.  @return 0 or -errno. */
int hl_machine_set_property(struct headless *hl, const char *name,
			    const char *value);
/** The auth library name (VM, else global, else "pam"), aliases applied. */
const char *hl_machine_auth_library(struct headless *hl);
/** ExtraData of the VM, else the global one.  @return length or -errno. */
int hl_machine_get_extradata(void *hl, const char *key, char *buf, size_t size);
bool hl_machine_feature_disabled(struct headless *hl, const char *feature);

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
extern const struct vrde_host_callbacks headless_callbacks_v1;

/* usb.c: remote USB devices (vireo-usb(7)).  The callbacks queue their
 * work for a thread of usb.c's own, which alone talks to the VMM's
 * proxies, so a module may call them from any thread, with its locks
 * held, even from inside usb_submit(). */
struct hl_usb;
/** Create the remote-USB state and its thread.  @return 0 or -errno. */
int hl_usb_init(struct headless *hl);
/** Release every device (usb_release), stop the thread, free. */
void hl_usb_fini(struct headless *hl);
/** usb_device_added(): judge @dev now (0, -EACCES, -ENOSPC, -ENODEV); a
 * taken device is attached to a port by the thread. */
int hl_usb_added(struct headless_server *s,
		 const struct vrde_usb_device_desc *dev);
void hl_usb_removed(struct headless_server *s, uint32_t device_id);
void hl_usb_complete(struct headless_server *s,
		     const struct vrde_usb_completion *c);
/** A client left: its devices leave the guest. */
void hl_usb_client_left(struct headless_server *s, uint32_t client_id);
/** Server @s is about to be destroyed: release its devices (the guest
 * sees them leave); returns when done. */
void hl_usb_server_stop(struct headless *hl, struct headless_server *s);
/** The "info" lines of the attached remote devices. */
void hl_usb_info(struct headless *hl, FILE *f);

/* logon.c */
/** The client table's entry of @id, or NULL.  Caller holds hl->lock. */
struct headless_client *logon_find(struct headless *hl, uint32_t id);
/** Issue the browser console's token (hex, LOGON_TOKEN_LEN characters,
 * valid once for LOGON_TOKEN_TTL_MS; a new one replaces an unused one).
 * @return 0 or -errno. */
int logon_console_token(struct headless *hl, char *out, size_t size);
int logon_client(struct headless_server *s, const struct vrde_logon *logon);
void logon_client_left(struct headless *hl, uint32_t client_id);
int logon_nt_hash(struct headless *hl, const char *user, const char *domain,
		  uint8_t hash[16]);
/** NLA: throttle the attempt of @logon (no password), then fetch the NT
 * hash.  @return 0, -ENOENT, -EBUSY. */
int logon_nla_begin(struct headless_server *s, const struct vrde_logon *logon,
		    uint8_t hash[16]);
/** NLA: the proof of @logon checked (@result 0) or failed (-EACCES). */
void logon_nla_result(struct headless_server *s, const struct vrde_logon *logon,
		      int result);
/** Ask the auth library whether it supplies NT hashes and whether it
 * grants everyone (sets hl->nt_hashes, hl->auth_grants_all). */
void logon_probe_nt_hashes(struct headless *hl);

/* ctl.c */
int hl_ctl_start(struct headless *hl, char *errbuf, size_t size);
void hl_ctl_stop(struct headless *hl);
/** Write a reply (or its next lines) whole to the non-blocking socket @fd
 * of a control or console client, waiting for it to read.  @return 0, or
 * -errno with the rest lost (-ETIMEDOUT: it read nothing for 2 s). */
int hl_ctl_write_all(int fd, const char *buf, size_t len);
/** The same, formatted. */
int hl_ctl_printf(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void hl_info_write(struct headless *hl, FILE *f);
/* info.c: key="value" with the value escaped */
void hl_info_str(FILE *f, const char *key, const char *value);

/* savestate.c */
enum hl_phase hl_state_phase(struct headless *hl);
/** Restore the saved state the .vbox names, if any, before the VM
 * starts.  @return 0, or -errno with @err the line to print. */
int hl_state_restore(struct headless *hl, char *err, size_t errlen);
/** Save the state now, in this thread (a host stop, autostop SaveState):
 * @return 0 (the caller powers the VM off), or -errno with @err saying
 * why (the VM runs on). */
int hl_state_save_now(struct headless *hl, char *err, size_t errlen);
/** The "savestate" request: answered on @fd when done (from a thread). */
void hl_state_request(struct headless *hl, int fd);
/* teleport.c (vireo-teleport(7)) */
/** Is this VM a teleporter target (<Teleporter enabled="true">)? */
bool hl_teleport_target_wanted(struct headless *hl);
/** Wait for a teleported VM (VIREO_TELEPORTER_TIMEOUT seconds, default
 * 300) and receive it into hl->vm, up to the source's GO.  A signal on
 * @sigfd ends the wait.  @return 0 (start the VM now, then call
 * hl_teleport_target_started), or -errno with @err the line to print
 * (the VM must not start). */
int hl_teleport_target(struct headless *hl, int sigfd, char *err,
		       size_t errlen);
/** Tell the source the VM runs here (@rc 0) or could not start. */
void hl_teleport_target_started(struct headless *hl, int rc);
/** The "teleport" request (checked fields @f): answered on @fd when done
 * (from a thread). */
void hl_teleport_request(struct headless *hl, int fd, char **f);
/* serial.c */
/** The guest's UARTs from the settings (slot 0 is COM1, slot 1 COM2). */
int hl_serial_vmm_config(struct headless *hl, struct vmm_config *cfg, char *err,
			 size_t errsize);
/** Open the ports' host modes and the console socket, start the serial
 * thread.  @return 0 or -errno with @errbuf saying why. */
int hl_serial_start(struct headless *hl, char *errbuf, size_t size);
void hl_serial_stop(struct headless *hl);

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
