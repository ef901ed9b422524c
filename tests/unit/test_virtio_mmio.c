/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, driven through its registers as a guest driver does, on a
 * virtio-rng device (one queue, no configuration) and a virtio-console (configuration space).
 */
#include "virtio_driver.h"

#define RAM_SIZE (1u << 20)
#define VBASE 0x10000000ull
#define VIRQ 5
#define ALL_FEATURES (~0ull)
#define F(bit) (1ull << (bit))

struct fx {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	struct vd d;
	unsigned entropy_calls;
};

static struct fx fx;

static hv_status_t counting_entropy(void *ctx, void *buf, size_t len)
{
	struct fx *f = ctx;

	f->entropy_calls++;
	memset(buf, 0xab, len);
	return HV_OK;
}

static void fx_vm(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->vm = ts_vm_new(HV_VM_MANUAL_RUN);
	f->vcpu = ts_vcpu_new(f->vm, 0);
	ts_map_ram(f->vm, 0, RAM_SIZE);
}

static void fx_start(struct fx *f)
{
	assert_int_equal(hv_vm_start(f->vm), HV_OK);
	vd_init(&f->d, f->vm, f->vcpu, VBASE, 0, RAM_SIZE);
	f->d.heap = 0x1000;
}

static struct fx *fx_rng(void)
{
	hv_virtio_rng_config_t c = HV_VIRTIO_RNG_CONFIG_INIT;

	fx_vm(&fx);
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	c.entropy = counting_entropy;
	c.entropy_ctx = &fx;
	assert_int_equal(hv_virtio_rng_add(fx.vm, &c, &fx.dev), HV_OK);
	fx_start(&fx);
	return &fx;
}

static struct fx *fx_console(void)
{
	hv_virtio_console_config_t c = HV_VIRTIO_CONSOLE_CONFIG_INIT;

	fx_vm(&fx);
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	assert_int_equal(hv_virtio_console_add(fx.vm, &c, &fx.dev), HV_OK);
	fx_start(&fx);
	return &fx;
}

static void fx_done(struct fx *f)
{
	hv_vm_destroy(f->vm);
}

/* A live rng: negotiated (everything offered), queue 0 of 8 entries, DRIVER_OK. */
static struct fx *fx_rng_live(uint64_t want)
{
	struct fx *f = fx_rng();

	assert_true(vd_negotiate(&f->d, want) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&f->d, 0, 8), 1);
	assert_true(vd_driver_ok(&f->d) & HV_VIRTIO_STATUS_DRIVER_OK);
	return f;
}

static uint16_t rng_request(struct fx *f, uint32_t len)
{
	struct vd_buf b = { vd_alloc(&f->d, len, 16), len, true };

	return vd_add(&f->d, 0, &b, 1);
}

/* ---- identification and features -------------------------------------------------------- */

static void test_vmmio_identifies_itself(void **state)
{
	struct fx *f = fx_rng();

	(void)state;
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_MAGIC), 0x74726976);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_VERSION), 2);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_DEVICE_ID), HV_VIRTIO_ID_RNG);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_VENDOR_ID), HV_VIRTIO_VENDOR);
	vd_wr(&f->d, HV_VMMIO_QUEUE_SEL, 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_NUM_MAX), HV_VQ_MAX_SIZE);
	vd_wr(&f->d, HV_VMMIO_QUEUE_SEL, 1);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_NUM_MAX), 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_CONFIG_GENERATION), 0);
	/* No shared memory regions: their length reads as -1. */
	vd_wr(&f->d, HV_VMMIO_SHM_SEL, 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_SHM_LEN_LOW), 0xffffffffu);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_SHM_LEN_HIGH), 0xffffffffu);
	/* RING_RESET is not offered; QueueReset reads 0. */
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_RESET), 0);
	/* Write-only and unknown registers read 0. */
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_NOTIFY), 0);
	assert_int_equal(vd_rd(&f->d, 0x0f0), 0);
	fx_done(f);
}

static void test_vmmio_offers_transport_features(void **state)
{
	struct fx *f = fx_rng();
	uint64_t feat;

	(void)state;
	feat = vd_device_features(&f->d);
	assert_true(feat & F(HV_VIRTIO_F_VERSION_1));
	assert_true(feat & F(HV_VIRTIO_F_EVENT_IDX));
	assert_true(feat & F(HV_VIRTIO_F_INDIRECT_DESC));
	assert_false(feat & F(HV_VIRTIO_F_RING_RESET));
	assert_false(feat & F(HV_VIRTIO_F_ACCESS_PLATFORM));
	vd_wr(&f->d, HV_VMMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_DEVICE_FEATURES), 0);
	fx_done(f);
}

