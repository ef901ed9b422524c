/* SPDX-License-Identifier: MIT */
/* virtio-rng: requests filled from the entropy source, bounded, failures reported as 0 bytes. */
#include "virtio_driver.h"

#define RAM_SIZE (1u << 20)
#define VBASE 0x10000000ull
#define VIRQ 9

struct fx {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	struct vd d;
	uint8_t next;     /* the source counts bytes: 0, 1, 2, ... */
	hv_status_t fail; /* returned instead when not HV_OK */
	size_t total;
};

static struct fx fx;

static hv_status_t counter_entropy(void *ctx, void *buf, size_t len)
{
	struct fx *f = ctx;
	uint8_t *p = buf;
	size_t i;

	if (f->fail != HV_OK)
		return f->fail;
	for (i = 0; i < len; i++)
		p[i] = f->next++;
	f->total += len;
	return HV_OK;
}

static struct fx *fx_live(hv_entropy_fn fn)
{
	hv_virtio_rng_config_t c = HV_VIRTIO_RNG_CONFIG_INIT;

	memset(&fx, 0, sizeof(fx));
	fx.vm = ts_vm_new(HV_VM_MANUAL_RUN);
	fx.vcpu = ts_vcpu_new(fx.vm, 0);
	ts_map_ram(fx.vm, 0, RAM_SIZE);
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	c.entropy = fn;
	c.entropy_ctx = &fx;
	assert_int_equal(hv_virtio_rng_add(fx.vm, &c, NULL), HV_OK);
	assert_int_equal(hv_vm_start(fx.vm), HV_OK);
	vd_init(&fx.d, fx.vm, fx.vcpu, VBASE, 0, RAM_SIZE);
	fx.d.heap = 0x1000;
	assert_true(vd_negotiate(&fx.d, ~0ull) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&fx.d, 0, 16), 1);
	assert_true(vd_driver_ok(&fx.d) & HV_VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vd_rd(&fx.d, HV_VMMIO_DEVICE_ID), HV_VIRTIO_ID_RNG);
	return &fx;
}

static void test_vrng_fills_requests_from_the_source(void **state)
{
	struct fx *f = fx_live(counter_entropy);
	struct vd_buf b[2];
	uint32_t id, len;
	uint16_t head;
	uint8_t *p;

	(void)state;
	b[0] = (struct vd_buf){ vd_alloc(&f->d, 5, 1), 5, true };
	b[1] = (struct vd_buf){ vd_alloc(&f->d, 3, 1), 3, true };
	head = vd_add(&f->d, 0, b, 2);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 8);
	p = vd_ptr(&f->d, b[0].gpa);
	assert_int_equal(p[0], 0);
	assert_int_equal(p[4], 4);
	p = vd_ptr(&f->d, b[1].gpa);
	assert_int_equal(p[2], 7);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_VRING);
	hv_vm_destroy(f->vm);
}

static void test_vrng_serves_every_request_of_a_notify(void **state)
{
	struct fx *f = fx_live(counter_entropy);
	uint32_t id, len;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		struct vd_buf b = { vd_alloc(&f->d, 16, 16), 16, true };

		vd_add_indirect(&f->d, 0, &b, 1);
	}
	vd_kick(&f->d, 0);
	for (i = 0; i < 10; i++) {
		assert_true(vd_used(&f->d, 0, &id, &len));
		assert_int_equal(len, 16);
	}
	assert_false(vd_used(&f->d, 0, &id, &len));
	hv_vm_destroy(f->vm);
}

static void test_vrng_gives_at_most_64kib_per_request(void **state)
{
	struct fx *f = fx_live(counter_entropy);
	struct vd_buf b = { vd_alloc(&f->d, 100000, 16), 100000, true };
	uint32_t id, len;

	(void)state;
	vd_add(&f->d, 0, &b, 1);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(len, 65536);
	assert_int_equal(f->total, 65536);
	hv_vm_destroy(f->vm);
}

static void test_vrng_source_failure_returns_the_request_empty(void **state)
{
	struct fx *f = fx_live(counter_entropy);
	struct vd_buf b = { vd_alloc(&f->d, 16, 16), 16, true };
	uint32_t id, len;

	(void)state;
	f->fail = HV_ERR_BACKEND;
	vd_add(&f->d, 0, &b, 1);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(len, 0);
	/* The device is still fine. */
	assert_false(vd_rd(&f->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
	f->fail = HV_OK;
	vd_add(&f->d, 0, &b, 1);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(len, 16);
	hv_vm_destroy(f->vm);
}

static void test_vrng_request_without_writable_buffers_gets_nothing(void **state)
{
	struct fx *f = fx_live(counter_entropy);
	struct vd_buf b = { vd_alloc(&f->d, 16, 16), 16, false };
	uint32_t id, len;

	(void)state;
	vd_add(&f->d, 0, &b, 1);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(len, 0);
	assert_int_equal(f->total, 0);
	hv_vm_destroy(f->vm);
}

static void test_vrng_default_source_is_the_hosts(void **state)
{
	struct fx *f = fx_live(NULL);
	struct vd_buf b = { vd_alloc(&f->d, 64, 16), 64, true };
	static const uint8_t zero[64];
	uint32_t id, len;

	(void)state;
	vd_add(&f->d, 0, &b, 1);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	/* 0 only if the host's pool is not ready yet (never blocks a vCPU). */
	if (len != 0) {
		assert_int_equal(len, 64);
		assert_memory_not_equal(vd_ptr(&f->d, b.gpa), zero, 64);
	}
	hv_vm_destroy(f->vm);
}

static void test_vrng_corrupt_queue_needs_reset(void **state)
{
	struct fx *f = fx_live(counter_entropy);

	(void)state;
	vd_avail_set_idx(&f->d, 0, 100); /* far ahead of a 16-entry ring */
	vd_kick(&f->d, 0);
	assert_true(vd_rd(&f->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(f->total, 0);
	hv_vm_destroy(f->vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_vrng_fills_requests_from_the_source),
		TS_TEST(test_vrng_serves_every_request_of_a_notify),
		TS_TEST(test_vrng_gives_at_most_64kib_per_request),
		TS_TEST(test_vrng_source_failure_returns_the_request_empty),
		TS_TEST(test_vrng_request_without_writable_buffers_gets_nothing),
		TS_TEST(test_vrng_default_source_is_the_hosts),
		TS_TEST(test_vrng_corrupt_queue_needs_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
