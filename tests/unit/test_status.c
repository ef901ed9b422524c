/* SPDX-License-Identifier: MIT */
/* Names of statuses, exit reasons, fault kinds, VM states and events; the version. */
#include "test_support.h"

#include <stdio.h>

static void test_status_str_names_every_status(void **state)
{
	static const struct {
		hv_status_t status;
		int value;
		const char *name;
	} known[] = {
		{ HV_OK, 0, "HV_OK" },
		{ HV_ERR_INVALID_ARG, -1, "HV_ERR_INVALID_ARG" },
		{ HV_ERR_NO_MEMORY, -2, "HV_ERR_NO_MEMORY" },
		{ HV_ERR_UNSUPPORTED, -3, "HV_ERR_UNSUPPORTED" },
		{ HV_ERR_ABI, -4, "HV_ERR_ABI" },
		{ HV_ERR_STATE, -5, "HV_ERR_STATE" },
		{ HV_ERR_NOT_FOUND, -6, "HV_ERR_NOT_FOUND" },
		{ HV_ERR_ZERO_SIZE, -7, "HV_ERR_ZERO_SIZE" },
		{ HV_ERR_WRAP, -8, "HV_ERR_WRAP" },
		{ HV_ERR_OVERLAP, -9, "HV_ERR_OVERLAP" },
		{ HV_ERR_ALIGNMENT, -10, "HV_ERR_ALIGNMENT" },
		{ HV_ERR_BUSY, -11, "HV_ERR_BUSY" },
		{ HV_ERR_LIMIT, -12, "HV_ERR_LIMIT" },
		{ HV_ERR_UNKNOWN_REG, -13, "HV_ERR_UNKNOWN_REG" },
		{ HV_ERR_NO_BACKEND, -14, "HV_ERR_NO_BACKEND" },
		{ HV_ERR_BACKEND, -15, "HV_ERR_BACKEND" },
		{ HV_ERR_NOT_MAPPED, -16, "HV_ERR_NOT_MAPPED" },
		{ HV_ERR_NO_PLATFORM, -17, "HV_ERR_NO_PLATFORM" },
		{ HV_ERR_RANGE, -18, "HV_ERR_RANGE" },
		{ HV_ERR_BAD_IMAGE, -19, "HV_ERR_BAD_IMAGE" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		/* The numeric values are ABI: pinned. */
		assert_int_equal((int)known[i].status, known[i].value);
		assert_string_equal(hv_status_str(known[i].status), known[i].name);
	}
}

static void test_status_str_unknown_values_are_named_unknown(void **state)
{
	static const int unknown[] = { 1, 42, -20, -100, INT_MIN, INT_MAX };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *s = hv_status_str((hv_status_t)unknown[i]);

		assert_non_null(s);
		assert_string_equal(s, "HV_ERR_UNKNOWN");
	}
}

static void test_status_names_are_distinct(void **state)
{
	int a, b;

	(void)state;
	for (a = HV_ERR_BAD_IMAGE; a <= HV_OK; a++)
		for (b = a + 1; b <= HV_OK; b++)
			assert_string_not_equal(hv_status_str((hv_status_t)a),
						hv_status_str((hv_status_t)b));
}

static void test_version_matches_the_header(void **state)
{
	char expect[32];

	(void)state;
	assert_int_equal(hv_version(), HV_VERSION_NUMBER);
	assert_int_equal(HV_VERSION_NUMBER,
			 HV_VERSION_MAJOR * 10000 + HV_VERSION_MINOR * 100 + HV_VERSION_PATCH);
	snprintf(expect, sizeof(expect), "%d.%d.%d", HV_VERSION_MAJOR, HV_VERSION_MINOR,
		 HV_VERSION_PATCH);
	assert_non_null(hv_version_str());
	assert_string_equal(hv_version_str(), expect);
}

