/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

hv_vm_t *fuzz_vm_create(hv_vcpu_t **vcpu)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_vm_t *vm;

	/* Informational lines (a device added...) for every input would slow the fuzzer down. */
	hv_log_set_level(HV_LOG_ERROR);
	cfg.name = "fuzz";
	cfg.backend = &hv_null_backend;
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
