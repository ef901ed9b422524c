/* SPDX-License-Identifier: MIT */
/*
 * Internal definitions shared by the core and the backends. Nothing here is API: names are
 * hv__* and never exported. The core is freestanding: only stddef/stdint/stdbool/stdarg/limits.
 */
#ifndef HV_INTERNAL_H
#define HV_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>

#include <hvlib/hvlib.h>

#define HV__UNUSED(x) ((void)(x))
#define HV__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HV__LIKELY(x) __builtin_expect(!!(x), 1)
#define HV__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The platform provides memcpy/memset/memmove/memcmp; the compiler may call them anyway. */
#define hv__memcpy __builtin_memcpy
#define hv__memset __builtin_memset
#define hv__memmove __builtin_memmove
#define hv__memcmp __builtin_memcmp

/* ---- platform, allocation, locks -------------------------------------------------------- */

/* The installed platform, or NULL until hv__platform_get() installs the hosted default. */
const hv_platform_ops_t *hv__platform_get(void);
/* Count of live VMs and shm objects; the platform may not change while non-zero. */
void hv__platform_ref(void);
void hv__platform_unref(void);

void *hv__alloc(size_t size); /* zeroed, 16-byte aligned */
void hv__free(void *ptr, size_t size);
void *hv__ram_alloc(size_t size); /* zeroed, page-aligned */
void hv__ram_free(void *ptr, size_t size);
char *hv__strdup(const char *s);
void hv__strfree(char *s);
size_t hv__strlen(const char *s);
int hv__strcmp(const char *a, const char *b);

void *hv__lock_create(void);
void hv__lock_destroy(void *lock);
void hv__lock(void *lock);
void hv__unlock(void *lock);
uint64_t hv__time_ns(void);
uint64_t hv__realtime_ns(void);

/* One-shot timers; hv__timer_create returns NULL on platforms without timers. */
bool hv__have_timers(void);
void *hv__timer_create(void (*fn)(void *arg), void *arg);
void hv__timer_arm(void *timer, uint64_t deadline_ns);
void hv__timer_cancel(void *timer);
void hv__timer_destroy(void *timer);

/* ---- logging ------------------------------------------------------------------------------- */

