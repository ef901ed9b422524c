/* SPDX-License-Identifier: MIT */
/* vCPUs: creation, registers, and the three ways to run them. */
#include "test_support.h"

/* A VM that is running with no library thread: the test runs the vCPU itself. */
static hv_vm_t *manual_vm(hv_vcpu_t **vcpu)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);

	*vcpu = ts_vcpu_new(vm, 0);
	return vm;
}

/* ---- creation --------------------------------------------------------------------------------- */

static void test_vcpu_create_and_find(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *a = ts_vcpu_new(vm, 0), *c = ts_vcpu_new(vm, 3);

	(void)state;
	assert_ptr_equal(hv_vcpu_get(vm, 0), a);
	assert_ptr_equal(hv_vcpu_get(vm, 3), c);
	assert_null(hv_vcpu_get(vm, 1));
	assert_null(hv_vcpu_get(vm, 4));
	assert_null(hv_vcpu_get(vm, UINT32_MAX));
	assert_null(hv_vcpu_get(NULL, 0));
	assert_int_equal(hv_vcpu_index(c), 3);
	assert_ptr_equal(hv_vcpu_vm(c), vm);
	assert_int_equal(hv_vcpu_index(NULL), UINT32_MAX);
	assert_null(hv_vcpu_vm(NULL));
	assert_int_equal(mock_live_vcpus(), 2);
	hv_vm_destroy(vm);
	assert_int_equal(mock_live_vcpus(), 0);
}

static void test_vcpu_create_rejects_null(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = NULL;

	(void)state;
	assert_int_equal(hv_vcpu_create(NULL, 0, &vcpu), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_create(vm, 0, NULL), HV_ERR_INVALID_ARG);
	assert_null(vcpu);
	hv_vm_destroy(vm);
}

static void test_vcpu_create_past_the_backend_maximum_is_a_limit(void **state)
{
	hv_vm_t *vm;
	hv_vcpu_t *vcpu = NULL;

	(void)state;
	mock_knobs.max_vcpus = 2;
	vm = ts_vm_new(0);
	ts_vcpu_new(vm, 1);
	assert_int_equal(hv_vcpu_create(vm, 2, &vcpu), HV_ERR_LIMIT);
	assert_int_equal(hv_vcpu_create(vm, UINT32_MAX, &vcpu), HV_ERR_LIMIT);
	assert_null(vcpu);
	hv_vm_destroy(vm);
}

static void test_vcpu_create_twice_at_one_index_is_busy(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *first = ts_vcpu_new(vm, 0), *vcpu = NULL;

	(void)state;
	assert_int_equal(hv_vcpu_create(vm, 0, &vcpu), HV_ERR_BUSY);
	assert_null(vcpu);
	assert_ptr_equal(hv_vcpu_get(vm, 0), first);
	hv_vm_destroy(vm);
}

static void test_vcpu_create_after_start_is_refused(void **state)
{
	hv_vcpu_t *vcpu = NULL, *other = NULL;
	hv_vm_t *vm = manual_vm(&vcpu), *stopped = ts_vm_new(0);

	(void)state;
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_create(vm, 1, &other), HV_ERR_STATE);
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_vcpu_create(vm, 1, &other), HV_ERR_STATE);
	/* A VM stopped before it ever ran is not being assembled any more either. */
	assert_int_equal(hv_vm_stop(stopped), HV_OK);
	assert_int_equal(hv_vcpu_create(stopped, 0, &other), HV_ERR_STATE);
	assert_null(other);
	hv_vm_destroy(vm);
	hv_vm_destroy(stopped);
}

static void test_vcpu_create_reports_backend_failure(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = NULL;
	size_t live = tp_live_allocs();

	(void)state;
	mock_knobs.vcpu_init_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vcpu_create(vm, 0, &vcpu), HV_ERR_BACKEND);
	assert_null(vcpu);
	assert_null(hv_vcpu_get(vm, 0));
	assert_int_equal(tp_live_allocs(), live);
	mock_knobs.vcpu_init_status = HV_OK;
	ts_vcpu_new(vm, 0);
	hv_vm_destroy(vm);
}

