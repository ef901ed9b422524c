/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the x86 VMX backend's virtual local APICs and IOAPIC
 * (backends/x86-vmx/apic.c), compiled hosted as its unit test does, with a clock the input
 * drives instead of the TSC. Input: a byte for the vCPU count (1-8), then operations, each an
 * op byte (bits 0-2 what, bits 3-5 which vCPU) and its operands:
 *   0, 1  LAPIC write / read: u16 offset (in the 4 KiB page), u32 value
 *   2, 3  IOAPIC write / read: u16 offset, u32 value
 *   4     an interrupt line: u8 pin (any: the core passes what it was given), u8 level
 *   5     time passes: u32 TSC ticks; every vCPU's timer is looked at, as the run loop does
 *   6     the vCPU takes its highest pending interrupt (VM entry injects it)
 *   7     INIT: the vCPU's LAPIC is reset
 * After every operation each APIC's state must stay within what its registers can hold.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

#if defined(__x86_64__)
#include "../../backends/x86-vmx/vmx.h"

static uint64_t fuzz_now;

/* The clock apic.c reads: the input's, not the TSC (reproducible runs). */
#define hv_vmx_rdtsc() (fuzz_now)
#include "../../backends/x86-vmx/apic.c"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static void check_lapic(const struct hv_vmx_vcpu *xc)
{
	const struct hv_vmx_lapic *a = &xc->lapic;
	int v = hv_vmx_lapic_pending(xc);
	size_t i;

	CHECK(a->id <= 0xff && a->tpr <= 0xff && a->svr <= 0x3ff);
	CHECK((a->ldr & 0x00ffffffu) == 0 && (a->dfr & 0x0fffffffu) == 0x0fffffffu);
	CHECK((a->icr_lo & (1u << 12)) == 0 && (a->icr_hi & 0x00ffffffu) == 0);
	CHECK((a->timer_divide & ~0xbu) == 0);
	for (i = 0; i < HV__ARRAY_SIZE(a->lvt); i++)
		CHECK((a->lvt[i] & ~(i == 1 ? 0x300ffu : 0x1e7ffu)) == 0);
	/* A disabled APIC has every LVT entry masked. */
	if (!(a->svr & SVR_ENABLED))
		for (i = 0; i < HV__ARRAY_SIZE(a->lvt); i++)
			CHECK(a->lvt[i] & LVT_MASKED);
	/* Vectors 0-15 are never requested nor in service. */
	CHECK((a->irr[0] & 0xffff) == 0 && (a->isr[0] & 0xffff) == 0);
	/* An armed timer has a period of at least the floor and a deadline still ahead. */
	if (a->timer_deadline != 0)
		CHECK(a->timer_period >= HV_VMX_MIN_TIMER_PERIOD && a->timer_deadline > fuzz_now);
	if (v >= 0) {
		CHECK(v >= 16 && v <= 255);
		CHECK((a->irr[v / 32] >> (v % 32)) & 1);
		CHECK((uint32_t)(v & 0xf0) > (hv_vmx_ppr(a) & 0xf0));
	}
}

static void check_ioapic(const struct hv_vmx_vm *xv)
{
	size_t i;

	CHECK(xv->ioapic.sel <= 0xff && xv->ioapic.id <= 0xf);
	CHECK((xv->ioapic.level >> HV_VMX_IOAPIC_PINS) == 0);
	for (i = 0; i < HV_VMX_IOAPIC_PINS; i++) {
		/* Remote IRR: a level interrupt delivered and not yet ended. */
		CHECK(!(xv->ioapic.redir[i] & REDIR_REMOTE_IRR) ||
		      (xv->ioapic.redir[i] & REDIR_LEVEL));
		CHECK((xv->ioapic.redir[i] &
		       ~(0xff00000000000000ull | 0x1afffull | REDIR_REMOTE_IRR)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct hv_vmx_vcpu *cpus;
	struct hv_vmx_vm vm;
	uint32_t count, i;

	memset(&vm, 0, sizeof(vm));
	count = fuzz_u8(&in) % HV_VMX_MAX_VCPUS + 1;
	cpus = calloc(count, sizeof(*cpus));
	if (cpus == NULL)
		abort();
	fuzz_now = 1ull << 40;
	for (i = 0; i < count; i++) {
		cpus[i].vmx = &vm;
		cpus[i].index = i;
		vm.vcpus[i] = &cpus[i];
		hv_vmx_lapic_reset(&cpus[i]);
	}
	hv_vmx_ioapic_reset(&vm);

	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		struct hv_vmx_vcpu *xc = &cpus[(op >> 3 & 7) % count];

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 3: {
			uint32_t off = fuzz_u16(&in) & 0xfff;
			uint64_t d = fuzz_u32(&in);
			bool write = (op & 1) == 0;

			if (!write)
				d |= 0xdead000000000000ull;
			if (op & 2)
				hv_vmx_ioapic_access(&vm, off, write, &d);
			else
				hv_vmx_lapic_access(xc, off, write, &d);
			/* A read returns 32 bits. */
			CHECK(write || (d >> 32) == 0);
			break;
		}
		case 4: {
			uint32_t pin = fuzz_u8(&in);
			hv_status_t st = hv_vmx_ioapic_set(&vm, pin, fuzz_u8(&in) & 1);

			CHECK(st == (pin < HV_VMX_IOAPIC_PINS ? HV_OK : HV_ERR_RANGE));
			break;
		}
		case 5:
			fuzz_now += fuzz_u32(&in);
			for (i = 0; i < count; i++)
				hv_vmx_lapic_tick(&cpus[i], fuzz_now);
			break;
		case 6: {
			int v = hv_vmx_lapic_pending(xc);

			if (v >= 0) {
				hv_vmx_lapic_accept(xc, v);
				CHECK(!((xc->lapic.irr[v / 32] >> (v % 32)) & 1) &&
				      ((xc->lapic.isr[v / 32] >> (v % 32)) & 1));
			}
			break;
		}
		default:
			hv_vmx_lapic_reset(xc);
			break;
		}
		for (i = 0; i < count; i++)
			check_lapic(&cpus[i]);
		check_ioapic(&vm);
	}
	free(cpus);
	return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0; /* the VMX backend is x86-64 only */
}
#endif
