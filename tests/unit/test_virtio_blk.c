/* SPDX-License-Identifier: MIT */
/* virtio-blk: configuration, every request type, every error path, memory and file disks. */
#include "virtio_driver.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#define BASE 0x10000000ull
#define IRQ 5
#define RAM_GPA 0x0ull
#define RAM_SIZE (4ull << 20)
#define DISK_SIZE (64u * 1024u)
#define SECTORS (DISK_SIZE / 512u)

#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)
#define F_DISCARD (1ull << 13)
#define F_WRITE_ZEROES (1ull << 14)
#define F_VERSION_1 (1ull << 32)

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13

#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

/* A disk whose calls are counted and can be made to fail. */
struct cdisk {
	uint8_t *mem;
	unsigned reads, writes, flushes, discards, destroys;
	bool fail;
};

static hv_status_t cd_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct cdisk *c = ctx;

	c->reads++;
	if (c->fail)
		return HV_ERR_BACKEND;
	memcpy(buf, c->mem + off, len);
	return HV_OK;
}

static hv_status_t cd_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct cdisk *c = ctx;

	c->writes++;
	assert_true(off + len <= DISK_SIZE);
	if (c->fail)
		return HV_ERR_BACKEND;
	memcpy(c->mem + off, buf, len);
	return HV_OK;
}

static hv_status_t cd_flush(void *ctx)
{
	struct cdisk *c = ctx;

	c->flushes++;
	return c->fail ? HV_ERR_BACKEND : HV_OK;
}

static hv_status_t cd_discard(void *ctx, uint64_t off, uint64_t len)
{
	struct cdisk *c = ctx;

	c->discards++;
	assert_true(off + len <= DISK_SIZE);
	if (c->fail)
		return HV_ERR_BACKEND;
	memset(c->mem + off, 0, len);
	return HV_OK;
}

static void cd_destroy(void *ctx)
{
	((struct cdisk *)ctx)->destroys++;
}

static const hv_blockdev_ops_t cd_ops = {
	.struct_size = sizeof(hv_blockdev_ops_t),
	.version = HV_BLOCKDEV_OPS_VERSION,
	.read = cd_read,
	.write = cd_write,
	.flush = cd_flush,
	.discard = cd_discard,
	.destroy = cd_destroy,
};

struct env {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	struct vd d;
	uint8_t mem[DISK_SIZE];
	struct cdisk cd;
	uint64_t features;
};

static void env_add(struct env *e, hv_blockdev_t disk, const char *serial)
{
	hv_virtio_blk_config_t c = HV_VIRTIO_BLK_CONFIG_INIT;

	e->vm = ts_vm_new(0);
	e->vcpu = ts_vcpu_new(e->vm, 0);
	ts_map_ram(e->vm, RAM_GPA, RAM_SIZE);
	c.name = "vda";
	c.mmio.base = BASE;
	c.mmio.irq = IRQ;
	c.disk = disk;
	c.serial = serial;
	assert_int_equal(hv_virtio_blk_add(e->vm, &c, &e->dev), HV_OK);
	vd_init(&e->d, e->vm, e->vcpu, BASE, RAM_GPA, RAM_SIZE);
	e->features = vd_device_features(&e->d);
	assert_true(vd_negotiate(&e->d, ~0ull) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&e->d, 0, 64), 1);
	assert_true(vd_driver_ok(&e->d) & HV_VIRTIO_STATUS_DRIVER_OK);
}

static struct env *env_new_disk(hv_blockdev_t disk, const char *serial)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	env_add(e, disk, serial);
	return e;
}

/* A memory disk over e->mem or, with counted, the counting disk over the same memory. */
static struct env *env_new(bool read_only, bool counted)
{
	struct env *e = calloc(1, sizeof(*e));
	hv_blockdev_t disk;

	assert_non_null(e);
	if (counted) {
		e->cd.mem = e->mem;
		disk = (hv_blockdev_t){ .ops = &cd_ops,
					.ctx = &e->cd,
					.size = DISK_SIZE,
					.read_only = read_only };
	} else {
		assert_int_equal(hv_blockdev_memory(e->mem, DISK_SIZE, read_only, &disk), HV_OK);
	}
	env_add(e, disk, "serial-0001");
	return e;
}

