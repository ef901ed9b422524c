/* SPDX-License-Identifier: MIT */
/*
 * hv_linux_load() on hostile kernels: the input's first byte picks an initrd size and a
 * command line, the rest is the kernel (a bzImage or a PVH vmlinux, whatever its magic says).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[64 * 1024];
	static const char *const cmdlines[] = { NULL, "", "console=ttyS0",
						"a long command line, longer than some kernels"
						" take: 0123456789abcdef0123456789abcdef" };
	hv_linux_config_t c = HV_LINUX_CONFIG_INIT;
	hv_linux_info_t info = HV_LINUX_INFO_INIT;
	hv_vm_t *vm;

	if (size < 1)
		return 0;
	vm = fl_vm_create();
	c.initrd = initrd;
	c.initrd_size = (data[0] & 0x0f) * 4096u + (data[0] & 0x10 ? 123 : 0);
	c.cmdline = cmdlines[(data[0] >> 5) & 3];
	/* A copy of exactly the kernel's size: ASan catches any read past it. */
	c.kernel_size = size - 1;
	c.kernel = malloc(c.kernel_size ? c.kernel_size : 1);
	if (c.kernel == NULL)
		abort();
	memcpy((void *)c.kernel, data + 1, c.kernel_size);
	if (hv_linux_load(vm, &c, &info) == HV_OK &&
	    (info.entry >= FUZZ_LOADER_RAM_TOP || info.boot_params_gpa != 0x7000))
		abort();
	free((void *)c.kernel);
	hv_vm_destroy(vm);
	return 0;
}
