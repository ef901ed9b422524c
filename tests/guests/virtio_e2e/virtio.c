/* SPDX-License-Identifier: MIT */
/*
 * Guest-side virtio-mmio (version 2) and split-virtqueue driver; see virtio.h. Section numbers
 * refer to the VIRTIO 1.2 specification.
 */
#include "virtio.h"

/* The ring pages this driver lays out: descriptors, then the driver area, then the device area. */
#define VIRTQ_ALIGN_DESC 16
#define VIRTQ_ALIGN_AVAIL 2
#define VIRTQ_ALIGN_USED 4

/*
 * Ordering. x86 keeps stores in order and loads in order, so the ring's publish steps need only
 * a compiler barrier; a store followed by a load of something else (avail->idx, then
 * used->flags) needs a full fence. MMIO accesses are uncached and exit to the hypervisor.
 */
#define barrier() __asm__ __volatile__("" ::: "memory")
#define mb() __asm__ __volatile__("lock; addl $0, (%%rsp)" ::: "memory", "cc")

static inline uint32_t rd32(const struct virtio_dev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static inline void wr32(const struct virtio_dev *d, uint32_t off, uint32_t value)
{
	*(volatile uint32_t *)(d->base + off) = value;
}

static inline uint16_t load16(const volatile uint16_t *p)
{
	return *p;
}

static inline void store16(volatile uint16_t *p, uint16_t v)
{
	*p = v;
}

uint32_t virtio_status(struct virtio_dev *d)
{
	return rd32(d, VIRTIO_MMIO_STATUS);
}

static void set_status(struct virtio_dev *d, uint32_t bits)
{
	wr32(d, VIRTIO_MMIO_STATUS, rd32(d, VIRTIO_MMIO_STATUS) | bits);
}

void virtio_fail(struct virtio_dev *d)
{
	set_status(d, VIRTIO_STATUS_FAILED);
}

int virtio_init(struct virtio_dev *d, uintptr_t base, uint32_t device_id, uint64_t wanted)
{
	uint64_t want;

	d->base = base;
	d->device_id = 0;
	d->offered = 0;
	d->features = 0;
	/* 4.2.3.1.1: magic value, version, then a device ID of zero means no device. */
	if (rd32(d, VIRTIO_MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE)
		return VIRTIO_E_MAGIC;
	if (rd32(d, VIRTIO_MMIO_VERSION) != 2)
		return VIRTIO_E_VERSION;
	d->device_id = rd32(d, VIRTIO_MMIO_DEVICE_ID);
	if (d->device_id != device_id)
		return VIRTIO_E_DEVICE;

	/* 3.1.1: reset, and wait until the device reads back 0 (4.2.2.1). */
	wr32(d, VIRTIO_MMIO_STATUS, 0);
	while (rd32(d, VIRTIO_MMIO_STATUS) != 0)
		;
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);

	wr32(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	d->offered = rd32(d, VIRTIO_MMIO_DEVICE_FEATURES);
	wr32(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	d->offered |= (uint64_t)rd32(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if (!(d->offered & (1ull << VIRTIO_F_VERSION_1))) {
		virtio_fail(d);
		return VIRTIO_E_FEATURES;
	}
	want = (wanted & d->offered) | (1ull << VIRTIO_F_VERSION_1);
	wr32(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr32(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	wr32(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr32(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));

	/* 3.1.1 steps 5-6: the device may refuse the subset; FEATURES_OK tells. */
	set_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(rd32(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_fail(d);
		return VIRTIO_E_FEATURES;
	}
	d->features = want;
	return VIRTIO_OK;
}

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Offsets of the three areas in a queue's memory; returns the total size. */
static size_t virtq_layout(uint16_t num, size_t *avail_off, size_t *used_off)
{
	size_t a = sizeof(struct virtq_desc) * num;
	size_t u = align_up(a + 4 + 2u * num + 2, VIRTQ_ALIGN_USED);

	*avail_off = a;
	*used_off = u;
	return u + 4 + sizeof(struct virtq_used_elem) * num + 2;
}

size_t virtq_mem_size(uint16_t num)
{
	size_t a, u;

	return virtq_layout(num, &a, &u);
}

int virtq_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, void *mem, size_t mem_size,
		uint16_t max_num)
{
	uintptr_t m = (uintptr_t)mem;
	size_t avail_off, used_off;
	uint32_t num_max;
	uint16_t num;

	if (m % 4096 != 0)
		return VIRTIO_E_QUEUE;
	/* 4.2.3.2: select the queue, check it is not in use, read its maximum size. */
	wr32(d, VIRTIO_MMIO_QUEUE_SEL, index);
	if (rd32(d, VIRTIO_MMIO_QUEUE_READY) != 0)
		return VIRTIO_E_QUEUE;
	num_max = rd32(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (num_max == 0)
		return VIRTIO_E_QUEUE;
	num = max_num;
	while (num > 1 && (num > num_max || virtq_layout(num, &avail_off, &used_off) > mem_size))
		num >>= 1;
	if (virtq_layout(num, &avail_off, &used_off) > mem_size)
		return VIRTIO_E_QUEUE;

	memset(mem, 0, virtq_layout(num, &avail_off, &used_off));
	q->dev = d;
	q->index = index;
	q->num = num;
	q->desc = mem;
	q->avail = (struct virtq_avail *)(m + avail_off);
	q->used = (struct virtq_used *)(m + used_off);
	for (uint16_t i = 0; i < num; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->num_free = num;
	q->avail_idx = 0;
	q->last_used = 0;
	/* We poll: no used-buffer notifications, please (2.7.7). */
	q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;

	wr32(d, VIRTIO_MMIO_QUEUE_NUM, num);
	wr32(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)q->desc);
	wr32(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((uint64_t)(uintptr_t)q->desc >> 32));
	wr32(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)q->avail);
	wr32(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((uint64_t)(uintptr_t)q->avail >> 32));
	wr32(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)q->used);
	wr32(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((uint64_t)(uintptr_t)q->used >> 32));
	wr32(d, VIRTIO_MMIO_QUEUE_READY, 1);
	if (rd32(d, VIRTIO_MMIO_QUEUE_READY) != 1)
		return VIRTIO_E_QUEUE;
	return VIRTIO_OK;
}

int virtio_driver_ok(struct virtio_dev *d)
{
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
	if ((rd32(d, VIRTIO_MMIO_STATUS) & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) !=
	    VIRTIO_STATUS_DRIVER_OK)
		return VIRTIO_E_BROKEN;
	return VIRTIO_OK;
}

/* ---- configuration space ------------------------------------------------------------------ */

uint8_t virtio_config8(struct virtio_dev *d, uint32_t off)
{
	return *(volatile uint8_t *)(d->base + VIRTIO_MMIO_CONFIG + off);
}

uint16_t virtio_config16(struct virtio_dev *d, uint32_t off)
{
	return *(volatile uint16_t *)(d->base + VIRTIO_MMIO_CONFIG + off);
}

uint32_t virtio_config32(struct virtio_dev *d, uint32_t off)
{
	return rd32(d, VIRTIO_MMIO_CONFIG + off);
}

uint64_t virtio_config64(struct virtio_dev *d, uint32_t off)
{
	uint32_t gen, lo, hi;

	/* 4.2.2.2 / 2.5.1: two 32-bit reads, consistent if the generation did not change. */
	do {
		gen = rd32(d, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = virtio_config32(d, off);
		hi = virtio_config32(d, off + 4);
	} while (rd32(d, VIRTIO_MMIO_CONFIG_GENERATION) != gen);
	return (uint64_t)hi << 32 | lo;
}

/* ---- the split virtqueue -------------------------------------------------------------------- */

int virtq_submit(struct virtq *q, const struct virtq_buf *bufs, unsigned n)
{
	uint16_t head, i, last = 0;

	if (n == 0 || n > q->num_free)
		return VIRTIO_E_FULL;
	head = q->free_head;
	i = head;
	for (unsigned k = 0; k < n; k++) {
		struct virtq_desc *dsc = &q->desc[i];

		dsc->addr = (uint64_t)(uintptr_t)bufs[k].addr;
		dsc->len = bufs[k].len;
		dsc->flags = (uint16_t)((bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
					(k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		last = i;
		i = dsc->next;
	}
	q->free_head = q->desc[last].next;
	q->num_free = (uint16_t)(q->num_free - n);

	/* 2.7.13: the ring entry, then (after a barrier) the index that publishes it. */
	q->avail->ring[q->avail_idx & (q->num - 1)] = head;
	barrier();
	q->avail_idx++;
	store16(&q->avail->idx, q->avail_idx);
	return head;
}

void virtq_kick(struct virtq *q)
{
	/* 2.7.13.4: read the device's flags only after the index is visible. */
	mb();
	if (!(load16(&q->used->flags) & VIRTQ_USED_F_NO_NOTIFY))
		wr32(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

/* Return a used chain to the free list; false if it is not a chain we handed out. */
static bool virtq_free_chain(struct virtq *q, uint16_t head)
{
	uint16_t i = head, n = 1;

	while (q->desc[i].flags & VIRTQ_DESC_F_NEXT) {
		i = q->desc[i].next;
		if (i >= q->num || ++n > q->num)
			return false;
	}
	q->desc[i].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
	return true;
}

int virtq_poll(struct virtq *q, uint32_t *len, uint32_t spins)
{
	struct virtq_used_elem e;

	while (load16(&q->used->idx) == q->last_used) {
		if (spins-- == 0)
			return (virtio_status(q->dev) & VIRTIO_STATUS_NEEDS_RESET) ?
				       VIRTIO_E_BROKEN :
				       VIRTIO_E_TIMEOUT;
	}
	/* The element is read only after the index that published it. */
	barrier();
	e = q->used->ring[q->last_used & (q->num - 1)];
	q->last_used++;
	if (e.id >= q->num || !virtq_free_chain(q, (uint16_t)e.id))
		return VIRTIO_E_BROKEN;
	if (len != NULL)
		*len = e.len;
	return (int)e.id;
}

int virtq_run(struct virtq *q, const struct virtq_buf *bufs, unsigned n)
{
	uint32_t len = 0;
	int head = virtq_submit(q, bufs, n);
	int r;

	if (head < 0)
		return head;
	virtq_kick(q);
	/* The device works during the notify's exit: the answer is there, or very soon. */
	r = virtq_poll(q, &len, 100000);
	if (r < 0)
		return r;
	if (r != head)
		return VIRTIO_E_BROKEN;
	/* Nothing takes interrupts here; keep InterruptStatus (and the line) low anyway. */
	uint32_t isr = rd32(q->dev, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (isr != 0)
		wr32(q->dev, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	return (int)len;
}

/* ---- freestanding helpers --------------------------------------------------------------------- */

void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n != 0; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != 0)
		n++;
	return n;
}
