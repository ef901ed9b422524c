/* SPDX-License-Identifier: MIT */
/* Devices on the MMIO and port-I/O buses. */
#include "hv_internal.h"

static struct hv__rangemap *hv__bus(hv_vm_t *vm, hv_bus_t bus)
{
	return bus == HV_BUS_PIO ? &vm->pio : &vm->mem;
}

static hv_status_t hv__check_device(hv_vm_t *vm, const hv_device_config_t *c)
{
	if (HV__CHECK_STRUCT(c, hv_device_config_t) != HV_OK)
		return HV_ERR_ABI;
	if ((unsigned)c->bus > HV_BUS_PIO || c->ops == NULL)
		return HV_ERR_INVALID_ARG;
	if (c->ops->struct_size != sizeof(hv_device_ops_t) ||
	    c->ops->version != HV_DEVICE_OPS_VERSION)
		return HV_ERR_ABI;
	if (c->ops->read == NULL || c->ops->write == NULL)
		return HV_ERR_INVALID_ARG;
	if (c->bus == HV_BUS_PIO && (vm->caps.flags & HV_CAP_PIO) == 0)
		return HV_ERR_UNSUPPORTED;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	return hv__rangemap_check(hv__bus(vm, c->bus), c->base, c->size);
}

static hv_status_t hv__device_add(hv_vm_t *vm, const hv_device_config_t *config,
				  const struct hv__devclass *cls, hv_device_t **out)
{
	hv_device_t *dev;
	hv_status_t st;

	st = hv__check_device(vm, config);
	if (st != HV_OK)
		return st;
	dev = hv__alloc(sizeof(*dev));
	if (dev == NULL)
		return HV_ERR_NO_MEMORY;
	dev->vm = vm;
	dev->cls = cls;
	dev->bus = config->bus;
	dev->base = config->base;
	dev->last = config->base + (config->size - 1);
	dev->ops = config->ops;
	dev->ctx = config->ctx;
	st = HV_ERR_NO_MEMORY;
	dev->name = hv__strdup(config->name != NULL ? config->name : "device");
	if (dev->name == NULL)
		goto err;
	hv__vm_map_hold(vm);
	st = hv__rangemap_insert(hv__bus(vm, config->bus), config->base, config->size,
				 HV__RANGE_DEVICE, dev);
	hv__vm_map_release(vm);
	if (st != HV_OK)
		goto err;
	hv__vm_invalidate_caches(vm);
	HV_LOGI("vm %s: device %s on %s at 0x%llx size 0x%llx", vm->name, dev->name,
		dev->bus == HV_BUS_PIO ? "pio" : "mmio", (unsigned long long)config->base,
		(unsigned long long)config->size);
	if (out != NULL)
		*out = dev;
	return HV_OK;
err:
	hv__strfree(dev->name);
	hv__free(dev, sizeof(*dev));
	return st;
}

hv_status_t hv_device_add(hv_vm_t *vm, const hv_device_config_t *config, hv_device_t **out)
{
	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	return hv__device_add(vm, config, NULL, out);
}

hv_status_t hv__libdev_add(hv_vm_t *vm, const hv_device_config_t *cfg,
			   const struct hv__devclass *cls, uint32_t irq, hv_irq_line_t **line,
			   hv_device_t **out)
{
	hv_irq_route_config_t route = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *l = NULL;
	hv_device_t *dev;
	hv_status_t st;

	st = hv__check_device(vm, cfg);
	if (st != HV_OK)
		return st;
	if (irq != HV__NO_IRQ) {
		route.input = irq;
		route.trigger = HV_IRQ_LEVEL;
		route.name = cfg->name;
		st = hv_irq_route_add(vm, &route, &l);
		if (st != HV_OK)
			return st;
	}
	st = hv__device_add(vm, cfg, cls, &dev);
	if (st != HV_OK) {
		if (l != NULL)
			hv__irq_route_remove(l);
		return st;
	}
	dev->line = l;
	if (line != NULL)
		*line = l;
	if (out != NULL)
		*out = dev;
	return HV_OK;
}

hv_status_t hv_serial_input(hv_device_t *device, const void *buf, size_t len, size_t *accepted)
{
	size_t n;

	if (device == NULL || (buf == NULL && len != 0))
		return HV_ERR_INVALID_ARG;
	if (device->cls == NULL || device->cls->kind != HV__DEV_SERIAL ||
	    device->cls->serial_input == NULL)
		return HV_ERR_UNSUPPORTED;
	n = len != 0 ? device->cls->serial_input(device->ctx, buf, len) : 0;
	if (accepted != NULL)
		*accepted = n;
	return HV_OK;
}

static void hv__device_free(hv_device_t *dev)
{
	if (dev->ops->destroy != NULL)
		dev->ops->destroy(dev->ctx);
	/* After destroy: the device's timers and host threads can no longer drive the line. */
	if (dev->line != NULL)
		hv__irq_route_remove(dev->line);
	hv__strfree(dev->name);
	hv__free(dev, sizeof(*dev));
}

hv_status_t hv_device_remove(hv_device_t *device)
{
	hv_vm_t *vm;

	if (device == NULL)
		return HV_OK;
	vm = device->vm;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	hv__vm_map_hold(vm);
	hv__rangemap_remove(hv__bus(vm, device->bus), device);
	hv__vm_invalidate_caches(vm);
	hv__vm_map_release(vm);
	hv__device_free(device);
	return HV_OK;
}

hv_status_t hv__vm_reserve(hv_vm_t *vm, hv_bus_t bus, uint64_t base, uint64_t size)
{
	return hv__rangemap_insert(hv__bus(vm, bus), base, size, HV__RANGE_RESERVED, NULL);
}

void *hv_device_ctx(const hv_device_t *device)
{
	return device != NULL ? device->ctx : NULL;
}

hv_vm_t *hv_device_vm(const hv_device_t *device)
{
	return device != NULL ? device->vm : NULL;
}

static void hv__release_bus(struct hv__rangemap *map)
{
	size_t i = map->count;

	while (i-- > 0) {
		if (map->v[i].kind == HV__RANGE_DEVICE) {
			hv_device_t *dev = map->v[i].obj;

			hv__rangemap_remove(map, dev);
			hv__device_free(dev);
			/* Its destroy may have removed other ranges (a shmdev unmaps its memory). */
			if (i > map->count)
				i = map->count;
		}
	}
}

void hv__vm_release_devices(hv_vm_t *vm)
{
	hv__release_bus(&vm->mem);
	hv__release_bus(&vm->pio);
}

static void hv__reset_bus(struct hv__rangemap *map)
{
	size_t i;

	for (i = 0; i < map->count; i++) {
		if (map->v[i].kind == HV__RANGE_DEVICE) {
			hv_device_t *dev = map->v[i].obj;

			if (dev->ops->reset != NULL)
				dev->ops->reset(dev->ctx);
		}
	}
}

void hv__vm_reset_devices(hv_vm_t *vm)
{
	struct hv_irq_line *l;

	hv__reset_bus(&vm->mem);
	hv__reset_bus(&vm->pio);
	for (l = vm->lines; l != NULL; l = l->next)
		hv_irq_line_lower(l);
}
