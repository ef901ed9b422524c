/* SPDX-License-Identifier: MIT */
/*
 * A scriptable backend for unit tests: caps and failures come from mock_knobs, run() returns
 * the exits a test queued (then stops the VM, or blocks until kicked), and every map, unmap,
 * interrupt and MSI call is recorded in the VM's private state.
 */
#include "test_support.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

struct mock_knobs mock_knobs;

static pthread_mutex_t mock_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mock_gate_cv = PTHREAD_COND_INITIALIZER;
static bool mock_gate_closed;
static unsigned mock_vms, mock_vcpus;

void mock_reset(void)
{
	memset(&mock_knobs, 0, sizeof(mock_knobs));
	mock_knobs.caps_flags =
		HV_CAP_IRQCHIP | HV_CAP_MSI | HV_CAP_READONLY_MEM | HV_CAP_PIO | HV_CAP_MULTI_VM;
	mock_knobs.max_vcpus = 4;
	mock_knobs.max_regions = 32;
	mock_knobs.irq_inputs = 24;
	mock_knobs.max_gpa = 1ull << 40;
	mock_knobs.idle = MOCK_IDLE_STOP;
	pthread_mutex_lock(&mock_mu);
	mock_gate_closed = false;
	mock_vms = 0;
	mock_vcpus = 0;
	pthread_cond_broadcast(&mock_gate_cv);
	pthread_mutex_unlock(&mock_mu);
}

unsigned mock_live_vms(void)
{
	unsigned n;

	pthread_mutex_lock(&mock_mu);
	n = mock_vms;
	pthread_mutex_unlock(&mock_mu);
	return n;
}

unsigned mock_live_vcpus(void)
{
	unsigned n;

	pthread_mutex_lock(&mock_mu);
	n = mock_vcpus;
	pthread_mutex_unlock(&mock_mu);
	return n;
}

struct mock_vm *mock_vm(hv_vm_t *vm)
{
	return vm->bstate;
}

struct mock_vcpu *mock_vcpu(hv_vcpu_t *vcpu)
{
	return vcpu->bstate;
}

static hv_status_t mock_check(void)
{
	return mock_knobs.check_status;
}

static hv_status_t mock_caps(hv_backend_caps_t *caps)
{
	if (mock_knobs.caps_status != HV_OK)
		return mock_knobs.caps_status;
	caps->arch = HV_ARCH_X86_64;
	caps->flags = mock_knobs.caps_flags;
	caps->max_vcpus = mock_knobs.max_vcpus;
	caps->max_regions = mock_knobs.max_regions;
	caps->irq_inputs = mock_knobs.irq_inputs;
	caps->max_gpa = mock_knobs.max_gpa;
	return HV_OK;
}

static hv_status_t mock_vm_init(hv_vm_t *vm, void *vs)
{
	struct mock_vm *mv = vs;
	hv_status_t st;

	mv->vm = vm;
	if (mock_knobs.reserve_mmio_size != 0) {
		st = hv__vm_reserve(vm, HV_BUS_MMIO, mock_knobs.reserve_mmio_base,
				    mock_knobs.reserve_mmio_size);
		if (st != HV_OK)
			return st;
	}
	if (mock_knobs.reserve_pio_size != 0) {
		st = hv__vm_reserve(vm, HV_BUS_PIO, mock_knobs.reserve_pio_base,
				    mock_knobs.reserve_pio_size);
		if (st != HV_OK)
			return st;
	}
	if (mock_knobs.vm_init_status != HV_OK)
		return mock_knobs.vm_init_status;
	pthread_mutex_init(&mv->mu, NULL);
	pthread_mutex_lock(&mock_mu);
	mock_vms++;
	pthread_mutex_unlock(&mock_mu);
	return HV_OK;
}

static void mock_vm_fini(hv_vm_t *vm, void *vs)
{
	struct mock_vm *mv = vs;

	assert_ptr_equal(mv->vm, vm);
	pthread_mutex_destroy(&mv->mu);
	pthread_mutex_lock(&mock_mu);
	mock_vms--;
	pthread_mutex_unlock(&mock_mu);
}

