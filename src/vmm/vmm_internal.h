/*
 * vmm_internal.h - what the parts of the VMM share: struct vmm, the
 * accelerator ops table, the I/O bus, the device ops table, the display
 * model and the loaders.  Not installed; front ends use vmm.h only.
 */
#ifndef VIREO_VMM_INTERNAL_H
#define VIREO_VMM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "vmm.h"
#include "vireo_hw.h"
#include "state.h"

#define VMM_MAX_CPUS	 64
#define VMM_MAX_RANGES	 32
#define VMM_SLOT_RAM_LOW 0
#define VMM_SLOT_RAM_HI	 1
#define VMM_SLOT_VRAM	 2
#define VMM_LOOP_FDS	 8

struct vmm;
struct usb_device;

/* One I/O port or MMIO range on a bus.  Handlers run on vCPU threads,
 * concurrently; a device locks its own state. */
struct vmm_io_ops {
	void (*read)(void *dev, uint64_t addr, uint8_t *data, uint32_t len);
	void (*write)(void *dev, uint64_t addr, const uint8_t *data,
		      uint32_t len);
};

struct vmm_io_range {
	uint64_t base, len;
	const struct vmm_io_ops *ops;
	void *dev;
};

struct vmm_bus {
	struct vmm_io_range r[VMM_MAX_RANGES];
	int n;
};

/* Devices (devices.c holds the table).  Phases order the init calls. */
enum vmm_dev_phase {
	VMM_PHASE_BUS = 0, /* buses other devices plug into (PCI host) */
	VMM_PHASE_DEV,	   /* ordinary devices */
};

struct vmm_device_ops {
	const char *name;
	enum vmm_dev_phase phase;
	/* create state, register ranges; 0 or -errno */
	int (*init)(struct vmm *vm, void **state);
	/* back to power-on state (VM reset); may be NULL */
	void (*reset)(void *state);
	void (*destroy)(void *state);
	/* Saved state (snapshot.c): the device's record, tagged @tag (4
	 * characters) at version @version.  save() writes the fields into
	 * the open record (the VM is paused); load() reads them back on a
	 * VM that has not run yet, checks every value and says in @err
	 * what is wrong (0 or -EPROTO).  NULL for a device without state. */
	const char *tag;
	uint16_t version;
	void (*save)(void *state, struct vmm_sw *w);
	int (*load)(void *state, struct vmm_sr *r, char *err, size_t errlen);
};

/* A PCI function on bus 0: 256 bytes of config space.  BAR sizes are
 * given as masks (~(size - 1)); BARs are assigned by the VMM and fixed. */
struct vmm_pci_dev {
	uint8_t slot;
	uint8_t cfg[256];
	uint32_t bar_mask[6];
	/* called (PCI lock held) after the guest wrote a BAR or the command
	 * register, so the device can follow where its BARs now decode */
	void (*remap)(struct vmm_pci_dev *d);
};

struct vmm_vcpu {
	struct vmm *vm;
	int id;
	int fd;		     /* KVM */
	struct kvm_run *run; /* KVM */
	void *soft;	     /* software CPU: its engine */
	bool kicked;	     /* leave vcpu_run soon (atomic) */
	pthread_t thread;
	bool thread_started;
};

/* An accelerator runs the vCPUs on the VM's memory (accel_kvm*.c,
 * accel_soft.c); everything else in the VMM is shared.  Functions return
 * 0 or -errno and, where they take @err, say why in one line. */
