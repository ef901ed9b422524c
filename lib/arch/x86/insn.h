/* SPDX-License-Identifier: MIT */
/*
 * x86 instruction decoding for trapped memory accesses: the MOV-class instructions guests use
 * on MMIO (MOV to and from registers, MOV of immediates, MOV with moffs, MOVZX, MOVSX).
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

/* One decoded memory access. */
struct hv__x86_mmio_insn {
	uint8_t length;      /* instruction length in bytes */
	uint8_t width;       /* bytes accessed in memory: 1, 2, 4 or 8 */
	uint8_t is_write;    /* 1: store to memory; 0: load from memory into reg */
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

#endif /* HV_ARCH_X86_INSN_H */
