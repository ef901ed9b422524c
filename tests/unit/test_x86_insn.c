/* SPDX-License-Identifier: MIT */
/* The x86 MMIO instruction decoder (lib/arch/x86/insn.c), on byte sequences GNU as emits. */
#include "test_support.h"

#include "arch/x86/insn.h"

#define DECODE(mode, ...)                                                                  \
	({                                                                                 \
		static const uint8_t _b[] = { __VA_ARGS__ };                               \
		struct hv__x86_mmio_insn _d;                                               \
		assert_int_equal(hv__x86_decode_mmio(_b, sizeof(_b), (mode), &_d), HV_OK); \
		assert_int_equal(_d.length, sizeof(_b));                                   \
		_d;                                                                        \
	})

static void test_x86_insn_decodes_store_of_32bit_register(void **state)
{
	/* mov %ecx,(%rbx) */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x89, 0x0b);

	(void)state;
	assert_int_equal(d.width, 4);
	assert_true(d.is_write);
	assert_int_equal(d.reg, 1);
	assert_int_equal(hv__x86_mmio_store_value(&d, 0x1122334455667788ull), 0x55667788u);
}

static void test_x86_insn_decodes_rex_w_and_rex_r(void **state)
{
	/* mov %r9,0x10(%rax) */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x4c, 0x89, 0x48, 0x10);

	(void)state;
	assert_int_equal(d.width, 8);
	assert_int_equal(d.reg, 9);
	assert_true(d.is_write);
	/* mov 0x12345678(%rip),%r12 : load, disp32 */
	d = DECODE(HV__X86_MODE_64, 0x4c, 0x8b, 0x25, 0x78, 0x56, 0x34, 0x12);
	assert_int_equal(d.width, 8);
	assert_int_equal(d.reg, 12);
	assert_false(d.is_write);
}

static void test_x86_insn_decodes_sib_and_displacements(void **state)
{
	/* mov %eax,0x100(%rbx,%rcx,4) : ModRM, SIB, disp32 */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x89, 0x84, 0x8b, 0x00, 0x01, 0, 0);

	(void)state;
	assert_int_equal(d.width, 4);
	/* mov 0x8(%rsp),%edx : SIB with disp8 */
	d = DECODE(HV__X86_MODE_64, 0x8b, 0x54, 0x24, 0x08);
	assert_int_equal(d.reg, 2);
	/* mov %eax,0xd0000000(,%rcx,1) : SIB base 5 with mod 0 has disp32 */
	d = DECODE(HV__X86_MODE_64, 0x89, 0x04, 0x0d, 0x00, 0x00, 0x00, 0xd0);
	assert_int_equal(d.reg, 0);
}

static void test_x86_insn_byte_registers_without_rex_are_high_bytes(void **state)
{
	/* mov %ah,(%rdi) */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x88, 0x27);

	(void)state;
	assert_int_equal(d.width, 1);
	assert_int_equal(d.reg, 0);
	assert_true(d.high_byte);
	assert_int_equal(hv__x86_mmio_store_value(&d, 0xabcd), 0xab);
	/* mov (%rdi),%bh keeps every other bit of RBX */
	d = DECODE(HV__X86_MODE_64, 0x8a, 0x3f);
	assert_int_equal(d.reg, 3);
	assert_true(d.high_byte);
	assert_int_equal(hv__x86_mmio_load_result(&d, 0xffffffffffffffffull, 0x12),
			 0xffffffffffff12ffull);
	/* mov %spl,(%rdi) with REX is SPL, not AH */
	d = DECODE(HV__X86_MODE_64, 0x40, 0x88, 0x27);
	assert_int_equal(d.reg, 4);
	assert_false(d.high_byte);
}

static void test_x86_insn_32bit_loads_clear_the_upper_half(void **state)
{
	/* mov (%rsi),%eax */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x8b, 0x06);

	(void)state;
	assert_int_equal(hv__x86_mmio_load_result(&d, ~0ull, 0x87654321u), 0x87654321u);
	/* mov (%rsi),%ax keeps bits 63:16 */
	d = DECODE(HV__X86_MODE_64, 0x66, 0x8b, 0x06);
	assert_int_equal(d.width, 2);
	assert_int_equal(hv__x86_mmio_load_result(&d, 0x1111222233334444ull, 0xbeef),
			 0x111122223333beefull);
}

