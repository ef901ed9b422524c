/* SPDX-License-Identifier: MIT */
/* hv_linux_load(): synthetic bzImages and PVH vmlinux images, and Debian's real kernel. */
#include "test_support.h"

#include <stdlib.h>

#define MiB (1024ull * 1024)
#define RAM_TOP (64 * MiB)
#define ZP 0x7000u
#define CMDLINE_GPA 0x20000u

/* ---- a PC-like VM: RAM [0, 0xA0000) + [1 MiB, top), ROM at 0xE0000 ---------------------- */

struct pc {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
};

static void pc_open_top(struct pc *pc, uint64_t top)
{
	hv_region_config_t rom = HV_REGION_CONFIG_INIT;

	pc->vm = ts_vm_new(HV_VM_MANUAL_RUN);
	pc->vcpu = ts_vcpu_new(pc->vm, 0);
	ts_map_ram(pc->vm, 0, 0xa0000);
	ts_map_ram(pc->vm, 0x100000, top - 0x100000);
	rom.type = HV_REGION_ROM;
	rom.gpa = 0xe0000;
	rom.size = 0x20000;
	assert_int_equal(hv_vm_map_region(pc->vm, &rom, NULL), HV_OK);
}

static void pc_open(struct pc *pc)
{
	pc_open_top(pc, RAM_TOP);
}

static void pc_close(struct pc *pc)
{
	hv_vm_destroy(pc->vm);
}

static uint8_t rd8(struct pc *pc, uint64_t gpa)
{
	uint8_t v;

	assert_int_equal(hv_vm_read(pc->vm, gpa, &v, 1), HV_OK);
	return v;
}

static uint16_t rd16(struct pc *pc, uint64_t gpa)
{
	uint16_t v;

	assert_int_equal(hv_vm_read(pc->vm, gpa, &v, 2), HV_OK);
	return v;
}

static uint32_t rd32(struct pc *pc, uint64_t gpa)
{
	uint32_t v;

	assert_int_equal(hv_vm_read(pc->vm, gpa, &v, 4), HV_OK);
	return v;
}

static uint64_t rd64(struct pc *pc, uint64_t gpa)
{
	uint64_t v;

	assert_int_equal(hv_vm_read(pc->vm, gpa, &v, 8), HV_OK);
	return v;
}

static uint64_t reg(struct pc *pc, hv_reg_t r)
{
	uint64_t v = 0;

	assert_int_equal(hv_vcpu_get_reg(pc->vcpu, r, &v), HV_OK);
	return v;
}

static bool all_zero(struct pc *pc, uint64_t gpa, size_t n)
{
	uint8_t buf[16384];
	size_t i;

	assert_true(n <= sizeof(buf));
	assert_int_equal(hv_vm_read(pc->vm, gpa, buf, n), HV_OK);
	for (i = 0; i < n; i++)
		if (buf[i] != 0)
			return false;
	return true;
}

/* ---- a synthetic bzImage -------------------------------------------------------------------- */

#define HDR_END 0x268u

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

struct bz {
	uint8_t *img;
	size_t size;
	size_t setup;
};

static void bz_make(struct bz *bz, unsigned setup_sects, size_t payload)
{
	unsigned sects = setup_sects ? setup_sects : 4;
	size_t i;

	bz->setup = (sects + 1) * 512;
	bz->size = bz->setup + payload;
	bz->img = calloc(1, bz->size);
	assert_non_null(bz->img);
	bz->img[0x1f1] = (uint8_t)setup_sects;
	put32(bz->img + 0x1f4, (uint32_t)(payload / 16)); /* syssize */
	put16(bz->img + 0x1fe, 0xaa55);
	bz->img[0x200] = 0xeb;
	bz->img[0x201] = HDR_END - 0x202;
	memcpy(bz->img + 0x202, "HdrS", 4);
	put16(bz->img + 0x206, 0x020f);
	bz->img[0x211] = 0x01;            /* LOADED_HIGH */
	put32(bz->img + 0x22c, 0x7fffffff); /* initrd_addr_max */
	put32(bz->img + 0x230, 0x200000);   /* kernel_alignment */
	bz->img[0x234] = 1;                 /* relocatable */
	put16(bz->img + 0x236, 0x3);        /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put32(bz->img + 0x238, 2047);       /* cmdline_size */
	put64(bz->img + 0x250, 0xdeadbeef); /* setup_data: the loader must clear it */
	put64(bz->img + 0x258, 16 * MiB);   /* pref_address */
	put32(bz->img + 0x260, 8 * MiB);    /* init_size */
	for (i = bz->setup; i < bz->size; i++)
		bz->img[i] = (uint8_t)(i * 7 + 1);
}

