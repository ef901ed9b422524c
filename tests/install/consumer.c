/* SPDX-License-Identifier: MIT */
/* A program outside the tree using the installed library: headers, linking and run time. */
#include <stdio.h>

#include <hvlib/hvlib.h>

int main(void)
{
	const hv_backend_t *backends[8];
	hv_arm64_fdt_desc_t desc = HV_ARM64_FDT_DESC_INIT;
	size_t count = 0, fdt_size = 0;
	hv_status_t st;

	printf("hvlib %s (%u, built against %u)\n", hv_version_str(), hv_version(),
	       (unsigned)HV_VERSION_NUMBER);
	st = hv_backend_list(backends, sizeof(backends) / sizeof(backends[0]), &count);
	if (st != HV_OK) {
		printf("hv_backend_list: %s\n", hv_status_str(st));
		return 1;
	}
	printf("backends: %zu\n", count);
	for (size_t i = 0; i < count && i < sizeof(backends) / sizeof(backends[0]); i++)
		printf("backend: %s\n", hv_backend_name(backends[i]));
	/* A device tree: statically linked, this needs libfdt from what the package says. */
	desc.vcpus = 1;
	desc.ram_count = 1;
	desc.ram[0].base = 0x40000000;
	desc.ram[0].size = 0x1000000;
	st = hv_arm64_fdt_write(&desc, NULL, 0, &fdt_size);
	printf("device tree: %s, %zu bytes\n", hv_status_str(st), fdt_size);
	if (st != HV_ERR_LIMIT && st != HV_ERR_UNSUPPORTED)
		return 1;
	return hv_version() == HV_VERSION_NUMBER ? 0 : 1;
}
