/* SPDX-License-Identifier: MIT */
/*
 * Linux guests on this firmware: the arm64 Image (Documentation/arm64/booting.rst) and a
 * device tree (fdt.c, libfdt) from the VM's definition.
 */
#include <libfdt.h>

#include "guest_fdt.h"
#include "linux.h"


/* Image header fields, read byte by byte: the image is untrusted and maybe unaligned. */
static uint64_t fw_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

hv_status_t fw_linux_load(struct fw_vm *g, const struct fw_linux *l)
{
	const uint8_t *img = l->image;
	uint64_t text_offset, image_size, file_size, kernel_gpa, dtb_gpa;
	static uint8_t fdt[8192] __attribute__((aligned(8)));
	hv_vcpu_t *boot = hv_vcpu_get(g->vm, 0);
	struct fw_linux_dt dt = { 0 };
	hv_status_t st;

	/* The blob holds at most image_size bytes of file: the header's size in memory. */
	if (l->image_size < 64)
		return HV_ERR_BAD_IMAGE;
	text_offset = fw_le64(img + 0x08);
	image_size = fw_le64(img + 0x10);
	file_size = image_size != 0 && image_size < l->image_size ? image_size : l->image_size;
	/* The DTB in the last 2 MiB of RAM; the initrd must not be where the kernel runs. */
	dtb_gpa = l->ram_gpa + l->ram_size - 0x200000;
	if (l->initrd_size != 0 && l->initrd_gpa < l->ram_gpa + 0x200000 + text_offset + image_size)
		return HV_ERR_RANGE;
	dt.ram_gpa = l->ram_gpa;
	dt.ram_size = l->ram_size;
	dt.initrd_gpa = l->initrd_gpa;
	dt.initrd_size = l->initrd_size;
	dt.cmdline = l->cmdline;
	dt.vcpus = g->vcpu_count;
	dt.virtio_count = l->virtio_count;
	dt.virtio_base = l->virtio_base;
	dt.virtio_spi = l->virtio_spi;
	if (fw_linux_fdt(fdt, sizeof(fdt), &dt) != 0)
		return HV_ERR_NO_MEMORY;
	st = hv_arm64_image_load(g->vm, img, file_size, l->ram_gpa + 0x200000, &kernel_gpa);
	if (st == HV_OK && l->initrd_size != 0)
		st = hv_raw_load(g->vm, l->initrd, l->initrd_size, l->initrd_gpa);
	if (st == HV_OK)
		st = hv_raw_load(g->vm, fdt, fdt_totalsize(fdt), dtb_gpa);
	if (st == HV_OK)
		st = hv_vcpu_set_reg(boot, HV_REG_PC, kernel_gpa);
	if (st == HV_OK)
		st = hv_vcpu_set_reg(boot, HV_ARM64_X(0), dtb_gpa);
	return st;
}
