/* SPDX-License-Identifier: MIT */
/*
 * Linux on x86: the 64-bit boot protocol for a bzImage (Documentation/x86/boot.rst) and the
 * PVH entry for an uncompressed vmlinux (Xen's arch-x86/hvm/start_info.h), with the e820
 * memory map taken from the VM's memory map.
 */
#include "loader.h"

/* The loader's structures in low RAM. */
#define HV__GDT_GPA 0x500u
#define HV__GDT_SIZE 48u /* null, null, code 0x10, data 0x18, TSS 0x20 (16 bytes in long mode) */
#define HV__BOOT_GPA 0x7000u   /* zero page, or hvm_start_info + module + memory map */
#define HV__STACK_TOP 0x8ff0u  /* a small stack in [0x8000, 0x9000) */
#define HV__PML4_GPA 0x9000u
#define HV__PDPT_GPA 0xa000u
#define HV__PD_GPA 0xb000u     /* four page directories: 2 MiB pages over 4 GiB */
#define HV__PT_END 0xf000u
#define HV__CMDLINE_GPA 0x20000u
#define HV__CMDLINE_MAX 0xffffu /* the area ends at 0x30000 */
#define HV__LOW_END 0x100000u   /* the initrd goes above the first MiB */
#define HV__4G 0x100000000ull

#define HV__PVH_MODLIST_GPA (HV__BOOT_GPA + 0x40u)
#define HV__PVH_MEMMAP_GPA (HV__BOOT_GPA + 0x80u)

/* struct boot_params and its setup header (offsets are the same in the image). */
#define HV__BP_EXT_RAMDISK_IMAGE 0x0c0
#define HV__BP_EXT_RAMDISK_SIZE 0x0c4
#define HV__BP_EXT_CMD_LINE_PTR 0x0c8
#define HV__BP_E820_ENTRIES 0x1e8
#define HV__BP_HDR 0x1f1
#define HV__BP_HDR_MAX_END 0x290
#define HV__BP_E820_TABLE 0x2d0
#define HV__BP_SIZE 4096u
#define HV__HDR_SETUP_SECTS 0x1f1
#define HV__HDR_SYSSIZE 0x1f4
#define HV__HDR_BOOT_FLAG 0x1fe
#define HV__HDR_JUMP 0x200
#define HV__HDR_MAGIC 0x202
#define HV__HDR_VERSION 0x206
#define HV__HDR_TYPE_OF_LOADER 0x210
#define HV__HDR_LOADFLAGS 0x211
#define HV__HDR_RAMDISK_IMAGE 0x218
#define HV__HDR_RAMDISK_SIZE 0x21c
#define HV__HDR_HEAP_END_PTR 0x224
#define HV__HDR_CMD_LINE_PTR 0x228
#define HV__HDR_INITRD_ADDR_MAX 0x22c
#define HV__HDR_KERNEL_ALIGNMENT 0x230
#define HV__HDR_RELOCATABLE 0x234
#define HV__HDR_XLOADFLAGS 0x236
#define HV__HDR_CMDLINE_SIZE 0x238
#define HV__HDR_SETUP_DATA 0x250
#define HV__HDR_PREF_ADDRESS 0x258
#define HV__HDR_INIT_SIZE 0x260

#define HV__BOOT_FLAG 0xaa55u
#define HV__HDRS_MAGIC 0x53726448u /* "HdrS" */
#define HV__LOADED_HIGH 0x01u
#define HV__CAN_USE_HEAP 0x80u
#define HV__XLF_KERNEL_64 0x0001u
#define HV__HEAP_END 0xfe00u

#define HV__E820_MAX 128u
#define HV__E820_RAM 1u
#define HV__E820_RESERVED 2u
#define HV__LEGACY_LO 0x9fc00ull
#define HV__LEGACY_HI 0x100000ull

#define HV__ELFNOTE_PHYS32_ENTRY 18u
#define HV__PVH_MAGIC 0x336ec578u
#define HV__EM_386 3
#define HV__EM_X86_64 62

