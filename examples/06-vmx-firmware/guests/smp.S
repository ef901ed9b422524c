/* SPDX-License-Identifier: MIT */
/*
 * Two vCPUs on one core. The boot CPU (APIC ID 0) starts the AP the PC way, INIT then
 * STARTUP with vector 0x09, and waits for it; the AP, in real mode at 0900:0000, reports its
 * APIC ID and stops with CLI; HLT, as an OS stops a CPU: the VM must go on with the boot CPU,
 * which spins a while before it exits. The AP must not run before its STARTUP IPI: code at
 * the reset entry that finds itself on an AP exits with code 0x55.
 */
#include "common.inc"

#define LAPIC 0xfee00000
#define AP_FLAG 0x7e00 /* the AP writes its APIC ID + 1 here */

	.text
	REAL_START
	mov $1, %eax
	cpuid
	shr $24, %ebx
	jz 1f
	mov $0x55, %al /* an AP ran from the reset vector */
	out %al, $EXIT_PORT
1:	mov $msg_bsp, %si
	call rm_puts
	ENTER_LONG_MODE long_main
	REAL_CONSOLE
	LONG_MODE_DATA

	.code64
long_main:
	cmpl $0, AP_FLAG
	CHECK_EQ "the AP ran before its STARTUP IPI"
	mov $LAPIC, %ebx
	movl $0x1ff, 0xf0(%rbx)
	movl $(1 << 24), 0x310(%rbx) /* destination: APIC ID 1 */
	movl $0x4500, 0x300(%rbx)    /* INIT, level assert */
	movl $0x8500, 0x300(%rbx)    /* INIT, level de-assert (ignored) */
	movl $0x4609, 0x300(%rbx)    /* STARTUP, vector 0x09: 0x9000 */
	mov $2000000, %ecx
2:	cmpl $0, AP_FLAG
	jne 3f
	pause
	loop 2b
	PUTS "FAIL: the AP did not start\n"
	mov $1, %al
	jmp guest_exit
3:	cmpl $2, AP_FLAG
	CHECK_EQ "the AP's APIC ID is not 1"
	mov failures(%rip), %eax
	test %eax, %eax
	jnz 4f
	PUTS "smp: the AP started with APIC ID 1\n"
	/* The AP has stopped itself (CLI; HLT) meanwhile: this CPU still runs, over slices. */
	mov $3000000, %ecx
6:	pause
	loop 6b
	PUTS "smp: the boot CPU runs on after the AP stopped\n"
4:	mov failures(%rip), %eax
	jmp guest_exit

	LONG_CONSOLE

	.code16
	.org 0x1000 /* 0x9000: the AP's entry */
ap_entry:
	ljmp $0, $ap_main /* CS base 0, as the labels assume */
ap_main:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x6000, %sp
	mov $msg_ap, %si
	call rm_puts
	mov $1, %eax
	cpuid
	shr $24, %ebx
	inc %ebx
	mov %ebx, AP_FLAG
5:	cli
	hlt
	jmp 5b

	.data
failures: .long 0
msg_bsp: .asciz "smp: boot CPU in real mode\n"
msg_ap: .asciz "smp: AP in real mode\n"
