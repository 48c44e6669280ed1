/*
 * vireo_hw.h - the virtual hardware vireo's VMM presents, as a guest sees
 * it: guest-physical layout, I/O ports, the multi-head display device's
 * PCI identity and registers, and the boot-info block the testcard loader
 * leaves for its guest.
 *
 * Shared by the VMM (src/vmm) and the freestanding testcard guest
 * (src/guest), so it uses only fixed-width integer types and macros.
 */
#ifndef VIREO_HW_H
#define VIREO_HW_H

#include <stdint.h>

/* ---- guest-physical layout ---------------------------------------------- */
#define VIREO_GPA_GDT		 0x1000ull
/* TSS with an all-zero I/O permission bitmap (every port allowed at
 * CPL3 even if the CPU does not honour IOPL): 0xa000..0xc068 */
#define VIREO_GPA_TSS		 0xa000ull
#define VIREO_TSS_LIMIT		 (0x68 + 8192)
#define VIREO_GPA_PML4		 0x2000ull /* identity map of 0..4 GiB */
#define VIREO_GPA_PDPT		 0x3000ull
#define VIREO_GPA_PD		 0x4000ull /* 4 pages of 2 MiB entries */
#define VIREO_GPA_BOOTINFO	 0x8000ull /* struct vireo_boot_info */
#define VIREO_GPA_MPTABLE	 0xf0000ull
#define VIREO_GPA_TESTCARD_STACK 0x80000ull    /* initial RSP of the testcard */
#define VIREO_MMIO_HOLE		 0xc0000000ull /* RAM above moves to 4 GiB */
#define VIREO_GPA_VRAM		 0xc0000000ull /* display BAR2 */
#define VIREO_VRAM_MAX		 0x20000000ull
#define VIREO_GPA_DISPLAY_REGS	 0xe0000000ull /* display BAR0 */
#define VIREO_DISPLAY_REGS_SIZE	 0x1000u
#define VIREO_GPA_IOAPIC	 0xfec00000ull
#define VIREO_GPA_LAPIC		 0xfee00000ull
#define VIREO_GPA_IDENTITY_MAP	 0xfffbc000ull
#define VIREO_GPA_TSS_KVM	 0xfffbd000ull

/* GDT selectors (both loaders build the same GDT). */
#define VIREO_SEL_CODE0 0x10 /* Linux __BOOT_CS */
#define VIREO_SEL_DATA0 0x18 /* Linux __BOOT_DS */
#define VIREO_SEL_CODE3 0x23 /* ring-3 64-bit code */
#define VIREO_SEL_DATA3 0x2b /* ring-3 data */
#define VIREO_SEL_TSS	0x30

/* ---- I/O ports ------------------------------------------------------------
 */
#define VIREO_PORT_COM1	      0x3f8
#define VIREO_PORT_COM2	      0x2f8
#define VIREO_PORT_I8042_DATA 0x60
#define VIREO_PORT_I8042_CMD  0x64
#define VIREO_PORT_RTC_INDEX  0x70
#define VIREO_PORT_PCI_ADDR   0xcf8
#define VIREO_PORT_RESET      0xcf9 /* bit 2 with bit 1: hard reset */
#define VIREO_PORT_PCI_DATA   0xcfc
/* Any write powers the VM off (vmm_wait: VMM_EXIT_POWEROFF). */
#define VIREO_PORT_POWEROFF   0x600
/* 32-bit write of N: the vCPU sleeps up to N microseconds, or less when
 * a guest event is pending (input, a mode request).  Lets a guest that
 * runs only in ring 3 (no HLT) idle without burning a host CPU. */
#define VIREO_PORT_IDLE	      0x604

/* ---- the multi-head display device (PCI) --------------------------------- */
#define VIREO_DISPLAY_VENDOR	     0x1234
#define VIREO_DISPLAY_DEVICE	     0x7669
#define VIREO_DISPLAY_SLOT	     2 /* 00:02.0 */
/* BAR0: 4 KiB of 32-bit registers; BAR2 (64-bit, prefetchable): VRAM,
 * head i's framebuffer at offset i * REG_VRAM_PER_HEAD.  The VMM assigns
 * both BARs as firmware would; a guest may size and move them (with
 * memory decoding off while it does, as Linux does). */
#define VIREO_DISP_REG_MAGIC	     0x000 /* ro: VIREO_DISP_MAGIC */
#define VIREO_DISP_REG_HEADS	     0x004 /* ro: monitorCount */
#define VIREO_DISP_REG_VRAM_PER_HEAD 0x008 /* ro: bytes */
/* Absolute pointer event queue.  Reading POP moves the oldest event into
 * the PTR_* latches and returns 1, or returns 0 when the queue is empty. */