static void bz_free(struct bz *bz)
{
	free(bz->img);
}

static hv_status_t load(struct pc *pc, const void *k, size_t n, const char *cmdline,
			const void *initrd, size_t initrd_size, hv_linux_info_t *info)
{
	hv_linux_config_t c = HV_LINUX_CONFIG_INIT;

	c.kernel = k;
	c.kernel_size = n;
	c.cmdline = cmdline;
	c.initrd = initrd;
	c.initrd_size = initrd_size;
	return hv_linux_load(pc->vm, &c, info);
}

static void test_linux_bzimage_loads_at_pref_address_with_a_zero_page(void **state)
{
	struct pc pc;
	struct bz bz;
	hv_linux_info_t info = HV_LINUX_INFO_INIT;
	static uint8_t initrd[10000];
	uint8_t buf[4096];
	char cl[32];

	(void)state;
	memset(initrd, 0x5a, sizeof(initrd));
	pc_open(&pc);
	bz_make(&bz, 0, 8192);
	assert_int_equal(load(&pc, bz.img, bz.size, "console=ttyS0", initrd, sizeof(initrd), &info),
			 HV_OK);
	assert_false(info.pvh);
	assert_int_equal(info.boot_protocol, 0x020f);
	assert_int_equal(info.kernel_gpa, 16 * MiB);
	assert_int_equal(info.kernel_end, 24 * MiB);
	assert_int_equal(info.entry, 16 * MiB + 0x200);
	assert_int_equal(info.boot_params_gpa, ZP);
	assert_int_equal(info.cmdline_gpa, CMDLINE_GPA);
	/* The protected-mode kernel, byte for byte. */
	assert_int_equal(hv_vm_read(pc.vm, 16 * MiB, buf, 4096), HV_OK);
	assert_memory_equal(buf, bz.img + bz.setup, 4096);
	/* The zero page: the image's header, then the loader's fields. */
	assert_int_equal(rd16(&pc, ZP + 0x1fe), 0xaa55);
	assert_int_equal(rd32(&pc, ZP + 0x202), 0x53726448);
	assert_int_equal(rd16(&pc, ZP + 0x206), 0x020f);
	assert_int_equal(rd32(&pc, ZP + 0x230), 0x200000);
	assert_int_equal(rd8(&pc, ZP + 0x210), 0xff);
	assert_int_equal(rd8(&pc, ZP + 0x211), 0x81);
	assert_int_equal(rd16(&pc, ZP + 0x224), 0xfe00);
	assert_int_equal(rd32(&pc, ZP + 0x228), CMDLINE_GPA);
	assert_int_equal(rd32(&pc, ZP + 0xc8), 0);
	assert_int_equal(rd64(&pc, ZP + 0x250), 0);
	assert_int_equal(rd8(&pc, ZP + 0x268), 0); /* nothing past the header */
	assert_int_equal(hv_vm_read(pc.vm, CMDLINE_GPA, cl, 14), HV_OK);
	assert_string_equal(cl, "console=ttyS0");
	/* The initrd: high, page-aligned, below RAM's top, copied. */
	assert_int_equal(info.initrd_size, sizeof(initrd));
	assert_int_equal(info.initrd_gpa, (RAM_TOP - sizeof(initrd)) & ~0xfffull);
	assert_int_equal(rd32(&pc, ZP + 0x218), (uint32_t)info.initrd_gpa);
	assert_int_equal(rd32(&pc, ZP + 0x21c), sizeof(initrd));
	assert_int_equal(rd32(&pc, ZP + 0xc0), 0);
	assert_int_equal(rd32(&pc, ZP + 0xc4), 0);
	assert_int_equal(hv_vm_read(pc.vm, info.initrd_gpa, buf, 4096), HV_OK);
	assert_memory_equal(buf, initrd, 4096);
	/* A GDT with flat 64-bit __BOOT_CS and __BOOT_DS, and a TSS. */
	assert_int_equal(rd64(&pc, 0x500 + 0x10), 0x00af9b000000ffffull);
	assert_int_equal(rd64(&pc, 0x500 + 0x18), 0x00cf93000000ffffull);
	assert_int_equal(rd64(&pc, 0x500 + 0x20), 0x00008b0000000067ull);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_e820_is_the_memory_map_with_the_legacy_area_reserved(void **state)
{
	struct pc pc;
	struct bz bz;

	(void)state;
	pc_open(&pc);
	bz_make(&bz, 8, 4096);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_OK);
	assert_int_equal(rd8(&pc, ZP + 0x1e8), 3);
	assert_int_equal(rd64(&pc, ZP + 0x2d0), 0);
	assert_int_equal(rd64(&pc, ZP + 0x2d0 + 8), 0x9fc00);
	assert_int_equal(rd32(&pc, ZP + 0x2d0 + 16), 1);
	assert_int_equal(rd64(&pc, ZP + 0x2e4), 0x9fc00);
	assert_int_equal(rd64(&pc, ZP + 0x2e4 + 8), 0x100000 - 0x9fc00);
	assert_int_equal(rd32(&pc, ZP + 0x2e4 + 16), 2);
	assert_int_equal(rd64(&pc, ZP + 0x2f8), 0x100000);
	assert_int_equal(rd64(&pc, ZP + 0x2f8 + 8), RAM_TOP - 0x100000);
	assert_int_equal(rd32(&pc, ZP + 0x2f8 + 16), 1);
	assert_true(all_zero(&pc, ZP + 0x30c, 20));
	/* No command line given: an empty one. */
	assert_int_equal(rd8(&pc, CMDLINE_GPA), 0);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_e820_merges_ram_and_reports_other_regions_reserved(void **state)
{
	hv_region_config_t rc = HV_REGION_CONFIG_INIT;
	struct pc pc;
	struct bz bz;
	hv_shm_t *shm;

	(void)state;
	/* RAM in two adjacent pieces ending below the EBDA's page: no legacy area. */
	pc.vm = ts_vm_new(0);
	pc.vcpu = ts_vcpu_new(pc.vm, 0);
	ts_map_ram(pc.vm, 0, 0x80000);
	ts_map_ram(pc.vm, 0x80000, 0x1f000);
	ts_map_ram(pc.vm, 0x100000, 31 * MiB);
	ts_map_ram(pc.vm, 32 * MiB, 32 * MiB);
	assert_int_equal(hv_shm_create(0x2000, &shm), HV_OK);
	rc.type = HV_REGION_SHARED;
	rc.shm = shm;
	rc.gpa = 0x80000000;
	rc.size = 0x2000;
	assert_int_equal(hv_vm_map_region(pc.vm, &rc, NULL), HV_OK);
	bz_make(&bz, 4, 4096);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_OK);
	assert_int_equal(rd8(&pc, ZP + 0x1e8), 3);
	assert_int_equal(rd64(&pc, ZP + 0x2d0 + 8), 0x9f000);
	assert_int_equal(rd64(&pc, ZP + 0x2e4), 0x100000);
	assert_int_equal(rd64(&pc, ZP + 0x2e4 + 8), 63 * MiB);
	assert_int_equal(rd64(&pc, ZP + 0x2f8), 0x80000000);
	assert_int_equal(rd32(&pc, ZP + 0x2f8 + 16), 2);
	bz_free(&bz);
	pc_close(&pc);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_linux_e820_beyond_128_entries_is_a_limit(void **state)
{
	hv_region_config_t rom = HV_REGION_CONFIG_INIT;
	struct pc pc;
	struct bz bz;
	unsigned i;

	(void)state;
	mock_knobs.max_regions = 200;
	pc_open(&pc);
	rom.type = HV_REGION_ROM;
	rom.size = 0x1000;
	/* ROM, hole, ROM...: 3 + 125 entries fit, one more does not. */
	for (i = 0; i < 125; i++) {
		rom.gpa = 0x100000000ull + 0x2000ull * i;
		assert_int_equal(hv_vm_map_region(pc.vm, &rom, NULL), HV_OK);
	}
	bz_make(&bz, 4, 4096);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_OK);
	assert_int_equal(rd8(&pc, ZP + 0x1e8), 128);
	/* Adjacent to the last: merged, still 128. */
	rom.gpa = 0x100000000ull + 0x2000ull * 124 + 0x1000;
	assert_int_equal(hv_vm_map_region(pc.vm, &rom, NULL), HV_OK);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_OK);
	rom.gpa = 0x200000000ull;
	assert_int_equal(hv_vm_map_region(pc.vm, &rom, NULL), HV_OK);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_LIMIT);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_bzimage_sets_the_64bit_entry_state(void **state)
{
	struct pc pc;
	struct bz bz;
	hv_reg_t seg;
	unsigned s;

	(void)state;
	pc_open(&pc);
	bz_make(&bz, 0, 4096);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_OK);
	assert_int_equal(reg(&pc, HV_X86_RIP), 16 * MiB + 0x200);
	assert_int_equal(reg(&pc, HV_X86_RSI), ZP);
	assert_int_equal(reg(&pc, HV_X86_RFLAGS), 0x2);
	assert_int_equal(reg(&pc, HV_X86_CR0), 0x80050033);
	assert_int_equal(reg(&pc, HV_X86_CR3), 0x9000);
	assert_int_equal(reg(&pc, HV_X86_CR4), 0x20);
	assert_int_equal(reg(&pc, HV_X86_EFER), 0x500);
	assert_int_equal(reg(&pc, HV_X86_GDTR_BASE), 0x500);
	assert_int_equal(reg(&pc, HV_X86_GDTR_LIMIT), 0x2f);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR)), 0x10);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE)), 0);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_LIMIT)), 0xffffffff);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_ATTR)), 0xa09b);
	for (s = 0; s <= HV_X86_GS; s++) {
		if (s == HV_X86_CS)
			continue;
		seg = s;
		assert_int_equal(reg(&pc, HV_X86_SEG(seg, HV_X86_SEG_SELECTOR)), 0x18);
		assert_int_equal(reg(&pc, HV_X86_SEG(seg, HV_X86_SEG_LIMIT)), 0xffffffff);
		assert_int_equal(reg(&pc, HV_X86_SEG(seg, HV_X86_SEG_ATTR)), 0xc093);
	}
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_TR, HV_X86_SEG_SELECTOR)), 0x20);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_TR, HV_X86_SEG_LIMIT)), 0x67);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_TR, HV_X86_SEG_ATTR)), 0x8b);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_LDTR, HV_X86_SEG_ATTR)), 0x10000);
	/* Identity map: PML4 -> PDPT -> 4 PDs of 2 MiB pages covering 4 GiB. */
	assert_int_equal(rd64(&pc, 0x9000), 0xa003);
	assert_int_equal(rd64(&pc, 0x9008), 0);
	assert_int_equal(rd64(&pc, 0xa000), 0xb003);
	assert_int_equal(rd64(&pc, 0xa018), 0xe003);
	assert_int_equal(rd64(&pc, 0xb000), 0x83);
	assert_int_equal(rd64(&pc, 0xb008), 0x200083);
	assert_int_equal(rd64(&pc, 0xeff8), 0xffe00083);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_bzimage_falls_back_to_1mib_when_pref_address_does_not_fit(void **state)
{
	struct pc pc;
	struct bz bz;
	hv_linux_info_t info = HV_LINUX_INFO_INIT;

	(void)state;
	pc_open_top(&pc, 20 * MiB);
	bz_make(&bz, 0, 4096);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, &info), HV_OK);
	assert_int_equal(info.kernel_gpa, 0x100000);
	assert_int_equal(info.entry, 0x100200);
	assert_int_equal(reg(&pc, HV_X86_RIP), 0x100200);
	bz_free(&bz);
	pc_close(&pc);
	/* Not relocatable: 1 MiB even with room at pref_address. */
	pc_open(&pc);
	bz_make(&bz, 0, 4096);
	bz.img[0x234] = 0;
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, &info), HV_OK);
	assert_int_equal(info.kernel_gpa, 0x100000);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_initrd_goes_high_below_its_limit_and_clear_of_the_kernel(void **state)
{
	struct pc pc;
	struct bz bz;
	hv_linux_info_t info = HV_LINUX_INFO_INIT;
	static uint8_t initrd[3 * 1024 * 1024];

	(void)state;
	pc_open(&pc);
	bz_make(&bz, 0, 4096);
	put32(bz.img + 0x22c, 20 * MiB - 1); /* initrd_addr_max inside the kernel's memory */
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, initrd, sizeof(initrd), &info), HV_OK);
	assert_int_equal(info.initrd_gpa, 13 * MiB); /* just below the kernel at 16 MiB */
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_initrd_that_does_not_fit_is_a_range_error(void **state)
{
	struct pc pc;
	struct bz bz;
	uint8_t *initrd = calloc(1, 41 * MiB);

	(void)state;
	assert_non_null(initrd);
	pc_open(&pc);
	bz_make(&bz, 0, 4096);
	/* 40 MiB fit above the kernel (24..64 MiB), 41 do not fit anywhere. */
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, initrd, 40 * MiB, NULL), HV_OK);
	memset(initrd, 0, 4096);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, initrd, 41 * MiB, NULL), HV_ERR_RANGE);
	put32(bz.img + 0x22c, 0xfffff); /* initrd_addr_max below 1 MiB */
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, initrd, 4096, NULL), HV_ERR_RANGE);
	bz_free(&bz);
	pc_close(&pc);
	free(initrd);
}

