/* SPDX-License-Identifier: MIT */
/*
 * Interrupt routes on KVM's in-kernel 8259: a real-mode guest sleeping in HLT receives
 * interrupts the host raises from another thread, through an edge route (hv_irq_line_pulse)
 * and a level route (raise, then lower), and counts each one. Routes are checked: a second
 * route to the same input is HV_ERR_BUSY, an input past the controller is HV_ERR_RANGE.
 * hv_vm_signal_msi is accepted by a backend with HV_CAP_MSI, and an MSI reaches a long-mode
 * guest that enabled its local APIC, at the vector the message names.
 */
#include "itest.h"

#include "guest_irq.h"
#include "guest_msi.h"

#define EDGE_PULSES 3
#define LEVEL_RAISES 2
#define READY 0x52454459u

struct raiser {
	struct itest_vm *t;
	hv_irq_line_t *edge, *level;
	int failures;
	bool level_after_lower;
};

static uint16_t count_at(hv_vm_t *vm, uint64_t gpa)
{
	uint16_t v = 0;

	hv_vm_read(vm, gpa, &v, 2);
	return v;
}

static bool wait_count(hv_vm_t *vm, uint64_t gpa, uint16_t want)
{
	double end = itest_now() + 2.0;

	while (itest_now() < end) {
		if (count_at(vm, gpa) >= want)
			return true;
		itest_sleep_ms(1);
	}
	return false;
}

static void *raiser_main(void *arg)
{
	struct raiser *r = arg;
	hv_vm_t *vm = r->t->vm;
	double end = itest_now() + 3.0;
	unsigned i;

	/* The guest says when its PIC and handlers are ready. */
	while (itest_result_count(&r->t->con) == 0 && itest_now() < end)
		itest_sleep_ms(1);
	for (i = 0; i < EDGE_PULSES; i++) {
		if (hv_irq_line_pulse(r->edge) != HV_OK || !wait_count(vm, 0x600, (uint16_t)(i + 1)))
			r->failures++;
		itest_sleep_ms(5); /* the guest is back in HLT */
	}
	for (i = 0; i < LEVEL_RAISES; i++) {
		if (hv_irq_line_raise(r->level) != HV_OK || !hv_irq_line_level(r->level))
			r->failures++;
		if (!wait_count(vm, 0x602, (uint16_t)(i + 1)))
			r->failures++;
		if (hv_irq_line_lower(r->level) != HV_OK)
			r->failures++;
		r->level_after_lower |= hv_irq_line_level(r->level);
		itest_sleep_ms(5);
	}
	return NULL;
}

static void test_irq_routes_deliver_to_halted_guest(void **state)
{
	hv_backend_caps_t caps = itest_caps();
	hv_irq_route_config_t route = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *other = NULL;
	struct itest_vm t;
	struct raiser r = { 0 };
	pthread_t th;

	(void)state;
	assert_true(caps.flags & HV_CAP_IRQCHIP);
	itest_vm_init(&t, NULL, "irq", 64 * 1024, 1);
	itest_load(&t, guest_irq_start, guest_irq_end, GUEST_IRQ_ORG);
	itest_setup_real(t.vcpu[0], GUEST_IRQ_ORG, false);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RCX, EDGE_PULSES + LEVEL_RAISES), HV_OK);

	route.input = 5;
	route.trigger = HV_IRQ_EDGE;
	route.name = "edge5";
	assert_int_equal(hv_irq_route_add(t.vm, &route, &r.edge), HV_OK);
	assert_int_equal(hv_irq_line_input(r.edge), 5);
	assert_false(hv_irq_line_level(r.edge));
	route.input = 3;
	route.trigger = HV_IRQ_LEVEL;
	route.name = "level3";
	assert_int_equal(hv_irq_route_add(t.vm, &route, &r.level), HV_OK);

	/* One line per input; inputs exist up to the backend's count. */
	route.input = 5;
	assert_int_equal(hv_irq_route_add(t.vm, &route, &other), HV_ERR_BUSY);
	route.input = caps.irq_inputs;
	assert_int_equal(hv_irq_route_add(t.vm, &route, &other), HV_ERR_RANGE);
	route.input = 1000;
	assert_int_equal(hv_irq_route_add(t.vm, &route, &other), HV_ERR_RANGE);
	assert_null(other);

	r.t = &t;
	assert_int_equal(pthread_create(&th, NULL, raiser_main, &r), 0);
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	pthread_join(th, NULL);
	assert_int_equal(r.failures, 0);
	assert_false(r.level_after_lower);
	assert_int_equal(t.con.result_count, 3);
	assert_int_equal(t.con.results[0], READY);
	assert_int_equal(t.con.results[1], EDGE_PULSES);
	assert_int_equal(t.con.results[2], LEVEL_RAISES);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 0);
	itest_vm_fini(&t);
}

