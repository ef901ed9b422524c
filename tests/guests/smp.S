/*
 * SMP guest (real mode, every vCPU entered at 0:0x1000). Each vCPU reports
 * (APIC ID from CPUID.1:EBX[31:24]) << 8 | SI (SI set per vCPU by the host) to the result port
 * and counts itself in the word at 0x600 (locked). vCPU with APIC ID 0 waits until DI vCPUs
 * (DI set by the host) have checked in, or until the host makes the word at 0x604 non-zero
 * (no spin budget: how many iterations a vCPU's start-up takes depends on the hypervisor's
 * speed), then powers off; the others spin.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$1, %eax
	cpuid
	shr	$24, %ebx
	mov	%ebx, %eax
	shl	$8, %eax
	movzwl	%si, %ecx
	or	%ecx, %eax
	out	%eax, $0xec
	lock incw	0x600
	test	%ebx, %ebx
	jnz	2f
1:	cmp	%di, 0x600
	jae	3f
	pause
	cmpw	$0, 0x604		/* the host says: stop waiting */
	je	1b
3:	movzwl	0x600, %eax
	or	$0xc0000, %eax		/* final report: 0xc0000 | vCPUs seen */
	out	%eax, $0xec
	out	%al, $0xea
2:	jmp	2b
