/*
 * vmm.h - vireo's virtual machine monitor: the API the front end uses.
 *
 * One struct vmm is one VM: vCPU threads, guest RAM, devices (one file
 * each, registered in devices.c), a device event loop, and the display
 * model (N heads of XRGB8888 with damage tracking).  The CPU is run by an
 * accelerator: KVM, or a software CPU (Unicorn, QEMU's TCG) on hosts
 * without a usable /dev/kvm; nothing outside src/vmm depends on which.
 *
 * Errors: 0 or a negative errno.  Library code never exits the process.
 *
 * Process-wide effects: vmm_start() installs a no-op SIGUSR1 handler (it
 * kicks vCPU threads out of KVM_RUN); do not use SIGUSR1 elsewhere.
 * Threads per VM: one per vCPU, a display thread (the display ops are
 * called from it), and an event-loop thread (stopped() is called from it).
 * Guest memory map, ports and the display device's registers: vireo_hw.h.
 * Never call vmm_destroy() from a callback; call it after vmm_wait().
 */
#ifndef VIREO_VMM_H
#define VIREO_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_MAX_HEADS 16

/* Which CPU runs the guest.  AUTO: KVM when /dev/kvm opens and passes
 * the API and capability checks, else the software CPU (the VM then
 * says why in vmm_accel_fallback()).  The software CPU delivers no
 * interrupts or exceptions: it runs the testcard (one vCPU), not Linux. */
enum vmm_accel {
	VMM_ACCEL_AUTO = 0,
	VMM_ACCEL_KVM,
	VMM_ACCEL_SOFTWARE,
};

/* The guest's serial ports (dev_isa_uart.c).  Slot 0 is COM1, which
 * always exists (the serial log's port): io_base/irq 0 mean 0x3f8/4.
 * Slot 1 (COM2) exists when enabled; io_base/irq 0 mean 0x2f8/3. */
#define VMM_MAX_UARTS 2

enum vmm_uart_type {
	VMM_UART_16550A = 0, /* 16-byte FIFOs (the default) */
	VMM_UART_16450,	     /* no FIFOs */
	VMM_UART_16750,	     /* 64-byte FIFOs */
};

struct vmm_uart_config {
	bool enabled;	  /* slot 1 only; COM1 is always there */
	uint16_t io_base; /* 8 ports from here; 0: the slot's default */
	uint8_t irq;	  /* ISA IRQ 1..15; 0: the slot's default */
	enum vmm_uart_type type;
};

enum vmm_boot_kind {
	VMM_BOOT_TESTCARD = 0, /* the testcard ELF guest */
	VMM_BOOT_LINUX = 1,    /* bzImage, 64-bit boot protocol */
};

struct vmm_config {
	uint32_t cpus;	     /* 1.. */
	uint64_t ram_bytes;  /* guest RAM */
	uint32_t heads;	     /* 1..VMM_MAX_HEADS */
	uint64_t vram_bytes; /* framebuffer memory for all heads */
	enum vmm_boot_kind boot;
	const char *kernel;	/* testcard ELF or bzImage path */
	const char *initrd;	/* Linux only, may be NULL */
	const char *cmdline;	/* Linux only, may be NULL */
	const char *serial_log; /* COM1 output file, may be NULL */
	bool serial_stdout;	/* also copy COM1 to stdout */
	bool start_paused;
	/* Linux only: run the kernel's own decompressor in the guest (slow
	 * where guest ring 0 is emulated) instead of decompressing the XZ
	 * payload in the VMM and entering vmlinux directly (default). */
	bool linux_guest_decompress;
	enum vmm_accel accel;
	struct vmm_uart_config uart[VMM_MAX_UARTS];
	/* USB: an OHCI controller (PCI 00:06.0); with it, the emulated USB
	 * tablet on its first port, fed by vmm_input_pointer() */
	bool usb_ohci;
	bool usb_tablet;
};

enum vmm_state {
	VMM_STATE_CREATED = 0,
	VMM_STATE_RUNNING,
	VMM_STATE_PAUSED,
	VMM_STATE_POWERED_OFF,
};