static void test_vmmio_features_ok_needs_version_1(void **state)
{
	struct fx *f = fx_rng();
	uint32_t st;

	(void)state;
	st = vd_negotiate(&f->d, ALL_FEATURES & ~F(HV_VIRTIO_F_VERSION_1));
	assert_false(st & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(st, HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER);
	/* Queues cannot be set up, and DRIVER_OK is refused. */
	assert_int_equal(vd_queue_setup(&f->d, 0, 8), 0);
	assert_false(vd_driver_ok(&f->d) & HV_VIRTIO_STATUS_DRIVER_OK);
	fx_done(f);
}

static void test_vmmio_features_ok_refuses_features_not_offered(void **state)
{
	struct fx *f = fx_rng();

	(void)state;
	assert_false(vd_negotiate_raw(&f->d, F(HV_VIRTIO_F_VERSION_1) | F(HV_VIRTIO_F_RING_RESET)) &
		     HV_VIRTIO_STATUS_FEATURES_OK);
	assert_true(vd_negotiate_raw(&f->d, F(HV_VIRTIO_F_VERSION_1)) &
		    HV_VIRTIO_STATUS_FEATURES_OK);
	fx_done(f);
}

static void test_vmmio_features_ok_needs_driver(void **state)
{
	struct fx *f = fx_rng();

	(void)state;
	vd_wr(&f->d, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE);
	vd_wr(&f->d, HV_VMMIO_DRIVER_FEATURES_SEL, 1);
	vd_wr(&f->d, HV_VMMIO_DRIVER_FEATURES, 1);
	vd_wr(&f->d, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), HV_VIRTIO_STATUS_ACKNOWLEDGE);
	fx_done(f);
}

static void test_vmmio_driver_features_are_frozen_by_features_ok(void **state)
{
	struct fx *f = fx_rng();
	struct hv__virtio *v = hv_device_ctx(f->dev);

	(void)state;
	assert_true(vd_negotiate(&f->d, F(HV_VIRTIO_F_VERSION_1)) & HV_VIRTIO_STATUS_FEATURES_OK);
	vd_wr(&f->d, HV_VMMIO_DRIVER_FEATURES_SEL, 0);
	vd_wr(&f->d, HV_VMMIO_DRIVER_FEATURES, F(HV_VIRTIO_F_EVENT_IDX));
	assert_int_equal(v->driver_features, F(HV_VIRTIO_F_VERSION_1));
	assert_false(hv__virtio_has(v, HV_VIRTIO_F_EVENT_IDX));
	assert_true(hv__virtio_has(v, HV_VIRTIO_F_VERSION_1));
	fx_done(f);
}

/* ---- status --------------------------------------------------------------------------------- */

static void test_vmmio_status_bits_cannot_be_cleared_except_by_reset(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);
	uint32_t st = vd_rd(&f->d, HV_VMMIO_STATUS);

	(void)state;
	vd_wr(&f->d, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), st);
	/* NEEDS_RESET cannot be set by the driver. */
	vd_wr(&f->d, HV_VMMIO_STATUS, st | HV_VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), st);
	vd_wr(&f->d, HV_VMMIO_STATUS, st | HV_VIRTIO_STATUS_FAILED);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), st | HV_VIRTIO_STATUS_FAILED);
	fx_done(f);
}

static void test_vmmio_driver_ok_needs_features_ok(void **state)
{
	struct fx *f = fx_rng();

	(void)state;
	vd_wr(&f->d, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER);
	vd_wr(&f->d, HV_VMMIO_STATUS,
	      HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER | HV_VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS),
			 HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER);
	fx_done(f);
}

static void test_vmmio_reset_returns_everything_to_power_on_state(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);
	struct hv__virtio *v = hv_device_ctx(f->dev);

	(void)state;
	rng_request(f, 16);
	vd_kick(&f->d, 0);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_VRING);
	assert_true(vd_irq_level(&f->d, VIRQ));
	vd_wr(&f->d, HV_VMMIO_STATUS, 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), 0);
	assert_int_equal(vd_isr(&f->d), 0);
	assert_false(vd_irq_level(&f->d, VIRQ));
	vd_wr(&f->d, HV_VMMIO_QUEUE_SEL, 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_READY), 0);
	assert_int_equal(v->driver_features, 0);
	assert_int_equal(v->vq[0].size, 0);
	assert_int_equal(v->vq[0].desc_gpa, 0);
	fx_done(f);
}

