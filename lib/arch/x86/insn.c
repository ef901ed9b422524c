/* SPDX-License-Identifier: MIT */
/* Decoding and execution of the instructions that access MMIO (see insn.h). */
#include "arch/x86/insn.h"

struct hv__x86_cursor {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static bool hv__x86_next(struct hv__x86_cursor *c, uint8_t *b)
{
	if (c->pos >= c->len || c->pos >= HV__X86_INSN_MAX)
		return false;
	*b = c->p[c->pos++];
	return true;
}

static bool hv__x86_skip(struct hv__x86_cursor *c, size_t n)
{
	if (c->pos + n > c->len || c->pos + n > HV__X86_INSN_MAX)
		return false;
	c->pos += n;
	return true;
}

static bool hv__x86_imm(struct hv__x86_cursor *c, size_t n, uint64_t *v)
{
	size_t i;

	if (!hv__x86_skip(c, n))
		return false;
	*v = 0;
	for (i = 0; i < n; i++)
		*v |= (uint64_t)c->p[c->pos - n + i] << (8 * i);
	return true;
}

/*
 * Skip the ModRM addressing bytes (SIB, displacement) after the ModRM byte. Register forms
 * (mod 3) do not touch memory and cannot have trapped: they are refused.
 */
static hv_status_t hv__x86_modrm(struct hv__x86_cursor *c, uint8_t modrm, unsigned addr_size)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;
	size_t disp = 0;

	if (mod == 3)
		return HV_ERR_UNSUPPORTED;
	if (addr_size == 2) {
		if (mod == 0 && rm == 6)
			disp = 2;
		else if (mod == 1)
			disp = 1;
		else if (mod == 2)
			disp = 2;
	} else {
		if (rm == 4) {
			uint8_t sib;

			if (!hv__x86_next(c, &sib))
				return HV_ERR_BAD_IMAGE;
			if (mod == 0 && (sib & 7) == 5)
				disp = 4;
		}
		if (mod == 0 && rm == 5)
			disp = 4; /* disp32, RIP-relative in 64-bit mode */
		else if (mod == 1)
			disp = 1;
		else if (mod == 2)
			disp = 4;
	}
	return hv__x86_skip(c, disp) ? HV_OK : HV_ERR_BAD_IMAGE;
}

hv_status_t hv__x86_decode_mmio(const uint8_t *bytes, size_t len, enum hv__x86_cpu_mode mode,
				struct hv__x86_mmio_insn *out)
{
	struct hv__x86_cursor c = { bytes, len, 0 };
	struct hv__x86_mmio_insn d;
	bool opsize = false, addrsize = false;
	uint8_t rex = 0, op, modrm = 0;
	unsigned op_size, addr_size;
	hv_status_t st;

