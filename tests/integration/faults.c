/* SPDX-License-Identifier: MIT */
/*
 * Guest faults: a triple fault (32-bit and 64-bit, no IDT, ud2), a jump to unmapped memory and
 * garbage opcodes each stop only their own VM with HV_EVENT_FAULT and a fault exit in the stop
 * info; the process goes on, the VM can be reset and destroyed cleanly, and a second VM that
 * runs meanwhile on its own threads finishes its work correctly. The second VM waits at a gate
 * in its RAM until the faults are over, so it is running guest code throughout however fast
 * the hypervisor runs it (in a nested KVM with hardware semantics, its loops take a few ms).
 */
#include "itest.h"

#include "guest_faults.h"
#include "guest_worker.h"

#define WORKER_LOOPS 400000u
#define WORKER_PATTERN 0x5eed1234u
#define WORKER_GATE 0x4000 /* the worker spins until this word is non-zero */

enum mode { PROT32, LONG64 };

static void start_worker(struct itest_vm *w)
{
	const hv_reg_t regs[] = { HV_X86_RBX, HV_X86_RCX, HV_X86_RDX, HV_X86_RDI };
	const uint64_t values[] = { WORKER_PATTERN, WORKER_LOOPS, 'W', WORKER_GATE };

	itest_vm_init(w, NULL, "worker", 64 * 1024, 1);
	itest_load(w, guest_worker_start, guest_worker_end, GUEST_WORKER_ORG);
	itest_setup_real(w->vcpu[0], GUEST_WORKER_ORG, false);
	itest_set_regs(w->vcpu[0], regs, values, 4);
	itest_watchdog_start(&w->wd, w->vm, 3 * ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(w->vm), HV_OK);
}

static void finish_worker(struct itest_vm *w)
{
	hv_vm_state_t state;
	uint32_t expect_sum = (uint32_t)((uint64_t)WORKER_LOOPS * (WORKER_LOOPS - 1) / 2);
	uint32_t word = 1;
	unsigned i;

	assert_int_equal(hv_vm_write(w->vm, WORKER_GATE, &word, sizeof(word)), HV_OK); /* go on */
	assert_int_equal(hv_vm_wait(w->vm, &state), HV_OK);
	w->watchdog_fired = itest_watchdog_stop(&w->wd);
	assert_false(w->watchdog_fired);
	assert_int_equal(state, HV_VM_STOPPED);
	assert_int_equal(w->con.poweroffs, 1);
	assert_string_equal(w->con.text, "vmW:ok\n");
	assert_int_equal(w->con.result_count, 2);
	assert_int_equal(w->con.results[0], expect_sum);
	assert_int_equal(w->con.results[1], 0x600d);
	for (i = 0; i < 1024; i++) {
		word = itest_read32(w->vm, 0x2000 + 4 * i);
		assert_int_equal(word, WORKER_PATTERN);
	}
	assert_int_equal(itest_event_count(w, HV_EVENT_FAULT), 0);
	itest_vm_fini(w);
}

