/* SPDX-License-Identifier: MIT */
/* The internal range map: sorted, non-overlapping ranges with binary-search lookup. */
#include "test_support.h"

static int objs[4096];

#define OBJ(i) ((void *)&objs[(i)])

static void test_rangemap_starts_empty(void **state)
{
	struct hv__rangemap m;

	(void)state;
	hv__rangemap_init(&m, 0);
	assert_int_equal(m.count, 0);
	assert_null(hv__rangemap_find(&m, 0));
	assert_null(hv__rangemap_find(&m, UINT64_MAX));
	hv__rangemap_fini(&m);
	assert_int_equal(tp_alloc_calls(), 0);
}

static void test_rangemap_inserts_and_finds(void **state)
{
	struct hv__rangemap m;
	const struct hv__range *r;

	(void)state;
	hv__rangemap_init(&m, 0);
	assert_int_equal(hv__rangemap_insert(&m, 0x1000, 0x1000, HV__RANGE_REGION, OBJ(1)), HV_OK);
	assert_int_equal(m.count, 1);
	r = hv__rangemap_find(&m, 0x1000);
	assert_non_null(r);
	assert_int_equal(r->base, 0x1000);
	assert_int_equal(r->last, 0x1fff);
	assert_int_equal(r->kind, HV__RANGE_REGION);
	assert_ptr_equal(r->obj, OBJ(1));
	assert_ptr_equal(hv__rangemap_find(&m, 0x1fff), r);
	assert_null(hv__rangemap_find(&m, 0xfff));
	assert_null(hv__rangemap_find(&m, 0x2000));
	hv__rangemap_fini(&m);
	assert_int_equal(m.count, 0);
	assert_null(m.v);
}

static void test_rangemap_keeps_ranges_sorted(void **state)
{
	static const uint64_t bases[] = { 0x5000, 0x1000, 0x9000, 0x3000, 0x7000 };
	struct hv__rangemap m;
	size_t i;

	(void)state;
	hv__rangemap_init(&m, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(
			hv__rangemap_insert(&m, bases[i], 0x1000, HV__RANGE_DEVICE, OBJ(i)), HV_OK);
	for (i = 0; i < 5; i++)
		assert_int_equal(m.v[i].base, 0x1000 + i * 0x2000);
	for (i = 0; i < 5; i++)
		assert_ptr_equal(hv__rangemap_find(&m, bases[i] + 0x800)->obj, OBJ(i));
	hv__rangemap_fini(&m);
}

static void test_rangemap_rejects_zero_size(void **state)
{
	struct hv__rangemap m;

	(void)state;
	hv__rangemap_init(&m, 0);
	assert_int_equal(hv__rangemap_check(&m, 0x1000, 0), HV_ERR_ZERO_SIZE);
	assert_int_equal(hv__rangemap_insert(&m, 0x1000, 0, HV__RANGE_REGION, OBJ(0)),
			 HV_ERR_ZERO_SIZE);
	assert_int_equal(m.count, 0);
	hv__rangemap_fini(&m);
}

static void test_rangemap_rejects_wrap(void **state)
{
	struct hv__rangemap m;

	(void)state;
	hv__rangemap_init(&m, 0);
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX, 2), HV_ERR_WRAP);
	assert_int_equal(hv__rangemap_check(&m, 1, UINT64_MAX), HV_OK); /* [1, UINT64_MAX] */
	assert_int_equal(hv__rangemap_check(&m, 2, UINT64_MAX), HV_ERR_WRAP);
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX - 0xfff, 0x2000), HV_ERR_WRAP);
	assert_int_equal(hv__rangemap_insert(&m, UINT64_MAX, 2, HV__RANGE_REGION, OBJ(0)),
			 HV_ERR_WRAP);
	assert_int_equal(m.count, 0);
	hv__rangemap_fini(&m);
}

static void test_rangemap_accepts_ranges_ending_at_uint64_max(void **state)
{
	struct hv__rangemap m;
	const struct hv__range *r;

	(void)state;
	hv__rangemap_init(&m, 0);
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX, 1), HV_OK);
	assert_int_equal(hv__rangemap_check(&m, 0, UINT64_MAX), HV_OK);
	assert_int_equal(
		hv__rangemap_insert(&m, UINT64_MAX - 0xfff, 0x1000, HV__RANGE_REGION, OBJ(1)),
		HV_OK);
	r = hv__rangemap_find(&m, UINT64_MAX);
	assert_non_null(r);
	assert_int_equal(r->last, UINT64_MAX);
	assert_ptr_equal(hv__rangemap_find(&m, UINT64_MAX - 0xfff), r);
	assert_null(hv__rangemap_find(&m, UINT64_MAX - 0x1000));
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX, 1), HV_ERR_OVERLAP);
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX - 0x1fff, 0x1000), HV_OK);
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX - 0x1fff, 0x1001), HV_ERR_OVERLAP);
	hv__rangemap_fini(&m);
}

