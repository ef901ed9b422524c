/* SPDX-License-Identifier: MIT */
/*
 * VIRTIO 1.x inside the library: the split-virtqueue engine (virtqueue.c) and the virtio-mmio
 * transport, version 2 (mmio.c), on which the device models (console.c, blk.c, net.c, rng.c)
 * are built. Freestanding. All multi-byte fields in guest memory are little-endian, as the
 * hosts hvlib supports are.
 *
 * Everything here reads guest memory that the guest may change at any moment: every index,
 * length and address is checked where it is used, each descriptor is read once, chains are
 * bounded, and a malformed queue puts the device in DEVICE_NEEDS_RESET rather than touching
 * anything outside the guest's RAM.
 */
#ifndef HV_VIRTIO_H
#define HV_VIRTIO_H

#include "hv_internal.h"

/* ---- constants from the VIRTIO 1.2 specification -------------------------------------- */

#define HV_VIRTIO_MAGIC 0x74726976u /* "virt" */
#define HV_VIRTIO_MMIO_VERSION 2u
#define HV_VIRTIO_VENDOR 0x4c564856u /* "HVLV" */

/* virtio-mmio register offsets */
enum {
	HV_VMMIO_MAGIC = 0x000,
	HV_VMMIO_VERSION = 0x004,
	HV_VMMIO_DEVICE_ID = 0x008,
	HV_VMMIO_VENDOR_ID = 0x00c,
	HV_VMMIO_DEVICE_FEATURES = 0x010,
	HV_VMMIO_DEVICE_FEATURES_SEL = 0x014,
	HV_VMMIO_DRIVER_FEATURES = 0x020,
	HV_VMMIO_DRIVER_FEATURES_SEL = 0x024,
	HV_VMMIO_QUEUE_SEL = 0x030,
	HV_VMMIO_QUEUE_NUM_MAX = 0x034,
	HV_VMMIO_QUEUE_NUM = 0x038,
	HV_VMMIO_QUEUE_READY = 0x044,
	HV_VMMIO_QUEUE_NOTIFY = 0x050,
	HV_VMMIO_INTERRUPT_STATUS = 0x060,
	HV_VMMIO_INTERRUPT_ACK = 0x064,
	HV_VMMIO_STATUS = 0x070,
	HV_VMMIO_QUEUE_DESC_LOW = 0x080,
	HV_VMMIO_QUEUE_DESC_HIGH = 0x084,
	HV_VMMIO_QUEUE_DRIVER_LOW = 0x090,
	HV_VMMIO_QUEUE_DRIVER_HIGH = 0x094,
	HV_VMMIO_QUEUE_DEVICE_LOW = 0x0a0,
	HV_VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	HV_VMMIO_SHM_SEL = 0x0ac,
	HV_VMMIO_SHM_LEN_LOW = 0x0b0,
	HV_VMMIO_SHM_LEN_HIGH = 0x0b4,
	HV_VMMIO_SHM_BASE_LOW = 0x0b8,
	HV_VMMIO_SHM_BASE_HIGH = 0x0bc,
	HV_VMMIO_QUEUE_RESET = 0x0c0,
	HV_VMMIO_CONFIG_GENERATION = 0x0fc,
	HV_VMMIO_CONFIG = 0x100,
};

/* Device status bits */
#define HV_VIRTIO_STATUS_ACKNOWLEDGE 1u
#define HV_VIRTIO_STATUS_DRIVER 2u
#define HV_VIRTIO_STATUS_DRIVER_OK 4u
#define HV_VIRTIO_STATUS_FEATURES_OK 8u
#define HV_VIRTIO_STATUS_NEEDS_RESET 64u
#define HV_VIRTIO_STATUS_FAILED 128u

/* InterruptStatus bits */
#define HV_VIRTIO_INT_VRING 1u
#define HV_VIRTIO_INT_CONFIG 2u

/* Transport feature bits */
#define HV_VIRTIO_F_INDIRECT_DESC 28
#define HV_VIRTIO_F_EVENT_IDX 29
#define HV_VIRTIO_F_VERSION_1 32
#define HV_VIRTIO_F_ACCESS_PLATFORM 33
#define HV_VIRTIO_F_RING_RESET 40

/* Device IDs */
#define HV_VIRTIO_ID_NET 1u
#define HV_VIRTIO_ID_BLOCK 2u
#define HV_VIRTIO_ID_CONSOLE 3u
#define HV_VIRTIO_ID_RNG 4u