#define VIREO_DISP_REG_PTR_POP	     0x00c
#define VIREO_DISP_REG_PTR_X	     0x010 /* pixels on PTR_HEAD */
#define VIREO_DISP_REG_PTR_Y	     0x014
#define VIREO_DISP_REG_PTR_BUTTONS   0x018 /* bit0 left, 1 right, 2 middle */
#define VIREO_DISP_REG_PTR_HEAD	     0x01c
#define VIREO_DISP_REG_PTR_WHEEL     0x020 /* signed notches */
#define VIREO_DISP_REG_PTR_HWHEEL    0x024
/* Explicit damage: write X, Y, W, H, then the head to FLUSH_HEAD. */
#define VIREO_DISP_REG_FLUSH_X	     0x028
#define VIREO_DISP_REG_FLUSH_Y	     0x02c
#define VIREO_DISP_REG_FLUSH_W	     0x030
#define VIREO_DISP_REG_FLUSH_H	     0x034
#define VIREO_DISP_REG_FLUSH_HEAD    0x038
/* ro: bit0 pointer events queued, bit1 a mode request is pending */
#define VIREO_DISP_REG_EVENTS	     0x03c
#define VIREO_DISP_EV_POINTER	     0x1u
#define VIREO_DISP_EV_MODE	     0x2u
/* wo: the guest finished drawing something (a frame, an input echo):
 * the display looks for changes now instead of at its next 60 Hz tick,
 * at most once per VIREO_DISP_PRESENT_MIN_US.  While a guest presents
 * (until 500 ms after its last present) the ticks do not look, so viewers
 * get whole frames, never one half drawn. */
#define VIREO_DISP_REG_PRESENT	     0x040
#define VIREO_DISP_PRESENT_MIN_US    2000
#define VIREO_DISP_MAGIC	     0x4f524956u /* "VIRO" */

/* Per-head block at HEAD_BASE + head * HEAD_STRIDE.  The guest writes
 * WIDTH/HEIGHT/STRIDE/ENABLE and then 1 to COMMIT to change the mode.
 * REQ_* is the host's hint; REQ_SEQ grows with each hint, and writing
 * the value read back acknowledges it. */
#define VIREO_DISP_HEAD_BASE	0x100
#define VIREO_DISP_HEAD_STRIDE	0x20
#define VIREO_DISP_H_WIDTH	0x00
#define VIREO_DISP_H_HEIGHT	0x04
#define VIREO_DISP_H_STRIDE	0x08
#define VIREO_DISP_H_ENABLE	0x0c
#define VIREO_DISP_H_COMMIT	0x10
#define VIREO_DISP_H_REQ_WIDTH	0x14
#define VIREO_DISP_H_REQ_HEIGHT 0x18
#define VIREO_DISP_H_REQ_SEQ	0x1c

/* ---- the OHCI USB controller (PCI; registers: ohci_hw.h) ------------- */
#define VIREO_OHCI_VENDOR    0x106b /* as VirtualBox's and QEMU's */
#define VIREO_OHCI_DEVICE    0x003f
#define VIREO_OHCI_SLOT	     6		   /* 00:06.0, VirtualBox's slot */
#define VIREO_GPA_OHCI_REGS  0xe0001000ull /* BAR0 */
#define VIREO_OHCI_REGS_SIZE 0x1000u
#define VIREO_OHCI_IRQ	     16 /* IOAPIC pin of its INTA (MP table) */
#define VIREO_OHCI_PORTS     4
/* The USB tablet maps the heads side by side, left to right in head
 * order, onto X and Y 0..VIREO_TABLET_MAX: X = (x0 + x) * MAX / (W - 1)
 * with x0 the widths of the heads before, W their sum, and Y = y * MAX /
 * (H - 1) with H the tallest head. */
#define VIREO_TABLET_MAX     0x7fff

/* ---- boot info left by the testcard loader at VIREO_GPA_BOOTINFO -------- */
#define VIREO_BOOT_MAGIC 0x544f4f4256524956ull /* "VIRVBOOT" */
struct vireo_boot_info {
	uint64_t magic;
	uint64_t tsc_khz;    /* guest TSC frequency */
	uint64_t ram_bytes;  /* guest RAM */
	uint32_t cpus;	     /* vCPUs (the testcard uses the first) */
	uint32_t boot_count; /* 0 at power on, +1 per reset */
	char cmdline[256];   /* NUL-terminated options */
};

#endif /* VIREO_HW_H */