static void test_rangemap_whole_space_is_one_range(void **state)
{
	struct hv__rangemap m;

	(void)state;
	/* [0, UINT64_MAX - 1] plus the last byte: every address is covered. */
	hv__rangemap_init(&m, 0);
	assert_int_equal(hv__rangemap_insert(&m, 0, UINT64_MAX, HV__RANGE_REGION, OBJ(0)), HV_OK);
	assert_int_equal(hv__rangemap_insert(&m, UINT64_MAX, 1, HV__RANGE_DEVICE, OBJ(1)), HV_OK);
	assert_ptr_equal(hv__rangemap_find(&m, 0)->obj, OBJ(0));
	assert_ptr_equal(hv__rangemap_find(&m, UINT64_MAX - 1)->obj, OBJ(0));
	assert_ptr_equal(hv__rangemap_find(&m, UINT64_MAX)->obj, OBJ(1));
	assert_int_equal(hv__rangemap_check(&m, 0x1234, 1), HV_ERR_OVERLAP);
	hv__rangemap_fini(&m);
}

static void test_rangemap_rejects_ranges_past_the_limit(void **state)
{
	struct hv__rangemap m;

	(void)state;
	hv__rangemap_init(&m, 0x10000);
	assert_int_equal(hv__rangemap_check(&m, 0, 0x10000), HV_OK);
	assert_int_equal(hv__rangemap_check(&m, 0xffff, 1), HV_OK);
	assert_int_equal(hv__rangemap_check(&m, 0xffff, 2), HV_ERR_RANGE);
	assert_int_equal(hv__rangemap_check(&m, 0x10000, 1), HV_ERR_RANGE);
	assert_int_equal(hv__rangemap_check(&m, 0, 0x10001), HV_ERR_RANGE);
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX, 1), HV_ERR_RANGE);
	assert_int_equal(hv__rangemap_insert(&m, 0xfff0, 0x20, HV__RANGE_DEVICE, OBJ(0)),
			 HV_ERR_RANGE);
	/* Zero size and wrap are reported before range. */
	assert_int_equal(hv__rangemap_check(&m, 0x20000, 0), HV_ERR_ZERO_SIZE);
	assert_int_equal(hv__rangemap_check(&m, UINT64_MAX, 2), HV_ERR_WRAP);
	assert_int_equal(m.count, 0);
	hv__rangemap_fini(&m);
}

/* Existing range [0x10000, 0x1ffff]; every way to touch or miss it. */
static void test_rangemap_rejects_every_overlap_shape(void **state)
{
	static const struct {
		uint64_t base, size;
		hv_status_t expect;
		const char *what;
	} cases[] = {
		{ 0x12000, 0x1000, HV_ERR_OVERLAP, "inside" },
		{ 0x10000, 0x10000, HV_ERR_OVERLAP, "identical" },
		{ 0x10000, 0x1, HV_ERR_OVERLAP, "first byte" },
		{ 0x1ffff, 0x1, HV_ERR_OVERLAP, "last byte" },
		{ 0x0f000, 0x2000, HV_ERR_OVERLAP, "straddling the start" },
		{ 0x0ffff, 0x2, HV_ERR_OVERLAP, "straddling the start by one byte" },
		{ 0x1f000, 0x2000, HV_ERR_OVERLAP, "straddling the end" },
		{ 0x1ffff, 0x2, HV_ERR_OVERLAP, "straddling the end by one byte" },
		{ 0x08000, 0x20000, HV_ERR_OVERLAP, "covering" },
		{ 0, UINT64_MAX, HV_ERR_OVERLAP, "covering everything" },
		{ 0x0f000, 0x1000, HV_OK, "touching the start" },
		{ 0x20000, 0x1000, HV_OK, "touching the end" },
		{ 0x0, 0x10000, HV_OK, "everything below" },
		{ 0x20000, UINT64_MAX - 0x1ffff, HV_OK, "everything above" },
	};
	struct hv__rangemap m;
	size_t i;

	(void)state;
	hv__rangemap_init(&m, 0);
	assert_int_equal(hv__rangemap_insert(&m, 0x10000, 0x10000, HV__RANGE_REGION, OBJ(0)),
			 HV_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hv_status_t st = hv__rangemap_check(&m, cases[i].base, cases[i].size);

		if (st != cases[i].expect)
			fail_msg("%s: got %s, expected %s", cases[i].what, hv_status_str(st),
				 hv_status_str(cases[i].expect));
	}
	hv__rangemap_fini(&m);
}

