/* SPDX-License-Identifier: MIT */
/* virtio-net: configuration, transmit to a capturing link, receive into buffers, MRG_RXBUF. */
#include "virtio_driver.h"

#include <stdlib.h>

#define BASE 0x10000000ull
#define IRQ 6
#define RAM_GPA 0x0ull
#define RAM_SIZE (2ull << 20)
#define HDR 12u

#define F_CSUM (1ull << 0)
#define F_GUEST_CSUM (1ull << 1)
#define F_MAC (1ull << 5)
#define F_GUEST_TSO4 (1ull << 7)
#define F_HOST_TSO4 (1ull << 11)
#define F_MRG_RXBUF (1ull << 15)
#define F_STATUS (1ull << 16)
#define F_CTRL_VQ (1ull << 17)
#define F_VERSION_1 (1ull << 32)

#define RXQ 0
#define TXQ 1



/* A link that records what is sent and lets the test deliver frames. */
#define CAP_MAX 8
struct cap {
	hv_net_rx_fn rx;
	void *rx_ctx;
	unsigned attaches, sends, destroys;
	size_t len[CAP_MAX];
	uint8_t frame[CAP_MAX][2048];
	bool loopback; /* send() hands the frame straight back to the device */
};

static void cap_attach(void *ctx, hv_net_rx_fn rx, void *rx_ctx)
{
	struct cap *c = ctx;

	c->attaches++;
	c->rx = rx;
	c->rx_ctx = rx_ctx;
}

static void cap_send(void *ctx, const void *frame, size_t len)
{
	struct cap *c = ctx;

	if (c->sends < CAP_MAX) {
		c->len[c->sends] = len;
		memcpy(c->frame[c->sends], frame, len < 2048 ? len : 2048);
	}
	c->sends++;
	if (c->loopback)
		c->rx(c->rx_ctx, frame, len);
}

static void cap_destroy(void *ctx)
{
	((struct cap *)ctx)->destroys++;
}

static const hv_netdev_ops_t cap_ops = {
	.struct_size = sizeof(hv_netdev_ops_t),
	.version = HV_NETDEV_OPS_VERSION,
	.attach = cap_attach,
	.send = cap_send,
	.destroy = cap_destroy,
};

struct env {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	struct vd d;
	struct cap cap;
	uint64_t offered;
};

static struct env *env_new_mac(const uint8_t *mac, uint64_t want)
{
	struct env *e = calloc(1, sizeof(*e));
	hv_virtio_net_config_t c = HV_VIRTIO_NET_CONFIG_INIT;

	assert_non_null(e);
	e->vm = ts_vm_new(0);
	e->vcpu = ts_vcpu_new(e->vm, 0);
	ts_map_ram(e->vm, RAM_GPA, RAM_SIZE);
	c.name = "eth0";
	c.mmio.base = BASE;
	c.mmio.irq = IRQ;
	if (mac != NULL)
		memcpy(c.mac, mac, 6);
	c.link = (hv_netdev_t){ .ops = &cap_ops, .ctx = &e->cap };
	assert_int_equal(hv_virtio_net_add(e->vm, &c, &e->dev), HV_OK);
	assert_int_equal(e->cap.attaches, 1);
	vd_init(&e->d, e->vm, e->vcpu, BASE, RAM_GPA, RAM_SIZE);
	e->offered = vd_device_features(&e->d);
	assert_true(vd_negotiate(&e->d, want) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&e->d, RXQ, 64), 1);
	assert_int_equal(vd_queue_setup(&e->d, TXQ, 64), 1);
	assert_true(vd_driver_ok(&e->d) & HV_VIRTIO_STATUS_DRIVER_OK);
	return e;
}

static struct env *env_new(uint64_t want)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	return env_new_mac(mac, want);
}

static void env_free(struct env *e)
{
	hv_vm_destroy(e->vm);
	free(e);
}

static void drops(struct env *e, uint64_t *rx, uint64_t *tx)
{
	hv__virtio_net_drops(e->dev, rx, tx);
}

static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
	static const uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memcpy(f, dst, 6);
	memset(f + 6, 0x02, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seed + i);
}

