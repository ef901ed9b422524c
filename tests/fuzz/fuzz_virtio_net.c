/* SPDX-License-Identifier: MIT */
/*
 * Fuzz virtio-net: guest RAM contents, register accesses, descriptors, notifies and frames
 * arriving from the link (any length, any content), each iteration a fresh VM on a link that
 * checks and counts what the device transmits.
 */
#include <stdlib.h>

#include "fuzz_vdrv.h"

struct sink {
	hv_net_rx_fn rx;
	void *rx_ctx;
	unsigned sends;
};

static void sink_attach(void *ctx, hv_net_rx_fn rx, void *rx_ctx)
{
	struct sink *s = ctx;

	s->rx = rx;
	s->rx_ctx = rx_ctx;
}

static void sink_send(void *ctx, const void *frame, size_t len)
{
	struct sink *s = ctx;
	volatile uint8_t x;

	if (len < 14 || len > 65535 + 18)
		abort(); /* the device must have dropped it */
	x = ((const uint8_t *)frame)[0];
	x = ((const uint8_t *)frame)[len - 1];
	(void)x;
	s->sends++;
}

static const hv_netdev_ops_t sink_ops = {
	.struct_size = sizeof(hv_netdev_ops_t),
	.version = HV_NETDEV_OPS_VERSION,
	.attach = sink_attach,
	.send = sink_send,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[65536 + 32];
	struct fuzz_input in = { data, size };
	hv_virtio_net_config_t c = HV_VIRTIO_NET_CONFIG_INIT;
	struct sink sink = { 0 };
	struct vdrv d = { 0 };
	hv_vm_t *vm;
	unsigned ops = 0;

	vm = fuzz_vm_create(&d.vcpu);
	d.ram = fuzz_ram(vm);
	c.mmio.base = VDRV_BASE;
	c.mmio.irq = VDRV_IRQ;
	c.link = (hv_netdev_t){ .ops = &sink_ops, .ctx = &sink };
	if (hv_virtio_net_add(vm, &c, NULL) != HV_OK || sink.rx == NULL)
		abort();
	fuzz_vm_start(vm);
	while (in.left > 0 && ops++ < 4096) {
		uint8_t op = vdrv_op(&d, &in, 2);
		size_t len;

		if (op == 0)
			continue;
		/* A frame from the link: a short one from the input, or a long patterned one. */
		if (op & 0x80) {
			len = fuzz_u16(&in) + (fuzz_u8(&in) & 31u);
			memset(frame, op, len < sizeof(frame) ? len : sizeof(frame));
		} else {
			len = fuzz_u8(&in);
			for (size_t i = 0; i < len; i++)
				frame[i] = fuzz_u8(&in);
		}
		sink.rx(sink.rx_ctx, frame, len);
	}
	hv_vm_destroy(vm);
	return 0;
}