/* x86 at power-on: F000:FFF0 in real mode. */
static void mock_regs_reset(struct mock_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->v[16] = 0xfff0;
	r->v[17] = 0x2;
	r->v[MOCK_REG_CR0] = 0x60000010;
	r->v[MOCK_REG_CS_SEL] = 0xf000;
	r->v[MOCK_REG_CS_BASE] = 0xffff0000;
	r->v[MOCK_REG_GDTR_LIMIT] = 0xffff;
}

static hv_status_t mock_vcpu_init(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct mock_vcpu *mc = cs;

	assert_ptr_equal(vs, vcpu->vm->bstate);
	if (mock_knobs.vcpu_init_status != HV_OK)
		return mock_knobs.vcpu_init_status;
	mc->vcpu = vcpu;
	mc->index = hv_vcpu_index(vcpu);
	mock_regs_reset(&mc->regs);
	pthread_mutex_init(&mc->mu, NULL);
	pthread_cond_init(&mc->cv, NULL);
	pthread_mutex_lock(&mock_mu);
	mock_vcpus++;
	pthread_mutex_unlock(&mock_mu);
	return HV_OK;
}

static void mock_vcpu_fini(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct mock_vcpu *mc = cs;

	(void)vs;
	assert_ptr_equal(mc->vcpu, vcpu);
	pthread_cond_destroy(&mc->cv);
	pthread_mutex_destroy(&mc->mu);
	pthread_mutex_lock(&mock_mu);
	mock_vcpus--;
	pthread_mutex_unlock(&mock_mu);
}

static void mock_record_map(struct mock_map_rec *rec, const hv_region_t *r)
{
	rec->gpa = hv_region_gpa(r);
	rec->size = hv_region_size(r);
	rec->hva = hv_region_hva(r);
	rec->flags = r->flags;
	rec->type = r->type;
}

static hv_status_t mock_map(void *vs, hv_region_t *region)
{
	struct mock_vm *mv = vs;
	hv_status_t st = HV_OK;

	pthread_mutex_lock(&mv->mu);
	if (mock_knobs.map_status != HV_OK) {
		st = mock_knobs.map_status;
	} else if (mock_knobs.max_regions != 0 && mv->regions_live >= mock_knobs.max_regions) {
		st = HV_ERR_LIMIT;
	} else {
		if (mv->map_calls < MOCK_LOG_MAX)
			mock_record_map(&mv->maps[mv->map_calls], region);
		region->slot = mv->map_calls;
		mv->map_calls++;
		mv->regions_live++;
	}
	pthread_mutex_unlock(&mv->mu);
	return st;
}

static hv_status_t mock_unmap(void *vs, hv_region_t *region)
{
	struct mock_vm *mv = vs;

	if (mock_knobs.unmap_status != HV_OK)
		return mock_knobs.unmap_status;
	pthread_mutex_lock(&mv->mu);
	if (mv->unmap_calls < MOCK_LOG_MAX)
		mock_record_map(&mv->unmaps[mv->unmap_calls], region);
	mv->unmap_calls++;
	mv->regions_live--;
	pthread_mutex_unlock(&mv->mu);
	return HV_OK;
}

static void mock_gate_wait(void)
{
	pthread_mutex_lock(&mock_mu);
	while (mock_gate_closed)
		pthread_cond_wait(&mock_gate_cv, &mock_mu);
	pthread_mutex_unlock(&mock_mu);
}