/* Transmit one frame: header and frame in one buffer, or in two (split). */
static void tx(struct env *e, const uint8_t *frame, uint32_t len, bool split)
{
	uint64_t g = vd_alloc(&e->d, HDR + len, 16);
	uint8_t *p = vd_ptr(&e->d, g);
	struct vd_buf b[2];

	memset(p, 0xee, HDR); /* the device must not care about the header's content */
	memcpy(p + HDR, frame, len);
	if (split) {
		b[0] = (struct vd_buf){ g, HDR, false };
		b[1] = (struct vd_buf){ g + HDR, len, false };
	} else {
		b[0] = (struct vd_buf){ g, HDR + len, false };
	}
	vd_add(&e->d, TXQ, b, split ? 2 : 1);
	vd_kick(&e->d, TXQ);
}

/* Post a receive buffer of `size` bytes; returns its guest address. */
static uint64_t post_rx(struct env *e, uint32_t size)
{
	uint64_t g = vd_alloc(&e->d, size, 16);
	struct vd_buf b = { g, size, true };

	memset(vd_ptr(&e->d, g), 0xcc, size);
	vd_add(&e->d, RXQ, &b, 1);
	return g;
}

static void deliver(struct env *e, const uint8_t *frame, size_t len)
{
	e->cap.rx(e->cap.rx_ctx, frame, len);
}

/* ---- configuration ---------------------------------------------------------------------------- */

static void test_net_config_has_mac_and_link_up(void **state)
{
	struct env *e = env_new(~0ull);

	(void)state;
	assert_int_equal(vd_rd(&e->d, HV_VMMIO_DEVICE_ID), 1);
	assert_int_equal(vd_cfg_rd(&e->d, 0, 1), 0x52);
	assert_int_equal(vd_cfg_rd(&e->d, 0, 4), 0x12005452);
	assert_int_equal(vd_cfg_rd(&e->d, 4, 2), 0x5634);
	assert_int_equal(vd_cfg_rd(&e->d, 6, 2), 1);  /* VIRTIO_NET_S_LINK_UP */
	assert_int_equal(vd_cfg_rd(&e->d, 8, 2), 1);  /* max_virtqueue_pairs */
	assert_int_equal(vd_cfg_rd(&e->d, 12, 4), 0); /* beyond the configuration */
	/* The driver cannot change the MAC. */
	vd_access(&e->d, HV_VMMIO_CONFIG, 1, true, 0x99);
	assert_int_equal(vd_cfg_rd(&e->d, 0, 1), 0x52);
	assert_true(e->offered & F_MAC);
	assert_true(e->offered & F_STATUS);
	assert_true(e->offered & F_MRG_RXBUF);
	assert_true(e->offered & F_VERSION_1);
	assert_false(e->offered & (F_CSUM | F_GUEST_CSUM | F_GUEST_TSO4 | F_HOST_TSO4 | F_CTRL_VQ));
	env_free(e);
}

static void test_net_zero_mac_gets_a_local_address(void **state)
{
	static const uint8_t zero[6];
	struct env *a = env_new_mac(zero, ~0ull);
	struct env *b = env_new_mac(zero, ~0ull);
	uint64_t ma = vd_cfg_rd(&a->d, 0, 4) | vd_cfg_rd(&a->d, 4, 2) << 32;
	uint64_t mb = vd_cfg_rd(&b->d, 0, 4) | vd_cfg_rd(&b->d, 4, 2) << 32;

	(void)state;
	/* Locally administered (bit 1), unicast (bit 0 clear), and distinct. */
	assert_int_equal(ma & 0xff, 0x02);
	assert_int_equal(mb & 0xff, 0x02);
	assert_int_not_equal(ma, mb);
	env_free(a);
	env_free(b);
}

/* ---- transmit --------------------------------------------------------------------------------- */