static void test_rangemap_rejects_overlap_between_neighbours(void **state)
{
	struct hv__rangemap m;

	(void)state;
	hv__rangemap_init(&m, 0);
	assert_int_equal(hv__rangemap_insert(&m, 0x1000, 0x1000, HV__RANGE_REGION, OBJ(0)), HV_OK);
	assert_int_equal(hv__rangemap_insert(&m, 0x4000, 0x1000, HV__RANGE_REGION, OBJ(1)), HV_OK);
	/* Fills the gap exactly; then one byte more either way overlaps. */
	assert_int_equal(hv__rangemap_check(&m, 0x2000, 0x2000), HV_OK);
	assert_int_equal(hv__rangemap_check(&m, 0x1fff, 0x2001), HV_ERR_OVERLAP);
	assert_int_equal(hv__rangemap_check(&m, 0x2000, 0x2001), HV_ERR_OVERLAP);
	/* Spanning both neighbours and the gap. */
	assert_int_equal(hv__rangemap_check(&m, 0x1800, 0x3000), HV_ERR_OVERLAP);
	/* A failed insert leaves the map as it was. */
	assert_int_equal(hv__rangemap_insert(&m, 0x1800, 0x3000, HV__RANGE_REGION, OBJ(2)),
			 HV_ERR_OVERLAP);
	assert_int_equal(m.count, 2);
	assert_int_equal(hv__rangemap_insert(&m, 0x2000, 0x2000, HV__RANGE_DEVICE, OBJ(2)), HV_OK);
	assert_int_equal(m.count, 3);
	assert_ptr_equal(hv__rangemap_find(&m, 0x1fff)->obj, OBJ(0));
	assert_ptr_equal(hv__rangemap_find(&m, 0x2000)->obj, OBJ(2));
	assert_ptr_equal(hv__rangemap_find(&m, 0x3fff)->obj, OBJ(2));
	assert_ptr_equal(hv__rangemap_find(&m, 0x4000)->obj, OBJ(1));
	hv__rangemap_fini(&m);
}