static void test_vmmio_reset_mid_flight_drops_old_requests(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);
	uint32_t id, len;

	(void)state;
	rng_request(f, 16);
	rng_request(f, 16);
	/* The driver gives up on them: reset, new rings, nothing of the old ones is used. */
	vd_wr(&f->d, HV_VMMIO_STATUS, 0);
	vd_kick(&f->d, 0);
	assert_int_equal(f->entropy_calls, 0);
	assert_true(vd_negotiate(&f->d, ALL_FEATURES) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&f->d, 0, 8), 1);
	vd_driver_ok(&f->d);
	rng_request(f, 8);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(len, 8);
	assert_false(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(f->entropy_calls, 1);
	fx_done(f);
}

static void test_vmmio_vm_reset_resets_the_device(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);

	(void)state;
	rng_request(f, 16);
	vd_kick(&f->d, 0);
	assert_true(vd_irq_level(&f->d, VIRQ));
	assert_int_equal(hv_vm_stop(f->vm), HV_OK);
	assert_int_equal(hv_vm_reset(f->vm), HV_OK);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), 0);
	assert_int_equal(vd_isr(&f->d), 0);
	assert_false(vd_irq_level(&f->d, VIRQ));
	fx_done(f);
}

/* ---- queues ------------------------------------------------------------------------------- */

static void test_vmmio_bad_queue_size_needs_reset(void **state)
{
	static const uint32_t sizes[] = { 0, 3, 2048, 0x10008 };
	size_t i;

	(void)state;
	for (i = 0; i < HV__ARRAY_SIZE(sizes); i++) {
		struct fx *f = fx_rng();

		vd_negotiate(&f->d, ALL_FEATURES);
		assert_int_equal(vd_queue_setup_at(&f->d, 0, sizes[i], 0x1000, 0x2000, 0x3000), 0);
		assert_true(vd_rd(&f->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
		fx_done(f);
	}
}

static void test_vmmio_queue_outside_ram_needs_reset(void **state)
{
	struct fx *f = fx_rng();

	(void)state;
	vd_negotiate(&f->d, ALL_FEATURES);
	assert_int_equal(vd_queue_setup_at(&f->d, 0, 8, 0x1000, 0x2000, 0x80000000ull), 0);
	assert_true(vd_rd(&f->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
	/* Before DRIVER_OK there is no configuration interrupt. */
	assert_int_equal(vd_isr(&f->d), 0);
	/* Reset clears it. */
	vd_wr(&f->d, HV_VMMIO_STATUS, 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), 0);
	fx_done(f);

	f = fx_rng();
	vd_negotiate(&f->d, ALL_FEATURES);
	assert_int_equal(vd_queue_setup_at(&f->d, 0, 8, 0x1000ull | (1ull << 40), 0x2000, 0x3000),
			 0);
	fx_done(f);
}

static void test_vmmio_queue_registers_are_frozen_while_ready(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);
	struct hv__virtio *v = hv_device_ctx(f->dev);
	uint64_t desc = v->vq[0].desc_gpa;

	(void)state;
	vd_wr(&f->d, HV_VMMIO_QUEUE_SEL, 0);
	vd_wr(&f->d, HV_VMMIO_QUEUE_NUM, 16);
	vd_wr(&f->d, HV_VMMIO_QUEUE_DESC_LOW, 0x5000);
	assert_int_equal(v->vq[0].size, 8);
	assert_int_equal(v->vq[0].desc_gpa, desc);
	/* Queue addresses are write-only. */
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_DESC_LOW), 0);
	/* Writing 0 to QueueReady stops the queue; then it can be changed. */
	vd_wr(&f->d, HV_VMMIO_QUEUE_READY, 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_READY), 0);
	vd_wr(&f->d, HV_VMMIO_QUEUE_NUM, 16);
	assert_int_equal(v->vq[0].size, 16);
	/* A queue that does not exist takes nothing. */
	vd_wr(&f->d, HV_VMMIO_QUEUE_SEL, 1);
	vd_wr(&f->d, HV_VMMIO_QUEUE_NUM, 16);
	vd_wr(&f->d, HV_VMMIO_QUEUE_READY, 1);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_QUEUE_READY), 0);
	assert_int_equal(v->vq[1].size, 0);
	fx_done(f);
}

