/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (VIRTIO 1.2, 5.1): one Ethernet interface, queues receiveq0 (0) and transmitq0
 * (1), no control queue and no offloads. Every buffer starts with the 12-byte virtio_net_hdr
 * (VERSION_1 always has num_buffers); the device sends it zeroed but for num_buffers, and
 * ignores the one the driver sends (no checksum or segmentation offload was offered).
 *
 * Transmit runs on the notifying vCPU: each frame is copied out of the guest and handed to
 * the link's send() with the transport lock DROPPED, so that a link which delivers to another
 * device synchronously (the switch) never holds two device locks at once; one vCPU transmits
 * at a time (tx_running) because the copy buffer is shared.
 *
 * Receive comes from the link's thread (a switch sender, the TAP reader): under the transport
 * lock, the frame goes into the next receive buffer or, with MRG_RXBUF, across as many as it
 * needs. Buffers taken for a frame that did not fit are held for the next one, not returned
 * empty. A frame is dropped (and counted) when the device is not live or lacks buffers.
 */
#include "virtio/virtio.h"

#define HV__NET_F_MAC 5
#define HV__NET_F_MRG_RXBUF 15
#define HV__NET_F_STATUS 16
#define HV__NET_S_LINK_UP 1u

#define HV__NET_RXQ 0
#define HV__NET_TXQ 1
#define HV__NET_HDR_SIZE 12u
#define HV__NET_MIN_FRAME 14u
#define HV__NET_MAX_FRAME (65535u + 18u) /* the largest MTU and an Ethernet (VLAN) header */
#define HV__NET_CFG_SIZE 12u             /* mac, status, max_virtqueue_pairs, mtu */

#define HV__NET_HELD_MAX 64u
#define HV__NET_HELD_SEGS 4u

/* A receive chain taken from the ring and not yet used: its first writable segments. */
struct hv__net_held {
	uint16_t head;
	uint32_t nseg;
	uint64_t cap; /* sum of up to four 32-bit lengths */
	struct {
		uint8_t *hva;
		uint32_t len;
	} seg[HV__NET_HELD_SEGS];
};

struct hv__net {
	hv_netdev_t link;
	uint8_t config[HV__NET_CFG_SIZE];
	bool tx_running;
	uint64_t rx_drops; /* under the transport lock */
	uint64_t tx_drops;
	uint32_t held_count;
	struct hv__net_held held[HV__NET_HELD_MAX];
	struct hv__vq_req req; /* the chain being worked on; under the transport lock */
	uint8_t txbuf[HV__NET_MAX_FRAME];
};

static uint32_t hv__net_mac_counter;

static const char *hv__net_name(const struct hv__virtio *v)
{
	return v->device != NULL ? v->device->name : "virtio-net";
}

/* ---- transmit ---------------------------------------------------------------------------- */

static void hv__net_tx(struct hv__virtio *v)
{
	struct hv__net *n = v->dev;
	struct hv__vq *vq = &v->vq[HV__NET_TXQ];
	struct hv__vq_req *req = &n->req;

	if (n->tx_running)
		return; /* the vCPU sending now empties the ring before it stops */
	n->tx_running = true;
	/* The lock is dropped around send(): look at the device again each time. */
	while (hv__virtio_live(v) && vq->ready && !vq->broken) {
		uint32_t len;
		int r = hv__vq_pop(vq, req);

		if (r == 0)
			break;
		if (r < 0) {
			hv__virtio_error(v);
			break;
		}
		len = req->out_len >= HV__NET_HDR_SIZE ? req->out_len - HV__NET_HDR_SIZE : 0;
		if (len < HV__NET_MIN_FRAME || len > HV__NET_MAX_FRAME) {
			HV_LOGD("%s: transmitted frame of %u bytes dropped", hv__net_name(v), len);
			n->tx_drops++;
			len = 0;
		} else {
			hv__vq_req_read(req, HV__NET_HDR_SIZE, n->txbuf, len);
		}
		hv__vq_push(vq, req->head, 0);
		hv__virtio_notify(v, HV__NET_TXQ);
		if (len == 0)
			continue;
		hv__unlock(v->lock);
		n->link.ops->send(n->link.ctx, n->txbuf, len);
		hv__lock(v->lock);
	}
	n->tx_running = false;
}

