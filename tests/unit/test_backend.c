/* SPDX-License-Identifier: MIT */
/* Finding, checking and querying backends (the mock is not in the compiled-in table). */
#include "test_support.h"

static void test_backend_list_counts_the_compiled_in_backends(void **state)
{
	const hv_backend_t *list[8];
	size_t count = 99, n, i;

	(void)state;
	assert_int_equal(hv_backend_list(NULL, 0, &count), HV_OK);
	n = count;
	assert_true(n <= 8);
	assert_int_equal(hv_backend_list(list, 8, &count), HV_OK);
	assert_int_equal(count, n);
	for (i = 0; i < n; i++) {
		const hv_backend_t *found = NULL;

		assert_non_null(list[i]);
		assert_int_equal(hv_backend_find(hv_backend_name(list[i]), &found), HV_OK);
		assert_ptr_equal(found, list[i]);
	}
	/* A short array still gets the full count. */
	if (n > 0) {
		assert_int_equal(hv_backend_list(list, 1, &count), HV_OK);
		assert_int_equal(count, n);
	}
}

static void test_backend_list_rejects_bad_arguments(void **state)
{
	const hv_backend_t *list[2];
	size_t count = 0;

	(void)state;
	assert_int_equal(hv_backend_list(list, 2, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_backend_list(NULL, 1, &count), HV_ERR_INVALID_ARG);
}

static void test_backend_find_reports_unknown_names(void **state)
{
	const hv_backend_t *b = (const hv_backend_t *)0x1;

	(void)state;
	assert_int_equal(hv_backend_find("no-such-backend", &b), HV_ERR_NOT_FOUND);
	assert_int_equal(hv_backend_find("mock", &b), HV_ERR_NOT_FOUND); /* not compiled in */
	assert_int_equal(hv_backend_find("", &b), HV_ERR_NOT_FOUND);
	assert_ptr_equal(b, (const hv_backend_t *)0x1);
	assert_int_equal(hv_backend_find(NULL, &b), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_backend_find("kvm", NULL), HV_ERR_INVALID_ARG);
}

static void test_backend_name_accepts_null(void **state)
{
	(void)state;
	assert_string_equal(hv_backend_name(&mock_backend), "mock");
	assert_string_equal(hv_backend_name(NULL), "(null)");
}

static void test_backend_check_reports_whether_it_works(void **state)
{
	struct hv_backend other = mock_backend;

	(void)state;
	assert_int_equal(hv_backend_check(&mock_backend), HV_OK);
	mock_knobs.check_status = HV_ERR_UNSUPPORTED;
	assert_int_equal(hv_backend_check(&mock_backend), HV_ERR_NO_BACKEND);
	mock_knobs.check_status = HV_OK;
	other.version = 0;
	assert_int_equal(hv_backend_check(&other), HV_ERR_NO_BACKEND);
	assert_int_equal(hv_backend_check(NULL), HV_ERR_INVALID_ARG);
}

static void test_backend_probe_finds_a_working_backend_or_none(void **state)
{
	const hv_backend_t *b = NULL;
	hv_status_t st;

	(void)state;
	assert_int_equal(hv_backend_probe(NULL), HV_ERR_INVALID_ARG);
	st = hv_backend_probe(&b);
	/* Depends on the host (KVM or not); either way the answer is consistent. */
	if (st == HV_OK) {
		assert_non_null(b);
		assert_int_equal(hv_backend_check(b), HV_OK);
	} else {
		assert_int_equal(st, HV_ERR_NO_BACKEND);
		assert_null(b);
	}
}

static void test_backend_caps_reports_what_the_backend_can_do(void **state)
{
	hv_backend_caps_t caps = HV_BACKEND_CAPS_INIT;

	(void)state;
	mock_knobs.max_vcpus = 7;
	mock_knobs.irq_inputs = 48;
	assert_int_equal(hv_backend_caps(&mock_backend, &caps), HV_OK);
	assert_int_equal(caps.struct_size, sizeof(caps));
	assert_int_equal(caps.arch, HV_ARCH_X86_64);
	assert_int_equal(caps.max_vcpus, 7);
	assert_int_equal(caps.irq_inputs, 48);
	assert_int_equal(caps.max_regions, 32);
	assert_int_equal(caps.max_gpa, 1ull << 40);
	assert_true(caps.flags & HV_CAP_PIO);
}

static void test_backend_caps_reports_every_error(void **state)
{
	hv_backend_caps_t caps = HV_BACKEND_CAPS_INIT;

	(void)state;
	assert_int_equal(hv_backend_caps(NULL, &caps), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_backend_caps(&mock_backend, NULL), HV_ERR_INVALID_ARG);
	caps.struct_size = sizeof(caps) + 4;
	assert_int_equal(hv_backend_caps(&mock_backend, &caps), HV_ERR_ABI);
	caps.struct_size = sizeof(caps);
	mock_knobs.check_status = HV_ERR_BACKEND;
	assert_int_equal(hv_backend_caps(&mock_backend, &caps), HV_ERR_NO_BACKEND);
	mock_knobs.check_status = HV_OK;
	mock_knobs.caps_status = HV_ERR_BACKEND;
	assert_int_equal(hv_backend_caps(&mock_backend, &caps), HV_ERR_NO_BACKEND);
	/* Nothing written on failure. */
	assert_int_equal(caps.max_vcpus, 0);
	assert_int_equal(caps.arch, HV_ARCH_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_backend_list_counts_the_compiled_in_backends),
		TS_TEST(test_backend_list_rejects_bad_arguments),
		TS_TEST(test_backend_find_reports_unknown_names),
		TS_TEST(test_backend_name_accepts_null),
		TS_TEST(test_backend_check_reports_whether_it_works),
		TS_TEST(test_backend_probe_finds_a_working_backend_or_none),
		TS_TEST(test_backend_caps_reports_what_the_backend_can_do),
		TS_TEST(test_backend_caps_reports_every_error),
	};

	return cmocka_run_group_tests_name("backend", tests, NULL, NULL);
}