	if (bytes == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	if (mode != HV__X86_MODE_16 && mode != HV__X86_MODE_32 && mode != HV__X86_MODE_64)
		return HV_ERR_INVALID_ARG;
	hv__memset(&d, 0, sizeof(d));

	/* Legacy prefixes in any order; a REX prefix only directly before the opcode. */
	for (;;) {
		if (!hv__x86_next(&c, &op))
			return HV_ERR_BAD_IMAGE;
		if (op == 0x66)
			opsize = true;
		else if (op == 0x67)
			addrsize = true;
		else if (op == 0x26 || op == 0x2e || op == 0x36 || op == 0x3e || op == 0x64 ||
			 op == 0x65 || op == 0xf0 || op == 0xf2 || op == 0xf3)
			continue;
		else if (mode == HV__X86_MODE_64 && (op & 0xf0) == 0x40) {
			rex = op;
			if (!hv__x86_next(&c, &op))
				return HV_ERR_BAD_IMAGE;
			if ((op & 0xf0) == 0x40 || op == 0x66 || op == 0x67)
				return HV_ERR_UNSUPPORTED; /* REX not last: the CPU ignores it */
			break;
		} else
			break;
	}

	if (mode == HV__X86_MODE_64) {
		op_size = (rex & 8) ? 8 : opsize ? 2 : 4;
		addr_size = addrsize ? 4 : 8;
	} else if (mode == HV__X86_MODE_32) {
		op_size = opsize ? 2 : 4;
		addr_size = addrsize ? 2 : 4;
	} else {
		op_size = opsize ? 4 : 2;
		addr_size = addrsize ? 4 : 2;
	}

	if (op < 0x40 && (op & 7) < 4) {
		/* ADD, OR, ADC, SBB, AND, SUB, XOR, CMP: r/m8,r8; r/m,r; r8,r/m8; r,r/m */
		if (!hv__x86_next(&c, &modrm))
			return HV_ERR_BAD_IMAGE;
		st = hv__x86_modrm(&c, modrm, addr_size);
		if (st != HV_OK)
			return st;
		d.op = (uint8_t)(HV__X86_OP_ADD + (op >> 3));
		d.width = (op & 1) ? (uint8_t)op_size : 1;
		d.mem_dest = (op & 2) == 0;
		d.reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
		goto op_done;
	}
	switch (op) {
	case 0x80: /* ADD...CMP r/m8, imm8 */
	case 0x81: /* ADD...CMP r/m, imm16/imm32 (sign-extended with REX.W) */
	case 0x83: /* ADD...CMP r/m, imm8 (sign-extended) */
	case 0xf6: /* TEST r/m8, imm8; NOT, NEG r/m8 (MUL, DIV refused) */
	case 0xf7: /* TEST r/m, imm16/imm32; NOT, NEG r/m */
		if (!hv__x86_next(&c, &modrm))
			return HV_ERR_BAD_IMAGE;
		if (op >= 0xf6 && ((modrm >> 3) & 7) > 1) {
			unsigned sub = (modrm >> 3) & 7;

			if (sub > 3)
				return HV_ERR_UNSUPPORTED; /* MUL, IMUL, DIV, IDIV */
			st = hv__x86_modrm(&c, modrm, addr_size);
			if (st != HV_OK)
				return st;
			d.op = sub == 2 ? HV__X86_OP_NOT : HV__X86_OP_NEG;
			d.width = (op & 1) ? (uint8_t)op_size : 1;
			d.mem_dest = 1;
			d.reg = HV__X86_NO_REG;
			goto op_done;
		}
		st = hv__x86_modrm(&c, modrm, addr_size);
		if (st != HV_OK)
			return st;
		d.op = op >= 0xf6 ? HV__X86_OP_TEST :
				    (uint8_t)(HV__X86_OP_ADD + ((modrm >> 3) & 7));
		d.width = (op & 1) ? (uint8_t)op_size : 1;
		d.mem_dest = 1;
		d.reg = HV__X86_NO_REG;
		{
			unsigned n = op == 0x83 || d.width == 1 ? 1 : d.width == 8 ? 4 : d.width;

			if (!hv__x86_imm(&c, n, &d.imm))
				return HV_ERR_BAD_IMAGE;
			if ((d.imm >> (8 * n - 1)) & 1)
				d.imm |= ~0ull << (8 * n); /* sign-extended */
			d.imm &= d.width >= 8 ? ~0ull : (1ull << (8 * d.width)) - 1;
		}
		goto op_done;
	case 0xfe: /* INC, DEC r/m8 */
	case 0xff: /* INC, DEC r/m (the rest of group 5 is CALL, JMP, PUSH: refused) */
		if (!hv__x86_next(&c, &modrm))
			return HV_ERR_BAD_IMAGE;
		if (((modrm >> 3) & 7) > 1)
			return HV_ERR_UNSUPPORTED;
		st = hv__x86_modrm(&c, modrm, addr_size);
		if (st != HV_OK)
			return st;
		d.op = ((modrm >> 3) & 7) == 0 ? HV__X86_OP_INC : HV__X86_OP_DEC;
		d.width = (op & 1) ? (uint8_t)op_size : 1;
		d.mem_dest = 1;
		d.reg = HV__X86_NO_REG;
		goto op_done;
	case 0x84: /* TEST r/m8, r8 */
	case 0x85: /* TEST r/m, r */
	case 0x86: /* XCHG r/m8, r8 */
	case 0x87: /* XCHG r/m, r */
		if (!hv__x86_next(&c, &modrm))
			return HV_ERR_BAD_IMAGE;
		st = hv__x86_modrm(&c, modrm, addr_size);
		if (st != HV_OK)
			return st;
		d.op = op <= 0x85 ? HV__X86_OP_TEST : HV__X86_OP_XCHG;
		d.width = (op & 1) ? (uint8_t)op_size : 1;
		d.mem_dest = 1;
		d.reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
		goto op_done;
	case 0x88: /* MOV r/m8, r8 */
	case 0x89: /* MOV r/m, r */
	case 0x8a: /* MOV r8, r/m8 */
	case 0x8b: /* MOV r, r/m */
		if (!hv__x86_next(&c, &modrm))
			return HV_ERR_BAD_IMAGE;
		st = hv__x86_modrm(&c, modrm, addr_size);
		if (st != HV_OK)
			return st;
		d.width = (op & 1) ? (uint8_t)op_size : 1;
		d.is_write = op <= 0x89;
		d.reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
		break;
	case 0xc6: /* MOV r/m8, imm8 */
	case 0xc7: /* MOV r/m, imm16/imm32 (sign-extended with REX.W) */
		if (!hv__x86_next(&c, &modrm))
			return HV_ERR_BAD_IMAGE;
		if (((modrm >> 3) & 7) != 0)
			return HV_ERR_UNSUPPORTED;
		st = hv__x86_modrm(&c, modrm, addr_size);
		if (st != HV_OK)
			return st;
		d.width = op == 0xc6 ? 1 : (uint8_t)op_size;
		d.is_write = 1;
		d.reg = HV__X86_NO_REG;
		if (!hv__x86_imm(&c, d.width == 8 ? 4 : d.width, &d.imm))
			return HV_ERR_BAD_IMAGE;
		if (d.width == 8 && (d.imm & 0x80000000u))
			d.imm |= 0xffffffff00000000ull;
		break;
	case 0xa0: /* MOV AL, moffs8 */
	case 0xa1: /* MOV eAX, moffs */
	case 0xa2: /* MOV moffs8, AL */
	case 0xa3: /* MOV moffs, eAX */
		if (!hv__x86_skip(&c, addr_size))
			return HV_ERR_BAD_IMAGE;
		d.width = (op & 1) ? (uint8_t)op_size : 1;
		d.is_write = op >= 0xa2;
		d.reg = 0;
		break;
	case 0x0f: /* MOVZX, MOVSX r, r/m8 or r/m16 */
		if (!hv__x86_next(&c, &op))
			return HV_ERR_BAD_IMAGE;
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return HV_ERR_UNSUPPORTED;
		if (!hv__x86_next(&c, &modrm))
			return HV_ERR_BAD_IMAGE;
		st = hv__x86_modrm(&c, modrm, addr_size);
		if (st != HV_OK)
			return st;
		d.width = (op & 1) ? 2 : 1;
		d.is_write = 0;
		d.reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
		d.reg_width = (uint8_t)op_size;
		d.sign_extend = op >= 0xbe;
		break;
	default:
		return HV_ERR_UNSUPPORTED;
	}
	d.is_read = !d.is_write;
	goto done;
op_done:
	d.is_read = 1;
	d.is_write = d.op != HV__X86_OP_CMP && d.op != HV__X86_OP_TEST && d.mem_dest;
done:
	if (d.reg_width == 0)
		d.reg_width = d.width;
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (d.reg != HV__X86_NO_REG && d.width == 1 && d.reg_width == 1 && rex == 0 && d.reg >= 4) {
		d.reg -= 4;
		d.high_byte = 1;
	}
	d.length = (uint8_t)c.pos;
	*out = d;
	return HV_OK;
}

static uint64_t hv__x86_mask(unsigned width)
{
	return width >= 8 ? ~0ull : (1ull << (width * 8)) - 1;
}

uint64_t hv__x86_mmio_store_value(const struct hv__x86_mmio_insn *insn, uint64_t reg_value)
{
	uint64_t v = insn->reg == HV__X86_NO_REG ? insn->imm :
		     insn->high_byte             ? reg_value >> 8 :
						   reg_value;

	return v & hv__x86_mask(insn->width);
}

uint64_t hv__x86_mmio_load_result(const struct hv__x86_mmio_insn *insn, uint64_t old_value,
				  uint64_t data)
{
	uint64_t v = data & hv__x86_mask(insn->width);
	uint64_t m;

	if (insn->sign_extend && (v >> (insn->width * 8 - 1)) & 1)
		v |= ~hv__x86_mask(insn->width);
	if (insn->high_byte)
		return (old_value & ~0xff00ull) | (v & 0xff) << 8;
	if (insn->reg_width == 4)
		return v & 0xffffffffull; /* 32-bit destinations zero bits 63:32 */
	m = hv__x86_mask(insn->reg_width);
	return (old_value & ~m) | (v & m);
}

/* The register operand's value as the instruction sees it (AH...BH for high bytes). */
static uint64_t hv__x86_reg_operand(const struct hv__x86_mmio_insn *insn, uint64_t reg_value)
{
	return (insn->high_byte ? reg_value >> 8 : reg_value) & hv__x86_mask(insn->width);
}

uint64_t hv__x86_alu(enum hv__x86_mmio_op op, unsigned width, uint64_t a, uint64_t b,
		     uint64_t *rflags)
{
	const uint64_t m = hv__x86_mask(width), top = 1ull << (width * 8 - 1);
	uint64_t cf = *rflags & 1, r, f = 0;
	unsigned bits;

	a &= m;
	b &= m;
	switch (op) {
	case HV__X86_OP_INC:
	case HV__X86_OP_DEC:
		/* ADD or SUB of 1 that keeps CF */
		r = hv__x86_alu(op == HV__X86_OP_INC ? HV__X86_OP_ADD : HV__X86_OP_SUB, width, a, 1,
				rflags);
		*rflags = (*rflags & ~1ull) | cf;
		return r;
	case HV__X86_OP_NEG:
		return hv__x86_alu(HV__X86_OP_SUB, width, 0, a, rflags);
	case HV__X86_OP_NOT:
		return ~a & m;
	case HV__X86_OP_ADD:
	case HV__X86_OP_ADC:
		r = (a + b + (op == HV__X86_OP_ADC ? cf : 0)) & m;
		/* carry out of the top bit; overflow when both inputs' sign differs from r's */
		if (((a & b) | ((a | b) & ~r)) & top)
			f |= 1;
		if ((a ^ r) & (b ^ r) & top)
			f |= 0x800;
		f |= (a ^ b ^ r) & 0x10;
		break;
	case HV__X86_OP_SUB:
	case HV__X86_OP_SBB:
	case HV__X86_OP_CMP:
		r = (a - b - (op == HV__X86_OP_SBB ? cf : 0)) & m;
		if (((~a & b) | ((~a | b) & r)) & top)
			f |= 1; /* borrow */
		if ((a ^ b) & (a ^ r) & top)
			f |= 0x800;
		f |= (a ^ b ^ r) & 0x10;
		break;
	case HV__X86_OP_OR:
		r = a | b;
		break;
	case HV__X86_OP_AND:
	case HV__X86_OP_TEST:
		r = a & b;
		break;
	case HV__X86_OP_XOR:
		r = a ^ b;
		break;
	default:
		return b; /* MOV, XCHG: no flags */
	}
	if (r == 0)
		f |= 0x40;
	if (r & top)
		f |= 0x80;
	bits = (unsigned)(r & 0xff);
	bits ^= bits >> 4;
	bits ^= bits >> 2;
	bits ^= bits >> 1;
	if (!(bits & 1))
		f |= 0x4; /* an even number of ones in the low byte */
	*rflags = (*rflags & ~(uint64_t)HV__X86_FLAGS_ARITH) | f;
	return r;
}

bool hv__x86_mmio_execute(const struct hv__x86_mmio_insn *insn, uint64_t mem, uint64_t *reg,
			  uint64_t *rflags, uint64_t *store)
{
	uint64_t src, r;

	mem &= hv__x86_mask(insn->width);
	switch (insn->op) {
	case HV__X86_OP_MOV:
		if (insn->is_write)
			return false; /* a store reads nothing: not for this function */
		*reg = hv__x86_mmio_load_result(insn, *reg, mem);
		return false;
	case HV__X86_OP_XCHG:
		*store = hv__x86_reg_operand(insn, *reg);
		*reg = hv__x86_mmio_load_result(insn, *reg, mem);
		return true;
	default:
		break;
	}
	src = insn->reg == HV__X86_NO_REG ? insn->imm : hv__x86_reg_operand(insn, *reg);
	if (insn->mem_dest) {
		r = hv__x86_alu((enum hv__x86_mmio_op)insn->op, insn->width, mem, src, rflags);
		if (insn->is_write)
			*store = r;
		return insn->is_write;
	}
	r = hv__x86_alu((enum hv__x86_mmio_op)insn->op, insn->width, src, mem, rflags);
	if (insn->op != HV__X86_OP_CMP && insn->op != HV__X86_OP_TEST)
		*reg = hv__x86_mmio_load_result(insn, *reg, r);
	return false;
}
