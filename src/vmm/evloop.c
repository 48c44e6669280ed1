/*
 * evloop.c - the VM's device event loop: one thread on an epoll set.
 *
 * It owns the heavy lifecycle work that must not run on a vCPU thread:
 * when a stop or reset is requested (an eventfd is written), it joins the
 * vCPU threads, stops the display thread, and either reports the stop
 * (vmm_display_ops.stopped, then vmm_wait returns) or rebuilds the VM and
 * boots the guest again.  Other file descriptors can be added with
 * vmm_loop_add_fd().
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "vmm_internal.h"

int
vmm_loop_add_fd(struct vmm *vm, int fd, void (*cb)(struct vmm *vm))
{
	struct epoll_event ev = {.events = EPOLLIN};

	for (int i = 0; i < VMM_LOOP_FDS; i++) {
		if (vm->loop_fds[i].cb)
			continue;
		vm->loop_fds[i].fd = fd;
		vm->loop_fds[i].cb = cb;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(vm->ep_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			vm->loop_fds[i].cb = NULL;
			return -errno;
		}
		return 0;
	}
	return -ENOSPC;
}

static void
loop_wait_vcpus(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vmm_vcpus_kick(vm);
	while (vm->running_threads)
		vmm_vcpus_wait(vm);
	pthread_mutex_unlock(&vm->lock);
	vmm_vcpus_join(vm);
}

static void
loop_do_stop(struct vmm *vm)
{
	loop_wait_vcpus(vm);
	vmm_display_stop(vm);
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->state, VMM_STATE_POWERED_OFF, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->lock);
	log_info("VM stopped: %s", vmm_exit_reason_name(vm->reason));
	if (vm->ops && vm->ops->stopped)
		vm->ops->stopped(vm->ctx, vm->reason);
	pthread_mutex_lock(&vm->lock);
	vm->stopped_notified = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

/* A hard reset: a fresh accelerator VM on the same (zeroed) memory,
 * devices back to power-on state, the guest loaded again. */
static int
loop_do_reset(struct vmm *vm)
{
	char err[256];
	int r;

	log_info("VM reset");
	loop_wait_vcpus(vm);
	vmm_display_stop(vm);
	vmm_vcpus_destroy(vm);
	vm->accel->vm_destroy(vm);
	madvise(vm->ram, vm->ram_size, MADV_DONTNEED);
	madvise(vm->vram, vm->vram_size, MADV_DONTNEED);
	vmm_devices_reset(vm);
	vm->boot_count++;
	if ((r = vm->accel->vm_create(vm, err, sizeof(err))) ||
	    (r = vmm_vcpus_create(vm, err, sizeof(err))) ||
	    (r = (vm->cfg.boot == VMM_BOOT_LINUX
		      ? vmm_load_linux(vm, err, sizeof(err))
		      : vmm_load_testcard(vm, err, sizeof(err))))) {
		log_err("reset failed: %s", err);
		return r;
	}
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->reset_req, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	if ((r = vmm_display_start(vm)) || (r = vmm_vcpus_start(vm)))
		return r;
	return 0;
}

static void
loop_lifecycle(struct vmm *vm)
{
	uint64_t v;
	bool stop, reset;

	if (read(vm->stop_efd, &v, 8) < 0 && errno != EAGAIN)
		log_warn("event loop: %s", strerror(errno));
	pthread_mutex_lock(&vm->lock);
	stop = vm->stop_req && !vm->stopped_notified;
	reset = vm->reset_req;
	pthread_mutex_unlock(&vm->lock);
	if (stop) {
		loop_do_stop(vm);
		__atomic_store_n(&vm->loop_quit, true, __ATOMIC_RELEASE);
	} else if (reset && loop_do_reset(vm)) {
		vmm_request_stop(vm, VMM_EXIT_INTERNAL_ERROR);
	}
}

static void *
loop_thread(void *arg)
{
	struct vmm *vm = arg;

	while (!__atomic_load_n(&vm->loop_quit, __ATOMIC_ACQUIRE)) {
		struct epoll_event ev[4];
		int n = epoll_wait(vm->ep_fd, ev, 4, -1);

		for (int i = 0; i < n; i++) {
			uint32_t k = ev[i].data.u32;

			if (k == UINT32_MAX)
				loop_lifecycle(vm);
			else if (k < VMM_LOOP_FDS && vm->loop_fds[k].cb)
				vm->loop_fds[k].cb(vm);
		}
	}
	return NULL;
}

int
vmm_loop_start(struct vmm *vm)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};

	vm->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->ep_fd < 0 || vm->stop_efd < 0 ||
	    epoll_ctl(vm->ep_fd, EPOLL_CTL_ADD, vm->stop_efd, &ev) < 0)
		return -errno;
	if (pthread_create(&vm->loop_thread, NULL, loop_thread, vm))
		return -EAGAIN;
	vm->loop_started = true;
	return 0;
}

void
vmm_loop_stop(struct vmm *vm)
{
	uint64_t one = 1;

	if (vm->loop_started) {
		__atomic_store_n(&vm->loop_quit, true, __ATOMIC_RELEASE);
		if (write(vm->stop_efd, &one, 8) < 0)
			log_warn("event loop: %s", strerror(errno));
		pthread_join(vm->loop_thread, NULL);
		vm->loop_started = false;
	}
	if (vm->ep_fd >= 0)
		close(vm->ep_fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	vm->ep_fd = vm->stop_efd = -1;
}