static void env_free(struct env *e)
{
	hv_vm_destroy(e->vm);
	free(e);
}

/*
 * One request: header (readable), optional data (readable for writes, writable for reads),
 * status (writable). Returns the status byte; *used gets the used length.
 */
static uint8_t blk_req(struct env *e, uint32_t type, uint64_t sector, void *data, uint32_t len,
		       bool data_in, uint32_t *used)
{
	struct vd_buf b[3];
	uint64_t hdr = vd_alloc(&e->d, 16, 16);
	uint64_t dat = len ? vd_alloc(&e->d, len, 16) : 0;
	uint64_t st = vd_alloc(&e->d, 1, 1);
	uint8_t *h = vd_ptr(&e->d, hdr);
	unsigned n = 0;
	uint32_t id, ulen;
	uint16_t head;

	memcpy(h, &type, 4);
	memset(h + 4, 0, 4);
	memcpy(h + 8, &sector, 8);
	*(uint8_t *)vd_ptr(&e->d, st) = 0xee;
	b[n++] = (struct vd_buf){ hdr, 16, false };
	if (len) {
		/* Readable data, or what a writable buffer holds before the device writes. */
		if (data != NULL)
			memcpy(vd_ptr(&e->d, dat), data, len);
		b[n++] = (struct vd_buf){ dat, len, data_in };
	}
	b[n++] = (struct vd_buf){ st, 1, true };
	head = vd_add(&e->d, 0, b, n);
	vd_kick(&e->d, 0);
	assert_true(vd_used(&e->d, 0, &id, &ulen));
	assert_int_equal(id, head);
	if (used != NULL)
		*used = ulen;
	if (len && data_in)
		memcpy(data, vd_ptr(&e->d, dat), len);
	return *(uint8_t *)vd_ptr(&e->d, st);
}

struct dwz {
	uint64_t sector;
	uint32_t num;
	uint32_t flags;
};

static uint8_t blk_dwz(struct env *e, uint32_t type, const struct dwz *segs, unsigned n)
{
	return blk_req(e, type, 0, (void *)segs, (uint32_t)(n * sizeof(*segs)), false, NULL);
}

static uint32_t status_reg(struct env *e)
{
	return vd_rd(&e->d, HV_VMMIO_STATUS);
}

/* ---- configuration --------------------------------------------------------------------------- */

static void test_blk_config_layout_matches_the_spec(void **state)
{
	struct env *e = env_new(false, false);

	(void)state;
	assert_int_equal(vd_rd(&e->d, HV_VMMIO_DEVICE_ID), 2);
	assert_int_equal(vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, capacity), 8),
			 SECTORS);
	assert_int_equal(vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, capacity), 4),
			 SECTORS);
	assert_int_equal(vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, seg_max), 4), 254);
	assert_int_equal(vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, blk_size), 4), 512);
	assert_int_equal(vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, num_queues), 2), 1);
	assert_int_equal(
		vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, max_discard_sectors), 4),
		1u << 22);
	assert_int_equal(vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, max_discard_seg), 4),
			 16);
	assert_int_equal(
		vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, discard_sector_alignment), 4),
		1);
	assert_int_equal(
		vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, max_write_zeroes_sectors), 4),
		1u << 16);
	assert_int_equal(
		vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, max_write_zeroes_seg), 4), 16);
	assert_int_equal(
		vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, write_zeroes_may_unmap), 1), 0);
	/* Past the end of the configuration: ignored, reads 0. */
	assert_int_equal(vd_cfg_rd(&e->d, 96, 4), 0);
	assert_int_equal(vd_cfg_rd(&e->d, 94, 4), 0);
	/* Writes are ignored. */
	vd_access(&e->d, HV_VMMIO_CONFIG, 4, true, 0x1234);
	assert_int_equal(vd_cfg_rd(&e->d, 0, 4), SECTORS);
	assert_true(e->features & F_SEG_MAX);
	assert_true(e->features & F_BLK_SIZE);
	assert_true(e->features & F_FLUSH);
	assert_true(e->features & F_DISCARD);
	assert_true(e->features & F_WRITE_ZEROES);
	assert_true(e->features & F_VERSION_1);
	assert_false(e->features & F_RO);
	env_free(e);
}

/* ---- reads and writes ------------------------------------------------------------------------ */

