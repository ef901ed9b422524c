/* SPDX-License-Identifier: MIT */
/* The platform ops table: validation, when it may change, logging, and the core's wrappers. */
#include "test_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static hv_platform_ops_t copy_of_tp(void)
{
	return *tp_ops();
}

static void test_platform_set_accepts_a_complete_table(void **state)
{
	hv_platform_ops_t t = copy_of_tp();

	(void)state;
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
	/* Optional pairs may both be absent. */
	t.thread_create = NULL;
	t.thread_join = NULL;
	t.ram_alloc = NULL;
	t.ram_free = NULL;
	assert_int_equal(hv_platform_set(&t), HV_OK);
	assert_ptr_equal(hv__platform_get(), &t);
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
	assert_ptr_equal(hv__platform_get(), tp_ops());
}

static void test_platform_set_rejects_unknown_size_or_version(void **state)
{
	hv_platform_ops_t t = copy_of_tp();

	(void)state;
	t.struct_size = sizeof(t) - 8;
	assert_int_equal(hv_platform_set(&t), HV_ERR_ABI);
	t.struct_size = sizeof(t) + 8;
	assert_int_equal(hv_platform_set(&t), HV_ERR_ABI);
	t.struct_size = 0;
	assert_int_equal(hv_platform_set(&t), HV_ERR_ABI);
	t = copy_of_tp();
	t.version = HV_PLATFORM_OPS_VERSION + 1;
	assert_int_equal(hv_platform_set(&t), HV_ERR_ABI);
	t.version = 0;
	assert_int_equal(hv_platform_set(&t), HV_ERR_ABI);
	/* The installed table is unchanged. */
	assert_ptr_equal(hv__platform_get(), tp_ops());
}

static void test_platform_set_rejects_missing_mandatory_callbacks(void **state)
{
	static const size_t mandatory[] = {
		offsetof(hv_platform_ops_t, alloc),
		offsetof(hv_platform_ops_t, free),
		offsetof(hv_platform_ops_t, log),
		offsetof(hv_platform_ops_t, time_ns),
		offsetof(hv_platform_ops_t, panic),
		offsetof(hv_platform_ops_t, lock_create),
		offsetof(hv_platform_ops_t, lock_destroy),
		offsetof(hv_platform_ops_t, lock_acquire),
		offsetof(hv_platform_ops_t, lock_release),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++) {
		hv_platform_ops_t t = copy_of_tp();

		memset((char *)&t + mandatory[i], 0, sizeof(void (*)(void)));
		if (hv_platform_set(&t) != HV_ERR_INVALID_ARG)
			fail_msg("callback at offset %zu missing was accepted", mandatory[i]);
	}
	assert_ptr_equal(hv__platform_get(), tp_ops());
}

static void test_platform_set_rejects_half_pairs(void **state)
{
	hv_platform_ops_t t;

	(void)state;
	t = copy_of_tp();
	t.thread_join = NULL;
	assert_int_equal(hv_platform_set(&t), HV_ERR_INVALID_ARG);
	t = copy_of_tp();
	t.thread_create = NULL;
	assert_int_equal(hv_platform_set(&t), HV_ERR_INVALID_ARG);
	t = copy_of_tp();
	t.ram_free = NULL;
	assert_int_equal(hv_platform_set(&t), HV_ERR_INVALID_ARG);
	t = copy_of_tp();
	t.ram_alloc = NULL;
	assert_int_equal(hv_platform_set(&t), HV_ERR_INVALID_ARG);
	assert_ptr_equal(hv__platform_get(), tp_ops());
}

static void *fake_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	(void)ctx;
	(void)fn;
	(void)arg;
	return NULL;
}

static void fake_timer_arm(void *ctx, void *timer, uint64_t deadline_ns)
{
	(void)ctx;
	(void)timer;
	(void)deadline_ns;
}

static void fake_timer_op(void *ctx, void *timer)
{
	(void)ctx;
	(void)timer;
}