static void hv__net_notify(struct hv__virtio *v, uint16_t q)
{
	/* New receive buffers need no action: frames are not queued while there are none. */
	if (q == HV__NET_TXQ)
		hv__net_tx(v);
}

/* ---- receive ----------------------------------------------------------------------------- */

static void hv__net_hdr(uint8_t *hdr, uint16_t num_buffers)
{
	hv__memset(hdr, 0, HV__NET_HDR_SIZE);
	hdr[10] = (uint8_t)num_buffers;
	hdr[11] = (uint8_t)(num_buffers >> 8);
}

/* Without MRG_RXBUF: the frame and its header in one chain, or dropped. */
static bool hv__net_rx_one(struct hv__virtio *v, struct hv__net *n, const void *frame, uint32_t len)
{
	struct hv__vq *vq = &v->vq[HV__NET_RXQ];
	struct hv__vq_req *req = &n->req;
	uint8_t hdr[HV__NET_HDR_SIZE];
	int r = hv__vq_pop(vq, req);

	if (r < 0)
		hv__virtio_error(v);
	if (r <= 0)
		return false;
	if (req->in_len < HV__NET_HDR_SIZE + len) {
		HV_LOGD("%s: receive buffer of %u bytes too small for a %u-byte frame",
			hv__net_name(v), req->in_len, len);
		hv__vq_push(vq, req->head, 0);
		hv__virtio_notify(v, HV__NET_RXQ);
		return false;
	}
	hv__net_hdr(hdr, 1);
	hv__vq_req_write(req, 0, hdr, sizeof(hdr));
	hv__vq_req_write(req, HV__NET_HDR_SIZE, frame, len);
	hv__vq_push(vq, req->head, HV__NET_HDR_SIZE + len);
	hv__virtio_notify(v, HV__NET_RXQ);
	return true;
}

/* Take one more receive chain into the held list. 1: taken, 0: none available, -1: error. */
static int hv__net_hold(struct hv__virtio *v, struct hv__net *n)
{
	struct hv__vq *vq = &v->vq[HV__NET_RXQ];
	struct hv__vq_req *req = &n->req;
	struct hv__net_held *h;

	for (;;) {
		int r = hv__vq_pop(vq, req);

		if (r < 0)
			hv__virtio_error(v);
		if (r <= 0)
			return r;
		h = &n->held[n->held_count];
		h->head = req->head;
		h->nseg = 0;
		h->cap = 0;
		for (uint32_t i = 0; i < req->nseg && h->nseg < HV__NET_HELD_SEGS; i++) {
			if (!req->seg[i].device_writes)
				continue;
			h->seg[h->nseg].hva = req->seg[i].hva;
			h->seg[h->nseg].len = req->seg[i].len;
			h->cap += req->seg[i].len;
			h->nseg++;
		}
		/* Each buffer must hold at least a header (5.1.6.3.1); give back any that cannot. */
		if (h->cap >= HV__NET_HDR_SIZE) {
			n->held_count++;
			return 1;
		}
		HV_LOGD("%s: receive buffer of %llu bytes returned unused", hv__net_name(v),
			(unsigned long long)h->cap);
		hv__vq_push(vq, req->head, 0);
		hv__virtio_notify(v, HV__NET_RXQ);
	}
}