static void test_net_tx_strips_the_header(void **state)
{
	struct env *e = env_new(~0ull);
	uint8_t f[200];
	uint32_t len;

	(void)state;
	make_frame(f, sizeof(f), 1);
	tx(e, f, sizeof(f), false);
	assert_int_equal(e->cap.sends, 1);
	assert_int_equal(e->cap.len[0], sizeof(f));
	assert_memory_equal(e->cap.frame[0], f, sizeof(f));
	assert_true(vd_used(&e->d, TXQ, NULL, &len));
	assert_int_equal(len, 0);
	assert_true(vd_irq_level(&e->d, IRQ));
	make_frame(f, 60, 2);
	tx(e, f, 60, true);
	assert_int_equal(e->cap.sends, 2);
	assert_int_equal(e->cap.len[1], 60);
	assert_memory_equal(e->cap.frame[1], f, 60);
	/* The smallest frame: just an Ethernet header. */
	tx(e, f, 14, true);
	assert_int_equal(e->cap.sends, 3);
	env_free(e);
}

static void test_net_tx_drops_runts_and_giants(void **state)
{
	struct env *e = env_new(~0ull);
	uint64_t g = vd_alloc(&e->d, 70000, 16);
	struct vd_buf b;
	uint8_t f[64];
	uint64_t rxd, txd;
	unsigned used = 0;

	(void)state;
	make_frame(f, sizeof(f), 3);
	tx(e, f, 13, false);                 /* shorter than an Ethernet header */
	b = (struct vd_buf){ g, 11, false }; /* not even a virtio header */
	vd_add(&e->d, TXQ, &b, 1);
	b = (struct vd_buf){ g, HDR + 65535 + 19, false }; /* over the largest frame */
	vd_add(&e->d, TXQ, &b, 1);
	b = (struct vd_buf){ g, HDR + 65535 + 18, false }; /* the largest frame */
	vd_add(&e->d, TXQ, &b, 1);
	vd_kick(&e->d, TXQ);
	assert_int_equal(e->cap.sends, 1);
	assert_int_equal(e->cap.len[0], 65535 + 18);
	while (vd_used(&e->d, TXQ, NULL, NULL))
		used++;
	assert_int_equal(used, 4); /* every chain goes back */
	drops(e, &rxd, &txd);
	assert_int_equal(txd, 3);
	assert_int_equal(rxd, 0);
	env_free(e);
}

static void test_net_tx_calls_send_without_the_device_lock(void **state)
{
	struct env *e = env_new(~0ull & ~F_MRG_RXBUF);
	uint8_t f[100];
	uint64_t g = post_rx(e, HDR + 1518);
	uint32_t len;

	(void)state;
	e->cap.loopback = true; /* would deadlock if send() ran under the lock */
	make_frame(f, sizeof(f), 4);
	tx(e, f, sizeof(f), false);
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, HDR + sizeof(f));
	assert_memory_equal((uint8_t *)vd_ptr(&e->d, g) + HDR, f, sizeof(f));
	env_free(e);
}

/* ---- receive ------------------------------------------------------------------------------------ */

static void test_net_rx_fills_one_buffer_with_a_zeroed_header(void **state)
{
	struct env *e = env_new(~0ull & ~F_MRG_RXBUF);
	uint8_t f[1514];
	uint64_t g = post_rx(e, HDR + 1518);
	uint8_t *p = vd_ptr(&e->d, g);
	uint32_t len;
	uint64_t rxd, txd;

	(void)state;
	make_frame(f, sizeof(f), 5);
	deliver(e, f, sizeof(f));
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, HDR + sizeof(f));
	for (int i = 0; i < 10; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(p[10] | p[11] << 8, 1); /* num_buffers */
	assert_memory_equal(p + HDR, f, sizeof(f));
	assert_true(vd_irq_level(&e->d, IRQ));
	drops(e, &rxd, &txd);
	assert_int_equal(rxd, 0);
	env_free(e);
}

