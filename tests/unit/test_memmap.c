/* SPDX-License-Identifier: MIT */
/* The guest-physical memory map: regions, shared memory, translation and copies. */
#include "test_support.h"

#include <stdlib.h>

#define PG HV_PAGE_SIZE

static hv_region_config_t ram_at(hv_gpa_t gpa, uint64_t size)
{
	hv_region_config_t c = HV_REGION_CONFIG_INIT;

	c.type = HV_REGION_RAM;
	c.gpa = gpa;
	c.size = size;
	return c;
}

/* A VM in RUNNING state that no thread runs (manual run, nobody calls hv_vcpu_run). */
static hv_vm_t *running_vm(void)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);

	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_RUNNING);
	return vm;
}

static void test_memmap_maps_library_allocated_ram(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0x100000, 4 * PG);
	hv_region_t *r = NULL, *found = NULL;
	struct mock_vm *mv = mock_vm(vm);
	uint8_t *hva;
	size_t i;

	(void)state;
	c.name = "low";
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	assert_non_null(r);
	assert_int_equal(hv_region_gpa(r), 0x100000);
	assert_int_equal(hv_region_size(r), 4 * PG);
	hva = hv_region_hva(r);
	assert_non_null(hva);
	assert_int_equal((uintptr_t)hva % PG, 0);
	for (i = 0; i < 4 * PG; i++)
		assert_int_equal(hva[i], 0);
	/* The backend saw the mapping. */
	assert_int_equal(mv->map_calls, 1);
	assert_int_equal(mv->maps[0].gpa, 0x100000);
	assert_int_equal(mv->maps[0].size, 4 * PG);
	assert_ptr_equal(mv->maps[0].hva, hva);
	assert_int_equal(mv->maps[0].flags, 0);
	assert_int_equal(hv_vm_find_region(vm, 0x100000 + 4 * PG - 1, &found), HV_OK);
	assert_ptr_equal(found, r);
	hv_vm_destroy(vm);
	assert_int_equal(mv == NULL, 0);
}

static void test_memmap_region_out_param_is_optional(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0, PG);
	hv_region_t *found = NULL;

	(void)state;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	assert_int_equal(hv_vm_find_region(vm, 0, &found), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_maps_caller_provided_memory(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0x2000, 2 * PG);
	hv_region_t *r = NULL;
	uint8_t *mem = aligned_alloc(PG, 2 * PG);
	uint8_t buf[4];
	struct tp_stats s;
	size_t bytes;

	(void)state;
	assert_non_null(mem);
	memset(mem, 0x5a, 2 * PG);
	c.hva = mem;
	tp_get_stats(&s);
	bytes = s.live_bytes;
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	assert_ptr_equal(hv_region_hva(r), mem);
	/* No guest memory was allocated for it, and reads see the caller's bytes. */
	tp_get_stats(&s);
	assert_int_equal(s.live_ram, 0);
	assert_true(s.live_bytes - bytes < PG);
	assert_int_equal(hv_vm_read(vm, 0x2ffe, buf, 4), HV_OK);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(buf[3], 0x5a);
	assert_int_equal(hv_vm_unmap_region(r), HV_OK);
	/* Still the caller's: unmapping did not free it. */
	mem[0] = 1;
	hv_vm_destroy(vm);
	free(mem);
}

static void test_memmap_maps_passthrough_with_caller_memory(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	uint8_t *mem = aligned_alloc(PG, PG);
	hv_region_t *r = NULL;
	void *hva = NULL;

	(void)state;
	c.type = HV_REGION_PASSTHROUGH;
	c.gpa = 0xfe000000;
	c.size = PG;
	c.hva = mem;
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0xfe000010, 4, &hva), HV_OK);
	assert_ptr_equal(hva, mem + 0x10);
	hv_vm_destroy(vm);
	free(mem);
}

static void test_memmap_rom_is_read_only_for_the_guest_but_writable_by_the_host(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_region_t *r = NULL;
	uint32_t v = 0xdeadbeef, back = 0;

	(void)state;
	c.type = HV_REGION_ROM;
	c.gpa = 0xffff0000;
	c.size = 0x10000;
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	assert_int_equal(mock_vm(vm)->maps[0].flags & HV_REGION_READONLY, HV_REGION_READONLY);
	assert_int_equal(mock_vm(vm)->maps[0].type, HV_REGION_ROM);
	assert_int_equal(hv_vm_write(vm, 0xfffffff0, &v, sizeof(v)), HV_OK);
	assert_int_equal(hv_vm_read(vm, 0xfffffff0, &back, sizeof(back)), HV_OK);
	assert_int_equal(back, 0xdeadbeef);
	hv_vm_destroy(vm);
}

