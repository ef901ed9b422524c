/*
 * Worker guest (real mode, entered at 0:0x1000) for the concurrency tests. The host sets:
 *   EBX  a 32-bit pattern, written to the 1024 dwords at 0x2000 (4 KiB)
 *   ECX  loop iterations; the guest sums 0 .. ECX-1 (mod 2^32) in EAX
 *   DL   a letter identifying the VM
 *   DI   0, or the address of a gate word: after printing "vm<DL>:" the guest spins until the
 *        host makes that word non-zero (so the host knows the VM is running guest code for as
 *        long as it likes, however fast the guest runs)
 * It prints "vm<DL>:" then "ok\n" on the console, reports the sum to the result port, checks
 * its pattern is intact (reports 0x600d, or 0xbad) and powers off.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%edx, %ebp		/* keep DL */
	mov	$'v', %al
	out	%al, $0xe9
	mov	$'m', %al
	out	%al, $0xe9
	mov	%bp, %ax
	out	%al, $0xe9
	mov	$':', %al
	out	%al, $0xe9
	/* the gate, if any */
	test	%di, %di
	jz	7f
8:	pause
	cmpw	$0, (%di)
	je	8b
7:	/* the pattern */
	mov	$0x2000, %di
	mov	%ebx, %eax
	push	%ecx
	mov	$1024, %cx
	rep stosl
	pop	%ecx
	/* the sum */
	xor	%eax, %eax
	xor	%esi, %esi
	test	%ecx, %ecx
	jz	2f
1:	add	%esi, %eax
	inc	%esi
	cmp	%ecx, %esi
	jne	1b
2:	out	%eax, $0xec
	/* the pattern is still ours */
	mov	$0x2000, %si
	mov	$1024, %cx
3:	lodsl
	cmp	%ebx, %eax
	jne	4f
	loop	3b
	mov	$0x600d, %eax
	jmp	5f
4:	mov	$0xbad, %eax
5:	out	%eax, $0xec
	mov	$'o', %al
	out	%al, $0xe9
	mov	$'k', %al
	out	%al, $0xe9
	mov	$'\n', %al
	out	%al, $0xe9
	out	%al, $0xea
6:	jmp	6b
