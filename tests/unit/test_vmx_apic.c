/* SPDX-License-Identifier: MIT */
/*
 * The x86 VMX backend's virtual local APIC and IOAPIC (backends/x86-vmx/apic.c), driven as a
 * guest drives them, without VMX: register access, priorities, EOI, the timer, IOAPIC routing
 * with level-triggered remote IRR, masking, and hostile accesses.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include "../../backends/x86-vmx/apic.c"

struct apic_env {
	struct hv_vmx_vm vm;
	struct hv_vmx_vcpu cpu;
};

static int setup(void **state)
{
	struct apic_env *e = calloc(1, sizeof(*e));

	e->cpu.vmx = &e->vm;
	e->cpu.index = 0;
	e->vm.vcpus[0] = &e->cpu;
	hv_vmx_lapic_reset(&e->cpu);
	hv_vmx_ioapic_reset(&e->vm);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void lapic_w(struct apic_env *e, uint32_t off, uint32_t v)
{
	uint64_t d = v;

	hv_vmx_lapic_access(&e->cpu, off, true, &d);
}

static uint32_t lapic_r(struct apic_env *e, uint32_t off)
{
	uint64_t d = 0xdeadbeef;

	hv_vmx_lapic_access(&e->cpu, off, false, &d);
	return (uint32_t)d;
}

static void ioapic_w(struct apic_env *e, uint32_t reg, uint32_t v)
{
	uint64_t sel = reg, d = v;

	hv_vmx_ioapic_access(&e->vm, 0x00, true, &sel);
	hv_vmx_ioapic_access(&e->vm, 0x10, true, &d);
}

static uint32_t ioapic_r(struct apic_env *e, uint32_t reg)
{
	uint64_t sel = reg, d = 0;

	hv_vmx_ioapic_access(&e->vm, 0x00, true, &sel);
	hv_vmx_ioapic_access(&e->vm, 0x10, false, &d);
	return (uint32_t)d;
}

static void test_vmx_apic_disabled_apic_accepts_nothing(void **state)
{
	struct apic_env *e = *state;

	assert_int_equal(lapic_r(e, 0xf0), 0xff);
	hv_vmx_lapic_set_irr(&e->cpu, 0x40, false);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	lapic_w(e, 0xf0, 0x1ff);
	hv_vmx_lapic_set_irr(&e->cpu, 0x40, false);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x40);
	/* Vectors 0-15 are illegal. */
	hv_vmx_lapic_set_irr(&e->cpu, 3, false);
	assert_int_equal(lapic_r(e, 0x200), 0);
}

static void test_vmx_apic_delivers_by_priority_and_eoi_unblocks(void **state)
{
	struct apic_env *e = *state;

	lapic_w(e, 0xf0, 0x1ff);
	hv_vmx_lapic_set_irr(&e->cpu, 0x41, false);
	hv_vmx_lapic_set_irr(&e->cpu, 0x90, false);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x90);
	hv_vmx_lapic_accept(&e->cpu, 0x90);
	/* 0x41 is of a lower class than the one in service: it waits. */
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	assert_int_equal(lapic_r(e, 0xa0), 0x90);                 /* PPR */
	assert_int_equal(lapic_r(e, 0x100 + 4 * 0x10), 1u << 16); /* ISR bit 0x90 */
	lapic_w(e, 0xb0, 0);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x41);
	/* TPR masks classes at or below it. */
	lapic_w(e, 0x80, 0x40);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	lapic_w(e, 0x80, 0x30);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x41);
}

static void test_vmx_apic_timer_counts_tsc_through_its_divider(void **state)
{
	struct apic_env *e = *state;
	uint64_t now;

	lapic_w(e, 0xf0, 0x1ff);
	lapic_w(e, 0x3e0, 0x3);     /* divide by 16 */
	lapic_w(e, 0x320, 0x20050); /* periodic, vector 0x50 */
	lapic_w(e, 0x380, 1000000);
	assert_int_equal(e->cpu.lapic.timer_period, 16000000u);
	assert_true(lapic_r(e, 0x390) <= 1000000u);
	assert_true(lapic_r(e, 0x390) > 0);
	now = e->cpu.lapic.timer_deadline;
	hv_vmx_lapic_tick(&e->cpu, now - 1);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	hv_vmx_lapic_tick(&e->cpu, now);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x50);
	/* Periodic: the next deadline keeps the phase. */
	assert_int_equal(e->cpu.lapic.timer_deadline, now + 16000000u);
	/* Masked: the timer runs but raises nothing; initial count 0 stops it. */
	hv_vmx_lapic_accept(&e->cpu, 0x50);
	lapic_w(e, 0xb0, 0);
	lapic_w(e, 0x320, 0x30050);
	hv_vmx_lapic_tick(&e->cpu, now + 16000000u);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	lapic_w(e, 0x380, 0);
	assert_int_equal(e->cpu.lapic.timer_deadline, 0);
	/* A period of two ticks would be an exit storm: it is stretched to the floor. */
	lapic_w(e, 0x3e0, 0xb); /* divide by 1 */
	lapic_w(e, 0x380, 2);
	assert_int_equal(e->cpu.lapic.timer_period, HV_VMX_MIN_TIMER_PERIOD);
}

