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
 * Guest memory map, ports and the display device's registers: vireo-hw.h.
 * Never call vmm_destroy() from a callback; call it after vmm_wait().
 *
 * NOTE for implementers: this is the agreed API surface that
 * vireo-headless is written against; extend it, do not rename or remove.
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

#endif /* VIREO_VMM_H */
