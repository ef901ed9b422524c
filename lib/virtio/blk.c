/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (VIRTIO 1.2, 5.2): one disk, one request queue, processed synchronously when the
 * driver notifies it (the storage is a host callback). A request is a 16-byte header (type,
 * reserved, sector) in the readable part, data, and a status byte: the last writable byte.
 * Everything in a request is checked before the storage sees it: the header's length, the
 * data's length (whole sectors), the range against the capacity (without overflow), the
 * disk's write permission, discard and write-zeroes segments and their flags. A chain with
 * no writable byte for the status cannot be answered: that is a device error.
 */
#include "virtio/virtio.h"

#define HV__SECTOR 512u
#define HV__SECTOR_SHIFT 9

/* Feature bits (5.2.3) */
#define HV__BLK_F_SEG_MAX 2
#define HV__BLK_F_RO 5
#define HV__BLK_F_BLK_SIZE 6
#define HV__BLK_F_FLUSH 9
#define HV__BLK_F_DISCARD 13
#define HV__BLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6) */
#define HV__BLK_T_IN 0u
#define HV__BLK_T_OUT 1u
#define HV__BLK_T_FLUSH 4u
#define HV__BLK_T_GET_ID 8u
#define HV__BLK_T_DISCARD 11u
#define HV__BLK_T_WRITE_ZEROES 13u

#define HV__BLK_S_OK 0u
#define HV__BLK_S_IOERR 1u
#define HV__BLK_S_UNSUPP 2u

#define HV__BLK_ID_BYTES 20u
#define HV__BLK_HDR_SIZE 16u
#define HV__BLK_DWZ_SIZE 16u /* struct virtio_blk_discard_write_zeroes */
#define HV__BLK_DWZ_F_UNMAP 1u

/* Limits advertised in the configuration. */
#define HV__BLK_SEG_MAX (HV_VQ_MAX_SEGS - 2) /* header and status take one each */
#define HV__BLK_MAX_DISCARD_SECTORS (1u << 22)
#define HV__BLK_MAX_WZ_SECTORS (1u << 16)
#define HV__BLK_MAX_DWZ_SEGS 16u

/* struct virtio_blk_config offsets (5.2.4) */
enum {
	HV__BLK_CFG_CAPACITY = 0,
	HV__BLK_CFG_SIZE_MAX = 8,
	HV__BLK_CFG_SEG_MAX = 12,
	HV__BLK_CFG_GEOMETRY = 16,
	HV__BLK_CFG_BLK_SIZE = 20,
	HV__BLK_CFG_TOPOLOGY = 24,
	HV__BLK_CFG_WRITEBACK = 32,
	HV__BLK_CFG_NUM_QUEUES = 34,
	HV__BLK_CFG_MAX_DISCARD_SECTORS = 36,
	HV__BLK_CFG_MAX_DISCARD_SEG = 40,
	HV__BLK_CFG_DISCARD_ALIGNMENT = 44,
	HV__BLK_CFG_MAX_WZ_SECTORS = 48,
	HV__BLK_CFG_MAX_WZ_SEG = 52,
	HV__BLK_CFG_WZ_MAY_UNMAP = 56,
	HV__BLK_CFG_MAX_SECURE_ERASE_SECTORS = 60,
	HV__BLK_CFG_ZONED = 72,
	HV__BLK_CFG_SIZE = 96,
};

#define HV__ZERO_CHUNK 16384u
/*
 * Not const on purpose: in .bss an untouched zero buffer costs no memory (reads map the
 * kernel's zero page), where .rodata would be file pages a VMM keeps resident.
 */
static uint8_t hv__blk_zeros[HV__ZERO_CHUNK];

struct hv__blk {
	hv_blockdev_t disk;
	uint64_t sectors;
	bool read_only;
	bool can_discard;
	bool can_write_zeroes;
	uint8_t serial[HV__BLK_ID_BYTES];
	uint8_t config[HV__BLK_CFG_SIZE];
	struct hv__vq_req req; /* the request being processed; under the transport lock */
};

struct hv__blk_dwz {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

static const char *hv__blk_name(const struct hv__virtio *v)
{
	return v->device != NULL ? v->device->name : "virtio-blk";
}

static void hv__put_le(uint8_t *p, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> (8 * i));
}

static uint64_t hv__get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Is [sector, sector + count) inside the disk? Without overflow for any values. */
static bool hv__blk_range_ok(const struct hv__blk *b, uint64_t sector, uint64_t count)
{
	return sector <= b->sectors && count <= b->sectors - sector;
}

