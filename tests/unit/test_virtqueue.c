/* SPDX-License-Identifier: MIT */
/* The split-virtqueue engine, driven directly: enabling, popping, pushing, interrupts. */
#include <stdlib.h>

#include "virtio_driver.h"

#define RAM_SIZE (1u << 20)
#define RAM2_GPA RAM_SIZE /* a second region right after the first */
#define RAM2_SIZE 0x10000u
#define ROM_GPA 0x200000u
#define ROM_SIZE 0x1000u
#define BIG_GPA 0x100000000ull /* passthrough of 8 GiB, never touched: only translated */
#define BIG_SIZE 0x200000000ull

struct fx {
	hv_vm_t *vm;
	struct vd d;
	struct hv__vq vq;
	struct hv__vq_req req;
	uint8_t *big; /* fake host address of the big region */
};

static struct fx *fx_new(uint16_t size, bool event_idx, bool indirect)
{
	struct fx *f = calloc(1, sizeof(*f));
	hv_region_config_t rom = HV_REGION_CONFIG_INIT;

	assert_non_null(f);
	f->vm = ts_vm_new(HV_VM_MANUAL_RUN);
	ts_map_ram(f->vm, 0, RAM_SIZE);
	ts_map_ram(f->vm, RAM2_GPA, RAM2_SIZE);
	rom.type = HV_REGION_ROM;
	rom.gpa = ROM_GPA;
	rom.size = ROM_SIZE;
	assert_int_equal(hv_vm_map_region(f->vm, &rom, NULL), HV_OK);
	vd_init(&f->d, f->vm, NULL, 0, 0, RAM_SIZE);
	f->d.q[0].size = size;
	f->d.q[0].desc = vd_alloc(&f->d, 16ull * size, 4096);
	f->d.q[0].avail = vd_alloc(&f->d, 6 + 2ull * size, 4096);
	f->d.q[0].used = vd_alloc(&f->d, 6 + 8ull * size, 4096);
	f->vq.size = size;
	f->vq.desc_gpa = f->d.q[0].desc;
	f->vq.avail_gpa = f->d.q[0].avail;
	f->vq.used_gpa = f->d.q[0].used;
	if (size != 0)
		assert_int_equal(hv__vq_enable(&f->vq, f->vm, event_idx, indirect), HV_OK);
	return f;
}

static void fx_big(struct fx *f)
{
	hv_region_config_t c = HV_REGION_CONFIG_INIT;

	c.type = HV_REGION_PASSTHROUGH;
	c.gpa = BIG_GPA;
	c.size = BIG_SIZE;
	c.hva = (void *)(uintptr_t)0x100000000000ull;
	assert_int_equal(hv_vm_map_region(f->vm, &c, NULL), HV_OK);
}

static void fx_free(struct fx *f)
{
	hv_vm_destroy(f->vm);
	free(f);
}

static int pop(struct fx *f)
{
	return hv__vq_pop(&f->vq, &f->req);
}

/* ---- enabling ---------------------------------------------------------------------------- */

static hv_status_t try_enable(struct fx *f, uint32_t size, uint64_t desc, uint64_t avail,
			      uint64_t used)
{
	struct hv__vq vq;

	memset(&vq, 0, sizeof(vq));
	vq.size = (uint16_t)size;
	vq.desc_gpa = desc;
	vq.avail_gpa = avail;
	vq.used_gpa = used;
	return hv__vq_enable(&vq, f->vm, false, false);
}

static void test_vq_enable_rejects_sizes_that_are_not_powers_of_two_up_to_1024(void **state)
{
	struct fx *f = fx_new(0, false, false);

	(void)state;
	assert_int_equal(try_enable(f, 0, 0x1000, 0x2000, 0x3000), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 3, 0x1000, 0x2000, 0x3000), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 2048, 0x10000, 0x20000, 0x30000), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 1, 0x1000, 0x2000, 0x3000), HV_OK);
	assert_int_equal(try_enable(f, 1024, 0x10000, 0x20000, 0x30000), HV_OK);
	fx_free(f);
}