static void test_blk_write_then_read_round_trips(void **state)
{
	struct env *e = env_new(false, false);
	uint8_t out[1024], in[1024];
	uint32_t used;

	(void)state;
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(blk_req(e, T_OUT, 5, out, sizeof(out), false, &used), S_OK);
	assert_int_equal(used, 1);
	assert_memory_equal(e->mem + 5 * 512, out, sizeof(out));
	memset(in, 0, sizeof(in));
	assert_int_equal(blk_req(e, T_IN, 5, in, sizeof(in), true, &used), S_OK);
	assert_int_equal(used, sizeof(in) + 1);
	assert_memory_equal(in, out, sizeof(in));
	/* The last sector of the disk is reachable. */
	assert_int_equal(blk_req(e, T_OUT, SECTORS - 1, out, 512, false, NULL), S_OK);
	assert_int_equal(blk_req(e, T_IN, SECTORS - 1, in, 512, true, NULL), S_OK);
	/* Zero-length data is fine. */
	assert_int_equal(blk_req(e, T_IN, 0, NULL, 0, true, &used), S_OK);
	assert_int_equal(used, 1);
	env_free(e);
}

static void test_blk_handles_split_headers_and_data(void **state)
{
	struct env *e = env_new(false, false);
	uint64_t h1 = vd_alloc(&e->d, 16, 16);
	uint64_t d1 = vd_alloc(&e->d, 300, 4), d2 = vd_alloc(&e->d, 724, 4);
	uint64_t st = vd_alloc(&e->d, 8, 8);
	uint8_t *h = vd_ptr(&e->d, h1);
	uint32_t type = T_IN, len;
	uint64_t sector = 2;
	struct vd_buf b[5];

	(void)state;
	for (unsigned i = 0; i < DISK_SIZE; i++)
		e->mem[i] = (uint8_t)(i ^ (i >> 8));
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
	/* Header in two pieces (5 + 11 bytes), data in two, and the status after them. */
	b[0] = (struct vd_buf){ h1, 5, false };
	b[1] = (struct vd_buf){ h1 + 5, 11, false };
	b[2] = (struct vd_buf){ d1, 300, true };
	b[3] = (struct vd_buf){ d2, 724, true };
	b[4] = (struct vd_buf){ st, 1, true };
	vd_add(&e->d, 0, b, 5);
	vd_kick(&e->d, 0);
	assert_true(vd_used(&e->d, 0, NULL, &len));
	assert_int_equal(len, 1025);
	assert_int_equal(*(uint8_t *)vd_ptr(&e->d, st), S_OK);
	assert_memory_equal(vd_ptr(&e->d, d1), e->mem + 1024, 300);
	assert_memory_equal(vd_ptr(&e->d, d2), e->mem + 1024 + 300, 724);

	/* The same through an indirect table, and the status byte sharing the data's buffer. */
	b[2] = (struct vd_buf){ d2, 513, true };
	vd_add_indirect(&e->d, 0, b, 3);
	*(uint8_t *)vd_ptr(&e->d, d2 + 512) = 0xee;
	vd_kick(&e->d, 0);
	assert_true(vd_used(&e->d, 0, NULL, &len));
	assert_int_equal(len, 513);
	assert_int_equal(*(uint8_t *)vd_ptr(&e->d, d2 + 512), S_OK);
	assert_memory_equal(vd_ptr(&e->d, d2), e->mem + 1024, 512);
	env_free(e);
}

static void test_blk_completion_raises_the_interrupt(void **state)
{
	struct env *e = env_new(false, false);
	uint8_t buf[512];

	(void)state;
	assert_false(vd_irq_level(&e->d, IRQ));
	assert_int_equal(blk_req(e, T_IN, 0, buf, sizeof(buf), true, NULL), S_OK);
	assert_true(vd_irq_level(&e->d, IRQ));
	assert_int_equal(vd_isr(&e->d) & HV_VIRTIO_INT_VRING, HV_VIRTIO_INT_VRING);
	vd_ack(&e->d, HV_VIRTIO_INT_VRING);
	assert_false(vd_irq_level(&e->d, IRQ));
	env_free(e);
}