/*
 * Move `len` bytes between the disk at `disk_off` and the request's readable (to_disk) or
 * writable (!to_disk) segments, starting `skip` bytes into them. *done counts bytes moved.
 */
static bool hv__blk_io(struct hv__blk *b, const struct hv__vq_req *req, bool to_disk, uint32_t skip,
		       uint32_t len, uint64_t disk_off, uint32_t *done)
{
	*done = 0;
	for (uint32_t i = 0; i < req->nseg && len > 0; i++) {
		const struct hv__vq_seg *s = &req->seg[i];
		uint32_t n;
		hv_status_t st;

		if (s->device_writes == to_disk)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = s->len - skip;
		if (n > len)
			n = len;
		if (to_disk)
			st = b->disk.ops->write(b->disk.ctx, disk_off, s->hva + skip, n);
		else
			st = b->disk.ops->read(b->disk.ctx, disk_off, s->hva + skip, n);
		if (st != HV_OK)
			return false;
		skip = 0;
		len -= n;
		disk_off += n;
		*done += n;
	}
	return len == 0;
}

static uint8_t hv__blk_in(struct hv__blk *b, const struct hv__vq_req *req, uint64_t sector,
			  uint32_t *written)
{
	uint32_t len = req->in_len - 1;

	if (len % HV__SECTOR != 0 || !hv__blk_range_ok(b, sector, len / HV__SECTOR))
		return HV__BLK_S_IOERR;
	if (!hv__blk_io(b, req, false, 0, len, sector << HV__SECTOR_SHIFT, written))
		return HV__BLK_S_IOERR;
	return HV__BLK_S_OK;
}

static uint8_t hv__blk_out(struct hv__blk *b, const struct hv__vq_req *req, uint64_t sector)
{
	uint32_t len = req->out_len - HV__BLK_HDR_SIZE;
	uint32_t done;

	if (b->read_only || len % HV__SECTOR != 0 || !hv__blk_range_ok(b, sector, len / HV__SECTOR))
		return HV__BLK_S_IOERR;
	if (!hv__blk_io(b, req, true, HV__BLK_HDR_SIZE, len, sector << HV__SECTOR_SHIFT, &done))
		return HV__BLK_S_IOERR;
	return HV__BLK_S_OK;
}

static hv_status_t hv__blk_zero(struct hv__blk *b, uint64_t off, uint64_t len)
{
	while (len > 0) {
		size_t n = len < HV__ZERO_CHUNK ? (size_t)len : HV__ZERO_CHUNK;
		hv_status_t st = b->disk.ops->write(b->disk.ctx, off, hv__blk_zeros, n);

		if (st != HV_OK)
			return st;
		off += n;
		len -= n;
	}
	return HV_OK;
}

/* DISCARD and WRITE_ZEROES: every segment is checked before any is carried out. */
static uint8_t hv__blk_dwz(struct hv__blk *b, const struct hv__vq_req *req, uint32_t type)
{
	struct hv__blk_dwz seg[HV__BLK_MAX_DWZ_SEGS];
	bool discard = type == HV__BLK_T_DISCARD;
	uint32_t len = req->out_len - HV__BLK_HDR_SIZE;
	uint32_t count = len / HV__BLK_DWZ_SIZE;
	uint32_t max_sectors = discard ? HV__BLK_MAX_DISCARD_SECTORS : HV__BLK_MAX_WZ_SECTORS;
	uint8_t status = HV__BLK_S_OK;

	if (b->read_only)
		return HV__BLK_S_IOERR;
	if (discard ? !b->can_discard : !b->can_write_zeroes)
		return HV__BLK_S_UNSUPP;
	if (len == 0 || len % HV__BLK_DWZ_SIZE != 0 || count > HV__BLK_MAX_DWZ_SEGS)
		return HV__BLK_S_IOERR;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t raw[HV__BLK_DWZ_SIZE];

		hv__vq_req_read(req, HV__BLK_HDR_SIZE + i * HV__BLK_DWZ_SIZE, raw, sizeof(raw));
		seg[i].sector = hv__get_le(raw, 8);
		seg[i].num_sectors = (uint32_t)hv__get_le(raw + 8, 4);
		seg[i].flags = (uint32_t)hv__get_le(raw + 12, 4);
		/* Unknown flags, and unmap on a discard, are unsupported (5.2.6.2). */
		if (seg[i].flags & ~(discard ? 0u : HV__BLK_DWZ_F_UNMAP))
			return HV__BLK_S_UNSUPP;
		if (seg[i].num_sectors > max_sectors ||
		    !hv__blk_range_ok(b, seg[i].sector, seg[i].num_sectors))
			status = HV__BLK_S_IOERR;
	}
	if (status != HV__BLK_S_OK)
		return status;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t off = seg[i].sector << HV__SECTOR_SHIFT;
		uint64_t n = (uint64_t)seg[i].num_sectors << HV__SECTOR_SHIFT;
		hv_status_t st;

		if (n == 0)
			continue;
		st = discard ? b->disk.ops->discard(b->disk.ctx, off, n) : hv__blk_zero(b, off, n);
		if (st != HV_OK)
			return HV__BLK_S_IOERR;
	}
	return HV__BLK_S_OK;
}

