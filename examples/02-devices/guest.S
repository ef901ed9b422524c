/*
 * The guest of tutorial 02: 16-bit code at 0x1000, like tutorial 01, but the host gave DS a
 * 4 GiB limit ("unreal mode"), so 32-bit addresses reach the MMIO device at 0xD0000000.
 *
 * It programs the PC's 8259 interrupt controller (vectors 0x20-0x2f, only IRQ 5 unmasked),
 * installs a handler for the device's vector in the real-mode interrupt vector table, checks
 * the device's ID, writes an operand, rings the doorbell and sleeps (HLT) until the device's
 * interrupt arrives. The handler reads the result and acknowledges the device and the PIC.
 * The guest prints the result on the console port 0xE9 and powers off through port 0xEA.
 */
#define DEV		0xd0000000
#define DEV_ID		0x00
#define DEV_DOORBELL	0x04
#define DEV_DATA	0x08
#define DEV_RESULT	0x0c
#define DEV_ACK		0x10
#define DEV_MAGIC	0x31445648	/* "HVD1" in little-endian */
#define IRQ		5		/* the input the host routed the device's line to */
#define VECTOR_BASE	0x20		/* where we put the PIC's vectors */
#define CONSOLE		0xe9
#define POWEROFF	0xea

	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ss
	mov	$0x1000, %sp

	/* Interrupt vector table entry: segment 0, offset irq_handler. */
	movw	$irq_handler, (VECTOR_BASE + IRQ) * 4
	movw	$0, (VECTOR_BASE + IRQ) * 4 + 2

	/* 8259 pair: ICW1-ICW4, cascade on IRQ 2, then mask all but IRQ 5. */
	mov	$0x11, %al
	out	%al, $0x20
	out	%al, $0xa0
	mov	$VECTOR_BASE, %al
	out	%al, $0x21
	mov	$(VECTOR_BASE + 8), %al
	out	%al, $0xa1
	mov	$0x04, %al
	out	%al, $0x21
	mov	$0x02, %al
	out	%al, $0xa1
	mov	$0x01, %al
	out	%al, $0x21
	out	%al, $0xa1
	mov	$(~(1 << IRQ) & 0xff), %al
	out	%al, $0x21
	mov	$0xff, %al
	out	%al, $0xa1

	/* Is the device there? */
	mov	$DEV, %edi
	cmpl	$DEV_MAGIC, DEV_ID(%edi)
	jne	no_device
	mov	$msg_found, %si
	call	puts

	/* Ask it to work on 21, then sleep until its interrupt says it is done. */
	movl	$21, DEV_DATA(%edi)
	movl	$1, DEV_DOORBELL(%edi)
1:	sti
	hlt
	cli
	cmpb	$0, done
	je	1b

	mov	$msg_result, %si
	call	puts
	mov	result, %eax
	call	putdec
	mov	$'\n', %al
	out	%al, $CONSOLE
poweroff:
	out	%al, $POWEROFF
2:	hlt
	jmp	2b

no_device:
	mov	$msg_missing, %si
	call	puts
	jmp	poweroff

irq_handler:
	push	%eax
	push	%edi
	mov	$DEV, %edi
	mov	DEV_RESULT(%edi), %eax
	mov	%eax, result
	movl	$1, DEV_ACK(%edi)		/* the device lowers its line */
	mov	$0x20, %al			/* end of interrupt to the master PIC */
	out	%al, $0x20
	movb	$1, done
	pop	%edi
	pop	%eax
	iret

/* Print the NUL-terminated string at SI. */
puts:
	lodsb
	test	%al, %al
	jz	1f
	out	%al, $CONSOLE
	jmp	puts
1:	ret

/* Print EAX in decimal. */
putdec:
	mov	$10, %ecx
	xor	%bx, %bx
1:	xor	%edx, %edx
	div	%ecx
	push	%dx
	inc	%bx
	test	%eax, %eax
	jnz	1b
2:	pop	%ax
	add	$'0', %al
	out	%al, $CONSOLE
	dec	%bx
	jnz	2b
	ret

done:		.byte	0
	.align	4
result:		.long	0
msg_found:	.asciz	"guest: found device HVD1, asking it for 21 * 2\n"
msg_result:	.asciz	"guest: interrupt received, result = "
msg_missing:	.asciz	"guest: no device at 0xD0000000\n"
