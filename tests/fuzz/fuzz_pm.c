/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the ACPI PM registers of hv_pc_setup() (PM1_STS, PM1_EN, PM1_CNT, the PM
 * timer). Port accesses of any width at any offset around the block; a soft-off stops the VM,
 * which the target resets and restarts.
 */
#include <stdlib.h>

#include "fuzz_support.h"

#define PM 0x600u

static void vm_restart(hv_vm_t *vm)
{
	if (hv_vm_get_state(vm) == HV_VM_RUNNING)
		hv_vm_stop(vm);
	if (hv_vm_wait(vm, NULL) != HV_OK || hv_vm_reset(vm) != HV_OK)
		abort();
	fuzz_vm_start(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = fuzz_vm_create(&vcpu);

	/* The tables go above the fuzz harness's RAM; the PM block at its default. */
	c.tables_gpa = 0x100000;
	if (hv_pc_setup(vm, &c) != HV_OK)
		abort();
	fuzz_vm_start(vm);
	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		uint16_t port = (uint16_t)(PM - 2 + fuzz_u8(&in) % (HV_PC_PM_SIZE + 4));
		uint32_t width = 1u << (op >> 1 & 3); /* 1, 2, 4, 8 */
		uint32_t value = fuzz_u32(&in);

		if ((op & 0x70) == 0x70) {
			vm_restart(vm);
			continue;
		}
		fuzz_pio(vcpu, port, width, op & 1, value);
		if (hv_vm_get_state(vm) != HV_VM_RUNNING)
			vm_restart(vm);
	}
	hv_vm_destroy(vm);
	return 0;
}