/* Segment attributes (VMX access-rights layout). */
#define HV__ATTR_CODE64 0xa09bu /* G, L, P, S, execute/read accessed */
#define HV__ATTR_CODE32 0xc09bu /* G, D, P, S, execute/read accessed */
#define HV__ATTR_DATA 0xc093u   /* G, B, P, S, read/write accessed */
#define HV__ATTR_TSS 0x008bu    /* P, busy TSS */
#define HV__ATTR_UNUSABLE 0x10000u
#define HV__SEL_CS 0x10u
#define HV__SEL_DS 0x18u
#define HV__SEL_TR 0x20u

struct hv__e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct hv__e820_map {
	uint32_t count;
	struct hv__e820_entry e[HV__E820_MAX];
};

/* The working state of one load: allocated, to keep firmware stacks small. */
struct hv__linux {
	struct hv__e820_map map;
	uint8_t boot[HV__BP_SIZE]; /* zero page, or hvm_start_info + module + memory map */
	uint64_t busy[3][2];       /* ranges the initrd must avoid: base, size */
	unsigned busy_count;
	uint64_t cmdline_len;
	hv_linux_info_t info;
};

/* ---- memory map ---------------------------------------------------------------------------- */

static hv_status_t hv__e820_add(struct hv__e820_map *m, uint64_t base, uint64_t last,
				uint32_t type)
{
	uint64_t size = last - base == UINT64_MAX ? UINT64_MAX : last - base + 1;
	struct hv__e820_entry *p = m->count ? &m->e[m->count - 1] : NULL;

	if (p != NULL && p->type == type && p->addr + p->size == base && base != 0 &&
	    p->size + size > p->size) {
		p->size += size;
		return HV_OK;
	}
	if (m->count == HV__E820_MAX)
		return HV_ERR_LIMIT;
	m->e[m->count].addr = base;
	m->e[m->count].size = size;
	m->e[m->count].type = type;
	m->count++;
	return HV_OK;
}

/*
 * The VM's memory regions in address order, RAM usable and the rest reserved. Where RAM
 * covers the EBDA's last KiB (0x9FC00-0x9FFFF: one page, so one region), [0x9FC00, 1 MiB) is
 * reported reserved, whatever is mapped there, as a PC's firmware does.
 */
static hv_status_t hv__e820_build(const hv_vm_t *vm, struct hv__e820_map *m)
{
	const struct hv__range *legacy_r = hv__rangemap_find(&vm->mem, HV__LEGACY_LO);
	bool legacy = legacy_r != NULL && legacy_r->kind == HV__RANGE_REGION &&
		      ((const hv_region_t *)legacy_r->obj)->type == HV_REGION_RAM;
	bool pending = legacy;
	hv_status_t st = HV_OK;
	size_t i;

	m->count = 0;
	for (i = 0; i < vm->mem.count && st == HV_OK; i++) {
		const struct hv__range *r = &vm->mem.v[i];
		uint32_t type;

		if (r->kind != HV__RANGE_REGION)
			continue;
		type = ((const hv_region_t *)r->obj)->type == HV_REGION_RAM ? HV__E820_RAM
									  : HV__E820_RESERVED;
		if (!legacy) {
			st = hv__e820_add(m, r->base, r->last, type);
			continue;
		}
		if (r->base < HV__LEGACY_LO)
			st = hv__e820_add(m, r->base,
					  r->last < HV__LEGACY_LO ? r->last : HV__LEGACY_LO - 1, type);
		if (st == HV_OK && r->last >= HV__LEGACY_HI) {
			if (pending) {
				st = hv__e820_add(m, HV__LEGACY_LO, HV__LEGACY_HI - 1,
						  HV__E820_RESERVED);
				pending = false;
			}
			if (st == HV_OK)
				st = hv__e820_add(m, r->base > HV__LEGACY_HI ? r->base : HV__LEGACY_HI,
						  r->last, type);
		}
	}
	if (st == HV_OK && pending)
		st = hv__e820_add(m, HV__LEGACY_LO, HV__LEGACY_HI - 1, HV__E820_RESERVED);
	return st;
}

