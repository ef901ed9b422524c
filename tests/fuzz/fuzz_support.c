/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

unsigned fuzz_irq_changes;
uint8_t fuzz_irq_level[64];

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
	fuzz_irq_changes++;
	if (input < 64)
		fuzz_irq_level[input] = level;
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

static const struct hv_backend fuzz_backend = {
	.version = HV__BACKEND_VERSION,
	.name = "fuzz",
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

hv_vm_t *fuzz_vm_create(hv_vcpu_t **vcpu)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_vm_t *vm;

	/* Informational lines (a device added...) for every input would slow the fuzzer down. */
	hv_log_set_level(HV_LOG_ERROR);
	cfg.name = "fuzz";
	cfg.backend = &fuzz_backend;
	cfg.flags = HV_VM_MANUAL_RUN;
	cfg.unmapped_mmio = HV_UNMAPPED_IGNORE;
	cfg.unmapped_pio = HV_UNMAPPED_IGNORE;
	ram.gpa = FUZZ_RAM_GPA;
	ram.size = FUZZ_RAM_SIZE;
	ram.name = "ram";
	if (hv_vm_create(&cfg, &vm) != HV_OK || hv_vm_map_region(vm, &ram, NULL) != HV_OK ||
	    hv_vcpu_create(vm, 0, vcpu) != HV_OK)
		abort();
	return vm;
}

void fuzz_vm_start(hv_vm_t *vm)
{
	if (hv_vm_start(vm) != HV_OK)
		abort();
}

void fuzz_vm_reset(hv_vm_t *vm)
{
	if (hv_vm_stop(vm) != HV_OK || hv_vm_reset(vm) != HV_OK || hv_vm_start(vm) != HV_OK)
		abort();
}

uint8_t *fuzz_ram(hv_vm_t *vm)
{
	void *hva;

	if (hv_vm_gpa_to_hva(vm, FUZZ_RAM_GPA, FUZZ_RAM_SIZE, &hva) != HV_OK)
		abort();
	return hva;
}

uint64_t fuzz_mmio(hv_vcpu_t *vcpu, uint64_t gpa, uint32_t width, int is_write, uint64_t data)
{
	hv_exit_t exit;

	memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_MMIO;
	exit.u.mmio.gpa = gpa;
	exit.u.mmio.width = (uint8_t)width;
	exit.u.mmio.is_write = is_write != 0;
	exit.u.mmio.data = is_write ? data : 0;
	hv_vcpu_dispatch(vcpu, &exit);
	return exit.reason == HV_EXIT_MMIO && !is_write ? exit.u.mmio.data : 0;
}

uint64_t fuzz_pio(hv_vcpu_t *vcpu, uint16_t port, uint32_t width, int is_write, uint64_t data)
{
	hv_exit_t exit;

	memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_IO;
	exit.u.io.port = port;
	exit.u.io.width = (uint8_t)width;
	exit.u.io.is_write = is_write != 0;
	exit.u.io.count = 1;
	exit.u.io.data = is_write ? data : 0;
	hv_vcpu_dispatch(vcpu, &exit);
	return exit.reason == HV_EXIT_IO && !is_write ? exit.u.io.data : 0;
}

uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v = 0;

	if (in->left > 0) {
		v = *in->p++;
		in->left--;
	}
	return v;
}

uint16_t fuzz_u16(struct fuzz_input *in)
{
	return (uint16_t)(fuzz_u8(in) | (uint16_t)fuzz_u8(in) << 8);
}

uint32_t fuzz_u32(struct fuzz_input *in)
{
	return (uint32_t)fuzz_u16(in) | (uint32_t)fuzz_u16(in) << 16;
}

uint64_t fuzz_u64(struct fuzz_input *in)
{
	return (uint64_t)fuzz_u32(in) | (uint64_t)fuzz_u32(in) << 32;
}
