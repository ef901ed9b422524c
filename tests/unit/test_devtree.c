/* SPDX-License-Identifier: MIT */
/*
 * hv_arm64_fdt_describe() and hv_arm64_fdt_write(): a VM's definition read into a description,
 * and the blob libfdt writes from it (when the build has libfdt) read back with libfdt.
 */
#include "test_support.h"

#ifdef HV_TEST_LIBFDT
#include <libfdt.h>
#endif

static struct hv_backend arm_mock; /* the mock, claiming AArch64 */

static hv_vm_t *arm_vm(void)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	arm_mock = mock_backend;
	arm_mock.arch = HV_ARCH_AARCH64;
	mock_knobs.irq_inputs = 128;
	c.backend = &arm_mock;
	c.flags = HV_VM_MANUAL_RUN;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	return vm;
}

/* Two vCPUs, RAM in three regions (two adjacent), a PL011 and a virtio-rng. */
static hv_vm_t *arm_guest(void)
{
	hv_vm_t *vm = arm_vm();
	hv_pl011_config_t uart = HV_PL011_CONFIG_INIT;
	hv_virtio_rng_config_t rng = HV_VIRTIO_RNG_CONFIG_INIT;

	ts_vcpu_new(vm, 0);
	ts_vcpu_new(vm, 1);
	ts_map_ram(vm, 0x40000000, 0x200000);
	ts_map_ram(vm, 0x40200000, 0x400000);
	ts_map_ram(vm, 0x80000000, 0x100000);
	uart.base = 0x09000000;
	uart.irq = 33;
	assert_int_equal(hv_pl011_add(vm, &uart, NULL), HV_OK);
	rng.mmio.base = 0x0a000000;
	rng.mmio.irq = 48;
	assert_int_equal(hv_virtio_rng_add(vm, &rng, NULL), HV_OK);
	return vm;
}

static void test_devtree_describe_reads_the_vm(void **state)
{
	hv_vm_t *vm = arm_guest();
	hv_arm64_fdt_desc_t d = HV_ARM64_FDT_DESC_INIT;

	(void)state;
	d.bootargs = "stale";
	assert_int_equal(hv_arm64_fdt_describe(vm, &d), HV_OK);
	assert_int_equal(d.vcpus, 2);
	assert_int_equal(d.ram_count, 2);
	assert_int_equal(d.ram[0].base, 0x40000000);
	assert_int_equal(d.ram[0].size, 0x600000); /* the adjacent two merged */
	assert_int_equal(d.ram[1].base, 0x80000000);
	assert_int_equal(d.ram[1].size, 0x100000);
	assert_int_equal(d.dev_count, 2);
	assert_int_equal(d.dev[0].kind, HV_FDT_DEV_PL011);
	assert_int_equal(d.dev[0].base, 0x09000000);
	assert_int_equal(d.dev[0].size, 0x1000);
	assert_int_equal(d.dev[0].intid, 33);
	assert_int_equal(d.dev[0].trigger, HV_IRQ_LEVEL);
	assert_int_equal(d.dev[1].kind, HV_FDT_DEV_VIRTIO_MMIO);
	assert_int_equal(d.dev[1].base, 0x0a000000);
	assert_int_equal(d.dev[1].size, 0x200);
	assert_int_equal(d.dev[1].intid, 48);
	assert_null(d.bootargs); /* reset: the VM does not say */
	hv_vm_destroy(vm);
}

static void test_devtree_describe_refuses_what_it_cannot_describe(void **state)
{
	hv_arm64_fdt_desc_t d = HV_ARM64_FDT_DESC_INIT;
	hv_vm_t *vm = arm_vm(), *x86 = ts_vm_new(0);

	(void)state;
	assert_int_equal(hv_arm64_fdt_describe(NULL, &d), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_arm64_fdt_describe(vm, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_arm64_fdt_describe(x86, &d), HV_ERR_UNSUPPORTED);
	assert_int_equal(hv_arm64_fdt_describe(vm, &d), HV_ERR_NOT_MAPPED);
	ts_map_ram(vm, 0x40000000, 0x100000);
	assert_int_equal(hv_arm64_fdt_describe(vm, &d), HV_ERR_NOT_FOUND);
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_arm64_fdt_describe(vm, &d), HV_OK);
	d.struct_size = 8;
	assert_int_equal(hv_arm64_fdt_describe(vm, &d), HV_ERR_ABI);
	d.struct_size = sizeof(d);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_arm64_fdt_describe(vm, &d), HV_ERR_STATE);
	hv_vm_destroy(x86);
	hv_vm_destroy(vm);
}

