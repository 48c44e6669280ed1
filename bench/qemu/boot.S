/*
 * boot.S - entry of the test card image that QEMU boots (-kernel, Multiboot
 * v1).  QEMU's Multiboot loader only takes 32-bit ELF files, so the image
 * is 32-bit.  The ring-0 part only loads a GDT with ring-3 segments and a
 * TSS and drops to ring 3 (sysexit) with IOPL 3 (port I/O allowed), like the vireo
 * testcard guest: on the machines this benchmark runs on, KVM emulates
 * ring-0 code instruction by instruction while ring-3 code runs natively.
 * Paging stays off, so ring 3 reaches the framebuffer at its physical
 * address.  (Turning paging on here faulted on the emulated "mov cr0", so
 * on this machine QEMU runs the image with TCG; see part-qemu.sh.)
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	movl %ebx, qc_mbi		/* Multiboot information, for options */
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $kstack_top, %esp
	/* TSS base into its descriptor, then load it. */
	movl $tss, %eax
	movw %ax, gdt + 0x28 + 2
	shrl $16, %eax
	movb %al, gdt + 0x28 + 4
	movb %ah, gdt + 0x28 + 7
	movl $kstack_top, tss + 4	/* esp0 */
	movl $0x10, tss + 8		/* ss0 */
	movw $0x28, %ax
	ltr %ax
	/*
	 * To ring 3 with sysexit (CS = SYSENTER_CS + 16, SS = + 24, both
	 * RPL 3; EIP = EDX, ESP = ECX): KVM's instruction emulator, which
	 * runs this ring-0 code here, cannot do an iret to ring 3.  IOPL 3
	 * is set first, sysexit keeps EFLAGS.
	 */
	pushl $0x3002
	popfl
	movl $0x174, %ecx		/* IA32_SYSENTER_CS */
	movl $0x08, %eax
	xorl %edx, %edx
	wrmsr
	movw $0x23, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movl $qcard_main, %edx
	movl $ustack_top, %ecx
	sysexit

	.data
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 ring-0 code */
	.quad 0x00cf92000000ffff	/* 0x10 ring-0 data */
	.quad 0x00cffa000000ffff	/* 0x18 ring-3 code */
	.quad 0x00cff2000000ffff	/* 0x20 ring-3 data */
	.quad 0x0000890000000067	/* 0x28 TSS, base filled in */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.globl qc_mbi
qc_mbi:	.long 0

	.bss
	.align 16
tss:	.space 104
	.align 16
	.space 4096
kstack_top:
	.space 65536
ustack_top:
