/* SPDX-License-Identifier: MIT */
/* vCPUs: creation, registers, and the run calls. */
#include "hv_internal.h"

hv_status_t hv_vcpu_create(hv_vm_t *vm, uint32_t index, hv_vcpu_t **out)
{
	const struct hv_backend *be;
	hv_vcpu_t *vcpu;
	hv_status_t st;

	if (vm == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	be = vm->backend;
	if (hv__vm_state(vm) != HV_VM_CREATED)
		return HV_ERR_STATE;
	if (index >= vm->vcpu_slots)
		return HV_ERR_LIMIT;
	if (vm->vcpus[index] != NULL)
		return HV_ERR_BUSY;
	vcpu = hv__alloc(sizeof(*vcpu));
	if (vcpu == NULL)
		return HV_ERR_NO_MEMORY;
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->exit.vcpu_index = index;
	st = HV_ERR_NO_MEMORY;
	if (be->vcpu_size != 0 && (vcpu->bstate = hv__alloc(be->vcpu_size)) == NULL)
		goto err;
	if (be->snapshot_size != 0 && (vcpu->snapshot = hv__alloc(be->snapshot_size)) == NULL)
		goto err;
	st = be->vcpu_init(vcpu, vm->bstate, vcpu->bstate);
	if (st != HV_OK)
		goto err;
	vm->vcpus[index] = vcpu;
	vm->vcpu_count++;
	*out = vcpu;
	return HV_OK;
err:
	hv__free(vcpu->snapshot, be->snapshot_size);
	hv__free(vcpu->bstate, be->vcpu_size);
	hv__free(vcpu, sizeof(*vcpu));
	return st;
}

void hv__vcpu_destroy(hv_vcpu_t *vcpu)
{
	hv_vm_t *vm = vcpu->vm;
	const struct hv_backend *be = vm->backend;

	be->vcpu_fini(vcpu, vm->bstate, vcpu->bstate);
	vm->vcpus[vcpu->index] = NULL;
	vm->vcpu_count--;
	hv__free(vcpu->snapshot, be->snapshot_size);
	hv__free(vcpu->bstate, be->vcpu_size);
	hv__free(vcpu, sizeof(*vcpu));
}

hv_vcpu_t *hv_vcpu_get(const hv_vm_t *vm, uint32_t index)
{
	if (vm == NULL || index >= vm->vcpu_slots)
		return NULL;
	return vm->vcpus[index];
}

uint32_t hv_vcpu_index(const hv_vcpu_t *vcpu)
{
	return vcpu != NULL ? vcpu->index : UINT32_MAX;
}

hv_vm_t *hv_vcpu_vm(const hv_vcpu_t *vcpu)
{
	return vcpu != NULL ? vcpu->vm : NULL;
}

/* Generic register identifiers name an architecture's register. */
static hv_reg_t hv__reg_arch(hv_arch_t arch, hv_reg_t reg)
{
	static const hv_reg_t x86[] = { 0, HV_X86_RIP, HV_X86_RSP, HV_X86_RFLAGS };
	static const hv_reg_t arm64[] = { 0, HV_ARM64_PC, HV_ARM64_SP_EL1, HV_ARM64_PSTATE };

	if (reg == 0 || reg > HV_REG_FLAGS)
		return reg;
	if (arch == HV_ARCH_X86_64)
		return x86[reg];
	if (arch == HV_ARCH_AARCH64)
		return arm64[reg];
	return reg;
}

#define HV__REG_BATCH 16

static hv_status_t hv__regs(hv_vcpu_t *vcpu, const hv_reg_t *regs, uint64_t *values,
			    const uint64_t *in, size_t count)
{
	const struct hv_backend *be;
	hv_reg_t local[HV__REG_BATCH];
	hv_reg_t *ids = local;
	hv_status_t st;
	size_t i;

	if (vcpu == NULL || regs == NULL || (values == NULL && in == NULL) || count == 0)
		return HV_ERR_INVALID_ARG;
	if (__atomic_load_n(&vcpu->in_guest, __ATOMIC_ACQUIRE))
		return HV_ERR_BUSY;
	be = vcpu->vm->backend;
	if (count > HV__REG_BATCH) {
		ids = hv__alloc(count * sizeof(*ids));
		if (ids == NULL)
			return HV_ERR_NO_MEMORY;
	}
	for (i = 0; i < count; i++)
		ids[i] = hv__reg_arch(be->arch, regs[i]);
	if (in != NULL)
		st = be->set_regs(vcpu->bstate, ids, in, count);
	else
		st = be->get_regs(vcpu->bstate, ids, values, count);
	if (ids != local)
		hv__free(ids, count * sizeof(*ids));
	return st;
}

hv_status_t hv_vcpu_get_regs(hv_vcpu_t *vcpu, const hv_reg_t *regs, uint64_t *values,
			     size_t count)
{
	if (values == NULL)
		return HV_ERR_INVALID_ARG;
	return hv__regs(vcpu, regs, values, NULL, count);
}

hv_status_t hv_vcpu_set_regs(hv_vcpu_t *vcpu, const hv_reg_t *regs, const uint64_t *values,
			     size_t count)
{
	if (values == NULL)
		return HV_ERR_INVALID_ARG;
	return hv__regs(vcpu, regs, NULL, values, count);
}

hv_status_t hv_vcpu_get_reg(hv_vcpu_t *vcpu, hv_reg_t reg, uint64_t *value)
{
	return hv_vcpu_get_regs(vcpu, &reg, value, 1);
}

hv_status_t hv_vcpu_set_reg(hv_vcpu_t *vcpu, hv_reg_t reg, uint64_t value)
{
	return hv_vcpu_set_regs(vcpu, &reg, &value, 1);
}

static bool hv__vcpu_claim(hv_vcpu_t *vcpu)
{
	uint8_t expected = 0;

	return __atomic_compare_exchange_n(&vcpu->owned, &expected, 1, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static void hv__vcpu_release(hv_vcpu_t *vcpu)
{
	__atomic_store_n(&vcpu->owned, 0, __ATOMIC_RELEASE);
}

/* One entry into the guest. A backend failure stops the VM with an internal fault. */
static hv_status_t hv__vcpu_enter(hv_vcpu_t *vcpu)
{
	hv_vm_t *vm = vcpu->vm;
	hv_status_t st;

	__atomic_store_n(&vcpu->in_guest, 1, __ATOMIC_RELEASE);
	st = vm->backend->run(vcpu, vcpu->bstate, &vcpu->exit);
	__atomic_store_n(&vcpu->in_guest, 0, __ATOMIC_RELEASE);
	vcpu->exit.vcpu_index = vcpu->index;
	if (HV__UNLIKELY(st != HV_OK)) {
		HV_LOGE("vm %s: vcpu %u: backend run failed: %s", vm->name, vcpu->index,
			hv_status_str(st));
		vcpu->exit.reason = HV_EXIT_FAULT;
		vcpu->exit.u.fault.kind = HV_FAULT_INTERNAL;
		vcpu->exit.u.fault.gpa = 0;
		vcpu->exit.u.fault.detail = (uint64_t)(int64_t)st;
		hv__vm_stop(vm, HV_EVENT_FAULT, vcpu, &vcpu->exit);
		return HV_ERR_BACKEND;
	}
	return HV_OK;
}

hv_status_t hv_vcpu_run_once(hv_vcpu_t *vcpu, hv_exit_t **exit)
{
	hv_status_t st;

	if (vcpu == NULL || exit == NULL)
		return HV_ERR_INVALID_ARG;
	if (hv__vm_state(vcpu->vm) != HV_VM_RUNNING)
		return HV_ERR_STATE;
	if (!hv__vcpu_claim(vcpu))
		return HV_ERR_BUSY;
	st = hv__vcpu_enter(vcpu);
	hv__vcpu_release(vcpu);
	if (st != HV_OK)
		return st;
	*exit = &vcpu->exit;
	return HV_OK;
}

hv_status_t hv_vcpu_dispatch(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	if (vcpu == NULL || exit == NULL)
		return HV_ERR_INVALID_ARG;
	hv__dispatch(vcpu, exit);
	return hv__vm_state(vcpu->vm) == HV_VM_RUNNING ? HV_OK : HV_ERR_STATE;
}

hv_status_t hv_vcpu_run(hv_vcpu_t *vcpu)
{
	hv_vm_t *vm;
	hv_status_t st = HV_OK;

	if (vcpu == NULL)
		return HV_ERR_INVALID_ARG;
	vm = vcpu->vm;
	if (hv__vm_state(vm) != HV_VM_RUNNING)
		return HV_ERR_STATE;
	if (!hv__vcpu_claim(vcpu))
		return HV_ERR_BUSY;
	vcpu->loop = 1;
	while (hv__vm_state(vm) == HV_VM_RUNNING) {
		st = hv__vcpu_enter(vcpu);
		if (st != HV_OK)
			break;
		hv__dispatch(vcpu, &vcpu->exit);
	}
	vcpu->loop = 0;
	hv__vcpu_release(vcpu);
	return st;
}

hv_status_t hv_vcpu_kick(hv_vcpu_t *vcpu)
{
	if (vcpu == NULL)
		return HV_ERR_INVALID_ARG;
	vcpu->vm->backend->kick(vcpu->bstate);
	return HV_OK;
}