static void test_x86_insn_decodes_immediate_stores(void **state)
{
	/* movb $0x5a,(%rdx) */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0xc6, 0x02, 0x5a);

	(void)state;
	assert_int_equal(d.width, 1);
	assert_int_equal(d.reg, HV__X86_NO_REG);
	assert_int_equal(hv__x86_mmio_store_value(&d, 0), 0x5a);
	/* movq $-2,0x20(%rdx): imm32 sign-extended to 64 bits */
	d = DECODE(HV__X86_MODE_64, 0x48, 0xc7, 0x42, 0x20, 0xfe, 0xff, 0xff, 0xff);
	assert_int_equal(d.width, 8);
	assert_int_equal(hv__x86_mmio_store_value(&d, 0), 0xfffffffffffffffeull);
	/* movw $0x1234,(%rdx) */
	d = DECODE(HV__X86_MODE_64, 0x66, 0xc7, 0x02, 0x34, 0x12);
	assert_int_equal(d.width, 2);
	assert_int_equal(hv__x86_mmio_store_value(&d, 0), 0x1234);
}

static void test_x86_insn_decodes_movzx_and_movsx(void **state)
{
	/* movzbl (%rbx),%eax */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x0f, 0xb6, 0x03);

	(void)state;
	assert_int_equal(d.width, 1);
	assert_int_equal(d.reg_width, 4);
	assert_int_equal(hv__x86_mmio_load_result(&d, ~0ull, 0xff), 0xff);
	/* movswq (%rbx),%rcx */
	d = DECODE(HV__X86_MODE_64, 0x48, 0x0f, 0xbf, 0x0b);
	assert_int_equal(d.width, 2);
	assert_int_equal(d.reg, 1);
	assert_int_equal(hv__x86_mmio_load_result(&d, 0, 0x8000), 0xffffffffffff8000ull);
	/* movsbw (%rbx),%dx keeps bits 63:16 */
	d = DECODE(HV__X86_MODE_64, 0x66, 0x0f, 0xbe, 0x13);
	assert_int_equal(hv__x86_mmio_load_result(&d, 0xaaaaaaaaaaaaaaaaull, 0x80),
			 0xaaaaaaaaaaaaff80ull);
}

static void test_x86_insn_decodes_moffs_by_address_size(void **state)
{
	/* movabs 0xfee00020,%eax: 8-byte moffs in 64-bit mode */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0xa1, 0x20, 0, 0xe0, 0xfe, 0, 0, 0, 0);

	(void)state;
	assert_int_equal(d.width, 4);
	assert_false(d.is_write);
	/* mov %al,0x1234 in 16-bit code: 2-byte moffs */
	d = DECODE(HV__X86_MODE_16, 0xa2, 0x34, 0x12);
	assert_int_equal(d.width, 1);
	assert_true(d.is_write);
	/* addr32 mov %eax,0xb8000 in 16-bit code */
	d = DECODE(HV__X86_MODE_16, 0x66, 0x67, 0xa3, 0x00, 0x80, 0x0b, 0x00);
	assert_int_equal(d.width, 4);
}

static void test_x86_insn_uses_16bit_addressing_in_real_mode(void **state)
{
	/* mov %ax,(%bx,%si) */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_16, 0x89, 0x00);

	(void)state;
	assert_int_equal(d.width, 2);
	/* mov 0x1234,%cx : mod 0 rm 6 is disp16 */
	d = DECODE(HV__X86_MODE_16, 0x8b, 0x0e, 0x34, 0x12);
	assert_int_equal(d.reg, 1);
	/* mov %es:0x10(%di),%eax : segment override, operand-size prefix, disp8 */
	d = DECODE(HV__X86_MODE_16, 0x26, 0x66, 0x8b, 0x45, 0x10);
	assert_int_equal(d.width, 4);
	/* In 32-bit code, 0x40 is INC, not REX */
	{
		static const uint8_t b[] = { 0x40, 0x89, 0x08 };

		assert_int_equal(hv__x86_decode_mmio(b, sizeof(b), HV__X86_MODE_32, &d),
				 HV_ERR_UNSUPPORTED);
	}
}

