/* SPDX-License-Identifier: MIT */
/* The learning Ethernet switch: learning, flooding, no echo, limits, and VMs talking through it. */
#include "virtio_driver.h"

#include <stdlib.h>

/* A fake device on a port: counts and keeps the last frame it received. */
struct sink {
	hv_netdev_t port;
	unsigned frames;
	size_t last_len;
	uint8_t last[64];
};

static void sink_rx(void *ctx, const void *frame, size_t len)
{
	struct sink *s = ctx;

	s->frames++;
	s->last_len = len;
	memcpy(s->last, frame, len < sizeof(s->last) ? len : sizeof(s->last));
}

static void sink_open(hv_switch_t *sw, struct sink *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(hv_switch_port(sw, &s->port), HV_OK);
	assert_non_null(s->port.ops->attach);
	s->port.ops->attach(s->port.ctx, sink_rx, s);
}

static void sink_close(struct sink *s)
{
	s->port.ops->destroy(s->port.ctx);
}

static void mac(uint8_t *m, uint32_t n)
{
	m[0] = 0x02;
	m[1] = 0;
	m[2] = (uint8_t)(n >> 24);
	m[3] = (uint8_t)(n >> 16);
	m[4] = (uint8_t)(n >> 8);
	m[5] = (uint8_t)n;
}

static void send(struct sink *from, uint32_t dst, uint32_t src)
{
	uint8_t f[60];

	memset(f, 0, sizeof(f));
	if (dst == UINT32_MAX)
		memset(f, 0xff, 6);
	else
		mac(f, dst);
	mac(f + 6, src);
	from->port.ops->send(from->port.ctx, f, sizeof(f));
}

static void counts(struct sink *s, unsigned a, unsigned b, unsigned c)
{
	assert_int_equal(s[0].frames, a);
	assert_int_equal(s[1].frames, b);
	assert_int_equal(s[2].frames, c);
}

static void test_switch_floods_unknown_and_learns(void **state)
{
	hv_switch_t *sw = NULL;
	struct sink s[3];

	(void)state;
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	for (int i = 0; i < 3; i++)
		sink_open(sw, &s[i]);
	send(&s[0], UINT32_MAX, 100); /* broadcast from 100 at port 0 */
	counts(s, 0, 1, 1);
	assert_int_equal(s[1].last_len, 60);
	send(&s[1], 100, 200); /* to 100: learned at port 0 */
	counts(s, 1, 1, 1);
	send(&s[2], 300, 301); /* unknown destination: everyone else */
	counts(s, 2, 2, 1);
	send(&s[0], 200, 100); /* 200 was learned at port 1 */
	counts(s, 2, 3, 1);
	/* A station moves: 100 now speaks from port 2. */
	send(&s[2], UINT32_MAX, 100);
	counts(s, 3, 4, 1);
	send(&s[1], 100, 200);
	counts(s, 3, 4, 2);
	for (int i = 0; i < 3; i++)
		sink_close(&s[i]);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
}

static void test_switch_never_echoes_to_the_sender(void **state)
{
	hv_switch_t *sw = NULL;
	struct sink s[3];
	uint8_t f[60];

	(void)state;
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	for (int i = 0; i < 3; i++)
		sink_open(sw, &s[i]);
	send(&s[0], UINT32_MAX, 1);
	send(&s[0], 1, 2); /* to a station on its own port: dropped */
	counts(s, 0, 1, 1);
	/* Multicast goes everywhere else. */
	memset(f, 0, sizeof(f));
	f[0] = 0x01;
	f[1] = 0x00;
	f[2] = 0x5e;
	mac(f + 6, 3);
	s[1].port.ops->send(s[1].port.ctx, f, sizeof(f));
	counts(s, 1, 1, 2);
	/* A multicast source is not learned; frames too short for a header go nowhere. */
	memset(f + 6, 0xff, 6);
	s[1].port.ops->send(s[1].port.ctx, f, sizeof(f));
	counts(s, 2, 1, 3);
	s[1].port.ops->send(s[1].port.ctx, f, 13);
	s[1].port.ops->send(s[1].port.ctx, NULL, 60);
	counts(s, 2, 1, 3);
	for (int i = 0; i < 3; i++)
		sink_close(&s[i]);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
}

static void test_switch_table_replaces_the_oldest_entry(void **state)
{
	hv_switch_t *sw = NULL;
	struct sink s[3];

	(void)state;
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	for (int i = 0; i < 3; i++)
		sink_open(sw, &s[i]);
	for (uint32_t n = 0; n < 300; n++)
		send(&s[0], UINT32_MAX, 1000 + n);
	counts(s, 0, 300, 300);
	send(&s[1], 1299, 5); /* recent: known */
	counts(s, 1, 300, 300);
	send(&s[1], 1000, 5); /* the oldest was replaced: flooded */
	counts(s, 2, 300, 301);
	for (int i = 0; i < 3; i++)
		sink_close(&s[i]);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
}