static void test_blk_batches_several_requests_per_notify(void **state)
{
	struct env *e = env_new(false, false);
	uint64_t st[3];
	struct vd_buf b[3];
	unsigned got = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		uint64_t h = vd_alloc(&e->d, 16, 16);
		uint32_t type = T_FLUSH;

		memcpy(vd_ptr(&e->d, h), &type, 4);
		st[i] = vd_alloc(&e->d, 1, 1);
		b[0] = (struct vd_buf){ h, 16, false };
		b[1] = (struct vd_buf){ st[i], 1, true };
		vd_add(&e->d, 0, b, 2);
	}
	vd_kick(&e->d, 0);
	while (vd_used(&e->d, 0, NULL, NULL))
		got++;
	assert_int_equal(got, 3);
	env_free(e);
}

/* ---- errors ----------------------------------------------------------------------------------- */

static void test_blk_rejects_requests_beyond_the_capacity(void **state)
{
	struct env *e = env_new(false, false);
	uint8_t buf[1024];
	uint32_t used;

	(void)state;
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(blk_req(e, T_IN, SECTORS, buf, 512, true, &used), S_IOERR);
	assert_int_equal(used, 1);
	assert_int_equal(blk_req(e, T_IN, SECTORS - 1, buf, 1024, true, NULL), S_IOERR);
	assert_int_equal(blk_req(e, T_OUT, SECTORS - 1, buf, 1024, false, NULL), S_IOERR);
	/* sector * 512 would overflow 64 bits */
	assert_int_equal(blk_req(e, T_IN, UINT64_MAX / 512 + 1, buf, 512, true, NULL), S_IOERR);
	assert_int_equal(blk_req(e, T_OUT, UINT64_MAX, buf, 512, false, NULL), S_IOERR);
	/* Data not in whole sectors */
	assert_int_equal(blk_req(e, T_IN, 0, buf, 511, true, NULL), S_IOERR);
	assert_int_equal(blk_req(e, T_OUT, 0, buf, 513, false, NULL), S_IOERR);
	/* Nothing was written. */
	for (unsigned i = 0; i < DISK_SIZE; i++)
		assert_int_equal(e->mem[i], 0);
	env_free(e);
}

static void test_blk_short_header_is_an_io_error(void **state)
{
	struct env *e = env_new(false, false);
	uint64_t h = vd_alloc(&e->d, 16, 16);
	uint64_t st = vd_alloc(&e->d, 1, 1);
	struct vd_buf b[2] = { { h, 15, false }, { st, 1, true } };
	uint32_t len;

	(void)state;
	vd_add(&e->d, 0, b, 2);
	vd_kick(&e->d, 0);
	assert_true(vd_used(&e->d, 0, NULL, &len));
	assert_int_equal(len, 1);
	assert_int_equal(*(uint8_t *)vd_ptr(&e->d, st), S_IOERR);
	/* No header at all: only the status byte. */
	vd_add(&e->d, 0, &b[1], 1);
	vd_kick(&e->d, 0);
	assert_true(vd_used(&e->d, 0, NULL, &len));
	assert_int_equal(*(uint8_t *)vd_ptr(&e->d, st), S_IOERR);
	assert_int_equal(status_reg(e) & HV_VIRTIO_STATUS_NEEDS_RESET, 0);
	env_free(e);
}

static void test_blk_missing_status_byte_needs_reset(void **state)
{
	struct env *e = env_new(false, false);
	uint64_t h = vd_alloc(&e->d, 16, 16);
	struct vd_buf b[1] = { { h, 16, false } };

	(void)state;
	vd_add(&e->d, 0, b, 1);
	vd_kick(&e->d, 0);
	assert_false(vd_used(&e->d, 0, NULL, NULL));
	assert_true(status_reg(e) & HV_VIRTIO_STATUS_NEEDS_RESET);
	assert_true(vd_isr(&e->d) & HV_VIRTIO_INT_CONFIG);
	/* A reset brings it back. */
	assert_true(vd_negotiate(&e->d, ~0ull) & HV_VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vd_queue_setup(&e->d, 0, 16), 1);
	vd_driver_ok(&e->d);
	assert_int_equal(blk_req(e, T_FLUSH, 0, NULL, 0, false, NULL), S_OK);
	env_free(e);
}

