/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the AArch64 EL2 backend's emulated GICv3 distributor and redistributors
 * (backends/aarch64-el2/vgic.c), compiled hosted (HV_EL2_HOSTED: the list registers and ICH_*
 * registers are this file's variables, the physical distributor a buffer). Input: a byte for
 * the vCPU count (1-8), then operations, each an op byte (bits 0-2 what, bits 3-5 which vCPU,
 * bits 6-7 the access width 1/2/4/8) and its operands:
 *   0, 1  distributor write / read: u16 offset, u64 value
 *   2, 3  redistributor write / read: u8 frame (any of the 8), u32 offset in it, u64 value
 *   4     an interrupt line: u8 INTID (any: the core passes what it was given), u8 level
 *   5     VM entry: pending interrupts go to free list registers; then the exit syncs them
 *   6     the guest acknowledges (pending to active) or ends (active to invalid) a list
 *         register: u8 which; then an exit syncs
 *   7     an SGI written to ICC_SGI1R_EL1 (u64), the virtual timer firing, or a save and
 *         load on another core: u8 which
 * After every operation the distributor and every redistributor must stay within what their
 * registers can hold, and the list registers in use must name distinct, valid interrupts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

static uint32_t fuzz_gicd[0x10000 / 4]; /* the physical distributor host routes would use */
#define HV_EL2_HOSTED 1
#define HV_EL2_PHYS_GICD ((uintptr_t)fuzz_gicd)
#include "../../backends/aarch64-el2/vgic.c"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

#define NLRS 4u

static uint64_t lrs[HV_EL2_MAX_LRS];
static unsigned wakes;

/* "S3_4_C12_C12_<n>" and "S3_4_C12_C13_<n>" are ICH_LR<n>_EL2 and ICH_LR<8 + n>_EL2. */
static int lr_index(const char *reg)
{
	if (strncmp(reg, "S3_4_C12_C12_", 13) == 0)
		return reg[13] - '0';
	if (strncmp(reg, "S3_4_C12_C13_", 13) == 0)
		return 8 + reg[13] - '0';
	return -1;
}

uint64_t hv_el2_hosted_mrs(const char *reg)
{
	int i = lr_index(reg);
	uint64_t v = 0;
	unsigned n;

	if (i >= 0)
		return lrs[i];
	if (strcmp(reg, "S3_4_C12_C11_1") == 0) /* ICH_VTR_EL2: ListRegs */
		return NLRS - 1;
	if (strcmp(reg, "S3_4_C12_C11_5") == 0) { /* ICH_ELRSR_EL2: empty list registers */
		for (n = 0; n < NLRS; n++)
			if ((lrs[n] & LR_STATE) == 0)
				v |= 1u << n;
		return v;
	}
	return 0;
}

void hv_el2_hosted_msr(const char *reg, uint64_t val)
{
	int i = lr_index(reg);

	if (i >= 0) {
		CHECK((unsigned)i < NLRS); /* only the list registers the hardware has */
		lrs[i] = val;
	}
}

void hv_el2_wake(struct hv_el2_vcpu *c)
{
	(void)c;
	wakes++;
}

static void check_vcpu(const struct hv_el2_vm *v, const struct hv_el2_vcpu *c)
{
	uint32_t i, j;

	CHECK(c->waker == 0 || c->waker == 2);
	CHECK((c->lr_used >> NLRS) == 0);
	for (i = 0; i < NLRS; i++) {
		if (!((c->lr_used >> i) & 1))
			continue;
		CHECK(c->lr_intid[i] < HV_EL2_NIRQ);
		for (j = i + 1; j < NLRS; j++)
			CHECK(!((c->lr_used >> j) & 1) || c->lr_intid[j] != c->lr_intid[i]);
	}
	(void)v;
}

static void check_vm(const struct hv_el2_vm *v)
{
	uint32_t i;

	CHECK(v->gicd_ctlr <= 3);
	/* Bitmaps hold SPIs 32..127 only: nothing past the last. */
	CHECK((v->spi_enabled[HV_EL2_SPI_WORDS - 1] >> 32) == 0);
	CHECK((v->spi_pending[HV_EL2_SPI_WORDS - 1] >> 32) == 0);
	CHECK((v->spi_level[HV_EL2_SPI_WORDS - 1] >> 32) == 0);
	CHECK((v->spi_edge[HV_EL2_SPI_WORDS - 1] >> 32) == 0);
	for (i = 0; i < HV_EL2_NSPI; i++)
		CHECK((v->spi_route[i] & ~0xff00ffffffull) == 0 && v->spi_host[i] == 0);
	for (i = 0; i < v->vcpu_count; i++)
		check_vcpu(v, v->vcpus[i]);
}

/*
 * GICD_IROUTER<n> of an SPI: 64 bits, or 32 bits to either half; a word access changes or
 * reads only its half, smaller accesses are ignored and read zero.
 */
static void check_irouter(const struct hv_el2_vm *v, uint64_t gpa, bool write, uint32_t width,
			  uint64_t d, const uint64_t before[])
{
	uint64_t off = gpa - HV_EL2_GICD_BASE, m, shift;
	uint32_t n;

	if (gpa < HV_EL2_GICD_BASE || off < GICD_IROUTER + 8 * 32 ||
	    off >= GICD_IROUTER + 8 * HV_EL2_NIRQ || (off & (width - 1)) != 0)
		return;
	n = (uint32_t)((off - GICD_IROUTER) / 8) - 32;
	shift = (off & 4) * 8;
	m = width == 8 ? ~0ull : width == 4 ? 0xffffffffull << shift : 0;
	if (write)
		CHECK(v->spi_route[n] ==
		      (((before[n] & ~m) | ((d << shift) & m)) & 0xff00ffffffull));
	else
		CHECK(d == (width < 4 ? 0 : (before[n] & m) >> shift));
}

/* An exit: what the guest ended comes back; the active and pending ones stay. */
static void vcpu_exit(struct hv_el2_vcpu *c)
{
	memcpy(lrs, c->lr, sizeof(lrs));
	hv_el2_vgic_sync(c);
	hv_el2_vgic_save(c);
}

/* An entry: the vCPU's list registers into the hardware's, then the free ones filled. */
static void vcpu_entry(struct hv_el2_vcpu *c, bool moved)
{
	hv_el2_vgic_load(c, moved);
	if (c->attn & HV_EL2_ATTN_IRQ)
		hv_el2_vgic_flush(c);
	hv_el2_vgic_save(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct hv_el2_vcpu *cpus;
	struct hv_el2_vm vm;
	uint32_t count, i;

	hv_log_set_level(HV_LOG_ERROR);
	memset(&vm, 0, sizeof(vm));
	memset(lrs, 0, sizeof(lrs));
	count = fuzz_u8(&in) % HV_EL2_MAX_VCPUS + 1;
	cpus = calloc(count, sizeof(*cpus));
	vm.lock = hv__lock_create();
	if (cpus == NULL || vm.lock == NULL)
		abort();
	vm.vcpu_count = count;
	hv_el2_vgic_vm_init(&vm);
	for (i = 0; i < count; i++) {
		cpus[i].vm = &vm;
		cpus[i].index = i;
		cpus[i].vmpidr = (i & 0xf) | (uint64_t)(i >> 4) << 8;
		vm.vcpus[i] = &cpus[i];
		hv_el2_vgic_vcpu_init(&cpus[i]);
	}

	while (in.left > 0) {
		uint8_t op = fuzz_u8(&in);
		struct hv_el2_vcpu *c = &cpus[(op >> 3 & 7) % count];
		uint32_t width = 1u << (op >> 6);

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 3: {
			uint64_t gpa, d, before[HV_EL2_NSPI];
			bool write = (op & 1) == 0;

			if ((op & 2) == 0)
				gpa = HV_EL2_GICD_BASE + fuzz_u16(&in);
			else
				gpa = HV_EL2_GICR_BASE + (fuzz_u8(&in) & 7) * HV_EL2_GICR_STRIDE +
				      fuzz_u32(&in) % HV_EL2_GICR_STRIDE;
			d = fuzz_u64(&in);
			memcpy(before, vm.spi_route, sizeof(before));
			if (width < 8 && write)
				d &= (1ull << (8 * width)) - 1; /* what the backend passes */
			CHECK(hv_el2_vgic_mmio(&vm, c, gpa, write, width, &d));
			check_irouter(&vm, gpa, write, width, d, before);
			break;
		}
		case 4: {
			uint32_t intid = fuzz_u8(&in);
			hv_status_t st = hv_el2_vgic_irq_set(&vm, intid, fuzz_u8(&in) & 1);

			CHECK(st ==
			      (intid >= 32 && intid < HV_EL2_NIRQ ? HV_OK : HV_ERR_INVALID_ARG));
			break;
		}
		case 5:
			vcpu_entry(c, false);
			vcpu_exit(c);
			break;
		case 6: {
			uint32_t n = fuzz_u8(&in) % NLRS;

			vcpu_entry(c, false);
			if (lrs[n] & LR_PENDING)
				lrs[n] = (lrs[n] & ~LR_STATE) | LR_ACTIVE;
			else
				lrs[n] &= ~LR_STATE;
			hv_el2_vgic_sync(c);
			hv_el2_vgic_save(c);
			break;
		}
		default: {
			uint8_t what = fuzz_u8(&in);

			if (what % 3 == 0)
				hv_el2_vgic_send_sgi(c, fuzz_u64(&in));
			else if (what % 3 == 1)
				hv_el2_vgic_timer_fired(c);
			else
				vcpu_entry(c, true);
			break;
		}
		}
		check_vm(&vm);
	}
	hv__lock_destroy(vm.lock);
	free(cpus);
	return 0;
}