static hv_status_t mock_run(hv_vcpu_t *vcpu, void *cs, hv_exit_t *exit)
{
	struct mock_vcpu *mc = cs;
	struct mock_step step;

	pthread_mutex_lock(&mc->mu);
	mc->runs++;
	pthread_cond_broadcast(&mc->cv);
	/* Complete the read the previous exit asked for: record what the guest receives. */
	if ((exit->reason == HV_EXIT_MMIO && !exit->u.mmio.is_write) ||
	    (exit->reason == HV_EXIT_IO && !exit->u.io.is_write && exit->u.io.buf == NULL)) {
		uint64_t data = exit->reason == HV_EXIT_MMIO ? exit->u.mmio.data : exit->u.io.data;

		if (mc->completed_count < MOCK_LOG_MAX)
			mc->completed[mc->completed_count] = data;
		mc->completed_count++;
	}
	pthread_mutex_unlock(&mc->mu);

	mock_gate_wait();

	pthread_mutex_lock(&mc->mu);
	if (mc->head != mc->tail) {
		step = mc->script[mc->head % MOCK_SCRIPT_MAX];
		mc->head++;
		pthread_mutex_unlock(&mc->mu);
		if (step.hook != NULL)
			step.hook(vcpu, step.arg);
		if (step.status != HV_OK)
			return step.status;
		step.exit.vcpu_index = mc->index;
		*exit = step.exit;
		return HV_OK;
	}
	if (mock_knobs.idle == MOCK_IDLE_BLOCK) {
		while (!mc->kick_pending)
			pthread_cond_wait(&mc->cv, &mc->mu);
		mc->kick_pending = false;
		pthread_mutex_unlock(&mc->mu);
	} else {
		pthread_mutex_unlock(&mc->mu);
		hv_vm_stop(hv_vcpu_vm(vcpu));
	}
	memset(exit, 0, sizeof(*exit));
	exit->reason = HV_EXIT_KICK;
	exit->vcpu_index = mc->index;
	return HV_OK;
}

static void mock_kick(void *cs)
{
	struct mock_vcpu *mc = cs;

	pthread_mutex_lock(&mc->mu);
	mc->kicks++;
	mc->kick_pending = true;
	pthread_cond_broadcast(&mc->cv);
	pthread_mutex_unlock(&mc->mu);
}

static int mock_reg_index(hv_reg_t reg)
{
	if (reg >= HV_X86_RAX && reg <= HV_X86_RFLAGS)
		return (int)(reg - HV_X86_RAX);
	switch (reg) {
	case HV_X86_CR0:
		return MOCK_REG_CR0;
	case HV_X86_CR3:
		return MOCK_REG_CR3;
	case HV_X86_CR4:
		return MOCK_REG_CR4;
	case HV_X86_EFER:
		return MOCK_REG_EFER;
	case HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR):
		return MOCK_REG_CS_SEL;
	case HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE):
		return MOCK_REG_CS_BASE;
	case HV_X86_GDTR_BASE:
		return MOCK_REG_GDTR_BASE;
	case HV_X86_GDTR_LIMIT:
		return MOCK_REG_GDTR_LIMIT;
	case HV_X86_CR2:
		return MOCK_REG_CR2;
	case HV_X86_CR8:
		return MOCK_REG_CR8;
	case HV_X86_IDTR_BASE:
		return MOCK_REG_IDTR_BASE;
	case HV_X86_IDTR_LIMIT:
		return MOCK_REG_IDTR_LIMIT;
	default:
		if (reg >= HV_X86_SEG(0, 0) && reg < HV_X86_SEG(8, 0))
			return MOCK_REG_SEG + (int)(reg - HV_X86_SEG(0, 0));
		return -1;
	}
}

/* All identifiers are checked before any value moves: nothing happens on failure. */
static hv_status_t mock_check_regs(const hv_reg_t *regs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (mock_reg_index(regs[i]) < 0)
			return HV_ERR_UNKNOWN_REG;
	return HV_OK;
}

static hv_status_t mock_get_regs(void *cs, const hv_reg_t *regs, uint64_t *values, size_t count)
{
	struct mock_vcpu *mc = cs;
	hv_status_t st = mock_check_regs(regs, count);
	size_t i;

	if (st != HV_OK)
		return st;
	if (mock_knobs.get_regs_status != HV_OK)
		return mock_knobs.get_regs_status;
	for (i = 0; i < count; i++)
		values[i] = mc->regs.v[mock_reg_index(regs[i])];
	return HV_OK;
}

static hv_status_t mock_set_regs(void *cs, const hv_reg_t *regs, const uint64_t *values,
				 size_t count)
{
	struct mock_vcpu *mc = cs;
	hv_status_t st = mock_check_regs(regs, count);
	size_t i;

	if (st != HV_OK)
		return st;
	if (mock_knobs.set_regs_status != HV_OK)
		return mock_knobs.set_regs_status;
	for (i = 0; i < count; i++)
		mc->regs.v[mock_reg_index(regs[i])] = values[i];
	return HV_OK;
}