/* Carry out one request (in_len >= 1); *written counts data bytes put in its buffers. */
static uint8_t hv__blk_request(struct hv__virtio *v, struct hv__blk *b,
			       const struct hv__vq_req *req, uint32_t *written)
{
	uint8_t hdr[HV__BLK_HDR_SIZE];
	uint32_t type;
	uint64_t sector;
	uint32_t n;

	*written = 0;
	if (req->out_len < HV__BLK_HDR_SIZE) {
		HV_LOGD("%s: request with a %u-byte header", hv__blk_name(v), req->out_len);
		return HV__BLK_S_IOERR;
	}
	hv__vq_req_read(req, 0, hdr, sizeof(hdr));
	type = (uint32_t)hv__get_le(hdr, 4);
	sector = hv__get_le(hdr + 8, 8);

	switch (type) {
	case HV__BLK_T_IN:
		return hv__blk_in(b, req, sector, written);
	case HV__BLK_T_OUT:
		return hv__blk_out(b, req, sector);
	case HV__BLK_T_FLUSH:
		if (b->disk.ops->flush != NULL && b->disk.ops->flush(b->disk.ctx) != HV_OK)
			return HV__BLK_S_IOERR;
		return HV__BLK_S_OK;
	case HV__BLK_T_GET_ID:
		n = req->in_len - 1 < HV__BLK_ID_BYTES ? req->in_len - 1 : HV__BLK_ID_BYTES;
		*written = (uint32_t)hv__vq_req_write(req, 0, b->serial, n);
		return HV__BLK_S_OK;
	case HV__BLK_T_DISCARD:
	case HV__BLK_T_WRITE_ZEROES:
		return hv__blk_dwz(b, req, type);
	default:
		HV_LOGD("%s: request type %u unsupported", hv__blk_name(v), type);
		return HV__BLK_S_UNSUPP;
	}
}

static void hv__blk_notify(struct hv__virtio *v, uint16_t q)
{
	struct hv__blk *b = v->dev;
	struct hv__vq *vq = &v->vq[q];
	struct hv__vq_req *req = &b->req;
	bool pushed = false;

	for (;;) {
		uint32_t written;
		uint8_t status;
		int r = hv__vq_pop(vq, req);

		if (r == 0)
			break;
		if (r < 0) {
			hv__virtio_error(v);
			break;
		}
		if (req->in_len == 0) {
			HV_LOGD("%s: request without a status byte", hv__blk_name(v));
			hv__virtio_error(v);
			break;
		}
		status = hv__blk_request(v, b, req, &written);
		hv__vq_req_write(req, req->in_len - 1, &status, 1);
		hv__vq_push(vq, req->head, written + 1);
		pushed = true;
	}
	if (pushed)
		hv__virtio_notify(v, q);
}

static void hv__blk_config_read(struct hv__virtio *v, uint32_t off, uint32_t width, uint64_t *value)
{
	struct hv__blk *b = v->dev;

	*value = hv__get_le(b->config + off, width);
}

static void hv__blk_config_write(struct hv__virtio *v, uint32_t off, uint32_t width, uint64_t value)
{
	HV__UNUSED(value);
	/* writeback is writable only with CONFIG_WCE, which is not offered. */
	HV_LOGD("%s: config write of %u bytes at 0x%x ignored", hv__blk_name(v), width, off);
}

/* The state and, right after it, its ops table (which depends on the disk). */
#define HV__BLK_ALLOC_SIZE (sizeof(struct hv__blk) + sizeof(struct hv__virtio_dev_ops))

static void hv__blk_free(struct hv__blk *b)
{
	hv__free(b, HV__BLK_ALLOC_SIZE);
}

static void hv__blk_destroy(struct hv__virtio *v)
{
	struct hv__blk *b = v->dev;

	if (b->disk.ops->destroy != NULL)
		b->disk.ops->destroy(b->disk.ctx);
	hv__blk_free(b);
}

