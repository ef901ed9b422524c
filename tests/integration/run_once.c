/* SPDX-License-Identifier: MIT */
/*
 * HV_VM_MANUAL_RUN: the test drives a vCPU with hv_vcpu_run_once(), inspects each exit (port,
 * width, direction, data), completes IN reads through exit->u.io.data, then hands the rest to
 * hv_vcpu_dispatch(). Also: run_once before start (HV_ERR_STATE), on a vCPU that a library
 * thread runs (HV_ERR_BUSY), and hv_vcpu_kick() from another thread ending a spinning run_once
 * with HV_EXIT_KICK.
 */
#include "itest.h"

#include "guest_run_once.h"
#include "guest_spin.h"

static hv_exit_t *next_exit(hv_vcpu_t *vcpu)
{
	hv_exit_t *exit = NULL;

	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_OK);
	assert_non_null(exit);
	return exit;
}

static void expect_io(const hv_exit_t *e, uint16_t port, uint8_t width, bool is_write,
		      uint64_t data)
{
	assert_int_equal(e->reason, HV_EXIT_IO);
	assert_int_equal(e->vcpu_index, 0);
	assert_int_equal(e->u.io.port, port);
	assert_int_equal(e->u.io.width, width);
	assert_int_equal(e->u.io.is_write, is_write);
	assert_int_equal(e->u.io.count, 1);
	if (is_write)
		assert_int_equal(e->u.io.data, data);
}

static void test_run_once_manual_loop(void **state)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	struct itest_vm t;
	hv_exit_t *e = NULL;
	hv_status_t st;
	unsigned exits = 0;
	int threads;

	(void)state;
	cfg.flags = HV_VM_MANUAL_RUN;
	itest_vm_init(&t, &cfg, "manual", 64 * 1024, 1);
	itest_load(&t, guest_run_once_start, guest_run_once_end, GUEST_RUN_ONCE_ORG);
	itest_setup_real(t.vcpu[0], GUEST_RUN_ONCE_ORG, false);

	assert_int_equal(hv_vcpu_run_once(t.vcpu[0], &e), HV_ERR_STATE); /* not started */
	assert_null(e);
	assert_int_equal(hv_vcpu_run(t.vcpu[0]), HV_ERR_STATE);
	threads = itest_thread_count();
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_int_equal(itest_thread_count(), threads); /* no library thread */
	itest_watchdog_start(&t.wd, t.vm, ITEST_WATCHDOG_MS);

	e = next_exit(t.vcpu[0]);
	expect_io(e, 0x300, 1, true, 0x55);
	assert_int_not_equal(e->pc, 0xffffffffffffffffull);
	e = next_exit(t.vcpu[0]);
	expect_io(e, 0x302, 2, true, 0x1234);
	e = next_exit(t.vcpu[0]);
	expect_io(e, 0x304, 4, false, 0);
	e->u.io.data = 0xcafebabe; /* the guest reads this */
	e = next_exit(t.vcpu[0]);
	expect_io(e, 0x306, 4, true, 0xcafebabf);

	/* The rest the library dispatches to the itest device, up to the power-off. */
	for (;;) {
		e = next_exit(t.vcpu[0]);
		exits++;
		st = hv_vcpu_dispatch(t.vcpu[0], e);
		if (st != HV_OK)
			break;
		assert_true(exits < 100);
	}
	assert_int_equal(st, HV_ERR_STATE);
	assert_false(itest_watchdog_stop(&t.wd));
	assert_int_equal(exits, 4); /* result, 'o', 'k', power-off */
	assert_int_equal(e->reason, HV_EXIT_IO);
	assert_int_equal(e->u.io.port, ITEST_PORT_POWEROFF);
	assert_int_equal(hv_vm_get_state(t.vm), HV_VM_STOPPED);
	assert_int_equal(t.con.result_count, 1);
	assert_int_equal(t.con.results[0], 0xcafebabf);
	assert_string_equal(t.con.text, "ok");
	assert_int_equal(hv_vcpu_run_once(t.vcpu[0], &e), HV_ERR_STATE); /* stopped */
	itest_vm_fini(&t);
}

