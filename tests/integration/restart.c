/* SPDX-License-Identifier: MIT */
/*
 * Guest-failure detection and automatic restart: a guest that counts its boots and then
 * triple-faults is restarted by the library per the VM's fault policy, up to restart_limit
 * times; the stop info and the event sequence say what happened. HV_POLICY_STOP stops at the
 * first fault; an unlimited policy lets a guest that recovers run to its power-off.
 */
#include "itest.h"

#include "guest_restart.h"

#define BOOTS 0x500

static void restart_vm(struct itest_vm *t, hv_policy_t policy, uint32_t limit,
		       uint32_t good_boot)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;

	cfg.on_fault = policy;
	cfg.restart_limit = limit;
	itest_vm_init(t, &cfg, "restart", 64 * 1024, 1);
	itest_load(t, guest_restart_start, guest_restart_end, GUEST_RESTART_ORG);
	t->reload_on_reset = true; /* the on_reset hook reloads the image each time */
	itest_setup_prot32(t->vm, t->vcpu[0], GUEST_RESTART_ORG, 0x8000);
	assert_int_equal(hv_vcpu_set_reg(t->vcpu[0], HV_X86_RBX, good_boot), HV_OK);
}

static void test_restart_policy_restarts_up_to_the_limit(void **state)
{
	struct itest_vm t;
	hv_vm_state_t st;
	hv_stop_info_t info;
	size_t i;
	int at;

	(void)state;
	restart_vm(&t, HV_POLICY_RESTART, 3, UINT32_MAX);
	assert_int_equal(itest_run(&t, ITEST_WATCHDOG_MS, &st), HV_OK);
	assert_false(t.watchdog_fired);
	assert_int_equal(st, HV_VM_STOPPED);

	/* 1 + 3 runs, each a boot that faulted. */
	assert_int_equal(itest_read32(t.vm, BOOTS), 4);
	assert_string_equal(t.con.text, "BBBB");
	assert_int_equal(t.con.result_count, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(t.con.results[i], i + 1);
	assert_int_equal(t.host_resets, 3);
	assert_int_equal(t.con.resets, 3);

	info = itest_stop_info(&t);
	assert_int_equal(info.restarts, 3);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.exit.reason, HV_EXIT_FAULT);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_TRIPLE);

	/* Events: (FAULT, VM_STOPPED, VM_RESTARTED) x 3, then FAULT, VM_STOPPED. */
	if (t.ev_count != 11)
		itest_events_print(&t);
	assert_int_equal(itest_event_count(&t, HV_EVENT_VM_RESTARTED), 3);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 4);
	assert_int_equal(itest_event_count(&t, HV_EVENT_VM_STOPPED), 4);
	assert_int_equal(t.ev_count, 11);
	at = 0;
	for (i = 0; i < 3; i++) {
		assert_int_equal(t.ev_type[at++], HV_EVENT_FAULT);
		assert_int_equal(t.ev_type[at++], HV_EVENT_VM_STOPPED);
		assert_int_equal(t.ev_type[at++], HV_EVENT_VM_RESTARTED);
	}
	assert_int_equal(t.ev_type[at++], HV_EVENT_FAULT);
	assert_int_equal(t.ev_type[at++], HV_EVENT_VM_STOPPED);
	itest_vm_fini(&t);
}

static void test_restart_stop_policy_stops_at_first_fault(void **state)
{
	struct itest_vm t;
	hv_vm_state_t st;
	hv_stop_info_t info;

	(void)state;
	restart_vm(&t, HV_POLICY_STOP, 3, UINT32_MAX);
	assert_int_equal(itest_run(&t, ITEST_WATCHDOG_MS, &st), HV_OK);
	assert_false(t.watchdog_fired);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(itest_read32(t.vm, BOOTS), 1);
	assert_string_equal(t.con.text, "B");
	assert_int_equal(t.host_resets, 0);
	info = itest_stop_info(&t);
	assert_int_equal(info.restarts, 0);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_TRIPLE);
	assert_int_equal(itest_event_count(&t, HV_EVENT_VM_RESTARTED), 0);
	assert_int_equal(t.ev_count, 2);
	assert_int_equal(t.ev_type[0], HV_EVENT_FAULT);
	assert_int_equal(t.ev_type[1], HV_EVENT_VM_STOPPED);
	itest_vm_fini(&t);
}

static void test_restart_unlimited_until_the_guest_recovers(void **state)
{
	struct itest_vm t;
	hv_stop_info_t info;

	(void)state;
	/* Faults on boots 1-4, powers off on boot 5; limit 0 means unlimited. */
	restart_vm(&t, HV_POLICY_RESTART, 0, 5);
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(itest_read32(t.vm, BOOTS), 5);
	assert_string_equal(t.con.text, "BBBBB");
	info = itest_stop_info(&t);
	assert_int_equal(info.restarts, 4);
	assert_int_equal(info.cause, HV_EVENT_VM_STOPPED); /* the power switch, not a fault */
	assert_int_equal(itest_event_count(&t, HV_EVENT_VM_RESTARTED), 4);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 4);
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_policy_restarts_up_to_the_limit),
		cmocka_unit_test(test_restart_stop_policy_stops_at_first_fault),
		cmocka_unit_test(test_restart_unlimited_until_the_guest_recovers),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
