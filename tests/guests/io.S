/*
 * Port-I/O guest (real mode, data at DS=0). Entry points (host sets PC = 0x1000 + offset):
 *   +0x000  widths and string I/O against the test's device at ports 0x300-0x30f, then power off
 *   +0x200  OUT to the unmapped port 0x510 (must fault with the default policy)
 *   +0x280  IN from the unmapped port 0x512 (must fault with the default policy)
 *   +0x300  IN of widths 1/2/4 from unmapped ports 0x510-0x517, each value to the result port,
 *           an OUT to 0x510, then power off (with HV_UNMAPPED_IGNORE)
 */
#define DEV	0x300
#define RESULT	0xec
#define INBUF	0x600

	.code16
	.text
	.globl	_start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	/* OUT of each width */
	mov	$DEV, %dx
	mov	$0x5a, %al
	out	%al, %dx
	mov	$DEV + 2, %dx
	mov	$0xbeef, %ax
	out	%ax, %dx
	mov	$DEV + 4, %dx
	mov	$0xdeadbeef, %eax
	out	%eax, %dx
	/* IN of each width, echoed (as 32 bits) to the result port */
	xor	%eax, %eax
	mov	$DEV, %dx
	in	%dx, %al
	out	%eax, $RESULT
	xor	%eax, %eax
	mov	$DEV + 2, %dx
	in	%dx, %ax
	out	%eax, $RESULT
	mov	$DEV + 4, %dx
	in	%dx, %eax
	out	%eax, $RESULT
	/* rep outsb: "STRING" to DEV+8 */
	mov	$msg, %si
	mov	$6, %cx
	mov	$DEV + 8, %dx
	rep outsb
	/* rep insb: 5 bytes from DEV+9 to INBUF */
	mov	$INBUF, %di
	mov	$5, %cx
	mov	$DEV + 9, %dx
	rep insb
	/* rep outsw: 3 words to DEV+10 */
	mov	$words, %si
	mov	$3, %cx
	mov	$DEV + 10, %dx
	rep outsw
	out	%al, $0xea
1:	jmp	1b
msg:	.ascii	"STRING"
	.balign	2
words:	.word	0x1111, 0x2222, 0x3333

	.org	0x200
	mov	$0x510, %dx
	mov	$0x42, %al
	out	%al, %dx
	mov	$0x0bad, %eax		/* must not be reached */
	out	%eax, $RESULT
	out	%al, $0xea
2:	jmp	2b

	.org	0x280
	mov	$0x512, %dx
	in	%dx, %ax
	out	%eax, $RESULT		/* must not be reached */
	out	%al, $0xea
3:	jmp	3b

	.org	0x300
	xor	%eax, %eax
	mov	$0x510, %dx
	in	%dx, %al
	out	%eax, $RESULT
	xor	%eax, %eax
	mov	$0x512, %dx
	in	%dx, %ax
	out	%eax, $RESULT
	xor	%eax, %eax
	mov	$0x514, %dx
	in	%dx, %eax
	out	%eax, $RESULT
	mov	$0x510, %dx
	out	%al, %dx		/* dropped */
	mov	$0x600d, %eax
	out	%eax, $RESULT
	out	%al, $0xea
4:	jmp	4b
