/* SPDX-License-Identifier: MIT */
/* Linux guests: the arm64 Image and a device tree from the VM's definition (linux.c). */
#ifndef FW_LINUX_H
#define FW_LINUX_H

#include "vms.h"

struct fw_linux {
	const void *image; /* an arm64 Image */
	size_t image_size;
	const void *initrd; /* optional */
	size_t initrd_size;
	uint64_t initrd_gpa;
	uint64_t ram_gpa, ram_size;
	const char *cmdline;
};

/*
 * Load the kernel 2 MiB into RAM, the initrd where asked, the device tree at the top of RAM,
 * and point vCPU 0 at the kernel with x0 = the device tree. The VM has its vCPUs and devices
 * (all in the device tree: its PL011, or the board's passed through, its virtio-mmio ones);
 * its RAM too, or none, which it then gets here.
 */
hv_status_t fw_linux_load(struct fw_vm *g, const struct fw_linux *l);

#endif