static void test_memmap_rejects_null_arguments(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0, PG);

	(void)state;
	assert_int_equal(hv_vm_map_region(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_map_region(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_memmap_rejects_unknown_type_or_flag(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0, PG);

	(void)state;
	c.type = (hv_region_type_t)4;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.type = (hv_region_type_t)-1;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c = ram_at(0, PG);
	c.flags = 1u << 1;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(mock_vm(vm)->map_calls, 0);
	hv_vm_destroy(vm);
}

static void test_memmap_rejects_inconsistent_memory_sources(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_shm_t *shm = NULL;
	uint8_t *mem = aligned_alloc(PG, PG);

	(void)state;
	assert_int_equal(hv_shm_create(PG, &shm), HV_OK);
	/* PASSTHROUGH needs hva. */
	c.type = HV_REGION_PASSTHROUGH;
	c.size = PG;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_INVALID_ARG);
	/* SHARED needs shm and no hva. */
	c.type = HV_REGION_SHARED;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.shm = shm;
	c.hva = mem;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_INVALID_ARG);
	/* Other types take no shm. */
	c.type = HV_REGION_RAM;
	c.hva = NULL;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
	free(mem);
}

static void test_memmap_rejects_unknown_struct_size(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0, PG);

	(void)state;
	c.struct_size = sizeof(c) + 4;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = 0;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ABI);
	hv_vm_destroy(vm);
}

static void test_memmap_rejects_zero_size(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0x1000, 0);

	(void)state;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ZERO_SIZE);
	hv_vm_destroy(vm);
}

static void test_memmap_rejects_wrap(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(UINT64_MAX - PG + 1, 2 * PG);

	(void)state;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_WRAP);
	hv_vm_destroy(vm);
}

static void test_memmap_rejects_misalignment(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c;
	hv_shm_t *shm = NULL;
	uint8_t *mem = aligned_alloc(PG, 2 * PG);

	(void)state;
	c = ram_at(0x1800, PG);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ALIGNMENT);
	c = ram_at(0x1000, PG + 1);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ALIGNMENT);
	c = ram_at(0x1000, 0x800);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ALIGNMENT);
	c = ram_at(0x1000, PG);
	c.hva = mem + 8;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ALIGNMENT);
	assert_int_equal(hv_shm_create(4 * PG, &shm), HV_OK);
	c = ram_at(0x1000, PG);
	c.type = HV_REGION_SHARED;
	c.shm = shm;
	c.shm_offset = 0x10;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_ALIGNMENT);
	assert_int_equal(mock_vm(vm)->map_calls, 0);
	hv_vm_destroy(vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
	free(mem);
}

static void test_memmap_rejects_regions_above_max_gpa(void **state)
{
	hv_vm_t *vm;
	hv_region_config_t c;

	(void)state;
	mock_knobs.max_gpa = 1ull << 32;
	vm = ts_vm_new(0);
	c = ram_at((1ull << 32) - PG, PG);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	c = ram_at((1ull << 32) - PG, 2 * PG);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_RANGE);
	c = ram_at(1ull << 32, PG);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_RANGE);
	hv_vm_destroy(vm);
}

static void test_memmap_maps_a_region_ending_at_the_top_of_the_address_space(void **state)
{
	hv_vm_t *vm;
	hv_region_config_t c;
	hv_region_t *r = NULL;
	uint8_t b = 0x77, back = 0;

	(void)state;
	mock_knobs.max_gpa = 0; /* the whole 64-bit space */
	vm = ts_vm_new(0);
	c = ram_at(UINT64_MAX - PG + 1, PG);
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	assert_int_equal(hv_vm_write(vm, UINT64_MAX, &b, 1), HV_OK);
	assert_int_equal(hv_vm_read(vm, UINT64_MAX, &back, 1), HV_OK);
	assert_int_equal(back, 0x77);
	assert_int_equal(hv_vm_read(vm, UINT64_MAX, &back, 2), HV_ERR_WRAP);
	hv_vm_destroy(vm);
}