static void test_linux_cmdline_longer_than_cmdline_size_is_a_range_error(void **state)
{
	struct pc pc;
	struct bz bz;
	char cl[2049];

	(void)state;
	pc_open(&pc);
	bz_make(&bz, 0, 4096);
	memset(cl, 'x', sizeof(cl) - 1);
	cl[2048] = '\0';
	assert_int_equal(load(&pc, bz.img, bz.size, cl, NULL, 0, NULL), HV_ERR_RANGE);
	assert_true(all_zero(&pc, ZP, 4096));
	cl[2047] = '\0';
	assert_int_equal(load(&pc, bz.img, bz.size, cl, NULL, 0, NULL), HV_OK);
	assert_int_equal(rd8(&pc, CMDLINE_GPA + 2046), 'x');
	assert_int_equal(rd8(&pc, CMDLINE_GPA + 2047), 0);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_truncated_bzimage_at_every_length_is_a_bad_image(void **state)
{
	struct pc pc;
	struct bz bz;
	size_t n;

	(void)state;
	pc_open(&pc);
	bz_make(&bz, 0, 16);
	/* Every length short of setup code + syssize paragraphs: a truncated kernel. */
	for (n = 0; n < bz.size; n++)
		assert_int_equal(load(&pc, bz.img, n, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	assert_true(all_zero(&pc, ZP, 4096));
	assert_true(all_zero(&pc, 0x500, 64));
	assert_true(all_zero(&pc, 16 * MiB, 64));
	assert_int_equal(reg(&pc, HV_X86_RIP), 0xfff0); /* the reset state, untouched */
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_OK);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_inconsistent_bzimage_headers_are_bad_images(void **state)
{
	struct pc pc;
	struct bz bz;
	struct {
		size_t off;
		unsigned width;
		uint64_t value;
	} const cases[] = {
		{ 0x1fe, 2, 0x55aa },          /* boot_flag */
		{ 0x202, 4, 0x53726447 },      /* "HdrS" */
		{ 0x200, 1, 0xe9 },            /* not a short jump */
		{ 0x201, 1, 0x290 - 0x202 + 1 }, /* header past 0x290 */
		{ 0x201, 1, 0x264 - 0x202 - 1 }, /* header without init_size */
		{ 0x1f1, 1, 200 },             /* setup code past the image */
		{ 0x1f4, 4, 0 },               /* syssize 0 */
		{ 0x1f4, 4, 4096 / 16 + 1 },   /* syssize past the image */
		{ 0x230, 4, 0x300000 },        /* kernel_alignment not a power of two */
		{ 0x230, 4, 0 },
		{ 0x258, 8, 16 * MiB + 0x1000 }, /* pref_address misaligned */
		{ 0x258, 8, UINT64_MAX - 0xfffff }, /* pref_address + init_size wraps */
		{ 0x260, 4, 0 },               /* init_size */
	};
	size_t i;

	(void)state;
	pc_open(&pc);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bz_make(&bz, 0, 4096);
		if (cases[i].off == 0x258 && cases[i].value > 32 * MiB)
			put32(bz.img + 0x230, 0x100000);
		memcpy(bz.img + cases[i].off, &cases[i].value, cases[i].width);
		assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
		bz_free(&bz);
	}
	/* Neither a bzImage nor an ELF. */
	assert_int_equal(load(&pc, "garbage", 7, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	assert_true(all_zero(&pc, ZP, 4096));
	pc_close(&pc);
}

static void test_linux_kernels_without_the_64bit_entry_are_unsupported(void **state)
{
	struct pc pc;
	struct bz bz;

	(void)state;
	pc_open(&pc);
	bz_make(&bz, 0, 4096);
	put16(bz.img + 0x236, 0x2); /* no XLF_KERNEL_64 */
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_UNSUPPORTED);
	put16(bz.img + 0x236, 0x1);
	put16(bz.img + 0x206, 0x020b); /* no xloadflags at all */
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_UNSUPPORTED);
	put16(bz.img + 0x206, 0x0205);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_UNSUPPORTED);
	put16(bz.img + 0x206, 0x020f);
	bz.img[0x211] = 0; /* a zImage */
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_UNSUPPORTED);
	bz_free(&bz);
	pc_close(&pc);
}