static void test_platform_set_rejects_a_partial_timer_group(void **state)
{
	hv_platform_ops_t t;
	int missing;

	(void)state;
	for (missing = 0; missing < 4; missing++) {
		t = copy_of_tp();
		t.timer_create = missing == 0 ? NULL : fake_timer_create;
		t.timer_arm = missing == 1 ? NULL : fake_timer_arm;
		t.timer_cancel = missing == 2 ? NULL : fake_timer_op;
		t.timer_destroy = missing == 3 ? NULL : fake_timer_op;
		assert_int_equal(hv_platform_set(&t), HV_ERR_INVALID_ARG);
	}
	/* All four, or none. */
	t = copy_of_tp();
	t.timer_create = fake_timer_create;
	t.timer_arm = fake_timer_arm;
	t.timer_cancel = fake_timer_op;
	t.timer_destroy = fake_timer_op;
	assert_int_equal(hv_platform_set(&t), HV_OK);
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
}

static void test_platform_set_is_busy_while_a_vm_exists(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);

	(void)state;
	assert_int_equal(hv_platform_set(tp_ops()), HV_ERR_BUSY);
	assert_int_equal(hv_platform_set(NULL), HV_ERR_BUSY);
	assert_ptr_equal(hv__platform_get(), tp_ops());
	hv_vm_destroy(vm);
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
}

static void test_platform_set_is_busy_while_several_vms_exist(void **state)
{
	hv_vm_t *a = ts_vm_new(0), *b = ts_vm_new(0);

	(void)state;
	hv_vm_destroy(a);
	assert_int_equal(hv_platform_set(tp_ops()), HV_ERR_BUSY);
	hv_vm_destroy(b);
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
}

static void test_platform_set_is_busy_while_shm_exists(void **state)
{
	hv_shm_t *shm = NULL;

	(void)state;
	assert_int_equal(hv_shm_create(HV_PAGE_SIZE, &shm), HV_OK);
	assert_int_equal(hv_platform_set(tp_ops()), HV_ERR_BUSY);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
}

static void test_platform_failed_vm_create_does_not_hold_the_platform(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	(void)state;
	mock_knobs.vm_init_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_BACKEND);
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
}

static void test_platform_set_null_restores_hosted(void **state)
{
	const hv_platform_ops_t *hosted = hv_platform_hosted();

	(void)state;
	if (hosted == NULL) {
		print_message("freestanding build: no hosted platform to restore\n");
		skip();
	}
	assert_int_equal(hv_platform_set(NULL), HV_OK);
	assert_ptr_equal(hv__platform_get(), hosted);
	assert_int_equal(hv_platform_set(tp_ops()), HV_OK);
	assert_ptr_equal(hv__platform_get(), tp_ops());
}

static void test_platform_set_null_is_no_platform_when_freestanding(void **state)
{
	(void)state;
	if (hv_platform_hosted() != NULL) {
		print_message("hosted build: hv_platform_set(NULL) restores the hosted platform, "
			      "HV_ERR_NO_PLATFORM cannot happen\n");
		skip();
	}
	assert_int_equal(hv_platform_set(NULL), HV_ERR_NO_PLATFORM);
}

static void test_platform_hosted_table_is_complete_and_valid(void **state)
{
	const hv_platform_ops_t *h = hv_platform_hosted();

	(void)state;
	if (h == NULL)
		skip();
	assert_int_equal(h->struct_size, sizeof(hv_platform_ops_t));
	assert_int_equal(h->version, HV_PLATFORM_OPS_VERSION);
	assert_non_null(h->alloc);
	assert_non_null(h->free);
	assert_non_null(h->log);
	assert_non_null(h->time_ns);
	assert_non_null(h->panic);
	assert_non_null(h->lock_create);
	assert_non_null(h->thread_create);
	assert_non_null(h->thread_join);
	assert_non_null(h->ram_alloc);
	assert_non_null(h->ram_free);
}