struct kicker {
	hv_vcpu_t *vcpu;
	unsigned delay_ms;
	double kicked_at;
};

static void *kick_main(void *arg)
{
	struct kicker *k = arg;

	itest_sleep_ms(k->delay_ms);
	k->kicked_at = itest_now();
	assert_int_equal(hv_vcpu_kick(k->vcpu), HV_OK);
	return NULL;
}

static void test_run_once_kick_from_another_thread(void **state)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	struct itest_vm t;
	struct kicker k;
	pthread_t th;
	hv_exit_t *e;
	double t0, t1;
	uint32_t c;
	int round;

	(void)state;
	cfg.flags = HV_VM_MANUAL_RUN;
	itest_vm_init(&t, &cfg, "kick", 64 * 1024, 1);
	itest_load(&t, guest_spin_start, guest_spin_end, GUEST_SPIN_ORG);
	itest_setup_real(t.vcpu[0], GUEST_SPIN_ORG, false);
	assert_int_equal(hv_vcpu_kick(NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	itest_watchdog_start(&t.wd, t.vm, ITEST_WATCHDOG_MS);

	for (round = 0; round < 3; round++) {
		k.vcpu = t.vcpu[0];
		k.delay_ms = 100;
		t0 = itest_now();
		assert_int_equal(pthread_create(&th, NULL, kick_main, &k), 0);
		e = next_exit(t.vcpu[0]); /* the guest never exits by itself */
		t1 = itest_now();
		pthread_join(th, NULL);
		assert_int_equal(e->reason, HV_EXIT_KICK);
		assert_true(t1 >= k.kicked_at);
		assert_true(t1 - t0 >= 0.09);
		assert_true(t1 - k.kicked_at < 1.0);
		assert_int_equal(hv_vcpu_dispatch(t.vcpu[0], e), HV_OK); /* still running */
	}
	c = itest_read32(t.vm, 0x504);
	assert_true(c > 1000); /* the guest ran between the kicks */
	assert_int_equal(itest_read32(t.vm, 0x500), 1);
	assert_false(itest_watchdog_stop(&t.wd));
	assert_int_equal(hv_vm_stop(t.vm), HV_OK);
	itest_vm_fini(&t);
}

static void test_run_once_busy_on_threaded_vcpu(void **state)
{
	struct itest_vm t;
	hv_exit_t *e = NULL;
	hv_vm_state_t st;
	uint64_t v;

	(void)state;
	itest_vm_init(&t, NULL, "threaded", 64 * 1024, 1);
	itest_load(&t, guest_spin_start, guest_spin_end, GUEST_SPIN_ORG);
	itest_setup_real(t.vcpu[0], GUEST_SPIN_ORG, false);
	itest_watchdog_start(&t.wd, t.vm, ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	/* Once the guest runs, the library thread owns the vCPU. */
	assert_true(itest_wait_mem32(t.vm, 0x504, 1000, 2000));
	assert_int_equal(hv_vcpu_run_once(t.vcpu[0], &e), HV_ERR_BUSY);
	assert_null(e);
	assert_int_equal(hv_vcpu_run(t.vcpu[0]), HV_ERR_BUSY);
	assert_int_equal(hv_vcpu_get_reg(t.vcpu[0], HV_X86_RAX, &v), HV_ERR_BUSY);
	assert_int_equal(hv_vm_stop(t.vm), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	assert_false(itest_watchdog_stop(&t.wd));
	assert_int_equal(st, HV_VM_STOPPED);
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_once_manual_loop),
		cmocka_unit_test(test_run_once_kick_from_another_thread),
		cmocka_unit_test(test_run_once_busy_on_threaded_vcpu),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