static void test_linux_kernel_or_boot_area_outside_ram_is_not_mapped(void **state)
{
	struct pc pc;
	struct bz bz;

	(void)state;
	bz_make(&bz, 0, 4096);
	/* RAM below 1 MiB only: no room for the kernel. */
	pc.vm = ts_vm_new(0);
	pc.vcpu = ts_vcpu_new(pc.vm, 0);
	ts_map_ram(pc.vm, 0, 0xa0000);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_NOT_MAPPED);
	pc_close(&pc);
	/* RAM from 1 MiB only: no room for the zero page. */
	pc.vm = ts_vm_new(0);
	pc.vcpu = ts_vcpu_new(pc.vm, 0);
	ts_map_ram(pc.vm, 0x100000, 63 * MiB);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_NOT_MAPPED);
	pc_close(&pc);
	/* RAM up to 0x20000 only: no room for the command line. */
	pc.vm = ts_vm_new(0);
	pc.vcpu = ts_vcpu_new(pc.vm, 0);
	ts_map_ram(pc.vm, 0, 0x20000);
	ts_map_ram(pc.vm, 0x100000, 63 * MiB);
	assert_int_equal(load(&pc, bz.img, bz.size, NULL, NULL, 0, NULL), HV_ERR_NOT_MAPPED);
	pc_close(&pc);
	bz_free(&bz);
}

