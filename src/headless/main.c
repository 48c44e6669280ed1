/*
 * main.c - vireo-headless: run one VM from its settings, with its screens
 * exported through a VRDE module (vireo-headless(1)).
 *
 * Start-up order is chosen so that every failure that can be detected
 * before the guest runs is: settings, folder lock, VMM creation (KVM or
 * the software CPU, and what the chosen one cannot run), VRDE module and
 * its listening port, control socket; only then does the VM start and the
 * module get connections and screens.  Each failure prints one line on
 * stderr and exits with a code of enum headless_exit.
 */
#define LOG_TAG "headless"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "headless.h"
#include "log.h"
#include "sdnotify.h"

#define HEADLESS_GRACEFUL_MAX 86400 /* --graceful-stop limit, seconds */

static struct headless headless_state = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .disp_lock = PTHREAD_MUTEX_INITIALIZER,
    .throttle_cond = PTHREAD_COND_INITIALIZER,
    .vrde_port = -1,
    .nt_hashes = -1,
    .stop_fd = -1,
};

static bool headless_logging;

long
headless_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
headless_state_changed(struct headless *hl)
{
	hl->state_change = time(NULL);
}

static int VIREO_PRINTF(2, 3) headless_fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vireo-headless: %s\n", msg);
	/* before the log file is open, the log would be stderr again */
	if (headless_logging)
		log_err("%s", msg);
	sdnotify_status("failed: %s", msg);
	return code;
}

static void
headless_usage(FILE *f)
{
	fprintf(f, "usage: vireo-headless --startvm <name|uuid> "
		   "[--vrde on|off|config]\n"
		   "                      [--vrdeproperty name=value]... "
		   "[--start-paused]\n"
		   "                      [--accel auto|kvm|software] "
		   "[--graceful-stop SECONDS]\n");
}

static int
headless_parse_vrde(const char *arg, enum headless_vrde_mode *out)
{
	if (!strcmp(arg, "on") || !strcmp(arg, "enable"))
		*out = HEADLESS_VRDE_ON;
	else if (!strcmp(arg, "off") || !strcmp(arg, "disable"))
		*out = HEADLESS_VRDE_OFF;
	else if (!strcmp(arg, "config"))
		*out = HEADLESS_VRDE_CONFIG;
	else
		return -EINVAL;
	return 0;
}

