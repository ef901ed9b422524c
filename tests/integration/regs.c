/* SPDX-License-Identifier: MIT */
/*
 * Registers through the public API on a KVM vCPU: round trips of the general registers, RIP,
 * RFLAGS, segment fields, control registers, EFER, descriptor tables and MSRs, one by one and
 * in batches larger than 16; the generic identifiers alias the x86 ones; unknown identifiers
 * give HV_ERR_UNKNOWN_REG and a batch containing one changes nothing; a guest runs with
 * host-set registers and leaves registers the host reads afterwards.
 */
#include "itest.h"

#include "guest_regs.h"
#include "guest_spin.h"

#define N_GPR 18

static const hv_reg_t gprs[N_GPR] = {
	HV_X86_RAX, HV_X86_RCX, HV_X86_RDX, HV_X86_RBX, HV_X86_RSP, HV_X86_RBP,
	HV_X86_RSI, HV_X86_RDI, HV_X86_R8,  HV_X86_R9,  HV_X86_R10, HV_X86_R11,
	HV_X86_R12, HV_X86_R13, HV_X86_R14, HV_X86_R15, HV_X86_RIP, HV_X86_RFLAGS,
};

static void one_vcpu(struct itest_vm *t)
{
	itest_vm_init(t, NULL, "regs", 1024 * 1024, 1);
}

static void test_regs_gprs_batch_and_single(void **state)
{
	struct itest_vm t;
	uint64_t in[N_GPR], out[N_GPR];
	size_t i;

	(void)state;
	one_vcpu(&t);
	for (i = 0; i < 16; i++)
		in[i] = 0x0101010101010101ull * (i + 1) ^ (0xf00dull << (i * 3));
	in[16] = 0x1234;  /* RIP */
	in[17] = 0x246;   /* RFLAGS: IF, ZF, PF and the fixed bit 1 */
	itest_set_regs(t.vcpu[0], gprs, in, N_GPR); /* a batch of more than 16 */
	memset(out, 0, sizeof(out));
	assert_int_equal(hv_vcpu_get_regs(t.vcpu[0], gprs, out, N_GPR), HV_OK);
	for (i = 0; i < N_GPR; i++)
		assert_int_equal(out[i], in[i]);
	for (i = 0; i < N_GPR; i++)
		assert_int_equal(itest_reg(t.vcpu[0], gprs[i]), in[i]);

	/* Single writes land in the right register and nowhere else. */
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_R13, 0xabcdef0123456789ull), HV_OK);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_R13), 0xabcdef0123456789ull);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_R12), in[12]);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_R14), in[14]);

	/* Generic identifiers are the x86 ones. */
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_REG_PC, 0x7c00), HV_OK);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RIP), 0x7c00);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RIP, 0x8000), HV_OK);
	assert_int_equal(itest_reg(t.vcpu[0], HV_REG_PC), 0x8000);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_REG_SP, 0x9000), HV_OK);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RSP), 0x9000);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RFLAGS, 0x203), HV_OK);
	assert_int_equal(itest_reg(t.vcpu[0], HV_REG_FLAGS), 0x203);
	itest_vm_fini(&t);
}

static void test_regs_segments_control_tables_msrs(void **state)
{
	struct itest_vm t;
	/*
	 * Long mode as a whole: KVM checks CR0/CR4/EFER/CS consistency. Segments are consistent
	 * too: the limit is byte-granular, so G must be set exactly when the limit is above
	 * 0xfffff (with its low 12 bits all ones). KVM on AMD does not store G: it derives G from
	 * the limit when the registers are read back, so an inconsistent G does not round-trip.
	 */
	const hv_reg_t regs[] = {
		ITEST_SEG(CS, SELECTOR), ITEST_SEG(CS, BASE), ITEST_SEG(CS, LIMIT), ITEST_SEG(CS, ATTR),
		ITEST_SEG(FS, SELECTOR), ITEST_SEG(FS, BASE), ITEST_SEG(FS, LIMIT), ITEST_SEG(FS, ATTR),
		ITEST_SEG(GS, SELECTOR), ITEST_SEG(GS, BASE), ITEST_SEG(GS, LIMIT), ITEST_SEG(GS, ATTR),
		HV_X86_CR0, HV_X86_CR3, HV_X86_CR4, HV_X86_EFER,
		HV_X86_GDTR_BASE, HV_X86_GDTR_LIMIT, HV_X86_IDTR_BASE, HV_X86_IDTR_LIMIT,
		HV_X86_REG_MSR(0x174), HV_X86_REG_MSR(0xc0000102), HV_X86_RAX,
	};
	const uint64_t in[] = {
		0x18, 0, 0xffffffff, 0xa09b,
		0x10, 0x7fff12340000ull, 0xfffff, 0x4093, /* byte-granular limit < 1 MiB: G clear */
		0x10, 0xffff888000001000ull, 0xffffffff, 0xc093,
		0x80050033, 0x80000, 0x620, 0x501,
		0x800, 0x27, 0x3000, 0xfff,
		0x10, 0xffff888012345000ull, 42,
	};
	const size_t n = sizeof(in) / sizeof(in[0]);
	uint64_t out[sizeof(in) / sizeof(in[0])];
	size_t i;

	(void)state;
	one_vcpu(&t);
	itest_set_regs(t.vcpu[0], regs, in, n);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(hv_vcpu_get_regs(t.vcpu[0], regs, out, n), HV_OK);
	for (i = 0; i < n; i++) {
		if (out[i] != in[i])
			fprintf(stderr, "register #%zu (0x%llx): set 0x%llx, got 0x%llx\n", i,
				(unsigned long long)regs[i], (unsigned long long)in[i],
				(unsigned long long)out[i]);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(out[i], in[i]);
	/* EFER is also reachable as an MSR. */
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_REG_MSR(0xc0000080)), 0x501);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_REG_MSR(0x174), 0x23), HV_OK);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_REG_MSR(0x174)), 0x23);
	itest_vm_fini(&t);
}