/*
 * The highest page-aligned place for @p size bytes of RAM above 1 MiB, ending at or below
 * @p limit (inclusive) and clear of the busy ranges. The best place ends at the end of a RAM
 * entry, at the limit or at the start of a busy range: only those are tried.
 */
static bool hv__place_high(const struct hv__linux *l, uint64_t size, uint64_t limit,
			   uint64_t *out)
{
	bool found = false;
	uint64_t best = 0;
	uint32_t i;
	unsigned j, k;

	if (size == 0)
		return false;
	for (i = 0; i < l->map.count; i++) {
		const struct hv__e820_entry *e = &l->map.e[i];
		uint64_t top, ends[4];
		unsigned n = 0;

		if (e->type != HV__E820_RAM || e->addr > limit)
			continue;
		top = e->addr + (e->size - 1);
		if (top < e->addr || top > limit)
			top = limit;
		ends[n++] = top + 1; /* limit < 2^64 - 1: no wrap */
		for (j = 0; j < l->busy_count; j++)
			if (l->busy[j][0] > e->addr && l->busy[j][0] <= top)
				ends[n++] = l->busy[j][0];
		for (k = 0; k < n; k++) {
			uint64_t at;
			bool clear = true;

			if (ends[k] < size)
				continue;
			at = (ends[k] - size) & ~(uint64_t)(HV_PAGE_SIZE - 1);
			if (at < e->addr || at < HV__LOW_END || (found && at <= best))
				continue;
			for (j = 0; j < l->busy_count; j++)
				if (hv__ld_overlap(at, size, l->busy[j][0], l->busy[j][1]))
					clear = false;
			if (clear) {
				best = at;
				found = true;
			}
		}
	}
	if (found)
		*out = best;
	return found;
}

static void hv__busy(struct hv__linux *l, uint64_t base, uint64_t size)
{
	HV_ASSERT(l->busy_count < HV__ARRAY_SIZE(l->busy));
	l->busy[l->busy_count][0] = base;
	l->busy[l->busy_count][1] = size;
	l->busy_count++;
}

/* Place the initrd (if any) below @p limit: HV_OK or HV_ERR_RANGE. */
static hv_status_t hv__place_initrd(struct hv__linux *l, const hv_linux_config_t *c,
				    uint64_t limit)
{
	if (c->initrd_size == 0)
		return HV_OK;
	if (!hv__place_high(l, c->initrd_size, limit, &l->info.initrd_gpa))
		return HV_ERR_RANGE;
	l->info.initrd_size = c->initrd_size;
	return HV_OK;
}

/* Command line: HV_OK, HV_ERR_RANGE (longer than @p max) or HV_ERR_NOT_MAPPED. */
static hv_status_t hv__check_cmdline(struct hv__linux *l, const hv_vm_t *vm, const char *cmdline,
				     uint64_t max)
{
	uint64_t len = 0;

	if (cmdline != NULL)
		while (cmdline[len] != '\0' && len <= HV__CMDLINE_MAX)
			len++;
	if (len > max || len > HV__CMDLINE_MAX)
		return HV_ERR_RANGE;
	l->cmdline_len = len;
	l->info.cmdline_gpa = HV__CMDLINE_GPA;
	return hv__ld_check(vm, HV__CMDLINE_GPA, len + 1, HV__LD_RAM);
}

static void hv__write_common(hv_vm_t *vm, const struct hv__linux *l, const hv_linux_config_t *c,
			     uint64_t code)
{
	static const uint8_t nul;
	uint8_t gdt[HV__GDT_SIZE];

	hv__memset(gdt, 0, sizeof(gdt));
	hv__st64(gdt + HV__SEL_CS, code);
	hv__st64(gdt + HV__SEL_DS, 0x00cf93000000ffffull);
	hv__st64(gdt + HV__SEL_TR, 0x00008b0000000067ull);
	hv__ld_write(vm, HV__GDT_GPA, gdt, sizeof(gdt));
	hv__ld_write(vm, HV__CMDLINE_GPA, l->cmdline_len ? c->cmdline : (const char *)&nul,
		     l->cmdline_len);
	hv__ld_write(vm, HV__CMDLINE_GPA + l->cmdline_len, &nul, 1);
	if (c->initrd_size != 0)
		hv__ld_write(vm, l->info.initrd_gpa, c->initrd, c->initrd_size);
}