static void test_blk_unknown_type_is_unsupported(void **state)
{
	struct env *e = env_new(false, false);
	uint8_t buf[512];
	uint32_t used;

	(void)state;
	assert_int_equal(blk_req(e, 2, 0, buf, sizeof(buf), true, &used), S_UNSUPP);
	assert_int_equal(used, 1);
	assert_int_equal(blk_req(e, 0x12345678, 0, NULL, 0, true, NULL), S_UNSUPP);
	env_free(e);
}

static void test_blk_storage_errors_are_io_errors(void **state)
{
	struct env *e = env_new(false, true);
	uint8_t buf[512] = { 1 };
	struct dwz s = { 0, 8, 0 };

	(void)state;
	e->cd.fail = true;
	assert_int_equal(blk_req(e, T_IN, 0, buf, sizeof(buf), true, NULL), S_IOERR);
	assert_int_equal(blk_req(e, T_OUT, 0, buf, sizeof(buf), false, NULL), S_IOERR);
	assert_int_equal(blk_req(e, T_FLUSH, 0, NULL, 0, false, NULL), S_IOERR);
	assert_int_equal(blk_dwz(e, T_DISCARD, &s, 1), S_IOERR);
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, &s, 1), S_IOERR);
	e->cd.fail = false;
	assert_int_equal(blk_req(e, T_FLUSH, 0, NULL, 0, false, NULL), S_OK);
	assert_int_equal(e->cd.flushes, 2);
	env_free(e);
}

/* ---- read-only disks ------------------------------------------------------------------------- */

static void test_blk_read_only_disk_refuses_writes(void **state)
{
	struct env *e = env_new(true, false);
	uint8_t buf[512];
	struct dwz s = { 0, 1, 0 };

	(void)state;
	assert_true(e->features & F_RO);
	assert_false(e->features & F_DISCARD);
	assert_false(e->features & F_WRITE_ZEROES);
	memset(e->mem, 0x5a, 512);
	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(blk_req(e, T_OUT, 0, buf, sizeof(buf), false, NULL), S_IOERR);
	assert_int_equal(blk_dwz(e, T_DISCARD, &s, 1), S_IOERR);
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, &s, 1), S_IOERR);
	assert_int_equal(e->mem[0], 0x5a);
	assert_int_equal(blk_req(e, T_IN, 0, buf, sizeof(buf), true, NULL), S_OK);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(blk_req(e, T_FLUSH, 0, NULL, 0, false, NULL), S_OK);
	env_free(e);
}

static void test_blk_disk_without_write_op_is_read_only(void **state)
{
	static const hv_blockdev_ops_t ro_ops = {
		.struct_size = sizeof(hv_blockdev_ops_t),
		.version = HV_BLOCKDEV_OPS_VERSION,
		.read = cd_read,
	};
	static uint8_t mem[DISK_SIZE];
	struct cdisk cd = { .mem = mem };
	hv_blockdev_t disk = { .ops = &ro_ops, .ctx = &cd, .size = DISK_SIZE };
	struct env *e = env_new_disk(disk, NULL);
	uint8_t buf[512] = { 0 };

	(void)state;
	assert_true(e->features & F_RO);
	assert_false(e->features & F_WRITE_ZEROES);
	assert_int_equal(blk_req(e, T_OUT, 0, buf, sizeof(buf), false, NULL), S_IOERR);
	/* No flush op: a flush succeeds (nothing to make durable). */
	assert_int_equal(blk_req(e, T_FLUSH, 0, NULL, 0, false, NULL), S_OK);
	env_free(e);
}

/* ---- GET_ID ----------------------------------------------------------------------------------- */

static void test_blk_get_id_returns_the_serial(void **state)
{
	struct env *e = env_new(false, false);
	uint8_t id[20];
	uint32_t used;

	(void)state;
	memset(id, 0xff, sizeof(id));
	assert_int_equal(blk_req(e, T_GET_ID, 0, id, sizeof(id), true, &used), S_OK);
	assert_int_equal(used, 21);
	assert_memory_equal(id, "serial-0001\0\0\0\0\0\0\0\0\0", 20);
	/* A smaller buffer gets what fits. */
	memset(id, 0xff, sizeof(id));
	assert_int_equal(blk_req(e, T_GET_ID, 0, id, 4, true, &used), S_OK);
	assert_int_equal(used, 5);
	assert_memory_equal(id, "seri", 4);
	assert_int_equal(id[4], 0xff);
	env_free(e);
}

