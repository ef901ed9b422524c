/* SPDX-License-Identifier: MIT */
/*
 * hv_linux_load() with Debian's kernel as scripts/fetch-guests.sh caches it: a 512 MiB VM on the
 * mock backend gets the real bzImage; the zero page and the registers are checked. Exits 77
 * (skipped, with the reason) when the kernel is not there.
 */
#include "test_support.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MiB (1024ull * 1024)
#define ZP 0x7000u

struct pc {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
};

static void pc_open_top(struct pc *pc, uint64_t top)
{
	pc->vm = ts_vm_new(HV_VM_MANUAL_RUN);
	pc->vcpu = ts_vcpu_new(pc->vm, 0);
	ts_map_ram(pc->vm, 0, 0xa0000);
	ts_map_ram(pc->vm, 0x100000, top - 0x100000);
}

static void pc_close(struct pc *pc)
{
	hv_vm_destroy(pc->vm);
}

static uint64_t rd(struct pc *pc, uint64_t gpa, unsigned n)
{
	uint64_t v = 0;

	assert_int_equal(hv_vm_read(pc->vm, gpa, &v, n), HV_OK);
	return v;
}
#define rd8(pc, gpa) rd(pc, gpa, 1)
#define rd32(pc, gpa) rd(pc, gpa, 4)
#define rd64(pc, gpa) rd(pc, gpa, 8)

static uint64_t reg(struct pc *pc, hv_reg_t r)
{
	uint64_t v = 0;

	assert_int_equal(hv_vcpu_get_reg(pc->vcpu, r, &v), HV_OK);
	return v;
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

/* $HVLIB_VMLINUZ, or the newest kernel in the cache (scripts/fetch-guests.sh --env). */
static const char *vmlinuz_path(char *buf, size_t n)
{
	const char *cache = getenv("HVLIB_CACHE");
	const char *home = getenv("HOME");
	char pattern[512];
	glob_t g;

	if (getenv("HVLIB_VMLINUZ") != NULL)
		return getenv("HVLIB_VMLINUZ");
	if (cache != NULL)
		snprintf(pattern, sizeof(pattern), "%s/guests/linux-image-*/boot/vmlinuz-*", cache);
	else
		snprintf(pattern, sizeof(pattern),
			 "%s/.cache/hvlib/guests/linux-image-*/boot/vmlinuz-*", home ? home : "");
	snprintf(buf, n, "%s", pattern);
	if (glob(pattern, 0, NULL, &g) == 0) {
		if (g.gl_pathc > 0)
			snprintf(buf, n, "%s", g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
	}
	return buf;
}

static void test_linux_loads_debians_bzimage(void **state)
{
	hv_linux_info_t info = HV_LINUX_INFO_INIT;
	static uint8_t initrd[1 << 20];
	char path[512];
	struct pc pc;
	void *k;
	size_t n;
	uint8_t setup_sects;

	(void)state;
	assert_int_equal(hv_file_read(vmlinuz_path(path, sizeof(path)), &k, &n), HV_OK);
	pc_open_top(&pc, 512 * MiB);
	assert_int_equal(load(&pc, k, n, "console=ttyS0 earlyprintk=serial", initrd,
			      sizeof(initrd), &info), HV_OK);
	assert_false(info.pvh);
	assert_true(info.boot_protocol >= 0x020c);
	assert_int_equal(info.kernel_gpa, 16 * MiB); /* LOAD_PHYSICAL_ADDR */
	assert_true(info.kernel_end > info.kernel_gpa + n / 2);
	assert_true(info.initrd_gpa >= info.kernel_end);
	assert_int_equal(info.initrd_gpa + sizeof(initrd), 512 * MiB);
	assert_int_equal(rd32(&pc, ZP + 0x202), 0x53726448);
	assert_int_equal(rd8(&pc, ZP + 0x210), 0xff);
	assert_int_equal(rd32(&pc, ZP + 0x218), (uint32_t)info.initrd_gpa);
	assert_int_equal(rd8(&pc, ZP + 0x1e8), 3);
	assert_int_equal(reg(&pc, HV_X86_RIP), info.kernel_gpa + 0x200);
	assert_int_equal(reg(&pc, HV_X86_RSI), ZP);
	/* The kernel's first bytes are the image's past the setup code. */
	setup_sects = ((uint8_t *)k)[0x1f1];
	assert_int_equal(rd64(&pc, info.kernel_gpa),
			 *(uint64_t *)((uint8_t *)k + (setup_sects + 1) * 512));
	pc_close(&pc);
	hv_file_free(k, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_linux_loads_debians_bzimage),
	};
	char buf[512];
	const char *path = vmlinuz_path(buf, sizeof(buf));

	if (access(path, R_OK) != 0) {
		printf("SKIP: %s not found (scripts/fetch-guests.sh fetches it)\n", path);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
