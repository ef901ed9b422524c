/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, version 2 (VIRTIO 1.2, 4.2.2). Every register access from the
 * guest takes the transport's lock, so the device model sees one thing at a time: a register
 * access, host input, or a timer. Registers below 0x100 are 32 bits wide; accesses of other
 * widths, at unaligned offsets or to unknown registers are ignored (reads give 0). The device
 * configuration space at 0x100 takes widths 1, 2, 4 and 8.
 */
#include "virtio/virtio.h"

/* Bits the transport handles itself; RING_RESET is not offered (QueueReset reads 0). */
#define HV__VIRTIO_TRANSPORT_FEATURES                                        \
	((1ull << HV_VIRTIO_F_VERSION_1) | (1ull << HV_VIRTIO_F_EVENT_IDX) | \
	 (1ull << HV_VIRTIO_F_INDIRECT_DESC))

static const char *hv__virtio_name(const struct hv__virtio *v)
{
	return v->device != NULL ? v->device->name : "virtio";
}

bool hv__virtio_has(const struct hv__virtio *v, unsigned bit)
{
	return bit < 64 && (v->driver_features & (1ull << bit)) != 0 &&
	       (v->status & HV_VIRTIO_STATUS_FEATURES_OK) != 0;
}

bool hv__virtio_live(const struct hv__virtio *v)
{
	return (v->status & (HV_VIRTIO_STATUS_DRIVER_OK | HV_VIRTIO_STATUS_NEEDS_RESET)) ==
	       HV_VIRTIO_STATUS_DRIVER_OK;
}

static void hv__virtio_raise(struct hv__virtio *v, uint32_t bits)
{
	v->interrupt_status |= bits;
	if (v->irq != NULL)
		hv_irq_line_raise(v->irq);
}

void hv__virtio_notify(struct hv__virtio *v, uint16_t q)
{
	if (q >= v->ops->num_queues || !hv__virtio_live(v))
		return;
	if (hv__vq_need_interrupt(&v->vq[q]))
		hv__virtio_raise(v, HV_VIRTIO_INT_VRING);
}

void hv__virtio_config_changed(struct hv__virtio *v)
{
	v->config_generation++;
	if (v->status & HV_VIRTIO_STATUS_DRIVER_OK)
		hv__virtio_raise(v, HV_VIRTIO_INT_CONFIG);
}

void hv__virtio_error(struct hv__virtio *v)
{
	if (v->status & HV_VIRTIO_STATUS_NEEDS_RESET)
		return;
	HV_LOGD("%s: device needs reset", hv__virtio_name(v));
	v->status |= HV_VIRTIO_STATUS_NEEDS_RESET;
	if (v->status & HV_VIRTIO_STATUS_DRIVER_OK)
		hv__virtio_raise(v, HV_VIRTIO_INT_CONFIG);
}

/* Back to the state after power-on (4.2.2.1: writing 0 to Status). Lock held. */
static void hv__virtio_reset(struct hv__virtio *v)
{
	uint32_t i;

	for (i = 0; i < HV_VIRTIO_MAX_QUEUES; i++) {
		hv__vq_disable(&v->vq[i]);
		v->vq[i].size = 0;
		v->vq[i].desc_gpa = 0;
		v->vq[i].avail_gpa = 0;
		v->vq[i].used_gpa = 0;
	}
	v->status = 0;
	v->device_features_sel = 0;
	v->driver_features_sel = 0;
	v->driver_features = 0;
	v->queue_sel = 0;
	v->interrupt_status = 0;
	if (v->irq != NULL)
		hv_irq_line_lower(v->irq);
	if (v->ops->reset != NULL)
		v->ops->reset(v);
}

/* The selected queue, if it exists. */
static struct hv__vq *hv__virtio_sel(struct hv__virtio *v)
{
	return v->queue_sel < v->ops->num_queues ? &v->vq[v->queue_sel] : NULL;
}