static void test_vmmio_notify_before_driver_ok_is_ignored(void **state)
{
	struct fx *f = fx_rng();
	uint32_t id, len;

	(void)state;
	vd_negotiate(&f->d, ALL_FEATURES);
	assert_int_equal(vd_queue_setup(&f->d, 0, 8), 1);
	rng_request(f, 16);
	vd_kick(&f->d, 0);
	assert_false(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(vd_isr(&f->d), 0);
	vd_driver_ok(&f->d);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	/* A queue that does not exist. */
	vd_kick(&f->d, 5);
	vd_kick(&f->d, 0xffff);
	fx_done(f);
}

static void test_vmmio_notify_of_a_queue_not_ready_is_ignored(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);
	uint32_t id, len;

	(void)state;
	rng_request(f, 16);
	vd_wr(&f->d, HV_VMMIO_QUEUE_SEL, 0);
	vd_wr(&f->d, HV_VMMIO_QUEUE_READY, 0);
	vd_kick(&f->d, 0);
	assert_false(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(f->entropy_calls, 0);
	fx_done(f);
}

static void test_vmmio_interrupt_is_level_until_acknowledged(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES & ~F(HV_VIRTIO_F_EVENT_IDX));
	uint32_t id, len;

	(void)state;
	assert_false(vd_irq_level(&f->d, VIRQ));
	rng_request(f, 16);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(len, 16);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_VRING);
	assert_true(vd_irq_level(&f->d, VIRQ));
	vd_ack(&f->d, HV_VIRTIO_INT_CONFIG); /* not the pending one */
	assert_true(vd_irq_level(&f->d, VIRQ));
	vd_ack(&f->d, HV_VIRTIO_INT_VRING);
	assert_int_equal(vd_isr(&f->d), 0);
	assert_false(vd_irq_level(&f->d, VIRQ));
	/* NO_INTERRUPT: used buffers without an interrupt. */
	vd_avail_set_flags(&f->d, 0, HV_VRING_AVAIL_F_NO_INTERRUPT);
	rng_request(f, 16);
	vd_kick(&f->d, 0);
	assert_true(vd_used(&f->d, 0, &id, &len));
	assert_int_equal(vd_isr(&f->d), 0);
	assert_false(vd_irq_level(&f->d, VIRQ));
	fx_done(f);
}

static void test_vmmio_event_idx_suppresses_interrupts_and_notifications(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);
	uint32_t id, len;
	int i;

	(void)state;
	/* First batch: the first interrupt is always sent. */
	rng_request(f, 4);
	vd_kick(&f->d, 0);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_VRING);
	vd_ack(&f->d, HV_VIRTIO_INT_VRING);
	/* The device asks to be told about the next buffer (index 1). */
	assert_int_equal(vd_avail_event(&f->d, 0), 1);
	/* The driver wants an interrupt only once used_idx passes 3. */
	vd_set_used_event(&f->d, 0, 3);
	for (i = 0; i < 2; i++) {
		rng_request(f, 4);
		vd_kick(&f->d, 0);
		assert_int_equal(vd_isr(&f->d), 0);
	}
	assert_int_equal(vd_used_idx(&f->d, 0), 3);
	rng_request(f, 4);
	vd_kick(&f->d, 0);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_VRING);
	assert_int_equal(vd_avail_event(&f->d, 0), 4);
	while (vd_used(&f->d, 0, &id, &len))
		assert_int_equal(len, 4);
	fx_done(f);
}

