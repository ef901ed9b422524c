/* SPDX-License-Identifier: MIT */
/* Guest-memory checks and copies for the loaders, and raw images. */
#include "loader.h"

static const hv_region_t *hv__ld_region(const hv_vm_t *vm, uint64_t gpa)
{
	const struct hv__range *r = hv__rangemap_find(&vm->mem, gpa);

	return r != NULL && r->kind == HV__RANGE_REGION ? r->obj : NULL;
}

hv_status_t hv__ld_check(const hv_vm_t *vm, uint64_t gpa, uint64_t size, unsigned types)
{
	uint64_t left = size;

	if (size != 0 && gpa + (size - 1) < gpa)
		return HV_ERR_NOT_MAPPED;
	while (left != 0) {
		const hv_region_t *r = hv__ld_region(vm, gpa);
		uint64_t n;

		if (r == NULL || (types & (1u << r->type)) == 0)
			return HV_ERR_NOT_MAPPED;
		/* Shared memory the VM may only read belongs to another writer. */
		if (r->type == HV_REGION_SHARED && (r->flags & HV_REGION_READONLY))
			return HV_ERR_NOT_MAPPED;
		n = r->size - (gpa - r->gpa);
		if (n >= left)
			break;
		gpa += n;
		left -= n;
	}
	return HV_OK;
}

static void hv__ld_copy(hv_vm_t *vm, uint64_t gpa, const uint8_t *src, uint64_t size)
{
	while (size != 0) {
		const hv_region_t *r = hv__ld_region(vm, gpa);
		uint64_t off, n;

		HV_ASSERT(r != NULL);
		off = gpa - r->gpa;
		n = r->size - off;
		if (n > size)
			n = size;
		if (src != NULL) {
			/* An image already where it must go (the host mapped it in place) stays. */
			if (r->hva + off != src)
				hv__memcpy(r->hva + off, src, (size_t)n);
			src += n;
		} else {
			hv__memset(r->hva + off, 0, (size_t)n);
		}
		gpa += n;
		size -= n;
	}
}

void hv__ld_write(hv_vm_t *vm, uint64_t gpa, const void *src, uint64_t size)
{
	HV_ASSERT(src != NULL || size == 0);
	hv__ld_copy(vm, gpa, src, size);
}

void hv__ld_zero(hv_vm_t *vm, uint64_t gpa, uint64_t size)
{
	hv__ld_copy(vm, gpa, NULL, size);
}

hv_status_t hv_raw_load(hv_vm_t *vm, const void *image, size_t size, hv_gpa_t gpa)
{
	hv_status_t st;

	if (vm == NULL || image == NULL)
		return HV_ERR_INVALID_ARG;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	if (size == 0)
		return HV_ERR_BAD_IMAGE;
	st = hv__ld_check(vm, gpa, size, HV__LD_RAM | HV__LD_ROM);
	if (st != HV_OK)
		return st;
	hv__ld_write(vm, gpa, image, size);
	return HV_OK;
}
