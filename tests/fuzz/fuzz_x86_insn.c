/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the x86 MMIO instruction decoder and executor (lib/arch/x86/insn.c), on
 * the bytes a guest leaves at its RIP. Input: a mode byte (code size, how many of the bytes
 * the backend could fetch), the register operand's value, the value memory reads and RFLAGS
 * (u64 each), then the instruction bytes. Every decode must be self-consistent (length within
 * the bytes and 15, widths 1/2/4/8, the same result from exactly `length` bytes, a shorter
 * fetch says the bytes end mid-instruction); every instruction is then carried out and, on an
 * x86-64 host, the arithmetic is checked against the CPU's own result and flags.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "arch/x86/insn.h"
#include "../support/x86_host_alu.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static uint64_t mask(unsigned width)
{
	return width >= 8 ? ~0ull : (1ull << (width * 8)) - 1;
}

static bool width_ok(unsigned w)
{
	return w == 1 || w == 2 || w == 4 || w == 8;
}

#if defined(__x86_64__)
/* hv__x86_alu() against the CPU: same result (where there is one) and the same flags. */
static void check_alu(enum hv__x86_mmio_op op, unsigned width, uint64_t a, uint64_t b,
		      uint64_t rflags)
{
	uint64_t fl = rflags, cf = rflags;
	uint64_t r = hv__x86_alu(op, width, a, b, &fl);
	uint64_t cr = hv_test_host_alu(op, width, a & mask(width), b & mask(width), &cf);
	uint64_t defined = HV__X86_FLAGS_ARITH;

	/* AF after a logic op is undefined on the CPU. */
	if (op == HV__X86_OP_OR || op == HV__X86_OP_AND || op == HV__X86_OP_XOR ||
	    op == HV__X86_OP_TEST)
		defined &= ~0x10ull;
	if (op != HV__X86_OP_CMP && op != HV__X86_OP_TEST)
		CHECK(r == cr);
	CHECK(((fl ^ cf) & defined) == 0);
}
#else
static void check_alu(enum hv__x86_mmio_op op, unsigned width, uint64_t a, uint64_t b,
		      uint64_t rflags)
{
	(void)op;
	(void)width;
	(void)a;
	(void)b;
	(void)rflags;
}
#endif

static void check_decode(const struct hv__x86_mmio_insn *d, size_t len)
{
	CHECK(d->length >= 1 && d->length <= len && d->length <= HV__X86_INSN_MAX);
	CHECK(width_ok(d->width) && width_ok(d->reg_width) && d->reg_width >= d->width);
	CHECK(d->op <= HV__X86_OP_NEG);
	CHECK(d->reg < 16 || d->reg == HV__X86_NO_REG);
	CHECK(d->is_read || d->is_write);
	CHECK(!d->high_byte || (d->reg < 4 && d->width == 1 && d->reg_width == 1));
	CHECK(!d->sign_extend || (d->op == HV__X86_OP_MOV && d->is_read));
	CHECK(d->op == HV__X86_OP_MOV || d->is_read);
	CHECK(d->op != HV__X86_OP_MOV || d->is_read != d->is_write);
	CHECK(d->reg_width == d->width || (d->op == HV__X86_OP_MOV && d->is_read));
	/* An immediate operand fits the access. */
	CHECK(d->reg != HV__X86_NO_REG || (d->imm & ~mask(d->width)) == 0 ||
	      (d->op == HV__X86_OP_MOV && d->width == 8));
	CHECK(d->reg == HV__X86_NO_REG || d->imm == 0);
	/* One-operand ops have no register; CMP and TEST write nothing. */
	if (d->op >= HV__X86_OP_INC)
		CHECK(d->reg == HV__X86_NO_REG && d->mem_dest && d->is_write);
	if (d->op == HV__X86_OP_CMP || d->op == HV__X86_OP_TEST)
		CHECK(!d->is_write);
	if (d->op != HV__X86_OP_MOV && d->op != HV__X86_OP_CMP && d->op != HV__X86_OP_TEST)
		CHECK(d->is_write == d->mem_dest);
}

static bool same(const struct hv__x86_mmio_insn *a, const struct hv__x86_mmio_insn *b)
{
	return a->length == b->length && a->width == b->width && a->op == b->op &&
	       a->is_read == b->is_read && a->is_write == b->is_write &&
	       a->mem_dest == b->mem_dest && a->reg == b->reg && a->high_byte == b->high_byte &&
	       a->reg_width == b->reg_width && a->sign_extend == b->sign_extend && a->imm == b->imm;
}

