/*
 * savestate.c - saved state for vireo-headless (vireo-manage(1):
 * controlvm savestate, startvm of a saved VM).
 *
 * Saving ("savestate" on the control socket): the VM is paused, its
 * state written to <folder>/Snapshots/<time>.sav (temporary file, fsync,
 * rename, mode 0600), the .vbox gets <Machine stateFile="Snapshots/...">
 * (its own safe save), and only then is the VM powered off and the
 * answer "ok".  If any step fails the file is removed, the VM runs on as
 * it did, and the answer says why.  The work runs in its own thread, so
 * "info" answers VMState "saving" meanwhile; other requests are refused.
 *
 * Restoring: a VM whose .vbox names a state file is restored before it
 * starts (VMState "restoring").  A file that is refused leaves the VM
 * not started, the file and the .vbox as they were, and vireo-headless
 * exits with the reason.  A restored VM's .vbox loses stateFile first,
 * then the file is deleted, then the VM runs: a state never resumes
 * twice.
 */
#define LOG_TAG "state"
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "headless.h"
#include "log.h"

struct hl_state_job {
	struct headless *hl;
	int fd; /* the request's connection, answered at the end */
};

enum hl_phase
hl_state_phase(struct headless *hl)
{
	return __atomic_load_n(&hl->phase, __ATOMIC_ACQUIRE);
}

static void
hl_state_set_phase(struct headless *hl, enum hl_phase p)
{
	__atomic_store_n(&hl->phase, p, __ATOMIC_RELEASE);
	headless_state_changed(hl);
}

/* @rel as the .vbox has it (relative to the machine folder or absolute). */
static int
hl_state_abs(struct headless *hl, const char *rel, char *out, size_t size)
{
	int n = rel[0] == '/'
		    ? snprintf(out, size, "%s", rel)
		    : snprintf(out, size, "%s/%s", hl->m->folder, rel);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Set or clear stateFile in the .vbox as it is on disk now (nothing else
 * of this run's state is written back). */
static int
hl_state_record(struct headless *hl, const char *value, char *err,
		size_t errlen)
{
	struct settings_machine *m;
	struct settings_error e = {{0}};
	int rc = settings_machine_load(hl->m->path, &m, &e);

	if (rc == 0) {
		settings_machine_set_state_file(m, value);
		rc = settings_machine_save(m, &e);
		settings_machine_free(m);
	}
	if (rc)
		snprintf(err, errlen, "%s", e.msg[0] ? e.msg : strerror(-rc));
	return rc;
}

/* ---- restore at start-up ------------------------------------------------ */

int
hl_state_restore(struct headless *hl, char *err, size_t errlen)
{
	char *rel = settings_machine_state_file(hl->m);
	char path[PATH_MAX], why[512];
	int rc;

	if (!rel) {
		hl_state_set_phase(hl, HL_PHASE_RUNNING);
		return 0;
	}
	hl_state_set_phase(hl, HL_PHASE_RESTORING);
	rc = hl_state_abs(hl, rel, path, sizeof(path));
	free(rel);
	if (rc) {
		snprintf(err, errlen, "the saved state's path is too long");
		return rc;
	}
	log_info("restoring the saved state %s", path);
	rc = vmm_restore_state(hl->vm, path, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen,
			 "cannot restore the saved state %s: %s; the VM was "
			 "not started and the file is kept (vireo-manage "
			 "discardstate throws it away)",
			 path, why);
		return rc;
	}
	rc = hl_state_record(hl, NULL, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen,
			 "the saved state was read, but %s could not be "
			 "updated (%s); the VM was not started",
			 hl->m->path, why);
		return rc;
	}
	if (unlink(path) < 0)
		log_warn("cannot remove the restored state %s: %s", path,
			 strerror(errno));
	log_info("saved state restored; %s removed", path);
	hl_state_set_phase(hl, HL_PHASE_RUNNING);
	return 0;
}

/* ---- savestate ----------------------------------------------------------- */

/* Snapshots/<UTC time>.sav, as VirtualBox names its state files. */
static int
hl_state_name(struct headless *hl, char *rel, size_t rsize, char *abs,
	      size_t asize)
{
	struct timespec ts;
	struct tm tm;
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/Snapshots", hl->m->folder) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(rel, rsize,
		 "Snapshots/%04d-%02d-%02dT%02d-%02d-%02d-%09ldZ.sav",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec);
	return hl_state_abs(hl, rel, abs, asize);
}

/* Pause, write, record; @return 0, or -errno with @err saying why (the
 * VM then runs on as before). */
static int
hl_state_save(struct headless *hl, char *err, size_t errlen)
{
	bool was_running = vmm_get_state(hl->vm) == VMM_STATE_RUNNING;
	char rel[256], path[PATH_MAX], why[512];
	int rc;

	rc = hl_state_name(hl, rel, sizeof(rel), path, sizeof(path));
	if (rc) {
		snprintf(err, errlen, "cannot create %s/Snapshots: %s",
			 hl->m->folder, strerror(-rc));
		return rc;
	}
	rc = vmm_pause(hl->vm);
	if (!rc && (rc = vmm_save_state(hl->vm, path, why, sizeof(why))))
		snprintf(err, errlen, "cannot save the state: %s", why);
	else if (rc)
		snprintf(err, errlen, "cannot pause the VM: %s", strerror(-rc));
	if (!rc && (rc = hl_state_record(hl, rel, why, sizeof(why)))) {
		snprintf(err, errlen, "cannot record the state in %s: %s",
			 hl->m->path, why);
		unlink(path);
	}
	if (rc && was_running)
		vmm_resume(hl->vm);
	if (!rc)
		log_info("VM state saved to %s", path);
	return rc;
}

static void *
hl_state_saver(void *arg)
{
	struct hl_state_job *j = arg;
	struct headless *hl = j->hl;
	int fd = j->fd, rc;
	char err[1024];

	free(j);
	rc = hl_state_save(hl, err, sizeof(err));
	if (rc) {
		log_err("savestate: %s", err);
		hl_state_set_phase(hl, HL_PHASE_RUNNING);
		hl_ctl_printf(fd, "error %s\n", err);
		close(fd);
		return NULL;
	}
	/* recorded: from here on this process never runs the VM again */
	hl_state_set_phase(hl, HL_PHASE_SAVED);
	hl_ctl_printf(fd, "ok\n");
	close(fd);
	vmm_poweroff(hl->vm);
	return NULL;
}

int
hl_state_save_now(struct headless *hl, char *err, size_t errlen)
{
	enum vmm_state s = vmm_get_state(hl->vm);
	int rc;

	if (hl_state_phase(hl) != HL_PHASE_RUNNING ||
	    (s != VMM_STATE_RUNNING && s != VMM_STATE_PAUSED)) {
		snprintf(err, errlen, "the VM is not running");
		return -EINVAL;
	}
	hl_state_set_phase(hl, HL_PHASE_SAVING);
	rc = hl_state_save(hl, err, errlen);
	hl_state_set_phase(hl, rc ? HL_PHASE_RUNNING : HL_PHASE_SAVED);
	return rc;
}

void
hl_state_request(struct headless *hl, int fd)
{
	struct hl_state_job *j;
	pthread_attr_t a;
	pthread_t t;
	enum vmm_state s = vmm_get_state(hl->vm);

	if (hl_state_phase(hl) != HL_PHASE_RUNNING ||
	    (s != VMM_STATE_RUNNING && s != VMM_STATE_PAUSED)) {
		hl_ctl_printf(fd, "error savestate: the VM is not running\n");
		return;
	}
	j = malloc(sizeof(*j));
	if (j) {
		j->hl = hl;
		j->fd = dup(fd);
	}
	if (!j || j->fd < 0) {
		hl_ctl_printf(fd, "error savestate: %s\n", strerror(errno));
		free(j);
		return;
	}
	hl_state_set_phase(hl, HL_PHASE_SAVING);
	log_info("saving the VM state (requested through the control "
		 "socket)");
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, hl_state_saver, j)) {
		hl_state_set_phase(hl, HL_PHASE_RUNNING);
		hl_ctl_printf(fd, "error savestate: cannot start a thread\n");
		close(j->fd);
		free(j);
	}
	pthread_attr_destroy(&a);
}