static void test_exit_reason_str_names_every_reason(void **state)
{
	static const struct {
		hv_exit_reason_t reason;
		int value;
		const char *name;
	} known[] = {
		{ HV_EXIT_NONE, 0, "none" },           { HV_EXIT_IO, 1, "port I/O" },
		{ HV_EXIT_MMIO, 2, "MMIO" },           { HV_EXIT_HALT, 3, "halt" },
		{ HV_EXIT_SHUTDOWN, 4, "shutdown" },   { HV_EXIT_RESET, 5, "reset" },
		{ HV_EXIT_FAULT, 6, "fault" },         { HV_EXIT_KICK, 7, "kick" },
		{ HV_EXIT_HYPERCALL, 8, "hypercall" }, { HV_EXIT_UNKNOWN, 9, "unknown" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_int_equal((int)known[i].reason, known[i].value);
		assert_string_equal(hv_exit_reason_str(known[i].reason), known[i].name);
	}
	assert_string_equal(hv_exit_reason_str((hv_exit_reason_t)10), "?");
	assert_string_equal(hv_exit_reason_str((hv_exit_reason_t)-1), "?");
}

static void test_fault_kind_str_names_every_kind(void **state)
{
	static const struct {
		hv_fault_kind_t kind;
		const char *name;
	} known[] = {
		{ HV_FAULT_NONE, "none" },
		{ HV_FAULT_TRIPLE, "triple fault" },
		{ HV_FAULT_UNMAPPED, "access to unmapped address" },
		{ HV_FAULT_EMULATION, "instruction emulation failed" },
		{ HV_FAULT_ENTRY, "invalid guest state at entry" },
		{ HV_FAULT_INTERNAL, "hypervisor internal error" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_int_equal((int)known[i].kind, (int)i);
		assert_string_equal(hv_fault_kind_str(known[i].kind), known[i].name);
	}
	assert_string_equal(hv_fault_kind_str((hv_fault_kind_t)6), "?");
	assert_string_equal(hv_fault_kind_str((hv_fault_kind_t)-1), "?");
}

static void test_vm_state_str_names_every_state(void **state)
{
	(void)state;
	assert_string_equal(hv_vm_state_str(HV_VM_CREATED), "created");
	assert_string_equal(hv_vm_state_str(HV_VM_RUNNING), "running");
	assert_string_equal(hv_vm_state_str(HV_VM_PAUSED), "paused");
	assert_string_equal(hv_vm_state_str(HV_VM_STOPPED), "stopped");
	assert_string_equal(hv_vm_state_str((hv_vm_state_t)4), "?");
	assert_string_equal(hv_vm_state_str((hv_vm_state_t)-1), "?");
}

static void test_event_type_str_names_every_event(void **state)
{
	(void)state;
	assert_string_equal(hv_event_type_str(HV_EVENT_VM_STOPPED), "VM stopped");
	assert_string_equal(hv_event_type_str(HV_EVENT_GUEST_SHUTDOWN), "guest shutdown");
	assert_string_equal(hv_event_type_str(HV_EVENT_GUEST_RESET), "guest reset");
	assert_string_equal(hv_event_type_str(HV_EVENT_UNHANDLED_EXIT), "unhandled exit");
	assert_string_equal(hv_event_type_str(HV_EVENT_FAULT), "fault");
	assert_string_equal(hv_event_type_str(HV_EVENT_VM_RESTARTED), "VM restarted");
	assert_string_equal(hv_event_type_str(HV_EVENT_VM_PAUSED), "VM paused");
	assert_string_equal(hv_event_type_str(HV_EVENT_WATCHDOG), "watchdog expired");
	assert_string_equal(hv_event_type_str((hv_event_type_t)0), "?");
	assert_string_equal(hv_event_type_str((hv_event_type_t)9), "?");
}

static void test_status_str_needs_no_platform(void **state)
{
	/* Callable before anything else: no allocation, no log line. */
	(void)state;
	assert_string_equal(hv_status_str(HV_ERR_WRAP), "HV_ERR_WRAP");
	assert_int_equal(tp_alloc_calls(), 0);
	assert_int_equal(tp_log_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_status_str_names_every_status),
		TS_TEST(test_status_str_unknown_values_are_named_unknown),
		TS_TEST(test_status_names_are_distinct),
		TS_TEST(test_version_matches_the_header),
		TS_TEST(test_exit_reason_str_names_every_reason),
		TS_TEST(test_fault_kind_str_names_every_kind),
		TS_TEST(test_vm_state_str_names_every_state),
		TS_TEST(test_event_type_str_names_every_event),
		TS_TEST(test_status_str_needs_no_platform),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