static void test_switch_port_destroy_stops_delivery_and_forgets(void **state)
{
	hv_switch_t *sw = NULL;
	struct sink s[3];

	(void)state;
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	for (int i = 0; i < 3; i++)
		sink_open(sw, &s[i]);
	send(&s[2], UINT32_MAX, 7); /* 7 at port 2 */
	counts(s, 1, 1, 0);
	sink_close(&s[2]);
	send(&s[0], 7, 8); /* 7 forgotten: flooded to the remaining port */
	counts(s, 1, 2, 0);
	/* The slot is reused by a new port; it does not inherit 7. */
	sink_open(sw, &s[2]);
	send(&s[0], 7, 8);
	counts(s, 1, 3, 1);
	/* A port with no device attached yet receives nothing (and does not crash). */
	{
		hv_netdev_t bare;

		assert_int_equal(hv_switch_port(sw, &bare), HV_OK);
		send(&s[0], UINT32_MAX, 8);
		counts(s, 1, 4, 2);
		bare.ops->destroy(bare.ctx);
	}
	for (int i = 0; i < 3; i++)
		sink_close(&s[i]);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
}

static void test_switch_port_limit_and_busy_destroy(void **state)
{
	hv_switch_t *sw = NULL;
	hv_netdev_t ports[65];

	(void)state;
	assert_int_equal(hv_switch_create(NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_switch_destroy(NULL), HV_OK);
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	assert_int_equal(hv_switch_port(NULL, &ports[0]), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_switch_port(sw, NULL), HV_ERR_INVALID_ARG);
	for (int i = 0; i < 64; i++)
		assert_int_equal(hv_switch_port(sw, &ports[i]), HV_OK);
	assert_int_equal(hv_switch_port(sw, &ports[64]), HV_ERR_LIMIT);
	assert_int_equal(hv_switch_destroy(sw), HV_ERR_BUSY);
	ports[10].ops->destroy(ports[10].ctx);
	assert_int_equal(hv_switch_port(sw, &ports[10]), HV_OK);
	for (int i = 0; i < 63; i++)
		ports[i].ops->destroy(ports[i].ctx);
	assert_int_equal(hv_switch_destroy(sw), HV_ERR_BUSY);
	ports[63].ops->destroy(ports[63].ctx);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
}

static void test_switch_create_and_port_survive_allocation_failures(void **state)
{
	hv_switch_t *sw = NULL;
	hv_netdev_t p;

	(void)state;
	tp_fail_alloc_at(1);
	assert_int_equal(hv_switch_create(&sw), HV_ERR_NO_MEMORY);
	tp_fail_lock_at(1);
	assert_int_equal(hv_switch_create(&sw), HV_ERR_NO_MEMORY);
	assert_null(sw);
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	tp_fail_lock_at(1);
	assert_int_equal(hv_switch_port(sw, &p), HV_ERR_NO_MEMORY);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
}

/* ---- virtio-net devices of two VMs on one switch ------------------------------------------------ */

#define BASE 0x10000000ull
#define IRQ 7
#define RAM_SIZE (2ull << 20)
#define HDR 12u
#define RX_BUFS 48u

struct nvm {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	struct vd d;
	uint8_t mac[6];
	uint64_t rx_gpa[RX_BUFS];
	unsigned sent;
};

void hv__virtio_net_drops(hv_device_t *device, uint64_t *rx, uint64_t *tx);

static void nvm_init(struct nvm *n, hv_switch_t *sw, uint8_t id)
{
	hv_virtio_net_config_t c = HV_VIRTIO_NET_CONFIG_INIT;

	memset(n, 0, sizeof(*n));
	n->vm = ts_vm_new(0);
	n->vcpu = ts_vcpu_new(n->vm, 0);
	ts_map_ram(n->vm, 0, RAM_SIZE);
	n->mac[0] = 0x02;
	n->mac[5] = id;
	memcpy(c.mac, n->mac, 6);
	c.mmio.base = BASE;
	c.mmio.irq = IRQ;
	assert_int_equal(hv_switch_port(sw, &c.link), HV_OK);
	assert_int_equal(hv_virtio_net_add(n->vm, &c, &n->dev), HV_OK);
	vd_init(&n->d, n->vm, n->vcpu, BASE, 0, RAM_SIZE);
	assert_true(vd_negotiate(&n->d, ~0ull) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&n->d, 0, 64), 1);
	assert_int_equal(vd_queue_setup(&n->d, 1, 64), 1);
	vd_driver_ok(&n->d);
	for (unsigned i = 0; i < RX_BUFS; i++) {
		struct vd_buf b;

		n->rx_gpa[i] = vd_alloc(&n->d, HDR + 1518, 16);
		b = (struct vd_buf){ n->rx_gpa[i], HDR + 1518, true };
		vd_add(&n->d, 0, &b, 1);
	}
}

