/* SPDX-License-Identifier: MIT */
/*
 * EPT: four-level tables built from the VM's memory map. RAM is read-write-execute, ROM
 * read-execute (a write traps and the core drops it), and nothing else is mapped: device
 * windows and holes trap as EPT violations. 2 MiB leaves where both addresses allow.
 */
#include "vmx.h"

#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_WB (6ull << 3)
#define EPT_IGNORE_PAT (1ull << 6)
#define EPT_LARGE (1ull << 7)
#define EPT_ADDR 0x000ffffffffff000ull
#define SZ_2M (2ull << 20)

static uint64_t *hv_vmx_ept_table(struct hv_vmx_vm *xv)
{
	uint64_t *t = hv__ram_alloc(HV_PAGE_SIZE);

	if (t != NULL)
		xv->table_pages++;
	return t;
}

hv_status_t hv_vmx_ept_init(struct hv_vmx_vm *xv)
{
	xv->pml4 = hv_vmx_ept_table(xv);
	if (xv->pml4 == NULL)
		return HV_ERR_NO_MEMORY;
	/* Write-back walks, four levels (field value 3). */
	xv->eptp = (uint64_t)(uintptr_t)xv->pml4 | 6 | (3 << 3);
	return HV_OK;
}

static void hv_vmx_ept_free(struct hv_vmx_vm *xv, uint64_t *t, int level)
{
	size_t i;

	for (i = 0; level > 1 && i < 512; i++)
		if ((t[i] & (EPT_R | EPT_W | EPT_X)) && !(t[i] & EPT_LARGE))
			hv_vmx_ept_free(xv, (uint64_t *)(uintptr_t)(t[i] & EPT_ADDR), level - 1);
	hv__ram_free(t, HV_PAGE_SIZE);
	xv->table_pages--;
}

void hv_vmx_ept_fini(struct hv_vmx_vm *xv)
{
	if (xv->pml4 != NULL)
		hv_vmx_ept_free(xv, xv->pml4, 4);
	xv->pml4 = NULL;
}

/* The entry for gpa at @p level (1: 4 KiB, 2: 2 MiB), creating tables on the way if asked. */
static uint64_t *hv_vmx_ept_slot(struct hv_vmx_vm *xv, uint64_t gpa, int level, bool create)
{
	uint64_t *t = xv->pml4;
	int l;

	for (l = 4; l > level; l--) {
		uint64_t *e = &t[(gpa >> (12 + 9 * (l - 1))) & 511];

		if (!(*e & (EPT_R | EPT_W | EPT_X))) {
			uint64_t *n;

			if (!create)
				return NULL;
			n = hv_vmx_ept_table(xv);
			if (n == NULL)
				return NULL;
			*e = (uint64_t)(uintptr_t)n | EPT_R | EPT_W | EPT_X;
		} else if (*e & EPT_LARGE) {
			return NULL; /* the map never overlaps: cannot happen */
		}
		t = (uint64_t *)(uintptr_t)(*e & EPT_ADDR);
	}
	return &t[(gpa >> (12 + 9 * (level - 1))) & 511];
}

hv_status_t hv_vmx_ept_map(struct hv_vmx_vm *xv, uint64_t gpa, uint64_t hpa, uint64_t size,
			   bool writable)
{
	uint64_t perm = EPT_R | EPT_X | EPT_WB | EPT_IGNORE_PAT | (writable ? EPT_W : 0);
	uint64_t done = 0;

	while (done < size) {
		uint64_t g = gpa + done, h = hpa + done;
		bool large =
			(g & (SZ_2M - 1)) == 0 && (h & (SZ_2M - 1)) == 0 && size - done >= SZ_2M;
		uint64_t *e = hv_vmx_ept_slot(xv, g, large ? 2 : 1, true);

		if (e == NULL) {
			hv_vmx_ept_unmap(xv, gpa, done);
			return HV_ERR_NO_MEMORY;
		}
		*e = h | perm | (large ? EPT_LARGE : 0);
		done += large ? SZ_2M : HV_PAGE_SIZE;
	}
	return HV_OK;
}

void hv_vmx_ept_unmap(struct hv_vmx_vm *xv, uint64_t gpa, uint64_t size)
{
	uint64_t done = 0;

	while (done < size) {
		uint64_t g = gpa + done;
		uint64_t *e = hv_vmx_ept_slot(xv, g, 2, false);

		if (e != NULL && (*e & EPT_LARGE)) {
			*e = 0;
			done += SZ_2M;
			continue;
		}
		e = hv_vmx_ept_slot(xv, g, 1, false);
		if (e != NULL)
			*e = 0;
		done += HV_PAGE_SIZE;
	}
	hv_vmx_invept(xv);
}

void hv_vmx_invept(struct hv_vmx_vm *xv)
{
	struct {
		uint64_t eptp, zero;
	} desc = { xv->eptp, 0 };
	/* Single-context when supported (bit 25), else all contexts (bit 26). */
	uint64_t type = (hv_vmx_caps.ept_vpid & (1ull << 25)) ? 1 : 2;

	if (!(hv_vmx_caps.ept_vpid & (1ull << 20)))
		return;
	__asm__ volatile("invept %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
}