/* Why the VM stopped (vmm_wait). */
enum vmm_exit_reason {
	VMM_EXIT_POWEROFF = 0,	 /* guest used the power-off port */
	VMM_EXIT_HOST_POWEROFF,	 /* vmm_poweroff() */
	VMM_EXIT_RESET,		 /* reset requested and reset not handled */
	VMM_EXIT_TRIPLE_FAULT,	 /* KVM_EXIT_SHUTDOWN */
	VMM_EXIT_INTERNAL_ERROR, /* KVM could not run the guest */
};

struct vmm_rect {
	int32_t x, y;
	uint32_t w, h;
};

/* pixels is the VMM's copy of the head as of the last refresh (what the
 * damage reported so far describes), not live guest memory; it changes
 * only inside the display thread's refresh, under the head's lock. */
struct vmm_head_info {
	bool enabled;
	uint32_t width, height; /* pixels */
	uint32_t stride;	/* bytes per line */
	const uint8_t *pixels;	/* XRGB8888; valid while the head is locked */
};

/* Display callbacks, all called from the VMM's display thread, in order:
 * resize(head) when geometry or enabled changed, then update(head, rect)
 * for each damaged rectangle, then update_complete(head).  The head's
 * lock is held during update() and update_complete(). */
struct vmm_display_ops {
	void (*resize)(void *ctx, uint32_t head);
	void (*update)(void *ctx, uint32_t head, const struct vmm_rect *r);
	void (*update_complete)(void *ctx, uint32_t head);
	/* the VM stopped; called once, from the thread that noticed */
	void (*stopped)(void *ctx, enum vmm_exit_reason why);
};

struct vmm;

/** "auto", "kvm", "software". */
const char *vmm_accel_name(enum vmm_accel a);
/** Parse an accelerator name (also "tcg" and "unicorn" for software).
 * @return 0 or -EINVAL. */
int vmm_accel_parse(const char *name, enum vmm_accel *out);
/** Can @a (KVM or SOFTWARE) run a VM on this host?  0, or a negative
 * errno with @err saying why in one line: for KVM -ENOENT, -EACCES or
 * -ENXIO when /dev/kvm cannot be opened, -ENOTSUP when its API version or
 * a required capability is missing.  The environment variable
 * VIREO_KVM_DEVICE names another device path (a test hook). */
int vmm_accel_probe(enum vmm_accel a, char *err, size_t errlen);
/** The accelerator a created VM runs on: KVM or SOFTWARE, never AUTO. */
enum vmm_accel vmm_get_accel(const struct vmm *vm);
/** Why AUTO chose the software CPU ("cannot open /dev/kvm: ..."), or
 * NULL when it did not fall back. */
const char *vmm_accel_fallback(const struct vmm *vm);

/** Pick the accelerator (cfg->accel), check what it can run (the
 * software CPU refuses a Linux guest and more than one vCPU) and build
 * the VM.  On failure @errbuf says why in one line ("cannot open
 * /dev/kvm: ...", "the software CPU cannot run a Linux guest ..."). */
int vmm_create(const struct vmm_config *cfg, const struct vmm_display_ops *ops,
	       void *ctx, struct vmm **out, char *errbuf, size_t errlen);
int vmm_start(struct vmm *vm);
int vmm_pause(struct vmm *vm);
int vmm_resume(struct vmm *vm);
/** Reset the VM (a fresh KVM VM on the same memory, devices back to
 * power-on state, the guest loaded again); returns when it runs again.
 * Guest resets (i8042 0xfe, port 0xcf9) do the same. */
int vmm_reset(struct vmm *vm);
/** Host-initiated power off (hard); vmm_wait() then returns
 * VMM_EXIT_HOST_POWEROFF. */
int vmm_poweroff(struct vmm *vm);
/** Ask the guest to power off (guest may ignore).  There is no ACPI: this
 * sends Ctrl-Alt-Del on the keyboard, which the testcard answers by
 * powering off; a guest reset after it counts as VMM_EXIT_POWEROFF (Linux
 * reboots on Ctrl-Alt-Del). */