static void test_memmap_rejects_overlap(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c;
	struct ts_dev dev;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	ts_map_ram(vm, 0x10000, 4 * PG);
	ts_dev_add(vm, &dev, HV_BUS_MMIO, 0x20000, 0x100);
	c = ram_at(0x12000, PG); /* inside */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_OVERLAP);
	c = ram_at(0xf000, 2 * PG); /* straddling the start */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_OVERLAP);
	c = ram_at(0x13000, 2 * PG); /* straddling the end */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_OVERLAP);
	c = ram_at(0x8000, 0x20000); /* covering */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_OVERLAP);
	c = ram_at(0x20000, PG); /* a device window */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_OVERLAP);
	c = ram_at(0xf000, PG); /* touching the start */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	c = ram_at(0x14000, PG); /* touching the end */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_memmap_rejects_overlap_with_a_backend_reserved_window(void **state)
{
	hv_vm_t *vm;
	hv_region_config_t c = ram_at(0xfec00000, PG);

	(void)state;
	mock_knobs.reserve_mmio_base = 0xfec00000;
	mock_knobs.reserve_mmio_size = PG;
	vm = ts_vm_new(0);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_OVERLAP);
	c = ram_at(0xfec01000, PG);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_refuses_changes_while_running(void **state)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	hv_region_config_t c = ram_at(0x1000, PG);
	hv_region_t *r = ts_map_ram(vm, 0, PG);

	(void)state;
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_STATE);
	assert_int_equal(hv_vm_unmap_region(r), HV_ERR_STATE);
	/* Paused: the map may change again. */
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	assert_int_equal(hv_vm_unmap_region(r), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_refuses_changes_until_threads_are_waited_for(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_region_config_t c = ram_at(0x1000, PG);
	hv_region_t *r = ts_map_ram(vm, 0, PG);

	(void)state;
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_gate_close();
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1); /* a library thread is inside run */
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	/* Paused, but the thread still reads the map: not yet. */
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_STATE);
	assert_int_equal(hv_vm_unmap_region(r), HV_ERR_STATE);
	mock_gate_open();
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	assert_int_equal(hv_vm_unmap_region(r), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_reports_backend_slot_limit(void **state)
{
	hv_vm_t *vm;
	hv_region_config_t c;
	size_t live;

	(void)state;
	mock_knobs.max_regions = 2;
	vm = ts_vm_new(0);
	ts_map_ram(vm, 0, PG);
	ts_map_ram(vm, PG, PG);
	live = tp_live_allocs();
	c = ram_at(2 * PG, PG);
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_LIMIT);
	/* Nothing half-done: no allocation left, the range is free again. */
	assert_int_equal(tp_live_allocs(), live);
	mock_knobs.max_regions = 3;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_reports_backend_refusal(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0, PG);
	hv_region_t *r = NULL;
	size_t live;

	(void)state;
	ts_map_ram(vm, 0x10000, PG); /* the map's arrays exist from here on */
	live = tp_live_allocs();
	c.name = "refused";
	mock_knobs.map_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_ERR_BACKEND);
	assert_null(r);
	assert_int_equal(tp_live_allocs(), live);
	mock_knobs.map_status = HV_OK;
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_map_reports_no_memory_at_every_allocation(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = ram_at(0x1000, 2 * PG);
	hv_region_t *r = NULL;
	size_t live = tp_live_allocs();
	unsigned long n;
	hv_status_t st = HV_ERR_NO_MEMORY;

	(void)state;
	c.name = "named";
	/* The first region also allocates the map's arrays: every allocation is tried. */
	for (n = 1; n < 100; n++) {
		tp_fail_alloc_at(n);
		st = hv_vm_map_region(vm, &c, &r);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(tp_live_allocs(), live);
		assert_int_equal(hv_vm_find_region(vm, 0x1000, &r), HV_ERR_NOT_MAPPED);
		assert_int_equal(mock_vm(vm)->regions_live, 0);
	}
	assert_int_equal(st, HV_OK);
	assert_true(n >= 4); /* region, name, memory, range-map array */
	tp_fail_alloc_at(0);
	hv_vm_destroy(vm);
}

