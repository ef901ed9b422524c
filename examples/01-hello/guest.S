/*
 * The guest of tutorial 01: 16-bit real-mode code, loaded at guest-physical 0x1000 and entered
 * with CS=0, IP=0x1000, the way a PC's CPU starts (minus the BIOS). It writes a greeting one
 * byte at a time to port 0xE9, then writes to port 0xEA to ask the host to power it off.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x1000, %sp		/* stack grows down below the code */
	mov	$greeting, %si
	mov	$0xe9, %dx		/* the console port of the example's device */
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	mov	$0xea, %dx		/* the power-off port */
	outb	%al, %dx
3:	hlt				/* not reached: the host stops the VM */
	jmp	3b

greeting:
	.asciz	"Hello from a real-mode guest, through a port-I/O device!\n"