extern int hv__log_level;
void hv__log(hv_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t hv__vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t hv__snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hv__panic(const char *file, int line, const char *what) __attribute__((noreturn));

#define HV__LOG(lvl, ...)                                                                         \
	do {                                                                                      \
		if (HV__UNLIKELY((int)(lvl) <= __atomic_load_n(&hv__log_level, __ATOMIC_RELAXED))) \
			hv__log((lvl), __VA_ARGS__);                                              \
	} while (0)
#define HV_LOGE(...) HV__LOG(HV_LOG_ERROR, __VA_ARGS__)
#define HV_LOGW(...) HV__LOG(HV_LOG_WARN, __VA_ARGS__)
#define HV_LOGI(...) HV__LOG(HV_LOG_INFO, __VA_ARGS__)
#define HV_LOGD(...) HV__LOG(HV_LOG_DEBUG, __VA_ARGS__)
#define HV_LOGT(...) HV__LOG(HV_LOG_TRACE, __VA_ARGS__)

/* Internal invariants only: never for caller input or guest behaviour. */
#define HV_ASSERT(cond)                                                                           \
	do {                                                                                      \
		if (HV__UNLIKELY(!(cond)))                                                        \
			hv__panic(__FILE__, __LINE__, #cond);                                     \
	} while (0)

/* Checks the size field of a caller-filled struct: known sizes are those of past versions. */
#define HV__CHECK_STRUCT(p, type)                                                                 \
	((p)->struct_size == sizeof(type) ? HV_OK : HV_ERR_ABI)

/* ---- range maps: sorted, non-overlapping, O(log n) lookup ----------------------------------- */

enum hv__range_kind {
	HV__RANGE_REGION = 1,
	HV__RANGE_DEVICE = 2,
	HV__RANGE_RESERVED = 3, /* claimed by the backend (e.g. an in-kernel device) */
};

struct hv__range {
	uint64_t base;
	uint64_t last; /* inclusive: a range may end at UINT64_MAX */
	uint32_t kind;
	void *obj;
};

struct hv__rangemap {
	uint64_t *keys; /* keys[i] == v[i].base: a dense array for the search */
	struct hv__range *v;
	size_t count;
	size_t capacity;
	uint64_t limit; /* one past the highest address allowed; 0 means 2^64 */
};

void hv__rangemap_init(struct hv__rangemap *map, uint64_t limit);
void hv__rangemap_fini(struct hv__rangemap *map);
/* HV_ERR_ZERO_SIZE, HV_ERR_WRAP, HV_ERR_RANGE, HV_ERR_OVERLAP or HV_OK. */
hv_status_t hv__rangemap_check(const struct hv__rangemap *map, uint64_t base, uint64_t size);
hv_status_t hv__rangemap_insert(struct hv__rangemap *map, uint64_t base, uint64_t size,
				uint32_t kind, void *obj);
void hv__rangemap_remove(struct hv__rangemap *map, const void *obj);

/*
 * The last range whose base is <= addr (or the first range, when addr is below them all):
 * the only candidate for containing addr. NULL for an empty map. Branch-free halving over a
 * dense key array: this runs for every trapped access that misses a vCPU's cache.
 */
static inline __attribute__((always_inline)) const struct hv__range *
hv__rangemap_floor(const struct hv__rangemap *map, uint64_t addr)
{
	const uint64_t *k = map->keys;
	size_t n = map->count;

	if (HV__UNLIKELY(n == 0))
		return NULL;
	while (n > 1) {
		size_t half = n / 2;

		k = k[half] <= addr ? k + half : k;
		n -= half;
	}
	return &map->v[k - map->keys];
}

/* The range containing addr, or NULL. */
static inline const struct hv__range *hv__rangemap_find(const struct hv__rangemap *map,
							 uint64_t addr)
{
	const struct hv__range *r = hv__rangemap_floor(map, addr);

	return r != NULL && addr >= r->base && addr <= r->last ? r : NULL;
}

/* ---- backends ----------------------------------------------------------------------------- */

#define HV__BACKEND_VERSION 1

/*
 * A backend: one const ops table. The core allocates vm_size bytes of private state per VM and
 * vcpu_size (plus snapshot_size) per vCPU, zeroed, and passes them back.
 */
struct hv_backend {
	uint32_t version;
	const char *name;
	hv_arch_t arch;
	size_t vm_size;
	size_t vcpu_size;
	size_t snapshot_size;

	hv_status_t (*check)(void);
	hv_status_t (*caps)(hv_backend_caps_t *caps);

	hv_status_t (*vm_init)(hv_vm_t *vm, void *vs);
	void (*vm_fini)(hv_vm_t *vm, void *vs);
	hv_status_t (*vcpu_init)(hv_vcpu_t *vcpu, void *vs, void *cs);
	void (*vcpu_fini)(hv_vcpu_t *vcpu, void *vs, void *cs);

	hv_status_t (*map)(void *vs, hv_region_t *region);
	hv_status_t (*unmap)(void *vs, hv_region_t *region);

	/*
	 * Enter the guest. Before entering, complete the read the previous exit asked for (its
	 * data is in *exit); on return, *exit describes the new exit.
	 */
	hv_status_t (*run)(hv_vcpu_t *vcpu, void *cs, hv_exit_t *exit);
	void (*kick)(void *cs);

	hv_status_t (*get_regs)(void *cs, const hv_reg_t *regs, uint64_t *values, size_t count);
	hv_status_t (*set_regs)(void *cs, const hv_reg_t *regs, const uint64_t *values,
				size_t count);
	hv_status_t (*save)(void *cs, void *snapshot);
	hv_status_t (*restore)(void *cs, const void *snapshot);

	hv_status_t (*irq_set)(void *vs, uint32_t input, bool level);
	hv_status_t (*msi)(void *vs, uint64_t address, uint32_t data);
	/*
	 * HV_IRQ_ROUTE_HOST routes (HV_CAP_IRQ_PASSTHROUGH): bind the host's interrupt host_irq to
	 * the input (returning the statuses hv_irq_route_add documents for host routes), or
	 * release it (bind false; cannot fail). Optional.
	 */
	hv_status_t (*irq_host)(void *vs, uint32_t input, uint32_t host_irq,
				hv_irq_trigger_t trigger, bool bind);
};

/* Generated at build time from the enabled backends, NULL-terminated. */
extern const struct hv_backend *const hv__backends[];

/* ---- objects -------------------------------------------------------------------------------- */

struct hv_shm {
	uint8_t *hva;
	uint64_t size;
	uint32_t map_count; /* atomic */
	void *peers;        /* lib/devices/shmdev.c: the attached shmdevs, NULL while none */
};

struct hv_region {
	hv_vm_t *vm;
	hv_region_type_t type;
	hv_gpa_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t flags;
	bool owned;       /* hva came from hv__ram_alloc */
	hv_shm_t *shm;
	uint32_t slot;    /* the backend's slot number */
	char *name;
};

/* What the device library adds to a plain device: its class, for calls like hv_serial_input. */
enum hv__devkind {
	HV__DEV_PLAIN = 0,
	HV__DEV_SERIAL = 1,
	HV__DEV_NET = 2,
	HV__DEV_OTHER = 3,
};

struct hv__devclass {
	enum hv__devkind kind;
	uint8_t fdt_kind; /* hv_fdt_dev_kind_t of its device-tree node, or 0 for none */
	/* HV__DEV_SERIAL: take up to len bytes of input; returns how many were taken. */
	size_t (*serial_input)(void *ctx, const uint8_t *buf, size_t len);
};

struct hv_device {
	hv_vm_t *vm;
	const struct hv__devclass *cls; /* NULL for devices added through hv_device_add() */
	hv_irq_line_t *line;            /* the route hv__libdev_add made; removed with the device */
	hv_bus_t bus;
	uint64_t base;
	uint64_t last;
	const hv_device_ops_t *ops;
	void *ctx;
	char *name;
};

struct hv_irq_line {
	hv_vm_t *vm;
	uint32_t input;
	hv_irq_trigger_t trigger;
	bool host;         /* HV_IRQ_ROUTE_HOST: host_irq drives it, not raise/lower */
	uint32_t host_irq;
	uint8_t level; /* atomic */
	char *name;
	struct hv_irq_line *next;
};

struct hv_vcpu {
	hv_vm_t *vm;
	uint32_t index;
	void *bstate;
	void *snapshot;
	bool has_snapshot;
	uint8_t owned;    /* atomic: a run call owns the vCPU */
	uint8_t in_guest; /* atomic: inside the backend's run */
	/*
	 * Inside hv_vcpu_run()'s loop: the backend may hand MMIO and port exits to hv__dispatch()
	 * itself and, if the VM still runs, complete them and go on without returning (what the
	 * loop would do, without leaving and re-entering the backend). Exits it dispatched that
	 * end the run are returned as HV_EXIT_KICK, so the loop does not dispatch them again.
	 */
	uint8_t loop;
	void *thread;     /* library thread running it, if any */
	const struct hv_device *mmio_cache; /* last MMIO device hit; cleared on map changes */
	const struct hv_device *pio_cache;  /* last port device hit; likewise */
	hv_exit_t exit;
};

struct hv_vm {
	const struct hv_backend *backend;
	void *bstate;
	char *name;
	hv_vm_config_t cfg;
	hv_backend_caps_t caps;
	void *lock;      /* state, stop info */
	void *join_lock; /* joining vCPU threads */
	void *map_lock;  /* held by map changes, and by host-side threads touching guest memory */
	hv_vm_state_t state; /* atomic reads; writes under lock */
	struct hv__rangemap mem; /* regions and MMIO windows */
	struct hv__rangemap pio; /* port windows */
	hv_vcpu_t **vcpus;
	uint32_t vcpu_slots;
	uint32_t vcpu_count;
	struct hv_irq_line *lines;
	uint32_t threads; /* atomic: library threads alive */
	bool started;
	bool stop_valid;
	bool restart_pending;
	hv_stop_info_t stop;
};

static inline hv_vm_state_t hv__vm_state(const hv_vm_t *vm)
{
	return (hv_vm_state_t)__atomic_load_n((const int *)&vm->state, __ATOMIC_ACQUIRE);
}

/*
 * May the VM's maps change? Not while it runs, and not before its vCPU threads are joined or
 * while a caller is inside a run call: they read the maps without a lock.
 */
bool hv__vm_quiescent(const hv_vm_t *vm);

/*
 * Guest memory from threads that are not the VM's vCPUs (host input, timers, network
 * receive): hold the map around the translation and the copy, so the host cannot unmap
 * memory under it. Taken before any device lock; vCPU threads never need it.
 */
void hv__vm_map_hold(hv_vm_t *vm);
void hv__vm_map_release(hv_vm_t *vm);

/* Stop the VM because of an exit or the host; reports events. Safe from any thread. */
void hv__vm_stop(hv_vm_t *vm, hv_event_type_t cause, const hv_vcpu_t *vcpu,
		 const hv_exit_t *exit);
void hv__vm_event(hv_vm_t *vm, hv_event_type_t type, uint32_t vcpu_index,
		  const hv_exit_t *exit);
void hv__vm_invalidate_caches(hv_vm_t *vm);
void hv__vm_release_devices(hv_vm_t *vm);
void hv__vm_reset_devices(hv_vm_t *vm);
void hv__vm_release_regions(hv_vm_t *vm);
void hv__vm_release_lines(hv_vm_t *vm);
void hv__vcpu_destroy(hv_vcpu_t *vcpu);
/* For backends: claim a window that something below the core answers (HV_ERR_OVERLAP etc.). */
hv_status_t hv__vm_reserve(hv_vm_t *vm, hv_bus_t bus, uint64_t base, uint64_t size);

/*
 * For the device library: check the window and the interrupt input, then create the route
 * (if irq != HV__NO_IRQ) and the device, or nothing at all. *line may be NULL for no route.
 */
#define HV__NO_IRQ UINT32_MAX

hv_status_t hv__libdev_add(hv_vm_t *vm, const hv_device_config_t *cfg,
			   const struct hv__devclass *cls, uint32_t irq, hv_irq_line_t **line,
			   hv_device_t **out);
void hv__irq_route_remove(hv_irq_line_t *line);

/* A serial device's host stream: HV_OK, HV_ERR_ABI or HV_ERR_INVALID_ARG; release destroys it. */
hv_status_t hv__chardev_check(const hv_chardev_t *out);
void hv__chardev_release(hv_chardev_t *out);

/* Dispatch one exit; afterwards, the VM's state says whether the vCPU may run on. */
void hv__dispatch(hv_vcpu_t *vcpu, hv_exit_t *exit);

#endif /* HV_INTERNAL_H */