static void check_store_and_load(const struct hv__x86_mmio_insn *d, uint64_t reg, uint64_t mem)
{
	uint64_t v = hv__x86_mmio_store_value(d, reg), l;

	CHECK((v & ~mask(d->width)) == 0);
	if (d->reg == HV__X86_NO_REG)
		CHECK(v == (d->imm & mask(d->width)));
	else
		CHECK(v == ((d->high_byte ? reg >> 8 : reg) & mask(d->width)));
	if (d->reg == HV__X86_NO_REG)
		return;
	l = hv__x86_mmio_load_result(d, reg, mem);
	if (d->high_byte) {
		CHECK((l & ~0xff00ull) == (reg & ~0xff00ull) && ((l >> 8) & 0xff) == (mem & 0xff));
		return;
	}
	/* The low `width` bytes are the data; the rest up to reg_width its extension. */
	CHECK((l & mask(d->width)) == (mem & mask(d->width)));
	if (d->reg_width == 4)
		CHECK((l >> 32) == 0);
	else if (d->reg_width < 8)
		CHECK((l & ~mask(d->reg_width)) == (reg & ~mask(d->reg_width)));
	if (d->reg_width > d->width) {
		uint64_t ext = (l & mask(d->reg_width)) >> (d->width * 8);
		bool neg = d->sign_extend && ((mem >> (d->width * 8 - 1)) & 1);

		CHECK(ext == (neg ? mask(d->reg_width) >> (d->width * 8) : 0));
	}
}

static void check_execute(const struct hv__x86_mmio_insn *d, uint64_t reg, uint64_t mem,
			  uint64_t rflags)
{
	uint64_t r = reg, fl = rflags, store = 0x5a5a5a5a5a5a5a5aull, src, want_fl = rflags;
	uint64_t m = mem & mask(d->width);
	bool w;

	if (!d->is_read)
		return; /* stores of registers and immediates: store_value() alone */
	w = hv__x86_mmio_execute(d, mem, &r, &fl, &store);
	CHECK(w == (d->is_write != 0));
	CHECK(((fl ^ rflags) & ~(uint64_t)HV__X86_FLAGS_ARITH) == 0);
	if (w)
		CHECK((store & ~mask(d->width)) == 0);
	else
		CHECK(store == 0x5a5a5a5a5a5a5a5aull);
	if (d->reg == HV__X86_NO_REG)
		CHECK(r == reg);
	switch (d->op) {
	case HV__X86_OP_MOV:
		CHECK(r == hv__x86_mmio_load_result(d, reg, mem) && fl == rflags);
		return;
	case HV__X86_OP_XCHG:
		CHECK(store == hv__x86_mmio_store_value(d, reg) && fl == rflags);
		CHECK(r == hv__x86_mmio_load_result(d, reg, mem));
		return;
	default:
		break;
	}
	/* The ops: the same as hv__x86_alu() on the operands in their order. */
	src = d->reg == HV__X86_NO_REG ? d->imm : hv__x86_mmio_store_value(d, reg);
	if (d->mem_dest) {
		uint64_t res = hv__x86_alu((enum hv__x86_mmio_op)d->op, d->width, m, src, &want_fl);

		CHECK(fl == want_fl && (!w || store == res) && r == reg);
		check_alu((enum hv__x86_mmio_op)d->op, d->width, m, src, rflags);
	} else {
		uint64_t res = hv__x86_alu((enum hv__x86_mmio_op)d->op, d->width, src, m, &want_fl);

		CHECK(fl == want_fl);
		CHECK(r == (d->op == HV__X86_OP_CMP || d->op == HV__X86_OP_TEST ?
				    reg :
				    hv__x86_mmio_load_result(d, reg, res)));
		check_alu((enum hv__x86_mmio_op)d->op, d->width, src, m, rflags);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum hv__x86_cpu_mode modes[] = { HV__X86_MODE_16, HV__X86_MODE_32,
						       HV__X86_MODE_64, HV__X86_MODE_64 };
	struct fuzz_input in = { data, size };
	uint8_t sel = fuzz_u8(&in);
	uint64_t reg = fuzz_u64(&in), mem = fuzz_u64(&in), rflags = fuzz_u64(&in);
	enum hv__x86_cpu_mode mode = modes[sel & 3];
	struct hv__x86_mmio_insn d, again;
	size_t len = in.left;
	uint8_t *bytes;
	hv_status_t st;

	/* Sometimes the backend fetched fewer bytes than there are (the page ended). */
	if ((sel & 0xf0) != 0 && (size_t)(sel >> 4) < len)
		len = sel >> 4;
	/* An exact-size copy: ASan sees any read past what the backend fetched. */
	bytes = malloc(len ? len : 1);
	if (bytes == NULL)
		abort();
	memcpy(bytes, in.p, len);

	/* The arithmetic on its own, whatever the decode gives. */
	check_alu((enum hv__x86_mmio_op)(HV__X86_OP_ADD + (sel >> 2) % 14),
		  1u << ((rflags >> 32) & 3), reg, mem, rflags);

	memset(&d, 0xcc, sizeof(d));
	st = hv__x86_decode_mmio(bytes, len, mode, &d);
	CHECK(st == HV_OK || st == HV_ERR_UNSUPPORTED || st == HV_ERR_BAD_IMAGE);
	if (len == 0)
		CHECK(st == HV_ERR_BAD_IMAGE);
	if (st == HV_OK) {
		check_decode(&d, len);
		/* Exactly the instruction's bytes decode the same; one fewer is mid-instruction. */
		CHECK(hv__x86_decode_mmio(bytes, d.length, mode, &again) == HV_OK);
		CHECK(same(&d, &again));
		CHECK(hv__x86_decode_mmio(bytes, d.length - 1u, mode, &again) == HV_ERR_BAD_IMAGE);
		check_store_and_load(&d, reg, mem);
		check_execute(&d, reg, mem, rflags);
	}
	free(bytes);
	return 0;
}
