/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the 16550A UART on the port bus and, per input, memory-mapped with a
 * register shift. The input is a sequence of guest accesses (offset, width including odd ones,
 * direction, value), host input, stream back-pressure changes and VM resets.
 */
#include <stdlib.h>

#include "fuzz_support.h"

#define MMIO_BASE 0x10000000ull

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	hv_uart16550_config_t c = HV_UART16550_CONFIG_INIT;
	uint8_t mode = fuzz_u8(&in);
	hv_device_t *dev;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = fuzz_vm_create(&vcpu);
	uint32_t span;

	appetite = SIZE_MAX;
	c.bus = (mode & 1) ? HV_BUS_MMIO : HV_BUS_PIO;
	c.base = (mode & 1) ? MMIO_BASE : 0x3f8;
	c.reg_shift = (mode >> 1) % 3;
	c.irq = 4;
	c.out.ops = &sink_ops;
	if (hv_uart16550_add(vm, &c, &dev) != HV_OK)
		abort();
	span = c.bus == HV_BUS_MMIO ? 8u << c.reg_shift : 8u;
	fuzz_vm_start(vm);
	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		uint32_t off = fuzz_u8(&in) % (span + 4);
		uint32_t width = op >> 4 & 7;
		uint64_t value = fuzz_u8(&in);

		if (width == 7)
			width = 8;
		switch (op & 0xf) {
		default:
			if (c.bus == HV_BUS_MMIO)
				fuzz_mmio(vcpu, c.base + off - 2, width, op & 1, value);
			else
				fuzz_pio(vcpu, (uint16_t)(c.base + off - 2), width, op & 1, value);
			break;
		case 10:
		case 11: {
			size_t n = (size_t)(value % 24), took = 0;

			if (n > in.left)
				n = in.left;
			if (hv_serial_input(dev, in.p, n, &took) != HV_OK || took > n)
				abort();
			in.p += n;
			in.left -= n;
			break;
		}
		case 12:
			appetite = value & 0x80 ? SIZE_MAX : value % 4;
			break;
		case 13:
			vm_reset(vm);
			break;
		case 14:
		case 15:
			/* Back-to-back writes as a driver's burst. */
			if (c.bus == HV_BUS_PIO)
				fuzz_pio(vcpu, (uint16_t)c.base, 1, 1, value);
			else
				fuzz_mmio(vcpu, c.base, 1, 1, value);
			break;
		}
	}
	hv_vm_destroy(vm);
	return 0;
}