static void test_memmap_unmap_removes_and_frees(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_t *r, *found = NULL;
	struct mock_vm *mv = mock_vm(vm);
	struct tp_stats before, after;
	size_t live;

	(void)state;
	ts_map_ram(vm, 0x10000, PG); /* the map's arrays exist from here on */
	live = tp_live_allocs();
	r = ts_map_ram(vm, 0x4000, PG);
	tp_get_stats(&before);
	assert_int_equal(hv_vm_unmap_region(r), HV_OK);
	assert_int_equal(mv->unmap_calls, 1);
	assert_int_equal(mv->unmaps[0].gpa, 0x4000);
	assert_int_equal(hv_vm_find_region(vm, 0x4000, &found), HV_ERR_NOT_MAPPED);
	/* The region object, its name and its memory are gone. */
	tp_get_stats(&after);
	assert_int_equal(after.live_ram, before.live_ram - 1);
	assert_int_equal(tp_live_allocs(), live);
	assert_int_equal(hv_vm_unmap_region(NULL), HV_OK);
	/* The range is free again. */
	ts_map_ram(vm, 0x4000, PG);
	hv_vm_destroy(vm);
}

static void test_memmap_unmap_refused_by_backend_keeps_the_region(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_t *r = ts_map_ram(vm, 0x4000, PG), *found = NULL;

	(void)state;
	mock_knobs.unmap_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_unmap_region(r), HV_ERR_BACKEND);
	assert_int_equal(hv_vm_find_region(vm, 0x4000, &found), HV_OK);
	assert_ptr_equal(found, r);
	mock_knobs.unmap_status = HV_OK;
	hv_vm_destroy(vm);
}

static void test_memmap_find_region_reports_not_mapped(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_t *r = NULL;
	struct ts_dev dev;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	ts_map_ram(vm, 0x1000, PG);
	ts_dev_add(vm, &dev, HV_BUS_MMIO, 0x3000, 0x10);
	assert_int_equal(hv_vm_find_region(vm, 0xfff, &r), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_vm_find_region(vm, 0x2000, &r), HV_ERR_NOT_MAPPED);
	/* A device window is not memory. */
	assert_int_equal(hv_vm_find_region(vm, 0x3000, &r), HV_ERR_NOT_MAPPED);
	assert_null(r); /* out-parameters only on success */
	assert_int_equal(hv_vm_find_region(NULL, 0x1000, &r), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_find_region(vm, 0x1000, NULL), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_memmap_region_accessors_accept_null(void **state)
{
	(void)state;
	assert_int_equal(hv_region_gpa(NULL), 0);
	assert_int_equal(hv_region_size(NULL), 0);
	assert_null(hv_region_hva(NULL));
	assert_null(hv_shm_hva(NULL));
	assert_int_equal(hv_shm_size(NULL), 0);
}

static void test_memmap_gpa_to_hva_translates_inside_one_region(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_t *r = ts_map_ram(vm, 0x10000, 2 * PG);
	void *hva = NULL;

	(void)state;
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0x10000, 2 * PG, &hva), HV_OK);
	assert_ptr_equal(hva, hv_region_hva(r));
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0x11fff, 1, &hva), HV_OK);
	assert_ptr_equal(hva, (uint8_t *)hv_region_hva(r) + 0x1fff);
	hv_vm_destroy(vm);
}

static void test_memmap_gpa_to_hva_reports_every_error(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	void *hva = (void *)0x1;

	(void)state;
	ts_map_ram(vm, 0x10000, PG);
	ts_map_ram(vm, 0x11000, PG);
	assert_int_equal(hv_vm_gpa_to_hva(NULL, 0x10000, 1, &hva), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0x10000, 1, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0x10000, 0, &hva), HV_ERR_ZERO_SIZE);
	assert_int_equal(hv_vm_gpa_to_hva(vm, UINT64_MAX, 2, &hva), HV_ERR_WRAP);
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0x8000, 1, &hva), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0xffff, 2, &hva), HV_ERR_NOT_MAPPED);
	/* Spanning two adjacent regions is refused: one pointer cannot cover both. */
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0x10ff0, 0x20, &hva), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_vm_gpa_to_hva(vm, 0x11ff0, 0x20, &hva), HV_ERR_NOT_MAPPED);
	assert_ptr_equal(hva, (void *)0x1); /* untouched on failure */
	hv_vm_destroy(vm);
}