static void test_vcpu_create_reports_no_memory_at_every_allocation(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = NULL;
	size_t live = tp_live_allocs();
	unsigned long n;
	hv_status_t st = HV_ERR_NO_MEMORY;

	(void)state;
	for (n = 1; n < 20; n++) {
		tp_fail_alloc_at(n);
		st = hv_vcpu_create(vm, 1, &vcpu);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_null(vcpu);
		assert_int_equal(tp_live_allocs(), live);
		assert_int_equal(mock_live_vcpus(), 0);
	}
	assert_int_equal(st, HV_OK);
	assert_int_equal(n, 4); /* vcpu, backend state, snapshot; then success */
	tp_fail_alloc_at(0);
	hv_vm_destroy(vm);
}

/* ---- registers ------------------------------------------------------------------------------------ */

static void test_vcpu_starts_in_the_architecture_reset_state(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	uint64_t v = 0;

	(void)state;
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_REG_PC, &v), HV_OK);
	assert_int_equal(v, 0xfff0);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE), &v), HV_OK);
	assert_int_equal(v, 0xffff0000);
	hv_vm_destroy(vm);
}

static void test_vcpu_registers_round_trip(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	uint64_t v = 0;
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		assert_int_equal(hv_vcpu_set_reg(vcpu, HV_X86_REG(i), 0x1000u + (unsigned)i),
				 HV_OK);
	for (i = 0; i < 16; i++) {
		assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_REG(i), &v), HV_OK);
		assert_int_equal(v, 0x1000u + (unsigned)i);
	}
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_X86_CR3, 0xabc000), HV_OK);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_CR3, &v), HV_OK);
	assert_int_equal(v, 0xabc000);
	hv_vm_destroy(vm);
}

static void test_vcpu_generic_registers_map_to_x86_registers(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	uint64_t v = 0;

	(void)state;
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_REG_PC, 0x7c00), HV_OK);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RIP, &v), HV_OK);
	assert_int_equal(v, 0x7c00);
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_X86_RSP, 0x8000), HV_OK);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_REG_SP, &v), HV_OK);
	assert_int_equal(v, 0x8000);
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_REG_FLAGS, 0x202), HV_OK);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RFLAGS, &v), HV_OK);
	assert_int_equal(v, 0x202);
	/* The mock stores exactly what it was asked: the mapping happened in the core. */
	assert_int_equal(mock_vcpu(vcpu)->regs.v[16], 0x7c00);
	assert_int_equal(mock_vcpu(vcpu)->regs.v[4], 0x8000);
	hv_vm_destroy(vm);
}

static void test_vcpu_unknown_register_is_reported(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	uint64_t v = 0x5555;

	(void)state;
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_ARM64_PC, &v), HV_ERR_UNKNOWN_REG);
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_ARM64_X(0), 1), HV_ERR_UNKNOWN_REG);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_REG_MSR(0xc0000080), &v), HV_ERR_UNKNOWN_REG);
	assert_int_equal(hv_vcpu_get_reg(vcpu, 0, &v), HV_ERR_UNKNOWN_REG);
	assert_int_equal(hv_vcpu_get_reg(vcpu, 4, &v), HV_ERR_UNKNOWN_REG); /* past generic */
	assert_int_equal(v, 0x5555); /* written only on success */
	hv_vm_destroy(vm);
}

static void test_vcpu_batch_with_an_unknown_register_changes_nothing(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	const hv_reg_t regs[3] = { HV_X86_RAX, HV_ARM64_PC, HV_X86_RBX };
	const uint64_t in[3] = { 1, 2, 3 };
	uint64_t out[3] = { 7, 7, 7 }, v = 0;

	(void)state;
	assert_int_equal(hv_vcpu_set_regs(vcpu, regs, in, 3), HV_ERR_UNKNOWN_REG);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RAX, &v), HV_OK);
	assert_int_equal(v, 0);
	assert_int_equal(hv_vcpu_get_regs(vcpu, regs, out, 3), HV_ERR_UNKNOWN_REG);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[2], 7);
	hv_vm_destroy(vm);
}