static void test_regs_unknown_ids_change_nothing(void **state)
{
	struct itest_vm t;
	const hv_reg_t bogus[] = {
		HV_ARM64_X(0), HV_ARM64_PC, HV_ARM64_SYSREG(3, 0, 1, 0, 0), HV_X86_REG(18),
		HV_X86_REG(0x200), 0, 0xdeadbeef00000000ull, HV_REG_FLAGS + 1,
	};
	hv_reg_t batch[20];
	uint64_t vals[20], got[20];
	uint64_t v;
	size_t i;

	(void)state;
	one_vcpu(&t);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RAX, 0x1111), HV_OK);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RBX, 0x2222), HV_OK);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_CR3, 0x3000), HV_OK);
	for (i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		v = 0x5a5a;
		assert_int_equal(hv_vcpu_get_reg(t.vcpu[0], bogus[i], &v), HV_ERR_UNKNOWN_REG);
		assert_int_equal(v, 0x5a5a); /* out-parameter untouched */
		assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], bogus[i], 1), HV_ERR_UNKNOWN_REG);
	}

	/* A batch with one unknown identifier, last, after known ones of each kind. */
	batch[0] = HV_X86_RAX;
	vals[0] = 0xdead;
	batch[1] = HV_X86_CR3;
	vals[1] = 0x5000;
	batch[2] = HV_X86_REG_MSR(0x174);
	vals[2] = 0x77;
	batch[3] = HV_ARM64_X(1);
	vals[3] = 0;
	assert_int_equal(hv_vcpu_set_regs(t.vcpu[0], batch, vals, 4), HV_ERR_UNKNOWN_REG);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RAX), 0x1111);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_CR3), 0x3000);
	assert_int_not_equal(itest_reg(t.vcpu[0], HV_X86_REG_MSR(0x174)), 0x77);

	/* An MSR KVM does not know, in a batch with a register. */
	batch[0] = HV_X86_RBX;
	vals[0] = 0xbeef;
	batch[1] = HV_X86_REG_MSR(0xdeadbeef);
	vals[1] = 1;
	assert_int_equal(hv_vcpu_set_regs(t.vcpu[0], batch, vals, 2), HV_ERR_UNKNOWN_REG);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RBX), 0x2222);
	assert_int_equal(hv_vcpu_get_regs(t.vcpu[0], batch, got, 2), HV_ERR_UNKNOWN_REG);

	/* A batch of 20 (the allocating path) with the unknown one in the middle. */
	for (i = 0; i < 20; i++) {
		batch[i] = gprs[i % 16];
		vals[i] = 0x9999;
		got[i] = 0x4242;
	}
	batch[10] = HV_ARM64_PC;
	assert_int_equal(hv_vcpu_set_regs(t.vcpu[0], batch, vals, 20), HV_ERR_UNKNOWN_REG);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RAX), 0x1111);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RBX), 0x2222);
	assert_int_equal(hv_vcpu_get_regs(t.vcpu[0], batch, got, 20), HV_ERR_UNKNOWN_REG);
	for (i = 0; i < 20; i++)
		assert_int_equal(got[i], 0x4242); /* written only on success */

	/* Bad arguments. */
	assert_int_equal(hv_vcpu_get_regs(t.vcpu[0], batch, got, 0), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_set_regs(t.vcpu[0], batch, vals, 0), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_get_reg(t.vcpu[0], HV_X86_RAX, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vcpu_get_reg(NULL, HV_X86_RAX, &v), HV_ERR_INVALID_ARG);
	itest_vm_fini(&t);
}

