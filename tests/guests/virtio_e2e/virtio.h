/* SPDX-License-Identifier: MIT */
/*
 * A minimal guest-side VIRTIO driver for test guests: the virtio-mmio transport, version 2, and
 * split virtqueues, written from the VIRTIO 1.2 specification (sections 2, 3.1, 4.2). It runs
 * without interrupts: requests are completed by polling the used ring, and the driver asks
 * the device not to interrupt (VIRTQ_AVAIL_F_NO_INTERRUPT).
 *
 * Assumptions of the test environment: identity mapping (a pointer is a guest-physical
 * address), one vCPU, a little-endian CPU (x86), no allocator (the caller gives each queue its
 * memory).
 *
 * Use: virtio_init() (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK), virtq_setup() for
 * each queue, virtio_driver_ok(); then virtq_submit() a chain of buffers, virtq_kick(), and
 * virtq_poll() for its completion (or virtq_run() for all three). On an error the caller
 * may give up with virtio_fail().
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the specification's constants ---------------------------------------------------- */

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */

/* virtio-mmio registers (4.2.2) */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

/* Device status (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Reserved feature bits (6) */
#define VIRTIO_F_VERSION_1 32

/* Device IDs (5) */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_CONSOLE 3u

/* Split virtqueue (2.7) */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event (only with VIRTIO_F_EVENT_IDX, not used here) */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* then avail_event */
};

/* ---- the driver --------------------------------------------------------------------------- */

/* Errors: what went wrong, for the test's report. */
enum virtio_err {
	VIRTIO_OK = 0,
	VIRTIO_E_MAGIC = -1,    /* no virtio-mmio device at the base */
	VIRTIO_E_VERSION = -2,  /* not version 2 (legacy devices are not supported) */
	VIRTIO_E_DEVICE = -3,   /* another device ID (0: a placeholder, no device) */
	VIRTIO_E_FEATURES = -4, /* VERSION_1 not offered, or FEATURES_OK not kept */
	VIRTIO_E_QUEUE = -5,    /* the queue does not exist, is in use, or memory too small */
	VIRTIO_E_FULL = -6,     /* not enough free descriptors */
	VIRTIO_E_TIMEOUT = -7,  /* the device did not use the buffer in time */
	VIRTIO_E_BROKEN = -8,   /* the device set DEVICE_NEEDS_RESET, or used a wrong buffer */
};

struct virtio_dev {
	uintptr_t base; /* the register window */
	uint32_t device_id;
	uint64_t offered;  /* DeviceFeatures */
	uint64_t features; /* what was negotiated */
};

struct virtq {
	struct virtio_dev *dev;
	uint16_t index; /* the queue's number */
	uint16_t num;   /* QueueNum: a power of two */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t free_head; /* free descriptors, linked through `next` */
	uint16_t num_free;
	uint16_t avail_idx; /* the driver's copy of avail->idx */
	uint16_t last_used; /* used entries collected */
};

/* One buffer of a chain: `device_writes` marks an "in" buffer (VIRTQ_DESC_F_WRITE). */
struct virtq_buf {
	void *addr;
	uint32_t len;
	bool device_writes;
};

/*
 * Find and initialise the device at `base` (3.1.1 steps 1-6): check the magic value, version 2
 * and `device_id`; reset; ACKNOWLEDGE; DRIVER; read the offered features and accept
 * `offered & wanted` plus VERSION_1 (which must be offered); FEATURES_OK and read it back.
 * On failure the FAILED bit is set (except when there is no such device).
 */
int virtio_init(struct virtio_dev *d, uintptr_t base, uint32_t device_id, uint64_t wanted);

/*
 * Set up queue `index` (4.2.3.2) in `mem` (`mem_size` bytes, 4096-aligned, zeroed here) with
 * at most `max_num` entries (a power of two), no more than QueueNumMax nor what fits in mem.
 */
int virtq_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, void *mem, size_t mem_size,
		uint16_t max_num);
/* Bytes of memory a queue of `num` entries needs, as laid out by virtq_setup(). */
size_t virtq_mem_size(uint16_t num);

/* Set DRIVER_OK (3.1.1 step 8); returns VIRTIO_OK or VIRTIO_E_BROKEN. */
int virtio_driver_ok(struct virtio_dev *d);
/* Give up on the device: set FAILED (3.1.1). */
void virtio_fail(struct virtio_dev *d);
/* The device status register. */
uint32_t virtio_status(struct virtio_dev *d);

/*
 * Device configuration space (4.2.2.2: 8-bit fields with 8-bit accesses, 16-bit with 16-bit,
 * 32- and 64-bit fields with 32-bit ones). 64-bit reads retry until ConfigGeneration is stable.
 */
uint8_t virtio_config8(struct virtio_dev *d, uint32_t off);
uint16_t virtio_config16(struct virtio_dev *d, uint32_t off);
uint32_t virtio_config32(struct virtio_dev *d, uint32_t off);
uint64_t virtio_config64(struct virtio_dev *d, uint32_t off);

/*
 * Make a chain of `n` buffers available (readable ones first, as 2.7.4.2 requires); returns the
 * head descriptor (>= 0) or VIRTIO_E_FULL. Does not notify.
 */
int virtq_submit(struct virtq *q, const struct virtq_buf *bufs, unsigned n);
/* Notify the device, unless it asked not to be (VIRTQ_USED_F_NO_NOTIFY). */
void virtq_kick(struct virtq *q);
/*
 * Poll the used ring for the next used element, at most `spins` times; on success frees its
 * chain, stores the written length in *len (may be NULL) and returns the head. Otherwise
 * VIRTIO_E_TIMEOUT, or VIRTIO_E_BROKEN for a bad id or a device needing reset.
 */
int virtq_poll(struct virtq *q, uint32_t *len, uint32_t spins);
/* Submit, kick and poll one chain; returns the written length (>= 0) or an error. */
int virtq_run(struct virtq *q, const struct virtq_buf *bufs, unsigned n);

/* ---- small freestanding helpers (GCC may call the first four itself) ---------------------- */

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