static void test_vcpu_registers_in_batches_larger_than_sixteen(void **state)
{
	enum { N = 24 };
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_reg_t regs[N];
	uint64_t in[N], out[N];
	int i;

	(void)state;
	/* The 16 GPRs, RIP, RFLAGS, and generic names mixed in. */
	for (i = 0; i < 18; i++)
		regs[i] = HV_X86_REG(i);
	regs[18] = HV_X86_CR0;
	regs[19] = HV_X86_CR4;
	regs[20] = HV_X86_EFER;
	regs[21] = HV_X86_GDTR_BASE;
	regs[22] = HV_X86_GDTR_LIMIT;
	regs[23] = HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR);
	for (i = 0; i < N; i++)
		in[i] = 0xa0000000ull + (uint64_t)i;
	assert_int_equal(hv_vcpu_set_regs(vcpu, regs, in, N), HV_OK);
	memset(out, 0, sizeof(out));
	assert_int_equal(hv_vcpu_get_regs(vcpu, regs, out, N), HV_OK);
	assert_memory_equal(out, in, sizeof(in));
	/* Generic identifiers are mapped in large batches too. */
	regs[0] = HV_REG_PC;
	regs[1] = HV_REG_SP;
	regs[2] = HV_REG_FLAGS;
	assert_int_equal(hv_vcpu_get_regs(vcpu, regs, out, 20), HV_OK);
	assert_int_equal(out[0], in[16]);
	assert_int_equal(out[1], in[4]);
	assert_int_equal(out[2], in[17]);
	/* And an unknown one anywhere in a large batch is still refused whole. */
	regs[17] = HV_ARM64_PSTATE;
	assert_int_equal(hv_vcpu_set_regs(vcpu, regs, in, 18), HV_ERR_UNKNOWN_REG);
	hv_vm_destroy(vm);
}

static void test_vcpu_large_batch_reports_no_memory(void **state)
{
	enum { N = 17 };
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_reg_t regs[N];
	uint64_t out[N];
	int i;

	(void)state;
	for (i = 0; i < N; i++)
		regs[i] = HV_X86_REG(i);
	tp_fail_alloc_at(1);
	assert_int_equal(hv_vcpu_get_regs(vcpu, regs, out, N), HV_ERR_NO_MEMORY);
	hv_vm_destroy(vm);
}

static void test_vcpu_register_calls_reject_bad_arguments(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_reg_t reg = HV_X86_RAX;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(hv_vcpu_get_reg(NULL, HV_X86_RAX, &v), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RAX, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_set_reg(NULL, HV_X86_RAX, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_get_regs(vcpu, NULL, &v, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_get_regs(vcpu, &reg, NULL, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_get_regs(vcpu, &reg, &v, 0), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_set_regs(vcpu, NULL, &v, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_set_regs(vcpu, &reg, NULL, 1), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_set_regs(vcpu, &reg, &v, 0), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_vcpu_register_backend_failure_is_reported(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	uint64_t v = 0;

	(void)state;
	mock_knobs.get_regs_status = HV_ERR_BACKEND;
	mock_knobs.set_regs_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RAX, &v), HV_ERR_BACKEND);
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_X86_RAX, 1), HV_ERR_BACKEND);
	hv_vm_destroy(vm);
}

struct busy_probe {
	hv_status_t get, set, run_once, run;
};

static void probe_from_inside_run(hv_vcpu_t *vcpu, void *arg)
{
	struct busy_probe *p = arg;
	hv_exit_t *exit = NULL;
	uint64_t v = 0;

	p->get = hv_vcpu_get_reg(vcpu, HV_X86_RAX, &v);
	p->set = hv_vcpu_set_reg(vcpu, HV_X86_RAX, 1);
	p->run_once = hv_vcpu_run_once(vcpu, &exit);
	p->run = hv_vcpu_run(vcpu);
}

static void test_vcpu_is_busy_while_inside_a_run(void **state)
{
	hv_vcpu_t *vcpu = NULL;
	hv_vm_t *vm = manual_vm(&vcpu);
	struct busy_probe p;
	hv_exit_t *exit = NULL;

	(void)state;
	memset(&p, 0, sizeof(p));
	mock_push_hook(vcpu, probe_from_inside_run, &p);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_OK);
	assert_int_equal(p.get, HV_ERR_BUSY);
	assert_int_equal(p.set, HV_ERR_BUSY);
	assert_int_equal(p.run_once, HV_ERR_BUSY);
	assert_int_equal(p.run, HV_ERR_BUSY);
	/* Out of the run again: registers are reachable. */
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_X86_RAX, 1), HV_OK);
	hv_vm_destroy(vm);
}

static void test_vcpu_is_busy_while_a_library_thread_runs_it(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_exit_t *exit = NULL;
	uint64_t v = 0;

	(void)state;
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_gate_close();
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RAX, &v), HV_ERR_BUSY);
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_ERR_BUSY);
	assert_int_equal(hv_vcpu_run(vcpu), HV_ERR_BUSY);
	assert_null(exit);
	mock_gate_open();
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RAX, &v), HV_OK);
	hv_vm_destroy(vm);
}