/* ---- registers ----------------------------------------------------------------------------- */

#define HV__SEGS(seg, sel, limit, attr)                                                           \
	{ HV_X86_SEG(seg, HV_X86_SEG_SELECTOR), (sel) },                                          \
	{ HV_X86_SEG(seg, HV_X86_SEG_BASE), 0 }, { HV_X86_SEG(seg, HV_X86_SEG_LIMIT), (limit) },  \
	{ HV_X86_SEG(seg, HV_X86_SEG_ATTR), (attr) }

static hv_status_t hv__set_entry(hv_vcpu_t *vcpu, bool long_mode, uint64_t rip, uint64_t rbx,
				 uint64_t rsi)
{
	const uint64_t cs_attr = long_mode ? HV__ATTR_CODE64 : HV__ATTR_CODE32;
	const struct {
		hv_reg_t reg;
		uint64_t value;
	} set[] = {
		{ HV_X86_RAX, 0 }, { HV_X86_RCX, 0 }, { HV_X86_RDX, 0 }, { HV_X86_RBX, rbx },
		{ HV_X86_RSP, HV__STACK_TOP }, { HV_X86_RBP, 0 }, { HV_X86_RSI, rsi },
		{ HV_X86_RDI, 0 }, { HV_X86_RIP, rip }, { HV_X86_RFLAGS, 0x2 },
		{ HV_X86_CR0, long_mode ? 0x80050033u : 0x11u },
		{ HV_X86_CR3, long_mode ? HV__PML4_GPA : 0 },
		{ HV_X86_CR4, long_mode ? 0x20u : 0 },
		{ HV_X86_EFER, long_mode ? 0x500u : 0 },
		{ HV_X86_GDTR_BASE, HV__GDT_GPA }, { HV_X86_GDTR_LIMIT, HV__GDT_SIZE - 1 },
		{ HV_X86_IDTR_BASE, 0 }, { HV_X86_IDTR_LIMIT, 0 },
		HV__SEGS(HV_X86_CS, HV__SEL_CS, 0xffffffffu, cs_attr),
		HV__SEGS(HV_X86_DS, HV__SEL_DS, 0xffffffffu, HV__ATTR_DATA),
		HV__SEGS(HV_X86_ES, HV__SEL_DS, 0xffffffffu, HV__ATTR_DATA),
		HV__SEGS(HV_X86_SS, HV__SEL_DS, 0xffffffffu, HV__ATTR_DATA),
		HV__SEGS(HV_X86_FS, HV__SEL_DS, 0xffffffffu, HV__ATTR_DATA),
		HV__SEGS(HV_X86_GS, HV__SEL_DS, 0xffffffffu, HV__ATTR_DATA),
		HV__SEGS(HV_X86_TR, HV__SEL_TR, 0x67u, HV__ATTR_TSS),
		HV__SEGS(HV_X86_LDTR, 0, 0, HV__ATTR_UNUSABLE),
	};
	hv_reg_t regs[HV__ARRAY_SIZE(set)];
	uint64_t values[HV__ARRAY_SIZE(set)];
	size_t i;

	for (i = 0; i < HV__ARRAY_SIZE(set); i++) {
		regs[i] = set[i].reg;
		values[i] = set[i].value;
	}
	return hv_vcpu_set_regs(vcpu, regs, values, HV__ARRAY_SIZE(set));
}

/* ---- bzImage ------------------------------------------------------------------------------- */

struct hv__bzimage {
	uint16_t version;
	uint32_t hdr_end;
	uint64_t setup_size;
	uint64_t pm_size;
	bool relocatable;
	uint32_t alignment;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint64_t pref_address;
	uint32_t init_size;
};