static void test_linux_load_checks_its_arguments_and_the_vm(void **state)
{
	hv_linux_config_t c = HV_LINUX_CONFIG_INIT;
	hv_linux_info_t info = HV_LINUX_INFO_INIT;
	struct pc pc;
	struct bz bz;

	(void)state;
	pc_open(&pc);
	bz_make(&bz, 0, 4096);
	c.kernel = bz.img;
	c.kernel_size = bz.size;
	assert_int_equal(hv_linux_load(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_linux_load(pc.vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.kernel = NULL;
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.kernel = bz.img;
	c.initrd_size = 1;
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.initrd_size = 0;
	c.struct_size--;
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_ERR_ABI);
	c.struct_size++;
	info.struct_size = 4;
	assert_int_equal(hv_linux_load(pc.vm, &c, &info), HV_ERR_ABI);
	assert_int_equal(info.kernel_gpa, 0); /* written only on success */
	c.vcpu_index = 1;
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_ERR_NOT_FOUND);
	c.vcpu_index = 0;
	assert_int_equal(hv_vm_start(pc.vm), HV_OK);
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_ERR_STATE);
	assert_int_equal(hv_vm_stop(pc.vm), HV_OK);
	assert_int_equal(hv_vm_wait(pc.vm, NULL), HV_OK);
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_OK);
	/* A refused register batch is reported. */
	mock_knobs.set_regs_status = HV_ERR_BACKEND;
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_ERR_BACKEND);
	mock_knobs.set_regs_status = HV_OK;
	tp_fail_alloc_at(1);
	assert_int_equal(hv_linux_load(pc.vm, &c, NULL), HV_ERR_NO_MEMORY);
	tp_fail_alloc_at(0);
	bz_free(&bz);
	pc_close(&pc);
}