static void test_blk_get_id_truncates_long_serials(void **state)
{
	static uint8_t mem[DISK_SIZE];
	hv_blockdev_t disk;
	struct env *e;
	uint8_t id[24];

	(void)state;
	assert_int_equal(hv_blockdev_memory(mem, DISK_SIZE, false, &disk), HV_OK);
	e = env_new_disk(disk, "0123456789abcdefghijKLMNOP");
	memset(id, 0xff, sizeof(id));
	assert_int_equal(blk_req(e, T_GET_ID, 0, id, sizeof(id), true, NULL), S_OK);
	assert_memory_equal(id, "0123456789abcdefghij", 20);
	assert_int_equal(id[20], 0xff);
	env_free(e);
}

/* ---- DISCARD and WRITE_ZEROES ---------------------------------------------------------------- */

static void test_blk_discard_and_write_zeroes_clear_their_ranges(void **state)
{
	struct env *e = env_new(false, true);
	struct dwz segs[2] = { { 1, 2, 0 }, { 10, 1, 0 } };
	struct dwz wz = { 20, 3, 1 }; /* unmap allowed on write-zeroes */

	(void)state;
	memset(e->mem, 0x77, DISK_SIZE);
	assert_int_equal(blk_dwz(e, T_DISCARD, segs, 2), S_OK);
	assert_int_equal(e->cd.discards, 2);
	for (unsigned s = 0; s < SECTORS; s++) {
		uint8_t want = (s == 1 || s == 2 || s == 10) ? 0 : 0x77;

		assert_int_equal(e->mem[s * 512], want);
		assert_int_equal(e->mem[s * 512 + 511], want);
	}
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, &wz, 1), S_OK);
	for (unsigned s = 19; s < 24; s++)
		assert_int_equal(e->mem[s * 512 + 100], (s >= 20 && s < 23) ? 0 : 0x77);
	/* Zero sectors: nothing to do, fine. */
	segs[0].num = 0;
	assert_int_equal(blk_dwz(e, T_DISCARD, segs, 1), S_OK);
	/* Up to the end of the disk. */
	segs[0] = (struct dwz){ SECTORS - 4, 4, 0 };
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, segs, 1), S_OK);
	assert_int_equal(e->mem[DISK_SIZE - 1], 0);
	env_free(e);
}

static void test_blk_discard_and_write_zeroes_errors(void **state)
{
	struct env *e = env_new(false, true);
	struct dwz segs[17];
	unsigned discards;

	(void)state;
	memset(segs, 0, sizeof(segs));
	for (unsigned i = 0; i < 17; i++)
		segs[i] = (struct dwz){ i, 1, 0 };
	memset(e->mem, 0x77, DISK_SIZE);
	/* Unmap on discard, or any unknown flag: unsupported. */
	segs[0].flags = 1;
	assert_int_equal(blk_dwz(e, T_DISCARD, segs, 1), S_UNSUPP);
	segs[0].flags = 2;
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, segs, 1), S_UNSUPP);
	segs[0].flags = 0;
	/* Beyond the disk, overflowing, too large, too many segments, no or partial segments. */
	segs[1] = (struct dwz){ SECTORS - 1, 2, 0 };
	assert_int_equal(blk_dwz(e, T_DISCARD, segs, 2), S_IOERR);
	segs[1] = (struct dwz){ UINT64_MAX, 1, 0 };
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, segs, 2), S_IOERR);
	segs[1] = (struct dwz){ 0, (1u << 16) + 1, 0 };
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, segs, 2), S_IOERR);
	segs[1] = (struct dwz){ 1, 1, 0 };
	assert_int_equal(blk_dwz(e, T_DISCARD, segs, 17), S_IOERR);
	assert_int_equal(blk_req(e, T_DISCARD, 0, NULL, 0, false, NULL), S_IOERR);
	assert_int_equal(blk_req(e, T_DISCARD, 0, segs, 15, false, NULL), S_IOERR);
	/* A bad segment stops the whole request before anything is done. */
	discards = e->cd.discards;
	assert_int_equal(e->mem[0], 0x77);
	assert_int_equal(discards, 0);
	assert_int_equal(blk_dwz(e, T_DISCARD, segs, 16), S_OK);
	assert_int_equal(e->cd.discards, 16);
	env_free(e);
}