/* ---- running ------------------------------------------------------------------------------------- */

static void test_vcpu_run_once_returns_the_scripted_exit(void **state)
{
	hv_vcpu_t *vcpu = NULL;
	hv_vm_t *vm = manual_vm(&vcpu);
	hv_exit_t *exit = NULL;
	hv_exit_t e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.reason = HV_EXIT_HYPERCALL;
	e.pc = 0x1234;
	e.hw_reason = 18;
	e.u.hypercall.nr = 42;
	mock_push_exit(vcpu, &e);
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_ERR_STATE); /* not started */
	assert_null(exit);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_OK);
	assert_non_null(exit);
	assert_int_equal(exit->reason, HV_EXIT_HYPERCALL);
	assert_int_equal(exit->vcpu_index, 0);
	assert_int_equal(exit->pc, 0x1234);
	assert_int_equal(exit->u.hypercall.nr, 42);
	/* Not dispatched: the VM still runs, the caller decides. */
	assert_int_equal(hv_vm_get_state(vm), HV_VM_RUNNING);
	assert_int_equal(hv_vcpu_run_once(NULL, &exit), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_run_once(vcpu, NULL), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_vcpu_run_once_then_dispatch_handles_mmio(void **state)
{
	hv_vcpu_t *vcpu = NULL;
	hv_vm_t *vm = manual_vm(&vcpu);
	hv_exit_t *exit = NULL;
	struct ts_dev dev;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	dev.read_value = 0x5678;
	ts_dev_add(vm, &dev, HV_BUS_MMIO, 0x10000, 0x100);
	mock_push_mmio(vcpu, 0x10010, 2, false, 0);
	mock_push_reason(vcpu, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_OK);
	assert_int_equal(exit->reason, HV_EXIT_MMIO);
	assert_int_equal(hv_vcpu_dispatch(vcpu, exit), HV_OK);
	assert_int_equal(exit->u.mmio.data, 0x5678);
	assert_int_equal(dev.log[0].offset, 0x10);
	/* The next entry completes the read: the guest gets the value. */
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_OK);
	assert_int_equal(mock_vcpu(vcpu)->completed_count, 1);
	assert_int_equal(mock_vcpu(vcpu)->completed[0] & 0xffff, 0x5678);
	assert_int_equal(exit->reason, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_vcpu_dispatch(vcpu, exit), HV_ERR_STATE);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_ERR_STATE);
	assert_int_equal(hv_vcpu_dispatch(NULL, exit), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_dispatch(vcpu, NULL), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_vcpu_run_once_backend_failure_stops_the_vm(void **state)
{
	struct ts_events ev;
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;
	hv_vcpu_t *vcpu;
	hv_exit_t *exit = NULL;
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	(void)state;
	ts_events_init(&ev);
	c.flags = HV_VM_MANUAL_RUN;
	c.on_event = ts_on_event;
	c.event_user = &ev;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	vcpu = ts_vcpu_new(vm, 0);
	mock_push_error(vcpu, HV_ERR_NOT_FOUND);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run_once(vcpu, &exit), HV_ERR_BACKEND);
	assert_null(exit);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.exit.reason, HV_EXIT_FAULT);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_INTERNAL);
	assert_int_equal((int64_t)info.exit.u.fault.detail, HV_ERR_NOT_FOUND);
	assert_int_equal(ev.count, 2);
	assert_int_equal(ev.ev[0].type, HV_EVENT_FAULT);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