int vmm_power_button(struct vmm *vm);
enum vmm_state vmm_get_state(const struct vmm *vm);
/** "poweroff", "host-poweroff", "reset", "triple-fault",
 * "internal-error" (for logs and messages). */
const char *vmm_exit_reason_name(enum vmm_exit_reason why);
/** "created", "running", "paused", "poweroff". */
const char *vmm_state_name(enum vmm_state state);
/** Block until the VM has stopped; @return the reason. */
enum vmm_exit_reason vmm_wait(struct vmm *vm);
void vmm_destroy(struct vmm *vm);

/* ---- display model ---------------------------------------------------- */
uint32_t vmm_head_count(const struct vmm *vm);
void vmm_head_lock(struct vmm *vm, uint32_t head);
void vmm_head_unlock(struct vmm *vm, uint32_t head);
int vmm_head_query(struct vmm *vm, uint32_t head, struct vmm_head_info *out);
/** Refresh every head now, also while the VM is paused (the display
 * thread otherwise refreshes a running VM only); returns when the
 * callbacks for it have been made. */
void vmm_display_refresh(struct vmm *vm);
/** How many refreshes the guest's PRESENT register started (vireo_hw.h),
 * rather than the display's 60 Hz tick. */
uint64_t vmm_display_presents(struct vmm *vm);
/** Ask the guest to resize @head (mode-request register). */
int vmm_head_mode_hint(struct vmm *vm, uint32_t head, uint32_t w, uint32_t h);

/* ---- input ------------------------------------------------------------ */
/** One set-1 scancode byte sequence for a key: @code 0x01..0x7f, @e0
 * prefix, @release.  Goes to the i8042 keyboard. */
int vmm_input_key(struct vmm *vm, uint8_t code, bool e0, bool release);
/** Raw scancode-set-1 bytes, as VBoxManage keyboardputscancode takes
 * them: 0xe0/0xe1 prefixes, bit 7 set for a release. */
int vmm_input_scancodes(struct vmm *vm, const uint8_t *codes, size_t n);
/** Absolute pointer on @head: pixels, buttons bit0 left, bit1 right,
 * bit2 middle; wheel notches.  Feeds the guest's pointer devices. */
int vmm_input_pointer(struct vmm *vm, uint32_t head, int32_t x, int32_t y,
		      uint32_t buttons, int32_t wheel, int32_t hwheel);

/** Serial (COM1) output callback for tests and the headless front end;
 * may be NULL.  Called from a vCPU thread for each byte-run written. */
void vmm_set_serial_sink(struct vmm *vm,
			 void (*sink)(void *ctx, const char *buf, size_t len),
			 void *ctx);

/* ---- saved state (vireo-state(5)) -------------------------------- */
/* The complete state of a VM: its configuration (checked on restore),
 * guest RAM and VRAM (pages of zeros left out), every device's record,
 * the accelerator's VM-wide and per-vCPU state.  One format for KVM and
 * the software CPU, but a state restores only on the accelerator that
 * saved it.  Errors say what is wrong in one line in @err. */
struct vmm_state_io; /* state.h: a read and a write function */

/** Save the paused VM to @path: a temporary file in the same directory,
 * written, fsynced and renamed over @path (mode 0600).  The VM stays
 * paused.  @return 0, -EINVAL (not paused), -errno. */
int vmm_save_state(struct vmm *vm, const char *path, char *err, size_t errlen);
/** The same into any stream (a teleport). */
int vmm_save_stream(struct vmm *vm, const struct vmm_state_io *io, char *err,
		    size_t errlen);
/** Replace the state of a VM created but not yet started with the one
 * in @path.  A file that is not a state, of another format version,
 * truncated, corrupted, or saved from a VM of another configuration or
 * accelerator is refused (-EPROTO, -EPROTONOSUPPORT, -EINVAL); after a
 * failure the VM cannot be started (vmm_start() says -EINVAL): destroy
 * it.  The file itself is never changed. */
