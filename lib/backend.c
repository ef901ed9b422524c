/* SPDX-License-Identifier: MIT */
/* Finding backends: by name, or by probing which one works on this host. */
#include "hv_internal.h"

hv_status_t hv_backend_list(const hv_backend_t **out, size_t capacity, size_t *count)
{
	size_t n = 0;

	if (count == NULL || (out == NULL && capacity != 0))
		return HV_ERR_INVALID_ARG;
	for (; hv__backends[n] != NULL; n++)
		if (n < capacity)
			out[n] = hv__backends[n];
	*count = n;
	return HV_OK;
}

hv_status_t hv_backend_find(const char *name, const hv_backend_t **backend)
{
	size_t i;

	if (name == NULL || backend == NULL)
		return HV_ERR_INVALID_ARG;
	for (i = 0; hv__backends[i] != NULL; i++) {
		if (hv__strcmp(hv__backends[i]->name, name) == 0) {
			*backend = hv__backends[i];
			return HV_OK;
		}
	}
	return HV_ERR_NOT_FOUND;
}

hv_status_t hv_backend_check(const hv_backend_t *backend)
{
	if (backend == NULL)
		return HV_ERR_INVALID_ARG;
	if (hv__platform_get() == NULL)
		return HV_ERR_NO_PLATFORM;
	if (backend->version != HV__BACKEND_VERSION)
		return HV_ERR_NO_BACKEND;
	return backend->check() == HV_OK ? HV_OK : HV_ERR_NO_BACKEND;
}

hv_status_t hv_backend_probe(const hv_backend_t **backend)
{
	size_t i;

	if (backend == NULL)
		return HV_ERR_INVALID_ARG;
	if (hv__platform_get() == NULL)
		return HV_ERR_NO_PLATFORM;
	for (i = 0; hv__backends[i] != NULL; i++) {
		if (hv_backend_check(hv__backends[i]) == HV_OK) {
			*backend = hv__backends[i];
			return HV_OK;
		}
	}
	return HV_ERR_NO_BACKEND;
}

const char *hv_backend_name(const hv_backend_t *backend)
{
	return backend != NULL ? backend->name : "(null)";
}

hv_status_t hv_backend_caps(const hv_backend_t *backend, hv_backend_caps_t *caps)
{
	hv_backend_caps_t c = HV_BACKEND_CAPS_INIT;
	hv_status_t st;

	if (backend == NULL || caps == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(caps, hv_backend_caps_t) != HV_OK)
		return HV_ERR_ABI;
	st = hv_backend_check(backend);
	if (st != HV_OK)
		return st;
	c.arch = backend->arch;
	if (backend->caps(&c) != HV_OK)
		return HV_ERR_NO_BACKEND;
	*caps = c;
	return HV_OK;
}
