/* SPDX-License-Identifier: MIT */
/*
 * Linux guests on this firmware: the arm64 Image (Documentation/arm64/booting.rst) and a
 * device tree made by hvlib from the VM's definition (hv_arm64_fdt_describe/_write). When the
 * VM has no RAM yet, it gets it here, with the kernel and the initrd left where the boot
 * loader put them.
 */
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

#define FW_2M 0x200000ull

static uint64_t fw_round(uint64_t v, uint64_t to)
{
	return (v + to - 1) & ~(to - 1);
}

/* RAM at [gpa, gpa + size): at hva when given, else the library's (zeroed). */
static hv_status_t fw_ram(hv_vm_t *vm, uint64_t gpa, uint64_t size, void *hva)
{
	hv_region_config_t r = HV_REGION_CONFIG_INIT;

	if (size == 0)
		return HV_OK;
	r.type = HV_REGION_RAM;
	r.name = hva != NULL ? "ram-in-place" : "ram";
	r.gpa = gpa;
	r.size = size;
	r.hva = hva;
	return hv_vm_map_region(vm, &r, NULL);
}

/*
 * The guest's RAM, one contiguous range for the guest. Where the boot loader left the kernel
 * and the initrd in memory, page-aligned and with nothing of the firmware's after them (the
 * blob area above FW_RAM_END), that memory becomes the guest's RAM where they must run: they
 * are not copied. The kernel's part covers image_size (its BSS) and the initrd's its size, both
 * rounded to 2 MiB (so stage 2 maps everything with blocks) and zeroed beyond the files.
 */
static hv_status_t fw_linux_ram(struct fw_vm *g, const struct fw_linux *l, uint64_t kernel_gpa,
				uint64_t file_size, uint64_t image_size)
{
	uint64_t end = l->ram_gpa + l->ram_size, at = l->ram_gpa;
	uint64_t k_end = fw_round(kernel_gpa + image_size, FW_2M);
	/* To a 2 MiB boundary too, so the RAM after it can be mapped with blocks. */
	uint64_t i_end = fw_round(l->initrd_gpa + l->initrd_size, FW_2M);
	uintptr_t img = (uintptr_t)l->image, ird = (uintptr_t)l->initrd;
	bool k_in_place = (img & (FW_2M - 1)) == 0 && img >= FW_RAM_END &&
			  img + (k_end - kernel_gpa) <= FW_BLOB_INITRD &&
			  (kernel_gpa & (FW_2M - 1)) == 0;
	bool i_in_place = l->initrd_size != 0 && (ird & (FW_2M - 1)) == 0 &&
			  ird >= FW_BLOB_INITRD && ird + (i_end - l->initrd_gpa) <= 0x80000000ull &&
			  (l->initrd_gpa & (FW_2M - 1)) == 0 && l->initrd_gpa >= k_end &&
			  i_end <= end;
	hv_status_t st = HV_OK;

	if (k_in_place && k_end <= end) {
		st = fw_ram(g->vm, at, kernel_gpa - at, NULL);
		if (st == HV_OK)
			st = fw_ram(g->vm, kernel_gpa, k_end - kernel_gpa, (void *)img);
		if (st != HV_OK)
			return st;
		__builtin_memset((uint8_t *)img + file_size, 0,
				 (size_t)(k_end - kernel_gpa - file_size));
		at = k_end;
	}
	if (i_in_place) {
		st = fw_ram(g->vm, at, l->initrd_gpa - at, NULL);
		if (st == HV_OK)
			st = fw_ram(g->vm, l->initrd_gpa, i_end - l->initrd_gpa, (void *)ird);
		if (st != HV_OK)
			return st;
		__builtin_memset((uint8_t *)ird + l->initrd_size, 0,
				 (size_t)(i_end - l->initrd_gpa - l->initrd_size));
		at = i_end;
	}
	return fw_ram(g->vm, at, end - at, NULL);
}

hv_status_t fw_linux_load(struct fw_vm *g, const struct fw_linux *l)
{
	const uint8_t *img = l->image;
	uint64_t text_offset, image_size, file_size, kernel_gpa, dtb_gpa;
	static uint8_t fdt[8192] __attribute__((aligned(8)));
	hv_vcpu_t *boot = hv_vcpu_get(g->vm, 0);
	hv_arm64_fdt_desc_t dt = HV_ARM64_FDT_DESC_INIT;
	hv_region_t *ram;
	size_t fdt_size = 0;
	uint32_t i;
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
	if (hv_vm_find_region(g->vm, l->ram_gpa, &ram) != HV_OK) {
		st = fw_linux_ram(g, l, l->ram_gpa + 0x200000 + text_offset, file_size,
				  image_size != 0 ? image_size : file_size);
		if (st != HV_OK)
			return st;
	}
	/* The device tree: what the VM's definition says, and what it does not. */
	st = hv_arm64_fdt_describe(g->vm, &dt);
	if (st != HV_OK)
		return st;
	dt.bootargs = l->cmdline;
	dt.initrd_gpa = l->initrd_gpa;
	dt.initrd_size = l->initrd_size;
	for (i = 0; i < dt.dev_count && dt.dev[i].kind != HV_FDT_DEV_PL011; i++)
		;
	if (i == dt.dev_count && dt.dev_count < HV_ARM64_FDT_MAX_DEVS) {
		/* No emulated PL011: the board's is passed through (fw_vm_create_ram). */
		hv_fdt_dev_t *d = &dt.dev[dt.dev_count++];

		d->kind = HV_FDT_DEV_PL011;
		d->base = FW_UART_BASE;
		d->size = 0x1000;
		d->intid = 33;
		d->trigger = HV_IRQ_LEVEL;
	}
	st = hv_arm64_fdt_write(&dt, fdt, sizeof(fdt), &fdt_size);
	if (st != HV_OK)
		return st;
	/* Copies only what is not in place already (the library skips a copy onto itself). */
	st = hv_arm64_image_load(g->vm, img, file_size, l->ram_gpa + 0x200000, &kernel_gpa);
	if (st == HV_OK && l->initrd_size != 0)
		st = hv_raw_load(g->vm, l->initrd, l->initrd_size, l->initrd_gpa);
	if (st == HV_OK)
		st = hv_raw_load(g->vm, fdt, fdt_size, dtb_gpa);
	if (st == HV_OK)
		st = hv_vcpu_set_reg(boot, HV_REG_PC, kernel_gpa);
	if (st == HV_OK)
		st = hv_vcpu_set_reg(boot, HV_ARM64_X(0), dtb_gpa);
	return st;
}
