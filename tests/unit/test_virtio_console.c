/* SPDX-License-Identifier: MIT */
/* virtio-console: output to a byte stream with back-pressure, input into receive buffers. */
#include "virtio_driver.h"

#include <unistd.h>

#define RAM_SIZE (1u << 20)
#define VBASE 0x10000000ull
#define VIRQ 7
#define RXQ 0
#define TXQ 1
#define F_SIZE (1ull << 0)
#define F_EMERG_WRITE (1ull << 2)

/* A byte stream that records what it takes, at most `budget` bytes per call if limited. */
struct sink {
	uint8_t data[4096];
	size_t len;
	unsigned calls;
	unsigned destroys;
	bool limited;
	size_t budget;
};

static size_t sink_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;
	size_t n = len;

	/* Atomics: the retry timer test changes the budget while a timer thread writes. */
	s->calls++;
	if (__atomic_load_n(&s->limited, __ATOMIC_ACQUIRE)) {
		size_t budget = __atomic_load_n(&s->budget, __ATOMIC_ACQUIRE);

		if (n > budget)
			n = budget;
		__atomic_store_n(&s->budget, budget - n, __ATOMIC_RELEASE);
	}
	if (n > sizeof(s->data) - s->len)
		n = sizeof(s->data) - s->len;
	memcpy(s->data + s->len, buf, n);
	s->len += n;
	return n;
}

static void sink_destroy(void *ctx)
{
	((struct sink *)ctx)->destroys++;
}

static const hv_chardev_ops_t sink_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = sink_write,
	.destroy = sink_destroy,
};

struct fx {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	struct vd d;
	struct sink sink;
};

static struct fx fx;

static struct fx *fx_new(bool start)
{
	hv_virtio_console_config_t c = HV_VIRTIO_CONSOLE_CONFIG_INIT;

	memset(&fx, 0, sizeof(fx));
	fx.vm = ts_vm_new(HV_VM_MANUAL_RUN);
	fx.vcpu = ts_vcpu_new(fx.vm, 0);
	ts_map_ram(fx.vm, 0, RAM_SIZE);
	c.name = "hvc0";
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	c.out.ops = &sink_ops;
	c.out.ctx = &fx.sink;
	assert_int_equal(hv_virtio_console_add(fx.vm, &c, &fx.dev), HV_OK);
	if (start) {
		assert_int_equal(hv_vm_start(fx.vm), HV_OK);
		vd_init(&fx.d, fx.vm, fx.vcpu, VBASE, 0, RAM_SIZE);
		fx.d.heap = 0x1000;
	}
	return &fx;
}

static struct fx *fx_live(uint64_t want)
{
	struct fx *f = fx_new(true);

	assert_true(vd_negotiate(&f->d, want) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&f->d, RXQ, 8), 1);
	assert_int_equal(vd_queue_setup(&f->d, TXQ, 8), 1);
	assert_true(vd_driver_ok(&f->d) & HV_VIRTIO_STATUS_DRIVER_OK);
	return f;
}

static void fx_done(struct fx *f)
{
	hv_vm_destroy(f->vm);
	assert_int_equal(f->sink.destroys, 1);
}

static uint64_t put_str(struct fx *f, const char *s)
{
	uint64_t gpa = vd_alloc(&f->d, strlen(s), 1);

	memcpy(vd_ptr(&f->d, gpa), s, strlen(s));
	return gpa;
}

static uint16_t tx_str(struct fx *f, const char *s)
{
	struct vd_buf b = { put_str(f, s), (uint32_t)strlen(s), false };

	return vd_add(&f->d, TXQ, &b, 1);
}

static uint64_t rx_buf(struct fx *f, uint32_t len)
{
	uint64_t gpa = vd_alloc(&f->d, len, 16);
	struct vd_buf b = { gpa, len, true };

	vd_add(&f->d, RXQ, &b, 1);
	vd_kick(&f->d, RXQ);
	return gpa;
}