int vmm_restore_state(struct vmm *vm, const char *path, char *err,
		      size_t errlen);
int vmm_restore_stream(struct vmm *vm, const struct vmm_state_io *io, char *err,
		       size_t errlen);
/** Check @path without a VM: header, every record's checksum, the END
 * record.  @return 0 or as vmm_restore_state(). */
int vmm_check_state(const char *path, char *err, size_t errlen);

/* ---- teleporting (vireo-teleport(7)) ------------------------------- */
struct vmm_teleport_stats {
	bool live;		      /* pre-copy while the guest ran */
	uint32_t rounds;	      /* pre-copy rounds after the first pass */
	uint64_t last_dirty;	      /* pages dirty when pre-copy stopped */
	uint64_t pages_last;	      /* pages sent with the VM paused */
	uint64_t bytes;		      /* the whole stream */
	double rate_mbs;	      /* MB/s measured in the last round */
	uint64_t start_ns, paused_ns; /* vmm_now_ns() clock */
};

/** Send the VM's state into @io: memory while the guest runs, in rounds
 * until the rest fits @max_downtime_ms, then the rest with the VM paused
 * (teleport.c).  The stream is a saved-state stream that
 * vmm_restore_stream() reads.  @return 0 with the VM paused and all of
 * its state sent (the caller hands over, or resumes it), or -errno with
 * the VM as it was (running again if it ran) and @err saying why. */
int vmm_teleport_send(struct vmm *vm, const struct vmm_state_io *io,
		      uint32_t max_downtime_ms, struct vmm_teleport_stats *st,
		      char *err, size_t errlen);
#define VMM_CPU_PROFILE_MAX (9 + 24 * 256)
/** What the guest sees of its CPU (accelerator, Unicorn version, the
 * CPUID leaves set on KVM), to compare before a teleport.  @return its
 * length, 0 when @size is too small. */
size_t vmm_cpu_profile(struct vmm *vm, uint8_t *buf, size_t size);
/** 0 when @p (a source's vmm_cpu_profile) is what this VM shows its
 * guest; else -EINVAL and @err names the first difference. */
int vmm_cpu_profile_check(struct vmm *vm, const uint8_t *p, size_t len,
			  char *err, size_t errlen);
/** CRC-32 of RAM and VRAM (the VM paused): checks a teleport's copy. */
uint32_t vmm_memory_crc(struct vmm *vm);
/** The VMM's monotonic clock, in ns. */
uint64_t vmm_now_ns(void);

/* ---- serial ports (beyond the COM1 sink above) ---------------------- */
/* The host side of the UARTs: tx() gets every byte run the guest
 * transmits on @port (0 = COM1), from a vCPU thread, and must not block;
 * rx_room() says that @port's receive FIFO has room again after
 * vmm_uart_receive() took less than it was offered (any thread; do not
 * call back into the VMM from it). */
struct vmm_uart_host_ops {
	void (*tx)(void *ctx, uint32_t port, const uint8_t *buf, size_t len);
	void (*rx_room)(void *ctx, uint32_t port);
};

void vmm_set_uart_host(struct vmm *vm, const struct vmm_uart_host_ops *ops,
		       void *ctx);
/** Does the VM have UART @port (0 = COM1, 1 = COM2)? */
bool vmm_uart_present(const struct vmm *vm, uint32_t port);
/** Bytes for the guest on UART @port: as many as its receive FIFO has
 * room for (1 with FIFOs off, 16 or 64 with them on).  Never blocks.
 * @return how many were taken, or -ENODEV when there is no such port. */
int vmm_uart_receive(struct vmm *vm, uint32_t port, const uint8_t *buf,
		     size_t len);

