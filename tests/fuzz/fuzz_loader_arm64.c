/* SPDX-License-Identifier: MIT */
/*
 * hv_arm64_image_load() on hostile Images. Input: a selector byte (which base, whether an
 * entry is asked for), a u64 base for the selector's last choice, then the Image. The VM has
 * a ROM at 0, RAM [1 GiB, +1 MiB) with more RAM right after it ([+1 MiB, +1 MiB 64 KiB)) and,
 * after a gap, RAM at 1 GiB + 2 MiB; the library gets caller-owned RAM of exactly these sizes
 * (static arrays, reused: ASan's redzones around globals see any write past one). A load must either fail and leave every byte of guest
 * memory as it was, or succeed with the kernel where its header says, inside RAM, and nothing
 * else written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_loader.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static const struct {
	hv_region_type_t type;
	uint64_t gpa, size;
} regions[] = {
	{ HV_REGION_ROM, 0x0, 0x10000 },
	{ HV_REGION_RAM, 0x40000000, 0x100000 },
	{ HV_REGION_RAM, 0x40100000, 0x10000 },
	{ HV_REGION_RAM, 0x40200000, 0x40000 },
};
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

static uint8_t rom[0x10000] __attribute__((aligned(4096)));
static uint8_t ram0[0x100000] __attribute__((aligned(4096)));
static uint8_t ram1[0x10000] __attribute__((aligned(4096)));
static uint8_t ram2[0x40000] __attribute__((aligned(4096)));
static uint8_t *const hva[NREGIONS] = { rom, ram0, ram1, ram2 };

static uint64_t ld64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool zero(const uint8_t *p, uint64_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/*
 * Whether guest memory holds image[0..size) at gpa, all of it in RAM (size 0: nothing), and
 * zeros everywhere else.
 */
static bool memory_is(uint64_t gpa, const uint8_t *image, size_t size)
{
	uint64_t found = 0;
	size_t i;

	for (i = 0; i < NREGIONS; i++) {
		uint64_t g = regions[i].gpa, end = g + regions[i].size;
		uint64_t lo = g > gpa ? g : gpa,
			 hi = size == 0 || end < gpa + size ? end : gpa + size;

		if (size == 0 || lo >= hi) {
			if (!zero(hva[i], regions[i].size))
				return false;
			continue;
		}
		if (regions[i].type != HV_REGION_RAM || !zero(hva[i], lo - g) ||
		    memcmp(hva[i] + (lo - g), image + (lo - gpa), hi - lo) != 0 ||
		    !zero(hva[i] + (hi - g), end - hi))
			return false;
		found += hi - lo;
	}
	return found == size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t bases[] = {
		0x40000000, 0x40200000, 0x0, 0x40001000, 0xffffffffffe00000ull,
		0x3fe00000, 0x40100000
	};
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	uint8_t *image;
	uint64_t base, entry = 0x1234, text_offset;
	hv_vcpu_t *vcpu;
	hv_status_t st;
	size_t i, image_size;
	uint8_t sel;
	hv_vm_t *vm;

	if (size < 9)
		return 0;
	sel = data[0];
	base = (sel & 7) < 7 ? bases[sel & 7] : ld64(data + 1);
	image_size = size - 9;

	hv_log_set_level(HV_LOG_ERROR);
	cfg.name = "fuzz";
	cfg.backend = &fl_backend_arm64;
	cfg.flags = HV_VM_MANUAL_RUN;
	if (hv_vm_create(&cfg, &vm) != HV_OK || hv_vcpu_create(vm, 0, &vcpu) != HV_OK)
		abort();
	for (i = 0; i < NREGIONS; i++) {
		hv_region_config_t r = HV_REGION_CONFIG_INIT;

		memset(hva[i], 0, regions[i].size);
		r.type = regions[i].type;
		r.gpa = regions[i].gpa;
		r.size = regions[i].size;
		r.hva = hva[i];
		if (hv_vm_map_region(vm, &r, NULL) != HV_OK)
			abort();
	}
	/* A copy of exactly the Image's size: ASan catches any read past it. */
	image = malloc(image_size ? image_size : 1);
	if (image == NULL)
		abort();
	memcpy(image, data + 9, image_size);

	st = hv_arm64_image_load(vm, image, image_size, base, sel & 0x80 ? NULL : &entry);
	CHECK(st == HV_OK || st == HV_ERR_BAD_IMAGE || st == HV_ERR_UNSUPPORTED ||
	      st == HV_ERR_ALIGNMENT || st == HV_ERR_NOT_MAPPED);
	if (st == HV_OK) {
		text_offset = ld64(image + 8);
		CHECK(image_size >= 64 && (base & 0x1fffff) == 0);
		CHECK(text_offset < (1ull << 30));
		CHECK((sel & 0x80) || entry == base + text_offset);
		CHECK(memory_is(base + text_offset, image, image_size));
	} else {
		CHECK(entry == 0x1234);
		CHECK(memory_is(0, NULL, 0));
	}
	free(image);
	hv_vm_destroy(vm);
	return 0;
}
