/* SPDX-License-Identifier: MIT */
/*
 * Two vCPUs in one VM both run guest code when the host sets both program counters: each
 * reports its own APIC ID (from CPUID) and a per-vCPU register the host set; the library's
 * vCPU threads are joined by hv_vm_wait. A secondary vCPU whose PC the host did not set waits
 * for INIT/SIPI and does not run. vCPU indices are checked against the backend's limit.
 * The boot vCPU waits for the others without a spin budget (how far a budget reaches depends
 * on the hypervisor's speed: in a nested KVM with hardware semantics 200000 iterations end
 * before a second vCPU's thread has entered the guest); the host ends that wait when needed.
 */
#include "itest.h"

#include "guest_smp.h"

#define SMP_COUNT 0x600        /* the guest's check-in counter (16 bits) */
#define SMP_STOP 0x604         /* non-zero: the boot vCPU stops waiting for check-ins */
#define SECONDARY_CHANCE_MS 200

static void smp_vm(struct itest_vm *t, unsigned run_vcpus, unsigned expect)
{
	unsigned i;

	itest_vm_init(t, NULL, "smp", 64 * 1024, 2);
	itest_load(t, guest_smp_start, guest_smp_end, GUEST_SMP_ORG);
	for (i = 0; i < 2; i++) {
		if (i < run_vcpus)
			itest_setup_real(t->vcpu[i], GUEST_SMP_ORG, false);
		assert_int_equal(hv_vcpu_set_reg(t->vcpu[i], HV_X86_RSI, 0x10 + i), HV_OK);
		assert_int_equal(hv_vcpu_set_reg(t->vcpu[i], HV_X86_RDI, expect), HV_OK);
	}
}

static bool has_result(struct itest_vm *t, uint64_t v)
{
	size_t i;

	for (i = 0; i < t->con.result_count; i++)
		if (t->con.results[i] == v)
			return true;
	return false;
}

static void test_smp_both_vcpus_run(void **state)
{
	hv_backend_caps_t caps = itest_caps();
	struct itest_vm t;
	hv_vcpu_t *extra = NULL;
	int threads;

	(void)state;
	assert_true(caps.max_vcpus >= 2);
	smp_vm(&t, 2, 2);
	assert_ptr_equal(hv_vcpu_get(t.vm, 1), t.vcpu[1]);
	assert_null(hv_vcpu_get(t.vm, 2));
	assert_int_equal(hv_vcpu_index(t.vcpu[1]), 1);
	assert_ptr_equal(hv_vcpu_vm(t.vcpu[1]), t.vm);
	assert_int_equal(hv_vcpu_create(t.vm, 1, &extra), HV_ERR_BUSY);
	assert_int_equal(hv_vcpu_create(t.vm, caps.max_vcpus, &extra), HV_ERR_LIMIT);
	assert_null(extra);

	threads = itest_thread_count();
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(itest_thread_count_settle(threads, 1000), threads); /* joined */
	assert_int_equal(t.con.result_count, 3);
	assert_true(has_result(&t, 0x0010)); /* APIC ID 0, SI 0x10 */
	assert_true(has_result(&t, 0x0111)); /* APIC ID 1, SI 0x11 */
	assert_true(has_result(&t, 0xc0002)); /* vCPU 0 saw both check in */
	itest_vm_fini(&t);
}

static void test_smp_secondary_without_pc_waits(void **state)
{
	struct itest_vm t;
	hv_vm_state_t st;
	uint16_t checked_in = 0, stop = 1;

	(void)state;
	/*
	 * Only vCPU 0 is placed; it waits for 2 check-ins. Once it has checked in, give vCPU 1
	 * SECONDARY_CHANCE_MS to (wrongly) run, then tell vCPU 0 to stop waiting.
	 */
	smp_vm(&t, 1, 2);
	itest_watchdog_start(&t.wd, t.vm, ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_true(itest_wait_mem32(t.vm, SMP_COUNT, 1, ITEST_WATCHDOG_MS / 2));
	itest_sleep_ms(SECONDARY_CHANCE_MS);
	assert_int_equal(hv_vm_read(t.vm, SMP_COUNT, &checked_in, 2), HV_OK);
	assert_int_equal(hv_vm_write(t.vm, SMP_STOP, &stop, 2), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	t.watchdog_fired = itest_watchdog_stop(&t.wd);
	assert_false(t.watchdog_fired);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(t.con.poweroffs, 1);
	assert_int_equal(checked_in, 1);
	assert_int_equal(t.con.result_count, 2);
	assert_int_equal(t.con.results[0], 0x0010);
	assert_int_equal(t.con.results[1], 0xc0001);
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smp_both_vcpus_run),
		cmocka_unit_test(test_smp_secondary_without_pc_waits),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