static hv_status_t mock_save(void *cs, void *snapshot)
{
	struct mock_vcpu *mc = cs;

	if (mock_knobs.save_status != HV_OK)
		return mock_knobs.save_status;
	memcpy(snapshot, &mc->regs, sizeof(mc->regs));
	return HV_OK;
}

static hv_status_t mock_restore(void *cs, const void *snapshot)
{
	struct mock_vcpu *mc = cs;

	if (mock_knobs.restore_status != HV_OK)
		return mock_knobs.restore_status;
	memcpy(&mc->regs, snapshot, sizeof(mc->regs));
	return HV_OK;
}

static hv_status_t mock_irq_set(void *vs, uint32_t input, bool level)
{
	struct mock_vm *mv = vs;

	pthread_mutex_lock(&mv->mu);
	if (mv->irq_calls < MOCK_LOG_MAX) {
		mv->irq[mv->irq_calls].input = input;
		mv->irq[mv->irq_calls].level = level;
	}
	mv->irq_calls++;
	pthread_mutex_unlock(&mv->mu);
	return mock_knobs.irq_set_status;
}

static hv_status_t mock_irq_host(void *vs, uint32_t input, uint32_t host_irq,
				 hv_irq_trigger_t trigger, bool bind)
{
	struct mock_vm *mv = vs;

	pthread_mutex_lock(&mv->mu);
	mock_knobs.host_input = input;
	mock_knobs.host_irq = host_irq;
	mock_knobs.host_trigger = trigger;
	if (bind)
		mock_knobs.host_binds++;
	else
		mock_knobs.host_unbinds++;
	pthread_mutex_unlock(&mv->mu);
	return bind ? mock_knobs.irq_host_status : HV_OK;
}

static hv_status_t mock_msi(void *vs, uint64_t address, uint32_t data)
{
	struct mock_vm *mv = vs;

	pthread_mutex_lock(&mv->mu);
	if (mv->msi_calls < MOCK_LOG_MAX) {
		mv->msi[mv->msi_calls].address = address;
		mv->msi[mv->msi_calls].data = data;
	}
	mv->msi_calls++;
	pthread_mutex_unlock(&mv->mu);
	return mock_knobs.msi_status;
}

const struct hv_backend mock_backend = {
	.version = HV__BACKEND_VERSION,
	.name = "mock",
	.arch = HV_ARCH_X86_64,
	.vm_size = sizeof(struct mock_vm),
	.vcpu_size = sizeof(struct mock_vcpu),
	.snapshot_size = sizeof(struct mock_regs),
	.check = mock_check,
	.caps = mock_caps,
	.vm_init = mock_vm_init,
	.vm_fini = mock_vm_fini,
	.vcpu_init = mock_vcpu_init,
	.vcpu_fini = mock_vcpu_fini,
	.map = mock_map,
	.unmap = mock_unmap,
	.run = mock_run,
	.kick = mock_kick,
	.get_regs = mock_get_regs,
	.set_regs = mock_set_regs,
	.save = mock_save,
	.restore = mock_restore,
	.irq_set = mock_irq_set,
	.msi = mock_msi,
	.irq_host = mock_irq_host,
};

const struct hv_backend mock_backend_no_irq = {
	.version = HV__BACKEND_VERSION,
	.name = "mock-no-irq",
	.arch = HV_ARCH_X86_64,
	.vm_size = sizeof(struct mock_vm),
	.vcpu_size = sizeof(struct mock_vcpu),
	.snapshot_size = sizeof(struct mock_regs),
	.check = mock_check,
	.caps = mock_caps,
	.vm_init = mock_vm_init,
	.vm_fini = mock_vm_fini,
	.vcpu_init = mock_vcpu_init,
	.vcpu_fini = mock_vcpu_fini,
	.map = mock_map,
	.unmap = mock_unmap,
	.run = mock_run,
	.kick = mock_kick,
	.get_regs = mock_get_regs,
	.set_regs = mock_set_regs,
	.save = mock_save,
	.restore = mock_restore,
};

