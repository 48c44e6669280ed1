/*
 * manage.h - what vireo-manage's command files share: exit codes, the
 * option scanner, VM lookup through the registry, and the control-socket
 * client used for running VMs.
 */
#ifndef VIREO_MANAGE_H
#define VIREO_MANAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

/* VBoxManage's exit codes: RTEXITCODE_SUCCESS, _FAILURE, _SYNTAX. */
#define MANAGE_OK     0
#define MANAGE_FAIL   1
#define MANAGE_SYNTAX 2

void manage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Print a syntax error and return MANAGE_SYNTAX. */
int manage_syntax(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- option scanning ------------------------------------------------ */

struct manage_opt {
	int id;
	const char *name;  /* 6.1 spelling, e.g. "--vrdeport" */
	const char *alias; /* 7.x spelling or NULL */
	bool has_arg;
	bool numbered; /* "--boot" matches --boot1 .. --boot9 */
};

struct manage_scan {
	int argc;
	char **argv;
	int i;
	int index;	 /* the number of a numbered option */
	const char *arg; /* the option's argument, or the positional */
	/* with manage_scan_args(): where positional arguments go */
	const char **pos;
	int max_pos, npos;
};

#define MANAGE_POSITIONAL 0
#define MANAGE_END	  (-1)
#define MANAGE_BAD	  (-2)

void manage_scan_init(struct manage_scan *s, int argc, char **argv);
/** Like manage_scan_init(), for a verb taking up to @max positional
 * arguments: manage_scan_next() stores them in @pos (s->npos counts
 * them) and refuses one more as MANAGE_BAD, so it returns an option id
 * (> 0), MANAGE_END or MANAGE_BAD only. */
void manage_scan_args(struct manage_scan *s, int argc, char **argv,
		      const char **pos, int max);
/** Next option id, MANAGE_POSITIONAL (s->arg holds it), MANAGE_END, or
 * MANAGE_BAD after printing the error. */
int manage_scan_next(struct manage_scan *s, const struct manage_opt *opts);

/** on|off (also true/false, yes/no, 1/0); @return 0 or -1. */
int manage_parse_onoff(const char *s, bool *out);
/** Decimal in [lo, hi]; @return 0 or -1. */
int manage_parse_uint(const char *s, unsigned long lo, unsigned long hi,
		      unsigned long *out);
/** VirtualBox's TCP/Ports check: "5000,5010-5012"; "default" -> "0". */
int manage_check_ports(const char *s, const char **normalised);

/* ---- machines ------------------------------------------------------- */

/** Find @vm (name, uuid, or a .vbox path) and load it; @locked keeps the
 * directory lock until free.  Prints the error; @return MANAGE_*. */
int manage_open_vm(const char *vm, bool locked, struct settings_machine **m);
int manage_save_vm(struct settings_machine *m);
int manage_open_registry(bool locked, struct settings_registry **r);
int manage_save_registry(struct settings_registry *r);

/* ---- control socket (control.c) ------------------------------------ */

/** Send one request (fields joined with TAB).  Data lines go to @cb (or
 * stdout when NULL).  @return 0 ok, 1 "error" answer (message printed),
 * -ENOENT/-ECONNREFUSED when the VM is not running, other -errno. */
int manage_ctl_request(const struct settings_machine *m, const char *const *f,
		       size_t n, void (*cb)(const char *line, void *ctx),
		       void *ctx);
bool manage_vm_running(const struct settings_machine *m);
/** The running VM's VMState ("running", "paused", "restoring", ...).
 * @return 0, or -ENOENT when it is not running. */
int manage_vm_state(const struct settings_machine *m, char *buf, size_t size);
/** Connect to the unix socket @name in @m's folder.  @return the fd or
 * -errno (-ENOENT, -ECONNREFUSED: the VM is not running). */
int manage_connect_socket(const struct settings_machine *m, const char *name);

/* ---- commands ------------------------------------------------------- */

int cmd_createvm(int argc, char **argv);
int cmd_registervm(int argc, char **argv);
int cmd_unregistervm(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_modifyvm(int argc, char **argv);
int cmd_setextradata(int argc, char **argv);
int cmd_getextradata(int argc, char **argv);
int cmd_setproperty(int argc, char **argv);
int cmd_showvminfo(int argc, char **argv);
int cmd_internalcommands(int argc, char **argv);
int cmd_createmedium(int argc, char **argv);
int cmd_storagectl(int argc, char **argv);
int cmd_storageattach(int argc, char **argv);
int cmd_controlvm(int argc, char **argv);
int cmd_startvm(int argc, char **argv);
int cmd_discardstate(int argc, char **argv);
int cmd_adoptstate(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_usbfilter(int argc, char **argv);
/** Print the browser console's one-time address of running @vm (HOST:
 * @address, else TCP/Address, else localhost).  @return MANAGE_*. */
int manage_console_web(const char *vm, const char *address);

/** SHA-256 fingerprint ("SHA256:AA:..") of the certificate @m's RDP
 * server presents, read from its file.  @return 0, or -1 when there is
 * no readable certificate yet. */
int manage_cert_fingerprint(const struct settings_machine *m, char *buf,
			    size_t size);

/* internal.c */
/** The first line of the password file @file ("-" or "stdin": standard
 * input).  @return 0, or -1 after printing why. */
int manage_read_password(const char *file, char *pw, size_t size);

#endif /* VIREO_MANAGE_H */
