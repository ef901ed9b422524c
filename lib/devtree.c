/* SPDX-License-Identifier: MIT */
/* hv_arm64_fdt_describe(): what a VM's definition says for its device tree. */
#include "hv_internal.h"

hv_status_t hv_arm64_fdt_describe(const hv_vm_t *vm, hv_arm64_fdt_desc_t *desc)
{
	const struct hv__rangemap *m;
	uint32_t i;
	size_t k;

	if (vm == NULL || desc == NULL)
		return HV_ERR_INVALID_ARG;
	if (desc->struct_size != sizeof(*desc))
		return HV_ERR_ABI;
	if (vm->backend->arch != HV_ARCH_AARCH64)
		return HV_ERR_UNSUPPORTED;
	if (hv__vm_state(vm) == HV_VM_RUNNING)
		return HV_ERR_STATE;
	hv__memset(desc, 0, sizeof(*desc));
	desc->struct_size = sizeof(*desc);
	for (i = 0; i < vm->vcpu_slots; i++)
		if (vm->vcpus[i] != NULL)
			desc->vcpus = i + 1;
	m = &vm->mem;
	for (k = 0; k < m->count; k++) {
		const struct hv__range *r = &m->v[k];

		if (r->kind == HV__RANGE_REGION &&
		    ((const hv_region_t *)r->obj)->type == HV_REGION_RAM) {
			hv_fdt_ram_t *last =
				desc->ram_count ? &desc->ram[desc->ram_count - 1] : NULL;

			if (last != NULL && last->base + last->size == r->base) {
				last->size += r->last - r->base + 1;
				continue;
			}
			if (desc->ram_count == HV_ARM64_FDT_MAX_RAM)
				return HV_ERR_LIMIT;
			desc->ram[desc->ram_count].base = r->base;
			desc->ram[desc->ram_count++].size = r->last - r->base + 1;
		} else if (r->kind == HV__RANGE_DEVICE) {
			const hv_device_t *dev = r->obj;
			hv_fdt_dev_t *d;

			if (dev->cls == NULL || dev->cls->fdt_kind == 0)
				continue;
			if (desc->dev_count == HV_ARM64_FDT_MAX_DEVS)
				return HV_ERR_LIMIT;
			d = &desc->dev[desc->dev_count++];
			d->kind = (hv_fdt_dev_kind_t)dev->cls->fdt_kind;
			d->base = dev->base;
			d->size = dev->last - dev->base + 1;
			if (dev->line != NULL && dev->line->input >= 32) {
				d->intid = dev->line->input;
				d->trigger = dev->line->trigger;
			}
		}
	}
	if (desc->ram_count == 0)
		return HV_ERR_NOT_MAPPED;
	if (desc->vcpus == 0)
		return HV_ERR_NOT_FOUND;
	return HV_OK;
}
