/* SPDX-License-Identifier: MIT */
/*
 * The split-virtqueue engine under a hostile driver: guest RAM holding rings, descriptors and
 * indirect tables comes from the input, a queue is set up through the virtio-mmio registers
 * of a virtio-rng or virtio-console device (or directly with hv__vq_enable()), and then the
 * input drives notifies, input bytes, resets and changes to guest memory between them.
 *
 * Input: flags (bit 0 console, bit 1 EVENT_IDX, bit 2 INDIRECT_DESC, bit 3 engine directly),
 * log2 of the queue size, desc/avail/used addresses (u32 each), image length (u16), the image
 * (copied to guest RAM at 0), then operations (one byte each plus arguments).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "virtio/virtio.h"

#define BASE 0x10000000ull
#define IRQ 5
#define RX_OFFSET 0x800u /* the console's receive queue lies this far after the given areas */

struct sink {
	bool limited;
	size_t budget;
	size_t total;
};

static size_t sink_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;
	volatile uint8_t x = 0;
	size_t i, n = len;

	if (s->limited && n > s->budget)
		n = s->budget;
	for (i = 0; i < n; i++) /* touch every byte: ASan checks the device's pointers */
		x ^= buf[i];
	(void)x;
	if (s->limited)
		s->budget -= n;
	s->total += n;
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

	memset(buf, 0x5a, len);
	return *fail ? HV_ERR_BACKEND : HV_OK;
}

struct state {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	bool console;
	uint64_t features;
	uint16_t size;
	uint32_t desc, avail, used;
	uint8_t entropy_fail;
	struct sink sink;
};

static void reg_write(struct state *s, uint32_t off, uint32_t v)
{
	fuzz_mmio(s->vcpu, BASE + off, 4, 1, v);
}

static uint32_t reg_read(struct state *s, uint32_t off)
{
	return (uint32_t)fuzz_mmio(s->vcpu, BASE + off, 4, 0, 0);
}

static void queue_setup(struct state *s, uint32_t q, uint32_t desc, uint32_t avail, uint32_t used)
{
	reg_write(s, HV_VMMIO_QUEUE_SEL, q);
	reg_write(s, HV_VMMIO_QUEUE_NUM, s->size);
	reg_write(s, HV_VMMIO_QUEUE_DESC_LOW, desc);
	reg_write(s, HV_VMMIO_QUEUE_DESC_HIGH, 0);
	reg_write(s, HV_VMMIO_QUEUE_DRIVER_LOW, avail);
	reg_write(s, HV_VMMIO_QUEUE_DRIVER_HIGH, 0);
	reg_write(s, HV_VMMIO_QUEUE_DEVICE_LOW, used);
	reg_write(s, HV_VMMIO_QUEUE_DEVICE_HIGH, 0);
	reg_write(s, HV_VMMIO_QUEUE_READY, 1);
}