static void test_blk_disk_without_discard_offers_no_discard(void **state)
{
	static const hv_blockdev_ops_t ops = {
		.struct_size = sizeof(hv_blockdev_ops_t),
		.version = HV_BLOCKDEV_OPS_VERSION,
		.read = cd_read,
		.write = cd_write,
	};
	static uint8_t mem[DISK_SIZE];
	struct cdisk cd = { .mem = mem };
	hv_blockdev_t disk = { .ops = &ops, .ctx = &cd, .size = DISK_SIZE };
	struct env *e = env_new_disk(disk, NULL);
	struct dwz s = { 0, 1, 0 };

	(void)state;
	assert_false(e->features & F_DISCARD);
	assert_true(e->features & F_WRITE_ZEROES);
	assert_int_equal(vd_cfg_rd(&e->d, offsetof(struct virtio_blk_config, max_discard_seg), 4),
			 0);
	assert_int_equal(blk_dwz(e, T_DISCARD, &s, 1), S_UNSUPP);
	memset(mem, 1, 512);
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, &s, 1), S_OK);
	assert_int_equal(mem[0], 0);
	env_free(e);
}

/* ---- adding ------------------------------------------------------------------------------------ */

static void test_blk_add_checks_its_arguments(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_virtio_blk_config_t c = HV_VIRTIO_BLK_CONFIG_INIT;
	hv_blockdev_ops_t bad = cd_ops;
	static uint8_t mem[DISK_SIZE];
	struct cdisk cd = { .mem = mem };

	(void)state;
	c.mmio.base = BASE;
	c.mmio.irq = IRQ;
	c.disk = (hv_blockdev_t){ .ops = &cd_ops, .ctx = &cd, .size = DISK_SIZE };
	assert_int_equal(hv_virtio_blk_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_virtio_blk_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size--;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size++;
	c.disk.ops = NULL;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	bad.version = 99;
	c.disk.ops = &bad;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_ABI);
	bad.version = HV_BLOCKDEV_OPS_VERSION;
	bad.read = NULL;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.disk.ops = &cd_ops;
	c.disk.size = 0;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.disk.size = 1000;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.disk.size = DISK_SIZE;
	c.mmio.irq = 1000;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_RANGE);
	c.mmio.irq = IRQ;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_OK);
	/* Same window: overlap; other window, same input: busy. */
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.mmio.base = BASE + 0x1000;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_ERR_BUSY);
	c.mmio.irq = IRQ + 1;
	assert_int_equal(hv_virtio_blk_add(vm, &c, NULL), HV_OK);
	/* Failed adds left the disk to us; the VM owns the two that were added. */
	assert_int_equal(cd.destroys, 0);
	hv_vm_destroy(vm);
	assert_int_equal(cd.destroys, 2);
}

static void test_blk_add_survives_allocation_failures(void **state)
{
	static uint8_t mem[DISK_SIZE];
	struct cdisk cd = { .mem = mem };
	hv_virtio_blk_config_t c = HV_VIRTIO_BLK_CONFIG_INIT;
	unsigned long n;

	(void)state;
	c.mmio.base = BASE;
	c.mmio.irq = IRQ;
	c.disk = (hv_blockdev_t){ .ops = &cd_ops, .ctx = &cd, .size = DISK_SIZE };
	for (n = 1;; n++) {
		hv_vm_t *vm = ts_vm_new(0);
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_virtio_blk_add(vm, &c, NULL);
		tp_fail_alloc_at(0);
		hv_vm_destroy(vm);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(cd.destroys, 0);
	}
	assert_int_equal(cd.destroys, 1);
}

static void test_blk_device_remove_releases_the_disk(void **state)
{
	struct env *e = env_new(false, true);

	(void)state;
	assert_int_equal(hv_device_remove(e->dev), HV_OK);
	assert_int_equal(e->cd.destroys, 1);
	env_free(e);
}

/* ---- file disks -------------------------------------------------------------------------------- */