/* Run one faulting VM to its stop; returns the stop info (VM destroyed). */
static hv_stop_info_t run_fault(enum mode mode, uint64_t entry, const char *console,
				bool reset_and_rerun)
{
	struct itest_vm t;
	hv_vm_state_t state;
	hv_stop_info_t info;
	int i;

	itest_vm_init(&t, NULL, "faulty", 2 * 1024 * 1024, 1);
	itest_load(&t, guest_faults_start, guest_faults_end, GUEST_FAULTS_ORG);
	if (mode == PROT32)
		itest_setup_prot32(t.vm, t.vcpu[0], GUEST_FAULTS_ORG + entry, 0x8000);
	else
		itest_setup_long(t.vm, t.vcpu[0], GUEST_FAULTS_ORG + entry, 0x8000);
	assert_int_equal(itest_run(&t, ITEST_WATCHDOG_MS, &state), HV_OK);
	assert_false(t.watchdog_fired);
	assert_int_equal(state, HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_state(t.vm), HV_VM_STOPPED);
	assert_string_equal(t.con.text, console);
	assert_int_equal(t.con.poweroffs, 0);

	info = itest_stop_info(&t);
	printf("entry +0x%03llx: %s at pc 0x%llx (hw reason %llu, detail 0x%llx)\n",
	       (unsigned long long)entry, hv_fault_kind_str(info.exit.u.fault.kind),
	       (unsigned long long)info.exit.pc, (unsigned long long)info.exit.hw_reason,
	       (unsigned long long)info.exit.u.fault.detail);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.vcpu_index, 0);
	assert_int_equal(info.exit.reason, HV_EXIT_FAULT);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 1);
	i = itest_event_find(&t, HV_EVENT_FAULT, 0);
	assert_true(t.ev_has_exit[i]);
	assert_int_equal(t.ev_exit[i].reason, HV_EXIT_FAULT);
	assert_int_equal(t.ev_exit[i].u.fault.kind, info.exit.u.fault.kind);
	assert_true(itest_event_find(&t, HV_EVENT_VM_STOPPED, (size_t)i) > i);
	/* A stopped VM does not start again without a reset. */
	assert_int_equal(hv_vm_start(t.vm), HV_ERR_STATE);

	if (reset_and_rerun) {
		hv_stop_info_t again;

		assert_int_equal(hv_vm_reset(t.vm), HV_OK);
		assert_int_equal(hv_vm_get_state(t.vm), HV_VM_PAUSED);
		memset(t.con.text, 0, sizeof(t.con.text));
		t.con.len = 0;
		assert_int_equal(itest_run(&t, ITEST_WATCHDOG_MS, &state), HV_OK);
		assert_false(t.watchdog_fired);
		assert_int_equal(state, HV_VM_STOPPED);
		assert_string_equal(t.con.text, console);
		again = itest_stop_info(&t);
		assert_int_equal(again.cause, HV_EVENT_FAULT);
		assert_int_equal(again.exit.u.fault.kind, info.exit.u.fault.kind);
		assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 2);
	}
	itest_vm_fini(&t);
	return info;
}

/*
 * The exit's PC is where the guest faulted, or 0 where the hypervisor lost it (KVM on AMD
 * resets the vCPU before reporting a triple fault): never some other address.
 */
static bool pc_in_guest_or_unknown(uint64_t pc)
{
	return pc == 0 || (pc >= GUEST_FAULTS_ORG &&
			   pc < GUEST_FAULTS_ORG + (uint64_t)(guest_faults_end - guest_faults_start));
}

static void test_faults_isolated_from_a_running_vm(void **state)
{
	struct itest_vm w;
	hv_stop_info_t info;

	(void)state;
	start_worker(&w);

	/* Triple fault in 32-bit protected mode: IDT limit 0, ud2. */
	info = run_fault(PROT32, 0x000, "F", true);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_TRIPLE);
	assert_true(pc_in_guest_or_unknown(info.exit.pc));

	/* Triple fault in 64-bit long mode. */
	info = run_fault(LONG64, 0x100, "L", false);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_TRIPLE);
	assert_true(pc_in_guest_or_unknown(info.exit.pc));

	/* A jump to unmapped memory: the hypervisor cannot fetch there. */
	info = run_fault(PROT32, 0x200, "", false);
	assert_true(info.exit.u.fault.kind == HV_FAULT_EMULATION ||
		    info.exit.u.fault.kind == HV_FAULT_UNMAPPED);

	/* Garbage opcodes with no IDT. */
	info = run_fault(PROT32, 0x300, "", false);
	assert_true(info.exit.u.fault.kind != HV_FAULT_NONE);

	/* All of that happened while the worker VM was still running on its own thread (at its
	 * gate, which finish_worker() opens). */
	assert_int_equal(hv_vm_get_state(w.vm), HV_VM_RUNNING);
	finish_worker(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_isolated_from_a_running_vm),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
