/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the AArch64 syndrome decoders (lib/arch/aarch64/esr.c). Input: ESR_EL2,
 * HPFAR_EL2, FAR_EL2 and the data a load returns (u64 each, what the hardware and a guest's
 * access put there). Every decode must agree with the Arm ARM's field layout (ESR_EL2, ISS
 * encodings for EC 0x24 and 0x18): register numbers 0-31, access sizes 1/2/4/8, an IPA of 52
 * bits at most, loads extended as SSE and SF say, and nothing written on a refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "arch/aarch64/esr.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static uint64_t bits(uint64_t v, unsigned hi, unsigned lo)
{
	return (v >> lo) & ((2ull << (hi - lo)) - 1);
}

static void check_fsc(uint32_t fsc)
{
	enum hv__a64_fsc_kind k = hv__a64_fsc_kind(fsc);

	switch (fsc & 0x3c) {
	case 0x00: /* address size fault: the IPA is beyond stage 2 */
	case 0x04:
		CHECK(k == HV__A64_FSC_TRANSLATION);
		break;
	case 0x08:
		CHECK(k == HV__A64_FSC_ACCESS_FLAG);
		break;
	case 0x0c:
		CHECK(k == HV__A64_FSC_PERMISSION);
		break;
	default:
		CHECK(k == HV__A64_FSC_OTHER);
		break;
	}
}

static void check_load(const struct hv__a64_dabt *d, uint64_t data)
{
	uint64_t v = hv__a64_load_value(d, data);
	uint64_t m = d->width >= 8 ? ~0ull : (1ull << (d->width * 8)) - 1;
	uint64_t want = data & m;

	if (d->sign_extend && d->width < 8 && ((want >> (d->width * 8 - 1)) & 1))
		want |= ~m;
	if (!d->sf)
		want &= 0xffffffffull;
	CHECK(v == want);
}

static void check_dabt(uint64_t esr, uint64_t data)
{
	struct hv__a64_dabt d;
	uint32_t iss = (uint32_t)bits(esr, 24, 0);
	bool ok;

	memset(&d, 0xa5, sizeof(d));
	ok = hv__a64_decode_dabt(esr, &d);
	if (bits(esr, 31, 26) != HV__A64_EC_DABT_LOW) {
		struct hv__a64_dabt untouched;

		memset(&untouched, 0xa5, sizeof(untouched));
		CHECK(!ok && memcmp(&d, &untouched, sizeof(d)) == 0);
		return;
	}
	CHECK(ok);
	CHECK(d.valid == bits(iss, 24, 24));
	CHECK(d.s1ptw == bits(iss, 7, 7));
	CHECK(d.is_write == (bits(iss, 6, 6) && !d.s1ptw));
	CHECK(d.fsc == bits(iss, 5, 0));
	CHECK(d.kind == hv__a64_fsc_kind(d.fsc));
	if (!d.valid) {
		CHECK(d.width == 0 && d.reg == 0 && !d.sign_extend && !d.sf && !d.acq_rel);
		return;
	}
	CHECK(d.width == 1 || d.width == 2 || d.width == 4 || d.width == 8);
	CHECK(d.width == 1u << bits(iss, 23, 22));
	CHECK(d.sign_extend == bits(iss, 21, 21));
	CHECK(d.reg <= 31 && d.reg == bits(iss, 20, 16));
	CHECK(d.sf == bits(iss, 15, 15));
	CHECK(d.acq_rel == bits(iss, 14, 14));
	check_load(&d, data);
}

static void check_sysreg(uint64_t esr)
{
	struct hv__a64_sysreg s, untouched;
	uint32_t iss = (uint32_t)bits(esr, 24, 0), key;
	bool ok;

	memset(&s, 0xa5, sizeof(s));
	memset(&untouched, 0xa5, sizeof(untouched));
	ok = hv__a64_decode_sysreg(esr, &s);
	if (bits(esr, 31, 26) != HV__A64_EC_SYSREG) {
		CHECK(!ok && memcmp(&s, &untouched, sizeof(s)) == 0);
		return;
	}
	CHECK(ok);
	CHECK(s.op0 <= 3 && s.op0 == bits(iss, 21, 20));
	CHECK(s.op2 <= 7 && s.op2 == bits(iss, 19, 17));
	CHECK(s.op1 <= 7 && s.op1 == bits(iss, 16, 14));
	CHECK(s.crn <= 15 && s.crn == bits(iss, 13, 10));
	CHECK(s.reg <= 31 && s.reg == bits(iss, 9, 5));
	CHECK(s.crm <= 15 && s.crm == bits(iss, 4, 1));
	CHECK(s.is_read == bits(iss, 0, 0));
	/* The key is HV_ARM64_SYSREG()'s packing: 16 bits, every field recoverable. */
	key = hv__a64_sysreg_key(&s);
	CHECK(key < (1u << 16));
	CHECK((HV_ARM64_SYSREG(s.op0, s.op1, s.crn, s.crm, s.op2) & 0xffff) == key);
	CHECK(bits(key, 15, 14) == s.op0 && bits(key, 13, 11) == s.op1 &&
	      bits(key, 10, 7) == s.crn && bits(key, 6, 3) == s.crm && bits(key, 2, 0) == s.op2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint64_t esr = fuzz_u64(&in), hpfar = fuzz_u64(&in), far = fuzz_u64(&in);
	uint64_t value = fuzz_u64(&in), ipa;

	CHECK(hv__a64_esr_ec(esr) == bits(esr, 31, 26) && hv__a64_esr_ec(esr) < 64);
	CHECK(hv__a64_esr_iss(esr) == bits(esr, 24, 0));
	check_fsc((uint32_t)esr);
	check_fsc((uint32_t)hpfar);
	check_dabt(esr, value);
	check_sysreg(esr);
	/* Both classes at once, whatever the EC: the decoders only read the ISS layout. */
	check_dabt((esr & ~(0x3full << 26)) | ((uint64_t)HV__A64_EC_DABT_LOW << 26), value);
	check_sysreg((esr & ~(0x3full << 26)) | ((uint64_t)HV__A64_EC_SYSREG << 26));

	/* HPFAR_EL2.FIPA [43:4] is IPA[51:12]; FAR_EL2 gives the offset in the page. */
	ipa = hv__a64_fault_ipa(hpfar, far);
	CHECK(ipa < (1ull << 52));
	CHECK((ipa & 0xfff) == (far & 0xfff));
	CHECK((ipa >> 12) == bits(hpfar, 43, 4));
	return 0;
}
