/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the PL031 RTC. Guest accesses anywhere in (and just past) its window with
 * any width, with match values near the counter so that the platform timer fires during the
 * run, and VM resets.
 */
#include <stdlib.h>

#include "fuzz_support.h"

#define BASE 0x09010000ull

static void vm_reset(hv_vm_t *vm)
{
	hv_vm_stop(vm);
	if (hv_vm_wait(vm, NULL) != HV_OK || hv_vm_reset(vm) != HV_OK)
		abort();
	fuzz_vm_start(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	hv_pl031_config_t c = HV_PL031_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = fuzz_vm_create(&vcpu);

	c.base = BASE;
	c.irq = 34;
	if (hv_pl031_add(vm, &c, NULL) != HV_OK)
		abort();
	fuzz_vm_start(vm);
	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		uint32_t width = op >> 4 & 7;
		uint16_t r = fuzz_u16(&in);
		uint64_t off = (r & 0x8000) ? (r & 0x7fff) % 0x1010 :
					      (r & 0xf) * 4 + (r & 0x10 ? 0xfc0 : 0);
		uint32_t value = fuzz_u32(&in);

		if (width == 7)
			width = 8;
		switch (op & 7) {
		default:
			fuzz_mmio(vcpu, BASE + off, width, op & 1, value);
			break;
		case 5: {
			/* A match a few seconds around the counter (wraps included). */
			uint32_t dr = (uint32_t)fuzz_mmio(vcpu, BASE, 4, 0, 0);

			fuzz_mmio(vcpu, BASE + 4, 4, 1, dr + (int8_t)(value & 0xff) % 3);
			break;
		}
		case 6:
			vm_reset(vm);
			break;
		}
	}
	hv_vm_destroy(vm);
	return 0;
}
