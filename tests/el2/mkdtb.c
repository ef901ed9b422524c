/* SPDX-License-Identifier: MIT */
/*
 * Host tool for tests/el2/linux.sh bench: writes the device tree the EL2 firmware gives a
 * Linux guest (examples/05-el2-firmware/guest_fdt.c), so the bare board boots with the same minimal
 * tree. QEMU adds the initrd and the command line to it.
 *
 * Usage: mkdtb OUT.dtb RAM_MIB VCPUS
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest_fdt.h"

int main(int argc, char **argv)
{
	static char fdt[8192];
	struct fw_linux_dt dt = { 0 };
	FILE *f;
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: %s OUT.dtb RAM_MIB VCPUS\n", argv[0]);
		return 2;
	}
	dt.ram_gpa = 0x40000000;
	dt.ram_size = strtoull(argv[2], NULL, 0) << 20;
	dt.vcpus = (uint32_t)strtoul(argv[3], NULL, 0);
	dt.cmdline = "";
	err = fw_linux_fdt(fdt, sizeof(fdt), &dt);
	f = fopen(argv[1], "wb");
	if (err != 0 || f == NULL || fwrite(fdt, 1, sizeof(fdt), f) != sizeof(fdt) ||
	    fclose(f) != 0) {
		fprintf(stderr, "mkdtb: failed (%d)\n", err);
		return 1;
	}
	return 0;
}