static void test_memmap_reads_and_writes_across_adjacent_regions(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_t *a = ts_map_ram(vm, 0x10000, PG);
	hv_region_t *b = ts_map_ram(vm, 0x11000, PG);
	hv_region_t *c = ts_map_ram(vm, 0x12000, PG);
	uint8_t out[PG + 32], in[PG + 32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 1);
	/* From the end of a, through all of b, into c. */
	assert_int_equal(hv_vm_write(vm, 0x10ff0, out, sizeof(out)), HV_OK);
	assert_int_equal(((uint8_t *)hv_region_hva(a))[0xff0], out[0]);
	assert_int_equal(((uint8_t *)hv_region_hva(b))[0], out[16]);
	assert_int_equal(((uint8_t *)hv_region_hva(c))[0xf], out[sizeof(out) - 1]);
	memset(in, 0, sizeof(in));
	assert_int_equal(hv_vm_read(vm, 0x10ff0, in, sizeof(in)), HV_OK);
	assert_memory_equal(in, out, sizeof(out));
	hv_vm_destroy(vm);
}

static void test_memmap_copy_over_a_hole_copies_nothing(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_t *a = ts_map_ram(vm, 0x10000, PG);
	uint8_t buf[32], in[32];

	(void)state;
	ts_map_ram(vm, 0x12000, PG);
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(hv_vm_write(vm, 0x10ff0, buf, sizeof(buf)), HV_ERR_NOT_MAPPED);
	assert_int_equal(((uint8_t *)hv_region_hva(a))[0xff0], 0);
	memset(in, 0x11, sizeof(in));
	assert_int_equal(hv_vm_read(vm, 0x10ff0, in, sizeof(in)), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_vm_read(vm, 0x11000, in, 1), HV_ERR_NOT_MAPPED);
	hv_vm_destroy(vm);
}