static void hv__blk_fill_config(struct hv__blk *b)
{
	uint8_t *c = b->config;

	hv__put_le(c + HV__BLK_CFG_CAPACITY, b->sectors, 8);
	hv__put_le(c + HV__BLK_CFG_SEG_MAX, HV__BLK_SEG_MAX, 4);
	hv__put_le(c + HV__BLK_CFG_BLK_SIZE, HV__SECTOR, 4);
	hv__put_le(c + HV__BLK_CFG_NUM_QUEUES, 1, 2);
	if (b->can_discard) {
		hv__put_le(c + HV__BLK_CFG_MAX_DISCARD_SECTORS, HV__BLK_MAX_DISCARD_SECTORS, 4);
		hv__put_le(c + HV__BLK_CFG_MAX_DISCARD_SEG, HV__BLK_MAX_DWZ_SEGS, 4);
		hv__put_le(c + HV__BLK_CFG_DISCARD_ALIGNMENT, 1, 4);
	}
	if (b->can_write_zeroes) {
		hv__put_le(c + HV__BLK_CFG_MAX_WZ_SECTORS, HV__BLK_MAX_WZ_SECTORS, 4);
		hv__put_le(c + HV__BLK_CFG_MAX_WZ_SEG, HV__BLK_MAX_DWZ_SEGS, 4);
	}
}

static const struct hv__devclass hv__blk_class = {
	.kind = HV__DEV_OTHER,
	.fdt_kind = HV_FDT_DEV_VIRTIO_MMIO,
};

static hv_status_t hv__blk_check(const hv_virtio_blk_config_t *c)
{
	const hv_blockdev_ops_t *ops = c->disk.ops;

	if (HV__CHECK_STRUCT(c, hv_virtio_blk_config_t) != HV_OK)
		return HV_ERR_ABI;
	if (ops == NULL)
		return HV_ERR_INVALID_ARG;
	if (ops->struct_size != sizeof(hv_blockdev_ops_t) ||
	    ops->version != HV_BLOCKDEV_OPS_VERSION)
		return HV_ERR_ABI;
	if (ops->read == NULL || c->disk.size == 0 || c->disk.size % HV__SECTOR != 0)
		return HV_ERR_INVALID_ARG;
	return HV_OK;
}

hv_status_t hv_virtio_blk_add(hv_vm_t *vm, const hv_virtio_blk_config_t *config,
			      hv_device_t **device)
{
	struct hv__virtio_dev_ops *ops;
	struct hv__virtio *v;
	struct hv__blk *b;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	st = hv__blk_check(config);
	if (st != HV_OK)
		return st;
	b = hv__alloc(HV__BLK_ALLOC_SIZE);
	if (b == NULL)
		return HV_ERR_NO_MEMORY;
	b->disk = config->disk;
	b->sectors = config->disk.size / HV__SECTOR;
	b->read_only = config->disk.read_only || config->disk.ops->write == NULL;
	b->can_discard = !b->read_only && config->disk.ops->discard != NULL;
	b->can_write_zeroes = !b->read_only;
	if (config->serial != NULL) {
		for (uint32_t i = 0; i < HV__BLK_ID_BYTES && config->serial[i] != '\0'; i++)
			b->serial[i] = (uint8_t)config->serial[i];
	}
	hv__blk_fill_config(b);

	ops = (struct hv__virtio_dev_ops *)(b + 1);
	ops->device_id = HV_VIRTIO_ID_BLOCK;
	ops->features = (1ull << HV__BLK_F_SEG_MAX) | (1ull << HV__BLK_F_BLK_SIZE) |
			(1ull << HV__BLK_F_FLUSH);
	if (b->read_only)
		ops->features |= 1ull << HV__BLK_F_RO;
	if (b->can_discard)
		ops->features |= 1ull << HV__BLK_F_DISCARD;
	if (b->can_write_zeroes)
		ops->features |= 1ull << HV__BLK_F_WRITE_ZEROES;
	ops->num_queues = 1;
	ops->config_size = HV__BLK_CFG_SIZE;
	ops->config_read = hv__blk_config_read;
	ops->config_write = hv__blk_config_write;
	ops->queue_notify = hv__blk_notify;
	ops->destroy = hv__blk_destroy;

	st = hv__virtio_mmio_add(vm, config->name != NULL ? config->name : "virtio-blk",
				 &config->mmio, ops, b, &hv__blk_class, &v, device);
	if (st != HV_OK) {
		hv__blk_free(b);
		return st;
	}
	return HV_OK;
}