struct vmm_accel_ops {
	enum vmm_accel kind;
	/* can it run here, and can it run this VM's config */
	int (*open)(struct vmm *vm, char *err, size_t errlen);
	void (*close)(struct vmm *vm);
	/* the VM on the mapped RAM and VRAM; a reset destroys and creates
	 * it again on the same memory */
	int (*vm_create)(struct vmm *vm, char *err, size_t errlen);
	void (*vm_destroy)(struct vmm *vm);
	int (*vcpu_create)(struct vmm_vcpu *c, char *err, size_t errlen);
	void (*vcpu_destroy)(struct vmm_vcpu *c);
	/* see vmm_vcpu_setup_long_mode() */
	int (*vcpu_long_mode)(struct vmm_vcpu *c, bool user, uint64_t rip,
			      uint64_t rsp, uint64_t rsi);
	/* vm->lock held, between two runs: forget an old kick */
	void (*vcpu_arm)(struct vmm_vcpu *c);
	/* run the guest until something needs the VMM; false: leave the
	 * vCPU thread (the VM is stopping) */
	bool (*vcpu_run)(struct vmm_vcpu *c);
	/* any thread, vm->lock held: make vcpu_run return soon */
	void (*vcpu_kick)(struct vmm_vcpu *c);
	int (*irq_line)(struct vmm *vm, uint32_t irq, int level);
	/* place VRAM at @gpa, or nowhere (VMM_BUS_UNMAPPED) */
	int (*map_vram)(struct vmm *vm, uint64_t gpa);
	/* VRAM pages written since the last call, one bit each; -ENOTSUP
	 * when it cannot tell (the display then compares every pixel) */
	int (*dirty_log)(struct vmm *vm, uint8_t *bitmap);
	/* Saved state: the VM-wide record (@vm_tag; NULL: none) and each
	 * vCPU's (@vcpu_tag), written with the VM paused and read back on
	 * a VM that has not run yet, in the order the record lists. */
	const char *vm_tag, *vcpu_tag;
	uint16_t vm_version, vcpu_version;
	int (*vm_save)(struct vmm *vm, struct vmm_sw *w, char *err,
		       size_t errlen);
	int (*vm_load)(struct vmm *vm, struct vmm_sr *r, char *err,
		       size_t errlen);
	int (*vcpu_save)(struct vmm_vcpu *c, struct vmm_sw *w, char *err,
			 size_t errlen);
	int (*vcpu_load)(struct vmm_vcpu *c, struct vmm_sr *r, char *err,
			 size_t errlen);
	/* Teleporting: with the VM paused, start (@on) or stop calling
	 * vmm_mig_mark() for every guest write to RAM and VRAM; NULL when
	 * the accelerator cannot (the whole transfer then happens with the
	 * VM paused).  0 or -errno. */
	int (*mig_track)(struct vmm *vm, bool on);
	/* Teleporting, while tracking: bring the accelerator's own record
	 * of written pages into vm->mig_ram / mig_vram (KVM's dirty logs);
	 * called before each count and round.  NULL when mig_track's
	 * marks arrive by themselves (the software CPU's write hook). */
	int (*mig_sync)(struct vmm *vm);
};

extern const struct vmm_accel_ops vmm_accel_kvm;
/* accel_kvm_vcpu.c, for the KVM ops table */
int vmm_kvm_vcpu_create(struct vmm_vcpu *c, char *err, size_t errlen);
void vmm_kvm_vcpu_destroy(struct vmm_vcpu *c);
int vmm_kvm_vcpu_long_mode(struct vmm_vcpu *c, bool user, uint64_t rip,
			   uint64_t rsp, uint64_t rsi);
void vmm_kvm_vcpu_arm(struct vmm_vcpu *c);
bool vmm_kvm_vcpu_run(struct vmm_vcpu *c);
void vmm_kvm_vcpu_kick(struct vmm_vcpu *c);
extern const struct vmm_accel_ops vmm_accel_soft;
/* accel_kvm_state.c */
int vmm_kvm_vm_save(struct vmm *vm, struct vmm_sw *w, char *err, size_t errlen);
int vmm_kvm_vm_load(struct vmm *vm, struct vmm_sr *r, char *err, size_t errlen);
int vmm_kvm_vcpu_save(struct vmm_vcpu *c, struct vmm_sw *w, char *err,
		      size_t errlen);
int vmm_kvm_vcpu_load(struct vmm_vcpu *c, struct vmm_sr *r, char *err,
		      size_t errlen);
/* accel_soft_state.c, on the engine of accel_soft.c */
struct uc_struct *vmm_soft_engine(struct vmm_vcpu *c);
int vmm_soft_vcpu_save(struct vmm_vcpu *c, struct vmm_sw *w, char *err,
		       size_t errlen);