static void test_platform_log_level_defaults_to_warn_and_clamps(void **state)
{
	(void)state;
	assert_int_equal(hv_log_get_level(), HV_LOG_WARN);
	hv_log_set_level(HV_LOG_NONE);
	assert_int_equal(hv_log_get_level(), HV_LOG_NONE);
	hv_log_set_level(HV_LOG_DEBUG);
	assert_int_equal(hv_log_get_level(), HV_LOG_DEBUG);
	hv_log_set_level(HV_LOG_TRACE);
	assert_int_equal(hv_log_get_level(), HV_LOG_TRACE);
	hv_log_set_level((hv_log_level_t)(HV_LOG_TRACE + 1));
	assert_int_equal(hv_log_get_level(), HV_LOG_TRACE);
	hv_log_set_level((hv_log_level_t)1000);
	assert_int_equal(hv_log_get_level(), HV_LOG_TRACE);
	hv_log_set_level((hv_log_level_t)-3);
	assert_int_equal(hv_log_get_level(), HV_LOG_NONE);
}

static void test_platform_log_filters_by_level(void **state)
{
	(void)state;
	hv_log_set_level(HV_LOG_WARN);
	HV_LOGI("info %d", 1);
	HV_LOGD("debug %d", 2);
	assert_int_equal(tp_log_count(), 0);
	HV_LOGW("warn %s", "x");
	HV_LOGE("error %u", 7u);
	assert_int_equal(tp_log_count(), 2);
	assert_true(tp_log_contains("warn x"));
	assert_true(tp_log_contains("error 7"));
	assert_int_equal(tp_log_last_level(), HV_LOG_ERROR);
	hv_log_set_level(HV_LOG_TRACE);
	HV_LOGT("trace 0x%llx", 0xabcull);
	assert_true(tp_log_contains("trace 0xabc"));
	assert_int_equal(tp_log_last_level(), HV_LOG_TRACE);
	hv_log_set_level(HV_LOG_NONE);
	HV_LOGE("silenced");
	assert_false(tp_log_contains("silenced"));
}

static void test_platform_log_lines_are_truncated_not_overflowed(void **state)
{
	char big[1024];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	HV_LOGE("%s", big);
	assert_int_equal(tp_log_count(), 1);
	assert_true(tp_log_contains("aaaaaaaa"));
}

static void test_platform_vm_life_cycle_logs_at_info(void **state)
{
	hv_vm_t *vm;

	(void)state;
	vm = ts_vm_new(0);
	hv_vm_destroy(vm);
	assert_int_equal(tp_log_count(), 0);
	hv_log_set_level(HV_LOG_INFO);
	vm = ts_vm_new(0);
	hv_vm_destroy(vm);
	assert_true(tp_log_contains("created on backend mock"));
	assert_true(tp_log_contains("destroyed"));
}

static void test_platform_alloc_is_zeroed_and_counted(void **state)
{
	struct tp_stats s;
	uint8_t *p;
	size_t i;

	(void)state;
	p = hv__alloc(100);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 16, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(p[i], 0); /* the counting allocator fills with 0xa5 */
	tp_get_stats(&s);
	assert_int_equal(s.live_allocs, 1);
	assert_int_equal(s.live_bytes, 100);
	hv__free(p, 100);
	assert_int_equal(tp_live_allocs(), 0);
	assert_null(hv__alloc(0));
	hv__free(NULL, 10); /* no-op */
}

static void test_platform_counting_allocator_catches_misuse(void **state)
{
	struct tp_stats s;
	void *p;

	(void)state;
	/* The allocator is what catches the core's mistakes: make sure it does. */
	p = hv__alloc(32);
	hv__free(p, 16);
	tp_get_stats(&s);
	assert_int_equal(s.bad_frees, 1);
	assert_int_equal(s.live_allocs, 0);
	tp_install(0); /* reset the counters for teardown */
}

static void test_platform_alloc_failure_injection_hits_the_nth_call(void **state)
{
	void *a, *b, *c;

	(void)state;
	tp_fail_alloc_at(2);
	a = hv__alloc(8);
	b = hv__alloc(8);
	c = hv__alloc(8);
	assert_non_null(a);
	assert_null(b);
	assert_non_null(c);
	assert_int_equal(tp_alloc_calls(), 3);
	hv__free(a, 8);
	hv__free(c, 8);
}

static void test_platform_ram_comes_from_ram_alloc(void **state)
{
	struct tp_stats s;
	uint8_t *p;

	(void)state;
	p = hv__ram_alloc(3 * HV_PAGE_SIZE);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % HV_PAGE_SIZE, 0);
	assert_int_equal(p[0] | p[3 * HV_PAGE_SIZE - 1], 0);
	tp_get_stats(&s);
	assert_int_equal(s.live_ram, 1);
	hv__ram_free(p, 3 * HV_PAGE_SIZE);
	assert_null(hv__ram_alloc(0));
	hv__ram_free(NULL, 0);
}

