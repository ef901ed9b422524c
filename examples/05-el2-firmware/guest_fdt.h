/* SPDX-License-Identifier: MIT */
/* A Linux guest's device tree (guest_fdt.c). */
#ifndef FW_GUEST_FDT_H
#define FW_GUEST_FDT_H

#include <stddef.h>
#include <stdint.h>

struct fw_linux_dt {
	uint64_t ram_gpa, ram_size;
	uint64_t initrd_gpa, initrd_size; /* no initrd properties when initrd_size is 0 */
	const char *cmdline;
	uint32_t vcpus;
	/* virtio-mmio windows: virtio_count of them, 0x200 bytes apart from virtio_base, with
	 * SPIs (INTID - 32) from virtio_spi. */
	uint32_t virtio_count;
	uint64_t virtio_base;
	uint32_t virtio_spi;
};

/* Write the tree into fdt (size bytes): 0, or a negative libfdt error. */
int fw_linux_fdt(void *fdt, size_t size, const struct fw_linux_dt *l);

#endif
