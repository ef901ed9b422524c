/* SPDX-License-Identifier: MIT */
/*
 * Shared by the image loaders: checked little-endian reads from an image, guest-memory
 * checks and copies by region type, and an ELF parser (elf.c) the Linux PVH path reuses.
 */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include "hv_internal.h"

/* Region types a loader may write, as a mask of (1u << hv_region_type_t). */
#define HV__LD_RAM (1u << HV_REGION_RAM)
#define HV__LD_ROM (1u << HV_REGION_ROM)

static inline uint16_t hv__ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t hv__ld32(const uint8_t *p)
{
	return (uint32_t)hv__ld16(p) | (uint32_t)hv__ld16(p + 2) << 16;
}

static inline uint64_t hv__ld64(const uint8_t *p)
{
	return (uint64_t)hv__ld32(p) | (uint64_t)hv__ld32(p + 4) << 32;
}

static inline void hv__st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void hv__st32(uint8_t *p, uint32_t v)
{
	hv__st16(p, (uint16_t)v);
	hv__st16(p + 2, (uint16_t)(v >> 16));
}

static inline void hv__st64(uint8_t *p, uint64_t v)
{
	hv__st32(p, (uint32_t)v);
	hv__st32(p + 4, (uint32_t)(v >> 32));
}

/* Do [a, a + as) and [b, b + bs) intersect? Sizes of 0 never do; ends may be 2^64. */
static inline bool hv__ld_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return as != 0 && bs != 0 && a <= b + (bs - 1) && b <= a + (as - 1);
}

/*
 * Is [gpa, gpa + size) entirely inside memory regions whose types are in @p types (adjacent
 * regions may be spanned)? HV_OK (also for size 0) or HV_ERR_NOT_MAPPED (including a wrap).
 */
hv_status_t hv__ld_check(const hv_vm_t *vm, uint64_t gpa, uint64_t size, unsigned types);
/* Copy or zero guest memory that hv__ld_check() accepted. */
void hv__ld_write(hv_vm_t *vm, uint64_t gpa, const void *src, uint64_t size);
void hv__ld_zero(hv_vm_t *vm, uint64_t gpa, uint64_t size);

/* ---- ELF (elf.c) ------------------------------------------------------------------------- */

#define HV__PT_LOAD 1u
#define HV__PT_NOTE 4u

struct hv__elf {
	const uint8_t *img;
	size_t size;
	bool is64;
	uint16_t machine;
	uint64_t entry;
	uint64_t phoff;
	uint32_t phnum;
	uint32_t phentsize;
	uint32_t loads;    /* PT_LOAD segments with a non-zero memory size */
	uint64_t lo, hi;   /* lowest p_paddr and highest p_paddr + p_memsz - 1 among them */
};

struct hv__elf_seg {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/*
 * Check the ELF header, the program header table and every PT_LOAD and PT_NOTE segment's
 * bounds (file range inside the image, memsz >= filesz, no wrap). HV_ERR_BAD_IMAGE or
 * HV_ERR_UNSUPPORTED (big-endian).
 */
hv_status_t hv__elf_parse(struct hv__elf *e, const void *image, size_t size);
/* Program header @p i (< phnum) of an image hv__elf_parse() accepted. */
void hv__elf_phdr(const struct hv__elf *e, uint32_t i, struct hv__elf_seg *s);
/* Every PT_LOAD inside memory of @p types: HV_OK or HV_ERR_NOT_MAPPED. */
hv_status_t hv__elf_check_loads(const struct hv__elf *e, const hv_vm_t *vm, unsigned types);
/* Copy every PT_LOAD and zero the rest of its memory size (after hv__elf_check_loads()). */
void hv__elf_load(const struct hv__elf *e, hv_vm_t *vm);
/*
 * The descriptor of the first note named @p name (with its NUL) of @p type in a PT_NOTE
 * segment: HV_OK, HV_ERR_NOT_FOUND, or HV_ERR_BAD_IMAGE for a malformed note.
 */
hv_status_t hv__elf_note(const struct hv__elf *e, const char *name, uint32_t type,
			 const uint8_t **desc, uint32_t *desc_size);

#endif /* HV_LOADER_H */