/* Split-ring layout */
#define HV_VRING_DESC_F_NEXT 1u
#define HV_VRING_DESC_F_WRITE 2u
#define HV_VRING_DESC_F_INDIRECT 4u
#define HV_VRING_AVAIL_F_NO_INTERRUPT 1u
#define HV_VRING_USED_F_NO_NOTIFY 1u

struct hv__vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct hv__vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/* ---- the split virtqueue -------------------------------------------------------------- */

#define HV_VQ_MAX_SIZE 1024u /* QueueNumMax offered by every device */
#define HV_VQ_MAX_SEGS 256u  /* segments in one request, indirect ones included */

struct hv__vq {
	hv_vm_t *vm;
	uint16_t size;   /* QueueNum: a power of two <= HV_VQ_MAX_SIZE, 0 if unset */
	bool ready;      /* QueueReady as last written by the driver and accepted */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views of the three areas, translated and bounds-checked when the queue is enabled */
	struct hv__vring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
	volatile uint16_t *used;  /* flags, idx, then used elements, then avail_event */
	uint16_t last_avail;      /* next avail ring index the device will consume */
	uint16_t used_idx;        /* the device's copy of used->idx */
	uint16_t signalled_used;  /* used_idx at the last interrupt (event index) */
	bool signalled_valid;
	bool event_idx;           /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;            /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;              /* the guest corrupted the queue: nothing more is done with it */
};

/* One guest buffer of a request, already translated: inside one memory region. */
struct hv__vq_seg {
	uint8_t *hva;
	uint32_t len;
	bool device_writes; /* VRING_DESC_F_WRITE: the device writes it (an "in" buffer) */
};

/* A descriptor chain, flattened. Readable ("out") segments come before writable ("in") ones. */
struct hv__vq_req {
	uint16_t head;
	uint32_t nseg;
	uint32_t out_len; /* total bytes the device may read */
	uint32_t in_len;  /* total bytes the device may write */
	struct hv__vq_seg seg[HV_VQ_MAX_SEGS];
};

/*
 * Enable a queue: translate its areas (each wholly inside guest RAM, aligned as the spec
 * requires) and reset its indices. HV_OK, or HV_ERR_INVALID_ARG for a size or an area the
 * spec forbids (the transport then refuses QueueReady and flags the device).
 */
hv_status_t hv__vq_enable(struct hv__vq *vq, hv_vm_t *vm, bool event_idx, bool indirect);
void hv__vq_disable(struct hv__vq *vq);

/*
 * Take the next available chain. Returns 1 with *req filled, 0 if none is available (or the
 * queue is not ready), or -1 if the guest corrupted the queue (bad index, bad address, a loop,
 * too many segments, a writable segment before a readable one, a nested indirect table, an
 * avail index more than `size` ahead): the queue is then marked broken (later pops return -1
 * again) and the caller reports a device error (hv__virtio_error()).
 *
 * Buffers must lie in guest memory regions; one that runs into an adjacent region becomes
 * several segments. Device-writable buffers must be in memory the guest may write (not ROM,
 * not a read-only shared mapping). Zero-length descriptors are skipped. An indirect table
 * holds at most HV_VQ_MAX_SIZE descriptors; NEXT on the indirect descriptor is ignored (the
 * table ends the chain).
 *
 * With EVENT_IDX, a pop that finds the ring empty has re-armed notifications (avail_event set
 * to last_avail, then the ring looked at again): a device that pops until 0 will be notified
 * of the next buffer. One that stops earlier must not expect a notification for what it left.
 */
int hv__vq_pop(struct hv__vq *vq, struct hv__vq_req *req);

/* Return a chain to the driver with the number of bytes written into its "in" segments. */
void hv__vq_push(struct hv__vq *vq, uint16_t head, uint32_t written);

/* After pushes: does the driver want an interrupt (flags, or used_event with event index)? */
bool hv__vq_need_interrupt(struct hv__vq *vq);

/*
 * With event index: set avail_event to last_avail (notify me at the next buffer), followed by
 * a full barrier. hv__vq_pop() does this itself when it finds the ring empty.
 */
void hv__vq_update_avail_event(struct hv__vq *vq);

/*
 * Copy helpers across a request's segments, bounded by their lengths: read takes bytes from
 * the readable segments, offset counting readable bytes only; write puts bytes into the
 * writable ones, offset counting writable bytes only. Both return the bytes copied.
 */
