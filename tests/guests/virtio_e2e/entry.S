/*
 * Entry of the virtio_e2e guest (hv-org: 0x100000), in 64-bit long mode set up by the host
 * (itest_setup_long: flat segments, identity paging with 2 MiB pages, interrupts off).
 * Zero .bss (the flat binary does not carry it), set the stack, call main(), report its
 * return value on the itest result port and power off through the itest device.
 */
#define ITEST_PORT_POWEROFF 0xea
#define ITEST_PORT_RESULT 0xec

	.code64
	.text
	.globl	_start
_start:
	cld
	lea	__guest_bss_start(%rip), %rdi
	lea	__guest_bss_end(%rip), %rcx
	sub	%rdi, %rcx
	shr	$3, %rcx
	xor	%eax, %eax
	rep stosq
	lea	stack_top(%rip), %rsp
	call	main
	out	%eax, $ITEST_PORT_RESULT
	out	%al, $ITEST_PORT_POWEROFF
1:	hlt
	jmp	1b

	.bss
	.balign	16
stack:
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
