/* SPDX-License-Identifier: MIT */
/* The test guests' flat binaries (built from guests/*.S), linked into the firmware. */
#define STR(x) #x
#define XSTR(x) STR(x)
#define GUEST(name)                                   \
	.section .rodata;                             \
	.balign 16;                                   \
	.globl guest_##name##_start, guest_##name##_end; \
	guest_##name##_start:                         \
	.incbin XSTR(name.bin);                       \
	guest_##name##_end:

GUEST(basic)
GUEST(doomed)
GUEST(survivor)
GUEST(timer)
GUEST(iso)
GUEST(bench)
GUEST(hostile)
GUEST(smp)

	.section .note.GNU-stack, "", @progbits