/* ---- a synthetic PVH vmlinux ---------------------------------------------------------------- */

#define PVH_PADDR (16 * MiB)
#define PVH_FILESZ 0x100u
#define PVH_MEMSZ 0x3000u
#define PVH_ENTRY (PVH_PADDR + 0x40)
#define PH_OFF 64u
#define NOTE_OFF (64u + 2 * 56u)
#define SEG_OFF 0x200u

struct elf {
	uint8_t img[SEG_OFF + PVH_FILESZ];
	size_t size;
};

static void elf_make(struct elf *e, unsigned desc_size)
{
	uint8_t *p = e->img, *ph, *n;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->size = sizeof(e->img);
	memcpy(p, "\x7f" "ELF", 4);
	p[4] = 2;
	p[5] = 1;
	p[6] = 1;
	put16(p + 16, 2);
	put16(p + 18, 62);
	put32(p + 20, 1);
	put64(p + 24, 0xffffffff81000000ull);
	put64(p + 32, PH_OFF);
	put16(p + 52, 64);
	put16(p + 54, 56);
	put16(p + 56, 2);
	ph = p + PH_OFF;
	put32(ph, 1); /* PT_LOAD */
	put64(ph + 8, SEG_OFF);
	put64(ph + 16, 0xffffffff81000000ull);
	put64(ph + 24, PVH_PADDR);
	put64(ph + 32, PVH_FILESZ);
	put64(ph + 40, PVH_MEMSZ);
	ph += 56;
	put32(ph, 4); /* PT_NOTE */
	put64(ph + 8, NOTE_OFF);
	put64(ph + 32, 12 + 4 + desc_size);
	put64(ph + 48, 4);
	n = p + NOTE_OFF;
	put32(n, 4);
	put32(n + 4, desc_size);
	put32(n + 8, 18);
	memcpy(n + 12, "Xen", 4);
	put64(n + 16, PVH_ENTRY);
	for (i = 0; i < PVH_FILESZ; i++)
		p[SEG_OFF + i] = (uint8_t)(0xc0 + i);
}