static void nvm_send(struct nvm *n, const uint8_t *dst, uint32_t seq)
{
	uint64_t g = vd_alloc(&n->d, HDR + 64, 16);
	uint8_t *p = vd_ptr(&n->d, g);
	struct vd_buf b = { g, HDR + 64, false };

	memset(p, 0, HDR + 64);
	memcpy(p + HDR, dst, 6);
	memcpy(p + HDR + 6, n->mac, 6);
	memcpy(p + HDR + 14, &seq, 4);
	vd_add(&n->d, 1, &b, 1);
	vd_kick(&n->d, 1);
	n->sent++;
}

static void test_switch_connects_two_vms(void **state)
{
	hv_switch_t *sw = NULL;
	struct nvm *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	uint32_t len, seq = 0xabcdef01;
	uint8_t *p;

	(void)state;
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	nvm_init(a, sw, 1);
	nvm_init(b, sw, 2);
	nvm_send(a, b->mac, seq);
	assert_true(vd_used(&b->d, 0, NULL, &len));
	assert_int_equal(len, HDR + 64);
	p = vd_ptr(&b->d, b->rx_gpa[0]);
	assert_memory_equal(p + HDR, b->mac, 6);
	assert_memory_equal(p + HDR + 6, a->mac, 6);
	assert_memory_equal(p + HDR + 14, &seq, 4);
	assert_true(vd_irq_level(&b->d, IRQ));
	assert_false(vd_used(&a->d, 0, NULL, NULL)); /* no echo */
	nvm_send(b, a->mac, seq + 1);
	assert_true(vd_used(&a->d, 0, NULL, &len));
	assert_int_equal(hv_switch_destroy(sw), HV_ERR_BUSY);
	hv_vm_destroy(a->vm);
	assert_int_equal(hv_switch_destroy(sw), HV_ERR_BUSY);
	nvm_send(b, a->mac, seq + 2); /* to a departed VM: nobody, no crash */
	hv_vm_destroy(b->vm);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
	free(a);
	free(b);
}

#define STORM 2000u

static void *storm(void *arg)
{
	struct nvm **pair = arg;

	for (uint32_t i = 0; i < STORM; i++)
		nvm_send(pair[0], pair[1]->mac, i);
	return NULL;
}

static void test_switch_two_vms_sending_at_once_do_not_deadlock(void **state)
{
	hv_switch_t *sw = NULL;
	struct nvm *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct nvm *ab[2] = { a, b }, *ba[2] = { b, a };
	pthread_t t1, t2;
	uint64_t rxa, txa, rxb, txb;
	unsigned got_a = 0, got_b = 0;

	(void)state;
	assert_int_equal(hv_switch_create(&sw), HV_OK);
	nvm_init(a, sw, 1);
	nvm_init(b, sw, 2);
	nvm_send(a, b->mac, 0); /* let the switch learn both */
	nvm_send(b, a->mac, 0);
	assert_int_equal(pthread_create(&t1, NULL, storm, ab), 0);
	assert_int_equal(pthread_create(&t2, NULL, storm, ba), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	while (vd_used(&a->d, 0, NULL, NULL))
		got_a++;
	while (vd_used(&b->d, 0, NULL, NULL))
		got_b++;
	hv__virtio_net_drops(a->dev, &rxa, &txa);
	hv__virtio_net_drops(b->dev, &rxb, &txb);
	assert_int_equal(got_a, RX_BUFS);
	assert_int_equal(got_b, RX_BUFS);
	assert_int_equal(got_a + rxa, STORM + 1);
	assert_int_equal(got_b + rxb, STORM + 1);
	assert_int_equal(txa + txb, 0);
	hv_vm_destroy(a->vm);
	hv_vm_destroy(b->vm);
	assert_int_equal(hv_switch_destroy(sw), HV_OK);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_switch_floods_unknown_and_learns),
		TS_TEST(test_switch_never_echoes_to_the_sender),
		TS_TEST(test_switch_table_replaces_the_oldest_entry),
		TS_TEST(test_switch_port_destroy_stops_delivery_and_forgets),
		TS_TEST(test_switch_port_limit_and_busy_destroy),
		TS_TEST(test_switch_create_and_port_survive_allocation_failures),
		TS_TEST(test_switch_connects_two_vms),
		TS_TEST(test_switch_two_vms_sending_at_once_do_not_deadlock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
