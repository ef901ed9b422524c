/* SPDX-License-Identifier: MIT */
/* The x86 MMIO instruction decoder (lib/arch/x86/insn.c), on byte sequences GNU as emits. */
#include "test_support.h"

#include "arch/x86/insn.h"
#include "x86_host_alu.h"

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
	static const uint8_t add[] = { 0xf7, 0x20 };      /* mull (%rax) */
	static const uint8_t call[] = { 0xff, 0x10 };     /* call *(%rax) */
	static const uint8_t shl[] = { 0xd1, 0x20 };      /* shll (%rax) */
	static const uint8_t add_reg[] = { 0x01, 0xc8 };  /* add %ecx,%eax */
	static const uint8_t c7_not0[] = { 0xc7, 0x08, 0, 0, 0, 0 };
	static const uint8_t rex_not_last[] = { 0x48, 0x66, 0x89, 0x08 };
	struct hv__x86_mmio_insn d = { 0 };

	(void)state;
	assert_int_equal(hv__x86_decode_mmio(reg_form, sizeof(reg_form), HV__X86_MODE_64, &d),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(hv__x86_decode_mmio(add, sizeof(add), HV__X86_MODE_64, &d),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(hv__x86_decode_mmio(add_reg, sizeof(add_reg), HV__X86_MODE_64, &d),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(hv__x86_decode_mmio(call, sizeof(call), HV__X86_MODE_64, &d),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(hv__x86_decode_mmio(shl, sizeof(shl), HV__X86_MODE_64, &d),
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

static void test_x86_insn_decodes_alu_ops_with_memory_destination(void **state)
{
	/* add %ecx,(%rax): reads, computes, writes back */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x01, 0x08);
	uint64_t reg = 1, fl = 0, store = 0;

	(void)state;
	assert_int_equal(d.op, HV__X86_OP_ADD);
	assert_int_equal(d.width, 4);
	assert_int_equal(d.reg, 1);
	assert_true(d.is_read && d.is_write && d.mem_dest);
	assert_true(hv__x86_mmio_execute(&d, 0xffffffffu, &reg, &fl, &store));
	assert_int_equal(store, 0);
	assert_int_equal(fl & HV__X86_FLAGS_ARITH, 0x55); /* CF, PF, AF, ZF */
	assert_int_equal(reg, 1);
	/* orq $-1,0x8(%rbx): imm8 sign-extended to 64 bits */
	d = DECODE(HV__X86_MODE_64, 0x48, 0x83, 0x4b, 0x08, 0xff);
	assert_int_equal(d.op, HV__X86_OP_OR);
	assert_int_equal(d.width, 8);
	assert_int_equal(d.reg, HV__X86_NO_REG);
	assert_int_equal(d.imm, ~0ull);
	/* andw $0xfff0,(%rdx): imm16 */
	d = DECODE(HV__X86_MODE_64, 0x66, 0x81, 0x22, 0xf0, 0xff);
	assert_int_equal(d.op, HV__X86_OP_AND);
	assert_int_equal(d.width, 2);
	assert_true(hv__x86_mmio_execute(&d, 0x123f, &reg, &fl, &store));
	assert_int_equal(store, 0x1230);
	/* subb %ah,(%rsi): the high byte register */
	d = DECODE(HV__X86_MODE_64, 0x28, 0x26);
	assert_int_equal(d.op, HV__X86_OP_SUB);
	reg = 0x0500;
	assert_true(hv__x86_mmio_execute(&d, 0x07, &reg, &fl, &store));
	assert_int_equal(store, 2);
	/* xorl $0x80000000,(%rax) with REX.W: imm32 sign-extended */
	d = DECODE(HV__X86_MODE_64, 0x48, 0x81, 0x30, 0x00, 0x00, 0x00, 0x80);
	assert_int_equal(d.op, HV__X86_OP_XOR);
	assert_int_equal(d.imm, 0xffffffff80000000ull);
}

static void test_x86_insn_decodes_compares_and_tests_as_reads(void **state)
{
	/* cmpl $0x54464269,(%rcx): Linux's iBFT scan */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x81, 0x39, 0x69, 0x42, 0x46, 0x54);
	uint64_t reg = 0, fl = 0, store = 0x1234;

	(void)state;
	assert_int_equal(d.op, HV__X86_OP_CMP);
	assert_true(d.is_read);
	assert_false(d.is_write);
	assert_false(hv__x86_mmio_execute(&d, 0x54464269, &reg, &fl, &store));
	assert_int_equal(fl & HV__X86_FLAGS_ARITH, 0x44); /* ZF, PF */
	assert_int_equal(store, 0x1234);
	assert_false(hv__x86_mmio_execute(&d, 0, &reg, &fl, &store));
	assert_int_equal(fl & 1, 1); /* 0 < the immediate: borrow */
	/* testb $0x20,0x5(%rdx) */
	d = DECODE(HV__X86_MODE_64, 0xf6, 0x42, 0x05, 0x20);
	assert_int_equal(d.op, HV__X86_OP_TEST);
	assert_false(d.is_write);
	assert_false(hv__x86_mmio_execute(&d, 0xdf, &reg, &fl, &store));
	assert_int_equal(fl & 0x40, 0x40);
	/* test %eax,(%rbx); cmp (%rbx),%ecx (register destination) */
	d = DECODE(HV__X86_MODE_64, 0x85, 0x03);
	assert_int_equal(d.op, HV__X86_OP_TEST);
	d = DECODE(HV__X86_MODE_64, 0x3b, 0x0b);
	assert_int_equal(d.op, HV__X86_OP_CMP);
	assert_false(d.mem_dest);
	reg = 5;
	assert_false(hv__x86_mmio_execute(&d, 7, &reg, &fl, &store));
	assert_int_equal(reg, 5);
	assert_int_equal(fl & 0x81, 0x81); /* 5 - 7: SF, CF */
}

static void test_x86_insn_alu_into_a_register(void **state)
{
	/* add (%rax),%ecx: the 32-bit result clears bits 63:32 */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x03, 0x08);
	uint64_t reg = 0xffffffff00000001ull, fl = 0, store = 0;

	(void)state;
	assert_false(d.mem_dest);
	assert_true(d.is_read);
	assert_false(d.is_write);
	assert_false(hv__x86_mmio_execute(&d, 2, &reg, &fl, &store));
	assert_int_equal(reg, 3);
	/* adc (%rax),%bh with CF set: the high byte, other bits kept */
	d = DECODE(HV__X86_MODE_64, 0x12, 0x38);
	reg = 0x1234ff77;
	fl = 1;
	assert_false(hv__x86_mmio_execute(&d, 0, &reg, &fl, &store));
	assert_int_equal(reg, 0x12340077);
	assert_int_equal(fl & 0x41, 0x41); /* 0xff + 0 + 1: carry, zero */
}

static void test_x86_insn_xchg_swaps(void **state)
{
	/* xchg %eax,(%rbx) */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0x87, 0x03);
	uint64_t reg = 0xaaaaaaaa11111111ull, fl = 0x8d5, store = 0;

	(void)state;
	assert_int_equal(d.op, HV__X86_OP_XCHG);
	assert_true(d.is_read && d.is_write);
	assert_true(hv__x86_mmio_execute(&d, 0x22222222, &reg, &fl, &store));
	assert_int_equal(store, 0x11111111);
	assert_int_equal(reg, 0x22222222);
	assert_int_equal(fl, 0x8d5); /* flags untouched */
}

static void test_x86_insn_one_operand_ops(void **state)
{
	/* incl 0x10(%rax): CF kept */
	struct hv__x86_mmio_insn d = DECODE(HV__X86_MODE_64, 0xff, 0x40, 0x10);
	uint64_t reg = 0, fl = 1, store = 0;

	(void)state;
	assert_int_equal(d.op, HV__X86_OP_INC);
	assert_int_equal(d.width, 4);
	assert_true(d.is_read && d.is_write);
	assert_true(hv__x86_mmio_execute(&d, 0xffffffffu, &reg, &fl, &store));
	assert_int_equal(store, 0);
	assert_int_equal(fl & 0x41, 0x41); /* ZF, and CF as it was */
	/* decb (%rbx) */
	d = DECODE(HV__X86_MODE_64, 0xfe, 0x0b);
	assert_int_equal(d.op, HV__X86_OP_DEC);
	assert_int_equal(d.width, 1);
	/* notw (%rsi) */
	d = DECODE(HV__X86_MODE_64, 0x66, 0xf7, 0x16);
	assert_int_equal(d.op, HV__X86_OP_NOT);
	fl = 0x8d5;
	assert_true(hv__x86_mmio_execute(&d, 0x00f0, &reg, &fl, &store));
	assert_int_equal(store, 0xff0f);
	assert_int_equal(fl, 0x8d5);
	/* negq (%rdi) */
	d = DECODE(HV__X86_MODE_64, 0x48, 0xf7, 0x1f);
	assert_int_equal(d.op, HV__X86_OP_NEG);
	assert_int_equal(d.width, 8);
	assert_true(hv__x86_mmio_execute(&d, 1, &reg, &fl, &store));
	assert_int_equal(store, ~0ull);
	assert_int_equal(fl & 0x81, 0x81); /* SF, CF (the operand was not 0) */
}

#if defined(__x86_64__)
static void test_x86_insn_alu_matches_the_host_cpu(void **state)
{
	static const uint64_t edges[] = { 0,
					  1,
					  0x7f,
					  0x80,
					  0xff,
					  0x7fff,
					  0x8000,
					  0xffff,
					  0x7fffffff,
					  0x80000000u,
					  0xffffffffu,
					  0x7fffffffffffffffull,
					  0x8000000000000000ull,
					  ~0ull };
	static const unsigned widths[] = { 1, 2, 4, 8 };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned op, wi, i, checked = 0;

	(void)state;
	for (op = HV__X86_OP_ADD; op <= HV__X86_OP_NEG; op++) {
		if (op == HV__X86_OP_XCHG)
			continue;
		for (wi = 0; wi < 4; wi++) {
			for (i = 0; i < 2000; i++) {
				uint64_t a, b, fl_in, fl_ours, fl_cpu, r_ours, r_cpu;
				bool logic = op == HV__X86_OP_OR || op == HV__X86_OP_AND ||
					     op == HV__X86_OP_XOR || op == HV__X86_OP_TEST;
				/* the logic ops leave AF undefined */
				uint64_t mask = HV__X86_FLAGS_ARITH & ~(logic ? 0x10ull : 0);

				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				a = i < 14 * 14 ? edges[i % 14] : x;
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				b = i < 14 * 14 ? edges[i / 14] : x;
				fl_in = (x >> 32) & HV__X86_FLAGS_ARITH;
				fl_ours = fl_in;
				fl_cpu = fl_in;
				r_ours = hv__x86_alu((enum hv__x86_mmio_op)op, widths[wi], a, b,
						     &fl_ours);
				r_cpu = hv_test_host_alu((enum hv__x86_mmio_op)op, widths[wi], a,
							 b, &fl_cpu);
				if ((fl_ours & mask) != (fl_cpu & mask) ||
				    (op != HV__X86_OP_CMP && op != HV__X86_OP_TEST &&
				     r_ours != r_cpu))
					fail_msg(
						"op %u width %u a 0x%llx b 0x%llx flags in 0x%llx: "
						"ours 0x%llx/0x%llx, cpu 0x%llx/0x%llx",
						op, widths[wi], (unsigned long long)a,
						(unsigned long long)b, (unsigned long long)fl_in,
						(unsigned long long)r_ours,
						(unsigned long long)(fl_ours & mask),
						(unsigned long long)r_cpu,
						(unsigned long long)(fl_cpu & mask));
				checked++;
			}
		}
	}
	assert_int_equal(checked, 13 * 4 * 2000);
}
#else
static void test_x86_insn_alu_matches_the_host_cpu(void **state)
{
	(void)state;
	skip(); /* needs an x86-64 host to compare with */
}
#endif

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
		cmocka_unit_test(test_x86_insn_decodes_alu_ops_with_memory_destination),
		cmocka_unit_test(test_x86_insn_decodes_compares_and_tests_as_reads),
		cmocka_unit_test(test_x86_insn_alu_into_a_register),
		cmocka_unit_test(test_x86_insn_xchg_swaps),
		cmocka_unit_test(test_x86_insn_one_operand_ops),
		cmocka_unit_test(test_x86_insn_alu_matches_the_host_cpu),
	};

	return cmocka_run_group_tests_name("x86_insn", tests, NULL, NULL);
}
