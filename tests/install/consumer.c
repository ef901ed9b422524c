/* SPDX-License-Identifier: MIT */
/* A program outside the tree using the installed library: headers, linking and run time. */
#include <stdio.h>

#include <hvlib/hvlib.h>

int main(void)
{
	const hv_backend_t *backends[8];
	size_t count = 0;
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
	return hv_version() == HV_VERSION_NUMBER ? 0 : 1;
}