static void test_rangemap_removes_by_object(void **state)
{
	struct hv__rangemap m;
	int i;

	(void)state;
	hv__rangemap_init(&m, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(hv__rangemap_insert(&m, (uint64_t)i * 0x1000, 0x1000,
						     HV__RANGE_REGION, OBJ(i)),
				 HV_OK);
	hv__rangemap_remove(&m, OBJ(2));
	assert_int_equal(m.count, 4);
	assert_null(hv__rangemap_find(&m, 0x2000));
	assert_ptr_equal(hv__rangemap_find(&m, 0x1000)->obj, OBJ(1));
	assert_ptr_equal(hv__rangemap_find(&m, 0x3000)->obj, OBJ(3));
	/* The hole can be reused; removing an unknown object changes nothing. */
	assert_int_equal(hv__rangemap_check(&m, 0x2000, 0x1000), HV_OK);
	hv__rangemap_remove(&m, OBJ(99));
	assert_int_equal(m.count, 4);
	hv__rangemap_remove(&m, OBJ(0)); /* first */
	hv__rangemap_remove(&m, OBJ(4)); /* last */
	assert_int_equal(m.count, 2);
	assert_null(hv__rangemap_find(&m, 0));
	assert_null(hv__rangemap_find(&m, 0x4000));
	assert_ptr_equal(hv__rangemap_find(&m, 0x1800)->obj, OBJ(1));
	assert_ptr_equal(hv__rangemap_find(&m, 0x3800)->obj, OBJ(3));
	hv__rangemap_remove(&m, OBJ(1));
	hv__rangemap_remove(&m, OBJ(3));
	assert_int_equal(m.count, 0);
	assert_null(hv__rangemap_find(&m, 0x3800));
	hv__rangemap_fini(&m);
}

static void test_rangemap_grows_and_frees_its_array(void **state)
{
	struct hv__rangemap m;
	struct tp_stats s;
	size_t i, cap = 0, growths = 0;

	(void)state;
	hv__rangemap_init(&m, 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(hv__rangemap_insert(&m, i * 0x10, 0x10, HV__RANGE_DEVICE, OBJ(i)),
				 HV_OK);
		if (m.capacity != cap) {
			growths++;
			cap = m.capacity;
		}
		assert_true(m.capacity >= m.count);
	}
	assert_int_equal(m.count, 100);
	/* Geometric growth: few reallocations, and old arrays are freed as it grows. */
	assert_true(growths <= 6);
	tp_get_stats(&s);
	assert_true(s.live_bytes >= m.capacity * sizeof(struct hv__range));
	assert_true(s.live_bytes <= 2 * m.capacity * sizeof(struct hv__range));
	for (i = 0; i < 100; i++)
		assert_ptr_equal(hv__rangemap_find(&m, i * 0x10 + 0xf)->obj, OBJ(i));
	hv__rangemap_fini(&m);
	assert_int_equal(tp_live_allocs(), 0);
}

static void test_rangemap_insert_reports_no_memory(void **state)
{
	struct hv__rangemap m;
	int i;

	(void)state;
	hv__rangemap_init(&m, 0);
	tp_fail_alloc_at(1);
	assert_int_equal(hv__rangemap_insert(&m, 0, 0x10, HV__RANGE_DEVICE, OBJ(0)),
			 HV_ERR_NO_MEMORY);
	assert_int_equal(m.count, 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(
			hv__rangemap_insert(&m, (uint64_t)i * 0x10, 0x10, HV__RANGE_DEVICE, OBJ(i)),
			HV_OK);
	/* Growing past the first array fails cleanly: the old array and contents survive. */
	tp_fail_alloc_at(1);
	assert_int_equal(hv__rangemap_insert(&m, 0x100, 0x10, HV__RANGE_DEVICE, OBJ(9)),
			 HV_ERR_NO_MEMORY);
	assert_int_equal(m.count, 8);
	for (i = 0; i < 8; i++)
		assert_ptr_equal(hv__rangemap_find(&m, (uint64_t)i * 0x10)->obj, OBJ(i));
	hv__rangemap_fini(&m);
}

/* Deterministic pseudo-random order (xorshift) so inserts do not arrive sorted. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_rangemap_finds_correctly_among_many_entries(void **state)
{
	enum { N = 4096 };
	static size_t order[N];
	struct hv__rangemap m;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		size_t j = (size_t)(rng_next(&seed) % (i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Range i is [i * 0x100, i * 0x100 + 0x7f]: a 0x80 gap follows each. */
	hv__rangemap_init(&m, 0);
	for (i = 0; i < N; i++)
		assert_int_equal(hv__rangemap_insert(&m, order[i] * 0x100, 0x80, HV__RANGE_DEVICE,
						     OBJ(order[i])),
				 HV_OK);
	assert_int_equal(m.count, N);
	for (i = 1; i < N; i++)
		assert_true(m.v[i - 1].last < m.v[i].base);
	for (i = 0; i < N; i++) {
		uint64_t base = i * 0x100;
		const struct hv__range *r = hv__rangemap_find(&m, base);

		assert_non_null(r);
		assert_ptr_equal(r->obj, OBJ(i));
		assert_ptr_equal(hv__rangemap_find(&m, base + 0x7f), r);
		assert_null(hv__rangemap_find(&m, base + 0x80));
		assert_null(hv__rangemap_find(&m, base + 0xff));
		assert_int_equal(hv__rangemap_check(&m, base + 0x80, 0x80), HV_OK);
		assert_int_equal(hv__rangemap_check(&m, base + 0x80, 0x81),
				 i + 1 < N ? HV_ERR_OVERLAP : HV_OK);
	}
	assert_null(hv__rangemap_find(&m, (uint64_t)N * 0x100));
	assert_null(hv__rangemap_find(&m, UINT64_MAX));
	/* Remove every other range and look again. */
	for (i = 0; i < N; i += 2)
		hv__rangemap_remove(&m, OBJ(i));
	assert_int_equal(m.count, N / 2);
	for (i = 0; i < N; i++) {
		const struct hv__range *r = hv__rangemap_find(&m, i * 0x100 + 0x40);

		if (i % 2 == 0)
			assert_null(r);
		else
			assert_ptr_equal(r->obj, OBJ(i));
	}
	hv__rangemap_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_rangemap_starts_empty),
		TS_TEST(test_rangemap_inserts_and_finds),
		TS_TEST(test_rangemap_keeps_ranges_sorted),
		TS_TEST(test_rangemap_rejects_zero_size),
		TS_TEST(test_rangemap_rejects_wrap),
		TS_TEST(test_rangemap_accepts_ranges_ending_at_uint64_max),
		TS_TEST(test_rangemap_whole_space_is_one_range),
		TS_TEST(test_rangemap_rejects_ranges_past_the_limit),
		TS_TEST(test_rangemap_rejects_every_overlap_shape),
		TS_TEST(test_rangemap_rejects_overlap_between_neighbours),
		TS_TEST(test_rangemap_removes_by_object),
		TS_TEST(test_rangemap_grows_and_frees_its_array),
		TS_TEST(test_rangemap_insert_reports_no_memory),
		TS_TEST(test_rangemap_finds_correctly_among_many_entries),
	};

	return cmocka_run_group_tests_name("rangemap", tests, NULL, NULL);
}