static void mock_push(hv_vcpu_t *vcpu, const struct mock_step *step)
{
	struct mock_vcpu *mc = mock_vcpu(vcpu);

	pthread_mutex_lock(&mc->mu);
	assert_true(mc->tail - mc->head < MOCK_SCRIPT_MAX);
	mc->script[mc->tail % MOCK_SCRIPT_MAX] = *step;
	mc->tail++;
	pthread_mutex_unlock(&mc->mu);
}

void mock_push_exit(hv_vcpu_t *vcpu, const hv_exit_t *exit)
{
	struct mock_step s;

	memset(&s, 0, sizeof(s));
	s.exit = *exit;
	mock_push(vcpu, &s);
}

void mock_push_reason(hv_vcpu_t *vcpu, hv_exit_reason_t reason)
{
	hv_exit_t e;

	memset(&e, 0, sizeof(e));
	e.reason = reason;
	e.hw_reason = 0x1000u + (unsigned)reason;
	mock_push_exit(vcpu, &e);
}

void mock_push_mmio(hv_vcpu_t *vcpu, hv_gpa_t gpa, uint8_t width, bool is_write, uint64_t data)
{
	hv_exit_t e;

	memset(&e, 0, sizeof(e));
	e.reason = HV_EXIT_MMIO;
	e.u.mmio.gpa = gpa;
	e.u.mmio.width = width;
	e.u.mmio.is_write = is_write;
	e.u.mmio.data = data;
	mock_push_exit(vcpu, &e);
}

void mock_push_io(hv_vcpu_t *vcpu, uint16_t port, uint8_t width, bool is_write, uint64_t data)
{
	hv_exit_t e;

	memset(&e, 0, sizeof(e));
	e.reason = HV_EXIT_IO;
	e.u.io.port = port;
	e.u.io.width = width;
	e.u.io.is_write = is_write;
	e.u.io.count = 1;
	e.u.io.data = data;
	mock_push_exit(vcpu, &e);
}

void mock_push_fault(hv_vcpu_t *vcpu, hv_fault_kind_t kind, hv_gpa_t gpa)
{
	hv_exit_t e;

	memset(&e, 0, sizeof(e));
	e.reason = HV_EXIT_FAULT;
	e.u.fault.kind = kind;
	e.u.fault.gpa = gpa;
	mock_push_exit(vcpu, &e);
}

void mock_push_error(hv_vcpu_t *vcpu, hv_status_t status)
{
	struct mock_step s;

	memset(&s, 0, sizeof(s));
	s.status = status;
	mock_push(vcpu, &s);
}

void mock_push_hook(hv_vcpu_t *vcpu, mock_hook_fn hook, void *arg)
{
	struct mock_step s;

	memset(&s, 0, sizeof(s));
	s.exit.reason = HV_EXIT_KICK;
	s.hook = hook;
	s.arg = arg;
	mock_push(vcpu, &s);
}

unsigned mock_script_left(hv_vcpu_t *vcpu)
{
	struct mock_vcpu *mc = mock_vcpu(vcpu);
	unsigned n;

	pthread_mutex_lock(&mc->mu);
	n = mc->tail - mc->head;
	pthread_mutex_unlock(&mc->mu);
	return n;
}

void mock_gate_close(void)
{
	pthread_mutex_lock(&mock_mu);
	mock_gate_closed = true;
	pthread_mutex_unlock(&mock_mu);
}

void mock_gate_open(void)
{
	pthread_mutex_lock(&mock_mu);
	mock_gate_closed = false;
	pthread_cond_broadcast(&mock_gate_cv);
	pthread_mutex_unlock(&mock_mu);
}

void mock_wait_runs(hv_vcpu_t *vcpu, unsigned n)
{
	struct mock_vcpu *mc = mock_vcpu(vcpu);
	struct timespec deadline;
	bool ok = true;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&mc->mu);
	while (mc->runs < n && ok)
		ok = pthread_cond_timedwait(&mc->cv, &mc->mu, &deadline) != ETIMEDOUT;
	ok = mc->runs >= n;
	pthread_mutex_unlock(&mc->mu);
	assert_true(ok);
}
