/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport under arbitrary register traffic: accesses of any width at any
 * offset of the window (registers and configuration space), on a virtio-console and a
 * virtio-rng side by side, with guest RAM contents from the input, host input, entropy
 * failures, output back-pressure and VM resets in between.
 *
 * Input: image length (u16) and the image (copied to guest RAM at 0), then operations.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "virtio/virtio.h"

#define CONSOLE_BASE 0x10000000ull
#define RNG_BASE (CONSOLE_BASE + HV_VIRTIO_MMIO_SIZE)
#define CONSOLE_IRQ 5
#define RNG_IRQ 6

struct sink {
	bool limited;
	size_t budget;
};

static size_t sink_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;
	volatile uint8_t x = 0;
	size_t i, n = len;

	if (s->limited && n > s->budget)
		n = s->budget;
	for (i = 0; i < n; i++)
		x ^= buf[i];
	(void)x;
	if (s->limited)
		s->budget -= n;
	return n;
}

static const hv_chardev_ops_t sink_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = sink_write,
};

static hv_status_t fuzz_entropy(void *ctx, void *buf, size_t len)
{
	uint8_t *fail = ctx;

	memset(buf, 0xa5, len);
	return *fail ? HV_ERR_BACKEND : HV_OK;
}

/* Registers a driver uses, so that short inputs reach them often. */
static const uint16_t regs[] = {
	HV_VMMIO_MAGIC,
	HV_VMMIO_VERSION,
	HV_VMMIO_DEVICE_ID,
	HV_VMMIO_VENDOR_ID,
	HV_VMMIO_DEVICE_FEATURES,
	HV_VMMIO_DEVICE_FEATURES_SEL,
	HV_VMMIO_DRIVER_FEATURES,
	HV_VMMIO_DRIVER_FEATURES_SEL,
	HV_VMMIO_QUEUE_SEL,
	HV_VMMIO_QUEUE_NUM_MAX,
	HV_VMMIO_QUEUE_NUM,
	HV_VMMIO_QUEUE_READY,
	HV_VMMIO_QUEUE_NOTIFY,
	HV_VMMIO_INTERRUPT_STATUS,
	HV_VMMIO_INTERRUPT_ACK,
	HV_VMMIO_STATUS,
	HV_VMMIO_QUEUE_DESC_LOW,
	HV_VMMIO_QUEUE_DESC_HIGH,
	HV_VMMIO_QUEUE_DRIVER_LOW,
	HV_VMMIO_QUEUE_DRIVER_HIGH,
	HV_VMMIO_QUEUE_DEVICE_LOW,
	HV_VMMIO_QUEUE_DEVICE_HIGH,
	HV_VMMIO_SHM_SEL,
	HV_VMMIO_SHM_LEN_LOW,
	HV_VMMIO_SHM_LEN_HIGH,
	HV_VMMIO_SHM_BASE_LOW,
	HV_VMMIO_SHM_BASE_HIGH,
	HV_VMMIO_QUEUE_RESET,
	HV_VMMIO_CONFIG_GENERATION,
	HV_VMMIO_CONFIG,
	HV_VMMIO_CONFIG + 4,
	HV_VMMIO_CONFIG + 8,
};

static const uint8_t widths[] = { 1, 2, 4, 8, 3, 4, 4, 4 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_virtio_console_config_t cc = HV_VIRTIO_CONSOLE_CONFIG_INIT;
	hv_virtio_rng_config_t rc = HV_VIRTIO_RNG_CONFIG_INIT;
	struct fuzz_input in = { data, size };
	struct sink sink = { false, 0 };
	uint8_t entropy_fail = 0;
	hv_device_t *console;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;
	unsigned ops = 0;
	size_t len;

	memset(fuzz_irq_level, 0, sizeof(fuzz_irq_level));
	vm = fuzz_vm_create(&vcpu);
	len = fuzz_u16(&in);
	if (len > in.left)
		len = in.left;
	memcpy(fuzz_ram(vm), in.p, len);
	in.p += len;
	in.left -= len;

	cc.mmio.base = CONSOLE_BASE;
	cc.mmio.irq = CONSOLE_IRQ;
	cc.out.ops = &sink_ops;
	cc.out.ctx = &sink;
	rc.mmio.base = RNG_BASE;
	rc.mmio.irq = RNG_IRQ;
	rc.entropy = fuzz_entropy;
	rc.entropy_ctx = &entropy_fail;
	if (hv_virtio_console_add(vm, &cc, &console) != HV_OK ||
	    hv_virtio_rng_add(vm, &rc, NULL) != HV_OK)
		abort();
	fuzz_vm_start(vm);

	while (in.left > 0 && ops++ < 1024) {
		uint8_t op = fuzz_u8(&in);
		uint64_t base = (op & 0x80) ? RNG_BASE : CONSOLE_BASE;

		switch (op & 7) {
		case 0: /* a known register, 32 bits */
			fuzz_mmio(vcpu, base + regs[fuzz_u8(&in) % HV__ARRAY_SIZE(regs)], 4, 1,
				  fuzz_u32(&in));
			break;
		case 1:
			(void)fuzz_mmio(vcpu, base + regs[fuzz_u8(&in) % HV__ARRAY_SIZE(regs)], 4,
					0, 0);
			break;
		case 2: { /* anything anywhere in the window (and a little past it) */
			uint16_t off = fuzz_u16(&in) % (HV_VIRTIO_MMIO_SIZE + 8);
			uint8_t w = widths[(op >> 3) & 7];

			if ((op >> 6) & 1)
				fuzz_mmio(vcpu, base + off, w, 1, fuzz_u64(&in));
			else
				(void)fuzz_mmio(vcpu, base + off, w, 0, 0);
			break;
		}
		case 3: { /* guest memory */
			uint32_t addr = fuzz_u32(&in) % (FUZZ_RAM_SIZE - 8);
			uint64_t v = fuzz_u64(&in);

			memcpy(fuzz_ram(vm) + addr, &v, 1u << ((op >> 3) & 3));
			break;
		}
		case 4: {
			uint8_t buf[32];
			size_t n = fuzz_u8(&in) % sizeof(buf), i, taken = 0;

			for (i = 0; i < n; i++)
				buf[i] = fuzz_u8(&in);
			if (hv_serial_input(console, buf, n, &taken) != HV_OK || taken > n)
				abort();
			break;
		}
		case 5:
			sink.limited = (op >> 3) & 1;
			sink.budget = fuzz_u8(&in);
			entropy_fail = (op >> 4) & 1;
			break;
		case 6:
			if ((op >> 3) == 0)
				fuzz_vm_reset(vm);
			break;
		default:
			break;
		}
	}
	/* Each line follows its device's InterruptStatus. */
	if ((fuzz_mmio(vcpu, CONSOLE_BASE + HV_VMMIO_INTERRUPT_STATUS, 4, 0, 0) != 0) !=
	    (fuzz_irq_level[CONSOLE_IRQ] != 0))
		abort();
	if ((fuzz_mmio(vcpu, RNG_BASE + HV_VMMIO_INTERRUPT_STATUS, 4, 0, 0) != 0) !=
	    (fuzz_irq_level[RNG_IRQ] != 0))
		abort();
	hv_vm_destroy(vm);
	return 0;
}
