/* SPDX-License-Identifier: MIT */
/*
 * x86 instruction decoding for trapped memory accesses: the MOV-class instructions guests use
 * on MMIO (MOV to and from registers, MOV of immediates, MOV with moffs, MOVZX, MOVSX), and
 * the arithmetic and logic ones with a memory operand (ADD, OR, ADC, SBB, AND, SUB, XOR, CMP
 * in their register and immediate forms, TEST, XCHG, INC, DEC, NOT, NEG), which read it,
 * compute and may write it back: hv__x86_mmio_execute() does the computing and the flags.
 * Hardware reports the guest-physical address of an access that traps but not its width,
 * direction or register; backends that must emulate the access (bare-metal VMX on EPT
 * violations, KVM where it does not decode) fetch the bytes at the guest's RIP and decode
 * them here. Freestanding, no state: the caller owns the bytes and the register file.
 */
#ifndef HV_ARCH_X86_INSN_H
#define HV_ARCH_X86_INSN_H

#include "hv_internal.h"

/* The longest x86 instruction. */
#define HV__X86_INSN_MAX 15

/* The register operand is an immediate, not a register. */
#define HV__X86_NO_REG 0xff

/* The code size the instruction executes in: CS.D / CS.L, or real mode. */
enum hv__x86_cpu_mode {
	HV__X86_MODE_16 = 16, /* real mode, virtual-8086, 16-bit protected code */
	HV__X86_MODE_32 = 32, /* 32-bit protected or compatibility code */
	HV__X86_MODE_64 = 64, /* 64-bit code (CS.L in IA-32e mode) */
};

/* What an instruction does with its memory operand. */
enum hv__x86_mmio_op {
	HV__X86_OP_MOV = 0, /* a load or a store */
	/* Arithmetic and logic, in the order of their encoding (the ModRM reg field of 0x80) */
	HV__X86_OP_ADD,
	HV__X86_OP_OR,
	HV__X86_OP_ADC,
	HV__X86_OP_SBB,
	HV__X86_OP_AND,
	HV__X86_OP_SUB,
	HV__X86_OP_XOR,
	HV__X86_OP_CMP,  /* flags only */
	HV__X86_OP_TEST, /* flags only */
	HV__X86_OP_XCHG,
	/* One operand, memory */
	HV__X86_OP_INC, /* CF kept */
	HV__X86_OP_DEC, /* CF kept */
	HV__X86_OP_NOT, /* no flags */
	HV__X86_OP_NEG,
};

/* RFLAGS bits the arithmetic sets. */
#define HV__X86_FLAGS_ARITH 0x8d5u /* OF, SF, ZF, AF, PF, CF */

/* One decoded memory access. */
struct hv__x86_mmio_insn {
	uint8_t length;      /* instruction length in bytes */
	uint8_t width;       /* bytes accessed in memory: 1, 2, 4 or 8 */
	uint8_t op;          /* enum hv__x86_mmio_op */
	uint8_t is_read;     /* memory is read: a load, or any op but MOV */
	uint8_t is_write;    /* memory is written: a store, or an op whose result goes there */
	uint8_t mem_dest;    /* ops: the memory operand is the destination (else reg is) */
	uint8_t reg;         /* GPR number 0-15 (RAX=0 ... R15=15), or HV__X86_NO_REG */
	uint8_t high_byte;   /* reg 4-7 names AH, CH, DH, BH (8-bit access without REX) */
	uint8_t reg_width;   /* loads: bytes of reg written (MOVZX/MOVSX widen); stores: width */
	uint8_t sign_extend; /* loads: MOVSX */
	uint64_t imm;        /* stores of an immediate: the value (already sign-extended) */
};

/*
 * Decode the instruction in bytes[0..len) executed in @p mode. HV_OK; HV_ERR_UNSUPPORTED for
 * an instruction that is not a memory MOV this decoder knows (or a register-only form);
 * HV_ERR_INVALID_ARG for NULL arguments; HV_ERR_BAD_IMAGE if the bytes end mid-instruction.
 */
hv_status_t hv__x86_decode_mmio(const uint8_t *bytes, size_t len, enum hv__x86_cpu_mode mode,
				struct hv__x86_mmio_insn *out);

/*
 * The value a store puts in memory, given the source register's full 64-bit value (ignored
 * for immediates), masked to the access width.
 */
uint64_t hv__x86_mmio_store_value(const struct hv__x86_mmio_insn *insn, uint64_t reg_value);

/*
 * The register's new 64-bit value after a load of @p data (the low `width` bytes count),
 * given its old value: 8- and 16-bit writes keep the other bits, 32-bit writes clear bits
 * 63:32 as the CPU does, MOVZX/MOVSX extend to reg_width.
 */
uint64_t hv__x86_mmio_load_result(const struct hv__x86_mmio_insn *insn, uint64_t old_value,
				  uint64_t data);

/*
 * The result of an arithmetic or logic op on a (the destination) and b (the source, ignored
 * by the one-operand ops), both `width` bytes, with CF, PF, AF, ZF, SF and OF in *rflags
 * updated as the CPU does (AF is cleared by the logic ops, for which the CPU leaves it
 * undefined; ADC and SBB read CF; INC and DEC keep it; NOT changes no flag).
 * MOV and XCHG return b and leave *rflags alone.
 */
uint64_t hv__x86_alu(enum hv__x86_mmio_op op, unsigned width, uint64_t a, uint64_t b,
		     uint64_t *rflags);

/*
 * Carry out an instruction that reads memory, once @p mem (the low `width` bytes count) was
 * read: *reg is the register operand's 64-bit value, updated if the instruction writes it
 * (loads, XCHG, ops into a register); *rflags as hv__x86_alu(). Returns true, with the value
 * in *store, if memory must then be written.
 */
bool hv__x86_mmio_execute(const struct hv__x86_mmio_insn *insn, uint64_t mem, uint64_t *reg,
			  uint64_t *rflags, uint64_t *store);

#endif /* HV_ARCH_X86_INSN_H */