static void test_x86_insn_refuses_what_it_does_not_know(void **state)
{
	static const uint8_t reg_form[] = { 0x89, 0xc8 }; /* mov %ecx,%eax */
	static const uint8_t add[] = { 0x01, 0x08 };      /* add %ecx,(%rax) */
	static const uint8_t c7_not0[] = { 0xc7, 0x08, 0, 0, 0, 0 };
	static const uint8_t rex_not_last[] = { 0x48, 0x66, 0x89, 0x08 };
	struct hv__x86_mmio_insn d = { 0 };

	(void)state;
	assert_int_equal(hv__x86_decode_mmio(reg_form, sizeof(reg_form), HV__X86_MODE_64, &d),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(hv__x86_decode_mmio(add, sizeof(add), HV__X86_MODE_64, &d),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(hv__x86_decode_mmio(c7_not0, sizeof(c7_not0), HV__X86_MODE_64, &d),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(
		hv__x86_decode_mmio(rex_not_last, sizeof(rex_not_last), HV__X86_MODE_64, &d),
		HV_ERR_UNSUPPORTED);
	assert_int_equal(hv__x86_decode_mmio(NULL, 1, HV__X86_MODE_64, &d), HV_ERR_INVALID_ARG);
	assert_int_equal(hv__x86_decode_mmio(add, sizeof(add), (enum hv__x86_cpu_mode)8, &d),
			 HV_ERR_INVALID_ARG);
}

static void test_x86_insn_refuses_truncated_bytes_and_overlong_prefixes(void **state)
{
	static const uint8_t trunc_disp[] = { 0x89, 0x80, 0x00, 0x01 };      /* disp32 cut short */
	static const uint8_t trunc_imm[] = { 0xc7, 0x00, 0x01, 0x02, 0x03 }; /* imm32 cut */
	static const uint8_t trunc_sib[] = { 0x89, 0x04 };
	uint8_t prefixes[HV__X86_INSN_MAX + 2];
	struct hv__x86_mmio_insn d;
	size_t i;

	(void)state;
	assert_int_equal(hv__x86_decode_mmio(trunc_disp, sizeof(trunc_disp), HV__X86_MODE_64, &d),
			 HV_ERR_BAD_IMAGE);
	assert_int_equal(hv__x86_decode_mmio(trunc_imm, sizeof(trunc_imm), HV__X86_MODE_64, &d),
			 HV_ERR_BAD_IMAGE);
	assert_int_equal(hv__x86_decode_mmio(trunc_sib, sizeof(trunc_sib), HV__X86_MODE_64, &d),
			 HV_ERR_BAD_IMAGE);
	/* A guest's endless prefixes stop at the architectural 15-byte limit. */
	for (i = 0; i < sizeof(prefixes); i++)
		prefixes[i] = 0x66;
	assert_int_equal(hv__x86_decode_mmio(prefixes, sizeof(prefixes), HV__X86_MODE_64, &d),
			 HV_ERR_BAD_IMAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_insn_decodes_store_of_32bit_register),
		cmocka_unit_test(test_x86_insn_decodes_rex_w_and_rex_r),
		cmocka_unit_test(test_x86_insn_decodes_sib_and_displacements),
		cmocka_unit_test(test_x86_insn_byte_registers_without_rex_are_high_bytes),
		cmocka_unit_test(test_x86_insn_32bit_loads_clear_the_upper_half),
		cmocka_unit_test(test_x86_insn_decodes_immediate_stores),
		cmocka_unit_test(test_x86_insn_decodes_movzx_and_movsx),
		cmocka_unit_test(test_x86_insn_decodes_moffs_by_address_size),
		cmocka_unit_test(test_x86_insn_uses_16bit_addressing_in_real_mode),
		cmocka_unit_test(test_x86_insn_refuses_what_it_does_not_know),
		cmocka_unit_test(test_x86_insn_refuses_truncated_bytes_and_overlong_prefixes),
	};

	return cmocka_run_group_tests_name("x86_insn", tests, NULL, NULL);
}
