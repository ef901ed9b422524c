/* SPDX-License-Identifier: MIT */
/* Memory regions, shared-memory objects and guest-physical address translation. */
#include "hv_internal.h"

#define HV__PAGE_MASK ((uint64_t)HV_PAGE_SIZE - 1)

static bool hv__page_aligned(uint64_t v)
{
	return (v & HV__PAGE_MASK) == 0;
}

static hv_status_t hv__check_region(const hv_vm_t *vm, const hv_region_config_t *c)
{
	hv_status_t st;

	if (HV__CHECK_STRUCT(c, hv_region_config_t) != HV_OK)
		return HV_ERR_ABI;
	if ((unsigned)c->type > HV_REGION_SHARED || (c->flags & ~HV_REGION_READONLY) != 0)
		return HV_ERR_INVALID_ARG;
	if (c->type == HV_REGION_PASSTHROUGH && c->hva == NULL)
		return HV_ERR_INVALID_ARG;
	if (c->type == HV_REGION_SHARED ? (c->shm == NULL || c->hva != NULL) : c->shm != NULL)
		return HV_ERR_INVALID_ARG;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	if (c->size == 0)
		return HV_ERR_ZERO_SIZE;
	if (c->gpa + (c->size - 1) < c->gpa)
		return HV_ERR_WRAP;
	if (!hv__page_aligned(c->gpa) || !hv__page_aligned(c->size) ||
	    !hv__page_aligned((uintptr_t)c->hva) || !hv__page_aligned(c->shm_offset))
		return HV_ERR_ALIGNMENT;
	if (c->type == HV_REGION_SHARED &&
	    (c->shm_offset > c->shm->size || c->size > c->shm->size - c->shm_offset))
		return HV_ERR_RANGE;
	st = hv__rangemap_check(&vm->mem, c->gpa, c->size);
	return st;
}

hv_status_t hv_vm_map_region(hv_vm_t *vm, const hv_region_config_t *config, hv_region_t **out)
{
	hv_region_t *r;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	st = hv__check_region(vm, config);
	if (st != HV_OK)
		return st;
	if (sizeof(size_t) < sizeof(uint64_t) && config->size > (uint64_t)SIZE_MAX)
		return HV_ERR_NO_MEMORY;

	r = hv__alloc(sizeof(*r));
	if (r == NULL)
		return HV_ERR_NO_MEMORY;
	r->vm = vm;
	r->type = config->type;
	r->gpa = config->gpa;
	r->size = config->size;
	r->flags = config->flags;
	if (r->type == HV_REGION_ROM)
		r->flags |= HV_REGION_READONLY;
	st = HV_ERR_NO_MEMORY;
	if (config->name != NULL) {
		r->name = hv__strdup(config->name);
		if (r->name == NULL)
			goto err;
	}
	if (r->type == HV_REGION_SHARED) {
		r->shm = config->shm;
		r->hva = config->shm->hva + config->shm_offset;
	} else if (config->hva != NULL) {
		r->hva = config->hva;
	} else {
		r->hva = hv__ram_alloc((size_t)r->size);
		if (r->hva == NULL)
			goto err;
		r->owned = true;
	}
	hv__vm_map_hold(vm);
	st = hv__rangemap_insert(&vm->mem, r->gpa, r->size, HV__RANGE_REGION, r);
	if (st == HV_OK) {
		st = vm->backend->map(vm->bstate, r);
		if (st != HV_OK)
			hv__rangemap_remove(&vm->mem, r);
	}
	hv__vm_map_release(vm);
	if (st != HV_OK)
		goto err;
	if (r->shm != NULL)
		__atomic_add_fetch(&r->shm->map_count, 1, __ATOMIC_ACQ_REL);
	hv__vm_invalidate_caches(vm);
	HV_LOGI("vm %s: region %s at 0x%llx size 0x%llx", vm->name, r->name ? r->name : "-",
		(unsigned long long)r->gpa, (unsigned long long)r->size);
	if (out != NULL)
		*out = r;
	return HV_OK;

err:
	if (r->owned)
		hv__ram_free(r->hva, (size_t)r->size);
	hv__strfree(r->name);
	hv__free(r, sizeof(*r));
	return st;
}

static void hv__region_free(hv_region_t *r)
{
	if (r->shm != NULL)
		__atomic_sub_fetch(&r->shm->map_count, 1, __ATOMIC_ACQ_REL);
	if (r->owned)
		hv__ram_free(r->hva, (size_t)r->size);
	hv__strfree(r->name);
	hv__free(r, sizeof(*r));
}

hv_status_t hv_vm_unmap_region(hv_region_t *region)
{
	hv_vm_t *vm;

	if (region == NULL)
		return HV_OK;
	vm = region->vm;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	hv__vm_map_hold(vm);
	if (vm->backend->unmap(vm->bstate, region) != HV_OK) {
		hv__vm_map_release(vm);
		return HV_ERR_BACKEND;
	}
	hv__rangemap_remove(&vm->mem, region);
	hv__vm_invalidate_caches(vm);
	hv__region_free(region);
	hv__vm_map_release(vm);
	return HV_OK;
}

void hv__vm_release_regions(hv_vm_t *vm)
{
	size_t i = vm->mem.count;

	while (i-- > 0) {
		struct hv__range *r = &vm->mem.v[i];

		if (r->kind == HV__RANGE_REGION) {
			hv_region_t *region = r->obj;

			vm->backend->unmap(vm->bstate, region);
			hv__rangemap_remove(&vm->mem, region);
			hv__region_free(region);
		}
	}
}