static size_t input(struct fx *f, const char *s)
{
	size_t n = 12345;

	assert_int_equal(hv_serial_input(f->dev, s, strlen(s), &n), HV_OK);
	return n;
}

/* ---- output ---------------------------------------------------------------------------- */

static void test_vcons_sends_output_to_the_stream(void **state)
{
	struct fx *f = fx_live(~0ull);
	struct vd_buf b[3];
	uint32_t id, len;
	uint16_t head;

	(void)state;
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_DEVICE_ID), HV_VIRTIO_ID_CONSOLE);
	head = tx_str(f, "hello, ");
	vd_kick(&f->d, TXQ);
	assert_true(vd_used(&f->d, TXQ, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_VRING);
	/* A chain and an indirect table; a writable buffer in a transmit chain is ignored. */
	b[0] = (struct vd_buf){ put_str(f, "wor"), 3, false };
	b[1] = (struct vd_buf){ put_str(f, "ld"), 2, false };
	b[2] = (struct vd_buf){ vd_alloc(&f->d, 8, 8), 8, true };
	vd_add(&f->d, TXQ, b, 3);
	b[0] = (struct vd_buf){ put_str(f, "!\n"), 2, false };
	vd_add_indirect(&f->d, TXQ, b, 1);
	vd_kick(&f->d, TXQ);
	assert_int_equal(f->sink.len, 14);
	assert_memory_equal(f->sink.data, "hello, world!\n", 14);
	assert_true(vd_used(&f->d, TXQ, &id, &len));
	assert_true(vd_used(&f->d, TXQ, &id, &len));
	assert_false(vd_used(&f->d, TXQ, &id, &len));
	fx_done(f);
}

static void test_vcons_keeps_output_the_stream_pushes_back(void **state)
{
	struct fx *f = fx_live(~0ull);
	uint32_t id, len;

	(void)state;
	f->sink.limited = true;
	f->sink.budget = 3;
	tx_str(f, "abcdef");
	tx_str(f, "gh");
	vd_kick(&f->d, TXQ);
	/* Three bytes went; the request is held, not returned. */
	assert_int_equal(f->sink.len, 3);
	assert_false(vd_used(&f->d, TXQ, &id, &len));
	/* A stream that takes nothing: nothing moves, nothing spins. */
	f->sink.calls = 0;
	vd_kick(&f->d, TXQ);
	assert_int_equal(f->sink.len, 3);
	assert_int_equal(f->sink.calls, 1);
	/* Room for four more: the first request completes, the second one starts. */
	f->sink.budget = 4;
	vd_kick(&f->d, TXQ);
	assert_int_equal(f->sink.len, 7);
	assert_true(vd_used(&f->d, TXQ, &id, &len));
	assert_false(vd_used(&f->d, TXQ, &id, &len));
	f->sink.limited = false;
	vd_kick(&f->d, TXQ);
	assert_true(vd_used(&f->d, TXQ, &id, &len));
	assert_int_equal(f->sink.len, 8);
	assert_memory_equal(f->sink.data, "abcdefgh", 8);
	fx_done(f);
}

/* On the hosted platform (it has timers): held output moves on without another notify. */
static int hosted_setup(void **state)
{
	(void)state;
	mock_reset();
	hv_log_set_level(HV_LOG_WARN);
	return 0;
}

static int hosted_teardown(void **state)
{
	(void)state;
	assert_int_equal(mock_live_vms(), 0);
	return 0;
}

static void test_vcons_retries_held_output_on_a_timer(void **state)
{
	struct fx *f = fx_live(~0ull);
	uint32_t id, len;
	int i;

	(void)state;
	assert_true(hv__have_timers());
	f->sink.limited = true;
	f->sink.budget = 2;
	tx_str(f, "abcdef");
	vd_kick(&f->d, TXQ);
	assert_false(vd_used(&f->d, TXQ, &id, &len));
	/* The guest spins on the used ring, as Linux's hvc driver does: no more exits. */
	__atomic_store_n(&f->sink.budget, 100, __ATOMIC_RELEASE);
	for (i = 0; i < 2000 && vd_used_idx(&f->d, TXQ) == 0; i++)
		usleep(1000);
	assert_int_equal(vd_used_idx(&f->d, TXQ), 1);
	hv_vm_destroy(f->vm);
	assert_int_equal(f->sink.len, 6);
	assert_memory_equal(f->sink.data, "abcdef", 6);
}

