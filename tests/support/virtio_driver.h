/* SPDX-License-Identifier: MIT */
/*
 * The driver side of VIRTIO for the tests: what a guest's virtio-mmio driver does, done from
 * the test through the real dispatch path (register accesses as MMIO exits) and guest RAM
 * (split rings laid out in the VM's memory). Little-endian hosts only, as the library.
 *
 * Typical use: vd_init(), vd_negotiate(), vd_queue_setup() per queue, vd_driver_ok(); then
 * vd_add() buffers, vd_kick(), and vd_used() to collect them.
 */
#ifndef HV_VIRTIO_DRIVER_H
#define HV_VIRTIO_DRIVER_H

#include "test_support.h"
#include "virtio/virtio.h"

#define VD_MAX_QUEUES 8

struct vd_queue {
	uint16_t size;
	uint64_t desc, avail, used; /* guest-physical */
	uint16_t next_desc;         /* descriptors are handed out round-robin */
	uint16_t avail_idx;         /* the driver's avail->idx */
	uint16_t last_used;         /* used entries collected so far */
};

struct vd {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	uint64_t base;    /* the device's window */
	uint64_t ram_gpa; /* one RAM region the driver allocates from */
	uint64_t ram_size;
	uint8_t *ram;
	uint64_t heap;     /* next free guest-physical byte */
	uint64_t features; /* what vd_negotiate() wrote */
	struct vd_queue q[VD_MAX_QUEUES];
};

/* One buffer of a chain. */
struct vd_buf {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

void vd_init(struct vd *d, hv_vm_t *vm, hv_vcpu_t *vcpu, uint64_t base, uint64_t ram_gpa,
	     uint64_t ram_size);

/* One register access of any width through hv_vcpu_dispatch(); returns what a read gave. */
uint64_t vd_access(struct vd *d, uint64_t off, uint32_t width, bool is_write, uint64_t value);
uint32_t vd_rd(struct vd *d, uint64_t off);
void vd_wr(struct vd *d, uint64_t off, uint32_t value);
uint64_t vd_cfg_rd(struct vd *d, uint32_t off, uint32_t width);

/* Guest memory: a bump allocator over the RAM region, and host views of it. */
uint64_t vd_alloc(struct vd *d, uint64_t size, uint64_t align);
void *vd_ptr(struct vd *d, uint64_t gpa);

/*
 * Reset, ACKNOWLEDGE, DRIVER, read the offered features, write offered & want, FEATURES_OK,
 * and return the status read back (FEATURES_OK is clear if the device refused).
 */
uint32_t vd_negotiate(struct vd *d, uint64_t want);
/* As vd_negotiate() but writes exactly `features`, offered or not. */
uint32_t vd_negotiate_raw(struct vd *d, uint64_t features);
/* Device features as offered (both halves of DeviceFeatures). */
uint64_t vd_device_features(struct vd *d);

/* Queue setup with areas allocated from the heap; returns QueueReady as read back. */
uint32_t vd_queue_setup(struct vd *d, uint16_t q, uint16_t size);
/* The same with given areas (possibly bad ones). */
uint32_t vd_queue_setup_at(struct vd *d, uint16_t q, uint32_t size, uint64_t desc, uint64_t avail,
			   uint64_t used);
/* Set DRIVER_OK; returns the status read back. */
uint32_t vd_driver_ok(struct vd *d);

/* Raw ring access. */
void vd_desc_set(struct vd *d, uint16_t q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next);
void vd_avail_put(struct vd *d, uint16_t q, uint16_t head); /* ring entry + publish idx */
void vd_avail_set_idx(struct vd *d, uint16_t q, uint16_t idx);
void vd_avail_set_flags(struct vd *d, uint16_t q, uint16_t flags);
void vd_set_used_event(struct vd *d, uint16_t q, uint16_t v);
uint16_t vd_avail_event(struct vd *d, uint16_t q);
uint16_t vd_used_idx(struct vd *d, uint16_t q);

/* Chain n buffers (fresh descriptors), make it available; returns the head. */
uint16_t vd_add(struct vd *d, uint16_t q, const struct vd_buf *bufs, unsigned n);
/* The same through one indirect table allocated from the heap. */
uint16_t vd_add_indirect(struct vd *d, uint16_t q, const struct vd_buf *bufs, unsigned n);
void vd_kick(struct vd *d, uint16_t q);
/* Collect the next used element; false if there is none. */
bool vd_used(struct vd *d, uint16_t q, uint32_t *id, uint32_t *len);

/* InterruptStatus, InterruptACK, and the level of the device's line (input `irq`). */
uint32_t vd_isr(struct vd *d);
void vd_ack(struct vd *d, uint32_t bits);
bool vd_irq_level(struct vd *d, uint32_t irq);

#endif
