/* SPDX-License-Identifier: MIT */
/*
 * A learning Ethernet switch connecting network devices (of one VM or several).
 *
 * Locking. The switch lock guards the port table and the MAC table; it is never held while a
 * frame is delivered. Each port slot has its own rx lock, held around the call into the
 * attached device's rx callback and taken by a port's destroy, so that once destroy returns
 * no rx call is running or will start. The lock order is therefore
 *
 *     port rx lock  ->  the receiving device's own lock
 *
 * and nothing else: a device calls send() without holding its own lock (virtio-net drops it
 * around the call), an rx callback takes only its own device's lock and never sends on the
 * switch, and a frame never goes back to the port it came from. Two VMs sending to each
 * other at the same moment thus each hold at most the other's rx lock and then that device's
 * lock, never one while waiting for the other's.
 *
 * Port slots live as long as the switch: an in-flight delivery computed under the switch lock
 * may still name a slot whose port was destroyed (and maybe reused) since; the slot's
 * generation, checked under its rx lock, makes it skip such a slot.
 */
#include "hv_internal.h"

#define HV__SW_PORTS 64u
#define HV__SW_MACS 256u
#define HV__ETH_HLEN 14u

struct hv__swport {
	struct hv_switch *sw;
	void *rx_lock;   /* created with the slot's first port, kept until the switch dies */
	uint32_t gen;    /* atomic: bumped when a port is created in or destroyed from the slot */
	bool in_use;     /* under sw->lock */
	hv_net_rx_fn rx; /* under rx_lock */
	void *rx_ctx;
};

struct hv__swmac {
	uint8_t mac[6];
	uint8_t port;
	bool valid;
	uint64_t stamp; /* last time this address was seen, for replacement */
};

struct hv_switch {
	void *lock;
	uint32_t ports_used;
	uint64_t clock;
	struct hv__swport port[HV__SW_PORTS];
	struct hv__swmac mac[HV__SW_MACS];
};

/* One destination of a frame, computed under the switch lock. */
struct hv__swdest {
	uint8_t port;
	uint32_t gen;
};

hv_status_t hv_switch_create(hv_switch_t **out)
{
	hv_switch_t *sw;

	if (out == NULL)
		return HV_ERR_INVALID_ARG;
	if (hv__platform_get() == NULL)
		return HV_ERR_NO_PLATFORM;
	sw = hv__alloc(sizeof(*sw));
	if (sw == NULL)
		return HV_ERR_NO_MEMORY;
	sw->lock = hv__lock_create();
	if (sw->lock == NULL) {
		hv__free(sw, sizeof(*sw));
		return HV_ERR_NO_MEMORY;
	}
	for (uint32_t i = 0; i < HV__SW_PORTS; i++)
		sw->port[i].sw = sw;
	hv__platform_ref();
	*out = sw;
	return HV_OK;
}

hv_status_t hv_switch_destroy(hv_switch_t *sw)
{
	if (sw == NULL)
		return HV_OK;
	hv__lock(sw->lock);
	if (sw->ports_used != 0) {
		hv__unlock(sw->lock);
		return HV_ERR_BUSY;
	}
	hv__unlock(sw->lock);
	for (uint32_t i = 0; i < HV__SW_PORTS; i++)
		if (sw->port[i].rx_lock != NULL)
			hv__lock_destroy(sw->port[i].rx_lock);
	hv__lock_destroy(sw->lock);
	hv__free(sw, sizeof(*sw));
	hv__platform_unref();
	return HV_OK;
}

static bool hv__mac_eq(const uint8_t *a, const uint8_t *b)
{
	return hv__memcmp(a, b, 6) == 0;
}

/* Remember that `mac` is behind `port`. Switch lock held. */
static void hv__sw_learn(hv_switch_t *sw, const uint8_t *mac, uint8_t port)
{
	struct hv__swmac *victim = &sw->mac[0];

	if (mac[0] & 1)
		return; /* a group address is never a source */
	sw->clock++;
	for (uint32_t i = 0; i < HV__SW_MACS; i++) {
		struct hv__swmac *e = &sw->mac[i];

		if (e->valid && hv__mac_eq(e->mac, mac)) {
			e->port = port;
			e->stamp = sw->clock;
			return;
		}
		if (victim->valid && (!e->valid || e->stamp < victim->stamp))
			victim = e;
	}
	hv__memcpy(victim->mac, mac, 6);
	victim->port = port;
	victim->valid = true;
	victim->stamp = sw->clock;
}

/* Where a frame from `src` goes: the count of entries written to dest. Switch lock held. */
static uint32_t hv__sw_route(hv_switch_t *sw, const uint8_t *dst_mac, uint8_t src,
			     struct hv__swdest *dest)
{
	uint32_t n = 0;

