/* SPDX-License-Identifier: MIT */
/* hv_arm64_image_load(): the arm64 Linux Image header, placement and every refusal. */
#include "test_support.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x800000ull /* 8 MiB */
#define IMG_SIZE 0x1000u

static struct hv_backend arm_mock; /* the mock, claiming AArch64 */

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* A header as Linux writes it: text_offset, image_size (file + BSS), flags, the magic. */
static void image_make(uint8_t *p, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	unsigned i;

	memset(p, 0, IMG_SIZE);
	put32(p, 0x14000010); /* b #64, like the kernel's code0 */
	put64(p + 0x08, text_offset);
	put64(p + 0x10, image_size);
	put64(p + 0x18, flags);
	put32(p + 0x38, 0x644d5241);
	for (i = 64; i < IMG_SIZE; i++)
		p[i] = (uint8_t)(i * 7);
}

static hv_vm_t *arm_vm(const struct hv_backend *be)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	c.backend = be;
	c.flags = HV_VM_MANUAL_RUN;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	ts_vcpu_new(vm, 0);
	ts_map_ram(vm, RAM_BASE, RAM_SIZE);
	return vm;
}

static void setup_arm_mock(void)
{
	arm_mock = mock_backend;
	arm_mock.arch = HV_ARCH_AARCH64;
}

static void test_loader_arm64_places_kernel_at_text_offset(void **state)
{
	uint8_t img[IMG_SIZE], back[IMG_SIZE];
	hv_gpa_t entry = 0;
	hv_vm_t *vm;

	(void)state;
	setup_arm_mock();
	vm = arm_vm(&arm_mock);
	image_make(img, 0x80000, 0x100000, 2);
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE + 0x200000, &entry),
			 HV_OK);
	assert_int_equal(entry, RAM_BASE + 0x280000);
	assert_int_equal(hv_vm_read(vm, entry, back, sizeof(back)), HV_OK);
	assert_memory_equal(back, img, sizeof(img));
	hv_vm_destroy(vm);
}

static void test_loader_arm64_zero_image_size_means_the_file(void **state)
{
	uint8_t img[IMG_SIZE];
	hv_gpa_t entry = 0;
	hv_vm_t *vm;

	(void)state;
	setup_arm_mock();
	vm = arm_vm(&arm_mock);
	image_make(img, 0, 0, 0);
	/* The last 2 MiB of RAM: only the file itself has to fit. */
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE + RAM_SIZE - 0x200000,
					     &entry),
			 HV_OK);
	assert_int_equal(entry, RAM_BASE + RAM_SIZE - 0x200000);
	hv_vm_destroy(vm);
}

static void test_loader_arm64_refuses_what_does_not_fit(void **state)
{
	uint8_t img[IMG_SIZE], back[16], zero[16] = { 0 };
	hv_vm_t *vm;

	(void)state;
	setup_arm_mock();
	vm = arm_vm(&arm_mock);
	/* BSS beyond RAM: refused, nothing written. */
	image_make(img, 0, 0x400000, 0);
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE + 0x600000, NULL),
			 HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_vm_read(vm, RAM_BASE + 0x600000, back, sizeof(back)), HV_OK);
	assert_memory_equal(back, zero, sizeof(zero));
	/* Below RAM, and a base that is not 2 MiB-aligned. */
	image_make(img, 0, 0x1000, 0);
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), 0, NULL), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE + 0x1000, NULL),
			 HV_ERR_ALIGNMENT);
	/* A text_offset wrapping the address space. */
	image_make(img, 0xffffffffffe00000ull, 0x1000, 0);
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE, NULL),
			 HV_ERR_BAD_IMAGE);
	hv_vm_destroy(vm);
}

static void test_loader_arm64_refuses_bad_headers(void **state)
{
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm;

	(void)state;
	setup_arm_mock();
	vm = arm_vm(&arm_mock);
	image_make(img, 0, 0x1000, 0);
	assert_int_equal(hv_arm64_image_load(vm, img, 63, RAM_BASE, NULL), HV_ERR_BAD_IMAGE);
	img[0x38] ^= 1; /* no magic */
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE, NULL),
			 HV_ERR_BAD_IMAGE);
	image_make(img, 0, 0x800, 0); /* image_size below the file */
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE, NULL),
			 HV_ERR_BAD_IMAGE);
	image_make(img, 0, 0x1000, 1); /* big-endian kernel */
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE, NULL),
			 HV_ERR_UNSUPPORTED);
	assert_int_equal(hv_arm64_image_load(NULL, img, sizeof(img), RAM_BASE, NULL),
			 HV_ERR_INVALID_ARG);
	assert_int_equal(hv_arm64_image_load(vm, NULL, sizeof(img), RAM_BASE, NULL),
			 HV_ERR_INVALID_ARG);
	image_make(img, 0, 0x1000, 0); /* a good image, but the VM runs */
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE, NULL), HV_ERR_STATE);
	hv_vm_destroy(vm);
}

static void test_loader_arm64_refuses_x86_vms(void **state)
{
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm;

	(void)state;
	vm = arm_vm(&mock_backend);
	image_make(img, 0, 0x1000, 0);
	assert_int_equal(hv_arm64_image_load(vm, img, sizeof(img), RAM_BASE, NULL),
			 HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_loader_arm64_places_kernel_at_text_offset),
		TS_TEST(test_loader_arm64_zero_image_size_means_the_file),
		TS_TEST(test_loader_arm64_refuses_what_does_not_fit),
		TS_TEST(test_loader_arm64_refuses_bad_headers),
		TS_TEST(test_loader_arm64_refuses_x86_vms),
	};

	return cmocka_run_group_tests_name("loader_arm64", tests, NULL, NULL);
}
