/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (VIRTIO 1.2, 5.3) with one port and no MULTIPORT: receiveq0 (0) carries input
 * to the guest, transmitq0 (1) the guest's output to a host byte stream.
 *
 * Output back-pressure: when the stream takes fewer bytes than offered, the request being
 * sent is kept (not returned to the guest) with the count already sent, and sending resumes
 * at the next notify or, on platforms with timers, a millisecond later. Linux's hvc driver
 * spins on the used ring without further notifies, so the timer is what makes progress there.
 * Nothing is dropped, and nothing spins on the host.
 */
#include "virtio/virtio.h"

#define HV__CONSOLE_F_SIZE 0
#define HV__CONSOLE_F_EMERG_WRITE 2

#define HV__CONSOLE_RXQ 0
#define HV__CONSOLE_TXQ 1

#define HV__CONSOLE_COLS 80
#define HV__CONSOLE_ROWS 25
#define HV__CONSOLE_CONFIG_SIZE 12             /* cols, rows, max_nr_ports, emerg_wr */
#define HV__CONSOLE_RETRY_NS 1000000ull        /* output held back: try again after 1 ms */
#define HV__CONSOLE_IDLE_RETRY_NS 100000000ull /* the same while the VM does not run */

struct hv__console {
	struct hv__virtio *v;
	hv_chardev_t out;
	void *timer;        /* NULL on platforms without timers */
	bool pending;       /* tx holds a request part-sent */
	size_t pending_off; /* readable bytes of it already taken by out */
	struct hv__vq_req tx;
	struct hv__vq_req rx; /* scratch for input, under the lock */
};

/* Offer bytes to the host stream; how many it took. No stream: everything is taken. */
static size_t hv__console_emit(struct hv__console *c, const uint8_t *buf, size_t len)
{
	size_t n;

	if (c->out.ops == NULL || len == 0)
		return len;
	n = c->out.ops->write(c->out.ctx, buf, len);
	return n < len ? n : len;
}

/* Send what is left of the pending request. True when all of it went out. */
static bool hv__console_flush(struct hv__console *c)
{
	const struct hv__vq_req *req = &c->tx;
	size_t skip = c->pending_off;
	uint32_t i;

	for (i = 0; i < req->nseg; i++) {
		const struct hv__vq_seg *s = &req->seg[i];
		size_t n;

		if (s->device_writes)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = hv__console_emit(c, s->hva + skip, s->len - skip);
		c->pending_off += n;
		if (n < s->len - skip)
			return false;
		skip = 0;
	}
	return true;
}

/* Send the guest's output until the queue is empty or the stream pushes back. Lock held. */
static void hv__console_tx(struct hv__console *c)
{
	struct hv__virtio *v = c->v;
	struct hv__vq *vq = &v->vq[HV__CONSOLE_TXQ];
	bool pushed = false;

	if (!hv__virtio_live(v))
		return;
	for (;;) {
		if (!c->pending) {
			int rc = hv__vq_pop(vq, &c->tx);

			if (rc < 0) {
				hv__virtio_error(v);
				break;
			}
			if (rc == 0)
				break;
			c->pending = true;
			c->pending_off = 0;
		}
		if (!hv__console_flush(c)) {
			if (c->timer != NULL)
				hv__timer_arm(c->timer, hv__time_ns() + HV__CONSOLE_RETRY_NS);
			break;
		}
		c->pending = false;
		hv__vq_push(vq, c->tx.head, 0);
		pushed = true;
	}
	if (pushed)
		hv__virtio_notify(v, HV__CONSOLE_TXQ);
}

static void hv__console_retry(void *arg)
{
	struct hv__virtio *v = arg;
	struct hv__console *c = v->dev;

	/* A timer thread touching guest memory: hold the map (before the device lock). */
	hv__vm_map_hold(v->vm);
	hv__lock(v->lock);
	if (c->pending && hv__vm_state(v->vm) == HV_VM_RUNNING)
		hv__console_tx(c);
	else if (c->pending && c->timer != NULL)
		hv__timer_arm(c->timer, hv__time_ns() + HV__CONSOLE_IDLE_RETRY_NS);
	hv__unlock(v->lock);
	hv__vm_map_release(v->vm);
}

static void hv__console_notify(struct hv__virtio *v, uint16_t q)
{
	/* Receive buffers are filled when input arrives; nothing to do for their notify. */
	if (q == HV__CONSOLE_TXQ)
		hv__console_tx(v->dev);
}