static void test_vq_enable_rejects_misaligned_areas(void **state)
{
	struct fx *f = fx_new(0, false, false);

	(void)state;
	assert_int_equal(try_enable(f, 8, 0x1008, 0x2000, 0x3000), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 8, 0x1000, 0x2001, 0x3000), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 8, 0x1000, 0x2000, 0x3002), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 8, 0x1010, 0x2002, 0x3004), HV_OK);
	fx_free(f);
}

static void test_vq_enable_rejects_areas_outside_ram_or_across_regions(void **state)
{
	struct fx *f = fx_new(0, false, false);

	(void)state;
	assert_int_equal(try_enable(f, 8, 0x40000000, 0x2000, 0x3000), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 8, 0x1000, 0x40000000, 0x3000), HV_ERR_INVALID_ARG);
	assert_int_equal(try_enable(f, 8, 0x1000, 0x2000, 0x40000000), HV_ERR_INVALID_ARG);
	/* The used area (6 + 8 * 8 bytes) would run past the end of the first region. */
	assert_int_equal(try_enable(f, 8, 0x1000, 0x2000, RAM_SIZE - 64), HV_ERR_INVALID_ARG);
	/* Wrapping around the address space. */
	assert_int_equal(try_enable(f, 8, 0xfffffffffffffff0ull, 0x2000, 0x3000),
			 HV_ERR_INVALID_ARG);
	fx_free(f);
}

static void test_vq_enable_refuses_a_used_ring_in_rom(void **state)
{
	struct fx *f = fx_new(0, false, false);

	(void)state;
	assert_int_equal(try_enable(f, 8, 0x1000, 0x2000, ROM_GPA), HV_ERR_INVALID_ARG);
	/* The driver's areas may be read-only. */
	assert_int_equal(try_enable(f, 8, ROM_GPA, ROM_GPA + 0x200, 0x3000), HV_OK);
	fx_free(f);
}

/* ---- popping ----------------------------------------------------------------------------- */

static void test_vq_pop_returns_0_when_empty_or_not_ready(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct hv__vq off;

	(void)state;
	assert_int_equal(pop(f), 0);
	memset(&off, 0, sizeof(off));
	assert_int_equal(hv__vq_pop(&off, &f->req), 0);
	fx_free(f);
}

static void test_vq_pop_flattens_a_chain_readable_first(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b[3] = {
		{ 0x80000, 10, false },
		{ 0x80100, 20, false },
		{ 0x80200, 30, true },
	};
	uint16_t head;

	(void)state;
	head = vd_add(&f->d, 0, b, 3);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.head, head);
	assert_int_equal(f->req.nseg, 3);
	assert_int_equal(f->req.out_len, 30);
	assert_int_equal(f->req.in_len, 30);
	assert_ptr_equal(f->req.seg[0].hva, vd_ptr(&f->d, 0x80000));
	assert_false(f->req.seg[1].device_writes);
	assert_true(f->req.seg[2].device_writes);
	assert_int_equal(f->req.seg[2].len, 30);
	assert_int_equal(pop(f), 0);
	fx_free(f);
}

static void test_vq_pop_skips_zero_length_descriptors(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b[3] = { { 0x80000, 0, false }, { 0x80100, 4, false }, { 0, 0, true } };

	(void)state;
	vd_add(&f->d, 0, b, 3);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.nseg, 1);
	assert_int_equal(f->req.out_len, 4);
	fx_free(f);
}