static void test_devtree_write_checks_the_description(void **state)
{
	hv_arm64_fdt_desc_t d = HV_ARM64_FDT_DESC_INIT;
	uint8_t buf[64];
	size_t used = 0;

	(void)state;
	d.vcpus = 1;
	d.ram_count = 1;
	d.ram[0].base = 0x40000000;
	d.ram[0].size = 0x1000000;
	assert_int_equal(hv_arm64_fdt_write(NULL, buf, sizeof(buf), &used), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_arm64_fdt_write(&d, buf, sizeof(buf), NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 16, &used), HV_ERR_INVALID_ARG);
#ifdef HV_TEST_LIBFDT
	/* Too small: the size it needs, and nothing useful written. */
	assert_int_equal(hv_arm64_fdt_write(&d, buf, sizeof(buf), &used), HV_ERR_LIMIT);
	assert_true(used > sizeof(buf));
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &used), HV_ERR_LIMIT);
#endif
	d.psci_method = "firmware";
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &used), HV_ERR_INVALID_ARG);
	d.psci_method = "smc";
	d.dev_count = 1;
	d.dev[0].kind = HV_FDT_DEV_PL011;
	d.dev[0].intid = 20; /* a PPI */
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &used), HV_ERR_INVALID_ARG);
	d.dev[0].intid = 33;
	d.dev[0].kind = (hv_fdt_dev_kind_t)9;
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &used), HV_ERR_INVALID_ARG);
	d.dev_count = 0;
	d.vcpus = 0;
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &used), HV_ERR_INVALID_ARG);
	d.vcpus = 1;
	d.ram_count = HV_ARM64_FDT_MAX_RAM + 1;
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &used), HV_ERR_INVALID_ARG);
	d.ram_count = 1;
	d.struct_size = 4;
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &used), HV_ERR_ABI);
}

#ifndef HV_TEST_LIBFDT
/* Built without libfdt: a valid description is answered, the blob is not written. */
static void test_devtree_write_without_libfdt_is_unsupported(void **state)
{
	hv_arm64_fdt_desc_t d = HV_ARM64_FDT_DESC_INIT;
	uint8_t buf[4096];
	size_t used = 7;

	(void)state;
	d.vcpus = 1;
	d.ram_count = 1;
	d.ram[0].size = 0x1000000;
	assert_int_equal(hv_arm64_fdt_write(&d, buf, sizeof(buf), &used), HV_ERR_UNSUPPORTED);
	assert_int_equal(used, 7);
}
#endif

#ifdef HV_TEST_LIBFDT
static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	const void *p;

	assert_true(node >= 0);
	p = fdt_getprop(fdt, node, name, len);
	assert_non_null(p);
	return p;
}

static uint32_t cell(const void *p, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

/*
 * The size a short buffer is told is the size libfdt makes, exactly, whatever the tree holds
 * (property names shared or not, a name that ends another one, long command lines).
 */
static void test_devtree_write_tells_the_exact_size(void **state)
{
	static uint64_t fdt[16384 / 8];
	static char args[600];
	hv_arm64_fdt_desc_t d = HV_ARM64_FDT_DESC_INIT;
	size_t used, need, i;
	int shape;

	(void)state;
	for (i = 0; i + 1 < sizeof(args); i++)
		args[i] = (char)('a' + i % 26);
	for (shape = 0; shape < 6; shape++) {
		d.vcpus = 1u + (uint32_t)shape * 13u;
		d.ram_count = 1u + (uint32_t)shape % 3u;
		for (i = 0; i < d.ram_count; i++) {
			d.ram[i].base = 0x40000000ull << i;
			d.ram[i].size = 0x100000ull * (i + 1);
		}
		d.dev_count = (uint32_t)shape * 3u;
		for (i = 0; i < d.dev_count; i++) {
			d.dev[i].kind = (hv_fdt_dev_kind_t)(1 + (i + (size_t)shape) % 3);
			d.dev[i].base = 0x09000000 + 0x1000 * i;
			d.dev[i].size = 0x200;
			d.dev[i].intid = i % 2 ? 0 : 33 + (uint32_t)i;
		}
		d.bootargs = shape % 2 ? args + shape * 97 : NULL;
		d.initrd_size = shape % 3 ? 0x1000 : 0;
		d.psci_method = shape == 4 ? "smc" : NULL;
		need = 0;
		assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &need), HV_ERR_LIMIT);
		assert_int_equal(hv_arm64_fdt_write(&d, fdt, need - 1, &used), HV_ERR_LIMIT);
		assert_int_equal(used, need);
		assert_int_equal(hv_arm64_fdt_write(&d, fdt, need, &used), HV_OK);
		assert_int_equal(used, need);
		assert_int_equal(fdt_check_header(fdt), 0);
		assert_int_equal(fdt_totalsize(fdt), need);
		assert_int_equal(hv_arm64_fdt_write(&d, fdt, sizeof(fdt), &used), HV_OK);
		assert_int_equal(used, need);
		assert_int_equal(fdt_totalsize(fdt), need);
	}
}

