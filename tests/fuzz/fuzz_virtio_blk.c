/* SPDX-License-Identifier: MIT */
/*
 * Fuzz virtio-blk: guest RAM contents, register accesses, descriptors and notifies from the
 * input, on a memory-backed disk (read-write or read-only, by the first input byte), each
 * iteration a fresh VM. The disk lives in its own buffer: ASan catches any access outside it.
 */
#include <stdlib.h>

#include "fuzz_vdrv.h"

#define DISK_SIZE (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	hv_virtio_blk_config_t c = HV_VIRTIO_BLK_CONFIG_INIT;
	uint8_t *disk = malloc(DISK_SIZE);
	struct vdrv d = { 0 };
	hv_vm_t *vm;
	unsigned ops = 0;

	if (disk == NULL)
		abort();
	memset(disk, 0x5a, DISK_SIZE);
	vm = fuzz_vm_create(&d.vcpu);
	d.ram = fuzz_ram(vm);
	if (hv_blockdev_memory(disk, DISK_SIZE, fuzz_u8(&in) & 1, &c.disk) != HV_OK)
		abort();
	c.mmio.base = VDRV_BASE;
	c.mmio.irq = VDRV_IRQ;
	c.serial = "fuzz-disk";
	if (hv_virtio_blk_add(vm, &c, NULL) != HV_OK)
		abort();
	fuzz_vm_start(vm);
	while (in.left > 0 && ops++ < 4096)
		vdrv_op(&d, &in, 1);
	hv_vm_destroy(vm);
	free(disk);
	return 0;
}