static uint32_t hv__virtio_reg_read(struct hv__virtio *v, uint64_t off)
{
	struct hv__vq *vq = hv__virtio_sel(v);

	switch (off) {
	case HV_VMMIO_MAGIC:
		return HV_VIRTIO_MAGIC;
	case HV_VMMIO_VERSION:
		return HV_VIRTIO_MMIO_VERSION;
	case HV_VMMIO_DEVICE_ID:
		return v->ops->device_id;
	case HV_VMMIO_VENDOR_ID:
		return HV_VIRTIO_VENDOR;
	case HV_VMMIO_DEVICE_FEATURES:
		return v->device_features_sel < 2 ?
			       (uint32_t)(v->device_features >> (32 * v->device_features_sel)) :
			       0;
	case HV_VMMIO_QUEUE_NUM_MAX:
		return vq != NULL ? HV_VQ_MAX_SIZE : 0;
	case HV_VMMIO_QUEUE_READY:
		return vq != NULL && vq->ready;
	case HV_VMMIO_INTERRUPT_STATUS:
		return v->interrupt_status;
	case HV_VMMIO_STATUS:
		return v->status;
	case HV_VMMIO_SHM_LEN_LOW:
	case HV_VMMIO_SHM_LEN_HIGH:
	case HV_VMMIO_SHM_BASE_LOW:
	case HV_VMMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory region: length (and base) -1 */
	case HV_VMMIO_QUEUE_RESET:
		return 0;
	case HV_VMMIO_CONFIG_GENERATION:
		return v->config_generation;
	default:
		HV_LOGD("%s: read of write-only or unknown register 0x%llx", hv__virtio_name(v),
			(unsigned long long)off);
		return 0;
	}
}

/* FEATURES_OK is kept only for a subset of what we offer that includes VERSION_1 (6.1). */
static bool hv__virtio_features_ok(struct hv__virtio *v)
{
	if ((v->driver_features & ~v->device_features) != 0) {
		HV_LOGD("%s: driver accepted features 0x%llx it was not offered",
			hv__virtio_name(v),
			(unsigned long long)(v->driver_features & ~v->device_features));
		return false;
	}
	if ((v->driver_features & (1ull << HV_VIRTIO_F_VERSION_1)) == 0) {
		HV_LOGD("%s: legacy driver (no VERSION_1) refused", hv__virtio_name(v));
		return false;
	}
	return true;
}

static void hv__virtio_status_write(struct hv__virtio *v, uint32_t value)
{
	uint32_t old = v->status;
	uint32_t new;

	if (value == 0) {
		hv__virtio_reset(v);
		return;
	}
	/* NEEDS_RESET is the device's bit; the driver may only add bits (2.1.1). */
	new = (value & 0xffu & ~HV_VIRTIO_STATUS_NEEDS_RESET) |
	      (old & HV_VIRTIO_STATUS_NEEDS_RESET);
	if ((old & ~new) != 0) {
		HV_LOGD("%s: status 0x%x -> 0x%x clears bits: ignored", hv__virtio_name(v), old,
			value);
		return;
	}
	if ((new & ~old) & HV_VIRTIO_STATUS_FEATURES_OK) {
		if ((new &HV_VIRTIO_STATUS_DRIVER) == 0 || (old & HV_VIRTIO_STATUS_DRIVER_OK) ||
		    !hv__virtio_features_ok(v))
			new &= ~HV_VIRTIO_STATUS_FEATURES_OK;
	}
	if (((new & ~old) & HV_VIRTIO_STATUS_DRIVER_OK) &&
	    (new &HV_VIRTIO_STATUS_FEATURES_OK) == 0) {
		HV_LOGD("%s: DRIVER_OK without FEATURES_OK ignored", hv__virtio_name(v));
		new &= ~HV_VIRTIO_STATUS_DRIVER_OK;
	}
	v->status = new;
	if (((new & ~old) & HV_VIRTIO_STATUS_DRIVER_OK) && v->ops->driver_ok != NULL &&
	    hv__virtio_live(v))
		v->ops->driver_ok(v);
}

static void hv__virtio_queue_ready(struct hv__virtio *v, struct hv__vq *vq, uint32_t value)
{
	if (value == 0) {
		hv__vq_disable(vq);
		return;
	}
	if (vq->ready)
		return;
	if ((v->status & HV_VIRTIO_STATUS_FEATURES_OK) == 0 ||
	    (v->status & HV_VIRTIO_STATUS_NEEDS_RESET) != 0) {
		HV_LOGD("%s: QueueReady before FEATURES_OK ignored", hv__virtio_name(v));
		return;
	}
	if (hv__vq_enable(vq, v->vm, hv__virtio_has(v, HV_VIRTIO_F_EVENT_IDX),
			  hv__virtio_has(v, HV_VIRTIO_F_INDIRECT_DESC)) != HV_OK) {
		HV_LOGD("%s: queue %u: bad size %u or areas 0x%llx 0x%llx 0x%llx",
			hv__virtio_name(v), v->queue_sel, vq->size,
			(unsigned long long)vq->desc_gpa, (unsigned long long)vq->avail_gpa,
			(unsigned long long)vq->used_gpa);
		hv__virtio_error(v);
	}
}

