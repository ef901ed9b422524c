/* SPDX-License-Identifier: MIT */
/*
 * The host CPU as the reference for hv__x86_alu(): the same operation, executed, on an
 * x86-64 host (test_x86_insn and fuzz_x86_insn). Include after arch/x86/insn.h.
 */
#ifndef HV_TEST_X86_HOST_ALU_H
#define HV_TEST_X86_HOST_ALU_H

#if defined(__x86_64__)
#include <stdint.h>

/*
 * One instruction on x (and y), the arithmetic flags loaded from f first and stored back in
 * it; the stack pointer steps over the red zone before the pushes.
 */
#define HV_TEST_HOST2(insn, T)                                                    \
	do {                                                                      \
		T x_ = (T)a, y_ = (T)b;                                           \
		__asm__ volatile("sub $128, %%rsp\n\tpush %[f]\n\tpopfq\n\t" insn \
				 " %[y], %[x]\n\t"                                \
				 "pushfq\n\tpop %[f]\n\tadd $128, %%rsp"          \
				 : [x] "+q"(x_), [f] "+r"(f)                      \
				 : [y] "q"(y_)                                    \
				 : "cc", "memory");                               \
		r = x_;                                                           \
	} while (0)
#define HV_TEST_HOST1(insn, T)                                                                \
	do {                                                                                  \
		T x_ = (T)a;                                                                  \
		__asm__ volatile("sub $128, %%rsp\n\tpush %[f]\n\tpopfq\n\t" insn " %[x]\n\t" \
				 "pushfq\n\tpop %[f]\n\tadd $128, %%rsp"                      \
				 : [x] "+q"(x_), [f] "+r"(f)                                  \
				 :                                                            \
				 : "cc", "memory");                                           \
		r = x_;                                                                       \
	} while (0)
#define HV_TEST_HOST_W(M, insn)            \
	do {                               \
		switch (width) {           \
		case 1:                    \
			M(insn, uint8_t);  \
			break;             \
		case 2:                    \
			M(insn, uint16_t); \
			break;             \
		case 4:                    \
			M(insn, uint32_t); \
			break;             \
		default:                   \
			M(insn, uint64_t); \
			break;             \
		}                          \
	} while (0)

/*
 * The CPU's result (truncated to width bytes) and arithmetic flags for op on a and b, the
 * flags loaded from *fl first (IF and bit 1 set). XCHG and anything else: b, *fl unchanged.
 */
static inline uint64_t hv_test_host_alu(enum hv__x86_mmio_op op, unsigned width, uint64_t a,
					uint64_t b, uint64_t *fl)
{
	uint64_t f = (*fl & HV__X86_FLAGS_ARITH) | 0x202, r = 0;

	switch (op) {
	case HV__X86_OP_ADD:
		HV_TEST_HOST_W(HV_TEST_HOST2, "add");
		break;
	case HV__X86_OP_OR:
		HV_TEST_HOST_W(HV_TEST_HOST2, "or");
		break;
	case HV__X86_OP_ADC:
		HV_TEST_HOST_W(HV_TEST_HOST2, "adc");
		break;
	case HV__X86_OP_SBB:
		HV_TEST_HOST_W(HV_TEST_HOST2, "sbb");
		break;
	case HV__X86_OP_AND:
		HV_TEST_HOST_W(HV_TEST_HOST2, "and");
		break;
	case HV__X86_OP_SUB:
		HV_TEST_HOST_W(HV_TEST_HOST2, "sub");
		break;
	case HV__X86_OP_XOR:
		HV_TEST_HOST_W(HV_TEST_HOST2, "xor");
		break;
	case HV__X86_OP_CMP:
		HV_TEST_HOST_W(HV_TEST_HOST2, "cmp");
		break;
	case HV__X86_OP_TEST:
		HV_TEST_HOST_W(HV_TEST_HOST2, "test");
		break;
	case HV__X86_OP_INC:
		HV_TEST_HOST_W(HV_TEST_HOST1, "inc");
		break;
	case HV__X86_OP_DEC:
		HV_TEST_HOST_W(HV_TEST_HOST1, "dec");
		break;
	case HV__X86_OP_NOT:
		HV_TEST_HOST_W(HV_TEST_HOST1, "not");
		break;
	case HV__X86_OP_NEG:
		HV_TEST_HOST_W(HV_TEST_HOST1, "neg");
		break;
	default:
		return b;
	}
	*fl = f;
	return r;
}
#endif /* __x86_64__ */

#endif /* HV_TEST_X86_HOST_ALU_H */
