/* SPDX-License-Identifier: MIT */
/*
 * Exit dispatch: a normalised exit goes to the device on the bus, or becomes a stop with a
 * cause. This is the hot path of every trapped access: the common case (the device the vCPU
 * used last) is a few compares and a tail call into the device; a miss adds a binary search;
 * everything rare is out of line. Backends deliver written data zero-extended to 64 bits, and
 * give the guest only the low `width` bytes of read data. Callers look at the VM's state
 * afterwards: a device, a fault or a stop request may have ended the run.
 */
#include "hv_internal.h"

#define HV__COLD __attribute__((noinline, cold))

/* Mask by access width; zero marks a width the buses do not carry (3, 5, 6, 7). */
static const uint64_t hv__width_mask[9] = {
	0, 0xffull, 0xffffull, 0, 0xffffffffull, 0, 0, 0, ~0ull,
};

static inline uint64_t hv__mask(uint32_t width)
{
	return width - 1u < 8u ? hv__width_mask[width] : 0;
}

static inline bool hv__hits(const hv_device_t *dev, uint64_t addr, uint32_t width)
{
	return dev != NULL && addr >= dev->base && addr <= dev->last &&
	       (uint64_t)(width - 1) <= dev->last - addr;
}

/* Nothing answers at this address: fault, or behave like an open bus. */
HV__COLD static hv_status_t hv__unmapped(hv_vcpu_t *vcpu, hv_exit_t *exit, hv_unmapped_t policy,
					 uint64_t addr, bool is_write, uint64_t *data)
{
	hv_vm_t *vm = vcpu->vm;

	HV_LOGD("vm %s: vcpu %u: %s %s at unmapped 0x%llx", vm->name, vcpu->index,
		exit->reason == HV_EXIT_IO ? "port" : "mmio", is_write ? "write" : "read",
		(unsigned long long)addr);
	if (policy == HV_UNMAPPED_IGNORE) {
		if (!is_write)
			*data = ~0ull;
		return HV_OK;
	}
	exit->reason = HV_EXIT_FAULT;
	exit->u.fault.kind = HV_FAULT_UNMAPPED;
	exit->u.fault.gpa = addr;
	exit->u.fault.detail = is_write;
	hv__vm_stop(vm, HV_EVENT_FAULT, vcpu, exit);
	return HV_ERR_STATE;
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

/* An MMIO access to memory, a reserved window, nothing, or with an odd width. */
HV__COLD static void hv__mmio_other(hv_vcpu_t *vcpu, hv_exit_t *exit,
					   const struct hv__range *r)
{
	hv_gpa_t gpa = exit->u.mmio.gpa;
	uint32_t width = exit->u.mmio.width;
	uint64_t v = 0;
	hv_status_t st;

	if (r != NULL && r->kind == HV__RANGE_REGION && hv__mask(width) != 0 &&
	    gpa + (width - 1) >= gpa && gpa + (width - 1) <= r->last) {
		hv__region_access(vcpu, exit, r->obj);
		return;
	}
	st = hv__unmapped(vcpu, exit, vcpu->vm->cfg.unmapped_mmio, gpa, exit->u.mmio.is_write, &v);
	if (st == HV_OK && !exit->u.mmio.is_write)
		exit->u.mmio.data = v & hv__mask(width);
}

/*
 * The device handles the access as the last thing done here: a tail call. Reads land in the
 * exit's data field directly; backends hand the guest only the low `width` bytes of it.
 */
static inline void hv__dispatch_mmio(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	const hv_device_t *dev = vcpu->mmio_cache;
	hv_gpa_t gpa = exit->u.mmio.gpa;
	uint32_t width = exit->u.mmio.width;

	if (HV__UNLIKELY(!hv__hits(dev, gpa, width))) {
		const struct hv__range *r = hv__rangemap_floor(&vcpu->vm->mem, gpa);

		/* The whole access inside one range, and that range a device. */
		if (HV__UNLIKELY(r == NULL || gpa < r->base || gpa > r->last ||
				 (uint64_t)(width - 1) > r->last - gpa ||
				 r->kind != HV__RANGE_DEVICE)) {
			hv__mmio_other(vcpu, exit, hv__rangemap_find(&vcpu->vm->mem, gpa));
			return;
		}
		dev = r->obj;
		vcpu->mmio_cache = dev;
	}
	if (HV__UNLIKELY(hv__mask(width) == 0)) {
		hv__mmio_other(vcpu, exit, NULL);
		return;
	}
	if (exit->u.mmio.is_write)
		dev->ops->write(dev->ctx, gpa - dev->base, width, exit->u.mmio.data);
	else {
		dev->ops->read(dev->ctx, gpa - dev->base, width, &exit->u.mmio.data);
		exit->u.mmio.data &= hv__width_mask[width];
	}
}

/* A port access nothing claims, or with a width ports do not have. */
HV__COLD static void hv__pio_other(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	uint32_t width = exit->u.io.width;
	uint64_t v = 0;
	hv_status_t st;

	st = hv__unmapped(vcpu, exit, vcpu->vm->cfg.unmapped_pio, exit->u.io.port,
			  exit->u.io.is_write, &v);
	if (st == HV_OK && !exit->u.io.is_write) {
		if (exit->u.io.count <= 1 || exit->u.io.buf == NULL)
			exit->u.io.data = v & hv__mask(width);
		else
			hv__memset(exit->u.io.buf, 0xff, (size_t)exit->u.io.count * width);
	}
}

HV__COLD static void hv__pio_string(const hv_device_t *dev, hv_exit_t *exit)
{
	uint32_t width = exit->u.io.width;
	uint64_t off = exit->u.io.port - dev->base;
	uint32_t i;

	for (i = 0; i < exit->u.io.count; i++) {
		uint8_t *p = exit->u.io.buf + (size_t)i * width;
		uint64_t v = 0;

		if (exit->u.io.is_write) {
			hv__memcpy(&v, p, width);
			dev->ops->write(dev->ctx, off, width, v);
		} else {
			dev->ops->read(dev->ctx, off, width, &v);
			hv__memcpy(p, &v, width);
		}
	}
}

static inline void hv__dispatch_pio(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	const hv_device_t *dev = vcpu->pio_cache;
	uint32_t port = exit->u.io.port;
	uint32_t width = exit->u.io.width;

	if (HV__UNLIKELY(!hv__hits(dev, port, width))) {
		const struct hv__range *r = hv__rangemap_floor(&vcpu->vm->pio, port);

		if (HV__UNLIKELY(r == NULL || port < r->base || port + (width - 1) > r->last ||
				 r->kind != HV__RANGE_DEVICE)) {
			hv__pio_other(vcpu, exit);
			return;
		}
		dev = r->obj;
		vcpu->pio_cache = dev;
	}
	if (HV__UNLIKELY(width != 1 && width != 2 && width != 4)) {
		hv__pio_other(vcpu, exit);
		return;
	}
	if (HV__UNLIKELY(exit->u.io.count > 1 && exit->u.io.buf != NULL))
		hv__pio_string(dev, exit);
	else if (exit->u.io.is_write)
		dev->ops->write(dev->ctx, port - dev->base, width, exit->u.io.data);
	else {
		dev->ops->read(dev->ctx, port - dev->base, width, &exit->u.io.data);
		exit->u.io.data &= hv__width_mask[width];
	}
}

/* Exits that end the VM's run: shutdown, reset, faults and anything unknown. */
HV__COLD static void hv__dispatch_stop(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	hv_event_type_t cause;

	switch (exit->reason) {
	case HV_EXIT_NONE:
	case HV_EXIT_KICK:
		return; /* the caller looks at the VM's state */
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
}

void hv__dispatch(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	if (HV__LIKELY(exit->reason == HV_EXIT_MMIO))
		hv__dispatch_mmio(vcpu, exit);
	else if (exit->reason == HV_EXIT_IO)
		hv__dispatch_pio(vcpu, exit);
	else
		hv__dispatch_stop(vcpu, exit);
}