static void hv__virtio_queue_notify(struct hv__virtio *v, uint32_t value)
{
	uint32_t q = value & 0xffffu; /* the rest is notification data, not offered */

	if (!hv__virtio_live(v) || q >= v->ops->num_queues || !v->vq[q].ready || v->vq[q].broken) {
		HV_LOGD("%s: notify of queue %u ignored (status 0x%x)", hv__virtio_name(v), q,
			v->status);
		return;
	}
	v->ops->queue_notify(v, (uint16_t)q);
}

/* Set the low or high half of a 64-bit queue address, only while the queue is not ready. */
static void hv__set_half(uint64_t *p, bool high, uint32_t value)
{
	if (high)
		*p = (*p & 0xffffffffull) | (uint64_t)value << 32;
	else
		*p = (*p & ~0xffffffffull) | value;
}

static void hv__virtio_reg_write(struct hv__virtio *v, uint64_t off, uint32_t value)
{
	struct hv__vq *vq = hv__virtio_sel(v);

	switch (off) {
	case HV_VMMIO_DEVICE_FEATURES_SEL:
		v->device_features_sel = value;
		return;
	case HV_VMMIO_DRIVER_FEATURES:
		if (v->driver_features_sel >= 2 ||
		    (v->status & (HV_VIRTIO_STATUS_FEATURES_OK | HV_VIRTIO_STATUS_DRIVER_OK)))
			break;
		hv__set_half(&v->driver_features, v->driver_features_sel == 1, value);
		return;
	case HV_VMMIO_DRIVER_FEATURES_SEL:
		v->driver_features_sel = value;
		return;
	case HV_VMMIO_QUEUE_SEL:
		v->queue_sel = value;
		return;
	case HV_VMMIO_QUEUE_NUM:
		if (vq == NULL || vq->ready)
			break;
		/* Anything a queue cannot be is kept as 0, which QueueReady refuses. */
		vq->size =
			value <= HV_VQ_MAX_SIZE && (value & (value - 1)) == 0 ? (uint16_t)value : 0;
		return;
	case HV_VMMIO_QUEUE_READY:
		if (vq == NULL)
			break;
		hv__virtio_queue_ready(v, vq, value);
		return;
	case HV_VMMIO_QUEUE_NOTIFY:
		hv__virtio_queue_notify(v, value);
		return;
	case HV_VMMIO_INTERRUPT_ACK:
		v->interrupt_status &= ~value;
		if (v->interrupt_status == 0 && v->irq != NULL)
			hv_irq_line_lower(v->irq);
		return;
	case HV_VMMIO_STATUS:
		hv__virtio_status_write(v, value);
		return;
	case HV_VMMIO_QUEUE_DESC_LOW:
	case HV_VMMIO_QUEUE_DESC_HIGH:
		if (vq == NULL || vq->ready)
			break;
		hv__set_half(&vq->desc_gpa, off == HV_VMMIO_QUEUE_DESC_HIGH, value);
		return;
	case HV_VMMIO_QUEUE_DRIVER_LOW:
	case HV_VMMIO_QUEUE_DRIVER_HIGH:
		if (vq == NULL || vq->ready)
			break;
		hv__set_half(&vq->avail_gpa, off == HV_VMMIO_QUEUE_DRIVER_HIGH, value);
		return;
	case HV_VMMIO_QUEUE_DEVICE_LOW:
	case HV_VMMIO_QUEUE_DEVICE_HIGH:
		if (vq == NULL || vq->ready)
			break;
		hv__set_half(&vq->used_gpa, off == HV_VMMIO_QUEUE_DEVICE_HIGH, value);
		return;
	case HV_VMMIO_SHM_SEL:
		return; /* no regions to select */
	default:
		break;
	}
	HV_LOGD("%s: write 0x%x to register 0x%llx ignored", hv__virtio_name(v), value,
		(unsigned long long)off);
}

/* A configuration access of width 1, 2, 4 or 8 inside the device's configuration. */
static bool hv__virtio_config_ok(const struct hv__virtio *v, uint64_t off, uint32_t width)
{
	if ((width != 1 && width != 2 && width != 4 && width != 8) || off >= v->ops->config_size ||
	    width > v->ops->config_size - off) {
		HV_LOGD("%s: config access of %u bytes at 0x%llx ignored", hv__virtio_name(v),
			width, (unsigned long long)off);
		return false;
	}
	return true;
}

