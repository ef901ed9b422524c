/* SPDX-License-Identifier: MIT */
/*
 * Host tool for tests/el2/linux.sh bench: writes the device tree the EL2 firmware gives a
 * 1-vCPU Linux guest with the emulated PL011 (examples/05-el2-firmware/linux.c), with hvlib's
 * writer (lib/devtree_write.c, built alone with -DHVLIB_HAVE_LIBFDT=1 -lfdt), so the bare board
 * boots with the same minimal tree. QEMU adds the initrd and the command line to it.
 *
 * Usage: mkdtb OUT.dtb RAM_MIB VCPUS
 */
#include <stdio.h>
#include <stdlib.h>

#include <hvlib/devtree.h>

int main(int argc, char **argv)
{
	static char fdt[8192] __attribute__((aligned(8)));
	hv_arm64_fdt_desc_t d = HV_ARM64_FDT_DESC_INIT;
	size_t used = 0;
	hv_status_t st;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: %s OUT.dtb RAM_MIB VCPUS\n", argv[0]);
		return 2;
	}
	d.ram_count = 1;
	d.ram[0].base = 0x40000000;
	d.ram[0].size = strtoull(argv[2], NULL, 0) << 20;
	d.vcpus = (uint32_t)strtoul(argv[3], NULL, 0);
	d.dev_count = 1;
	d.dev[0].kind = HV_FDT_DEV_PL011;
	d.dev[0].base = 0x09000000;
	d.dev[0].size = 0x1000;
	d.dev[0].intid = 33;
	d.dev[0].trigger = HV_IRQ_LEVEL;
	st = hv_arm64_fdt_write(&d, fdt, sizeof(fdt), &used);
	f = fopen(argv[1], "wb");
	if (st != HV_OK || f == NULL || fwrite(fdt, 1, used, f) != used || fclose(f) != 0) {
		fprintf(stderr, "mkdtb: failed (%d)\n", (int)st);
		return 1;
	}
	return 0;
}