int vmm_soft_vcpu_load(struct vmm_vcpu *c, struct vmm_sr *r, char *err,
		       size_t errlen);

/* One head as the host sees it (published by the display thread). */
struct vmm_head {
	pthread_mutex_t lock; /* recursive: vmm_head_lock() */
	bool enabled;
	uint32_t width, height, stride;
	uint8_t *shadow; /* last frame handed to the host */
	size_t shadow_cap;
	/* set by the display device under disp_lock */
	bool mode_pending;
	bool p_enabled;
	uint32_t p_width, p_height, p_stride;
	/* explicit flush rectangles, merged to one bounding box */
	bool flush_pending;
	struct vmm_rect flush;
};

struct vmm {
	struct vmm_config cfg;
	char *kernel, *initrd, *cmdline, *serial_log_path;
	const struct vmm_display_ops *ops;
	void *ctx;

	const struct vmm_accel_ops *accel;
	char *accel_fallback; /* why AUTO chose software, or NULL */
	int kvm_fd, vm_fd;
	int run_size;
	uint64_t tsc_khz;
	struct kvm_cpuid2 *cpuid;
	void *soft; /* software CPU: its VM-wide state */

	uint8_t *ram;
	uint64_t ram_size, ram_low, ram_high; /* high part sits at 4 GiB */
	uint8_t *vram;
	uint64_t vram_size, vram_per_head;
	uint64_t vram_gpa; /* where BAR2 decodes, VMM_BUS_UNMAPPED if not */

	struct vmm_vcpu vcpus[VMM_MAX_CPUS];
	uint32_t ncpus;

	struct vmm_bus pio, mmio;
	void *dev_state[16];
	const struct vmm_device_ops *dev_ops[16];
	int ndev;
	struct vmm_pci_dev *pci[32];
	void *kbd;		   /* dev_isa_i8042 */
	void *uart[VMM_MAX_UARTS]; /* dev_isa_uart, NULL: no such port */
	void *disp;		   /* dev_pci_display */
	void *ohci;		   /* dev_pci_ohci, NULL: no USB */
	struct usb_device *tablet; /* on the OHCI root hub, or NULL */

	/* lifecycle, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vmm_state state;
	bool pause_req, stop_req, reset_req;
	bool power_button;   /* a guest reset now means power off */
	uint32_t boot_count; /* resets so far */
	bool loop_quit;
	uint32_t paused_count, running_threads;
	enum vmm_exit_reason reason;
	bool stopped_notified;

	/* guest events for VIREO_PORT_IDLE */
	pthread_mutex_t ev_lock;
	pthread_cond_t ev_cond;
	bool guest_event;

	/* serial */
	int serial_fd;
	pthread_mutex_t serial_lock;
	void (*serial_sink)(void *ctx, const char *buf, size_t len);
	void *serial_ctx;
	const struct vmm_uart_host_ops *uart_host; /* under serial_lock */
	void *uart_host_ctx;

	/* display model */
	uint32_t heads;
	struct vmm_head head[VMM_MAX_HEADS];
	pthread_mutex_t disp_lock;
	pthread_t disp_thread;
	bool disp_started;
	uint8_t *dirty_bitmap;
	uint64_t first_frame_ns; /* 0 until the first refresh with damage */
	/* vmm_display_sync(): refreshes asked for / done, under lock */
	uint64_t disp_sync_req, disp_sync_done;
	bool disp_kick; /* the guest presented: refresh before the tick */
	uint64_t disp_presents; /* refreshes a present started */
	/* a restore failed half way: this VM must not start */
	bool restore_failed;
	/* teleport.c's dirty log (vmm_mig_mark), NULL when not tracking;
	 * the memory behind them (mig_*_buf) lives as long as the VM, so a
	 * device thread that read a pointer just before tracking stopped
	 * still writes into allocated memory */
	uint64_t *mig_ram, *mig_vram;
	uint64_t *mig_ram_buf, *mig_vram_buf;
	/* accel_kvm.c: KVM_GET_DIRTY_LOG of the VRAM slot clears it, and
	 * both the display and migration read it: under this lock, each
	 * hands the other the bits it took (kvm_vram_pending: taken by
	 * migration, not yet seen by the display) */
	pthread_mutex_t kvm_log_lock;
	bool kvm_mig_on;
	uint64_t *kvm_vram_pending, *kvm_log_buf;