static void test_linux_pvh_loads_segments_and_builds_hvm_start_info(void **state)
{
	struct pc pc;
	struct elf e;
	hv_linux_info_t info = HV_LINUX_INFO_INIT;
	static uint8_t initrd[8192];
	uint8_t buf[PVH_FILESZ];
	char cl[8];

	(void)state;
	pc_open(&pc);
	elf_make(&e, 8);
	memset(initrd, 0x77, sizeof(initrd));
	assert_int_equal(hv_vm_write(pc.vm, PVH_PADDR + PVH_FILESZ, "junk", 4), HV_OK);
	assert_int_equal(load(&pc, e.img, e.size, "quiet", initrd, sizeof(initrd), &info), HV_OK);
	assert_true(info.pvh);
	assert_int_equal(info.boot_protocol, 0);
	assert_int_equal(info.kernel_gpa, PVH_PADDR);
	assert_int_equal(info.kernel_end, PVH_PADDR + PVH_MEMSZ);
	assert_int_equal(info.entry, PVH_ENTRY);
	assert_int_equal(info.boot_params_gpa, ZP);
	assert_int_equal(info.initrd_gpa, RAM_TOP - sizeof(initrd));
	assert_int_equal(hv_vm_read(pc.vm, PVH_PADDR, buf, sizeof(buf)), HV_OK);
	assert_memory_equal(buf, e.img + SEG_OFF, sizeof(buf));
	assert_true(all_zero(&pc, PVH_PADDR + PVH_FILESZ, PVH_MEMSZ - PVH_FILESZ));
	/* hvm_start_info version 1. */
	assert_int_equal(rd32(&pc, ZP), 0x336ec578);
	assert_int_equal(rd32(&pc, ZP + 4), 1);
	assert_int_equal(rd32(&pc, ZP + 8), 0);
	assert_int_equal(rd32(&pc, ZP + 0xc), 1);
	assert_int_equal(rd64(&pc, ZP + 0x18), CMDLINE_GPA);
	assert_int_equal(rd64(&pc, ZP + 0x20), 0);
	assert_int_equal(rd32(&pc, ZP + 0x30), 3);
	/* The module list: the initrd. */
	assert_int_equal(rd64(&pc, rd64(&pc, ZP + 0x10)), info.initrd_gpa);
	assert_int_equal(rd64(&pc, rd64(&pc, ZP + 0x10) + 8), sizeof(initrd));
	/* The memory map: as for a bzImage, 24-byte entries. */
	assert_int_equal(rd64(&pc, rd64(&pc, ZP + 0x28) + 8), 0x9fc00);
	assert_int_equal(rd32(&pc, rd64(&pc, ZP + 0x28) + 16), 1);
	assert_int_equal(rd64(&pc, rd64(&pc, ZP + 0x28) + 24), 0x9fc00);
	assert_int_equal(rd32(&pc, rd64(&pc, ZP + 0x28) + 24 + 16), 2);
	assert_int_equal(rd64(&pc, rd64(&pc, ZP + 0x28) + 48), 0x100000);
	assert_int_equal(rd64(&pc, rd64(&pc, ZP + 0x28) + 48 + 8), RAM_TOP - 0x100000);
	assert_int_equal(hv_vm_read(pc.vm, CMDLINE_GPA, cl, 6), HV_OK);
	assert_string_equal(cl, "quiet");
	/* 32-bit protected mode, no paging, EBX at the start info. */
	assert_int_equal(reg(&pc, HV_X86_RIP), PVH_ENTRY);
	assert_int_equal(reg(&pc, HV_X86_RBX), ZP);
	assert_int_equal(reg(&pc, HV_X86_CR0), 0x11);
	assert_int_equal(reg(&pc, HV_X86_CR4), 0);
	assert_int_equal(reg(&pc, HV_X86_EFER), 0);
	assert_int_equal(reg(&pc, HV_X86_RFLAGS), 2);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR)), 0x10);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_LIMIT)), 0xffffffff);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_ATTR)), 0xc09b);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_SS, HV_X86_SEG_ATTR)), 0xc093);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_DS, HV_X86_SEG_SELECTOR)), 0x18);
	assert_int_equal(reg(&pc, HV_X86_SEG(HV_X86_TR, HV_X86_SEG_ATTR)), 0x8b);
	assert_int_equal(rd64(&pc, 0x500 + 0x10), 0x00cf9b000000ffffull);
	pc_close(&pc);
	/* A 4-byte descriptor (32-bit builds) and no initrd. */
	pc_open(&pc);
	elf_make(&e, 4);
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, &info), HV_OK);
	assert_int_equal(info.entry, PVH_ENTRY);
	assert_int_equal(rd32(&pc, ZP + 0xc), 0);
	assert_int_equal(rd64(&pc, ZP + 0x10), 0);
	pc_close(&pc);
}