static void test_vmmio_corrupt_queue_needs_reset_and_ignores_notifies(void **state)
{
	struct fx *f = fx_rng_live(ALL_FEATURES);
	uint32_t id, len;

	(void)state;
	vd_ack(&f->d, 3);
	/* A descriptor that loops to itself. */
	vd_desc_set(&f->d, 0, 0, 0x8000, 4, HV_VRING_DESC_F_NEXT | HV_VRING_DESC_F_WRITE, 0);
	vd_avail_put(&f->d, 0, 0);
	vd_kick(&f->d, 0);
	assert_true(vd_rd(&f->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vd_isr(&f->d), HV_VIRTIO_INT_CONFIG);
	assert_true(vd_irq_level(&f->d, VIRQ));
	/* Good requests after it are not served until the driver resets the device. */
	rng_request(f, 4);
	vd_kick(&f->d, 0);
	assert_false(vd_used(&f->d, 0, &id, &len));
	/* The driver may write back the status it read, NEEDS_RESET included. */
	vd_wr(&f->d, HV_VMMIO_STATUS, vd_rd(&f->d, HV_VMMIO_STATUS) | HV_VIRTIO_STATUS_FAILED);
	assert_true(vd_rd(&f->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
	vd_wr(&f->d, HV_VMMIO_STATUS, 0);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), 0);
	fx_done(f);
}

/* ---- access widths and configuration space ------------------------------------------------ */

static void test_vmmio_register_accesses_of_other_widths_are_ignored(void **state)
{
	struct fx *f = fx_rng();
	static const uint32_t widths[] = { 1, 2, 8 };
	size_t i;

	(void)state;
	for (i = 0; i < HV__ARRAY_SIZE(widths); i++) {
		assert_int_equal(vd_access(&f->d, HV_VMMIO_MAGIC, widths[i], false, 0), 0);
		vd_access(&f->d, HV_VMMIO_STATUS, widths[i], true, HV_VIRTIO_STATUS_ACKNOWLEDGE);
		assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), 0);
	}
	/* Unaligned 32-bit accesses. */
	assert_int_equal(vd_access(&f->d, HV_VMMIO_MAGIC + 1, 4, false, 0), 0);
	vd_access(&f->d, HV_VMMIO_STATUS + 2, 4, true, HV_VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(vd_rd(&f->d, HV_VMMIO_STATUS), 0);
	/* Widths the bus does not carry never reach the device. */
	assert_int_equal(vd_access(&f->d, HV_VMMIO_MAGIC, 3, false, 0), 0);
	fx_done(f);
}

static void test_vmmio_config_space_takes_every_width_inside_it(void **state)
{
	struct fx *f = fx_console();

	(void)state;
	assert_int_equal(vd_cfg_rd(&f->d, 0, 2), 80);
	assert_int_equal(vd_cfg_rd(&f->d, 2, 2), 25);
	assert_int_equal(vd_cfg_rd(&f->d, 0, 4), 80 | 25 << 16);
	assert_int_equal(vd_cfg_rd(&f->d, 4, 4), 1);
	assert_int_equal(vd_cfg_rd(&f->d, 0, 1), 80);
	assert_int_equal(vd_cfg_rd(&f->d, 0, 8), 80ull | 25ull << 16 | 1ull << 32);
	assert_int_equal(vd_cfg_rd(&f->d, 4, 8), 1);
	fx_done(f);
}

static void test_vmmio_config_access_past_the_end_reads_0(void **state)
{
	struct fx *f = fx_console();

	(void)state;
	assert_int_equal(vd_cfg_rd(&f->d, 12, 1), 0);
	assert_int_equal(vd_cfg_rd(&f->d, 8, 8), 0);
	assert_int_equal(vd_cfg_rd(&f->d, 11, 2), 0);
	assert_int_equal(vd_cfg_rd(&f->d, 0xfc, 4), 0);
	/* Writes there change nothing. */
	vd_access(&f->d, HV_VMMIO_CONFIG + 0, 2, true, 132);
	assert_int_equal(vd_cfg_rd(&f->d, 0, 2), 80);
	fx_done(f);

	/* A device without configuration. */
	f = fx_rng();
	assert_int_equal(vd_cfg_rd(&f->d, 0, 4), 0);
	vd_access(&f->d, HV_VMMIO_CONFIG, 4, true, 1);
	fx_done(f);
}

/* ---- adding and removing ------------------------------------------------------------------ */