/* Copy bytes into a held chain at offset `off`; returns the bytes copied. */
static uint32_t hv__net_held_write(const struct hv__net_held *h, uint32_t off, const uint8_t *p,
				   uint32_t len)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < h->nseg && len > 0; i++) {
		uint32_t n;

		if (off >= h->seg[i].len) {
			off -= h->seg[i].len;
			continue;
		}
		n = h->seg[i].len - off;
		if (n > len)
			n = len;
		hv__memcpy(h->seg[i].hva + off, p, n);
		off = 0;
		p += n;
		len -= n;
		done += n;
	}
	return done;
}

/* With MRG_RXBUF: header and frame across as many chains as they need. */
static bool hv__net_rx_mrg(struct hv__virtio *v, struct hv__net *n, const uint8_t *frame,
			   uint32_t len)
{
	struct hv__vq *vq = &v->vq[HV__NET_RXQ];
	uint64_t need = HV__NET_HDR_SIZE + len, have = 0;
	uint32_t used = 0, hdr_done = 0, frame_done = 0;
	uint8_t hdr[HV__NET_HDR_SIZE];

	for (uint32_t i = 0; i < n->held_count && have < need; i++, used++)
		have += n->held[i].cap;
	while (have < need) {
		if (n->held_count == HV__NET_HELD_MAX || hv__net_hold(v, n) <= 0)
			return false;
		have += n->held[n->held_count - 1].cap;
		used++;
	}
	hv__net_hdr(hdr, (uint16_t)used);
	for (uint32_t i = 0; i < used; i++) {
		const struct hv__net_held *h = &n->held[i];
		uint32_t off = 0;

		if (hdr_done < HV__NET_HDR_SIZE) {
			off = hv__net_held_write(h, 0, hdr, HV__NET_HDR_SIZE);
			hdr_done = off;
		}
		off += hv__net_held_write(h, off, frame + frame_done, len - frame_done);
		frame_done += off - (i == 0 ? HV__NET_HDR_SIZE : 0);
		hv__vq_push(vq, h->head, off);
	}
	n->held_count -= used;
	hv__memmove(&n->held[0], &n->held[used], n->held_count * sizeof(n->held[0]));
	hv__virtio_notify(v, HV__NET_RXQ);
	return true;
}

static void hv__net_rx(void *ctx, const void *frame, size_t len)
{
	struct hv__virtio *v = ctx;
	struct hv__net *n = v->dev;
	struct hv__vq *vq = &v->vq[HV__NET_RXQ];
	bool ok = false;

	/* The link's thread touching guest memory: hold the map (before the device lock). */
	hv__vm_map_hold(v->vm);
	hv__lock(v->lock);
	if (frame != NULL && len >= HV__NET_MIN_FRAME && len <= HV__NET_MAX_FRAME &&
	    hv__virtio_live(v) && vq->ready && !vq->broken) {
		if (hv__virtio_has(v, HV__NET_F_MRG_RXBUF))
			ok = hv__net_rx_mrg(v, n, frame, (uint32_t)len);
		else
			ok = hv__net_rx_one(v, n, frame, (uint32_t)len);
	}
	if (!ok)
		n->rx_drops++;
	hv__unlock(v->lock);
	hv__vm_map_release(v->vm);
}

/* ---- configuration, lifetime ------------------------------------------------------------- */

static void hv__net_config_read(struct hv__virtio *v, uint32_t off, uint32_t width, uint64_t *value)
{
	struct hv__net *n = v->dev;
	uint64_t val = 0;

	for (uint32_t i = 0; i < width; i++)
		val |= (uint64_t)n->config[off + i] << (8 * i);
	*value = val;
}

static void hv__net_config_write(struct hv__virtio *v, uint32_t off, uint32_t width, uint64_t value)
{
	HV__UNUSED(value);
	/* The MAC is read-only for a VERSION_1 driver without CTRL_MAC_ADDR (5.1.4.2). */
	HV_LOGD("%s: config write of %u bytes at 0x%x ignored", hv__net_name(v), width, off);
}

static void hv__net_reset(struct hv__virtio *v)
{
	struct hv__net *n = v->dev;

	n->held_count = 0; /* the queue is gone, and the chains with it */
}

