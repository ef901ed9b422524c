/* SPDX-License-Identifier: MIT */
/*
 * A tiny, input-driven virtio-mmio "driver" for the device fuzz targets (header only: each
 * target is built on its own). The input is a list of operations; some are raw (any register,
 * any width, any guest byte), some are shortcuts that a well-behaved driver would do (set up
 * a queue at fixed addresses, write a descriptor, publish an avail entry) so that the fuzzer
 * reaches request processing quickly and then mutates around it.
 */
#ifndef HV_FUZZ_VDRV_H
#define HV_FUZZ_VDRV_H

#include <string.h>

#include "fuzz_support.h"
#include "virtio/virtio.h"

#define VDRV_BASE 0x10000000ull
#define VDRV_IRQ 5
#define VDRV_QSIZE 16u
/* Rings of queue q at fixed places in the first 64 KiB of guest RAM; buffers above. */
#define VDRV_DESC(q) (0x1000ull + 0x3000ull * (q))
#define VDRV_AVAIL(q) (VDRV_DESC(q) + 0x1000)
#define VDRV_USED(q) (VDRV_DESC(q) + 0x2000)

struct vdrv {
	hv_vcpu_t *vcpu;
	uint8_t *ram;
	uint16_t avail_idx[HV_VIRTIO_MAX_QUEUES];
};

static inline void vdrv_wr(struct vdrv *d, uint32_t off, uint32_t v)
{
	fuzz_mmio(d->vcpu, VDRV_BASE + off, 4, 1, v);
}

static inline uint32_t vdrv_rd(struct vdrv *d, uint32_t off)
{
	return (uint32_t)fuzz_mmio(d->vcpu, VDRV_BASE + off, 4, 0, 0);
}

/* Negotiate `features` (as offered) and set up queues 0..nq-1, then DRIVER_OK. */
static inline void vdrv_setup(struct vdrv *d, uint64_t features, unsigned nq)
{
	uint64_t offered;

	vdrv_wr(d, HV_VMMIO_STATUS, 0);
	vdrv_wr(d, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER);
	vdrv_wr(d, HV_VMMIO_DEVICE_FEATURES_SEL, 1);
	offered = (uint64_t)vdrv_rd(d, HV_VMMIO_DEVICE_FEATURES) << 32;
	vdrv_wr(d, HV_VMMIO_DEVICE_FEATURES_SEL, 0);
	offered |= vdrv_rd(d, HV_VMMIO_DEVICE_FEATURES);
	features = (features & offered) | (1ull << HV_VIRTIO_F_VERSION_1);
	vdrv_wr(d, HV_VMMIO_DRIVER_FEATURES_SEL, 1);
	vdrv_wr(d, HV_VMMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vdrv_wr(d, HV_VMMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_wr(d, HV_VMMIO_DRIVER_FEATURES, (uint32_t)features);
	vdrv_wr(d, HV_VMMIO_STATUS,
		HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER |
			HV_VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < nq; q++) {
		vdrv_wr(d, HV_VMMIO_QUEUE_SEL, q);
		vdrv_wr(d, HV_VMMIO_QUEUE_NUM, VDRV_QSIZE);
		vdrv_wr(d, HV_VMMIO_QUEUE_DESC_LOW, (uint32_t)VDRV_DESC(q));
		vdrv_wr(d, HV_VMMIO_QUEUE_DESC_HIGH, 0);
		vdrv_wr(d, HV_VMMIO_QUEUE_DRIVER_LOW, (uint32_t)VDRV_AVAIL(q));
		vdrv_wr(d, HV_VMMIO_QUEUE_DRIVER_HIGH, 0);
		vdrv_wr(d, HV_VMMIO_QUEUE_DEVICE_LOW, (uint32_t)VDRV_USED(q));
		vdrv_wr(d, HV_VMMIO_QUEUE_DEVICE_HIGH, 0);
		vdrv_wr(d, HV_VMMIO_QUEUE_READY, 1);
		d->avail_idx[q] = 0;
	}
	vdrv_wr(d, HV_VMMIO_STATUS,
		HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER |
			HV_VIRTIO_STATUS_FEATURES_OK | HV_VIRTIO_STATUS_DRIVER_OK);
}

/*
 * Run one operation from the input. Returns 0 if it was a generic one, or the op byte for
 * the target to handle (ops >= 8).
 */
static inline uint8_t vdrv_op(struct vdrv *d, struct fuzz_input *in, unsigned nq)
{
	static const uint32_t widths[4] = { 1, 2, 4, 8 };
	uint8_t op = fuzz_u8(in);
	uint32_t q, off;

	switch (op & 15) {
	case 0: /* any register write */
		off = fuzz_u16(in) % HV_VIRTIO_MMIO_SIZE;
		fuzz_mmio(d->vcpu, VDRV_BASE + off, widths[fuzz_u8(in) & 3], 1, fuzz_u64(in));
		return 0;
	case 1: /* any register read */
		off = fuzz_u16(in) % HV_VIRTIO_MMIO_SIZE;
		fuzz_mmio(d->vcpu, VDRV_BASE + off, widths[fuzz_u8(in) & 3], 0, 0);
		return 0;
	case 2: { /* guest RAM bytes */
		uint32_t gpa = fuzz_u32(in) % FUZZ_RAM_SIZE;
		uint32_t len = fuzz_u8(in);

		while (len-- > 0 && gpa < FUZZ_RAM_SIZE)
			d->ram[gpa++] = fuzz_u8(in);
		return 0;
	}
	case 3: /* a proper setup */
		vdrv_setup(d, fuzz_u64(in), nq);
		return 0;
	case 4: /* a descriptor, mostly pointing into RAM */
	{
		struct hv__vring_desc desc;

		q = fuzz_u8(in) % nq;
		off = fuzz_u8(in) % VDRV_QSIZE;
		desc.addr = fuzz_u8(in) & 1 ? fuzz_u64(in) : 0x10000 + fuzz_u32(in) % 0x40000;
		desc.len = fuzz_u8(in) & 1 ? fuzz_u32(in) : fuzz_u16(in) % 0x2000;
		desc.flags = fuzz_u16(in);
		desc.next = fuzz_u16(in);
		memcpy(d->ram + VDRV_DESC(q) + 16 * off, &desc, sizeof(desc));
		return 0;
	}
	case 5: /* publish a chain head */
	{
		uint16_t head = fuzz_u16(in), idx;

		q = fuzz_u8(in) % nq;
		idx = d->avail_idx[q]++;
		memcpy(d->ram + VDRV_AVAIL(q) + 4 + 2 * (idx % VDRV_QSIZE), &head, 2);
		memcpy(d->ram + VDRV_AVAIL(q) + 2, &d->avail_idx[q], 2);
		return 0;
	}
	case 6: /* notify */
		vdrv_wr(d, HV_VMMIO_QUEUE_NOTIFY, fuzz_u8(in) % (nq + 1));
		return 0;
	case 7: /* interrupt acknowledge */
		vdrv_wr(d, HV_VMMIO_INTERRUPT_ACK, vdrv_rd(d, HV_VMMIO_INTERRUPT_STATUS));
		return 0;
	default:
		return op | 8;
	}
}

#endif