/* The driver's initialisation sequence (3.1.1). */
static void driver_init(struct state *s)
{
	reg_write(s, HV_VMMIO_STATUS, 0);
	reg_write(s, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE);
	reg_write(s, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER);
	reg_write(s, HV_VMMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(s, HV_VMMIO_DRIVER_FEATURES, (uint32_t)s->features);
	reg_write(s, HV_VMMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(s, HV_VMMIO_DRIVER_FEATURES, (uint32_t)(s->features >> 32));
	reg_write(s, HV_VMMIO_STATUS, reg_read(s, HV_VMMIO_STATUS) | HV_VIRTIO_STATUS_FEATURES_OK);
	if (s->console) {
		queue_setup(s, 1, s->desc, s->avail, s->used);
		queue_setup(s, 0, s->desc + RX_OFFSET, s->avail + RX_OFFSET, s->used + RX_OFFSET);
	} else {
		queue_setup(s, 0, s->desc, s->avail, s->used);
	}
	reg_write(s, HV_VMMIO_STATUS, reg_read(s, HV_VMMIO_STATUS) | HV_VIRTIO_STATUS_DRIVER_OK);
}

/* A guest store of 1, 2, 4 or 8 bytes anywhere in RAM (rings, descriptors, buffers). */
static void ram_store(struct state *s, struct fuzz_input *in)
{
	uint32_t addr = fuzz_u32(in) % (FUZZ_RAM_SIZE - 8);
	uint32_t width = 1u << (fuzz_u8(in) & 3);
	uint64_t v = fuzz_u64(in);

	memcpy(fuzz_ram(s->vm) + addr, &v, width);
}

static void run_device(struct state *s, struct fuzz_input *in)
{
	hv_virtio_console_config_t cc = HV_VIRTIO_CONSOLE_CONFIG_INIT;
	hv_virtio_rng_config_t rc = HV_VIRTIO_RNG_CONFIG_INIT;
	unsigned ops = 0;

	if (s->console) {
		cc.mmio.base = BASE;
		cc.mmio.irq = IRQ;
		cc.out.ops = &sink_ops;
		cc.out.ctx = &s->sink;
		if (hv_virtio_console_add(s->vm, &cc, &s->dev) != HV_OK)
			abort();
		s->features |= 1ull | 4ull; /* SIZE, EMERG_WRITE */
	} else {
		rc.mmio.base = BASE;
		rc.mmio.irq = IRQ;
		rc.entropy = fuzz_entropy;
		rc.entropy_ctx = &s->entropy_fail;
		if (hv_virtio_rng_add(s->vm, &rc, &s->dev) != HV_OK)
			abort();
	}
	fuzz_vm_start(s->vm);
	driver_init(s);
	while (in->left > 0 && ops++ < 256) {
		uint8_t op = fuzz_u8(in);

		switch (op % 8) {
		case 0:
			reg_write(s, HV_VMMIO_QUEUE_NOTIFY, (op >> 3) & 1);
			break;
		case 1:
			ram_store(s, in);
			break;
		case 2: {
			uint8_t buf[64];
			size_t n = fuzz_u8(in) % sizeof(buf), i, taken = 0;

			for (i = 0; i < n; i++)
				buf[i] = fuzz_u8(in);
			if (hv_serial_input(s->dev, buf, n, &taken) == HV_OK && taken > n)
				abort();
			break;
		}
		case 3:
			reg_write(s, HV_VMMIO_INTERRUPT_ACK, fuzz_u8(in));
			break;
		case 4:
			s->sink.limited = (op & 8) != 0;
			s->sink.budget = fuzz_u8(in);
			s->entropy_fail = (op >> 4) & 1;
			break;
		case 5:
			driver_init(s);
			break;
		case 6:
			fuzz_vm_reset(s->vm);
			driver_init(s);
			break;
		default:
			(void)reg_read(s, HV_VMMIO_INTERRUPT_STATUS);
			(void)reg_read(s, HV_VMMIO_STATUS);
			break;
		}
		/* The line follows InterruptStatus. */
		if ((reg_read(s, HV_VMMIO_INTERRUPT_STATUS) != 0) != (fuzz_irq_level[IRQ] != 0))
			abort();
	}
}

/* The engine without a transport: pop, copy, push and the event index arithmetic. */
static void run_direct(struct state *s, struct fuzz_input *in)
{
	struct hv__vq vq;
	struct hv__vq_req *req = malloc(sizeof(*req));
	uint8_t buf[512];
	unsigned ops = 0;

	if (req == NULL)
		abort();
	memset(&vq, 0, sizeof(vq));
	vq.size = s->size;
	vq.desc_gpa = s->desc;
	vq.avail_gpa = s->avail;
	vq.used_gpa = s->used;
	if (hv__vq_enable(&vq, s->vm, (s->features >> HV_VIRTIO_F_EVENT_IDX) & 1,
			  (s->features >> HV_VIRTIO_F_INDIRECT_DESC) & 1) != HV_OK)
		goto out;
	while (in->left > 0 && ops++ < 256) {
		uint8_t op = fuzz_u8(in);
		int rc;

		switch (op % 4) {
		case 0:
			rc = hv__vq_pop(&vq, req);
			if (rc < 0 && !vq.broken)
				abort();
			if (rc > 0) {
				uint32_t i, out = 0, inl = 0;
				size_t off = fuzz_u16(in), n;

				if (req->nseg > HV_VQ_MAX_SEGS || req->head >= vq.size)
					abort();
				for (i = 0; i < req->nseg; i++) {
					/* Every segment is real guest memory: touch both ends. */
					volatile uint8_t *p = req->seg[i].hva;

					if (req->seg[i].len == 0)
						abort();
					(void)p[0];
					(void)p[req->seg[i].len - 1];
					if (req->seg[i].device_writes)
						inl += req->seg[i].len;
					else if (inl != 0)
						abort(); /* readable after writable */
					else
						out += req->seg[i].len;
				}
				if (out != req->out_len || inl != req->in_len)
					abort();
				n = hv__vq_req_read(req, off, buf, sizeof(buf));
				n = hv__vq_req_write(req, off, buf, n);
				hv__vq_push(&vq, req->head, (uint32_t)n);
			}
			break;
		case 1:
			ram_store(s, in);
			break;
		case 2:
			(void)hv__vq_need_interrupt(&vq);
			break;
		default:
			hv__vq_update_avail_event(&vq);
			break;
		}
	}
	hv__vq_disable(&vq);
out:
	free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct state s;
	uint8_t flags;
	size_t len;

	memset(&s, 0, sizeof(s));
	memset(fuzz_irq_level, 0, sizeof(fuzz_irq_level));
	flags = fuzz_u8(&in);
	s.console = flags & 1;
	s.features = 1ull << HV_VIRTIO_F_VERSION_1;
	if (flags & 2)
		s.features |= 1ull << HV_VIRTIO_F_EVENT_IDX;
	if (flags & 4)
		s.features |= 1ull << HV_VIRTIO_F_INDIRECT_DESC;
	s.size = (uint16_t)(1u << (fuzz_u8(&in) % 11));
	s.desc = fuzz_u32(&in);
	s.avail = fuzz_u32(&in);
	s.used = fuzz_u32(&in);
	len = fuzz_u16(&in);
	if (len > in.left)
		len = in.left;

	s.vm = fuzz_vm_create(&s.vcpu);
	memcpy(fuzz_ram(s.vm), in.p, len);
	in.p += len;
	in.left -= len;
	if (flags & 8)
		run_direct(&s, &in);
	else
		run_device(&s, &in);
	hv_vm_destroy(s.vm);
	return 0;
}