static void test_vcons_reset_drops_held_output(void **state)
{
	struct fx *f = fx_live(~0ull);
	uint32_t id, len;

	(void)state;
	f->sink.limited = true;
	f->sink.budget = 1;
	tx_str(f, "xyz");
	vd_kick(&f->d, TXQ);
	assert_int_equal(f->sink.len, 1);
	vd_wr(&f->d, HV_VMMIO_STATUS, 0);
	f->sink.limited = false;
	assert_true(vd_negotiate(&f->d, ~0ull) & HV_VIRTIO_STATUS_FEATURES_OK);
	vd_queue_setup(&f->d, RXQ, 8);
	vd_queue_setup(&f->d, TXQ, 8);
	vd_driver_ok(&f->d);
	tx_str(f, "new");
	vd_kick(&f->d, TXQ);
	assert_true(vd_used(&f->d, TXQ, &id, &len));
	assert_int_equal(f->sink.len, 4);
	assert_memory_equal(f->sink.data, "xnew", 4);
	fx_done(f);
}

static void test_vcons_corrupt_transmit_queue_needs_reset(void **state)
{
	struct fx *f = fx_live(~0ull);

	(void)state;
	vd_desc_set(&f->d, TXQ, 0, 0x8000, 4, HV_VRING_DESC_F_NEXT, 9);
	vd_avail_put(&f->d, TXQ, 0);
	vd_kick(&f->d, TXQ);
	assert_true(vd_rd(&f->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_CONFIG);
	assert_int_equal(f->sink.len, 0);
	/* Input is refused too until the reset. */
	rx_buf(f, 8);
	assert_int_equal(input(f, "abc"), 0);
	fx_done(f);
}

static void test_vcons_without_a_stream_discards_output(void **state)
{
	hv_virtio_console_config_t c = HV_VIRTIO_CONSOLE_CONFIG_INIT;
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	struct vd d;
	uint32_t id, len;

	(void)state;
	ts_map_ram(vm, 0, RAM_SIZE);
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	assert_int_equal(hv_virtio_console_add(vm, &c, NULL), HV_OK);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	vd_init(&d, vm, vcpu, VBASE, 0, RAM_SIZE);
	d.heap = 0x1000;
	vd_negotiate(&d, ~0ull);
	vd_queue_setup(&d, RXQ, 8);
	vd_queue_setup(&d, TXQ, 8);
	vd_driver_ok(&d);
	{
		struct vd_buf b = { vd_alloc(&d, 4, 4), 4, false };

		vd_add(&d, TXQ, &b, 1);
	}
	vd_kick(&d, TXQ);
	assert_true(vd_used(&d, TXQ, &id, &len));
	hv_vm_destroy(vm);
}

/* ---- input ----------------------------------------------------------------------------- */

static void test_vcons_input_fills_receive_buffers(void **state)
{
	struct fx *f = fx_live(~0ull);
	uint64_t b1, b2;
	uint32_t id, len;

	(void)state;
	b1 = rx_buf(f, 4);
	b2 = rx_buf(f, 4);
	vd_ack(&f->d, 3);
	assert_int_equal(input(f, "abcdef"), 6);
	assert_true(vd_used(&f->d, RXQ, &id, &len));
	assert_int_equal(len, 4);
	assert_memory_equal(vd_ptr(&f->d, b1), "abcd", 4);
	assert_true(vd_used(&f->d, RXQ, &id, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(vd_ptr(&f->d, b2), "ef", 2);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_VRING);
	assert_true(vd_irq_level(&f->d, VIRQ));
	fx_done(f);
}

static void test_vcons_input_takes_only_what_fits(void **state)
{
	struct fx *f = fx_live(~0ull);
	struct vd_buf b[2];
	uint32_t id, len;

	(void)state;
	/* One buffer in two writable pieces. */
	b[0] = (struct vd_buf){ vd_alloc(&f->d, 2, 2), 2, true };
	b[1] = (struct vd_buf){ vd_alloc(&f->d, 3, 2), 3, true };
	vd_add(&f->d, RXQ, b, 2);
	assert_int_equal(input(f, "0123456789"), 5);
	assert_true(vd_used(&f->d, RXQ, &id, &len));
	assert_int_equal(len, 5);
	assert_memory_equal(vd_ptr(&f->d, b[0].gpa), "01", 2);
	assert_memory_equal(vd_ptr(&f->d, b[1].gpa), "234", 3);
	/* No buffers left. */
	assert_int_equal(input(f, "56789"), 0);
	fx_done(f);
}

static void test_vcons_input_before_driver_ok_is_refused(void **state)
{
	struct fx *f = fx_new(true);
	struct vd_buf b;

	(void)state;
	assert_int_equal(input(f, "x"), 0);
	vd_negotiate(&f->d, ~0ull);
	vd_queue_setup(&f->d, RXQ, 8);
	vd_queue_setup(&f->d, TXQ, 8);
	b = (struct vd_buf){ vd_alloc(&f->d, 8, 8), 8, true };
	vd_add(&f->d, RXQ, &b, 1);
	assert_int_equal(input(f, "x"), 0);
	vd_driver_ok(&f->d);
	assert_int_equal(input(f, "x"), 1);
	fx_done(f);
}

static void test_vcons_input_needs_a_running_vm(void **state)
{
	struct fx *f = fx_live(~0ull);

	(void)state;
	rx_buf(f, 8);
	assert_int_equal(hv_vm_stop(f->vm), HV_OK);
	assert_int_equal(input(f, "x"), 0);
	fx_done(f);
}

static void test_vcons_serial_input_checks_its_arguments(void **state)
{
	struct fx *f = fx_live(~0ull);
	hv_virtio_rng_config_t c = HV_VIRTIO_RNG_CONFIG_INIT;

	(void)state;
	assert_int_equal(hv_serial_input(NULL, "x", 1, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_serial_input(f->dev, NULL, 1, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_serial_input(f->dev, NULL, 0, NULL), HV_OK);
	fx_done(f);

	/* virtio-rng is not a serial device. */
	{
		hv_vm_t *vm = ts_vm_new(0);
		hv_device_t *d = NULL;

		c.mmio.base = VBASE;
		c.mmio.irq = VIRQ;
		assert_int_equal(hv_virtio_rng_add(vm, &c, &d), HV_OK);
		assert_int_equal(hv_serial_input(d, "x", 1, NULL), HV_ERR_UNSUPPORTED);
		hv_vm_destroy(vm);
	}
}

/* ---- configuration ----------------------------------------------------------------------- */

static void test_vcons_config_has_size_and_emergency_write(void **state)
{
	struct fx *f = fx_new(true);

	(void)state;
	assert_true(vd_device_features(&f->d) & F_SIZE);
	assert_true(vd_device_features(&f->d) & F_EMERG_WRITE);
	assert_int_equal(vd_cfg_rd(&f->d, 0, 2), 80);
	assert_int_equal(vd_cfg_rd(&f->d, 2, 2), 25);
	assert_int_equal(vd_cfg_rd(&f->d, 4, 4), 1);
	/* emerg_wr before negotiation: ignored. */
	vd_access(&f->d, HV_VMMIO_CONFIG + 8, 4, true, 'A');
	assert_int_equal(f->sink.len, 0);
	assert_true(vd_negotiate(&f->d, ~0ull) & HV_VIRTIO_STATUS_FEATURES_OK);
	vd_access(&f->d, HV_VMMIO_CONFIG + 8, 4, true, 'B');
	vd_access(&f->d, HV_VMMIO_CONFIG + 8, 1, true, 'C'); /* not the field's width */
	vd_access(&f->d, HV_VMMIO_CONFIG + 0, 2, true, 'D'); /* read-only field */
	assert_int_equal(f->sink.len, 1);
	assert_int_equal(f->sink.data[0], 'B');
	fx_done(f);
}

/* ---- adding -------------------------------------------------------------------------------- */

static void test_vcons_add_checks_the_stream(void **state)
{
	hv_virtio_console_config_t c = HV_VIRTIO_CONSOLE_CONFIG_INIT;
	hv_chardev_ops_t ops = sink_ops;
	struct sink s;
	hv_vm_t *vm = ts_vm_new(0);

	(void)state;
	memset(&s, 0, sizeof(s));
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	c.out.ops = &ops;
	c.out.ctx = &s;
	assert_int_equal(hv_virtio_console_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_virtio_console_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 4;
	assert_int_equal(hv_virtio_console_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	ops.version = 99;
	assert_int_equal(hv_virtio_console_add(vm, &c, NULL), HV_ERR_ABI);
	ops.version = HV_CHARDEV_OPS_VERSION;
	ops.struct_size = 8;
	assert_int_equal(hv_virtio_console_add(vm, &c, NULL), HV_ERR_ABI);
	ops.struct_size = sizeof(ops);
	ops.write = NULL;
	assert_int_equal(hv_virtio_console_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	ops.write = sink_write;
	/* A failed add leaves the stream to the caller. */
	c.mmio.irq = 1000;
	assert_int_equal(hv_virtio_console_add(vm, &c, NULL), HV_ERR_RANGE);
	hv_vm_destroy(vm);
	assert_int_equal(s.destroys, 0);
}

static void test_vcons_remove_destroys_the_stream(void **state)
{
	struct fx *f = fx_new(false);

	(void)state;
	assert_int_equal(hv_device_remove(f->dev), HV_OK);
	assert_int_equal(f->sink.destroys, 1);
	f->sink.destroys = 0;
	hv_vm_destroy(f->vm);
	assert_int_equal(f->sink.destroys, 0);
}

static void test_vcons_add_leaves_nothing_behind_when_allocations_fail(void **state)
{
	hv_virtio_console_config_t c = HV_VIRTIO_CONSOLE_CONFIG_INIT;
	struct sink s;
	unsigned long n;

	(void)state;
	memset(&s, 0, sizeof(s));
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	c.out.ops = &sink_ops;
	c.out.ctx = &s;
	for (n = 1;; n++) {
		hv_vm_t *vm = ts_vm_new(0);
		size_t before = tp_live_allocs();
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_virtio_console_add(vm, &c, NULL);
		tp_fail_alloc_at(0);
		if (st == HV_OK) {
			hv_vm_destroy(vm);
			break;
		}
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(tp_live_allocs(), before);
		assert_int_equal(s.destroys, 0);
		hv_vm_destroy(vm);
	}
	assert_int_equal(s.destroys, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_vcons_sends_output_to_the_stream),
		TS_TEST(test_vcons_keeps_output_the_stream_pushes_back),
		cmocka_unit_test_setup_teardown(test_vcons_retries_held_output_on_a_timer,
						hosted_setup, hosted_teardown),
		TS_TEST(test_vcons_reset_drops_held_output),
		TS_TEST(test_vcons_corrupt_transmit_queue_needs_reset),
		TS_TEST(test_vcons_without_a_stream_discards_output),
		TS_TEST(test_vcons_input_fills_receive_buffers),
		TS_TEST(test_vcons_input_takes_only_what_fits),
		TS_TEST(test_vcons_input_before_driver_ok_is_refused),
		TS_TEST(test_vcons_input_needs_a_running_vm),
		TS_TEST(test_vcons_serial_input_checks_its_arguments),
		TS_TEST(test_vcons_config_has_size_and_emergency_write),
		TS_TEST(test_vcons_add_checks_the_stream),
		TS_TEST(test_vcons_remove_destroys_the_stream),
		TS_TEST(test_vcons_add_leaves_nothing_behind_when_allocations_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
