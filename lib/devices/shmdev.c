/* SPDX-License-Identifier: MIT */
/*
 * Shared memory between VMs with doorbells: each VM attached to an hv_shm_t sees the memory
 * (a SHARED region) and a small register window (see hv_shmdev_config_t in devices.h).
 *
 * The peers of one object form a group hanging off hv_shm::peers: up to 32 devices, each
 * known by its slot number (its peer number). Doorbells come from any VM's vCPU threads, so
 * the group lock covers every change of a PENDING word together with its line, and the slot
 * table: a doorbell never reaches a device after its detach returns. The group itself is
 * created by the first attach and freed by the last detach, both under a global spin lock
 * (attach and detach happen only while their VM is stopped, so it is never contended long).
 */
#include "hv_internal.h"

#define HV__SHM_MAX_PEERS 32u
#define HV__SHM_ID 0x4d535648u /* "HVSM" read as a little-endian word */

enum {
	HV__SHM_REG_ID = 0x00,
	HV__SHM_REG_PEER = 0x04,
	HV__SHM_REG_PEERS = 0x08,
	HV__SHM_REG_SIZE_KIB = 0x0c,
	HV__SHM_REG_DOORBELL = 0x10,
	HV__SHM_REG_PENDING = 0x14,
	HV__SHM_REG_ACK = 0x18,
	HV__SHM_REG_READ_ONLY = 0x1c,
};

struct hv__shmdev;

struct hv__shmgroup {
	void *lock;
	uint32_t count; /* under lock; read atomically by PEERS */
	struct hv__shmdev *peer[HV__SHM_MAX_PEERS];
};

struct hv__shmdev {
	hv_vm_t *vm;
	hv_shm_t *shm;
	struct hv__shmgroup *group;
	hv_region_t *region;
	hv_irq_line_t *line;
	uint32_t index;
	uint32_t pending; /* changed under the group lock, read atomically */
	bool read_only;
	char *name;
};

static uint8_t hv__shm_spin;

static void hv__shm_spin_lock(void)
{
	while (__atomic_exchange_n(&hv__shm_spin, 1, __ATOMIC_ACQUIRE) != 0)
		while (__atomic_load_n(&hv__shm_spin, __ATOMIC_RELAXED) != 0)
			;
}

static void hv__shm_spin_unlock(void)
{
	__atomic_store_n(&hv__shm_spin, 0, __ATOMIC_RELEASE);
}

static void hv__shmgroup_free(struct hv__shmgroup *g)
{
	hv__lock_destroy(g->lock);
	hv__free(g, sizeof(*g));
}

static hv_status_t hv__shm_attach(struct hv__shmdev *d)
{
	hv_shm_t *shm = d->shm;
	struct hv__shmgroup *g;
	hv_status_t st = HV_ERR_LIMIT;

	hv__shm_spin_lock();
	g = shm->peers;
	if (g == NULL) {
		g = hv__alloc(sizeof(*g));
		if (g != NULL)
			g->lock = hv__lock_create();
		if (g == NULL || g->lock == NULL) {
			if (g != NULL)
				hv__free(g, sizeof(*g));
			hv__shm_spin_unlock();
			return HV_ERR_NO_MEMORY;
		}
		shm->peers = g;
	}
	hv__lock(g->lock);
	for (uint32_t i = 0; i < HV__SHM_MAX_PEERS; i++) {
		if (g->peer[i] == NULL) {
			g->peer[i] = d;
			__atomic_add_fetch(&g->count, 1, __ATOMIC_RELAXED);
			d->index = i;
			d->group = g;
			st = HV_OK;
			break;
		}
	}
	hv__unlock(g->lock);
	hv__shm_spin_unlock();
	return st;
}

static void hv__shm_detach(struct hv__shmdev *d)
{
	struct hv__shmgroup *g = d->group;
	bool last;

	hv__shm_spin_lock();
	hv__lock(g->lock);
	g->peer[d->index] = NULL;
	last = __atomic_sub_fetch(&g->count, 1, __ATOMIC_RELAXED) == 0;
	d->pending = 0;
	hv__unlock(g->lock);
	if (last) {
		d->shm->peers = NULL;
		hv__shmgroup_free(g);
	}
	hv__shm_spin_unlock();
	d->group = NULL;
}

static void hv__shmdev_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct hv__shmdev *d = ctx;
	uint64_t kib;

	*value = 0;
	if (width != 4 || (offset & 3) != 0) {
		HV_LOGD("shmdev %s: read of width %u at 0x%llx ignored", d->name, width,
			(unsigned long long)offset);
		return;
	}
	switch (offset) {
	case HV__SHM_REG_ID:
		*value = HV__SHM_ID;
		break;
	case HV__SHM_REG_PEER:
		*value = d->index;
		break;
	case HV__SHM_REG_PEERS:
		*value = __atomic_load_n(&d->group->count, __ATOMIC_RELAXED);
		break;
	case HV__SHM_REG_SIZE_KIB:
		kib = d->shm->size >> 10;
		*value = kib > UINT32_MAX ? UINT32_MAX : kib;
		break;
	case HV__SHM_REG_PENDING:
		*value = __atomic_load_n(&d->pending, __ATOMIC_ACQUIRE);
		break;
	case HV__SHM_REG_READ_ONLY:
		*value = d->read_only;
		break;
	default:
		break;
	}
}

