/* SPDX-License-Identifier: MIT */
/*
 * The split virtqueue (VIRTIO 1.2, 2.7), device side. The guest owns the rings and may rewrite
 * any of them at any time, from another vCPU, while we read: each index and descriptor is
 * loaded once into a local and checked there, never re-read; chains are bounded by hop counts;
 * every buffer is translated and bounds-checked against one memory region before it is used.
 */
#include "virtio/virtio.h"

#define HV__VQ_MAX_LEN 0xffffffffull /* total bytes of one request */

/* Byte offsets of the fields in the avail and used areas. */
#define HV__AVAIL_IDX 1 /* in uint16_t units */
#define HV__AVAIL_RING 2
#define HV__USED_IDX 1
#define HV__USED_RING_BYTES 4

static bool hv__pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/*
 * The region holding [gpa, gpa + size), if one does wholly and the device may access it so:
 * the device writes only to memory the guest could write itself (not ROM, not a read-only
 * shared mapping). Returns the host address of gpa or NULL; *avail receives the bytes of the
 * region from gpa on (for buffers that continue into the next region).
 */
static uint8_t *hv__vq_xlate(hv_vm_t *vm, uint64_t gpa, bool write, uint64_t *avail)
{
	hv_region_t *r;
	uint64_t off;

	if (hv_vm_find_region(vm, gpa, &r) != HV_OK || gpa < r->gpa)
		return NULL;
	if (write && (r->type == HV_REGION_ROM || (r->flags & HV_REGION_READONLY) != 0))
		return NULL;
	off = gpa - r->gpa;
	if (off >= r->size)
		return NULL;
	*avail = r->size - off;
	return r->hva + off;
}

/* A whole area inside one region, or NULL. */
static void *hv__vq_area(hv_vm_t *vm, uint64_t gpa, uint64_t size, bool write)
{
	uint64_t avail;
	uint8_t *p = hv__vq_xlate(vm, gpa, write, &avail);

	return p != NULL && size <= avail ? p : NULL;
}

hv_status_t hv__vq_enable(struct hv__vq *vq, hv_vm_t *vm, bool event_idx, bool indirect)
{
	uint64_t n = vq->size;
	void *desc, *avail, *used;

	if (!hv__pow2(vq->size) || vq->size > HV_VQ_MAX_SIZE)
		return HV_ERR_INVALID_ARG;
	if ((vq->desc_gpa & 15) != 0 || (vq->avail_gpa & 1) != 0 || (vq->used_gpa & 3) != 0)
		return HV_ERR_INVALID_ARG;
	/* Sizes per 2.7: the event fields are counted whether or not EVENT_IDX is used. */
	desc = hv__vq_area(vm, vq->desc_gpa, 16 * n, false);
	avail = hv__vq_area(vm, vq->avail_gpa, 6 + 2 * n, false);
	used = hv__vq_area(vm, vq->used_gpa, 6 + 8 * n, true);
	if (desc == NULL || avail == NULL || used == NULL)
		return HV_ERR_INVALID_ARG;
	vq->vm = vm;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->broken = false;
	vq->ready = true;
	return HV_OK;
}

void hv__vq_disable(struct hv__vq *vq)
{
	vq->ready = false;
	vq->broken = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
}

static int hv__vq_fail(struct hv__vq *vq, const char *why)
{
	HV_LOGD("virtqueue: %s", why);
	vq->broken = true;
	return -1;
}

/* Append one buffer, split where it crosses into an adjacent region. */
static int hv__vq_add_buf(struct hv__vq *vq, struct hv__vq_req *req, uint64_t addr, uint32_t len,
			  bool write)
{
	uint64_t left = len;

	if (addr + (len - 1) < addr)
		return hv__vq_fail(vq, "buffer wraps");
	if ((uint64_t)req->out_len + req->in_len + len > HV__VQ_MAX_LEN)
		return hv__vq_fail(vq, "request longer than 4 GiB");
	while (left != 0) {
		uint64_t avail;
		uint8_t *p = hv__vq_xlate(vq->vm, addr, write, &avail);
		uint32_t n;

		if (p == NULL)
			return hv__vq_fail(vq, "buffer outside guest memory");
		if (req->nseg == HV_VQ_MAX_SEGS)
			return hv__vq_fail(vq, "too many segments");
		n = (uint32_t)(avail < left ? avail : left);
		req->seg[req->nseg].hva = p;
		req->seg[req->nseg].len = n;
		req->seg[req->nseg].device_writes = write;
		req->nseg++;
		addr += n;
		left -= n;
	}
	if (write)
		req->in_len += len;
	else
		req->out_len += len;
	return 1;
}