	/* event loop (epoll) */
	int ep_fd, stop_efd;
	struct {
		int fd;
		void (*cb)(struct vmm *vm);
	} loop_fds[VMM_LOOP_FDS];
	pthread_t loop_thread;
	bool loop_started;
};

/* snapshot.c, the pieces of a state stream that teleport.c sends in
 * its own order: the "VM  " record, memory (pages of zeros left out),
 * and devices + accelerator + END (0 or -errno, @err says why) */
void vmm_snap_save_config(struct vmm *vm, struct vmm_sw *w);
int vmm_snap_save_mem(struct vmm_sw *w, const char *tag, const uint8_t *mem,
		      uint64_t size);
int vmm_snap_save_tail(struct vmm *vm, struct vmm_sw *w, char *err,
		       size_t errlen);

/* teleport.c: migration's own dirty log, one bit per 4 KiB page of RAM
 * (as vm->ram lays it out) and of VRAM.  An accelerator's write hook
 * calls vmm_mig_mark() with guest-physical addresses while tracking is
 * on; teleport.c takes the bits with an atomic exchange, so no write
 * between two rounds is lost.  The display's damage tracking never
 * reads or clears these bitmaps (and this never reads the display's). */
void vmm_mig_mark(struct vmm *vm, uint64_t gpa, uint64_t len);

/* bus.c */
int vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len,
		const struct vmm_io_ops *ops, void *dev);
/* Move the range of @dev at @old_base to @new_base (VMM_BUS_UNMAPPED:
 * nowhere), safely while vCPUs run. */
#define VMM_BUS_UNMAPPED UINT64_MAX
void vmm_bus_move(struct vmm_bus *bus, void *dev, uint64_t old_base,
		  uint64_t new_base);
bool vmm_bus_access(struct vmm_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write);
int vmm_pci_add(struct vmm *vm, struct vmm_pci_dev *dev);
void vmm_pci_set_id(struct vmm_pci_dev *d, uint16_t vendor, uint16_t device,
		    uint32_t class_rev);
void vmm_pci_set_bar(struct vmm_pci_dev *d, int bar, uint64_t addr,
		     uint64_t size, uint32_t flags);

/* devices.c */
int vmm_devices_init(struct vmm *vm);
void vmm_devices_reset(struct vmm *vm);
void vmm_devices_destroy(struct vmm *vm);

/* accel.c: choosing the accelerator, and what devices call */
int vmm_accel_select(struct vmm *vm, char *err, size_t errlen);
int vmm_irq_line(struct vmm *vm, uint32_t irq, int level);
int vmm_map_vram(struct vmm *vm, uint64_t gpa);
const char *vmm_kvm_device(void);
/* the host's TSC rate in kHz, measured against CLOCK_MONOTONIC */
uint64_t vmm_tsc_calibrate(void);

/* vcpu.c: the vCPU threads, whatever the accelerator */
int vmm_vcpus_create(struct vmm *vm, char *err, size_t errlen);
int vmm_vcpus_start(struct vmm *vm);
void vmm_vcpus_join(struct vmm *vm);
void vmm_vcpus_destroy(struct vmm *vm);
void vmm_vcpus_kick(struct vmm *vm);
void vmm_vcpus_wait(struct vmm *vm);
/* 64-bit mode, paging on the identity map vmm_boot_build_tables()
 * wrote.  @user: start at CPL3 with IOPL 3 (the testcard), else CPL0
 * (Linux).  No IDT: any exception is a triple fault. */
int vmm_vcpu_setup_long_mode(struct vmm_vcpu *c, bool user, uint64_t rip,
			     uint64_t rsp, uint64_t rsi);