static int make_image(char *path, size_t size, uint8_t fill)
{
	uint8_t *buf = malloc(size);
	int fd;

	strcpy(path, "/tmp/hvlib-blk-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(buf, fill, size);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	free(buf);
	return fd;
}

static void test_blk_file_disk_reads_writes_flushes_discards(void **state)
{
	char path[64];
	int fd = make_image(path, DISK_SIZE, 0x33);
	hv_blockdev_t disk;
	struct env *e;
	uint8_t buf[1024], chk[1024];
	struct dwz s = { 4, 8, 0 };

	(void)state;
	assert_int_equal(hv_blockdev_file(path, false, &disk), HV_OK);
	assert_int_equal(disk.size, DISK_SIZE);
	e = env_new_disk(disk, "file");
	assert_int_equal(blk_req(e, T_IN, 0, buf, sizeof(buf), true, NULL), S_OK);
	assert_int_equal(buf[0], 0x33);
	memset(buf, 0xc4, sizeof(buf));
	assert_int_equal(blk_req(e, T_OUT, 2, buf, sizeof(buf), false, NULL), S_OK);
	assert_int_equal(blk_req(e, T_FLUSH, 0, NULL, 0, false, NULL), S_OK);
	assert_int_equal(pread(fd, chk, sizeof(chk), 1024), (ssize_t)sizeof(chk));
	assert_memory_equal(chk, buf, sizeof(chk));
	assert_int_equal(blk_dwz(e, T_DISCARD, &s, 1), S_OK);
	assert_int_equal(pread(fd, chk, 512, 4 * 512), 512);
	for (int i = 0; i < 512; i++)
		assert_int_equal(chk[i], 0);
	s = (struct dwz){ 30, 2, 1 };
	assert_int_equal(blk_dwz(e, T_WRITE_ZEROES, &s, 1), S_OK);
	assert_int_equal(pread(fd, chk, 1024, 30 * 512), 1024);
	for (int i = 0; i < 1024; i++)
		assert_int_equal(chk[i], 0);
	assert_int_equal(pread(fd, chk, 1, 32 * 512), 1);
	assert_int_equal(chk[0], 0x33);
	env_free(e);
	close(fd);
	unlink(path);
}

static void test_blk_file_disk_opened_read_only_is_read_only(void **state)
{
	char path[64];
	int fd = make_image(path, DISK_SIZE, 0x44);
	hv_blockdev_t disk;
	struct env *e;
	uint8_t buf[512];

	(void)state;
	assert_int_equal(hv_blockdev_file(path, true, &disk), HV_OK);
	assert_true(disk.read_only);
	e = env_new_disk(disk, NULL);
	assert_true(e->features & F_RO);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(blk_req(e, T_OUT, 0, buf, sizeof(buf), false, NULL), S_IOERR);
	assert_int_equal(blk_req(e, T_IN, 0, buf, sizeof(buf), true, NULL), S_OK);
	assert_int_equal(buf[0], 0x44);
	env_free(e);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_blk_config_layout_matches_the_spec),
		TS_TEST(test_blk_write_then_read_round_trips),
		TS_TEST(test_blk_handles_split_headers_and_data),
		TS_TEST(test_blk_completion_raises_the_interrupt),
		TS_TEST(test_blk_batches_several_requests_per_notify),
		TS_TEST(test_blk_rejects_requests_beyond_the_capacity),
		TS_TEST(test_blk_short_header_is_an_io_error),
		TS_TEST(test_blk_missing_status_byte_needs_reset),
		TS_TEST(test_blk_unknown_type_is_unsupported),
		TS_TEST(test_blk_storage_errors_are_io_errors),
		TS_TEST(test_blk_read_only_disk_refuses_writes),
		TS_TEST(test_blk_disk_without_write_op_is_read_only),
		TS_TEST(test_blk_get_id_returns_the_serial),
		TS_TEST(test_blk_get_id_truncates_long_serials),
		TS_TEST(test_blk_discard_and_write_zeroes_clear_their_ranges),
		TS_TEST(test_blk_discard_and_write_zeroes_errors),
		TS_TEST(test_blk_disk_without_discard_offers_no_discard),
		TS_TEST(test_blk_add_checks_its_arguments),
		TS_TEST(test_blk_add_survives_allocation_failures),
		TS_TEST(test_blk_device_remove_releases_the_disk),
		TS_TEST(test_blk_file_disk_reads_writes_flushes_discards),
		TS_TEST(test_blk_file_disk_opened_read_only_is_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
