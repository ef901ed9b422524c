/*
 * Spinning guest (real mode, entered at 0:0x1000): counts its boots at 0x500, then increments
 * the 32-bit counter at 0x504 forever without leaving the guest. Used by the life-cycle, destroy,
 * register and run_once tests.
 */
#define BOOTS	0x500
#define COUNTER	0x504
	.code16
	.text
	.globl	_start
_start:
	addr32 incl	BOOTS
1:	addr32 incl	COUNTER
	jmp	1b
