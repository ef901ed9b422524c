/*
 * MMIO guest (64-bit long mode set up by the host; the test's device at 4 GiB, 0x800 bytes).
 *   +0x000  stores of 1/2/4/8 bytes, then loads of 1/2/4/8 bytes each reported to the result
 *           port (8-byte values as two dwords, low first), power off
 *   +0x100  a 4-byte store straddling the device's end (base + 0x7fe)        -> fault
 *   +0x180  a 4-byte load from unmapped 0x180000000                          -> fault
 *   +0x200  loads of 1/2/4/8 bytes from unmapped 0x180000000 reported, a store there,
 *           0x600d reported, power off (with HV_UNMAPPED_IGNORE)
 *   +0x300  ROM at 0x200000: load 8 bytes, store 8 bytes, load again (both reported),
 *           power off
 */
#define DEV	0x100000000
#define NOWHERE	0x180000000
#define ROM	0x200000
#define RESULT	0xec

	.code64
	.text
	.globl	_start
_start:
	movabs	$DEV, %rbx
	movb	$0x11, 0x08(%rbx)
	movw	$0x2222, 0x0a(%rbx)
	movl	$0x33333333, 0x0c(%rbx)
	movabs	$0x4444444455555555, %rax
	mov	%rax, 0x18(%rbx)
	movzbl	0x10(%rbx), %eax
	out	%eax, $RESULT
	movzwl	0x20(%rbx), %eax
	out	%eax, $RESULT
	movl	0x30(%rbx), %eax
	out	%eax, $RESULT
	mov	0x40(%rbx), %rax
	out	%eax, $RESULT
	shr	$32, %rax
	out	%eax, $RESULT
	out	%al, $0xea
1:	jmp	1b

	.org	0x100
	movabs	$DEV, %rbx
	movl	$0x01020304, 0x7fe(%rbx)
	mov	$0xbad, %eax
	out	%eax, $RESULT
	out	%al, $0xea
2:	jmp	2b

	.org	0x180
	movabs	$NOWHERE, %rcx
	mov	(%rcx), %eax
	out	%eax, $RESULT
	out	%al, $0xea
3:	jmp	3b

	.org	0x200
	movabs	$NOWHERE, %rcx
	movzbl	(%rcx), %eax
	out	%eax, $RESULT
	movzwl	(%rcx), %eax
	out	%eax, $RESULT
	movl	(%rcx), %eax
	out	%eax, $RESULT
	mov	(%rcx), %rax
	out	%eax, $RESULT
	shr	$32, %rax
	out	%eax, $RESULT
	movl	$0x12345678, (%rcx)
	mov	$0x600d, %eax
	out	%eax, $RESULT
	out	%al, $0xea
4:	jmp	4b

	.org	0x300
	mov	$ROM, %ecx
	mov	(%rcx), %rax
	out	%eax, $RESULT
	shr	$32, %rax
	out	%eax, $RESULT
	movabs	$0x1111111111111111, %rax
	mov	%rax, (%rcx)
	mov	(%rcx), %rax
	out	%eax, $RESULT
	shr	$32, %rax
	out	%eax, $RESULT
	out	%al, $0xea
5:	jmp	5b