static size_t hv__console_input(void *ctx, const uint8_t *buf, size_t len)
{
	struct hv__virtio *v = ctx;
	struct hv__vq *vq = &v->vq[HV__CONSOLE_RXQ];
	struct hv__vq_req *req = &((struct hv__console *)v->dev)->rx;
	size_t taken = 0;
	bool pushed = false;

	/* A host thread touching guest memory: hold the map (before the device lock). */
	hv__vm_map_hold(v->vm);
	hv__lock(v->lock);
	if (!hv__virtio_live(v) || !vq->ready || hv__vm_state(v->vm) != HV_VM_RUNNING)
		goto out;
	while (taken < len) {
		int rc = hv__vq_pop(vq, req);
		size_t n;

		if (rc < 0) {
			hv__virtio_error(v);
			break;
		}
		if (rc == 0)
			break;
		n = hv__vq_req_write(req, 0, buf + taken, len - taken);
		hv__vq_push(vq, req->head, (uint32_t)n);
		pushed = true;
		taken += n;
	}
	if (pushed)
		hv__virtio_notify(v, HV__CONSOLE_RXQ);
out:
	hv__unlock(v->lock);
	hv__vm_map_release(v->vm);
	return taken;
}

static void hv__console_config_read(struct hv__virtio *v, uint32_t off, uint32_t width,
				    uint64_t *value)
{
	uint8_t cfg[HV__CONSOLE_CONFIG_SIZE] = {
		HV__CONSOLE_COLS, 0, HV__CONSOLE_ROWS, 0, 1, 0, 0, 0, 0, 0, 0, 0,
	};
	uint64_t val = 0;

	HV__UNUSED(v);
	hv__memcpy(&val, cfg + off, width);
	*value = val;
}

static void hv__console_config_write(struct hv__virtio *v, uint32_t off, uint32_t width,
				     uint64_t value)
{
	struct hv__console *c = v->dev;
	uint8_t ch = (uint8_t)value;

	/* emerg_wr: one character, sent at once; the rest of the configuration is read-only. */
	if (off == 8 && width == 4 && hv__virtio_has(v, HV__CONSOLE_F_EMERG_WRITE))
		(void)hv__console_emit(c, &ch, 1);
	else
		HV_LOGD("virtio-console: config write at %u ignored", off);
}

static void hv__console_reset(struct hv__virtio *v)
{
	struct hv__console *c = v->dev;

	/* The request in flight belonged to the old rings; it is dropped with them. */
	c->pending = false;
	c->pending_off = 0;
}

static void hv__console_destroy(struct hv__virtio *v)
{
	struct hv__console *c = v->dev;

	if (c->timer != NULL)
		hv__timer_destroy(c->timer);
	hv__chardev_release(&c->out);
	hv__free(c, sizeof(*c));
}

static const struct hv__virtio_dev_ops hv__console_ops = {
	.device_id = HV_VIRTIO_ID_CONSOLE,
	.features = (1ull << HV__CONSOLE_F_SIZE) | (1ull << HV__CONSOLE_F_EMERG_WRITE),
	.num_queues = 2,
	.config_size = HV__CONSOLE_CONFIG_SIZE,
	.config_read = hv__console_config_read,
	.config_write = hv__console_config_write,
	.queue_notify = hv__console_notify,
	.reset = hv__console_reset,
	.destroy = hv__console_destroy,
};

static const struct hv__devclass hv__console_class = {
	.kind = HV__DEV_SERIAL,
	.fdt_kind = HV_FDT_DEV_VIRTIO_MMIO,
	.serial_input = hv__console_input,
};

hv_status_t hv_virtio_console_add(hv_vm_t *vm, const hv_virtio_console_config_t *config,
				  hv_device_t **device)
{
	struct hv__console *c;
	struct hv__virtio *v;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_virtio_console_config_t) != HV_OK)
		return HV_ERR_ABI;
	st = hv__chardev_check(&config->out);
	if (st != HV_OK)
		return st;
	c = hv__alloc(sizeof(*c));
	if (c == NULL)
		return HV_ERR_NO_MEMORY;
	c->out = config->out;
	st = hv__virtio_mmio_add(vm, config->name != NULL ? config->name : "virtio-console",
				 &config->mmio, &hv__console_ops, c, &hv__console_class, &v,
				 device);
	if (st != HV_OK) {
		hv__free(c, sizeof(*c));
		return st;
	}
	c->v = v;
	/* Without timers, output held back by the stream moves on at the next notify. */
	c->timer = hv__timer_create(hv__console_retry, v);
	return HV_OK;
}