size_t hv__vq_req_read(const struct hv__vq_req *req, size_t offset, void *buf, size_t len);
size_t hv__vq_req_write(const struct hv__vq_req *req, size_t offset, const void *buf, size_t len);

/* ---- the virtio-mmio transport -------------------------------------------------------- */

#define HV_VIRTIO_MAX_QUEUES 8u

struct hv__virtio;

/* What a device model tells the transport. */
struct hv__virtio_dev_ops {
	uint32_t device_id;
	uint64_t features;   /* device feature bits; the transport adds VERSION_1, EVENT_IDX... */
	uint16_t num_queues; /* <= HV_VIRTIO_MAX_QUEUES */
	uint32_t config_size;
	/* Device-specific configuration space; off + width <= config_size is checked before. */
	void (*config_read)(struct hv__virtio *v, uint32_t off, uint32_t width, uint64_t *value);
	void (*config_write)(struct hv__virtio *v, uint32_t off, uint32_t width, uint64_t value);
	/*
	 * The driver notified queue q (ready, not broken). Called with v->lock held; the device
	 * may drop and retake it around a call out of the library (virtio-net's link send, see
	 * hostdev.h's locking rule): the transport only unlocks after this returns.
	 */
	void (*queue_notify)(struct hv__virtio *v, uint16_t q);
	/* DRIVER_OK was set: features are final (v->driver_features). Lock held. Optional. */
	void (*driver_ok)(struct hv__virtio *v);
	/* The device is reset (status 0 written, or the VM reset). Lock held. Optional. */
	void (*reset)(struct hv__virtio *v);
	/* Release the device model's state (the transport frees itself). Optional. */
	void (*destroy)(struct hv__virtio *v);
};

struct hv__virtio {
	hv_vm_t *vm;
	const struct hv__virtio_dev_ops *ops;
	void *dev;          /* the device model's state */
	hv_irq_line_t *irq;
	void *lock;         /* serialises guest accesses, host input and queue processing */
	hv_device_t *device;       /* the bus device (its name is used in logs) */
	uint64_t device_features; /* ops->features and the transport's own bits */
	uint32_t status;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t interrupt_status;
	uint32_t config_generation;
	struct hv__vq vq[HV_VIRTIO_MAX_QUEUES];
};

/*
 * Create a virtio-mmio device at mmio->base (window HV_VIRTIO_MMIO_SIZE) with its line on
 * mmio->irq, for the device model (ops, dev). Checks as hv_device_add and hv_irq_route_add.
 * On success *out is the transport (v->dev == dev) and *device (optional) the bus device; the
 * transport then owns dev (ops->destroy runs when the device goes). On failure nothing was
 * created and dev still belongs to the caller. The device's ctx, and so the ctx the devclass
 * callbacks (cls->serial_input) receive, is the struct hv__virtio: take v->lock in them.
 */
hv_status_t hv__virtio_mmio_add(hv_vm_t *vm, const char *name, const hv_virtio_mmio_t *mmio,
			       const struct hv__virtio_dev_ops *ops, void *dev,
			       const struct hv__devclass *cls, struct hv__virtio **out,
			       hv_device_t **device);

/* Used buffers were pushed on queue q: raise the interrupt if the driver wants one. Lock held. */
void hv__virtio_notify(struct hv__virtio *v, uint16_t q);
/* The configuration space changed: bump the generation, raise a config interrupt. Lock held. */
void hv__virtio_config_changed(struct hv__virtio *v);
/* The guest broke the device: set DEVICE_NEEDS_RESET and tell the driver. Lock held. */
void hv__virtio_error(struct hv__virtio *v);
/* Was feature bit `bit` negotiated? */
bool hv__virtio_has(const struct hv__virtio *v, unsigned bit);
/* Is the device live (DRIVER_OK set, NEEDS_RESET not)? */
bool hv__virtio_live(const struct hv__virtio *v);

#ifdef HVLIB_HOSTED
/* lib/hosted/entropy.c: the host's random bytes (getrandom(2), never blocking). */
hv_status_t hv__entropy_default(void *ctx, void *buf, size_t len);
#endif

/* virtio-net's dropped-frame counters (receive without buffers, oversize transmit). */
void hv__virtio_net_drops(hv_device_t *device, uint64_t *rx, uint64_t *tx);

#endif /* HV_VIRTIO_H */
