/* SPDX-License-Identifier: MIT */
/* AArch64 syndrome decoding (lib/arch/aarch64/): data aborts, MSR/MRS traps, fault IPAs. */
#include "test_support.h"

#include "arch/aarch64/esr.h"

/* A data abort from a lower EL with a valid syndrome, built from its fields. */
static uint64_t dabt(unsigned sas, bool sse, unsigned srt, bool sf, bool wnr, unsigned dfsc)
{
	return (0x24ull << 26) | (1ull << 25) | (1ull << 24) | ((uint64_t)sas << 22) |
	       ((uint64_t)sse << 21) | ((uint64_t)srt << 16) | ((uint64_t)sf << 15) |
	       ((uint64_t)wnr << 6) | dfsc;
}

static void test_arch_aarch64_decodes_64bit_load(void **state)
{
	struct hv__a64_dabt d;

	(void)state;
	/* ldr x0, [x1] into an unmapped page: the syndrome Linux's KVM logs as 0x93c08006. */
	assert_true(hv__a64_decode_dabt(0x93c08006ull, &d));
	assert_true(d.valid);
	assert_false(d.is_write);
	assert_int_equal(d.width, 8);
	assert_int_equal(d.reg, 0);
	assert_true(d.sf);
	assert_false(d.sign_extend);
	assert_int_equal(d.kind, HV__A64_FSC_TRANSLATION);
}

static void test_arch_aarch64_decodes_every_width_and_register(void **state)
{
	unsigned sas, reg;
	struct hv__a64_dabt d;

	(void)state;
	for (sas = 0; sas < 4; sas++) {
		for (reg = 0; reg < 32; reg++) {
			assert_true(
				hv__a64_decode_dabt(dabt(sas, false, reg, sas == 3, true, 7), &d));
			assert_int_equal(d.width, 1u << sas);
			assert_int_equal(d.reg, reg);
			assert_true(d.is_write);
		}
	}
}

static void test_arch_aarch64_permission_fault_is_not_translation(void **state)
{
	struct hv__a64_dabt d;

	(void)state;
	/* str w2, [x3] to a read-only (ROM) page: permission fault, level 3. */
	assert_true(hv__a64_decode_dabt(dabt(2, false, 2, false, true, 0x0f), &d));
	assert_int_equal(d.kind, HV__A64_FSC_PERMISSION);
	assert_int_equal(hv__a64_fsc_kind(0x21), HV__A64_FSC_OTHER);       /* alignment */
	assert_int_equal(hv__a64_fsc_kind(0x00), HV__A64_FSC_TRANSLATION); /* address size */
	assert_int_equal(hv__a64_fsc_kind(0x09), HV__A64_FSC_ACCESS_FLAG);
}

static void test_arch_aarch64_invalid_syndrome_is_reported(void **state)
{
	struct hv__a64_dabt d;

	(void)state;
	/* ldp x0, x1, [x2]: ISV clear, nothing about the access may be trusted. */
	assert_true(hv__a64_decode_dabt((0x24ull << 26) | (1ull << 25) | 0x07, &d));
	assert_false(d.valid);
	assert_int_equal(d.width, 0);
}

static void test_arch_aarch64_rejects_other_classes(void **state)
{
	struct hv__a64_dabt d;
	struct hv__a64_sysreg s;

	(void)state;
	assert_false(hv__a64_decode_dabt(0x5a000000ull, &d));                /* HVC */
	assert_false(hv__a64_decode_dabt((0x25ull << 26) | (1u << 24), &d)); /* own EL */
	assert_false(hv__a64_decode_sysreg(0x93c08006ull, &s));
}

static void test_arch_aarch64_stage1_walk_is_a_read(void **state)
{
	struct hv__a64_dabt d;

	(void)state;
	assert_true(hv__a64_decode_dabt(dabt(3, false, 4, true, true, 7) | (1u << 7), &d));
	assert_true(d.s1ptw);
	assert_false(d.is_write);
}

static void test_arch_aarch64_load_value_extends_per_syndrome(void **state)
{
	struct hv__a64_dabt d;

	(void)state;
	/* ldrb w0: zero-extended into 32 bits. */
	hv__a64_decode_dabt(dabt(0, false, 0, false, false, 7), &d);
	assert_int_equal(hv__a64_load_value(&d, 0xfffffff0ull), 0xf0);
	/* ldrsb x0: sign-extended into 64 bits. */
	hv__a64_decode_dabt(dabt(0, true, 0, true, false, 7), &d);
	assert_int_equal(hv__a64_load_value(&d, 0x80), 0xffffffffffffff80ull);
	/* ldrsh w0: sign-extended into 32 bits only. */
	hv__a64_decode_dabt(dabt(1, true, 0, false, false, 7), &d);
	assert_int_equal(hv__a64_load_value(&d, 0x8001), 0xffff8001ull);
	/* ldrsw x0 of a positive value. */
	hv__a64_decode_dabt(dabt(2, true, 0, true, false, 7), &d);
	assert_int_equal(hv__a64_load_value(&d, 0x7fffffffull), 0x7fffffffull);
	/* ldr x0: all 64 bits. */
	hv__a64_decode_dabt(dabt(3, false, 0, true, false, 7), &d);
	assert_int_equal(hv__a64_load_value(&d, 0x8000000000000001ull), 0x8000000000000001ull);
}

static void test_arch_aarch64_decodes_sysreg_trap(void **state)
{
	struct hv__a64_sysreg s;
	/* msr icc_sgi1r_el1, x5: op0 3, op1 0, CRn 12, CRm 11, op2 5, write. */
	uint64_t esr = (0x18ull << 26) | (1ull << 25) | (3u << 20) | (5u << 17) | (0u << 14) |
		       (12u << 10) | (5u << 5) | (11u << 1) | 0;

	(void)state;
	assert_true(hv__a64_decode_sysreg(esr, &s));
	assert_int_equal(s.reg, 5);
	assert_false(s.is_read);
	assert_int_equal(hv__a64_sysreg_key(&s), HV__A64_SYSREG_KEY(3, 0, 12, 11, 5));
	assert_int_equal(hv__a64_sysreg_key(&s), HV_ARM64_SYSREG(3, 0, 12, 11, 5) & 0xffffu);
	assert_true(hv__a64_decode_sysreg(esr | 1, &s));
	assert_true(s.is_read);
}

static void test_arch_aarch64_fault_ipa_combines_hpfar_and_far(void **state)
{
	(void)state;
	/* IPA 0x1_2345_6789: HPFAR holds IPA[47:12] at bits [43:4]. */
	assert_int_equal(hv__a64_fault_ipa(0x123456ull << 4, 0xffff000000000789ull),
			 0x123456789ull);
	assert_int_equal(hv__a64_fault_ipa(0, 0xabc), 0xabc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_arch_aarch64_decodes_64bit_load),
		TS_TEST(test_arch_aarch64_decodes_every_width_and_register),
		TS_TEST(test_arch_aarch64_permission_fault_is_not_translation),
		TS_TEST(test_arch_aarch64_invalid_syndrome_is_reported),
		TS_TEST(test_arch_aarch64_rejects_other_classes),
		TS_TEST(test_arch_aarch64_stage1_walk_is_a_read),
		TS_TEST(test_arch_aarch64_load_value_extends_per_syndrome),
		TS_TEST(test_arch_aarch64_decodes_sysreg_trap),
		TS_TEST(test_arch_aarch64_fault_ipa_combines_hpfar_and_far),
	};

	return cmocka_run_group_tests_name("arch_aarch64", tests, NULL, NULL);
}
