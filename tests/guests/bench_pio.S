/*
 * Benchmark guest: ECX (set by the host) port writes to 0x80, then a write to the power-off
 * port 0xEA. Real mode, entered at 0:0x1000. Each write is one port-I/O exit.
 */
	.code16
	.text
	.globl	_start
_start:
	mov	$0x80, %dx
1:	outb	%al, %dx
	dec	%ecx
	jnz	1b
	mov	$0xea, %dx
	outb	%al, %dx
2:	hlt
	jmp	2b
