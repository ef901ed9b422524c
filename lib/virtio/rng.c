/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (VIRTIO 1.2, 5.4): one requestq; each request's writable buffers are filled from
 * the entropy source, at most HV__RNG_MAX_REQ bytes per request so that one request cannot
 * hold a vCPU for long. A failing source returns the request with nothing written; the driver
 * asks again.
 */
#include "virtio/virtio.h"

#define HV__RNG_MAX_REQ (64u * 1024u)

struct hv__rng {
	hv_entropy_fn entropy;
	void *ctx;
	struct hv__vq_req req; /* under the transport's lock */
};

/* Fill up to HV__RNG_MAX_REQ bytes of the request's writable segments. Bytes written. */
static uint32_t hv__rng_fill(struct hv__rng *r, const struct hv__vq_req *req)
{
	uint32_t done = 0;
	uint32_t i;

	for (i = 0; i < req->nseg && done < HV__RNG_MAX_REQ; i++) {
		const struct hv__vq_seg *s = &req->seg[i];
		uint32_t n;

		if (!s->device_writes)
			continue;
		n = s->len < HV__RNG_MAX_REQ - done ? s->len : HV__RNG_MAX_REQ - done;
		if (r->entropy(r->ctx, s->hva, n) != HV_OK) {
			HV_LOGD("virtio-rng: entropy source failed");
			return 0;
		}
		done += n;
	}
	return done;
}

static void hv__rng_notify(struct hv__virtio *v, uint16_t q)
{
	struct hv__rng *r = v->dev;
	struct hv__vq *vq = &v->vq[q];
	struct hv__vq_req *req = &r->req;
	bool pushed = false;
	int rc;

	while ((rc = hv__vq_pop(vq, req)) > 0) {
		hv__vq_push(vq, req->head, hv__rng_fill(r, req));
		pushed = true;
	}
	if (rc < 0)
		hv__virtio_error(v);
	if (pushed)
		hv__virtio_notify(v, q);
}

static void hv__rng_destroy(struct hv__virtio *v)
{
	hv__free(v->dev, sizeof(struct hv__rng));
}

static const struct hv__virtio_dev_ops hv__rng_ops = {
	.device_id = HV_VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_notify = hv__rng_notify,
	.destroy = hv__rng_destroy,
};

static const struct hv__devclass hv__rng_class = {
	.kind = HV__DEV_OTHER,
	.fdt_kind = HV_FDT_DEV_VIRTIO_MMIO,
};

hv_status_t hv_virtio_rng_add(hv_vm_t *vm, const hv_virtio_rng_config_t *config,
			      hv_device_t **device)
{
	struct hv__rng *r;
	hv_entropy_fn fn;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_virtio_rng_config_t) != HV_OK)
		return HV_ERR_ABI;
	fn = config->entropy;
	if (fn == NULL) {
#ifdef HVLIB_HOSTED
		fn = hv__entropy_default;
#else
		return HV_ERR_UNSUPPORTED;
#endif
	}
	r = hv__alloc(sizeof(*r));
	if (r == NULL)
		return HV_ERR_NO_MEMORY;
	r->entropy = fn;
	r->ctx = config->entropy_ctx;
	st = hv__virtio_mmio_add(vm, config->name != NULL ? config->name : "virtio-rng",
				 &config->mmio, &hv__rng_ops, r, &hv__rng_class, NULL, device);
	if (st != HV_OK)
		hv__free(r, sizeof(*r));
	return st;
}