static hv_status_t hv__bz_parse(struct hv__bzimage *bz, const uint8_t *p, size_t n)
{
	uint32_t need, syssize;
	unsigned sects;

	if (n < HV__HDR_VERSION + 2)
		return HV_ERR_BAD_IMAGE;
	if (hv__ld16(p + HV__HDR_BOOT_FLAG) != HV__BOOT_FLAG ||
	    hv__ld32(p + HV__HDR_MAGIC) != HV__HDRS_MAGIC)
		return HV_ERR_BAD_IMAGE;
	bz->version = hv__ld16(p + HV__HDR_VERSION);
	if (bz->version < 0x0206)
		return HV_ERR_UNSUPPORTED;
	/* The header ends where the short jump at 0x200 lands. */
	bz->hdr_end = HV__HDR_MAGIC + (uint32_t)p[HV__HDR_JUMP + 1];
	need = bz->version >= 0x020a ? HV__HDR_INIT_SIZE + 4 : HV__HDR_CMDLINE_SIZE + 4;
	if (p[HV__HDR_JUMP] != 0xeb || bz->hdr_end > HV__BP_HDR_MAX_END || bz->hdr_end < need ||
	    bz->hdr_end > n)
		return HV_ERR_BAD_IMAGE;
	sects = p[HV__HDR_SETUP_SECTS] != 0 ? p[HV__HDR_SETUP_SECTS] : 4;
	bz->setup_size = ((uint64_t)sects + 1) * 512;
	if (n <= bz->setup_size)
		return HV_ERR_BAD_IMAGE;
	bz->pm_size = n - bz->setup_size;
	/*
	 * syssize (protocol 2.04+): the protected-mode part's length in 16-byte units, as the
	 * kernel's build tool wrote it. A shorter file is a truncated kernel.
	 */
	syssize = hv__ld32(p + HV__HDR_SYSSIZE);
	if (syssize == 0 || (uint64_t)syssize * 16 > bz->pm_size)
		return HV_ERR_BAD_IMAGE;
	if (!(p[HV__HDR_LOADFLAGS] & HV__LOADED_HIGH))
		return HV_ERR_UNSUPPORTED; /* a zImage, loaded at 0x10000 */
	if (bz->version < 0x020c || !(hv__ld16(p + HV__HDR_XLOADFLAGS) & HV__XLF_KERNEL_64))
		return HV_ERR_UNSUPPORTED;
	bz->relocatable = p[HV__HDR_RELOCATABLE] != 0;
	bz->alignment = hv__ld32(p + HV__HDR_KERNEL_ALIGNMENT);
	if (bz->relocatable && (bz->alignment == 0 || (bz->alignment & (bz->alignment - 1)) != 0))
		return HV_ERR_BAD_IMAGE;
	bz->cmdline_size = hv__ld32(p + HV__HDR_CMDLINE_SIZE);
	bz->initrd_addr_max = hv__ld32(p + HV__HDR_INITRD_ADDR_MAX);
	bz->pref_address = HV__LOW_END;
	bz->init_size = 0;
	if (bz->version >= 0x020a) {
		bz->pref_address = hv__ld64(p + HV__HDR_PREF_ADDRESS);
		bz->init_size = hv__ld32(p + HV__HDR_INIT_SIZE);
		if (bz->init_size == 0 ||
		    (bz->relocatable && (bz->pref_address & (bz->alignment - 1)) != 0) ||
		    bz->pref_address + bz->init_size < bz->pref_address)
			return HV_ERR_BAD_IMAGE;
	}
	return HV_OK;
}

/* Does [gpa, gpa + size) lie in RAM below 4 GiB (the identity map's reach)? */
static hv_status_t hv__check_low4g(const hv_vm_t *vm, uint64_t gpa, uint64_t size)
{
	if (gpa >= HV__4G || size > HV__4G - gpa)
		return HV_ERR_NOT_MAPPED;
	return hv__ld_check(vm, gpa, size, HV__LD_RAM);
}