	if (!(dst_mac[0] & 1)) {
		for (uint32_t i = 0; i < HV__SW_MACS; i++) {
			const struct hv__swmac *e = &sw->mac[i];

			if (!e->valid || !hv__mac_eq(e->mac, dst_mac))
				continue;
			if (e->port == src)
				return 0; /* it is on the sender's side: nothing to do */
			dest[0].port = e->port;
			dest[0].gen = __atomic_load_n(&sw->port[e->port].gen, __ATOMIC_RELAXED);
			return 1;
		}
	}
	for (uint32_t i = 0; i < HV__SW_PORTS; i++) {
		if (i == src || !sw->port[i].in_use)
			continue;
		dest[n].port = (uint8_t)i;
		dest[n].gen = __atomic_load_n(&sw->port[i].gen, __ATOMIC_RELAXED);
		n++;
	}
	return n;
}

static void hv__swport_attach(void *ctx, hv_net_rx_fn rx, void *rx_ctx)
{
	struct hv__swport *p = ctx;

	hv__lock(p->rx_lock);
	p->rx = rx;
	p->rx_ctx = rx_ctx;
	hv__unlock(p->rx_lock);
}

static void hv__swport_send(void *ctx, const void *frame, size_t len)
{
	struct hv__swport *p = ctx;
	hv_switch_t *sw = p->sw;
	struct hv__swdest dest[HV__SW_PORTS];
	const uint8_t *f = frame;
	uint8_t src = (uint8_t)(p - sw->port);
	uint32_t n;

	if (frame == NULL || len < HV__ETH_HLEN)
		return;
	hv__lock(sw->lock);
	hv__sw_learn(sw, f + 6, src);
	n = hv__sw_route(sw, f, src, dest);
	hv__unlock(sw->lock);

	for (uint32_t i = 0; i < n; i++) {
		struct hv__swport *d = &sw->port[dest[i].port];

		hv__lock(d->rx_lock);
		if (d->rx != NULL && __atomic_load_n(&d->gen, __ATOMIC_RELAXED) == dest[i].gen)
			d->rx(d->rx_ctx, frame, len);
		hv__unlock(d->rx_lock);
	}
}

static void hv__swport_destroy(void *ctx)
{
	struct hv__swport *p = ctx;
	hv_switch_t *sw = p->sw;
	uint8_t idx = (uint8_t)(p - sw->port);

	/* Waits for a delivery in progress; none starts afterwards (rx is NULL). */
	hv__lock(p->rx_lock);
	p->rx = NULL;
	p->rx_ctx = NULL;
	hv__unlock(p->rx_lock);

	hv__lock(sw->lock);
	__atomic_add_fetch(&p->gen, 1, __ATOMIC_RELAXED);
	p->in_use = false;
	sw->ports_used--;
	for (uint32_t i = 0; i < HV__SW_MACS; i++)
		if (sw->mac[i].valid && sw->mac[i].port == idx)
			sw->mac[i].valid = false;
	hv__unlock(sw->lock);
}

static const hv_netdev_ops_t hv__swport_ops = {
	.struct_size = sizeof(hv_netdev_ops_t),
	.version = HV_NETDEV_OPS_VERSION,
	.attach = hv__swport_attach,
	.send = hv__swport_send,
	.destroy = hv__swport_destroy,
};

hv_status_t hv_switch_port(hv_switch_t *sw, hv_netdev_t *out)
{
	struct hv__swport *p = NULL;
	hv_status_t st = HV_ERR_LIMIT;

	if (sw == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	hv__lock(sw->lock);
	for (uint32_t i = 0; i < HV__SW_PORTS; i++) {
		if (!sw->port[i].in_use) {
			p = &sw->port[i];
			break;
		}
	}
	if (p == NULL)
		goto out;
	st = HV_ERR_NO_MEMORY;
	if (p->rx_lock == NULL) {
		p->rx_lock = hv__lock_create();
		if (p->rx_lock == NULL)
			goto out;
	}
	__atomic_add_fetch(&p->gen, 1, __ATOMIC_RELAXED);
	p->in_use = true;
	sw->ports_used++;
	out->ops = &hv__swport_ops;
	out->ctx = p;
	st = HV_OK;
out:
	hv__unlock(sw->lock);
	return st;
}

#if !defined(HVLIB_HOSTED) || !HVLIB_HOSTED
/* Freestanding builds have no TAP: firmware connects VMs with a switch or its own link. */
hv_status_t hv_netdev_tap(const char *ifname, hv_netdev_t *out)
{
	HV__UNUSED(ifname);
	HV__UNUSED(out);
	return HV_ERR_UNSUPPORTED;
}
#endif