static void test_memmap_copy_reports_every_error(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	uint8_t buf[4] = { 0 };
	struct ts_dev dev;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	ts_map_ram(vm, 0, PG);
	ts_dev_add(vm, &dev, HV_BUS_MMIO, PG, 0x100);
	assert_int_equal(hv_vm_read(NULL, 0, buf, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_read(vm, 0, NULL, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_write(NULL, 0, buf, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_write(vm, 0, NULL, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_read(vm, 0, buf, 0), HV_ERR_ZERO_SIZE);
	assert_int_equal(hv_vm_write(vm, 0, buf, 0), HV_ERR_ZERO_SIZE);
	assert_int_equal(hv_vm_read(vm, UINT64_MAX - 1, buf, 4), HV_ERR_WRAP);
	assert_int_equal(hv_vm_write(vm, UINT64_MAX - 1, buf, 4), HV_ERR_WRAP);
	/* Running into a device window is not memory. */
	assert_int_equal(hv_vm_read(vm, PG - 2, buf, 4), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_vm_write(vm, PG - 2, buf, 4), HV_ERR_NOT_MAPPED);
	assert_int_equal(dev.reads + dev.writes, 0);
	hv_vm_destroy(vm);
}

static void test_memmap_shm_create_gives_zeroed_memory(void **state)
{
	hv_shm_t *shm = NULL;
	uint8_t *p;
	size_t i;

	(void)state;
	assert_int_equal(hv_shm_create(2 * PG, &shm), HV_OK);
	assert_int_equal(hv_shm_size(shm), 2 * PG);
	p = hv_shm_hva(shm);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % PG, 0);
	for (i = 0; i < 2 * PG; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
	assert_int_equal(hv_shm_destroy(NULL), HV_OK);
}

static void test_memmap_shm_create_reports_every_error(void **state)
{
	hv_shm_t *shm = NULL;

	(void)state;
	assert_int_equal(hv_shm_create(PG, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_shm_create(0, &shm), HV_ERR_ZERO_SIZE);
	assert_int_equal(hv_shm_create(PG + 1, &shm), HV_ERR_ALIGNMENT);
	assert_int_equal(hv_shm_create(100, &shm), HV_ERR_ALIGNMENT);
	tp_fail_alloc_at(1);
	assert_int_equal(hv_shm_create(PG, &shm), HV_ERR_NO_MEMORY);
	tp_fail_alloc_at(2);
	assert_int_equal(hv_shm_create(PG, &shm), HV_ERR_NO_MEMORY);
	assert_null(shm);
	assert_int_equal(tp_live_allocs(), 0);
	/* No object: the platform is free to change. */
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
}

static void test_memmap_shm_is_shared_between_vms(void **state)
{
	hv_vm_t *a = ts_vm_new(0), *b = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_shm_t *shm = NULL;
	uint32_t v = 0x12345678, back = 0;

	(void)state;
	assert_int_equal(hv_shm_create(4 * PG, &shm), HV_OK);
	c.type = HV_REGION_SHARED;
	c.shm = shm;
	c.gpa = 0x100000;
	c.size = 2 * PG;
	c.shm_offset = PG;
	assert_int_equal(hv_vm_map_region(a, &c, NULL), HV_OK);
	c.gpa = 0x200000;
	assert_int_equal(hv_vm_map_region(b, &c, NULL), HV_OK);
	assert_ptr_equal(mock_vm(a)->maps[0].hva, (uint8_t *)hv_shm_hva(shm) + PG);
	assert_int_equal(hv_vm_write(a, 0x100010, &v, sizeof(v)), HV_OK);
	assert_int_equal(hv_vm_read(b, 0x200010, &back, sizeof(back)), HV_OK);
	assert_int_equal(back, 0x12345678);
	assert_memory_equal((uint8_t *)hv_shm_hva(shm) + PG + 0x10, &v, sizeof(v));
	hv_vm_destroy(a);
	hv_vm_destroy(b);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_memmap_shm_region_must_fit_in_its_object(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_shm_t *shm = NULL;

	(void)state;
	assert_int_equal(hv_shm_create(2 * PG, &shm), HV_OK);
	c.type = HV_REGION_SHARED;
	c.shm = shm;
	c.size = 2 * PG;
	c.shm_offset = PG;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_RANGE);
	c.shm_offset = 4 * PG;
	c.size = PG;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_RANGE);
	c.size = 3 * PG;
	c.shm_offset = 0;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_RANGE);
	c.size = PG;
	c.shm_offset = PG;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_memmap_shm_destroy_is_busy_while_mapped(void **state)
{
	hv_vm_t *vm = ts_vm_new(0), *other = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_shm_t *shm = NULL;
	hv_region_t *r = NULL;

	(void)state;
	assert_int_equal(hv_shm_create(PG, &shm), HV_OK);
	c.type = HV_REGION_SHARED;
	c.shm = shm;
	c.size = PG;
	assert_int_equal(hv_vm_map_region(vm, &c, &r), HV_OK);
	assert_int_equal(hv_vm_map_region(other, &c, NULL), HV_OK);
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY);
	assert_int_equal(hv_vm_unmap_region(r), HV_OK);
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY); /* still in other */
	/* Destroying the VM unmaps it; the object outlives the VM. */
	hv_vm_destroy(other);
	assert_int_equal(((uint8_t *)hv_shm_hva(shm))[0], 0);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_shm_map_failure_does_not_count_as_mapped(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_shm_t *shm = NULL;

	(void)state;
	assert_int_equal(hv_shm_create(PG, &shm), HV_OK);
	c.type = HV_REGION_SHARED;
	c.shm = shm;
	c.size = PG;
	mock_knobs.map_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_ERR_BACKEND);
	mock_knobs.map_status = HV_OK;
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
	hv_vm_destroy(vm);
}

static void test_memmap_write_refused_on_read_only_shared_mapping(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_region_t *ram = ts_map_ram(vm, 0, PG);
	hv_shm_t *shm = NULL;
	uint8_t buf[32], in[32];

	(void)state;
	assert_int_equal(hv_shm_create(PG, &shm), HV_OK);
	((uint8_t *)hv_shm_hva(shm))[0] = 0x42;
	c.type = HV_REGION_SHARED;
	c.shm = shm;
	c.gpa = PG;
	c.size = PG;
	c.flags = HV_REGION_READONLY;
	assert_int_equal(hv_vm_map_region(vm, &c, NULL), HV_OK);
	assert_int_equal(mock_vm(vm)->maps[1].flags, HV_REGION_READONLY);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(hv_vm_write(vm, PG, buf, 1), HV_ERR_STATE);
	/* Spanning RAM then the read-only mapping: refused before any byte moves. */
	assert_int_equal(hv_vm_write(vm, PG - 16, buf, sizeof(buf)), HV_ERR_STATE);
	assert_int_equal(((uint8_t *)hv_region_hva(ram))[PG - 16], 0);
	assert_int_equal(((uint8_t *)hv_shm_hva(shm))[0], 0x42);
	/* Reading it is fine. */
	assert_int_equal(hv_vm_read(vm, PG - 16, in, sizeof(in)), HV_OK);
	assert_int_equal(in[16], 0x42);
	hv_vm_destroy(vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_memmap_library_ram_without_ram_alloc(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_t *r = ts_map_ram(vm, 0, 2 * PG);
	struct tp_stats s;

	(void)state;
	assert_int_equal((uintptr_t)hv_region_hva(r) % PG, 0);
	assert_int_equal(((uint8_t *)hv_region_hva(r))[2 * PG - 1], 0);
	tp_get_stats(&s);
	assert_int_equal(s.live_ram, 0);
	hv_vm_destroy(vm);
}

static void test_memmap_destroy_unmaps_every_region(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct mock_vm *mv = mock_vm(vm);
	unsigned unmaps;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		ts_map_ram(vm, (uint64_t)i * 2 * PG, PG);
	/* Read the record before the VM (and its backend state) is gone. */
	unmaps = mv->unmap_calls;
	assert_int_equal(unmaps, 0);
	assert_int_equal(mv->regions_live, 10);
	hv_vm_destroy(vm);
	/* The teardown's leak check proves every region's memory was freed. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_memmap_maps_library_allocated_ram),
		TS_TEST(test_memmap_region_out_param_is_optional),
		TS_TEST(test_memmap_maps_caller_provided_memory),
		TS_TEST(test_memmap_maps_passthrough_with_caller_memory),
		TS_TEST(test_memmap_rom_is_read_only_for_the_guest_but_writable_by_the_host),
		TS_TEST(test_memmap_rejects_null_arguments),
		TS_TEST(test_memmap_rejects_unknown_type_or_flag),
		TS_TEST(test_memmap_rejects_inconsistent_memory_sources),
		TS_TEST(test_memmap_rejects_unknown_struct_size),
		TS_TEST(test_memmap_rejects_zero_size),
		TS_TEST(test_memmap_rejects_wrap),
		TS_TEST(test_memmap_rejects_misalignment),
		TS_TEST(test_memmap_rejects_regions_above_max_gpa),
		TS_TEST(test_memmap_maps_a_region_ending_at_the_top_of_the_address_space),
		TS_TEST(test_memmap_rejects_overlap),
		TS_TEST(test_memmap_rejects_overlap_with_a_backend_reserved_window),
		TS_TEST(test_memmap_refuses_changes_while_running),
		TS_TEST(test_memmap_refuses_changes_until_threads_are_waited_for),
		TS_TEST(test_memmap_reports_backend_slot_limit),
		TS_TEST(test_memmap_reports_backend_refusal),
		TS_TEST(test_memmap_map_reports_no_memory_at_every_allocation),
		TS_TEST(test_memmap_unmap_removes_and_frees),
		TS_TEST(test_memmap_unmap_refused_by_backend_keeps_the_region),
		TS_TEST(test_memmap_find_region_reports_not_mapped),
		TS_TEST(test_memmap_region_accessors_accept_null),
		TS_TEST(test_memmap_gpa_to_hva_translates_inside_one_region),
		TS_TEST(test_memmap_gpa_to_hva_reports_every_error),
		TS_TEST(test_memmap_reads_and_writes_across_adjacent_regions),
		TS_TEST(test_memmap_copy_over_a_hole_copies_nothing),
		TS_TEST(test_memmap_copy_reports_every_error),
		TS_TEST(test_memmap_shm_create_gives_zeroed_memory),
		TS_TEST(test_memmap_shm_create_reports_every_error),
		TS_TEST(test_memmap_shm_is_shared_between_vms),
		TS_TEST(test_memmap_shm_region_must_fit_in_its_object),
		TS_TEST(test_memmap_shm_destroy_is_busy_while_mapped),
		TS_TEST(test_memmap_shm_map_failure_does_not_count_as_mapped),
		TS_TEST(test_memmap_write_refused_on_read_only_shared_mapping),
		TS_TEST_NO_RAM_ALLOC(test_memmap_library_ram_without_ram_alloc),
		TS_TEST(test_memmap_destroy_unmaps_every_region),
	};

	(void)running_vm;
	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}