static void hv__shmdev_doorbell(struct hv__shmdev *d, uint64_t peer)
{
	struct hv__shmgroup *g = d->group;
	struct hv__shmdev *t;

	if (peer >= HV__SHM_MAX_PEERS) {
		HV_LOGD("shmdev %s: doorbell to peer %llu ignored", d->name,
			(unsigned long long)peer);
		return;
	}
	hv__lock(g->lock);
	t = g->peer[peer];
	if (t != NULL) {
		__atomic_or_fetch(&t->pending, 1u << d->index, __ATOMIC_RELEASE);
		/* Raised every time: a VM reset may have lowered the line under a pending bit. */
		hv_irq_line_raise(t->line);
	}
	hv__unlock(g->lock);
	if (t == NULL)
		HV_LOGD("shmdev %s: doorbell to absent peer %llu ignored", d->name,
			(unsigned long long)peer);
}

static void hv__shmdev_ack(struct hv__shmdev *d, uint32_t bits)
{
	struct hv__shmgroup *g = d->group;

	hv__lock(g->lock);
	if (__atomic_and_fetch(&d->pending, ~bits, __ATOMIC_RELEASE) == 0)
		hv_irq_line_lower(d->line);
	hv__unlock(g->lock);
}

static void hv__shmdev_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct hv__shmdev *d = ctx;

	if (width != 4 || (offset & 3) != 0) {
		HV_LOGD("shmdev %s: write of width %u at 0x%llx ignored", d->name, width,
			(unsigned long long)offset);
		return;
	}
	switch (offset) {
	case HV__SHM_REG_DOORBELL:
		hv__shmdev_doorbell(d, value & 0xffffffffu);
		break;
	case HV__SHM_REG_ACK:
		hv__shmdev_ack(d, (uint32_t)value);
		break;
	default:
		HV_LOGD("shmdev %s: write to 0x%llx ignored", d->name, (unsigned long long)offset);
		break;
	}
}

static void hv__shmdev_reset(void *ctx)
{
	struct hv__shmdev *d = ctx;

	hv__shmdev_ack(d, UINT32_MAX);
}

static void hv__shmdev_free(struct hv__shmdev *d)
{
	hv__strfree(d->name);
	hv__free(d, sizeof(*d));
}

static void hv__shmdev_destroy(void *ctx)
{
	struct hv__shmdev *d = ctx;

	hv__shm_detach(d); /* the interrupt route goes with the bus device */
	if (hv_vm_unmap_region(d->region) != HV_OK)
		HV_LOGW("shmdev %s: the backend refused to unmap the memory; it goes with the VM",
			d->name);
	hv__shmdev_free(d);
}

static const hv_device_ops_t hv__shmdev_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = hv__shmdev_read,
	.write = hv__shmdev_write,
	.reset = hv__shmdev_reset,
	.destroy = hv__shmdev_destroy,
};

static const struct hv__devclass hv__shmdev_class = { .kind = HV__DEV_OTHER };

hv_status_t hv_shmdev_add(hv_vm_t *vm, const hv_shmdev_config_t *config, hv_device_t **device)
{
	hv_region_config_t rc = HV_REGION_CONFIG_INIT;
	hv_device_config_t dc = HV_DEVICE_CONFIG_INIT;
	struct hv__shmdev *d;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_shmdev_config_t) != HV_OK)
		return HV_ERR_ABI;
	if (config->shm == NULL)
		return HV_ERR_INVALID_ARG;
	d = hv__alloc(sizeof(*d));
	if (d == NULL)
		return HV_ERR_NO_MEMORY;
	d->vm = vm;
	d->shm = config->shm;
	d->read_only = config->read_only;
	d->name = hv__strdup(config->name != NULL ? config->name : "shmdev");
	if (d->name == NULL) {
		st = HV_ERR_NO_MEMORY;
		goto err;
	}

	rc.name = d->name;
	rc.type = HV_REGION_SHARED;
	rc.gpa = config->shm_gpa;
	rc.size = config->shm->size;
	rc.shm = config->shm;
	rc.flags = config->read_only ? HV_REGION_READONLY : 0;
	st = hv_vm_map_region(vm, &rc, &d->region);
	if (st != HV_OK)
		goto err;
	st = hv__shm_attach(d);
	if (st != HV_OK)
		goto err_unmap;

	dc.name = d->name;
	dc.bus = HV_BUS_MMIO;
	dc.base = config->regs_base;
	dc.size = HV_SHMDEV_REGS_SIZE;
	dc.ops = &hv__shmdev_ops;
	dc.ctx = d;
	st = hv__libdev_add(vm, &dc, &hv__shmdev_class, config->irq, &d->line, device);
	if (st != HV_OK)
		goto err_detach;
	return HV_OK;

err_detach:
	hv__shm_detach(d);
err_unmap:
	hv_vm_unmap_region(d->region);
err:
	hv__shmdev_free(d);
	return st;
}
