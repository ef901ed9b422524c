/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the PL011 UART. The input is a sequence of guest accesses (any offset of
 * the window and a little beyond, widths including odd ones, direction, value), host input,
 * stream back-pressure changes and VM resets.
 */
#include <stdlib.h>

#include "fuzz_support.h"

#define BASE 0x09000000ull

static size_t appetite;

static size_t sink_write(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	return len < appetite ? len : appetite;
}

static const hv_chardev_ops_t sink_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = sink_write,
};

static void vm_reset(hv_vm_t *vm)
{
	hv_vm_stop(vm);
	if (hv_vm_wait(vm, NULL) != HV_OK || hv_vm_reset(vm) != HV_OK)
		abort();
	fuzz_vm_start(vm);
}

/* Mostly the registers that do something; sometimes anywhere. */
static uint64_t pick_offset(struct fuzz_input *in)
{
	uint16_t r = fuzz_u16(in);

	if (r & 0x8000)
		return (r & 0x7fff) % 0x1010;
	return (r & 0x1f) * 4 + (r & 0x20 ? 0xfe0 - 0x80 : 0) + (r & 0x40 ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	hv_pl011_config_t c = HV_PL011_CONFIG_INIT;
	hv_device_t *dev;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = fuzz_vm_create(&vcpu);

	appetite = SIZE_MAX;
	c.base = BASE;
	c.irq = 33;
	c.out.ops = &sink_ops;
	if (hv_pl011_add(vm, &c, &dev) != HV_OK)
		abort();
	fuzz_vm_start(vm);
	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		uint32_t width = op >> 4 & 7;

		if (width == 7)
			width = 8;
		switch (op & 0xf) {
		default: {
			uint64_t off = pick_offset(&in);
			uint64_t value = fuzz_u16(&in);

			fuzz_mmio(vcpu, BASE + off, width, op & 1, value);
			break;
		}
		case 10:
		case 11: {
			size_t n = fuzz_u8(&in) % 40, took = 0;

			if (n > in.left)
				n = in.left;
			if (hv_serial_input(dev, in.p, n, &took) != HV_OK || took > n)
				abort();
			in.p += n;
			in.left -= n;
			break;
		}
		case 12: {
			uint8_t v = fuzz_u8(&in);

			appetite = v & 0x80 ? SIZE_MAX : v % 4;
			break;
		}
		case 13:
			vm_reset(vm);
			break;
		case 14:
		case 15:
			fuzz_mmio(vcpu, BASE, 4, 1, fuzz_u8(&in));
			break;
		}
	}
	hv_vm_destroy(vm);
	return 0;
}
