/* SPDX-License-Identifier: MIT */
/* hv_elf_load() on hostile ELF32/ELF64 images. */
#include <stdint.h>
#include <string.h>

#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_gpa_t entry = 0;
	uint8_t *img;
	hv_vm_t *vm;

	vm = fl_vm_create();
	/* A copy of exactly the image's size: ASan catches any read past it. */
	img = malloc(size ? size : 1);
	if (img == NULL)
		abort();
	memcpy(img, data, size);
	hv_elf_load(vm, img, size, &entry);
	free(img);
	hv_vm_destroy(vm);
	return 0;
}