static void test_vmx_ioapic_routes_level_lines_with_remote_irr(void **state)
{
	struct apic_env *e = *state;

	lapic_w(e, 0xf0, 0x1ff);
	assert_int_equal(ioapic_r(e, 1), 0x00170011u);
	/* Masked after reset: a raised line delivers nothing. */
	assert_int_equal(hv_vmx_ioapic_set(&e->vm, 4, true), HV_OK);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	/* Unmasking a level-triggered pin that is high delivers at once. */
	ioapic_w(e, 0x18, 0x8061);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x61);
	assert_true(ioapic_r(e, 0x18) & (1u << 14)); /* remote IRR */
	hv_vmx_lapic_accept(&e->cpu, 0x61);
	/* Still high at EOI: delivered again. */
	lapic_w(e, 0xb0, 0);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x61);
	hv_vmx_lapic_accept(&e->cpu, 0x61);
	hv_vmx_ioapic_set(&e->vm, 4, false);
	lapic_w(e, 0xb0, 0);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	assert_false(ioapic_r(e, 0x18) & (1u << 14));
	/* The guest cannot set read-only bits. */
	ioapic_w(e, 0x18, 0x8061 | (1u << 14) | (1u << 12));
	assert_int_equal(ioapic_r(e, 0x18) & ((1u << 14) | (1u << 12)), 0);
}

static void test_vmx_ioapic_edge_lines_deliver_on_rising_edges(void **state)
{
	struct apic_env *e = *state;

	lapic_w(e, 0xf0, 0x1ff);
	ioapic_w(e, 0x10 + 2 * 2, 0x70); /* pin 2, edge, vector 0x70 */
	hv_vmx_ioapic_set(&e->vm, 2, true);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x70);
	hv_vmx_lapic_accept(&e->cpu, 0x70);
	lapic_w(e, 0xb0, 0);
	hv_vmx_ioapic_set(&e->vm, 2, true); /* no new edge */
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	assert_int_equal(hv_vmx_ioapic_set(&e->vm, 24, true), HV_ERR_RANGE);
}

static void test_vmx_ioapic_switching_to_edge_clears_remote_irr(void **state)
{
	struct apic_env *e = *state;

	lapic_w(e, 0xf0, 0x1ff);
	ioapic_w(e, 0x18, 0x8061); /* pin 4, level, vector 0x61 */
	hv_vmx_ioapic_set(&e->vm, 4, true);
	assert_true(ioapic_r(e, 0x18) & (1u << 14));
	/* The interrupt is lost (say the vCPU was reset): its EOI never comes. */
	hv_vmx_lapic_reset(&e->cpu);
	lapic_w(e, 0xf0, 0x1ff);
	/* Linux's EOI for an IOAPIC version 0x11: edge, then level again. */
	ioapic_w(e, 0x18, 0x10061);
	assert_false(ioapic_r(e, 0x18) & (1u << 14));
	ioapic_w(e, 0x18, 0x8061);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x61);
	assert_true(ioapic_r(e, 0x18) & (1u << 14));
}

static void test_vmx_ioapic_undelivered_modes_leave_remote_irr_clear(void **state)
{
	struct apic_env *e = *state;

	lapic_w(e, 0xf0, 0x1ff);
	hv_vmx_ioapic_set(&e->vm, 5, true);
	ioapic_w(e, 0x1a, 0x8000 | (2u << 8) | 0x62); /* pin 5, level, SMI: not emulated */
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	assert_false(ioapic_r(e, 0x1a) & (1u << 14));
	/* Once fixed delivery is chosen, the line still high is delivered. */
	ioapic_w(e, 0x1a, 0x8062);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x62);
}

static void test_vmx_ioapic_refuses_pins_past_the_last(void **state)
{
	struct apic_env *e = *state;
	static const uint32_t pins[] = { 24, 31, 32, 40, 200, 0xffffffffu };
	size_t i;

	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		assert_int_equal(hv_vmx_ioapic_set(&e->vm, pins[i], true), HV_ERR_RANGE);
		assert_int_equal(e->vm.ioapic.level, 0);
	}
}

static void test_vmx_apic_ignores_hostile_accesses(void **state)
{
	struct apic_env *e = *state;
	uint64_t d = ~0ull;

	/* Unaligned offsets read zero and change nothing. */
	hv_vmx_lapic_access(&e->cpu, 0x84, false, &d);
	assert_int_equal(d, 0);
	d = 0xffffffff;
	hv_vmx_lapic_access(&e->cpu, 0x81, true, &d);
	assert_int_equal(lapic_r(e, 0x80), 0);
	/* Writes to read-only and unknown registers, IPIs of modes not emulated. */
	lapic_w(e, 0x30, 0);
	assert_int_equal(lapic_r(e, 0x30), 0x00060014u);
	lapic_w(e, 0xff0, 0xffffffff);
	lapic_w(e, 0xf0, 0x1ff);
	lapic_w(e, 0x310, 0xff000000u);
	lapic_w(e, 0x300, 0x4500); /* INIT to APIC 0xff */
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), -1);
	/* A self-IPI works. */
	lapic_w(e, 0x300, 0x40044);
	assert_int_equal(hv_vmx_lapic_pending(&e->cpu), 0x44);
	/* IOAPIC: unknown registers and offsets. */
	ioapic_w(e, 0xff, 0xffffffff);
	assert_int_equal(ioapic_r(e, 0xff), 0);
	d = 0x1234;
	hv_vmx_ioapic_access(&e->vm, 0x20, true, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vmx_apic_disabled_apic_accepts_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vmx_apic_delivers_by_priority_and_eoi_unblocks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmx_apic_timer_counts_tsc_through_its_divider,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmx_ioapic_routes_level_lines_with_remote_irr,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmx_ioapic_edge_lines_deliver_on_rising_edges,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmx_ioapic_switching_to_edge_clears_remote_irr,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_vmx_ioapic_undelivered_modes_leave_remote_irr_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmx_ioapic_refuses_pins_past_the_last, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vmx_apic_ignores_hostile_accesses, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("vmx_apic", tests, NULL, NULL);
}
#else
int main(void)
{
	printf("SKIP: the VMX APIC models build for x86_64 only\n");
	return 77;
}
#endif
