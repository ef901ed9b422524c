/* SPDX-License-Identifier: MIT */
/* The driver side of virtio-mmio and split rings, for the tests (see virtio_driver.h). */
#include "virtio_driver.h"

void vd_init(struct vd *d, hv_vm_t *vm, hv_vcpu_t *vcpu, uint64_t base, uint64_t ram_gpa,
	     uint64_t ram_size)
{
	void *hva = NULL;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->vcpu = vcpu;
	d->base = base;
	d->ram_gpa = ram_gpa;
	d->ram_size = ram_size;
	assert_int_equal(hv_vm_gpa_to_hva(vm, ram_gpa, ram_size, &hva), HV_OK);
	d->ram = hva;
	d->heap = ram_gpa;
}

uint64_t vd_access(struct vd *d, uint64_t off, uint32_t width, bool is_write, uint64_t value)
{
	hv_exit_t exit;

	memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_MMIO;
	exit.u.mmio.gpa = d->base + off;
	exit.u.mmio.width = (uint8_t)width;
	exit.u.mmio.is_write = is_write;
	exit.u.mmio.data = is_write ? value : 0x5a5a5a5a5a5a5a5aull;
	hv_vcpu_dispatch(d->vcpu, &exit);
	if (is_write)
		return 0;
	/* The backend hands the guest only the low `width` bytes. */
	return width >= 8 ? exit.u.mmio.data : exit.u.mmio.data & ((1ull << (8 * width)) - 1);
}

uint32_t vd_rd(struct vd *d, uint64_t off)
{
	return (uint32_t)vd_access(d, off, 4, false, 0);
}

void vd_wr(struct vd *d, uint64_t off, uint32_t value)
{
	vd_access(d, off, 4, true, value);
}

uint64_t vd_cfg_rd(struct vd *d, uint32_t off, uint32_t width)
{
	return vd_access(d, HV_VMMIO_CONFIG + off, width, false, 0);
}

uint64_t vd_alloc(struct vd *d, uint64_t size, uint64_t align)
{
	uint64_t gpa = (d->heap + align - 1) & ~(align - 1);

	assert_true(gpa + size <= d->ram_gpa + d->ram_size);
	d->heap = gpa + size;
	memset(vd_ptr(d, gpa), 0, size);
	return gpa;
}

void *vd_ptr(struct vd *d, uint64_t gpa)
{
	assert_true(gpa >= d->ram_gpa && gpa < d->ram_gpa + d->ram_size);
	return d->ram + (gpa - d->ram_gpa);
}

uint64_t vd_device_features(struct vd *d)
{
	uint64_t f;

	vd_wr(d, HV_VMMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)vd_rd(d, HV_VMMIO_DEVICE_FEATURES) << 32;
	vd_wr(d, HV_VMMIO_DEVICE_FEATURES_SEL, 0);
	return f | vd_rd(d, HV_VMMIO_DEVICE_FEATURES);
}

