/* SPDX-License-Identifier: MIT */
/*
 * Sorted arrays of non-overlapping ranges. Lookups (hv__rangemap_find, in the header) are a
 * binary search; inserts and removals move the tail, which is fine because maps only change
 * while their VM is not running.
 */
#include "hv_internal.h"

void hv__rangemap_init(struct hv__rangemap *map, uint64_t limit)
{
	map->keys = NULL;
	map->v = NULL;
	map->count = 0;
	map->capacity = 0;
	map->limit = limit;
}

void hv__rangemap_fini(struct hv__rangemap *map)
{
	hv__free(map->v, map->capacity * sizeof(*map->v));
	hv__free(map->keys, map->capacity * sizeof(*map->keys));
	map->keys = NULL;
	map->v = NULL;
	map->count = 0;
	map->capacity = 0;
}

/* Index of the first range whose last address is >= addr. */
static size_t hv__lower_bound(const struct hv__rangemap *map, uint64_t addr)
{
	size_t lo = 0, hi = map->count;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (map->v[mid].last < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

hv_status_t hv__rangemap_check(const struct hv__rangemap *map, uint64_t base, uint64_t size)
{
	uint64_t last;
	size_t i;

	if (size == 0)
		return HV_ERR_ZERO_SIZE;
	last = base + (size - 1);
	if (last < base)
		return HV_ERR_WRAP;
	if (map->limit != 0 && (base >= map->limit || last > map->limit - 1))
		return HV_ERR_RANGE;
	i = hv__lower_bound(map, base);
	if (i < map->count && map->v[i].base <= last)
		return HV_ERR_OVERLAP;
	return HV_OK;
}

hv_status_t hv__rangemap_insert(struct hv__rangemap *map, uint64_t base, uint64_t size,
				uint32_t kind, void *obj)
{
	hv_status_t st = hv__rangemap_check(map, base, size);
	size_t i;

	if (st != HV_OK)
		return st;
	if (map->count == map->capacity) {
		size_t cap = map->capacity ? map->capacity * 2 : 8;
		struct hv__range *v = hv__alloc(cap * sizeof(*v));
		uint64_t *keys = hv__alloc(cap * sizeof(*keys));

		if (v == NULL || keys == NULL) {
			hv__free(v, cap * sizeof(*v));
			hv__free(keys, cap * sizeof(*keys));
			return HV_ERR_NO_MEMORY;
		}
		if (map->count != 0) {
			hv__memcpy(v, map->v, map->count * sizeof(*v));
			hv__memcpy(keys, map->keys, map->count * sizeof(*keys));
		}
		hv__free(map->v, map->capacity * sizeof(*v));
		hv__free(map->keys, map->capacity * sizeof(*keys));
		map->v = v;
		map->keys = keys;
		map->capacity = cap;
	}
	i = hv__lower_bound(map, base);
	if (i < map->count) {
		hv__memmove(&map->v[i + 1], &map->v[i], (map->count - i) * sizeof(*map->v));
		hv__memmove(&map->keys[i + 1], &map->keys[i], (map->count - i) * sizeof(*map->keys));
	}
	map->keys[i] = base;
	map->v[i].base = base;
	map->v[i].last = base + (size - 1);
	map->v[i].kind = kind;
	map->v[i].obj = obj;
	map->count++;
	return HV_OK;
}

void hv__rangemap_remove(struct hv__rangemap *map, const void *obj)
{
	size_t i;

	for (i = 0; i < map->count; i++) {
		if (map->v[i].obj == obj) {
			hv__memmove(&map->v[i], &map->v[i + 1],
				    (map->count - i - 1) * sizeof(*map->v));
			hv__memmove(&map->keys[i], &map->keys[i + 1],
				    (map->count - i - 1) * sizeof(*map->keys));
			map->count--;
			return;
		}
	}
}
