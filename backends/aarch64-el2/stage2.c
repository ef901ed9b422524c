/* SPDX-License-Identifier: MIT */
/*
 * Stage-2 translation: 4 KiB granule, 39-bit IPA, three levels starting at level 1
 * (VTCR_EL2.SL0 = 1). Regions are mapped with the largest blocks their alignment allows:
 * 1 GiB at level 1, 2 MiB at level 2, 4 KiB pages at level 3. Device windows stay unmapped,
 * so every guest access to them traps as a stage-2 translation fault.
 */
#include "el2.h"

#define S2_ENTRIES 512u
#define S2_VALID 1ull
#define S2_TABLE 3ull /* table at levels 1-2, page at level 3 */
#define S2_ADDR_MASK 0x0000fffffffff000ull
#define S2_L1_SIZE (1ull << 30)
#define S2_L2_SIZE (1ull << 21)
#define S2_L3_SIZE (1ull << 12)

static uint8_t hv_el2_vmids[256 / 8]; /* VMID 0 is never given out */
static uint8_t hv_el2_vmid_lock;

static void hv_el2_spin_lock(uint8_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		;
}

static void hv_el2_spin_unlock(uint8_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static uint16_t hv_el2_vmid_alloc(void)
{
	uint16_t id = 0, i;

	hv_el2_spin_lock(&hv_el2_vmid_lock);
	for (i = 1; i < 256; i++) {
		if (!(hv_el2_vmids[i / 8] & (1u << (i % 8)))) {
			hv_el2_vmids[i / 8] |= (uint8_t)(1u << (i % 8));
			id = i;
			break;
		}
	}
	hv_el2_spin_unlock(&hv_el2_vmid_lock);
	return id;
}

static void hv_el2_vmid_free(uint16_t id)
{
	hv_el2_spin_lock(&hv_el2_vmid_lock);
	hv_el2_vmids[id / 8] &= (uint8_t) ~(1u << (id % 8));
	hv_el2_spin_unlock(&hv_el2_vmid_lock);
}

uint64_t hv_el2_vttbr(const struct hv_el2_vm *v)
{
	return (uint64_t)(uintptr_t)v->s2_root | ((uint64_t)v->vmid << 48);
}

/* Forget every translation of this VMID: after an unmap, and before a VMID is reused. */
static void hv_el2_s2_flush(const struct hv_el2_vm *v)
{
	uint64_t old = HV_EL2_MRS(vttbr_el2);

	__asm__ volatile("dsb ishst" ::: "memory");
	HV_EL2_MSR(vttbr_el2, hv_el2_vttbr(v));
	HV_EL2_ISB();
	__asm__ volatile("tlbi vmalls12e1is\n\tdsb ish\n\tisb" ::: "memory");
	HV_EL2_MSR(vttbr_el2, old);
	HV_EL2_ISB();
}

hv_status_t hv_el2_s2_init(struct hv_el2_vm *v)
{
	v->vmid = hv_el2_vmid_alloc();
	if (v->vmid == 0)
		return HV_ERR_LIMIT;
	v->s2_root = hv__ram_alloc(S2_ENTRIES * 8);
	if (v->s2_root == NULL) {
		hv_el2_vmid_free(v->vmid);
		return HV_ERR_NO_MEMORY;
	}
	hv_el2_s2_flush(v);
	return HV_OK;
}

static void hv_el2_s2_free_table(uint64_t *t, int level)
{
	uint32_t i;

	if (level < 3) {
		for (i = 0; i < S2_ENTRIES; i++)
			if ((t[i] & 3) == S2_TABLE)
				hv_el2_s2_free_table((uint64_t *)(uintptr_t)(t[i] & S2_ADDR_MASK),
						     level + 1);
	}
	hv__ram_free(t, S2_ENTRIES * 8);
}

void hv_el2_s2_fini(struct hv_el2_vm *v)
{
	if (v->s2_root == NULL)
		return;
	hv_el2_s2_flush(v);
	hv_el2_s2_free_table(v->s2_root, 1);
	hv_el2_vmid_free(v->vmid);
	v->s2_root = NULL;
}

/* The next-level table behind *e, made if missing; NULL if *e is a block or memory ran out. */
static uint64_t *hv_el2_s2_next(uint64_t *e)
{
	uint64_t *t;

	if ((*e & 3) == S2_TABLE)
		return (uint64_t *)(uintptr_t)(*e & S2_ADDR_MASK);
	if (*e & S2_VALID)
		return NULL;
	t = hv__ram_alloc(S2_ENTRIES * 8);
	if (t == NULL)
		return NULL;
	__atomic_store_n(e, (uint64_t)(uintptr_t)t | S2_TABLE, __ATOMIC_RELEASE);
	return t;
}

hv_status_t hv_el2_s2_map(struct hv_el2_vm *v, uint64_t gpa, uint64_t pa, uint64_t size,
			  uint64_t attrs)
{
	uint64_t done = 0;

	if (((gpa | pa | size) & (S2_L3_SIZE - 1)) != 0 || gpa + size > (1ull << HV_EL2_IPA_BITS) ||
	    (pa + size - 1) > S2_ADDR_MASK)
		return HV_ERR_RANGE;
	while (done < size) {
		uint64_t a = gpa + done, p = pa + done, left = size - done;
		uint64_t *e1 = &v->s2_root[(a >> 30) & 511], *l2, *l3, *e2;

		if (((a | p) & (S2_L1_SIZE - 1)) == 0 && left >= S2_L1_SIZE && *e1 == 0) {
			*e1 = p | attrs | S2_VALID;
			done += S2_L1_SIZE;
			continue;
		}
		l2 = hv_el2_s2_next(e1);
		if (l2 == NULL)
			goto fail;
		e2 = &l2[(a >> 21) & 511];
		if (((a | p) & (S2_L2_SIZE - 1)) == 0 && left >= S2_L2_SIZE && *e2 == 0) {
			*e2 = p | attrs | S2_VALID;
			done += S2_L2_SIZE;
			continue;
		}
		l3 = hv_el2_s2_next(e2);
		if (l3 == NULL)
			goto fail;
		l3[(a >> 12) & 511] = p | attrs | S2_TABLE;
		done += S2_L3_SIZE;
	}
	__asm__ volatile("dsb ishst" ::: "memory");
	return HV_OK;
fail:
	hv_el2_s2_unmap(v, gpa, done);
	return HV_ERR_NO_MEMORY;
}

void hv_el2_s2_unmap(struct hv_el2_vm *v, uint64_t gpa, uint64_t size)
{
	uint64_t a = gpa, end = gpa + size;

	while (a < end) {
		uint64_t *e1 = &v->s2_root[(a >> 30) & 511], *l2, *e2, *l3;

		if ((*e1 & 3) != S2_TABLE) {
			*e1 = 0;
			a = (a & ~(S2_L1_SIZE - 1)) + S2_L1_SIZE;
			continue;
		}
		l2 = (uint64_t *)(uintptr_t)(*e1 & S2_ADDR_MASK);
		e2 = &l2[(a >> 21) & 511];
		if ((*e2 & 3) != S2_TABLE) {
			*e2 = 0;
			a = (a & ~(S2_L2_SIZE - 1)) + S2_L2_SIZE;
			continue;
		}
		l3 = (uint64_t *)(uintptr_t)(*e2 & S2_ADDR_MASK);
		l3[(a >> 12) & 511] = 0;
		a += S2_L3_SIZE;
	}
	hv_el2_s2_flush(v);
}