static void hv__virtio_mmio_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct hv__virtio *v = ctx;
	uint64_t val = 0;

	hv__lock(v->lock);
	if (offset >= HV_VMMIO_CONFIG) {
		offset -= HV_VMMIO_CONFIG;
		if (hv__virtio_config_ok(v, offset, width) && v->ops->config_read != NULL)
			v->ops->config_read(v, (uint32_t)offset, width, &val);
	} else if (width == 4 && (offset & 3) == 0) {
		val = hv__virtio_reg_read(v, offset);
	} else {
		HV_LOGD("%s: %u-byte read at 0x%llx ignored", hv__virtio_name(v), width,
			(unsigned long long)offset);
	}
	hv__unlock(v->lock);
	*value = val;
}

static void hv__virtio_mmio_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct hv__virtio *v = ctx;

	hv__lock(v->lock);
	if (offset >= HV_VMMIO_CONFIG) {
		offset -= HV_VMMIO_CONFIG;
		if (hv__virtio_config_ok(v, offset, width) && v->ops->config_write != NULL)
			v->ops->config_write(v, (uint32_t)offset, width,
					     width == 8 ? value :
							  value & ((1ull << (8 * width)) - 1));
	} else if (width == 4 && (offset & 3) == 0) {
		hv__virtio_reg_write(v, offset, (uint32_t)value);
	} else {
		HV_LOGD("%s: %u-byte write at 0x%llx ignored", hv__virtio_name(v), width,
			(unsigned long long)offset);
	}
	hv__unlock(v->lock);
}

static void hv__virtio_mmio_reset(void *ctx)
{
	struct hv__virtio *v = ctx;

	hv__lock(v->lock);
	hv__virtio_reset(v);
	hv__unlock(v->lock);
}

static void hv__virtio_free(struct hv__virtio *v)
{
	if (v->lock != NULL)
		hv__lock_destroy(v->lock);
	hv__free(v, sizeof(*v));
}

static void hv__virtio_mmio_destroy(void *ctx)
{
	struct hv__virtio *v = ctx;

	if (v->ops->destroy != NULL)
		v->ops->destroy(v);
	hv__virtio_free(v); /* the interrupt route goes with the bus device */
}

static const hv_device_ops_t hv__virtio_mmio_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = hv__virtio_mmio_read,
	.write = hv__virtio_mmio_write,
	.reset = hv__virtio_mmio_reset,
	.destroy = hv__virtio_mmio_destroy,
};

hv_status_t hv__virtio_mmio_add(hv_vm_t *vm, const char *name, const hv_virtio_mmio_t *mmio,
				const struct hv__virtio_dev_ops *ops, void *dev,
				const struct hv__devclass *cls, struct hv__virtio **out,
				hv_device_t **device)
{
	hv_device_config_t cfg = HV_DEVICE_CONFIG_INIT;
	struct hv__virtio *v;
	hv_device_t *d = NULL;
	hv_status_t st;

	if (vm == NULL || mmio == NULL || ops == NULL || ops->queue_notify == NULL ||
	    ops->num_queues == 0 || ops->num_queues > HV_VIRTIO_MAX_QUEUES ||
	    ops->config_size > HV_VIRTIO_MMIO_SIZE - HV_VMMIO_CONFIG)
		return HV_ERR_INVALID_ARG;
	v = hv__alloc(sizeof(*v));
	if (v == NULL)
		return HV_ERR_NO_MEMORY;
	v->lock = hv__lock_create();
	if (v->lock == NULL) {
		st = HV_ERR_NO_MEMORY;
		goto err;
	}
	v->vm = vm;
	v->ops = ops;
	v->dev = dev;
	v->device_features = ops->features | HV__VIRTIO_TRANSPORT_FEATURES;
	cfg.name = name;
	cfg.bus = HV_BUS_MMIO;
	cfg.base = mmio->base;
	cfg.size = HV_VIRTIO_MMIO_SIZE;
	cfg.ops = &hv__virtio_mmio_ops;
	cfg.ctx = v;
	st = hv__libdev_add(vm, &cfg, cls, mmio->irq, &v->irq, &d);
	if (st != HV_OK)
		goto err;
	v->device = d;
	if (out != NULL)
		*out = v;
	if (device != NULL)
		*device = d;
	return HV_OK;
err:
	hv__virtio_free(v);
	return st;
}