static const hv_region_t *hv__find_region(const hv_vm_t *vm, hv_gpa_t gpa)
{
	const struct hv__range *r = hv__rangemap_find(&vm->mem, gpa);

	return r != NULL && r->kind == HV__RANGE_REGION ? r->obj : NULL;
}

hv_status_t hv_vm_find_region(const hv_vm_t *vm, hv_gpa_t gpa, hv_region_t **region)
{
	const hv_region_t *r;

	if (vm == NULL || region == NULL)
		return HV_ERR_INVALID_ARG;
	r = hv__find_region(vm, gpa);
	if (r == NULL)
		return HV_ERR_NOT_MAPPED;
	*region = (hv_region_t *)r;
	return HV_OK;
}

hv_gpa_t hv_region_gpa(const hv_region_t *region)
{
	return region != NULL ? region->gpa : 0;
}

uint64_t hv_region_size(const hv_region_t *region)
{
	return region != NULL ? region->size : 0;
}

void *hv_region_hva(const hv_region_t *region)
{
	return region != NULL ? region->hva : NULL;
}

static hv_status_t hv__check_range(hv_gpa_t gpa, uint64_t size)
{
	if (size == 0)
		return HV_ERR_ZERO_SIZE;
	if (gpa + (size - 1) < gpa)
		return HV_ERR_WRAP;
	return HV_OK;
}

hv_status_t hv_vm_gpa_to_hva(const hv_vm_t *vm, hv_gpa_t gpa, uint64_t size, void **hva)
{
	const hv_region_t *r;
	hv_status_t st;

	if (vm == NULL || hva == NULL)
		return HV_ERR_INVALID_ARG;
	st = hv__check_range(gpa, size);
	if (st != HV_OK)
		return st;
	r = hv__find_region(vm, gpa);
	if (r == NULL || gpa + (size - 1) > r->gpa + (r->size - 1))
		return HV_ERR_NOT_MAPPED;
	*hva = r->hva + (gpa - r->gpa);
	return HV_OK;
}

/* Copy across adjacent regions; the whole range is checked before any byte moves. */
static hv_status_t hv__copy(hv_vm_t *vm, hv_gpa_t gpa, uint8_t *buf, uint64_t size, bool write)
{
	hv_gpa_t at = gpa;
	uint64_t left = size;
	hv_status_t st = hv__check_range(gpa, size);

	if (st != HV_OK)
		return st;
	for (int pass = 0; pass < 2; pass++) {
		at = gpa;
		left = size;
		while (left != 0) {
			const hv_region_t *r = hv__find_region(vm, at);
			uint64_t off, n;

			if (r == NULL)
				return HV_ERR_NOT_MAPPED;
			if (write && r->type == HV_REGION_SHARED && (r->flags & HV_REGION_READONLY))
				return HV_ERR_STATE;
			off = at - r->gpa;
			n = r->size - off;
			if (n > left)
				n = left;
			if (pass == 1) {
				if (write)
					hv__memcpy(r->hva + off, buf, (size_t)n);
				else
					hv__memcpy(buf, r->hva + off, (size_t)n);
				buf += n;
			}
			at += n;
			left -= n;
		}
	}
	return HV_OK;
}

hv_status_t hv_vm_read(const hv_vm_t *vm, hv_gpa_t gpa, void *buf, uint64_t size)
{
	if (vm == NULL || buf == NULL)
		return HV_ERR_INVALID_ARG;
	return hv__copy((hv_vm_t *)vm, gpa, buf, size, false);
}

hv_status_t hv_vm_write(hv_vm_t *vm, hv_gpa_t gpa, const void *buf, uint64_t size)
{
	if (vm == NULL || buf == NULL)
		return HV_ERR_INVALID_ARG;
	return hv__copy(vm, gpa, (uint8_t *)buf, size, true);
}

hv_status_t hv_shm_create(uint64_t size, hv_shm_t **out)
{
	hv_shm_t *shm;

	if (out == NULL)
		return HV_ERR_INVALID_ARG;
	if (size == 0)
		return HV_ERR_ZERO_SIZE;
	if (!hv__page_aligned(size))
		return HV_ERR_ALIGNMENT;
	if (hv__platform_get() == NULL)
		return HV_ERR_NO_PLATFORM;
	if (sizeof(size_t) < sizeof(uint64_t) && size > (uint64_t)SIZE_MAX)
		return HV_ERR_NO_MEMORY;
	shm = hv__alloc(sizeof(*shm));
	if (shm == NULL)
		return HV_ERR_NO_MEMORY;
	shm->hva = hv__ram_alloc((size_t)size);
	if (shm->hva == NULL) {
		hv__free(shm, sizeof(*shm));
		return HV_ERR_NO_MEMORY;
	}
	shm->size = size;
	hv__platform_ref();
	*out = shm;
	return HV_OK;
}

hv_status_t hv_shm_destroy(hv_shm_t *shm)
{
	if (shm == NULL)
		return HV_OK;
	if (__atomic_load_n(&shm->map_count, __ATOMIC_ACQUIRE) != 0)
		return HV_ERR_BUSY;
	hv__ram_free(shm->hva, (size_t)shm->size);
	hv__free(shm, sizeof(*shm));
	hv__platform_unref();
	return HV_OK;
}

void *hv_shm_hva(const hv_shm_t *shm)
{
	return shm != NULL ? shm->hva : NULL;
}

uint64_t hv_shm_size(const hv_shm_t *shm)
{
	return shm != NULL ? shm->size : 0;
}
