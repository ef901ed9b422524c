/* SPDX-License-Identifier: MIT */
/*
 * Shared by the loader fuzz targets: a PC-like VM (RAM [0, 0xA0000) and [1 MiB, 32 MiB), a
 * ROM at 0xE0000) on a backend that does nothing but accept registers, which the null
 * backend of fuzz_support.h does not; the same backend as AArch64 for the arm64 loader.
 */
#ifndef HV_FUZZ_LOADER_H
#define HV_FUZZ_LOADER_H

#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"

#define FUZZ_LOADER_RAM_TOP (32u << 20)

static hv_status_t fl_ok(void)
{
	return HV_OK;
}

static hv_status_t fl_caps(hv_backend_caps_t *caps)
{
	caps->flags = HV_CAP_PIO;
	caps->max_vcpus = 1;
	caps->max_regions = 64;
	caps->max_gpa = 1ull << 40;
	return HV_OK;
}

static hv_status_t fl_vm_init(hv_vm_t *vm, void *vs)
{
	(void)vm;
	(void)vs;
	return HV_OK;
}

static void fl_vm_fini(hv_vm_t *vm, void *vs)
{
	(void)vm;
	(void)vs;
}

static hv_status_t fl_vcpu_init(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	(void)vcpu;
	(void)vs;
	(void)cs;
	return HV_OK;
}

static void fl_vcpu_fini(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	(void)vcpu;
	(void)vs;
	(void)cs;
}

static hv_status_t fl_map(void *vs, hv_region_t *r)
{
	(void)vs;
	(void)r;
	return HV_OK;
}

static hv_status_t fl_set_regs(void *cs, const hv_reg_t *regs, const uint64_t *values,
			       size_t count)
{
	(void)cs;
	(void)regs;
	(void)values;
	(void)count;
	return HV_OK;
}

static hv_status_t fl_get_regs(void *cs, const hv_reg_t *regs, uint64_t *values, size_t count)
{
	(void)cs;
	(void)regs;
	memset(values, 0, count * sizeof(*values));
	return HV_OK;
}

static void fl_kick(void *cs)
{
	(void)cs;
}

static hv_status_t fl_save(void *cs, void *snap)
{
	(void)cs;
	(void)snap;
	return HV_OK;
}

static hv_status_t fl_restore(void *cs, const void *snap)
{
	(void)cs;
	(void)snap;
	return HV_OK;
}

/* clang-format off */
#define FL_BACKEND(arch_)                       \
	{                                       \
		.version = HV__BACKEND_VERSION, \
		.name = "fuzz-loader",          \
		.arch = (arch_),                \
		.check = fl_ok,                 \
		.caps = fl_caps,                \
		.vm_init = fl_vm_init,          \
		.vm_fini = fl_vm_fini,          \
		.vcpu_init = fl_vcpu_init,      \
		.vcpu_fini = fl_vcpu_fini,      \
		.map = fl_map,                  \
		.unmap = fl_map,                \
		.kick = fl_kick,                \
		.get_regs = fl_get_regs,        \
		.set_regs = fl_set_regs,        \
		.save = fl_save,                \
		.restore = fl_restore,          \
	}
/* clang-format on */

static const struct hv_backend fl_backend = FL_BACKEND(HV_ARCH_X86_64);
/* For the arm64 loader: the same, AArch64. */
static const struct hv_backend fl_backend_arm64 = FL_BACKEND(HV_ARCH_AARCH64);

static inline void fl_map_region(hv_vm_t *vm, hv_region_type_t type, uint64_t gpa, uint64_t size)
{
	hv_region_config_t r = HV_REGION_CONFIG_INIT;

	r.type = type;
	r.gpa = gpa;
	r.size = size;
	if (hv_vm_map_region(vm, &r, NULL) != HV_OK)
		abort();
}

static inline hv_vm_t *fl_vm_create(void)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;

	hv_log_set_level(HV_LOG_ERROR);
	cfg.name = "fuzz";
	cfg.backend = &fl_backend;
	cfg.flags = HV_VM_MANUAL_RUN;
	if (hv_vm_create(&cfg, &vm) != HV_OK || hv_vcpu_create(vm, 0, &vcpu) != HV_OK)
		abort();
	fl_map_region(vm, HV_REGION_RAM, 0, 0xa0000);
	fl_map_region(vm, HV_REGION_ROM, 0xe0000, 0x20000);
	fl_map_region(vm, HV_REGION_RAM, 0x100000, FUZZ_LOADER_RAM_TOP - 0x100000);
	return vm;
}

#endif
