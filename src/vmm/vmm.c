/*
 * vmm.c - the public VMM API (vmm.h): building a VM from its config, and
 * its lifecycle: start, pause, resume, reset, power off, wait.
 *
 * Threads: one per vCPU (vcpu.c), the display thread (display.c) and the
 * event loop (evloop.c).  A stop or reset can be requested from any of
 * them (a vCPU exit, the host API); the event loop carries it out, so a
 * vCPU thread never joins itself and the front end's stopped() callback
 * comes from one known thread.
 */
#define LOG_TAG "vmm"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "usb.h"
#include "vmm_internal.h"

#define VMM_MIB (1ull << 20)

uint64_t
vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* IRQs the VMM's other devices use (timer, keyboard, cascade, RTC,
 * mouse) cannot be shared with a UART: the lines are not shared. */
static bool
vmm_uart_irq_ok(uint8_t irq)
{
	return irq == 0 ||
	       (irq < 16 && irq != 1 && irq != 2 && irq != 8 && irq != 12);
}

static int
vmm_check_uarts(const struct vmm_config *cfg, char *err, size_t errlen)
{
	const struct vmm_uart_config *u = cfg->uart;
	uint16_t b0 = u[0].io_base ? u[0].io_base : VIREO_PORT_COM1;
	uint16_t b1 = u[1].io_base ? u[1].io_base : VIREO_PORT_COM2;
	uint8_t i0 = u[0].irq ? u[0].irq : 4, i1 = u[1].irq ? u[1].irq : 3;

	for (int i = 0; i < VMM_MAX_UARTS; i++) {
		if (!vmm_uart_irq_ok(u[i].irq)) {
			snprintf(err, errlen,
				 "COM%d: IRQ %u is not free (use 3, 4, 5, "
				 "6, 7, 9, 10, 11, 13, 14 or 15)",
				 i + 1, u[i].irq);
			return -EINVAL;
		}
		if (u[i].io_base > 0xfff8 || (unsigned)u[i].type > 2) {
			snprintf(err, errlen, "COM%d: bad I/O base or type",
				 i + 1);
			return -EINVAL;
		}
	}
	if (u[1].enabled && (b0 + 8 > b1 && b1 + 8 > b0)) {
		snprintf(err, errlen, "COM1 (0x%x) and COM2 (0x%x) overlap", b0,
			 b1);
		return -EINVAL;
	}
	if (u[1].enabled && i0 == i1) {
		snprintf(err, errlen, "COM1 and COM2 both use IRQ %u", i0);
		return -EINVAL;
	}
	return 0;
}

static int
vmm_check_config(const struct vmm_config *cfg, char *err, size_t errlen)
{
	if (cfg->cpus < 1 || cfg->cpus > VMM_MAX_CPUS) {
		snprintf(err, errlen, "CPU count %u out of range 1..%d",
			 cfg->cpus, VMM_MAX_CPUS);
		return -EINVAL;
	}
	if (cfg->heads < 1 || cfg->heads > VMM_MAX_HEADS) {
		snprintf(err, errlen, "monitor count %u out of range 1..%d",
			 cfg->heads, VMM_MAX_HEADS);
		return -EINVAL;
	}
	if (cfg->ram_bytes < 16 * VMM_MIB || cfg->ram_bytes > (1ull << 40)) {
		snprintf(err, errlen,
			 "RAM size %llu MiB out of range 16 MiB..1 TiB",
			 (unsigned long long)(cfg->ram_bytes / VMM_MIB));
		return -EINVAL;
	}
	if (!cfg->kernel || !*cfg->kernel) {
		snprintf(err, errlen, "no guest image given");
		return -EINVAL;
	}
	return vmm_check_uarts(cfg, err, errlen);
}