static void test_devtree_blob_of_a_vm(void **state)
{
	hv_vm_t *vm = arm_guest();
	hv_arm64_fdt_desc_t d = HV_ARM64_FDT_DESC_INIT;
	static uint8_t fdt[8192];
	size_t used = 0, need = 0;

	(void)state;
	assert_int_equal(hv_arm64_fdt_describe(vm, &d), HV_OK);
	d.bootargs = "console=ttyAMA0 rdinit=/init";
	d.initrd_gpa = 0x40400000;
	d.initrd_size = 0x12345;
	assert_int_equal(hv_arm64_fdt_write(&d, NULL, 0, &need), HV_ERR_LIMIT);
	assert_int_equal(hv_arm64_fdt_write(&d, fdt, sizeof(fdt), &used), HV_OK);
	assert_int_equal(used, need);
	assert_int_equal(fdt[0], 0xd0);
	assert_int_equal(fdt[3], 0xed);
	{
		const void *p;
		int len;

		assert_int_equal(fdt_check_header(fdt), 0);
		assert_int_equal(fdt_totalsize(fdt), used);
		p = prop(fdt, "/", "compatible", &len);
		assert_string_equal(p, "linux,dummy-virt");
		p = prop(fdt, "/chosen", "bootargs", &len);
		assert_string_equal(p, "console=ttyAMA0 rdinit=/init");
		p = prop(fdt, "/chosen", "stdout-path", &len);
		assert_string_equal(p, "/pl011@9000000");
		p = prop(fdt, "/chosen", "linux,initrd-end", &len);
		assert_int_equal(len, 8);
		assert_int_equal(cell(p, 1), 0x40400000 + 0x12345);
		p = prop(fdt, "/memory@40000000", "reg", &len);
		assert_int_equal(len, 32);
		assert_int_equal(cell(p, 1), 0x40000000);
		assert_int_equal(cell(p, 3), 0x600000);
		assert_int_equal(cell(p, 5), 0x80000000);
		assert_int_equal(cell(p, 7), 0x100000);
		p = prop(fdt, "/cpus/cpu@1", "reg", &len);
		assert_int_equal(cell(p, 0), 1);
		assert_true(fdt_path_offset(fdt, "/cpus/cpu@2") < 0);
		p = prop(fdt, "/psci", "method", &len);
		assert_string_equal(p, "hvc");
		p = prop(fdt, "/intc@8000000", "reg", &len);
		assert_int_equal(len, 32);
		assert_int_equal(cell(p, 3), 0x10000);
		assert_int_equal(cell(p, 5), 0x080a0000);
		assert_int_equal(cell(p, 7), 2 * 0x20000);
		p = prop(fdt, "/intc@8000000", "phandle", &len);
		assert_int_equal(cell(p, 0), 1);
		p = prop(fdt, "/timer", "interrupts", &len);
		assert_int_equal(len, 48);
		assert_int_equal(cell(p, 4), 14);
		p = prop(fdt, "/pl011@9000000", "interrupts", &len);
		assert_int_equal(cell(p, 0), 0);
		assert_int_equal(cell(p, 1), 1);
		assert_int_equal(cell(p, 2), 4);
		p = prop(fdt, "/pl011@9000000", "compatible", &len);
		assert_int_equal(len, 24);
		assert_memory_equal(p, "arm,pl011\0arm,primecell", 24);
		p = prop(fdt, "/pl011@9000000", "clocks", &len);
		assert_int_equal(cell(p, 0), 2);
		p = prop(fdt, "/apb-pclk", "phandle", &len);
		assert_int_equal(cell(p, 0), 2);
		p = prop(fdt, "/virtio_mmio@a000000", "interrupts", &len);
		assert_int_equal(cell(p, 1), 16);
		p = prop(fdt, "/virtio_mmio@a000000", "reg", &len);
		assert_int_equal(cell(p, 3), 0x200);
		(void)prop(fdt, "/virtio_mmio@a000000", "dma-coherent", &len);
		assert_int_equal(len, 0);
	}
	hv_vm_destroy(vm);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_devtree_describe_reads_the_vm),
		TS_TEST(test_devtree_describe_refuses_what_it_cannot_describe),
		TS_TEST(test_devtree_write_checks_the_description),
#ifndef HV_TEST_LIBFDT
		TS_TEST(test_devtree_write_without_libfdt_is_unsupported),
#else
		TS_TEST(test_devtree_write_tells_the_exact_size),
		TS_TEST(test_devtree_blob_of_a_vm),
#endif
	};

	return cmocka_run_group_tests_name("devtree", tests, NULL, NULL);
}