static void test_vcpu_run_dispatches_until_the_vm_stops(void **state)
{
	hv_vcpu_t *vcpu = NULL;
	hv_vm_t *vm = manual_vm(&vcpu);
	struct ts_dev dev;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	dev.read_echo_offset = true;
	ts_dev_add(vm, &dev, HV_BUS_PIO, 0x3f8, 8);
	mock_push_io(vcpu, 0x3f8, 1, true, 'h');
	mock_push_io(vcpu, 0x3fd, 1, false, 0);
	mock_push_reason(vcpu, HV_EXIT_KICK);
	mock_push_io(vcpu, 0x3f8, 1, true, 'i');
	mock_push_reason(vcpu, HV_EXIT_SHUTDOWN);
	mock_push_io(vcpu, 0x3f8, 1, true, '!');           /* never reached */
	assert_int_equal(hv_vcpu_run(vcpu), HV_ERR_STATE); /* not started */
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run(vcpu), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	assert_int_equal(dev.writes, 2);
	assert_int_equal(dev.log[0].value, 'h');
	assert_int_equal(dev.log[2].value, 'i');
	assert_int_equal(dev.reads, 1);
	assert_int_equal(mock_vcpu(vcpu)->completed[0], 5); /* the port offset, echoed */
	assert_int_equal(mock_script_left(vcpu), 1);
	assert_int_equal(hv_vcpu_run(NULL), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_vcpu_run_reports_backend_failure(void **state)
{
	hv_vcpu_t *vcpu = NULL;
	hv_vm_t *vm = manual_vm(&vcpu);

	(void)state;
	mock_push_reason(vcpu, HV_EXIT_KICK);
	mock_push_error(vcpu, HV_ERR_NO_MEMORY);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run(vcpu), HV_ERR_BACKEND);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	hv_vm_destroy(vm);
}

static void pause_vm(hv_vcpu_t *vcpu, void *arg)
{
	(void)arg;
	assert_int_equal(hv_vm_pause(hv_vcpu_vm(vcpu)), HV_OK);
}

static void test_vcpu_run_returns_ok_when_the_vm_pauses(void **state)
{
	hv_vcpu_t *vcpu = NULL;
	hv_vm_t *vm = manual_vm(&vcpu);

	(void)state;
	mock_push_hook(vcpu, pause_vm, NULL);
	mock_push_reason(vcpu, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run(vcpu), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_PAUSED);
	assert_int_equal(hv_vcpu_run(vcpu), HV_ERR_STATE);
	/* Resume and run to the end. */
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run(vcpu), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	hv_vm_destroy(vm);
}

static void test_vcpu_kick_reaches_the_backend(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);

	(void)state;
	assert_int_equal(hv_vcpu_kick(vcpu), HV_OK);
	assert_int_equal(mock_vcpu(vcpu)->kicks, 1);
	assert_int_equal(hv_vcpu_kick(NULL), HV_ERR_INVALID_ARG);
	/* A kicked vCPU of a running VM leaves the guest and goes back in. */
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_vcpu(vcpu)->kick_pending = false;
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1);
	assert_int_equal(hv_vcpu_kick(vcpu), HV_OK);
	mock_wait_runs(vcpu, 2);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_RUNNING);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_vcpu_create_and_find),
		TS_TEST(test_vcpu_create_rejects_null),
		TS_TEST(test_vcpu_create_past_the_backend_maximum_is_a_limit),
		TS_TEST(test_vcpu_create_twice_at_one_index_is_busy),
		TS_TEST(test_vcpu_create_after_start_is_refused),
		TS_TEST(test_vcpu_create_reports_backend_failure),
		TS_TEST(test_vcpu_create_reports_no_memory_at_every_allocation),
		TS_TEST(test_vcpu_starts_in_the_architecture_reset_state),
		TS_TEST(test_vcpu_registers_round_trip),
		TS_TEST(test_vcpu_generic_registers_map_to_x86_registers),
		TS_TEST(test_vcpu_unknown_register_is_reported),
		TS_TEST(test_vcpu_batch_with_an_unknown_register_changes_nothing),
		TS_TEST(test_vcpu_registers_in_batches_larger_than_sixteen),
		TS_TEST(test_vcpu_large_batch_reports_no_memory),
		TS_TEST(test_vcpu_register_calls_reject_bad_arguments),
		TS_TEST(test_vcpu_register_backend_failure_is_reported),
		TS_TEST(test_vcpu_is_busy_while_inside_a_run),
		TS_TEST(test_vcpu_is_busy_while_a_library_thread_runs_it),
		TS_TEST(test_vcpu_run_once_returns_the_scripted_exit),
		TS_TEST(test_vcpu_run_once_then_dispatch_handles_mmio),
		TS_TEST(test_vcpu_run_once_backend_failure_stops_the_vm),
		TS_TEST(test_vcpu_run_dispatches_until_the_vm_stops),
		TS_TEST(test_vcpu_run_reports_backend_failure),
		TS_TEST(test_vcpu_run_returns_ok_when_the_vm_pauses),
		TS_TEST(test_vcpu_kick_reaches_the_backend),
	};

	return cmocka_run_group_tests_name("vcpu", tests, NULL, NULL);
}