static char *
vmm_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Guest RAM and VRAM, both anonymous and reserved lazily. */
static int
vmm_map_memory(struct vmm *vm, char *err, size_t errlen)
{
	uint64_t per_head, total, bar = 1;

	vm->ram_size =
	    (vm->cfg.ram_bytes + 2 * VMM_MIB - 1) & ~(2 * VMM_MIB - 1);
	vm->ram_low =
	    vm->ram_size < VIREO_MMIO_HOLE ? vm->ram_size : VIREO_MMIO_HOLE;
	vm->ram_high = vm->ram_size - vm->ram_low;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		snprintf(err, errlen, "cannot map %llu MiB of guest RAM: %s",
			 (unsigned long long)(vm->ram_size / VMM_MIB),
			 strerror(errno));
		return -ENOMEM;
	}
	madvise(vm->ram, vm->ram_size, MADV_MERGEABLE);
	/* Each head gets an equal share, at least 16 MiB (2560x1600). */
	per_head = vm->cfg.vram_bytes / vm->heads;
	per_head &= ~(VMM_MIB - 1);
	if (per_head < 16 * VMM_MIB)
		per_head = 16 * VMM_MIB;
	total = per_head * vm->heads;
	while (bar < total)
		bar <<= 1;
	if (bar > VIREO_VRAM_MAX) {
		per_head = (VIREO_VRAM_MAX / vm->heads) & ~(VMM_MIB - 1);
		bar = VIREO_VRAM_MAX;
	}
	vm->vram_per_head = per_head;
	vm->vram_size = bar;
	vm->vram = mmap(NULL, bar, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->vram == MAP_FAILED) {
		vm->vram = NULL;
		snprintf(err, errlen, "cannot map VRAM: %s", strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

static int
vmm_load(struct vmm *vm, char *err, size_t errlen)
{
	if (vm->cfg.boot == VMM_BOOT_LINUX)
		return vmm_load_linux(vm, err, errlen);
	return vmm_load_testcard(vm, err, errlen);
}

static int
vmm_build(struct vmm *vm, char *err, size_t errlen)
{
	int r;

	if ((r = vmm_accel_select(vm, err, errlen)) ||
	    (r = vmm_map_memory(vm, err, errlen)))
		return r;
	log_info("accelerator: %s", vmm_accel_name(vm->accel->kind));
	if ((r = vmm_display_init(vm))) {
		snprintf(err, errlen, "display: %s", strerror(-r));
		return r;
	}
	if ((r = vmm_devices_init(vm))) {
		snprintf(err, errlen, "device setup failed: %s", strerror(-r));
		return r;
	}
	if ((r = vm->accel->vm_create(vm, err, errlen)) ||
	    (r = vmm_vcpus_create(vm, err, errlen)) ||
	    (r = vmm_load(vm, err, errlen)))
		return r;
	return 0;
}

int
vmm_create(const struct vmm_config *cfg, const struct vmm_display_ops *ops,
	   void *ctx, struct vmm **out, char *errbuf, size_t errlen)
{
	struct vmm *vm;
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	if ((r = vmm_check_config(cfg, errbuf, errlen)))
		return r;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	vm->cfg = *cfg;
	vm->kernel = vmm_strdup(cfg->kernel);
	vm->initrd = vmm_strdup(cfg->initrd);
	vm->cmdline = vmm_strdup(cfg->cmdline);
	vm->serial_log_path = vmm_strdup(cfg->serial_log);
	vm->cfg.kernel = vm->kernel;
	vm->cfg.initrd = vm->initrd;
	vm->cfg.cmdline = vm->cmdline;
	vm->cfg.serial_log = vm->serial_log_path;
	vm->ops = ops;
	vm->ctx = ctx;
	vm->kvm_fd = vm->vm_fd = vm->serial_fd = vm->ep_fd = vm->stop_efd = -1;
	vm->ncpus = cfg->cpus;
	vm->heads = cfg->heads;
	for (uint32_t i = 0; i < VMM_MAX_CPUS; i++)
		vm->vcpus[i].fd = -1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, &ca);
	pthread_mutex_init(&vm->ev_lock, NULL);
	pthread_cond_init(&vm->ev_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&vm->serial_lock, NULL);
	pthread_mutex_init(&vm->kvm_log_lock, NULL);
	vm->state = VMM_STATE_CREATED;

	if (vm->serial_log_path) {
		vm->serial_fd =
		    open(vm->serial_log_path,
			 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (vm->serial_fd < 0) {
			r = -errno;
			snprintf(errbuf, errlen,
				 "cannot open serial log %s: %s",
				 vm->serial_log_path, strerror(errno));
			vmm_destroy(vm);
			return r;
		}
	}
	r = vmm_build(vm, errbuf, errlen);
	if (r) {
		vmm_destroy(vm);
		return r;
	}
	*out = vm;
	return 0;
}

int
vmm_start(struct vmm *vm)
{
	int r;

	pthread_mutex_lock(&vm->lock);
	if (vm->state != VMM_STATE_CREATED || vm->restore_failed) {
		pthread_mutex_unlock(&vm->lock);
		return vm->restore_failed ? -EINVAL : -EBUSY;
	}
	__atomic_store_n(&vm->pause_req, vm->cfg.start_paused,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&vm->state,
			 vm->cfg.start_paused ? VMM_STATE_PAUSED
					      : VMM_STATE_RUNNING,
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->lock);
	if ((r = vmm_loop_start(vm)) || (r = vmm_display_start(vm)) ||
	    (r = vmm_vcpus_start(vm))) {
		vmm_request_stop(vm, VMM_EXIT_INTERNAL_ERROR);
		return r;
	}
	return 0;
}

int
vmm_pause(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VMM_STATE_RUNNING) {
		int r = vm->state == VMM_STATE_PAUSED ? 0 : -EINVAL;
		pthread_mutex_unlock(&vm->lock);
		return r;
	}
	__atomic_store_n(&vm->pause_req, true, __ATOMIC_RELEASE);
	vmm_vcpus_kick(vm);
	pthread_mutex_unlock(&vm->lock);
	vmm_guest_event(vm); /* wake a vCPU sleeping on the idle port */
	pthread_mutex_lock(&vm->lock);
	while (vm->paused_count < vm->running_threads && !vm->stop_req)
		vmm_vcpus_wait(vm);
	if (!vm->stop_req)
		__atomic_store_n(&vm->state, VMM_STATE_PAUSED,
				 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int
vmm_resume(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VMM_STATE_PAUSED) {
		int r = vm->state == VMM_STATE_RUNNING ? 0 : -EINVAL;
		pthread_mutex_unlock(&vm->lock);
		return r;
	}
	__atomic_store_n(&vm->pause_req, false, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->state, VMM_STATE_RUNNING, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

static void
vmm_notify_loop(struct vmm *vm)
{
	uint64_t one = 1;

	if (vm->stop_efd >= 0 && write(vm->stop_efd, &one, 8) < 0)
		log_warn("event loop notify: %s", strerror(errno));
}

void
vmm_request_stop(struct vmm *vm, enum vmm_exit_reason why)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->stop_req) {
		__atomic_store_n(&vm->stop_req, true, __ATOMIC_RELEASE);
		vm->reason = why;
		vmm_vcpus_kick(vm);
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	vmm_guest_event(vm);
	vmm_notify_loop(vm);
}

void
vmm_request_reset(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->power_button) {
		/* the guest answered the power button by resetting (Linux
		 * after Ctrl-Alt-Del): that is its way of turning off */
		pthread_mutex_unlock(&vm->lock);
		vmm_request_stop(vm, VMM_EXIT_POWEROFF);
		return;
	}
	if (!vm->reset_req && !vm->stop_req) {
		__atomic_store_n(&vm->reset_req, true, __ATOMIC_RELEASE);
		vmm_vcpus_kick(vm);
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	vmm_guest_event(vm);
	vmm_notify_loop(vm);
}

int
vmm_reset(struct vmm *vm)
{
	if (vmm_get_state(vm) == VMM_STATE_CREATED ||
	    vmm_get_state(vm) == VMM_STATE_POWERED_OFF)
		return -EINVAL;
	vmm_request_reset(vm);
	pthread_mutex_lock(&vm->lock);
	while (vm->reset_req && !vm->stop_req)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int
vmm_poweroff(struct vmm *vm)
{
	if (vmm_get_state(vm) == VMM_STATE_CREATED ||
	    vmm_get_state(vm) == VMM_STATE_POWERED_OFF)
		return -EINVAL;
	vmm_request_stop(vm, VMM_EXIT_HOST_POWEROFF);
	return 0;
}

/* No ACPI: the button is Ctrl-Alt-Del on the keyboard.  The testcard
 * powers off on it; Linux reboots, and that reset then counts as the
 * power off. */
int
vmm_power_button(struct vmm *vm)
{
	if (vmm_get_state(vm) != VMM_STATE_RUNNING)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	vm->power_button = true;
	pthread_mutex_unlock(&vm->lock);
	vmm_input_key(vm, 0x1d, false, false); /* Ctrl */
	vmm_input_key(vm, 0x38, false, false); /* Alt */
	vmm_input_key(vm, 0x53, true, false);  /* Delete (E0 53) */
	vmm_input_key(vm, 0x53, true, true);
	vmm_input_key(vm, 0x38, false, true);
	vmm_input_key(vm, 0x1d, false, true);
	return 0;
}

const char *
vmm_exit_reason_name(enum vmm_exit_reason why)
{
	static const char *const names[] = {"poweroff", "host-poweroff",
					    "reset", "triple-fault",
					    "internal-error"};

	return (unsigned)why < sizeof(names) / sizeof(names[0]) ? names[why]
								: "unknown";
}

const char *
vmm_state_name(enum vmm_state state)
{
	static const char *const names[] = {"created", "running", "paused",
					    "poweroff"};

	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state]
								  : "unknown";
}

enum vmm_state
vmm_get_state(const struct vmm *vm)
{
	return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
}

enum vmm_exit_reason
vmm_wait(struct vmm *vm)
{
	enum vmm_exit_reason r;

	pthread_mutex_lock(&vm->lock);
	while (!vm->stopped_notified)
		pthread_cond_wait(&vm->cond, &vm->lock);
	r = vm->reason;
	pthread_mutex_unlock(&vm->lock);
	return r;
}

void
vmm_destroy(struct vmm *vm)
{
	if (!vm)
		return;
	if (vmm_get_state(vm) == VMM_STATE_RUNNING ||
	    vmm_get_state(vm) == VMM_STATE_PAUSED) {
		vmm_request_stop(vm, VMM_EXIT_HOST_POWEROFF);
		vmm_wait(vm);
	}
	vmm_loop_stop(vm);
	vmm_display_stop(vm);
	vmm_vcpus_join(vm);
	if (vm->accel) {
		vmm_vcpus_destroy(vm);
		vm->accel->vm_destroy(vm);
		vm->accel->close(vm);
	}
	vmm_devices_destroy(vm);
	vmm_display_destroy(vm);
	if (vm->serial_fd >= 0)
		close(vm->serial_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->vram)
		munmap(vm->vram, vm->vram_size);
	free(vm->mig_ram_buf);
	free(vm->mig_vram_buf);
	free(vm->kvm_vram_pending);
	free(vm->kvm_log_buf);
	free(vm->cpuid);
	free(vm->accel_fallback);
	free(vm->kernel);
	free(vm->initrd);
	free(vm->cmdline);
	free(vm->serial_log_path);
	free(vm);
}

/* ---- guest events and the idle port --------------------------------- */

void
vmm_guest_event(struct vmm *vm)
{
	pthread_mutex_lock(&vm->ev_lock);
	vm->guest_event = true;
	pthread_cond_broadcast(&vm->ev_cond);
	pthread_mutex_unlock(&vm->ev_lock);
}

void
vmm_idle_wait(struct vmm *vm, uint32_t usec)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += (long)(usec % 1000000) * 1000;
	t.tv_sec += usec / 1000000 + t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	pthread_mutex_lock(&vm->ev_lock);
	while (!vm->guest_event &&
	       !__atomic_load_n(&vm->pause_req, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&vm->stop_req, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&vm->reset_req, __ATOMIC_RELAXED))
		if (pthread_cond_timedwait(&vm->ev_cond, &vm->ev_lock, &t) ==
		    ETIMEDOUT)
			break;
	vm->guest_event = false;
	pthread_mutex_unlock(&vm->ev_lock);
}

/* ---- display model and input -------------------------------------- */

uint32_t
vmm_head_count(const struct vmm *vm)
{
	return vm->heads;
}

void
vmm_head_lock(struct vmm *vm, uint32_t head)
{
	if (head < vm->heads)
		pthread_mutex_lock(&vm->head[head].lock);
}

void
vmm_head_unlock(struct vmm *vm, uint32_t head)
{
	if (head < vm->heads)
		pthread_mutex_unlock(&vm->head[head].lock);
}

int
vmm_head_query(struct vmm *vm, uint32_t head, struct vmm_head_info *out)
{
	struct vmm_head *h;

	if (head >= vm->heads)
		return -EINVAL;
	h = &vm->head[head];
	pthread_mutex_lock(&h->lock);
	out->enabled = h->enabled && h->shadow;
	out->width = h->enabled ? h->width : 0;
	out->height = h->enabled ? h->height : 0;
	out->stride = h->width * 4; /* the shadow is packed */
	out->pixels = h->shadow;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void
vmm_display_refresh(struct vmm *vm)
{
	vmm_display_sync(vm);
}

int
vmm_head_mode_hint(struct vmm *vm, uint32_t head, uint32_t w, uint32_t h)
{
	return vmm_display_hint(vm->disp, head, w, h);
}

int
vmm_input_key(struct vmm *vm, uint8_t code, bool e0, bool release)
{
	return vmm_i8042_key(vm->kbd, code, e0, release);
}

int
vmm_input_scancodes(struct vmm *vm, const uint8_t *codes, size_t n)
{
	return vmm_i8042_scancodes(vm->kbd, codes, n);
}

int
vmm_input_pointer(struct vmm *vm, uint32_t head, int32_t x, int32_t y,
		  uint32_t buttons, int32_t wheel, int32_t hwheel)
{
	int r =
	    vmm_display_pointer(vm->disp, head, x, y, buttons, wheel, hwheel);

	if (!r && vm->tablet)
		vmm_tablet_pointer(vm, head, x, y, buttons, wheel);
	return r;
}

/* The heads side by side make the tablet's desktop (vireo_hw.h). */
void
vmm_tablet_pointer(struct vmm *vm, uint32_t head, int32_t x, int32_t y,
		   uint32_t buttons, int32_t wheel)
{
	uint32_t x0 = 0, total_w = 0, max_h = 0;
	uint64_t tx, ty;

	for (uint32_t i = 0; i < vm->heads; i++) {
		bool en;
		uint32_t w, h, stride;

		vmm_display_get_mode(vm, i, &en, &w, &h, &stride);
		if (!en)
			w = h = 0;
		if (i < head)
			x0 += w;
		total_w += w;
		max_h = h > max_h ? h : max_h;
	}
	x = x < 0 ? 0 : x;
	y = y < 0 ? 0 : y;
	tx = total_w > 1 ? ((uint64_t)x0 + (uint32_t)x) * VIREO_TABLET_MAX /
			       (total_w - 1)
			 : 0;
	ty = max_h > 1 ? (uint64_t)(uint32_t)y * VIREO_TABLET_MAX / (max_h - 1)
		       : 0;
	usb_tablet_event(
	    vm->tablet,
	    (uint32_t)(tx > VIREO_TABLET_MAX ? VIREO_TABLET_MAX : tx),
	    (uint32_t)(ty > VIREO_TABLET_MAX ? VIREO_TABLET_MAX : ty), buttons,
	    wheel);
}

void
vmm_set_uart_host(struct vmm *vm, const struct vmm_uart_host_ops *ops,
		  void *ctx)
{
	pthread_mutex_lock(&vm->serial_lock);
	vm->uart_host = ops;
	vm->uart_host_ctx = ctx;
	pthread_mutex_unlock(&vm->serial_lock);
}

bool
vmm_uart_present(const struct vmm *vm, uint32_t port)
{
	return port < VMM_MAX_UARTS && vm->uart[port];
}

int
vmm_uart_receive(struct vmm *vm, uint32_t port, const uint8_t *buf, size_t len)
{
	if (!vmm_uart_present(vm, port))
		return -ENODEV;
	return vmm_uart_rx(vm->uart[port], buf, len);
}

void
vmm_set_serial_sink(struct vmm *vm,
		    void (*sink)(void *ctx, const char *buf, size_t len),
		    void *ctx)
{
	pthread_mutex_lock(&vm->serial_lock);
	vm->serial_sink = sink;
	vm->serial_ctx = ctx;
	pthread_mutex_unlock(&vm->serial_lock);
}