static void test_linux_truncated_pvh_image_at_every_length_is_a_bad_image(void **state)
{
	struct pc pc;
	struct elf e;
	size_t n;

	(void)state;
	pc_open(&pc);
	elf_make(&e, 8);
	for (n = 0; n < e.size; n++)
		assert_int_equal(load(&pc, e.img, n, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	assert_true(all_zero(&pc, PVH_PADDR, 64));
	assert_true(all_zero(&pc, ZP, 64));
	pc_close(&pc);
}

static void test_linux_inconsistent_pvh_images_are_refused(void **state)
{
	struct pc pc;
	struct elf e;

	(void)state;
	pc_open(&pc);
	elf_make(&e, 8);
	put32(e.img + NOTE_OFF + 8, 17); /* no PHYS32_ENTRY note */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	elf_make(&e, 2);                  /* a descriptor of neither 4 nor 8 bytes */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	elf_make(&e, 8);
	put32(e.img + NOTE_OFF + 4, 0xfffffff0); /* descriptor past the segment */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	elf_make(&e, 8);
	put64(e.img + NOTE_OFF + 16, PVH_PADDR + PVH_MEMSZ); /* entry outside the kernel */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	elf_make(&e, 8);
	put64(e.img + NOTE_OFF + 16, 0x100000000ull + PVH_ENTRY); /* not a 32-bit entry */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	elf_make(&e, 8);
	put64(e.img + PH_OFF + 8, UINT64_MAX - 0x10); /* p_offset + p_filesz overflows */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	elf_make(&e, 8);
	put64(e.img + PH_OFF + 40, PVH_FILESZ - 1); /* p_memsz < p_filesz */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_BAD_IMAGE);
	elf_make(&e, 8);
	put16(e.img + 18, 183); /* EM_AARCH64 */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_UNSUPPORTED);
	elf_make(&e, 8);
	put64(e.img + PH_OFF + 40, RAM_TOP); /* beyond RAM */
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_NOT_MAPPED);
	elf_make(&e, 8);
	put64(e.img + PH_OFF + 24, 0x6000); /* over the start info at 0x7000 */
	put64(e.img + NOTE_OFF + 16, 0x6000);
	assert_int_equal(load(&pc, e.img, e.size, NULL, NULL, 0, NULL), HV_ERR_RANGE);
	assert_true(all_zero(&pc, ZP, 4096));
	assert_true(all_zero(&pc, PVH_PADDR, 64));
	pc_close(&pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_linux_bzimage_loads_at_pref_address_with_a_zero_page),
		TS_TEST(test_linux_e820_is_the_memory_map_with_the_legacy_area_reserved),
		TS_TEST(test_linux_e820_merges_ram_and_reports_other_regions_reserved),
		TS_TEST(test_linux_e820_beyond_128_entries_is_a_limit),
		TS_TEST(test_linux_bzimage_sets_the_64bit_entry_state),
		TS_TEST(test_linux_bzimage_falls_back_to_1mib_when_pref_address_does_not_fit),
		TS_TEST(test_linux_initrd_goes_high_below_its_limit_and_clear_of_the_kernel),
		TS_TEST(test_linux_initrd_that_does_not_fit_is_a_range_error),
		TS_TEST(test_linux_cmdline_longer_than_cmdline_size_is_a_range_error),
		TS_TEST(test_linux_truncated_bzimage_at_every_length_is_a_bad_image),
		TS_TEST(test_linux_inconsistent_bzimage_headers_are_bad_images),
		TS_TEST(test_linux_kernels_without_the_64bit_entry_are_unsupported),
		TS_TEST(test_linux_kernel_or_boot_area_outside_ram_is_not_mapped),
		TS_TEST(test_linux_load_checks_its_arguments_and_the_vm),
		TS_TEST(test_linux_pvh_loads_segments_and_builds_hvm_start_info),
		TS_TEST(test_linux_truncated_pvh_image_at_every_length_is_a_bad_image),
		TS_TEST(test_linux_inconsistent_pvh_images_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