static void test_vq_pop_rejects_a_readable_buffer_after_a_writable_one(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b[2] = { { 0x80000, 4, true }, { 0x80100, 4, false } };

	(void)state;
	vd_add(&f->d, 0, b, 2);
	assert_int_equal(pop(f), -1);
	assert_true(f->vq.broken);
	/* A broken queue stays broken. */
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_rejects_descriptor_loops(void **state)
{
	struct fx *f = fx_new(8, false, false);

	(void)state;
	/* 0 -> 1 -> 0 ... */
	vd_desc_set(&f->d, 0, 0, 0x80000, 1, HV_VRING_DESC_F_NEXT, 1);
	vd_desc_set(&f->d, 0, 1, 0x80000, 1, HV_VRING_DESC_F_NEXT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	/* A loop of zero-length descriptors (which add no segments) ends as well. */
	f = fx_new(8, false, false);
	vd_desc_set(&f->d, 0, 3, 0x80000, 0, HV_VRING_DESC_F_NEXT, 3);
	vd_avail_put(&f->d, 0, 3);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_accepts_a_chain_of_the_whole_ring(void **state)
{
	struct fx *f = fx_new(8, false, false);
	uint16_t i;

	(void)state;
	for (i = 0; i < 8; i++)
		vd_desc_set(&f->d, 0, i, 0x80000 + i, 1, i < 7 ? HV_VRING_DESC_F_NEXT : 0,
			    (uint16_t)(i + 1));
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.nseg, 8);
	fx_free(f);
}

static void test_vq_pop_rejects_out_of_range_indices(void **state)
{
	struct fx *f = fx_new(8, false, false);

	(void)state;
	vd_desc_set(&f->d, 0, 0, 0x80000, 1, HV_VRING_DESC_F_NEXT, 8);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	f = fx_new(8, false, false);
	vd_avail_put(&f->d, 0, 8); /* the head itself */
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_rejects_an_avail_index_that_jumps_ahead(void **state)
{
	struct fx *f = fx_new(8, false, false);
	uint16_t i;

	(void)state;
	for (i = 0; i < 8; i++) {
		vd_desc_set(&f->d, 0, i, 0x80000, 1, 0, 0);
		vd_avail_put(&f->d, 0, i);
	}
	/* Exactly `size` ahead is a full ring. */
	assert_int_equal(pop(f), 1);
	vd_avail_set_idx(&f->d, 0, 1 + 9);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	/* An index behind last_avail is "65535 ahead". */
	f = fx_new(8, false, false);
	vd_avail_set_idx(&f->d, 0, 0xffff);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_rejects_buffers_outside_memory(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b = { 0x40000000, 16, false };

	(void)state;
	vd_add(&f->d, 0, &b, 1);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	/* Starts in RAM, runs past everything mapped. */
	f = fx_new(8, false, false);
	b.gpa = RAM2_GPA + RAM2_SIZE - 8;
	vd_add(&f->d, 0, &b, 1);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	/* Wraps around the address space. */
	f = fx_new(8, false, false);
	b.gpa = 0xfffffffffffffff8ull;
	vd_add(&f->d, 0, &b, 1);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_splits_a_buffer_across_adjacent_regions(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b = { RAM_SIZE - 8, 24, true };
	void *hva2 = NULL;

	(void)state;
	assert_int_equal(hv_vm_gpa_to_hva(f->vm, RAM2_GPA, 16, &hva2), HV_OK);
	vd_add(&f->d, 0, &b, 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.nseg, 2);
	assert_int_equal(f->req.seg[0].len, 8);
	assert_int_equal(f->req.seg[1].len, 16);
	assert_ptr_equal(f->req.seg[1].hva, hva2);
	assert_int_equal(f->req.in_len, 24);
	fx_free(f);
}

static void test_vq_pop_refuses_to_write_into_rom(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b = { ROM_GPA, 16, true };

	(void)state;
	vd_add(&f->d, 0, &b, 1);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	/* Reading ROM is fine. */
	f = fx_new(8, false, false);
	b.write = false;
	vd_add(&f->d, 0, &b, 1);
	assert_int_equal(pop(f), 1);
	fx_free(f);
}

static void test_vq_pop_caps_a_request_at_4gib_minus_1(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b[2] = { { BIG_GPA, 0xffffffffu, false }, { BIG_GPA, 1, true } };

	(void)state;
	fx_big(f);
	vd_add(&f->d, 0, b, 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.out_len, 0xffffffffu);
	vd_add(&f->d, 0, b, 2);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_follows_an_indirect_table(void **state)
{
	struct fx *f = fx_new(8, false, true);
	struct vd_buf b[3] = {
		{ 0x80000, 10, false },
		{ 0x80100, 20, true },
		{ 0x80200, 30, true },
	};
	uint16_t head;

	(void)state;
	head = vd_add_indirect(&f->d, 0, b, 3);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.head, head);
	assert_int_equal(f->req.nseg, 3);
	assert_int_equal(f->req.out_len, 10);
	assert_int_equal(f->req.in_len, 50);
	fx_free(f);
}

static void test_vq_pop_ignores_next_on_an_indirect_descriptor(void **state)
{
	struct fx *f = fx_new(8, false, true);
	uint64_t table = vd_alloc(&f->d, 16, 16);
	struct hv__vring_desc d = { .addr = 0x80000, .len = 4 };

	(void)state;
	memcpy(vd_ptr(&f->d, table), &d, sizeof(d));
	vd_desc_set(&f->d, 0, 0, table, 16, HV_VRING_DESC_F_INDIRECT | HV_VRING_DESC_F_NEXT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.nseg, 1);
	fx_free(f);
}

static void test_vq_pop_rejects_bad_indirect_tables(void **state)
{
	static const uint32_t bad_len[] = { 0, 8, 17, 16 * (HV_VQ_MAX_SIZE + 1) };
	struct fx *f;
	uint64_t table;
	size_t i;

	(void)state;
	for (i = 0; i < HV__ARRAY_SIZE(bad_len); i++) {
		f = fx_new(8, false, true);
		table = vd_alloc(&f->d, 16 * (HV_VQ_MAX_SIZE + 1), 16);
		vd_desc_set(&f->d, 0, 0, table, bad_len[i], HV_VRING_DESC_F_INDIRECT, 0);
		vd_avail_put(&f->d, 0, 0);
		assert_int_equal(pop(f), -1);
		fx_free(f);
	}

	/* Not negotiated. */
	f = fx_new(8, false, false);
	table = vd_alloc(&f->d, 16, 16);
	vd_desc_set(&f->d, 0, 0, table, 16, HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	/* Outside memory. */
	f = fx_new(8, false, true);
	vd_desc_set(&f->d, 0, 0, 0x40000000, 16, HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_rejects_an_indirect_table_inside_another(void **state)
{
	struct fx *f = fx_new(8, false, true);
	uint64_t inner = vd_alloc(&f->d, 16, 16);
	uint64_t outer = vd_alloc(&f->d, 16, 16);
	struct hv__vring_desc d = { .addr = inner, .len = 16, .flags = HV_VRING_DESC_F_INDIRECT };
	struct hv__vring_desc leaf = { .addr = 0x80000, .len = 4 };

	(void)state;
	memcpy(vd_ptr(&f->d, inner), &leaf, sizeof(leaf));
	memcpy(vd_ptr(&f->d, outer), &d, sizeof(d));
	vd_desc_set(&f->d, 0, 0, outer, 16, HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_rejects_loops_and_bad_next_inside_an_indirect_table(void **state)
{
	struct fx *f = fx_new(8, false, true);
	uint64_t table = vd_alloc(&f->d, 32, 16);
	struct hv__vring_desc d[2] = {
		{ .addr = 0x80000, .len = 4, .flags = HV_VRING_DESC_F_NEXT, .next = 1 },
		{ .addr = 0x80000, .len = 4, .flags = HV_VRING_DESC_F_NEXT, .next = 0 },
	};

	(void)state;
	memcpy(vd_ptr(&f->d, table), d, sizeof(d));
	vd_desc_set(&f->d, 0, 0, table, 32, HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), -1);
	fx_free(f);

	f = fx_new(8, false, true);
	table = vd_alloc(&f->d, 32, 16);
	d[1].next = 2; /* past the table's two entries */
	memcpy(vd_ptr(&f->d, table), d, sizeof(d));
	vd_desc_set(&f->d, 0, 0, table, 32, HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

static void test_vq_pop_caps_segments(void **state)
{
	struct fx *f = fx_new(8, false, true);
	uint32_t n = HV_VQ_MAX_SEGS + 1;
	uint64_t table = vd_alloc(&f->d, 16ull * n, 16);
	uint32_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		struct hv__vring_desc d = {
			.addr = 0x80000,
			.len = 1,
			.flags = HV_VRING_DESC_F_NEXT,
			.next = (uint16_t)(i + 1),
		};

		if (i == n - 2)
			d.flags = 0; /* first try: exactly HV_VQ_MAX_SEGS segments */
		memcpy(vd_ptr(&f->d, table + 16ull * i), &d, sizeof(d));
	}
	vd_desc_set(&f->d, 0, 0, table, 16 * (n - 1), HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(&f->d, 0, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->req.nseg, HV_VQ_MAX_SEGS);

	((struct hv__vring_desc *)vd_ptr(&f->d, table))[n - 2].flags = HV_VRING_DESC_F_NEXT;
	vd_desc_set(&f->d, 0, 1, table, 16 * n, HV_VRING_DESC_F_INDIRECT, 0);
	vd_avail_put(&f->d, 0, 1);
	assert_int_equal(pop(f), -1);
	fx_free(f);
}

/* ---- pushing and interrupts ------------------------------------------------------------- */

static void test_vq_push_publishes_the_element_then_the_index(void **state)
{
	struct fx *f = fx_new(4, false, false);
	uint32_t id = 0, len = 0;
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		hv__vq_push(&f->vq, (uint16_t)(i + 1), (uint32_t)(100 + i));
		assert_int_equal(vd_used_idx(&f->d, 0), i + 1);
		assert_true(vd_used(&f->d, 0, &id, &len));
		assert_int_equal(id, i + 1);
		assert_int_equal(len, 100 + i);
	}
	/* The index wraps at 2^16. */
	f->vq.used_idx = 0xffff;
	hv__vq_push(&f->vq, 3, 3);
	assert_int_equal(vd_used_idx(&f->d, 0), 0);
	fx_free(f);
}

static void test_vq_need_interrupt_honours_no_interrupt_without_event_idx(void **state)
{
	struct fx *f = fx_new(4, false, false);

	(void)state;
	hv__vq_push(&f->vq, 0, 0);
	assert_true(hv__vq_need_interrupt(&f->vq));
	vd_avail_set_flags(&f->d, 0, HV_VRING_AVAIL_F_NO_INTERRUPT);
	hv__vq_push(&f->vq, 0, 0);
	assert_false(hv__vq_need_interrupt(&f->vq));
	fx_free(f);
}

static void test_vq_need_interrupt_follows_used_event(void **state)
{
	struct fx *f = fx_new(8, true, false);

	(void)state;
	/* The flag means nothing with EVENT_IDX. */
	vd_avail_set_flags(&f->d, 0, HV_VRING_AVAIL_F_NO_INTERRUPT);
	/* The first interrupt after enabling is always sent. */
	hv__vq_push(&f->vq, 0, 0);
	assert_true(hv__vq_need_interrupt(&f->vq));
	/* Nothing new: no interrupt. */
	assert_false(hv__vq_need_interrupt(&f->vq));
	/* used_event 5: the driver wants one when used_idx passes 5 (becomes 6). */
	vd_set_used_event(&f->d, 0, 5);
	hv__vq_push(&f->vq, 0, 0); /* 2 */
	hv__vq_push(&f->vq, 0, 0); /* 3 */
	assert_false(hv__vq_need_interrupt(&f->vq));
	hv__vq_push(&f->vq, 0, 0); /* 4 */
	hv__vq_push(&f->vq, 0, 0); /* 5 */
	assert_false(hv__vq_need_interrupt(&f->vq));
	hv__vq_push(&f->vq, 0, 0); /* 6: 5 was crossed */
	assert_true(hv__vq_need_interrupt(&f->vq));
	/* Several at once crossing the event. */
	vd_set_used_event(&f->d, 0, 7);
	hv__vq_push(&f->vq, 0, 0);
	hv__vq_push(&f->vq, 0, 0);
	hv__vq_push(&f->vq, 0, 0);
	assert_true(hv__vq_need_interrupt(&f->vq));
	/* Across the 16-bit wrap. */
	f->vq.used_idx = 0xfffe;
	f->vq.signalled_used = 0xfffe;
	vd_set_used_event(&f->d, 0, 0xffff);
	hv__vq_push(&f->vq, 0, 0); /* 0xffff */
	assert_false(hv__vq_need_interrupt(&f->vq));
	hv__vq_push(&f->vq, 0, 0); /* 0 */
	assert_true(hv__vq_need_interrupt(&f->vq));
	fx_free(f);
}

static void test_vq_pop_rearms_avail_event_when_it_finds_the_ring_empty(void **state)
{
	struct fx *f = fx_new(8, true, false);
	struct vd_buf b = { 0x80000, 4, false };

	(void)state;
	vd_add(&f->d, 0, &b, 1);
	vd_add(&f->d, 0, &b, 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(vd_avail_event(&f->d, 0), 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(pop(f), 0);
	assert_int_equal(vd_avail_event(&f->d, 0), 2);
	f->vq.last_avail = 7;
	hv__vq_update_avail_event(&f->vq);
	assert_int_equal(vd_avail_event(&f->d, 0), 7);
	fx_free(f);
}

static void test_vq_req_copies_across_segments_with_offsets(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b[4] = {
		{ 0x80000, 3, false },
		{ 0x80100, 5, false },
		{ 0x80200, 2, true },
		{ 0x80300, 6, true },
	};
	uint8_t out[16];
	size_t n;

	(void)state;
	memcpy(vd_ptr(&f->d, 0x80000), "abc", 3);
	memcpy(vd_ptr(&f->d, 0x80100), "defgh", 5);
	vd_add(&f->d, 0, b, 4);
	assert_int_equal(pop(f), 1);
	memset(out, 0, sizeof(out));
	n = hv__vq_req_read(&f->req, 2, out, sizeof(out));
	assert_int_equal(n, 6);
	assert_memory_equal(out, "cdefgh", 6);
	assert_int_equal(hv__vq_req_read(&f->req, 8, out, 4), 0);
	n = hv__vq_req_write(&f->req, 1, "12345678", 8);
	assert_int_equal(n, 7);
	assert_memory_equal(vd_ptr(&f->d, 0x80201), "1", 1);
	assert_memory_equal(vd_ptr(&f->d, 0x80300), "234567", 6);
	fx_free(f);
}

static void test_vq_disable_stops_the_queue(void **state)
{
	struct fx *f = fx_new(8, false, false);
	struct vd_buf b = { 0x80000, 4, false };

	(void)state;
	vd_add(&f->d, 0, &b, 1);
	hv__vq_disable(&f->vq);
	assert_int_equal(pop(f), 0);
	hv__vq_push(&f->vq, 0, 0);
	assert_int_equal(vd_used_idx(&f->d, 0), 0);
	assert_false(hv__vq_need_interrupt(&f->vq));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_vq_enable_rejects_sizes_that_are_not_powers_of_two_up_to_1024),
		TS_TEST(test_vq_enable_rejects_misaligned_areas),
		TS_TEST(test_vq_enable_rejects_areas_outside_ram_or_across_regions),
		TS_TEST(test_vq_enable_refuses_a_used_ring_in_rom),
		TS_TEST(test_vq_pop_returns_0_when_empty_or_not_ready),
		TS_TEST(test_vq_pop_flattens_a_chain_readable_first),
		TS_TEST(test_vq_pop_skips_zero_length_descriptors),
		TS_TEST(test_vq_pop_rejects_a_readable_buffer_after_a_writable_one),
		TS_TEST(test_vq_pop_rejects_descriptor_loops),
		TS_TEST(test_vq_pop_accepts_a_chain_of_the_whole_ring),
		TS_TEST(test_vq_pop_rejects_out_of_range_indices),
		TS_TEST(test_vq_pop_rejects_an_avail_index_that_jumps_ahead),
		TS_TEST(test_vq_pop_rejects_buffers_outside_memory),
		TS_TEST(test_vq_pop_splits_a_buffer_across_adjacent_regions),
		TS_TEST(test_vq_pop_refuses_to_write_into_rom),
		TS_TEST(test_vq_pop_caps_a_request_at_4gib_minus_1),
		TS_TEST(test_vq_pop_follows_an_indirect_table),
		TS_TEST(test_vq_pop_ignores_next_on_an_indirect_descriptor),
		TS_TEST(test_vq_pop_rejects_bad_indirect_tables),
		TS_TEST(test_vq_pop_rejects_an_indirect_table_inside_another),
		TS_TEST(test_vq_pop_rejects_loops_and_bad_next_inside_an_indirect_table),
		TS_TEST(test_vq_pop_caps_segments),
		TS_TEST(test_vq_push_publishes_the_element_then_the_index),
		TS_TEST(test_vq_need_interrupt_honours_no_interrupt_without_event_idx),
		TS_TEST(test_vq_need_interrupt_follows_used_event),
		TS_TEST(test_vq_pop_rearms_avail_event_when_it_finds_the_ring_empty),
		TS_TEST(test_vq_req_copies_across_segments_with_offsets),
		TS_TEST(test_vq_disable_stops_the_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