static void test_net_rx_drops_without_buffers_or_when_not_live(void **state)
{
	struct env *e = env_new(~0ull & ~F_MRG_RXBUF);
	uint8_t f[100];
	uint64_t rxd, txd;
	uint32_t len;

	(void)state;
	make_frame(f, sizeof(f), 6);
	deliver(e, f, sizeof(f)); /* no buffer */
	drops(e, &rxd, &txd);
	assert_int_equal(rxd, 1);
	/* A buffer too small for the frame goes back empty; the frame is dropped. */
	post_rx(e, HDR + 50);
	deliver(e, f, sizeof(f));
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, 0);
	drops(e, &rxd, &txd);
	assert_int_equal(rxd, 2);
	/* Runts and NULL frames */
	post_rx(e, HDR + 1518);
	deliver(e, f, 13);
	deliver(e, NULL, 100);
	drops(e, &rxd, &txd);
	assert_int_equal(rxd, 4);
	/* After a reset the device is not live: dropped. */
	vd_wr(&e->d, HV_VMMIO_STATUS, 0);
	deliver(e, f, sizeof(f));
	drops(e, &rxd, &txd);
	assert_int_equal(rxd, 5);
	assert_int_equal(txd, 0);
	env_free(e);
}

static void test_net_rx_merges_buffers(void **state)
{
	struct env *e = env_new(~0ull);
	uint64_t g[4];
	uint8_t f[250];
	uint32_t id, len[3];
	uint8_t *p0;

	(void)state;
	assert_true(e->d.features & F_MRG_RXBUF);
	for (int i = 0; i < 4; i++)
		g[i] = post_rx(e, 100);
	make_frame(f, sizeof(f), 7);
	deliver(e, f, sizeof(f));
	for (int i = 0; i < 3; i++)
		assert_true(vd_used(&e->d, RXQ, &id, &len[i]));
	assert_false(vd_used(&e->d, RXQ, NULL, NULL));
	assert_int_equal(len[0], 100);
	assert_int_equal(len[1], 100);
	assert_int_equal(len[2], HDR + sizeof(f) - 200);
	p0 = vd_ptr(&e->d, g[0]);
	assert_int_equal(p0[10] | p0[11] << 8, 3);
	assert_memory_equal(p0 + HDR, f, 100 - HDR);
	assert_memory_equal(vd_ptr(&e->d, g[1]), f + 100 - HDR, 100);
	assert_memory_equal(vd_ptr(&e->d, g[2]), f + 200 - HDR, sizeof(f) - 200 + HDR);
	/* A small frame fits the last buffer alone. */
	deliver(e, f, 60);
	assert_true(vd_used(&e->d, RXQ, &id, &len[0]));
	assert_int_equal(len[0], HDR + 60);
	assert_int_equal(((uint8_t *)vd_ptr(&e->d, g[3]))[10], 1);
	env_free(e);
}

static void test_net_rx_mrg_holds_buffers_of_a_dropped_frame(void **state)
{
	struct env *e = env_new(~0ull);
	uint64_t g[3];
	uint8_t f[300];
	uint32_t len;
	uint64_t rxd, txd;

	(void)state;
	g[0] = post_rx(e, 128);
	g[1] = post_rx(e, 128);
	make_frame(f, sizeof(f), 8);
	deliver(e, f, sizeof(f)); /* needs 312 bytes: 256 available */
	assert_false(vd_used(&e->d, RXQ, NULL, NULL));
	drops(e, &rxd, &txd);
	assert_int_equal(rxd, 1);
	g[2] = post_rx(e, 128);
	deliver(e, f, sizeof(f));
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, 128);
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, 128);
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, HDR + sizeof(f) - 256);
	assert_memory_equal((uint8_t *)vd_ptr(&e->d, g[0]) + HDR, f, 128 - HDR);
	assert_memory_equal(vd_ptr(&e->d, g[2]), f + 256 - HDR, sizeof(f) - 256 + HDR);
	/* Buffers smaller than a header are given back unused. */
	post_rx(e, 8);
	deliver(e, f, 60);
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, 0);
	env_free(e);
}

static void test_net_reset_forgets_held_buffers(void **state)
{
	struct env *e = env_new(~0ull);
	uint8_t f[300];
	uint32_t len;

	(void)state;
	post_rx(e, 128);
	make_frame(f, sizeof(f), 9);
	deliver(e, f, sizeof(f)); /* held */
	assert_true(vd_negotiate(&e->d, ~0ull) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&e->d, RXQ, 16), 1);
	assert_int_equal(vd_queue_setup(&e->d, TXQ, 16), 1);
	vd_driver_ok(&e->d);
	post_rx(e, 2048);
	deliver(e, f, sizeof(f));
	assert_true(vd_used(&e->d, RXQ, NULL, &len));
	assert_int_equal(len, HDR + sizeof(f));
	env_free(e);
}