/* Flatten the chain starting at head. 1 on success, -1 if the guest broke the rules. */
static int hv__vq_walk(struct hv__vq *vq, uint16_t head, struct hv__vq_req *req)
{
	const struct hv__vring_desc *table = vq->desc;
	uint32_t table_len = vq->size;
	uint32_t idx = head;
	uint32_t hops = 0;
	bool in_indirect = false;
	bool seen_write = false;

	for (;;) {
		struct hv__vring_desc d;

		if (idx >= table_len)
			return hv__vq_fail(vq, "descriptor index out of range");
		if (++hops > table_len)
			return hv__vq_fail(vq, "descriptor chain loops");
		/* The one read of this descriptor: everything below looks at the copy. */
		hv__memcpy(&d, &table[idx], sizeof(d));
		__atomic_signal_fence(__ATOMIC_SEQ_CST);

		if (d.flags & HV_VRING_DESC_F_INDIRECT) {
			uint8_t *p;

			if (!vq->indirect)
				return hv__vq_fail(vq, "indirect descriptor not negotiated");
			if (in_indirect)
				return hv__vq_fail(vq, "nested indirect table");
			if (d.len == 0 || (d.len % sizeof(d)) != 0 ||
			    d.len / sizeof(d) > HV_VQ_MAX_SIZE)
				return hv__vq_fail(vq, "bad indirect table length");
			p = hv__vq_area(vq->vm, d.addr, d.len, false);
			if (p == NULL)
				return hv__vq_fail(vq, "indirect table outside guest memory");
			/*
			 * The table ends the chain: NEXT on the indirect descriptor (which the
			 * spec forbids) is ignored, as Linux's vhost does.
			 */
			table = (const struct hv__vring_desc *)p;
			table_len = d.len / sizeof(d);
			idx = 0;
			hops = 0;
			in_indirect = true;
			continue;
		}
		if (d.len != 0) {
			bool write = (d.flags & HV_VRING_DESC_F_WRITE) != 0;

			if (!write && seen_write)
				return hv__vq_fail(vq, "readable descriptor after a writable one");
			seen_write |= write;
			if (hv__vq_add_buf(vq, req, d.addr, d.len, write) < 0)
				return -1;
		}
		if ((d.flags & HV_VRING_DESC_F_NEXT) == 0)
			return 1;
		idx = d.next;
	}
}

int hv__vq_pop(struct hv__vq *vq, struct hv__vq_req *req)
{
	uint16_t avail_idx, head;
	int rc;

	if (!vq->ready)
		return 0;
	if (vq->broken)
		return -1;
	avail_idx = __atomic_load_n(&vq->avail[HV__AVAIL_IDX], __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail && vq->event_idx) {
		/*
		 * Empty: ask for a notification at the next buffer, then look again, in case
		 * the driver added one before it could see avail_event (2.7.10).
		 */
		hv__vq_update_avail_event(vq);
		avail_idx = __atomic_load_n(&vq->avail[HV__AVAIL_IDX], __ATOMIC_ACQUIRE);
	}
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return hv__vq_fail(vq, "avail index ran ahead of the ring");
	head = __atomic_load_n(&vq->avail[HV__AVAIL_RING + (vq->last_avail & (vq->size - 1))],
			       __ATOMIC_RELAXED);
	req->head = head;
	req->nseg = 0;
	req->out_len = 0;
	req->in_len = 0;
	rc = hv__vq_walk(vq, head, req);
	if (rc < 0)
		return rc;
	vq->last_avail++;
	return 1;
}

void hv__vq_push(struct hv__vq *vq, uint16_t head, uint32_t written)
{
	volatile uint32_t *elem;

	if (!vq->ready || vq->broken)
		return;
	elem = (volatile uint32_t *)((volatile uint8_t *)vq->used + HV__USED_RING_BYTES +
				     8u * (vq->used_idx & (vq->size - 1)));
	__atomic_store_n(&elem[0], (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], written, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* The element is visible before the index that publishes it. */
	__atomic_store_n(&vq->used[HV__USED_IDX], vq->used_idx, __ATOMIC_RELEASE);
}

bool hv__vq_need_interrupt(struct hv__vq *vq)
{
	uint16_t old, new, event;
	bool valid;

	if (!vq->ready || vq->broken)
		return false;
	/* Our used->idx store before the driver's flags or used_event (2.7.7.2, 2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return (__atomic_load_n(&vq->avail[0], __ATOMIC_RELAXED) &
			HV_VRING_AVAIL_F_NO_INTERRUPT) == 0;
	old = vq->signalled_used;
	new = vq->used_idx;
	valid = vq->signalled_valid;
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = __atomic_load_n(&vq->avail[HV__AVAIL_RING + vq->size], __ATOMIC_RELAXED);
	/* vring_need_event(): did used_idx pass used_event since the last interrupt? */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void hv__vq_update_avail_event(struct hv__vq *vq)
{
	volatile uint16_t *ev;

	if (!vq->ready || vq->broken || !vq->event_idx)
		return;
	ev = (volatile uint16_t *)((volatile uint8_t *)vq->used + HV__USED_RING_BYTES +
				   8u * vq->size);
	__atomic_store_n(ev, vq->last_avail, __ATOMIC_RELAXED);
	/* avail_event is visible before we read avail->idx again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static size_t hv__vq_copy(const struct hv__vq_req *req, bool writable, size_t offset, uint8_t *buf,
			  const uint8_t *src, size_t len)
{
	size_t done = 0;
	uint32_t i;

	for (i = 0; i < req->nseg && done < len; i++) {
		const struct hv__vq_seg *s = &req->seg[i];
		size_t n;

		if (s->device_writes != writable)
			continue;
		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		n = s->len - offset;
		if (n > len - done)
			n = len - done;
		if (writable)
			hv__memcpy(s->hva + offset, src + done, n);
		else
			hv__memcpy(buf + done, s->hva + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t hv__vq_req_read(const struct hv__vq_req *req, size_t offset, void *buf, size_t len)
{
	return hv__vq_copy(req, false, offset, buf, NULL, len);
}

size_t hv__vq_req_write(const struct hv__vq_req *req, size_t offset, const void *buf, size_t len)
{
	return hv__vq_copy(req, true, offset, NULL, buf, len);
}