static void hv__write_page_tables(hv_vm_t *vm)
{
	uint8_t buf[512];
	unsigned i, j;

	hv__memset(buf, 0, sizeof(buf));
	hv__st64(buf, HV__PDPT_GPA | 0x3u);
	hv__ld_write(vm, HV__PML4_GPA, buf, 8);
	hv__ld_zero(vm, HV__PML4_GPA + 8, HV_PAGE_SIZE - 8);
	for (i = 0; i < 4; i++)
		hv__st64(buf + 8 * i, (HV__PD_GPA + i * HV_PAGE_SIZE) | 0x3u);
	hv__ld_write(vm, HV__PDPT_GPA, buf, 32);
	hv__ld_zero(vm, HV__PDPT_GPA + 32, HV_PAGE_SIZE - 32);
	/* 2048 entries of 2 MiB pages (present, writable, PS), 64 at a time. */
	for (i = 0; i < 2048; i += 64) {
		for (j = 0; j < 64; j++)
			hv__st64(buf + 8 * j, ((uint64_t)(i + j) << 21) | 0x83u);
		hv__ld_write(vm, HV__PD_GPA + 8ull * i, buf, sizeof(buf));
	}
}

static hv_status_t hv__load_bzimage(hv_vm_t *vm, hv_vcpu_t *vcpu, const hv_linux_config_t *c,
				    struct hv__linux *l)
{
	const uint8_t *p = c->kernel;
	struct hv__bzimage bz;
	uint64_t load = HV__LOW_END, span, limit;
	uint8_t *bp = l->boot;
	hv_status_t st;
	uint32_t i;

	st = hv__bz_parse(&bz, p, c->kernel_size);
	if (st != HV_OK)
		return st;
	span = bz.pm_size > bz.init_size ? bz.pm_size : bz.init_size;
	if (bz.relocatable && bz.version >= 0x020a && bz.pref_address >= HV__LOW_END &&
	    hv__check_low4g(vm, bz.pref_address, span) == HV_OK)
		load = bz.pref_address;
	else if ((st = hv__check_low4g(vm, load, span)) != HV_OK)
		return st;
	if ((st = hv__ld_check(vm, HV__GDT_GPA, HV__GDT_SIZE, HV__LD_RAM)) != HV_OK ||
	    (st = hv__ld_check(vm, HV__BOOT_GPA, HV__PT_END - HV__BOOT_GPA, HV__LD_RAM)) != HV_OK)
		return st;
	st = hv__check_cmdline(l, vm, c->cmdline, bz.cmdline_size);
	if (st != HV_OK)
		return st;
	hv__busy(l, load, span);
	/* The decompressor moves the kernel to pref_address (LOAD_PHYSICAL_ADDR) if it can. */
	if (bz.version >= 0x020a)
		hv__busy(l, bz.pref_address, bz.init_size);
	limit = bz.initrd_addr_max;
	st = hv__place_initrd(l, c, limit);
	if (st != HV_OK)
		return st;

	/* The zero page: the image's setup header, and what the boot loader fills in. */
	hv__memset(bp, 0, HV__BP_SIZE);
	hv__memcpy(bp + HV__BP_HDR, p + HV__BP_HDR, bz.hdr_end - HV__BP_HDR);
	bp[HV__HDR_TYPE_OF_LOADER] = 0xff;
	bp[HV__HDR_LOADFLAGS] |= HV__CAN_USE_HEAP;
	hv__st16(bp + HV__HDR_HEAP_END_PTR, HV__HEAP_END);
	hv__st32(bp + HV__HDR_CMD_LINE_PTR, HV__CMDLINE_GPA);
	hv__st32(bp + HV__BP_EXT_CMD_LINE_PTR, 0);
	hv__st32(bp + HV__HDR_RAMDISK_IMAGE, (uint32_t)l->info.initrd_gpa);
	hv__st32(bp + HV__HDR_RAMDISK_SIZE, (uint32_t)l->info.initrd_size);
	hv__st32(bp + HV__BP_EXT_RAMDISK_IMAGE, (uint32_t)(l->info.initrd_gpa >> 32));
	hv__st32(bp + HV__BP_EXT_RAMDISK_SIZE, (uint32_t)(l->info.initrd_size >> 32));
	if (bz.hdr_end >= HV__HDR_SETUP_DATA + 8)
		hv__st64(bp + HV__HDR_SETUP_DATA, 0); /* no setup_data list from the image */
	bp[HV__BP_E820_ENTRIES] = (uint8_t)l->map.count;
	for (i = 0; i < l->map.count; i++) {
		uint8_t *e = bp + HV__BP_E820_TABLE + 20 * i;

		hv__st64(e, l->map.e[i].addr);
		hv__st64(e + 8, l->map.e[i].size);
		hv__st32(e + 16, l->map.e[i].type);
	}