static void test_net_broken_rx_ring_needs_reset(void **state)
{
	struct env *e = env_new(~0ull & ~F_MRG_RXBUF);
	uint8_t f[64];

	(void)state;
	vd_avail_set_idx(&e->d, RXQ, 1000); /* far more than the ring holds */
	make_frame(f, sizeof(f), 10);
	deliver(e, f, sizeof(f));
	assert_true(vd_rd(&e->d, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_NEEDS_RESET);
	env_free(e);
}

/* ---- adding -------------------------------------------------------------------------------------- */

static void test_net_add_checks_its_arguments(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_virtio_net_config_t c = HV_VIRTIO_NET_CONFIG_INIT;
	hv_netdev_ops_t ops = cap_ops;
	struct cap cap = { 0 };
	hv_device_t *dev = NULL;

	(void)state;
	c.mmio.base = BASE;
	c.mmio.irq = IRQ;
	c.link = (hv_netdev_t){ .ops = &ops, .ctx = &cap };
	assert_int_equal(hv_virtio_net_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_virtio_net_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 4;
	assert_int_equal(hv_virtio_net_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	ops.version = 7;
	assert_int_equal(hv_virtio_net_add(vm, &c, NULL), HV_ERR_ABI);
	ops.version = HV_NETDEV_OPS_VERSION;
	ops.send = NULL;
	assert_int_equal(hv_virtio_net_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	ops.send = cap_send;
	ops.attach = NULL;
	assert_int_equal(hv_virtio_net_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	ops.attach = cap_attach;
	c.link.ops = NULL;
	assert_int_equal(hv_virtio_net_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.link.ops = &ops;
	c.mmio.irq = 5000;
	assert_int_equal(hv_virtio_net_add(vm, &c, NULL), HV_ERR_RANGE);
	c.mmio.irq = IRQ;
	assert_int_equal(cap.attaches, 0);
	assert_int_equal(hv_virtio_net_add(vm, &c, &dev), HV_OK);
	assert_int_equal(cap.attaches, 1);
	assert_int_equal(hv_virtio_net_add(vm, &c, NULL), HV_ERR_OVERLAP);
	assert_int_equal(cap.attaches, 1);
	assert_int_equal(hv_device_remove(dev), HV_OK);
	assert_int_equal(cap.destroys, 1);
	hv_vm_destroy(vm);
	assert_int_equal(cap.destroys, 1);
}

static void test_net_add_survives_allocation_failures(void **state)
{
	hv_virtio_net_config_t c = HV_VIRTIO_NET_CONFIG_INIT;
	struct cap cap = { 0 };
	unsigned long n;

	(void)state;
	c.mmio.base = BASE;
	c.mmio.irq = IRQ;
	c.link = (hv_netdev_t){ .ops = &cap_ops, .ctx = &cap };
	for (n = 1;; n++) {
		hv_vm_t *vm = ts_vm_new(0);
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_virtio_net_add(vm, &c, NULL);
		tp_fail_alloc_at(0);
		hv_vm_destroy(vm);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(cap.attaches, 0);
		assert_int_equal(cap.destroys, 0);
	}
	assert_int_equal(cap.destroys, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_net_config_has_mac_and_link_up),
		TS_TEST(test_net_zero_mac_gets_a_local_address),
		TS_TEST(test_net_tx_strips_the_header),
		TS_TEST(test_net_tx_drops_runts_and_giants),
		TS_TEST(test_net_tx_calls_send_without_the_device_lock),
		TS_TEST(test_net_rx_fills_one_buffer_with_a_zeroed_header),
		TS_TEST(test_net_rx_drops_without_buffers_or_when_not_live),
		TS_TEST(test_net_rx_merges_buffers),
		TS_TEST(test_net_rx_mrg_holds_buffers_of_a_dropped_frame),
		TS_TEST(test_net_reset_forgets_held_buffers),
		TS_TEST(test_net_broken_rx_ring_needs_reset),
		TS_TEST(test_net_add_checks_its_arguments),
		TS_TEST(test_net_add_survives_allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
