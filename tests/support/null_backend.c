/* SPDX-License-Identifier: MIT */
#include "null_backend.h"

unsigned hv_null_irq_changes;
uint8_t hv_null_irq_level[64];

static hv_status_t null_ok(void)
{
	return HV_OK;
}

static hv_status_t null_caps(hv_backend_caps_t *caps)
{
	caps->flags = HV_CAP_PIO | HV_CAP_IRQCHIP | HV_CAP_MSI;
	caps->max_vcpus = 1;
	caps->max_regions = 64;
	caps->irq_inputs = 64;
	caps->max_gpa = 1ull << 40;
	return HV_OK;
}

static hv_status_t null_vm_init(hv_vm_t *vm, void *vs)
{
	(void)vm;
	(void)vs;
	return HV_OK;
}

static void null_vm_fini(hv_vm_t *vm, void *vs)
{
	(void)vm;
	(void)vs;
}

static hv_status_t null_vcpu_init(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	(void)vcpu;
	(void)vs;
	(void)cs;
	return HV_OK;
}

static void null_vcpu_fini(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	(void)vcpu;
	(void)vs;
	(void)cs;
}

static hv_status_t null_map(void *vs, hv_region_t *r)
{
	(void)vs;
	(void)r;
	return HV_OK;
}

static void null_kick(void *cs)
{
	(void)cs;
}

static hv_status_t null_irq_set(void *vs, uint32_t input, bool level)
{
	(void)vs;
	hv_null_irq_changes++;
	if (input < 64)
		hv_null_irq_level[input] = level;
	return HV_OK;
}

static hv_status_t null_msi(void *vs, uint64_t address, uint32_t data)
{
	(void)vs;
	(void)address;
	(void)data;
	return HV_OK;
}

static hv_status_t null_save(void *cs, void *snap)
{
	(void)cs;
	(void)snap;
	return HV_OK;
}

static hv_status_t null_restore(void *cs, const void *snap)
{
	(void)cs;
	(void)snap;
	return HV_OK;
}

const struct hv_backend hv_null_backend = {
	.version = HV__BACKEND_VERSION,
	.name = "null",
	.arch = HV_ARCH_X86_64,
	.check = null_ok,
	.caps = null_caps,
	.vm_init = null_vm_init,
	.vm_fini = null_vm_fini,
	.vcpu_init = null_vcpu_init,
	.vcpu_fini = null_vcpu_fini,
	.map = null_map,
	.unmap = null_map,
	.kick = null_kick,
	.save = null_save,
	.restore = null_restore,
	.irq_set = null_irq_set,
	.msi = null_msi,
};
