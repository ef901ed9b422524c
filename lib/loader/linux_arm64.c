/* SPDX-License-Identifier: MIT */
/*
 * The arm64 Linux Image (Documentation/arm64/booting.rst): a 64-byte header with the image's
 * load offset, its size in memory and flags, "ARM\x64" at 0x38. The kernel goes text_offset
 * bytes above a 2 MiB-aligned base; everything it needs (image_size, its BSS included) must be
 * RAM there. Header fields are checked before any byte is written.
 */
#include "loader.h"

#define HV__A64_HDR_SIZE 64u
#define HV__A64_MAGIC 0x644d5241u
#define HV__A64_FLAG_BE 1u
#define HV__A64_ALIGN 0x200000ull

hv_status_t hv_arm64_image_load(hv_vm_t *vm, const void *image, size_t size, hv_gpa_t base,
				hv_gpa_t *entry)
{
	const uint8_t *p = image;
	uint64_t text_offset, image_size, flags, gpa;
	hv_status_t st;

	if (vm == NULL || image == NULL)
		return HV_ERR_INVALID_ARG;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	if (vm->backend->arch != HV_ARCH_AARCH64)
		return HV_ERR_UNSUPPORTED;
	if ((base & (HV__A64_ALIGN - 1)) != 0)
		return HV_ERR_ALIGNMENT;
	if (size < HV__A64_HDR_SIZE || hv__ld32(p + 0x38) != HV__A64_MAGIC)
		return HV_ERR_BAD_IMAGE;
	text_offset = hv__ld64(p + 0x08);
	image_size = hv__ld64(p + 0x10);
	flags = hv__ld64(p + 0x18);
	if (flags & HV__A64_FLAG_BE)
		return HV_ERR_UNSUPPORTED;
	/* Kernels before 3.17 leave image_size zero: then the file is all there is. */
	if (image_size == 0)
		image_size = size;
	if (image_size < size || text_offset >= HV__A64_ALIGN * 512 || base + text_offset < base)
		return HV_ERR_BAD_IMAGE;
	gpa = base + text_offset;
	if (gpa + image_size < gpa)
		return HV_ERR_NOT_MAPPED;
	st = hv__ld_check(vm, gpa, image_size, HV__LD_RAM);
	if (st != HV_OK)
		return st;
	hv__ld_write(vm, gpa, image, size);
	if (entry != NULL)
		*entry = gpa;
	return HV_OK;
}
