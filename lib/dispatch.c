/* SPDX-License-Identifier: MIT */
/*
 * Exit dispatch: a normalised exit goes to the device on the bus, or becomes a stop with a
 * cause. This is the hot path of every trapped access; keep it short.
 */
#include "hv_internal.h"

static inline uint64_t hv__mask(uint32_t width)
{
	return width >= 8 ? ~0ull : (1ull << (width * 8)) - 1;
}

/* Nothing answers at this address: fault, or behave like an open bus. */
static void hv__unmapped(hv_vcpu_t *vcpu, hv_exit_t *exit, hv_unmapped_t policy, uint64_t addr,
			 bool is_write, uint64_t *data)
{
	hv_vm_t *vm = vcpu->vm;

	HV_LOGD("vm %s: vcpu %u: %s %s at unmapped 0x%llx", vm->name, vcpu->index,
		exit->reason == HV_EXIT_IO ? "port" : "mmio", is_write ? "write" : "read",
		(unsigned long long)addr);
	if (policy == HV_UNMAPPED_IGNORE) {
		if (!is_write)
			*data = ~0ull;
		return;
	}
	exit->reason = HV_EXIT_FAULT;
	exit->u.fault.kind = HV_FAULT_UNMAPPED;
	exit->u.fault.gpa = addr;
	exit->u.fault.detail = is_write;
	hv__vm_stop(vm, HV_EVENT_FAULT, vcpu, exit);
}

static hv_status_t hv__dispatch_pio(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	hv_vm_t *vm = vcpu->vm;
	uint32_t width = exit->u.io.width;
	uint32_t port = exit->u.io.port;
	const struct hv__range *r = hv__rangemap_find(&vm->pio, port);
	uint64_t mask = hv__mask(width);
	const hv_device_t *dev;
	uint32_t i;

	if (HV__UNLIKELY(r == NULL || r->kind != HV__RANGE_DEVICE || port + width - 1 > r->last ||
			 (width != 1 && width != 2 && width != 4))) {
		uint64_t v = 0;

		hv__unmapped(vcpu, exit, vm->cfg.unmapped_pio, port, exit->u.io.is_write, &v);
		if (exit->reason != HV_EXIT_IO)
			return HV_ERR_STATE;
		if (!exit->u.io.is_write) {
			if (exit->u.io.count <= 1 || exit->u.io.buf == NULL)
				exit->u.io.data = v & mask;
			else
				hv__memset(exit->u.io.buf, 0xff, (size_t)exit->u.io.count * width);
		}
		return HV_OK;
	}
	dev = r->obj;
	if (HV__LIKELY(exit->u.io.count <= 1 || exit->u.io.buf == NULL)) {
		if (exit->u.io.is_write) {
			dev->ops->write(dev->ctx, port - dev->base, width, exit->u.io.data & mask);
		} else {
			uint64_t v = 0;

			dev->ops->read(dev->ctx, port - dev->base, width, &v);
			exit->u.io.data = v & mask;
		}
		return HV_OK;
	}
	for (i = 0; i < exit->u.io.count; i++) {
		uint8_t *p = exit->u.io.buf + (size_t)i * width;
		uint64_t v = 0;

		if (exit->u.io.is_write) {
			hv__memcpy(&v, p, width);
			dev->ops->write(dev->ctx, port - dev->base, width, v);
		} else {
			dev->ops->read(dev->ctx, port - dev->base, width, &v);
			hv__memcpy(p, &v, width);
		}
	}
	return HV_OK;
}

/* An MMIO exit that landed in a memory region: a ROM write, or a backend without ROM traps. */
static void hv__region_access(hv_vcpu_t *vcpu, hv_exit_t *exit, const hv_region_t *region)
{
	uint64_t off = exit->u.mmio.gpa - region->gpa;
	uint32_t width = exit->u.mmio.width;

	if (exit->u.mmio.is_write) {
		if (region->flags & HV_REGION_READONLY) {
			HV_LOGD("vm %s: vcpu %u: write to read-only 0x%llx dropped",
				vcpu->vm->name, vcpu->index, (unsigned long long)exit->u.mmio.gpa);
			return;
		}
		hv__memcpy(region->hva + off, &exit->u.mmio.data, width);
	} else {
		uint64_t v = 0;

		hv__memcpy(&v, region->hva + off, width);
		exit->u.mmio.data = v;
	}
}

static hv_status_t hv__dispatch_mmio(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	hv_vm_t *vm = vcpu->vm;
	hv_gpa_t gpa = exit->u.mmio.gpa;
	uint32_t width = exit->u.mmio.width;
	const hv_device_t *dev = vcpu->mmio_cache;
	const struct hv__range *r;

	if (HV__UNLIKELY(dev == NULL || gpa < dev->base || gpa + (width - 1) > dev->last)) {
		r = hv__rangemap_find(&vm->mem, gpa);
		if (r == NULL || r->kind == HV__RANGE_RESERVED || gpa + (width - 1) > r->last ||
		    gpa + (width - 1) < gpa ||
		    (width != 1 && width != 2 && width != 4 && width != 8)) {
			uint64_t v = 0;

			hv__unmapped(vcpu, exit, vm->cfg.unmapped_mmio, gpa, exit->u.mmio.is_write,
				     &v);
			if (exit->reason != HV_EXIT_MMIO)
				return HV_ERR_STATE;
			if (!exit->u.mmio.is_write)
				exit->u.mmio.data = v & hv__mask(width);
			return HV_OK;
		}
		if (r->kind == HV__RANGE_REGION) {
			hv__region_access(vcpu, exit, r->obj);
			return HV_OK;
		}
		dev = r->obj;
		vcpu->mmio_cache = dev;
	}
	if (exit->u.mmio.is_write) {
		dev->ops->write(dev->ctx, gpa - dev->base, width, exit->u.mmio.data & hv__mask(width));
	} else {
		uint64_t v = 0;

		dev->ops->read(dev->ctx, gpa - dev->base, width, &v);
		exit->u.mmio.data = v & hv__mask(width);
	}
	return HV_OK;
}

static hv_status_t hv__running(const hv_vcpu_t *vcpu)
{
	return hv__vm_state(vcpu->vm) == HV_VM_RUNNING ? HV_OK : HV_ERR_STATE;
}

hv_status_t hv__dispatch(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	hv_event_type_t cause;

	switch (exit->reason) {
	case HV_EXIT_MMIO:
		if (hv__dispatch_mmio(vcpu, exit) != HV_OK)
			return HV_ERR_STATE;
		return hv__running(vcpu);
	case HV_EXIT_IO:
		if (hv__dispatch_pio(vcpu, exit) != HV_OK)
			return HV_ERR_STATE;
		return hv__running(vcpu);
	case HV_EXIT_NONE:
	case HV_EXIT_KICK:
		return hv__running(vcpu);
	case HV_EXIT_SHUTDOWN:
		cause = HV_EVENT_GUEST_SHUTDOWN;
		break;
	case HV_EXIT_RESET:
		cause = HV_EVENT_GUEST_RESET;
		break;
	case HV_EXIT_FAULT:
		cause = HV_EVENT_FAULT;
		break;
	default:
		cause = HV_EVENT_UNHANDLED_EXIT;
		break;
	}
	HV_LOGD("vm %s: vcpu %u: %s exit at pc 0x%llx", vcpu->vm->name, vcpu->index,
		hv_exit_reason_str(exit->reason), (unsigned long long)exit->pc);
	hv__vm_stop(vcpu->vm, cause, vcpu, exit);
	return HV_ERR_STATE;
}