/* KVM refuses an invalid APIC base: the whole batch, MSRs before it included, changes nothing. */
static void test_regs_refused_value_changes_nothing(void **state)
{
	struct itest_vm t;
	const hv_reg_t batch[] = { HV_X86_RAX, HV_X86_REG_MSR(0x174), HV_X86_REG_MSR(0x1b),
				   HV_X86_CR3 };
	const uint64_t vals[] = { 0x777, 0x99, ~0ull, 0x5000 };
	uint64_t apic_base;

	(void)state;
	one_vcpu(&t);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RAX, 0x1111), HV_OK);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_REG_MSR(0x174), 0x10), HV_OK);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_CR3, 0x3000), HV_OK);
	apic_base = itest_reg(t.vcpu[0], HV_X86_REG_MSR(0x1b));
	assert_int_equal(hv_vcpu_set_regs(t.vcpu[0], batch, vals, 4), HV_ERR_BACKEND);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RAX), 0x1111);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_REG_MSR(0x174)), 0x10);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_CR3), 0x3000);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_REG_MSR(0x1b)), apic_base);
	itest_vm_fini(&t);
}

static void test_regs_guest_uses_and_leaves_registers(void **state)
{
	struct itest_vm t;
	uint64_t rip;

	(void)state;
	itest_vm_init(&t, NULL, "regs-guest", 64 * 1024, 1);
	itest_load(&t, guest_regs_start, guest_regs_end, GUEST_REGS_ORG);
	itest_setup_real(t.vcpu[0], GUEST_REGS_ORG, false);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RAX, 0x11223344), HV_OK);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RBX, 0x55667788), HV_OK);
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(t.con.result_count, 2);
	assert_int_equal(t.con.results[0], 0x11223344);
	assert_int_equal(t.con.results[1], 0x55667788);

	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RCX), 0x13579bdf);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RDX), 0x2468ace0);
	assert_int_equal(itest_reg(t.vcpu[0], HV_X86_RBX), 0x55667788);
	assert_int_equal(itest_reg(t.vcpu[0], ITEST_SEG(ES, SELECTOR)), 0x1234);
	assert_int_equal(itest_reg(t.vcpu[0], ITEST_SEG(ES, BASE)), 0x12340);
	/* Stopped at the power-off OUT (0x1040, 2 bytes): before or after it. */
	rip = itest_reg(t.vcpu[0], HV_REG_PC);
	assert_true(rip == 0x1040 || rip == 0x1042);
	itest_vm_fini(&t);
}

static void test_regs_busy_while_running(void **state)
{
	struct itest_vm t;
	hv_vm_state_t st;
	uint64_t v = 0;

	(void)state;
	itest_vm_init(&t, NULL, "regs-busy", 64 * 1024, 1);
	itest_load(&t, guest_spin_start, guest_spin_end, GUEST_SPIN_ORG);
	itest_setup_real(t.vcpu[0], GUEST_SPIN_ORG, false);
	itest_watchdog_start(&t.wd, t.vm, ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_true(itest_wait_mem32(t.vm, 0x504, 1000, 2000));
	assert_int_equal(hv_vcpu_get_reg(t.vcpu[0], HV_X86_RIP, &v), HV_ERR_BUSY);
	assert_int_equal(hv_vcpu_set_reg(t.vcpu[0], HV_X86_RIP, 0), HV_ERR_BUSY);
	assert_int_equal(hv_vm_pause(t.vm), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_PAUSED);
	/* Paused: readable again, and RIP is inside the spin loop. */
	v = itest_reg(t.vcpu[0], HV_X86_RIP);
	assert_true(v >= GUEST_SPIN_ORG && v < GUEST_SPIN_ORG + 0x20);
	assert_int_equal(hv_vm_stop(t.vm), HV_OK);
	assert_false(itest_watchdog_stop(&t.wd));
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regs_gprs_batch_and_single),
		cmocka_unit_test(test_regs_segments_control_tables_msrs),
		cmocka_unit_test(test_regs_unknown_ids_change_nothing),
		cmocka_unit_test(test_regs_refused_value_changes_nothing),
		cmocka_unit_test(test_regs_guest_uses_and_leaves_registers),
		cmocka_unit_test(test_regs_busy_while_running),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
