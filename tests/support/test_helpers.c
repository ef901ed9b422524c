/* SPDX-License-Identifier: MIT */
/* Setup and teardown shared by every unit test, an event recorder and a recording device. */
#include "test_support.h"

static int ts_setup_flags(unsigned flags)
{
	mock_reset();
	tp_install(flags);
	hv_log_set_level(HV_LOG_WARN);
	return 0;
}

int ts_setup(void **state)
{
	(void)state;
	return ts_setup_flags(0);
}

int ts_setup_no_threads(void **state)
{
	(void)state;
	return ts_setup_flags(TP_NO_THREADS);
}

int ts_setup_no_ram_alloc(void **state)
{
	(void)state;
	return ts_setup_flags(TP_NO_RAM_ALLOC);
}

int ts_teardown(void **state)
{
	(void)state;
	mock_gate_open();
	tp_assert_clean();
	assert_int_equal(mock_live_vms(), 0);
	assert_int_equal(mock_live_vcpus(), 0);
	hv_log_set_level(HV_LOG_WARN);
	/* Fails with HV_ERR_BUSY if a VM or shm object outlived the test. */
	if (!tp_platform_stuck())
		assert_int_equal(hv_platform_set(NULL), HV_OK);
	return 0;
}

hv_vm_config_t ts_vm_config(void)
{
	hv_vm_config_t c = HV_VM_CONFIG_INIT;

	c.backend = &mock_backend;
	return c;
}

hv_vm_t *ts_vm_new(uint32_t flags)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	c.flags = flags;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	assert_non_null(vm);
	return vm;
}

hv_vcpu_t *ts_vcpu_new(hv_vm_t *vm, uint32_t index)
{
	hv_vcpu_t *vcpu = NULL;

	assert_int_equal(hv_vcpu_create(vm, index, &vcpu), HV_OK);
	assert_non_null(vcpu);
	return vcpu;
}

hv_region_t *ts_map_ram(hv_vm_t *vm, hv_gpa_t gpa, uint64_t size)
{
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_region_t *r = NULL;

	c.type = HV_REGION_RAM;
	c.name = "ram";
	c.gpa = gpa;
	c.size = size;
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	assert_non_null(r);
	return r;
}

void ts_events_init(struct ts_events *events)
{
	memset(events, 0, sizeof(*events));
	pthread_mutex_init(&events->mu, NULL);
}

void ts_events_fini(struct ts_events *events)
{
	pthread_mutex_destroy(&events->mu);
}

void ts_on_event(void *user, const hv_event_t *event)
{
	struct ts_events *e = user;

	assert_non_null(event);
	assert_non_null(event->vm);
	pthread_mutex_lock(&e->mu);
	if (e->count < TS_EVENTS_MAX) {
		struct ts_event_rec *r = &e->ev[e->count];

		r->type = event->type;
		r->vcpu_index = event->vcpu_index;
		r->has_exit = event->exit != NULL;
		if (event->exit != NULL)
			r->exit = *event->exit;
		r->state = hv_vm_get_state(event->vm);
	}
	e->count++;
	pthread_mutex_unlock(&e->mu);
	if (e->then != NULL)
		e->then(e, event);
}

void ts_events_expect(struct ts_events *events, const hv_event_type_t *types, unsigned n)
{
	unsigned i;

	pthread_mutex_lock(&events->mu);
	for (i = 0; i < events->count && i < TS_EVENTS_MAX; i++)
		print_message("event %u: %s\n", i, hv_event_type_str(events->ev[i].type));
	pthread_mutex_unlock(&events->mu);
	assert_int_equal(events->count, n);
	for (i = 0; i < n; i++)
		assert_string_equal(hv_event_type_str(events->ev[i].type),
				    hv_event_type_str(types[i]));
}

static void ts_dev_log(struct ts_dev *d, bool is_write, uint64_t offset, uint32_t width,
		       uint64_t value)
{
	if (d->log_count < TS_DEV_LOG_MAX) {
		d->log[d->log_count].is_write = is_write;
		d->log[d->log_count].offset = offset;
		d->log[d->log_count].width = width;
		d->log[d->log_count].value = value;
	}
	d->log_count++;
}

static void ts_dev_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct ts_dev *d = ctx;

	d->reads++;
	*value = d->read_echo_offset ? offset : d->read_value;
	ts_dev_log(d, false, offset, width, *value);
}

static void ts_dev_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct ts_dev *d = ctx;

	d->writes++;
	ts_dev_log(d, true, offset, width, value);
}

static void ts_dev_reset(void *ctx)
{
	struct ts_dev *d = ctx;

	d->resets++;
}

static void ts_dev_destroy(void *ctx)
{
	struct ts_dev *d = ctx;

	d->destroys++;
}

const hv_device_ops_t ts_dev_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = ts_dev_read,
	.write = ts_dev_write,
	.reset = ts_dev_reset,
	.destroy = ts_dev_destroy,
};

hv_device_t *ts_dev_add(hv_vm_t *vm, struct ts_dev *dev, hv_bus_t bus, uint64_t base, uint64_t size)
{
	hv_device_config_t c = HV_DEVICE_CONFIG_INIT;
	hv_device_t *d = NULL;

	c.name = "tdev";
	c.bus = bus;
	c.base = base;
	c.size = size;
	c.ops = &ts_dev_ops;
	c.ctx = dev;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	assert_non_null(d);
	return d;
}