static int
headless_parse_seconds(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	if (arg[0] < '0' || arg[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v > HEADLESS_GRACEFUL_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Also accepts VBoxHeadless's single-dash long forms (-startvm). */
static int
headless_parse(int argc, char **argv, struct headless_opts *o)
{
	static const struct option longopts[] = {
	    {"startvm", required_argument, NULL, 's'},
	    {"vrde", required_argument, NULL, 'v'},
	    {"vrdeproperty", required_argument, NULL, 'e'},
	    {"start-paused", no_argument, NULL, 'P'},
	    {"accel", required_argument, NULL, 'a'},
	    {"graceful-stop", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long_only(argc, argv, "s:v:e:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			o->vm = optarg;
			break;
		case 'v':
			if (headless_parse_vrde(optarg, &o->vrde) < 0)
				return headless_fail(
				    HEADLESS_EXIT_USAGE,
				    "--vrde takes on, off or config, not '%s'",
				    optarg);
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return headless_fail(
				    HEADLESS_EXIT_USAGE,
				    "--vrdeproperty needs name=value, not '%s'",
				    optarg);
			if (o->n_props == HEADLESS_MAX_PROPS)
				return headless_fail(
				    HEADLESS_EXIT_USAGE,
				    "at most %d --vrdeproperty options",
				    HEADLESS_MAX_PROPS);
			o->props[o->n_props++] = optarg;
			break;
		case 'P':
			o->start_paused = true;
			break;
		case 'a':
			if (vmm_accel_parse(optarg, &o->accel) < 0)
				return headless_fail(
				    HEADLESS_EXIT_USAGE,
				    "--accel takes auto, kvm or software, not "
				    "'%s'",
				    optarg);
			o->accel_given = true;
			break;
		case 'g':
			if (headless_parse_seconds(optarg, &o->graceful_stop))
				return headless_fail(
				    HEADLESS_EXIT_USAGE,
				    "--graceful-stop takes seconds 0..%d, not "
				    "'%s'",
				    HEADLESS_GRACEFUL_MAX, optarg);
			break;
		case 'h':
			headless_usage(stdout);
			exit(0);
		default:
			headless_usage(stderr);
			return HEADLESS_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return headless_fail(HEADLESS_EXIT_USAGE,
				     "unexpected argument '%s'", argv[optind]);
	if (!o->vm) {
		headless_usage(stderr);
		return HEADLESS_EXIT_USAGE;
	}
	return 0;
}

/* Registry, machine file, folder lock, log file. */
static int
headless_load(struct headless *hl)
{
	struct settings_error err = {{0}};
	char *path = NULL;
	char logpath[4200];
	int rc, dfd;

	rc = settings_registry_open(&hl->reg, &err);
	if (rc < 0)
		return headless_fail(HEADLESS_EXIT_SETTINGS, "%s", err.msg);
	if (settings_registry_find(hl->reg, hl->opts.vm, &path) < 0)
		return headless_fail(HEADLESS_EXIT_SETTINGS,
				     "no registered VM named or with UUID '%s'",
				     hl->opts.vm);
	rc = settings_machine_load(path, &hl->m, &err);
	free(path);
	if (rc < 0)
		return headless_fail(HEADLESS_EXIT_SETTINGS, "%s", err.msg);
	/* one vireo-headless per VM: an exclusive lock on its folder */
	dfd = open(hl->m->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return headless_fail(HEADLESS_EXIT_SETTINGS,
				     "cannot open the machine folder %s: %s",
				     hl->m->folder, strerror(errno));
	if (flock(dfd, LOCK_EX | LOCK_NB) < 0)
		return headless_fail(HEADLESS_EXIT_SETTINGS,
				     "VM '%s' is locked: it is already running "
				     "(or another process holds %s)",
				     hl->m->name, hl->m->folder);
	snprintf(logpath, sizeof(logpath), "%s/Logs/vireo.log", hl->m->folder);
	if (log_open_file(logpath) < 0)
		fprintf(stderr,
			"vireo-headless: cannot write %s; logging to "
			"stderr\n",
			logpath);
	else
		headless_logging = true;
	log_info("vireo-headless %s starting VM '%s' %s (%s)", PACKAGE_VERSION,
		 hl->m->name, hl->m->uuid, hl->m->path);
	return 0;
}

static bool
headless_vrde_wanted(struct headless *hl)
{
	switch (hl->opts.vrde) {
	case HEADLESS_VRDE_ON:
		return true;
	case HEADLESS_VRDE_OFF:
		return false;
	default:
		return hl->m->vrde.enabled;
	}
}

static int
headless_apply_props(struct headless *hl)
{
	for (int i = 0; i < hl->opts.n_props; i++) {
		char name[HEADLESS_STR];
		const char *eq = strchr(hl->opts.props[i], '=');
		size_t n = (size_t)(eq - hl->opts.props[i]);

		if (n >= sizeof(name) ||
		    (memcpy(name, hl->opts.props[i], n), name[n] = '\0',
		     hl_machine_set_property(hl, name, eq + 1) < 0))
			return headless_fail(HEADLESS_EXIT_USAGE,
					     "bad --vrdeproperty '%s'",
					     hl->opts.props[i]);
	}
	return 0;
}

/* The KVM device the VMM probes (VIREO_KVM_DEVICE is its test hook). */
static const char *
headless_kvm_device(void)
{
	const char *dev = getenv("VIREO_KVM_DEVICE");

	return dev && dev[0] ? dev : "/dev/kvm";
}

/* An automatic fall-back to the software CPU is one warning line on
 * stderr; the VMM has logged it, and which accelerator the VM got. */
static void
headless_accel_report(struct headless *hl)
{
	const char *why = vmm_accel_fallback(hl->vm);

	/* without a log file the VMM's line went to stderr already */
	if (why && headless_logging)
		fprintf(stderr,
			"vireo-headless: warning: %s not usable (%s); running "
			"on the software CPU\n",
			headless_kvm_device(), why);
}

static int
headless_create_vm(struct headless *hl)
{
	struct vmm_config cfg;
	char serial[4200], err[512] = "";
	const char *by;
	int rc;

	if (hl_machine_vmm_config(hl, &cfg, serial, sizeof(serial), err,
				  sizeof(err)) < 0)
		return headless_fail(HEADLESS_EXIT_SETTINGS, "%s", err);
	hl->heads = cfg.heads;
	if (hl->opts.accel_given)
		by = "--accel";
	else
		by = settings_machine_hwvirtex(hl->m) ? "HardwareVirtEx on"
						      : "HardwareVirtEx off";
	log_info("accelerator requested: %s (%s)", vmm_accel_name(cfg.accel),
		 by);
	rc = vmm_create(&cfg, &vrdehost_display_ops, hl, &hl->vm, err,
			sizeof(err));
	if (rc < 0)
		return headless_fail(HEADLESS_EXIT_VM,
				     "cannot create the VM: %s",
				     err[0] ? err : strerror(-rc));
	headless_accel_report(hl);
	return 0;
}

/* What the VM's autostop setting (Machine/Autostart/@autostop, modifyvm
 * --autostop-type) says a host stop does, short of the power button:
 * SaveState saves the state, PowerOff powers off.  @return 0 when done
 * so (the VM is off), -ENOTSUP when the power button is what to press
 * (Disabled, AcpiShutdown, a bad value, a failed save). */
static int
headless_stop_save_state(struct headless *hl)
{
	enum settings_autostop a;
	char err[1024], *raw = NULL;

	if (settings_machine_autostop(hl->m, &a, &raw) < 0) {
		log_warn("%s: Autostart autostop '%s' is not Disabled, "
			 "SaveState, PowerOff or AcpiShutdown; pressing the "
			 "power button",
			 hl->m->path, raw ? raw : "");
		free(raw);
		return -ENOTSUP;
	}
	free(raw);
	if (a == SETTINGS_AUTOSTOP_POWEROFF) {
		log_info("autostop PowerOff: powering the VM off");
		vmm_poweroff(hl->vm);
		return 0;
	}
	if (a != SETTINGS_AUTOSTOP_SAVESTATE)
		return -ENOTSUP;
	if (hl_state_save_now(hl, err, sizeof(err)) < 0) {
		log_err("autostop SaveState: %s; pressing the power button",
			err);
		return -ENOTSUP;
	}
	vmm_poweroff(hl->vm);
	return 0;
}

/* The first stop signal with --graceful-stop: the state saved, else the
 * power button.  @return the deadline (headless_now_ms) for the hard
 * power off, or 0 when the VM was powered off already. */
static long
headless_graceful_stop(struct headless *hl, unsigned signo)
{
	int rc;

	sdnotify_send("STOPPING=1");
	if (headless_stop_save_state(hl) == 0) {
		log_info("signal %u: VM %s", signo,
			 hl_state_phase(hl) == HL_PHASE_SAVED ? "state saved"
							      : "powered off");
		sdnotify_status("VM '%s': %s", hl->m->name,
				hl_state_phase(hl) == HL_PHASE_SAVED
				    ? "state saved"
				    : "powered off");
		return 0;
	}
	rc = vmm_power_button(hl->vm);
	if (rc < 0) {
		log_info("signal %u: the VM is not running (%s); powering it "
			 "off",
			 signo, vmm_state_name(vmm_get_state(hl->vm)));
		vmm_poweroff(hl->vm);
		return 0;
	}
	log_info("signal %u: power button pressed; powering off in %u s "
		 "unless the guest does",
		 signo, hl->opts.graceful_stop);
	sdnotify_status("VM '%s': power button pressed, waiting up to %u s",
			hl->m->name, hl->opts.graceful_stop);
	return headless_now_ms() + (long)hl->opts.graceful_stop * 1000;
}

static int
headless_poll_wait(long deadline)
{
	long left;

	if (!deadline)
		return -1;
	left = deadline - headless_now_ms();
	return left > 0 ? (int)left : 0;
}

/* Wait for the VM to stop; signals power it off, with --graceful-stop
 * after the power button (or saving its state).  @return exit code. */
static int
headless_run(struct headless *hl, int sigfd)
{
	bool asked = false;
	long deadline = 0;

	for (;;) {
		struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN},
				      {.fd = hl->stop_fd, .events = POLLIN}};
		struct signalfd_siginfo si;
		int n = poll(p, 2, headless_poll_wait(deadline));

		if (n < 0 && errno != EINTR)
			break;
		if (n == 0) {
			log_warn("the guest did not power off within %u s; "
				 "powering it off",
				 hl->opts.graceful_stop);
			sdnotify_status("VM '%s': powering off", hl->m->name);
			deadline = 0;
			vmm_poweroff(hl->vm);
			continue;
		}
		if (n > 0 && p[1].revents)
			break;
		if (n <= 0 || !p[0].revents ||
		    read(sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (!asked && hl->opts.graceful_stop) {
			asked = true;
			deadline = headless_graceful_stop(hl, si.ssi_signo);
			continue;
		}
		log_info("signal %u: powering the VM off%s", si.ssi_signo,
			 asked ? " (again)" : "");
		if (!asked)
			sdnotify_send("STOPPING=1");
		asked = true;
		deadline = 0;
		vmm_poweroff(hl->vm);
	}
	switch (vmm_wait(hl->vm)) {
	case VMM_EXIT_TRIPLE_FAULT:
		return headless_fail(HEADLESS_EXIT_FAILURE,
				     "the guest crashed (triple fault)");
	case VMM_EXIT_INTERNAL_ERROR:
		return headless_fail(HEADLESS_EXIT_FAILURE,
				     "%s could not run the guest (see "
				     "%s/Logs/vireo.log)",
				     vmm_get_accel(hl->vm) == VMM_ACCEL_KVM
					 ? "KVM"
					 : "the software CPU",
				     hl->m->folder);
	default:
		if (hl_state_phase(hl) == HL_PHASE_TELEPORTED) {
			log_info("VM teleported; this side powered off");
			sdnotify_status("VM '%s' teleported", hl->m->name);
			return HEADLESS_EXIT_OK;
		}
		log_info("VM powered off");
		sdnotify_status("VM '%s' powered off", hl->m->name);
		return HEADLESS_EXIT_OK;
	}
}

static int
headless_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* blocked before any thread exists, so every thread inherits it */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Tell a service manager that the VM runs and the remote display
 * listens (Type=notify). */
static void
headless_ready(struct headless *hl)
{
	const char *state = hl->opts.start_paused ? "paused" : "running";

	if (hl->vrde_port > 0)
		sdnotify_status("VM '%s' %s; remote display on port %d",
				hl->m->name, state, (int)hl->vrde_port);
	else
		sdnotify_status("VM '%s' %s; no remote display", hl->m->name,
				state);
	sdnotify_send("READY=1");
}

/* Everything after the VM exists.  @return exit code. */
static int
headless_start(struct headless *hl, int sigfd)
{
	char err[1024];
	bool teleported = false;
	int rc;

	if (headless_vrde_wanted(hl)) {
		logon_probe_nt_hashes(hl);
		if (vrdehost_start(hl, err, sizeof(err)) < 0) {
			fprintf(stdout, "VRDE server failed to start.\n");
			return headless_fail(HEADLESS_EXIT_VRDE, "%s", err);
		}
	} else {
		log_info("VRDE is off for this run");
		if (hl->wait_for_logon)
			log_warn("Client/WaitForLogon is set but VRDE is off: "
				 "the VM stays paused until resumed");
	}
	/* a target is "teleportingin" from its first answer on */
	if (hl_teleport_target_wanted(hl))
		__atomic_store_n(&hl->phase, HL_PHASE_TELEPORTING_IN,
				 __ATOMIC_RELEASE);
	if (hl_ctl_start(hl, err, sizeof(err)) < 0)
		return headless_fail(HEADLESS_EXIT_FAILURE, "%s", err);
	if (hl_state_phase(hl) == HL_PHASE_TELEPORTING_IN) {
		/* the guest comes from elsewhere, not from a boot */
		if (hl_teleport_target(hl, sigfd, err, sizeof(err)) < 0)
			return headless_fail(HEADLESS_EXIT_VM, "%s", err);
		teleported = true;
	} else if (hl_state_restore(hl, err, sizeof(err)) < 0) {
		return headless_fail(HEADLESS_EXIT_VM, "%s", err);
	}
	if (hl_serial_start(hl, err, sizeof(err)) < 0) {
		if (teleported)
			hl_teleport_target_started(hl, -EIO);
		return headless_fail(HEADLESS_EXIT_VM, "%s", err);
	}
	rc = vmm_start(hl->vm);
	if (teleported)
		hl_teleport_target_started(hl, rc);
	if (rc < 0)
		return headless_fail(HEADLESS_EXIT_VM,
				     "cannot start the VM: %s", strerror(-rc));
	headless_state_changed(hl);
	log_info("VM '%s' is %s", hl->m->name,
		 hl->opts.start_paused ? "paused"
		 : hl->wait_for_logon
		     ? "paused until a viewer logs on (Client/WaitForLogon)"
		     : "running");
	if (hl->server && vrdehost_enable(hl) < 0)
		log_err("VRDE server does not accept connections");
	headless_ready(hl);
	return headless_run(hl, sigfd);
}

int
main(int argc, char **argv)
{
	struct headless *hl = &headless_state;
	int rc, sigfd;

	/* before any thread or helper process exists (it unsets it) */
	sdnotify_init();
	rc = headless_parse(argc, argv, &hl->opts);
	if (rc)
		return rc;
	sigfd = headless_signals();
	hl->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (sigfd < 0 || hl->stop_fd < 0)
		return headless_fail(HEADLESS_EXIT_FAILURE, "signalfd: %s",
				     strerror(errno));
	rc = headless_load(hl);
	if (rc == 0)
		sdnotify_status("starting VM '%s'", hl->m->name);
	if (rc == 0)
		rc = headless_apply_props(hl);
	if (rc == 0)
		rc = headless_create_vm(hl);
	if (rc == 0)
		rc = headless_start(hl, sigfd);
	/* teardown: no more requests, then clients, then the VM */
	hl_ctl_stop(hl);
	hl_serial_stop(hl);
	vrdehost_stop(hl);
	hl_usb_fini(hl); /* its proxies are freed before the VM */
	if (hl->vm)
		vmm_destroy(hl->vm);
	if (hl->m)
		log_info("vireo-headless exits with status %d", rc);
	settings_machine_free(hl->m);
	settings_registry_free(hl->reg);
	log_close_file();
	return rc;
}