/* ---- remote USB devices (usb_remote.c, vireo-usb(7)) ---------------- */
/* A proxy on the OHCI root hub for a USB device that lives elsewhere (a
 * remote-display client's): the guest's control requests and transfers
 * on it become URBs handed to @ops, and come back through
 * vmm_usb_remote_complete().  The VMM answers SET_ADDRESS itself (never
 * submitted) and keeps the guest's halted endpoints; everything else,
 * SET_CONFIGURATION and SET_INTERFACE included, is submitted.  Transfer
 * types come from the configuration descriptors the guest reads through
 * the proxy (an endpoint not described there is taken as bulk).
 *
 * Saved state: a remote device is not saved; the state records its port
 * as disconnected (the restored guest sees it leave), and the running VM
 * keeps it until the VM stops (vireo-state(5)). */

enum vmm_usb_xfer {
	VMM_USB_XFER_CONTROL = 0,
	VMM_USB_XFER_BULK = 2,
	VMM_USB_XFER_INTERRUPT = 3,
};

/* How a URB ended (the numbers of vrde.h's enum vrde_usb_status). */
enum vmm_usb_status {
	VMM_USB_OK = 0,
	VMM_USB_STALL = 1,
	VMM_USB_NODEV = 2,
	VMM_USB_BABBLE = 3,
	VMM_USB_SHORT = 4,
	VMM_USB_CANCELLED = 5,
	VMM_USB_ERROR = 6,
};

struct vmm_usb_urb {
	uint64_t handle;     /* the proxy's, never 0, unique while queued */
	uint8_t type;	     /* enum vmm_usb_xfer */
	uint8_t endpoint;    /* bEndpointAddress; control: 0x00 or 0x80 */
	uint8_t short_ok;    /* always 1: the controller judges short INs */
	uint8_t setup[8];    /* control only */
	uint32_t length;     /* IN: most bytes wanted; OUT: bytes in @data */
	const uint8_t *data; /* OUT data, valid during submit() only */
};

/* Called from the VMM's threads with the proxy's device lock held: they
 * must not block, nor call vmm_usb_remote_*() (hand completions to
 * another thread). */
struct vmm_usb_remote_ops {
	/* @return 0 (a vmm_usb_remote_complete() follows), -EBUSY (tried
	 * again next frame), -ENODEV (the device is gone), other -errno (the
	 * guest sees a stall). */
	int (*submit)(void *ctx, const struct vmm_usb_urb *urb);
	/* The guest gave up on @handle: no completion is wanted any more
	 * (one that still comes is ignored). */
	void (*cancel)(void *ctx, uint64_t handle);
	/* The guest reset the device's port. */
	void (*reset)(void *ctx);
};

struct vmm_usb_remote;

/** Root-hub ports remote devices may use: 0 without a USB controller,
 * else the ports less the emulated tablet's (whether used or not). */
int vmm_usb_remote_ports(const struct vmm *vm);
/** A proxy, not yet on a port.  @low_speed: a low-speed device (else
 * full speed; OHCI has no high speed, a faster device is shown as full
 * speed).  @return NULL when out of memory. */
struct vmm_usb_remote *vmm_usb_remote_new(struct vmm *vm,
					  const struct vmm_usb_remote_ops *ops,
					  void *ctx, bool low_speed);
/** Connect @r to the first free root-hub port: the guest sees a connect.
 * @return the port, 1-based as the guest numbers it; -ENODEV (no USB
 * controller), -ENOSPC (no free port), -EBUSY (already attached). */
int vmm_usb_remote_attach(struct vmm_usb_remote *r);
/** The end of URB @handle, from any thread but not from inside @ops.
 * @data: IN bytes (@actual of them).  An unknown or cancelled @handle is
 * ignored. */
void vmm_usb_remote_complete(struct vmm_usb_remote *r, uint64_t handle,
			     int status, const uint8_t *data, uint32_t actual);
/** Disconnect @r from its port (the guest sees it leave; what was in
 * flight is cancelled through ops->cancel) and free it.  No
 * vmm_usb_remote_complete() for it may run or follow.  Call it before
 * vmm_destroy() (which frees proxies still attached). */
void vmm_usb_remote_free(struct vmm_usb_remote *r);

#endif /* VIREO_VMM_H */
