/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the PC platform pieces (CMOS RTC, i8042, ports 0x92 and 0x80, the PCI
 * configuration ports). Port accesses of any width around each piece, with the CMOS index
 * steered to real registers; guest resets stop the VM, which the target resets and restarts.
 */
#include <stdlib.h>

#include "fuzz_support.h"

static const uint16_t ports[] = { 0x70,  0x71,  0x60,  0x64,  0x92,  0x80, 0xcf8, 0xcf9, 0xcfa,
				  0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff, 0x6f, 0x72,  0x61,  0x65 };

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
	hv_x86_platform_config_t c = HV_X86_PLATFORM_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = fuzz_vm_create(&vcpu);

	c.pieces = fuzz_u8(&in) & 0x1f;
	if (hv_x86_platform_add(vm, &c) != HV_OK)
		abort();
	fuzz_vm_start(vm);
	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		uint16_t port = ports[fuzz_u8(&in) % (sizeof(ports) / sizeof(ports[0]))];
		uint32_t width = (op >> 1 & 3) == 3 ? 4 : (op >> 1 & 3) + 1;
		uint32_t value = fuzz_u8(&in);

		if ((op & 0x38) == 0x38) {
			/* A CMOS register, then its data. */
			fuzz_pio(vcpu, 0x70, 1, 1, value % 0x40 | (op & 0x80));
			fuzz_pio(vcpu, 0x71, 1, op & 1, fuzz_u8(&in));
		} else if ((op & 0x38) == 0x30 && port == 0xcf8) {
			fuzz_pio(vcpu, port, 4, op & 1, value << 24 | fuzz_u16(&in) << 2);
		} else if ((op & 0x78) == 0x28) {
			vm_restart(vm);
		} else {
			if ((op & 0x38) == 0x20)
				width = op & 0x40 ? 0 : 3; /* widths ports do not have */
			fuzz_pio(vcpu, port, width, op & 1, value);
		}
		if (hv_vm_get_state(vm) != HV_VM_RUNNING)
			vm_restart(vm);
	}
	hv_vm_destroy(vm);
	return 0;
}