	hv__write_common(vm, l, c, 0x00af9b000000ffffull);
	hv__ld_write(vm, HV__BOOT_GPA, bp, HV__BP_SIZE);
	hv__write_page_tables(vm);
	hv__ld_write(vm, load, p + bz.setup_size, bz.pm_size);

	l->info.boot_protocol = bz.version;
	l->info.kernel_gpa = load;
	l->info.kernel_end = load + span;
	l->info.boot_params_gpa = HV__BOOT_GPA;
	l->info.entry = load + 0x200;
	return hv__set_entry(vcpu, true, l->info.entry, 0, HV__BOOT_GPA);
}

/* ---- PVH ----------------------------------------------------------------------------------- */

static hv_status_t hv__pvh_entry(const struct hv__elf *e, uint64_t *entry)
{
	struct hv__elf_seg s;
	const uint8_t *desc;
	uint32_t size, i;
	hv_status_t st;

	st = hv__elf_note(e, "Xen", HV__ELFNOTE_PHYS32_ENTRY, &desc, &size);
	if (st == HV_ERR_NOT_FOUND)
		return HV_ERR_BAD_IMAGE; /* an ELF, but not one that can be started */
	if (st != HV_OK)
		return st;
	if (size == 4)
		*entry = hv__ld32(desc);
	else if (size == 8)
		*entry = hv__ld64(desc);
	else
		return HV_ERR_BAD_IMAGE;
	/* A 32-bit physical entry, inside what is loaded. */
	for (i = 0; i < e->phnum && *entry <= UINT32_MAX; i++) {
		hv__elf_phdr(e, i, &s);
		if (s.type == HV__PT_LOAD && *entry >= s.paddr && *entry - s.paddr < s.memsz)
			return HV_OK;
	}
	return HV_ERR_BAD_IMAGE;
}

static hv_status_t hv__load_pvh(hv_vm_t *vm, hv_vcpu_t *vcpu, const hv_linux_config_t *c,
				struct hv__linux *l)
{
	struct hv__elf e;
	struct hv__elf_seg s;
	uint64_t entry;
	uint8_t *si = l->boot;
	hv_status_t st;
	uint32_t i;

	st = hv__elf_parse(&e, c->kernel, c->kernel_size);
	if (st != HV_OK)
		return st;
	if (e.machine != HV__EM_X86_64 && e.machine != HV__EM_386)
		return HV_ERR_UNSUPPORTED;
	st = hv__pvh_entry(&e, &entry);
	if (st != HV_OK)
		return st;
	if ((st = hv__elf_check_loads(&e, vm, HV__LD_RAM)) != HV_OK ||
	    (st = hv__ld_check(vm, HV__GDT_GPA, HV__GDT_SIZE, HV__LD_RAM)) != HV_OK ||
	    (st = hv__ld_check(vm, HV__BOOT_GPA, HV__PML4_GPA - HV__BOOT_GPA, HV__LD_RAM)) != HV_OK)
		return st;
	st = hv__check_cmdline(l, vm, c->cmdline, HV__CMDLINE_MAX);
	if (st != HV_OK)
		return st;
	for (i = 0; i < e.phnum; i++) {
		hv__elf_phdr(&e, i, &s);
		if (s.type != HV__PT_LOAD)
			continue;
		if (hv__ld_overlap(s.paddr, s.memsz, HV__GDT_GPA, HV__GDT_SIZE) ||
		    hv__ld_overlap(s.paddr, s.memsz, HV__BOOT_GPA, HV__PML4_GPA - HV__BOOT_GPA) ||
		    hv__ld_overlap(s.paddr, s.memsz, HV__CMDLINE_GPA, l->cmdline_len + 1))
			return HV_ERR_RANGE;
	}
	hv__busy(l, e.lo, e.hi - e.lo + 1);
	st = hv__place_initrd(l, c, HV__4G - 1);
	if (st != HV_OK)
		return st;