static void test_platform_ram_falls_back_to_aligned_zeroed_alloc(void **state)
{
	struct tp_stats s;
	uint8_t *p;
	size_t i;

	(void)state;
	p = hv__ram_alloc(2 * HV_PAGE_SIZE);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % HV_PAGE_SIZE, 0);
	for (i = 0; i < 2 * HV_PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	tp_get_stats(&s);
	assert_int_equal(s.live_ram, 0);
	assert_int_equal(s.live_allocs, 1);
	hv__ram_free(p, 2 * HV_PAGE_SIZE);
}

static void test_platform_strings_helpers(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(hv__strlen(""), 0);
	assert_int_equal(hv__strlen("abc"), 3);
	assert_int_equal(hv__strcmp("abc", "abc"), 0);
	assert_true(hv__strcmp("abc", "abd") < 0);
	assert_true(hv__strcmp("abd", "abc") > 0);
	assert_true(hv__strcmp("ab", "abc") < 0);
	assert_true(hv__strcmp("\xff", "a") > 0); /* unsigned comparison */
	assert_null(hv__strdup(NULL));
	s = hv__strdup("kvm");
	assert_string_equal(s, "kvm");
	hv__strfree(s);
	hv__strfree(NULL);
	tp_fail_alloc_at(1);
	assert_null(hv__strdup("x"));
}

static void test_platform_locks_and_time(void **state)
{
	struct tp_stats s;
	void *lock;
	uint64_t t0, t1;

	(void)state;
	lock = hv__lock_create();
	assert_non_null(lock);
	hv__lock(lock);
	hv__unlock(lock);
	tp_get_stats(&s);
	assert_int_equal(s.live_locks, 1);
	hv__lock_destroy(lock);
	hv__lock_destroy(NULL);
	tp_fail_lock_at(1);
	assert_null(hv__lock_create());
	t0 = hv__time_ns();
	t1 = hv__time_ns();
	assert_true(t0 != 0);
	assert_true(t1 >= t0);
}

static void test_platform_assert_calls_the_panic_callback(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child's stderr would show the expected panic line: silence it. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		HV_ASSERT(1 + 1 == 3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_platform_set_accepts_a_complete_table),
		TS_TEST(test_platform_set_rejects_unknown_size_or_version),
		TS_TEST(test_platform_set_rejects_missing_mandatory_callbacks),
		TS_TEST(test_platform_set_rejects_half_pairs),
		TS_TEST(test_platform_set_rejects_a_partial_timer_group),
		TS_TEST(test_platform_set_is_busy_while_a_vm_exists),
		TS_TEST(test_platform_set_is_busy_while_several_vms_exist),
		TS_TEST(test_platform_set_is_busy_while_shm_exists),
		TS_TEST(test_platform_failed_vm_create_does_not_hold_the_platform),
		TS_TEST(test_platform_set_null_restores_hosted),
		TS_TEST(test_platform_set_null_is_no_platform_when_freestanding),
		TS_TEST(test_platform_hosted_table_is_complete_and_valid),
		TS_TEST(test_platform_log_level_defaults_to_warn_and_clamps),
		TS_TEST(test_platform_log_filters_by_level),
		TS_TEST(test_platform_log_lines_are_truncated_not_overflowed),
		TS_TEST(test_platform_vm_life_cycle_logs_at_info),
		TS_TEST(test_platform_alloc_is_zeroed_and_counted),
		TS_TEST(test_platform_counting_allocator_catches_misuse),
		TS_TEST(test_platform_alloc_failure_injection_hits_the_nth_call),
		TS_TEST(test_platform_ram_comes_from_ram_alloc),
		TS_TEST_NO_RAM_ALLOC(test_platform_ram_falls_back_to_aligned_zeroed_alloc),
		TS_TEST(test_platform_strings_helpers),
		TS_TEST(test_platform_locks_and_time),
		TS_TEST(test_platform_assert_calls_the_panic_callback),
	};

	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