static void hv__net_free(struct hv__net *n)
{
	hv__free(n, sizeof(*n));
}

static void hv__net_destroy(struct hv__virtio *v)
{
	struct hv__net *n = v->dev;

	/* The link guarantees no rx call after its destroy returns: only then free the state. */
	if (n->link.ops->destroy != NULL)
		n->link.ops->destroy(n->link.ctx);
	hv__net_free(n);
}

static const struct hv__virtio_dev_ops hv__net_ops = {
	.device_id = HV_VIRTIO_ID_NET,
	.features = (1ull << HV__NET_F_MAC) | (1ull << HV__NET_F_MRG_RXBUF) |
		    (1ull << HV__NET_F_STATUS),
	.num_queues = 2,
	.config_size = HV__NET_CFG_SIZE,
	.config_read = hv__net_config_read,
	.config_write = hv__net_config_write,
	.queue_notify = hv__net_notify,
	.reset = hv__net_reset,
	.destroy = hv__net_destroy,
};

static const struct hv__devclass hv__net_class = {
	.kind = HV__DEV_NET,
	.fdt_kind = HV_FDT_DEV_VIRTIO_MMIO,
};

/* Drops since the device was added (tests and diagnostics). */
void hv__virtio_net_drops(hv_device_t *device, uint64_t *rx, uint64_t *tx)
{
	struct hv__virtio *v = hv_device_ctx(device);
	struct hv__net *n = v->dev;

	hv__lock(v->lock);
	*rx = n->rx_drops;
	*tx = n->tx_drops;
	hv__unlock(v->lock);
}

static hv_status_t hv__net_check(const hv_virtio_net_config_t *c)
{
	const hv_netdev_ops_t *ops = c->link.ops;

	if (HV__CHECK_STRUCT(c, hv_virtio_net_config_t) != HV_OK)
		return HV_ERR_ABI;
	if (ops == NULL)
		return HV_ERR_INVALID_ARG;
	if (ops->struct_size != sizeof(hv_netdev_ops_t) || ops->version != HV_NETDEV_OPS_VERSION)
		return HV_ERR_ABI;
	if (ops->attach == NULL || ops->send == NULL)
		return HV_ERR_INVALID_ARG;
	return HV_OK;
}

hv_status_t hv_virtio_net_add(hv_vm_t *vm, const hv_virtio_net_config_t *config,
			      hv_device_t **device)
{
	static const uint8_t zero_mac[6];
	struct hv__virtio *v;
	struct hv__net *n;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	st = hv__net_check(config);
	if (st != HV_OK)
		return st;
	n = hv__alloc(sizeof(*n));
	if (n == NULL)
		return HV_ERR_NO_MEMORY;
	n->link = config->link;
	if (hv__memcmp(config->mac, zero_mac, 6) != 0) {
		hv__memcpy(n->config, config->mac, 6);
	} else {
		/* A locally administered unicast address: 02:68:76 ("hv") and a counter. */
		uint32_t c = __atomic_add_fetch(&hv__net_mac_counter, 1, __ATOMIC_RELAXED);

		n->config[0] = 0x02;
		n->config[1] = 0x68;
		n->config[2] = 0x76;
		n->config[3] = (uint8_t)(c >> 16);
		n->config[4] = (uint8_t)(c >> 8);
		n->config[5] = (uint8_t)c;
	}
	n->config[6] = HV__NET_S_LINK_UP;
	n->config[8] = 1; /* max_virtqueue_pairs */

	st = hv__virtio_mmio_add(vm, config->name != NULL ? config->name : "virtio-net",
				 &config->mmio, &hv__net_ops, n, &hv__net_class, &v, device);
	if (st != HV_OK) {
		hv__net_free(n);
		return st;
	}
	n->link.ops->attach(n->link.ctx, hv__net_rx, v);
	return HV_OK;
}