static void test_vmmio_add_checks_window_and_interrupt(void **state)
{
	hv_virtio_rng_config_t c = HV_VIRTIO_RNG_CONFIG_INIT;
	hv_vm_t *vm = ts_vm_new(0);

	(void)state;
	c.entropy = counting_entropy;
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	assert_int_equal(hv_virtio_rng_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_virtio_rng_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size--;
	assert_int_equal(hv_virtio_rng_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size++;
	assert_int_equal(hv_virtio_rng_add(vm, &c, NULL), HV_OK);
	/* Same window: overlap; next window, same input: busy. */
	c.mmio.irq = VIRQ + 1;
	assert_int_equal(hv_virtio_rng_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.mmio.base = VBASE + HV_VIRTIO_MMIO_SIZE;
	c.mmio.irq = VIRQ;
	assert_int_equal(hv_virtio_rng_add(vm, &c, NULL), HV_ERR_BUSY);
	c.mmio.irq = 1000;
	assert_int_equal(hv_virtio_rng_add(vm, &c, NULL), HV_ERR_RANGE);
	c.mmio.irq = VIRQ + 1;
	c.mmio.base = 0xfffffffffffffff0ull;
	assert_int_equal(hv_virtio_rng_add(vm, &c, NULL), HV_ERR_WRAP);
	hv_vm_destroy(vm);
}

static void test_vmmio_add_refuses_a_running_vm(void **state)
{
	struct fx *f = fx_rng();
	hv_virtio_rng_config_t c = HV_VIRTIO_RNG_CONFIG_INIT;

	(void)state;
	c.entropy = counting_entropy;
	c.mmio.base = VBASE + 0x1000;
	c.mmio.irq = VIRQ + 1;
	assert_int_equal(hv_virtio_rng_add(f->vm, &c, NULL), HV_ERR_STATE);
	fx_done(f);
}

static void test_vmmio_add_leaves_nothing_behind_when_allocations_fail(void **state)
{
	hv_virtio_rng_config_t c = HV_VIRTIO_RNG_CONFIG_INIT;
	unsigned long n;

	(void)state;
	c.entropy = counting_entropy;
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	for (n = 1;; n++) {
		hv_vm_t *vm = ts_vm_new(0);
		size_t before = tp_live_allocs();
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_virtio_rng_add(vm, &c, NULL);
		tp_fail_alloc_at(0);
		if (st == HV_OK) {
			hv_vm_destroy(vm);
			break;
		}
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(tp_live_allocs(), before);
		hv_vm_destroy(vm);
	}
	assert_true(n > 1);
}

static void test_vmmio_remove_frees_the_interrupt_input(void **state)
{
	hv_virtio_rng_config_t c = HV_VIRTIO_RNG_CONFIG_INIT;
	hv_vm_t *vm = ts_vm_new(0);
	hv_device_t *d = NULL;

	(void)state;
	c.entropy = counting_entropy;
	c.mmio.base = VBASE;
	c.mmio.irq = VIRQ;
	assert_int_equal(hv_virtio_rng_add(vm, &c, &d), HV_OK);
	assert_int_equal(hv_device_remove(d), HV_OK);
	assert_int_equal(hv_virtio_rng_add(vm, &c, &d), HV_OK);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_vmmio_identifies_itself),
		TS_TEST(test_vmmio_offers_transport_features),
		TS_TEST(test_vmmio_features_ok_needs_version_1),
		TS_TEST(test_vmmio_features_ok_refuses_features_not_offered),
		TS_TEST(test_vmmio_features_ok_needs_driver),
		TS_TEST(test_vmmio_driver_features_are_frozen_by_features_ok),
		TS_TEST(test_vmmio_status_bits_cannot_be_cleared_except_by_reset),
		TS_TEST(test_vmmio_driver_ok_needs_features_ok),
		TS_TEST(test_vmmio_reset_returns_everything_to_power_on_state),
		TS_TEST(test_vmmio_reset_mid_flight_drops_old_requests),
		TS_TEST(test_vmmio_vm_reset_resets_the_device),
		TS_TEST(test_vmmio_bad_queue_size_needs_reset),
		TS_TEST(test_vmmio_queue_outside_ram_needs_reset),
		TS_TEST(test_vmmio_queue_registers_are_frozen_while_ready),
		TS_TEST(test_vmmio_notify_before_driver_ok_is_ignored),
		TS_TEST(test_vmmio_notify_of_a_queue_not_ready_is_ignored),
		TS_TEST(test_vmmio_interrupt_is_level_until_acknowledged),
		TS_TEST(test_vmmio_event_idx_suppresses_interrupts_and_notifications),
		TS_TEST(test_vmmio_corrupt_queue_needs_reset_and_ignores_notifies),
		TS_TEST(test_vmmio_register_accesses_of_other_widths_are_ignored),
		TS_TEST(test_vmmio_config_space_takes_every_width_inside_it),
		TS_TEST(test_vmmio_config_access_past_the_end_reads_0),
		TS_TEST(test_vmmio_add_checks_window_and_interrupt),
		TS_TEST(test_vmmio_add_refuses_a_running_vm),
		TS_TEST(test_vmmio_add_leaves_nothing_behind_when_allocations_fail),
		TS_TEST(test_vmmio_remove_frees_the_interrupt_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
