/* SPDX-License-Identifier: MIT */
/*
 * What the virtio_e2e guest and its host test (tests/integration/virtio_e2e.c) agree on: where
 * the devices are, the disk's geometry, serial number and data patterns. Plain C for both.
 */
#ifndef GUEST_VIRTIO_E2E_H
#define GUEST_VIRTIO_E2E_H

#include <stdint.h>

#define E2E_CONSOLE_BASE 0xd0000000ull /* virtio-console window (0x200 bytes) */
#define E2E_BLK_BASE 0xd0001000ull     /* virtio-blk window */
/* Inputs the devices' lines drive; never delivered: the guest runs with interrupts off, polls. */
#define E2E_CONSOLE_IRQ 5
#define E2E_BLK_IRQ 6

#define E2E_SECTOR 512u
#define E2E_DISK_SECTORS 64u /* 32 KiB disk */
#define E2E_WRITE_SECTOR 8u  /* the guest writes sectors 8..15 */
#define E2E_WRITE_COUNT 8u
#define E2E_SERIAL "hvlib-e2e-serial-01" /* 19 bytes: GET_ID pads it with a NUL */

#define E2E_SEED_INITIAL 0x1111u /* what the host puts on the disk */
#define E2E_SEED_WRITTEN 0x2222u /* what the guest writes */

/* The 64-bit word at byte offset `off` (a multiple of 8) of a disk filled from `seed`. */
static inline uint64_t e2e_word(uint64_t seed, uint64_t off)
{
	uint64_t x = (off + (seed << 32)) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29);
}

#endif
