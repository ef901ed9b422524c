/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the SP805 watchdog with a fast clock, so that time-outs (interrupts and the
 * VM stopping) happen on the timer thread while the guest's accesses race with them. Accesses
 * anywhere in (and just past) the window with any width, and VM resets.
 */
#include <stdlib.h>

#include "fuzz_support.h"

#define BASE 0x09020000ull

static void vm_reset(hv_vm_t *vm)
{
	hv_vm_stop(vm);
	if (hv_vm_wait(vm, NULL) != HV_OK || hv_vm_reset(vm) != HV_OK)
		abort();
	fuzz_vm_start(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t regs[] = { 0x000, 0x004, 0x008, 0x00c, 0x010, 0x014,
					 0xc00, 0xf00, 0xf04, 0xfe0, 0xffc };
	struct fuzz_input in = { data, size };
	hv_sp805_config_t c = HV_SP805_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = fuzz_vm_create(&vcpu);

	c.base = BASE;
	c.irq = 35;
	c.clock_hz = fuzz_u8(&in) % 2 ? 1000000 : (uint32_t)fuzz_u32(&in);
	if (hv_sp805_add(vm, &c, NULL) != HV_OK)
		abort();
	fuzz_vm_start(vm);
	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		uint32_t width = op >> 4 & 7;
		uint8_t r = fuzz_u8(&in);
		uint64_t off = (r & 0x80) ? (uint64_t)fuzz_u16(&in) % 0x1010 :
					    regs[r % (sizeof(regs) / sizeof(regs[0]))];
		uint32_t value = (op & 8) ? fuzz_u16(&in) % 64 : fuzz_u32(&in);

		if (width == 7)
			width = 8;
		if ((op & 7) == 7) {
			vm_reset(vm);
			continue;
		}
		if ((op & 7) == 6)
			value = 0x1acce551;
		fuzz_mmio(vcpu, BASE + off, (op & 7) >= 4 ? 4 : width, op & 1, value);
	}
	hv_vm_destroy(vm);
	return 0;
}