uint32_t vd_negotiate_raw(struct vd *d, uint64_t features)
{
	uint32_t st;

	assert_int_equal(vd_rd(d, HV_VMMIO_MAGIC), HV_VIRTIO_MAGIC);
	assert_int_equal(vd_rd(d, HV_VMMIO_VERSION), 2);
	vd_wr(d, HV_VMMIO_STATUS, 0);
	assert_int_equal(vd_rd(d, HV_VMMIO_STATUS), 0);
	vd_wr(d, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE);
	vd_wr(d, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER);
	(void)vd_device_features(d);
	vd_wr(d, HV_VMMIO_DRIVER_FEATURES_SEL, 1);
	vd_wr(d, HV_VMMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vd_wr(d, HV_VMMIO_DRIVER_FEATURES_SEL, 0);
	vd_wr(d, HV_VMMIO_DRIVER_FEATURES, (uint32_t)features);
	d->features = features;
	st = vd_rd(d, HV_VMMIO_STATUS);
	vd_wr(d, HV_VMMIO_STATUS, st | HV_VIRTIO_STATUS_FEATURES_OK);
	return vd_rd(d, HV_VMMIO_STATUS);
}

uint32_t vd_negotiate(struct vd *d, uint64_t want)
{
	vd_wr(d, HV_VMMIO_STATUS, 0);
	return vd_negotiate_raw(d, vd_device_features(d) & want);
}

uint32_t vd_queue_setup_at(struct vd *d, uint16_t q, uint32_t size, uint64_t desc, uint64_t avail,
			   uint64_t used)
{
	struct vd_queue *vq = &d->q[q];

	assert_true(q < VD_MAX_QUEUES);
	memset(vq, 0, sizeof(*vq));
	vq->size = (uint16_t)size;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vd_wr(d, HV_VMMIO_QUEUE_SEL, q);
	assert_int_equal(vd_rd(d, HV_VMMIO_QUEUE_READY), 0);
	vd_wr(d, HV_VMMIO_QUEUE_NUM, size);
	vd_wr(d, HV_VMMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	vd_wr(d, HV_VMMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	vd_wr(d, HV_VMMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	vd_wr(d, HV_VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	vd_wr(d, HV_VMMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	vd_wr(d, HV_VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	vd_wr(d, HV_VMMIO_QUEUE_READY, 1);
	return vd_rd(d, HV_VMMIO_QUEUE_READY);
}

uint32_t vd_queue_setup(struct vd *d, uint16_t q, uint16_t size)
{
	uint64_t desc, avail, used;

	vd_wr(d, HV_VMMIO_QUEUE_SEL, q);
	assert_true(size <= vd_rd(d, HV_VMMIO_QUEUE_NUM_MAX));
	desc = vd_alloc(d, 16ull * size, 16);
	avail = vd_alloc(d, 6 + 2ull * size, 2);
	used = vd_alloc(d, 6 + 8ull * size, 4);
	return vd_queue_setup_at(d, q, size, desc, avail, used);
}

uint32_t vd_driver_ok(struct vd *d)
{
	vd_wr(d, HV_VMMIO_STATUS, vd_rd(d, HV_VMMIO_STATUS) | HV_VIRTIO_STATUS_DRIVER_OK);
	return vd_rd(d, HV_VMMIO_STATUS);
}

void vd_desc_set(struct vd *d, uint16_t q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	struct hv__vring_desc desc = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(vd_ptr(d, d->q[q].desc + 16ull * i), &desc, sizeof(desc));
}

static uint16_t *vd_avail(struct vd *d, uint16_t q)
{
	return vd_ptr(d, d->q[q].avail);
}

static uint16_t *vd_used_ring(struct vd *d, uint16_t q)
{
	return vd_ptr(d, d->q[q].used);
}

void vd_avail_set_idx(struct vd *d, uint16_t q, uint16_t idx)
{
	d->q[q].avail_idx = idx;
	__atomic_store_n(&vd_avail(d, q)[1], idx, __ATOMIC_RELEASE);
}

void vd_avail_put(struct vd *d, uint16_t q, uint16_t head)
{
	struct vd_queue *vq = &d->q[q];

	vd_avail(d, q)[2 + (vq->avail_idx & (vq->size - 1))] = head;
	vd_avail_set_idx(d, q, (uint16_t)(vq->avail_idx + 1));
}

void vd_avail_set_flags(struct vd *d, uint16_t q, uint16_t flags)
{
	vd_avail(d, q)[0] = flags;
}

void vd_set_used_event(struct vd *d, uint16_t q, uint16_t v)
{
	vd_avail(d, q)[2 + d->q[q].size] = v;
}

uint16_t vd_avail_event(struct vd *d, uint16_t q)
{
	uint16_t v;

	memcpy(&v, (uint8_t *)vd_used_ring(d, q) + 4 + 8u * d->q[q].size, 2);
	return v;
}

uint16_t vd_used_idx(struct vd *d, uint16_t q)
{
	return __atomic_load_n(&vd_used_ring(d, q)[1], __ATOMIC_ACQUIRE);
}

static uint16_t vd_take_desc(struct vd *d, uint16_t q)
{
	struct vd_queue *vq = &d->q[q];
	uint16_t i = vq->next_desc;

	vq->next_desc = (uint16_t)((i + 1) & (vq->size - 1));
	return i;
}

uint16_t vd_add(struct vd *d, uint16_t q, const struct vd_buf *bufs, unsigned n)
{
	uint16_t head = d->q[q].next_desc;
	uint16_t i = vd_take_desc(d, q);
	unsigned k;

	assert_true(n >= 1 && n <= d->q[q].size);
	for (k = 0; k < n; k++) {
		uint16_t next = k + 1 < n ? vd_take_desc(d, q) : 0;
		uint16_t flags = (uint16_t)((bufs[k].write ? HV_VRING_DESC_F_WRITE : 0) |
					    (k + 1 < n ? HV_VRING_DESC_F_NEXT : 0));

		vd_desc_set(d, q, i, bufs[k].gpa, bufs[k].len, flags, next);
		i = next;
	}
	vd_avail_put(d, q, head);
	return head;
}

uint16_t vd_add_indirect(struct vd *d, uint16_t q, const struct vd_buf *bufs, unsigned n)
{
	uint64_t table = vd_alloc(d, 16ull * n, 16);
	uint16_t head = vd_take_desc(d, q);
	unsigned k;

	for (k = 0; k < n; k++) {
		struct hv__vring_desc desc = {
			.addr = bufs[k].gpa,
			.len = bufs[k].len,
			.flags = (uint16_t)((bufs[k].write ? HV_VRING_DESC_F_WRITE : 0) |
					    (k + 1 < n ? HV_VRING_DESC_F_NEXT : 0)),
			.next = (uint16_t)(k + 1 < n ? k + 1 : 0),
		};

		memcpy(vd_ptr(d, table + 16ull * k), &desc, sizeof(desc));
	}
	vd_desc_set(d, q, head, table, 16u * n, HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(d, q, head);
	return head;
}

void vd_kick(struct vd *d, uint16_t q)
{
	vd_wr(d, HV_VMMIO_QUEUE_NOTIFY, q);
}

bool vd_used(struct vd *d, uint16_t q, uint32_t *id, uint32_t *len)
{
	struct vd_queue *vq = &d->q[q];
	uint32_t elem[2];

	if (vd_used_idx(d, q) == vq->last_used)
		return false;
	memcpy(elem, (uint8_t *)vd_used_ring(d, q) + 4 + 8u * (vq->last_used & (vq->size - 1)),
	       sizeof(elem));
	vq->last_used++;
	if (id != NULL)
		*id = elem[0];
	if (len != NULL)
		*len = elem[1];
	return true;
}

uint32_t vd_isr(struct vd *d)
{
	return vd_rd(d, HV_VMMIO_INTERRUPT_STATUS);
}

void vd_ack(struct vd *d, uint32_t bits)
{
	vd_wr(d, HV_VMMIO_INTERRUPT_ACK, bits);
}

bool vd_irq_level(struct vd *d, uint32_t irq)
{
	const struct hv_irq_line *l;

	for (l = d->vm->lines; l != NULL; l = l->next)
		if (l->input == irq)
			return hv_irq_line_level(l);
	fail_msg("no line on input %u", irq);
	return false;
}
