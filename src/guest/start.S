/*
 * start.S - testcard entry.  The VMM enters here in 64-bit mode at CPL3
 * with a stack; clear the frame pointer and call C.  If main ever
 * returns, ud2 raises #UD, which (there is no IDT) ends in a triple fault
 * that the VMM reports.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	xor	%ebp, %ebp
	and	$-16, %rsp
	call	testcard_main
	ud2
