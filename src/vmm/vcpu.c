/*
 * vcpu.c - one thread per vCPU, whatever the accelerator: the lifecycle
 * gate between two runs (pause, stop, reset), kicking, joining, and the
 * dispatch of the guest's port and MMIO accesses to the buses.
 *
 * A kick (pause, stop, reset) sets vcpu->kicked and asks the accelerator
 * to leave its run loop; the thread then waits in the gate.  The KVM
 * accelerator interrupts KVM_RUN with SIGUSR1, whose no-op handler is
 * installed here.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vmm_internal.h"

static void
vmm_vcpu_sigusr1(int sig)
{
	(void)sig;
}

int
vmm_vcpus_create(struct vmm *vm, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < vm->ncpus; i++) {
		struct vmm_vcpu *c = &vm->vcpus[i];
		int r;

		c->vm = vm;
		c->id = (int)i;
		r = vm->accel->vcpu_create(c, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

void
vmm_vcpus_destroy(struct vmm *vm)
{
	for (uint32_t i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].vm)
			vm->accel->vcpu_destroy(&vm->vcpus[i]);
}

int
vmm_vcpu_setup_long_mode(struct vmm_vcpu *c, bool user, uint64_t rip,
			 uint64_t rsp, uint64_t rsi)
{
	return c->vm->accel->vcpu_long_mode(c, user, rip, rsp, rsi);
}

void
vmm_vcpu_pio(struct vmm *vm, uint16_t port, uint8_t *data, uint32_t len,
	     bool is_write)
{
	if (!vmm_bus_access(&vm->pio, port, data, len, is_write) && !is_write)
		memset(data, 0xff, len);
}

void
vmm_vcpu_mmio(struct vmm *vm, uint64_t addr, uint8_t *data, uint32_t len,
	      bool is_write)
{
	if (!vmm_bus_access(&vm->mmio, addr, data, len, is_write) && !is_write)
		memset(data, 0xff, len);
}

/* Lifecycle gate between two runs.  @return false to leave. */
static bool
vmm_vcpu_gate(struct vmm_vcpu *c)
{
	struct vmm *vm = c->vm;
	bool go;

	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&c->kicked, false, __ATOMIC_RELEASE);
	vm->accel->vcpu_arm(c);
	while (vm->pause_req && !vm->stop_req && !vm->reset_req) {
		vm->paused_count++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->pause_req && !vm->stop_req && !vm->reset_req)
			pthread_cond_wait(&vm->cond, &vm->lock);
		vm->paused_count--;
	}
	go = !vm->stop_req && !vm->reset_req;
	pthread_mutex_unlock(&vm->lock);
	return go;
}

static void *
vmm_vcpu_thread(void *arg)
{
	struct vmm_vcpu *c = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (vmm_vcpu_gate(c))
		if (!c->vm->accel->vcpu_run(c))
			break;
	pthread_mutex_lock(&c->vm->lock);
	c->vm->running_threads--;
	pthread_cond_broadcast(&c->vm->cond);
	pthread_mutex_unlock(&c->vm->lock);
	return NULL;
}

int
vmm_vcpus_start(struct vmm *vm)
{
	struct sigaction sa;
	sigset_t set, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vmm_vcpu_sigusr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* vCPU threads unblock SIGUSR1 themselves; every other thread
	 * created from here inherits it blocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (uint32_t i = 0; i < vm->ncpus; i++) {
		struct vmm_vcpu *c = &vm->vcpus[i];

		/* under the lock: vmm_vcpus_kick() reads thread_started */
		pthread_mutex_lock(&vm->lock);
		vm->running_threads++;
		if (pthread_create(&c->thread, NULL, vmm_vcpu_thread, c)) {
			vm->running_threads--;
			pthread_mutex_unlock(&vm->lock);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return -EAGAIN;
		}
		c->thread_started = true;
		pthread_mutex_unlock(&vm->lock);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

/* Make every vCPU leave its run loop soon; call with vm->lock held. */
void
vmm_vcpus_kick(struct vmm *vm)
{
	for (uint32_t i = 0; i < vm->ncpus; i++) {
		struct vmm_vcpu *c = &vm->vcpus[i];

		__atomic_store_n(&c->kicked, true, __ATOMIC_RELEASE);
		vm->accel->vcpu_kick(c);
	}
}

/* Wait on vm->cond (vm->lock held) for a kicked vCPU to answer; every
 * 20 ms without an answer, kick again: an accelerator may miss a kick
 * that races with entering its run loop. */
void
vmm_vcpus_wait(struct vmm *vm)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += 20000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_nsec -= 1000000000;
		t.tv_sec++;
	}
	if (pthread_cond_timedwait(&vm->cond, &vm->lock, &t) == ETIMEDOUT)
		vmm_vcpus_kick(vm);
}

void
vmm_vcpus_join(struct vmm *vm)
{
	for (uint32_t i = 0; i < vm->ncpus; i++) {
		struct vmm_vcpu *c = &vm->vcpus[i];

		if (c->thread_started)
			pthread_join(c->thread, NULL);
		pthread_mutex_lock(&vm->lock);
		c->thread_started = false;
		pthread_mutex_unlock(&vm->lock);
	}
}