	/* hvm_start_info, its module list and the memory map (version 1). */
	hv__memset(si, 0, HV__BP_SIZE);
	hv__st32(si + 0x00, HV__PVH_MAGIC);
	hv__st32(si + 0x04, 1);
	if (c->initrd_size != 0) {
		uint8_t *mod = si + (HV__PVH_MODLIST_GPA - HV__BOOT_GPA);

		hv__st32(si + 0x0c, 1);
		hv__st64(si + 0x10, HV__PVH_MODLIST_GPA);
		hv__st64(mod, l->info.initrd_gpa);
		hv__st64(mod + 8, l->info.initrd_size);
	}
	hv__st64(si + 0x18, HV__CMDLINE_GPA);
	hv__st64(si + 0x28, HV__PVH_MEMMAP_GPA);
	hv__st32(si + 0x30, l->map.count);
	for (i = 0; i < l->map.count; i++) {
		uint8_t *m = si + (HV__PVH_MEMMAP_GPA - HV__BOOT_GPA) + 24 * i;

		hv__st64(m, l->map.e[i].addr);
		hv__st64(m + 8, l->map.e[i].size);
		hv__st32(m + 16, l->map.e[i].type);
	}

	hv__elf_load(&e, vm);
	hv__write_common(vm, l, c, 0x00cf9b000000ffffull);
	hv__ld_write(vm, HV__BOOT_GPA, si, HV__BP_SIZE);

	l->info.pvh = true;
	l->info.kernel_gpa = e.lo;
	l->info.kernel_end = e.hi + 1;
	l->info.boot_params_gpa = HV__BOOT_GPA;
	l->info.entry = entry;
	return hv__set_entry(vcpu, false, entry, HV__BOOT_GPA, 0);
}

/* ---- entry point --------------------------------------------------------------------------- */

hv_status_t hv_linux_load(hv_vm_t *vm, const hv_linux_config_t *config, hv_linux_info_t *info)
{
	const uint8_t *k;
	struct hv__linux *l;
	hv_vcpu_t *vcpu;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_linux_config_t) != HV_OK ||
	    (info != NULL && HV__CHECK_STRUCT(info, hv_linux_info_t) != HV_OK))
		return HV_ERR_ABI;
	if (config->kernel == NULL || (config->initrd == NULL && config->initrd_size != 0))
		return HV_ERR_INVALID_ARG;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	vcpu = hv_vcpu_get(vm, config->vcpu_index);
	if (vcpu == NULL)
		return HV_ERR_NOT_FOUND;
	if (vm->backend->arch != HV_ARCH_X86_64)
		return HV_ERR_UNSUPPORTED;

	l = hv__alloc(sizeof(*l));
	if (l == NULL)
		return HV_ERR_NO_MEMORY;
	l->info.struct_size = sizeof(l->info);
	st = hv__e820_build(vm, &l->map);
	if (st == HV_OK) {
		k = config->kernel;
		if (config->kernel_size >= 4 && k[0] == 0x7f && k[1] == 'E' && k[2] == 'L' &&
		    k[3] == 'F')
			st = hv__load_pvh(vm, vcpu, config, l);
		else
			st = hv__load_bzimage(vm, vcpu, config, l);
	}
	if (st == HV_OK && info != NULL)
		*info = l->info;
	hv__free(l, sizeof(*l));
	return st;
}