static void test_irq_msi_accepted(void **state)
{
	hv_backend_caps_t caps = itest_caps();
	struct itest_vm t;

	(void)state;
	itest_vm_init(&t, NULL, "msi", 64 * 1024, 1);
	if (caps.flags & HV_CAP_MSI)
		assert_int_equal(hv_vm_signal_msi(t.vm, 0xfee00000, 0x30), HV_OK);
	else
		assert_int_equal(hv_vm_signal_msi(t.vm, 0xfee00000, 0x30), HV_ERR_UNSUPPORTED);
	assert_int_equal(hv_vm_signal_msi(NULL, 0xfee00000, 0x30), HV_ERR_INVALID_ARG);
	itest_vm_fini(&t);
}

static void idt_gate(hv_vm_t *vm, uint64_t idt, unsigned vector, uint64_t handler)
{
	uint32_t gate[4];

	gate[0] = (uint32_t)(handler & 0xffff) | (uint32_t)ITEST_SEL_CODE64 << 16;
	gate[1] = (uint32_t)(handler & 0xffff0000u) | 0x8e00; /* present, 64-bit interrupt gate */
	gate[2] = (uint32_t)(handler >> 32);
	gate[3] = 0;
	assert_int_equal(hv_vm_write(vm, idt + vector * 16, gate, sizeof(gate)), HV_OK);
}

static void test_irq_msi_delivered_to_lapic_guest(void **state)
{
	hv_backend_caps_t caps = itest_caps();
	struct itest_vm t;
	hv_vm_state_t st;
	double end;

	(void)state;
	if ((caps.flags & HV_CAP_MSI) == 0)
		skip();
	itest_vm_init(&t, NULL, "msi-guest", 1024 * 1024, 1);
	itest_load(&t, guest_msi_start, guest_msi_end, GUEST_MSI_ORG);
	itest_setup_long(t.vm, t.vcpu[0], GUEST_MSI_ORG, 0x8000);
	idt_gate(t.vm, 0x3000, 0x30, GUEST_MSI_ORG + 0x100);
	idt_gate(t.vm, 0x3000, 0x31, GUEST_MSI_ORG + 0x180);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_IDTR_BASE, 0x3000), HV_OK);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_IDTR_LIMIT, 0xfff), HV_OK);

	itest_watchdog_start(&t.wd, t.vm, ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	end = itest_now() + 3.0;
	while (itest_result_count(&t.con) == 0 && itest_now() < end)
		itest_sleep_ms(1);
	assert_int_equal(itest_result_count(&t.con), 1);
	/* Fixed delivery, physical destination APIC ID 0, vector 0x31. */
	assert_int_equal(hv_vm_signal_msi(t.vm, 0xfee00000, 0x31), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	t.watchdog_fired = itest_watchdog_stop(&t.wd);
	assert_false(t.watchdog_fired);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(t.con.result_count, 2);
	assert_int_equal(t.con.results[0], READY);
	assert_int_equal(t.con.results[1], 0x31);
	assert_int_equal(t.con.poweroffs, 1);
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irq_routes_deliver_to_halted_guest),
		cmocka_unit_test(test_irq_msi_accepted),
		cmocka_unit_test(test_irq_msi_delivered_to_lapic_guest),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