/* a port or MMIO access from the guest; unclaimed reads give all ones */
void vmm_vcpu_pio(struct vmm *vm, uint16_t port, uint8_t *data, uint32_t len,
		  bool is_write);
void vmm_vcpu_mmio(struct vmm *vm, uint64_t addr, uint8_t *data, uint32_t len,
		   bool is_write);

/* vmm.c: stop the VM for @why (first reason wins); any thread */
void vmm_request_stop(struct vmm *vm, enum vmm_exit_reason why);
void vmm_request_reset(struct vmm *vm);
void vmm_guest_event(struct vmm *vm);
void vmm_idle_wait(struct vmm *vm, uint32_t usec);
uint64_t vmm_now_ns(void);

/* loaders */
void vmm_boot_build_tables(struct vmm *vm);
int vmm_load_testcard(struct vmm *vm, char *err, size_t errlen);
int vmm_load_linux(struct vmm *vm, char *err, size_t errlen);
void vmm_mptable_build(struct vmm *vm);
void *vmm_gpa(struct vmm *vm, uint64_t gpa, uint64_t len);

/* serial output (dev_isa_uart.c): COM1 also goes to the serial log */
void vmm_serial_out(struct vmm *vm, uint32_t port, const char *buf, size_t len);
int vmm_uart_rx(void *uart, const uint8_t *buf, size_t len);

/* display.c: the model, fed by dev_pci_display.c */
int vmm_display_init(struct vmm *vm);
int vmm_display_start(struct vmm *vm);
void vmm_display_stop(struct vmm *vm);
void vmm_display_destroy(struct vmm *vm);
void vmm_display_set_mode(struct vmm *vm, uint32_t head, bool enabled,
			  uint32_t w, uint32_t h, uint32_t stride);
void vmm_display_flush(struct vmm *vm, uint32_t head, const struct vmm_rect *r);
/** The guest presented (VIREO_DISP_REG_PRESENT): refresh soon. */
void vmm_display_kick(struct vmm *vm);
void vmm_display_default_mode(uint32_t head, uint32_t *w, uint32_t *h);
/* One refresh now, also while paused, so the host's copy of every head
 * equals VRAM (before a save); returns when it is done. */
void vmm_display_sync(struct vmm *vm);
/* The mode the model has for @head (a pending one if not yet applied). */
void vmm_display_get_mode(struct vmm *vm, uint32_t head, bool *enabled,
			  uint32_t *w, uint32_t *h, uint32_t *stride);

/* input entry points of devices */
int vmm_i8042_key(void *kbd, uint8_t code, bool e0, bool release);
int vmm_i8042_scancodes(void *kbd, const uint8_t *codes, size_t n);
void vmm_i8042_mouse(void *kbd, int dx, int dy, uint32_t buttons, int wheel);
int vmm_display_pointer(void *disp, uint32_t head, int32_t x, int32_t y,
			uint32_t buttons, int32_t wheel, int32_t hwheel);
int vmm_display_hint(void *disp, uint32_t head, uint32_t w, uint32_t h);

/* dev_pci_ohci.c: a device arrives on a free root-hub port (the guest
 * sees a connect) or leaves it (a disconnect; what was in flight is
 * cancelled).  attach: the port index or -ENOSPC/-ENODEV; detach: the
 * device, now the caller's again, or NULL. */
int vmm_ohci_attach(struct vmm *vm, struct usb_device *dev);
/* vmm.c: a host pointer event (pixels on @head) to the USB tablet */
void vmm_tablet_pointer(struct vmm *vm, uint32_t head, int32_t x, int32_t y,
			uint32_t buttons, int32_t wheel);
struct usb_device *vmm_ohci_detach(struct vmm *vm, int port);

/* evloop.c */
int vmm_loop_start(struct vmm *vm);
void vmm_loop_stop(struct vmm *vm);
int vmm_loop_add_fd(struct vmm *vm, int fd, void (*cb)(struct vmm *vm));
int vmm_read_file(const char *path, uint8_t **out, size_t *len, char *err,
		  size_t errlen);

#endif /* VIREO_VMM_INTERNAL_H */
