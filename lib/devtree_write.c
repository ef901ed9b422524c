/* SPDX-License-Identifier: MIT */
/*
 * hv_arm64_fdt_write(): a flattened device tree from a description, written with libfdt's
 * sequential-write API (fdt_create ... fdt_finish).
 *
 * The tree is said once (dt_tree) and run twice: a sizing pass first, because libfdt answers
 * a short buffer with -FDT_ERR_NOSPACE alone while the contract promises the size it needs;
 * then the real pass through libfdt into the caller's buffer. The sizing pass takes the header
 * and reserve map's size from libfdt itself and counts the blocks the way fdt_sw.c fills them
 * (tags and data padded to 4 bytes; a property name already in the strings block, also as the
 * tail of a longer one, is not added again); test_devtree checks it against fdt_totalsize().
 *
 * Self-contained (no hvlib internals, no libc beyond what libfdt itself calls), so host tools
 * build it alone with -DHVLIB_HAVE_LIBFDT=1 and -lfdt (tests/el2/mkdtb.c). Built without
 * libfdt, it checks the description and answers HV_ERR_UNSUPPORTED.
 */
#include <hvlib/devtree.h>

#ifdef HVLIB_HAVE_LIBFDT
#include <libfdt.h>
#endif

static bool dt_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static hv_status_t dt_check(const hv_arm64_fdt_desc_t *desc, void *buf, size_t size, size_t *used)
{
	uint32_t i;

	if (desc == NULL || used == NULL || (buf == NULL && size != 0))
		return HV_ERR_INVALID_ARG;
	if (desc->struct_size != sizeof(*desc))
		return HV_ERR_ABI;
	if (desc->vcpus == 0 || desc->ram_count == 0 || desc->ram_count > HV_ARM64_FDT_MAX_RAM ||
	    desc->dev_count > HV_ARM64_FDT_MAX_DEVS ||
	    (desc->psci_method != NULL && !dt_streq(desc->psci_method, "hvc") &&
	     !dt_streq(desc->psci_method, "smc")))
		return HV_ERR_INVALID_ARG;
	for (i = 0; i < desc->dev_count; i++)
		if (desc->dev[i].kind < HV_FDT_DEV_PL011 ||
		    desc->dev[i].kind > HV_FDT_DEV_VIRTIO_MMIO ||
		    (desc->dev[i].intid != 0 && desc->dev[i].intid < 32))
			return HV_ERR_INVALID_ARG;
	return HV_OK;
}

#ifndef HVLIB_HAVE_LIBFDT

hv_status_t hv_arm64_fdt_write(const hv_arm64_fdt_desc_t *desc, void *buf, size_t size,
			       size_t *used)
{
	hv_status_t st = dt_check(desc, buf, size, used);

	return st != HV_OK ? st : HV_ERR_UNSUPPORTED;
}

#else

#define PHANDLE_GIC 1u
#define PHANDLE_CLK 2u

/* Distinct property names a tree can hold (see dt_tree); the sizing pass remembers them. */
#define DT_MAX_NAMES 32

struct dtw {
	void *fdt; /* libfdt's tree being written; NULL in the sizing pass */
	int err;   /* the first libfdt error, then nothing more is done */
	size_t st; /* sizing: bytes of the structure block */
	size_t sl; /* sizing: bytes of the strings block */
	size_t names;
	const char *name[DT_MAX_NAMES];
};

static size_t dt_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static size_t dt_pad(size_t n)
{
	return (n + FDT_TAGSIZE - 1) & ~(size_t)(FDT_TAGSIZE - 1);
}

/* Sizing: the strings block gets name unless it ends a name already there (fdt_sw.c). */
static void dt_size_name(struct dtw *w, const char *name)
{
	size_t n = dt_strlen(name), i;

	for (i = 0; i < w->names; i++) {
		size_t m = dt_strlen(w->name[i]);

		if (m >= n && dt_streq(w->name[i] + (m - n), name))
			return;
	}
	if (w->names == DT_MAX_NAMES) {
		w->err = -FDT_ERR_INTERNAL;
		return;
	}
	w->name[w->names++] = name;
	w->sl += n + 1;
}

static void dt_begin(struct dtw *w, const char *name)
{
	if (w->err)
		return;
	if (w->fdt == NULL)
		w->st += sizeof(struct fdt_node_header) + dt_pad(dt_strlen(name) + 1);
	else
		w->err = fdt_begin_node(w->fdt, name);
}

static void dt_end(struct dtw *w)
{
	if (w->err)
		return;
	if (w->fdt == NULL)
		w->st += FDT_TAGSIZE;
	else
		w->err = fdt_end_node(w->fdt);
}

/* A property of len bytes; *valp (when not NULL) receives where its value goes. */
static void dt_prop_space(struct dtw *w, const char *name, size_t len, void **valp)
{
	if (valp != NULL)
		*valp = NULL;
	if (w->err)
		return;
	if (w->fdt == NULL) {
		w->st += sizeof(struct fdt_property) + dt_pad(len);
		dt_size_name(w, name);
		return;
	}
	if (valp == NULL)
		w->err = fdt_property(w->fdt, name, NULL, 0);
	else
		w->err = fdt_property_placeholder(w->fdt, name, (int)len, valp);
}

static void dt_prop(struct dtw *w, const char *name, const void *data, size_t len)
{
	uint8_t *p;
	size_t i;

	dt_prop_space(w, name, len, len != 0 ? (void **)&p : NULL);
	if (len != 0 && p != NULL)
		for (i = 0; i < len; i++)
			p[i] = ((const uint8_t *)data)[i];
}

static void dt_str(struct dtw *w, const char *name, const char *s)
{
	dt_prop(w, name, s, dt_strlen(s) + 1);
}

static void dt_cells(struct dtw *w, const char *name, const uint32_t *v, size_t n)
{
	uint8_t *p;
	size_t i;

	dt_prop_space(w, name, 4 * n, (void **)&p);
	if (p != NULL)
		for (i = 0; i < n; i++)
			fdt32_st(p + 4 * i, v[i]);
}

static void dt_cell(struct dtw *w, const char *name, uint32_t v)
{
	dt_cells(w, name, &v, 1);
}

/* Pairs of 64-bit values as 2 + 2 cells: reg with #address-cells = #size-cells = 2. */
static void dt_reg(struct dtw *w, const uint64_t *v, size_t pairs)
{
	uint8_t *p;
	size_t i;

	dt_prop_space(w, "reg", 16 * pairs, (void **)&p);
	if (p != NULL)
		for (i = 0; i < 2 * pairs; i++) {
			fdt32_st(p + 8 * i, (uint32_t)(v[i] >> 32));
			fdt32_st(p + 8 * i + 4, (uint32_t)v[i]);
		}
}

/* "prefix@hex" into buf (at least 40 bytes). */
static const char *dt_name(char *buf, const char *prefix, uint64_t v)
{
	char digits[16];
	size_t n = 0, i = 0;

	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (*prefix && i < 20)
		buf[i++] = *prefix++;
	buf[i++] = '@';
	while (n)
		buf[i++] = digits[--n];
	buf[i] = 0;
	return buf;
}

static void dt_device(struct dtw *w, const hv_fdt_dev_t *d)
{
	static const char pl011[] = "arm,pl011\0arm,primecell";
	static const char pl031[] = "arm,pl031\0arm,primecell";
	static const char pl011_clocks[] = "uartclk\0apb_pclk";
	uint64_t reg[2] = { d->base, d->size };
	uint32_t irq[3] = { 0, d->intid - 32, d->trigger == HV_IRQ_EDGE ? 1u : 4u };
	uint32_t clocks[2] = { PHANDLE_CLK, PHANDLE_CLK };
	char name[48];

	switch (d->kind) {
	case HV_FDT_DEV_PL011:
		dt_begin(w, dt_name(name, "pl011", d->base));
		dt_prop(w, "compatible", pl011, sizeof(pl011));
		break;
	case HV_FDT_DEV_PL031:
		dt_begin(w, dt_name(name, "pl031", d->base));
		dt_prop(w, "compatible", pl031, sizeof(pl031));
		break;
	default:
		dt_begin(w, dt_name(name, "virtio_mmio", d->base));
		dt_str(w, "compatible", "virtio,mmio");
		break;
	}
	dt_reg(w, reg, 1);
	if (d->intid != 0)
		dt_cells(w, "interrupts", irq, 3);
	if (d->kind == HV_FDT_DEV_PL011) {
		dt_cells(w, "clocks", clocks, 2);
		dt_prop(w, "clock-names", pl011_clocks, sizeof(pl011_clocks));
	} else if (d->kind == HV_FDT_DEV_PL031) {
		dt_cell(w, "clocks", PHANDLE_CLK);
		dt_str(w, "clock-names", "apb_pclk");
	} else {
		dt_prop(w, "dma-coherent", NULL, 0);
	}
	dt_end(w);
}

static void dt_tree(struct dtw *w, const hv_arm64_fdt_desc_t *d)
{
	static const char psci[] = "arm,psci-1.0\0arm,psci-0.2";
	/* Secure and non-secure physical, virtual, hypervisor timers: PPIs 13, 14, 11, 10. */
	static const uint32_t timer[] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	uint64_t gic[4] = { d->gicd_base ? d->gicd_base : 0x08000000ull, 0x10000,
			    d->gicr_base ? d->gicr_base : 0x080a0000ull, 0x20000ull * d->vcpus };
	uint64_t ram[2 * HV_ARM64_FDT_MAX_RAM];
	const hv_fdt_dev_t *console = NULL;
	bool clock = false;
	char name[48];
	uint32_t i;

	for (i = 0; i < d->dev_count; i++) {
		if (d->dev[i].kind == HV_FDT_DEV_PL011 && console == NULL)
			console = &d->dev[i];
		clock |= d->dev[i].kind == HV_FDT_DEV_PL011 || d->dev[i].kind == HV_FDT_DEV_PL031;
	}
	dt_begin(w, "");
	dt_cell(w, "#address-cells", 2);
	dt_cell(w, "#size-cells", 2);
	dt_str(w, "compatible", "linux,dummy-virt");
	dt_cell(w, "interrupt-parent", PHANDLE_GIC);

	dt_begin(w, "chosen");
	if (d->bootargs != NULL)
		dt_str(w, "bootargs", d->bootargs);
	if (console != NULL)
		dt_str(w, "stdout-path", dt_name(name, "/pl011", console->base));
	if (d->initrd_size != 0) {
		uint64_t end = d->initrd_gpa + d->initrd_size;
		uint32_t s[2] = { (uint32_t)(d->initrd_gpa >> 32), (uint32_t)d->initrd_gpa };
		uint32_t e[2] = { (uint32_t)(end >> 32), (uint32_t)end };

		dt_cells(w, "linux,initrd-start", s, 2);
		dt_cells(w, "linux,initrd-end", e, 2);
	}
	dt_end(w);

	for (i = 0; i < d->ram_count; i++) {
		ram[2 * i] = d->ram[i].base;
		ram[2 * i + 1] = d->ram[i].size;
	}
	dt_begin(w, dt_name(name, "memory", d->ram[0].base));
	dt_str(w, "device_type", "memory");
	dt_reg(w, ram, d->ram_count);
	dt_end(w);

	dt_begin(w, "cpus");
	dt_cell(w, "#address-cells", 1);
	dt_cell(w, "#size-cells", 0);
	for (i = 0; i < d->vcpus; i++) {
		uint32_t mpidr = (i % 16) | (i / 16) << 8;

		dt_begin(w, dt_name(name, "cpu", mpidr));
		dt_str(w, "device_type", "cpu");
		dt_str(w, "compatible", "arm,arm-v8");
		dt_cell(w, "reg", mpidr);
		dt_str(w, "enable-method", "psci");
		dt_end(w);
	}
	dt_end(w);

	dt_begin(w, "psci");
	dt_prop(w, "compatible", psci, sizeof(psci));
	dt_str(w, "method", d->psci_method != NULL ? d->psci_method : "hvc");
	dt_end(w);

	dt_begin(w, dt_name(name, "intc", gic[0]));
	dt_str(w, "compatible", "arm,gic-v3");
	dt_cell(w, "#interrupt-cells", 3);
	dt_prop(w, "interrupt-controller", NULL, 0);
	dt_reg(w, gic, 2);
	dt_cell(w, "phandle", PHANDLE_GIC);
	dt_end(w);

	dt_begin(w, "timer");
	dt_str(w, "compatible", "arm,armv8-timer");
	dt_cells(w, "interrupts", timer, 12);
	dt_prop(w, "always-on", NULL, 0);
	dt_end(w);

	if (clock) {
		dt_begin(w, "apb-pclk");
		dt_str(w, "compatible", "fixed-clock");
		dt_cell(w, "#clock-cells", 0);
		dt_cell(w, "clock-frequency", 24000000);
		dt_str(w, "clock-output-names", "clk24mhz");
		dt_cell(w, "phandle", PHANDLE_CLK);
		dt_end(w);
	}
	for (i = 0; i < d->dev_count; i++)
		dt_device(w, &d->dev[i]);
	dt_end(w);
}

/* Where libfdt puts the structure block: after its header and an empty reserve map. */
static int dt_struct_offset(void)
{
	uint64_t scratch[32]; /* 256 bytes, 8-byte aligned as libfdt's readers like it */
	int err = fdt_create(scratch, sizeof(scratch));

	if (err == 0)
		err = fdt_finish_reservemap(scratch);
	return err != 0 ? err : (int)fdt_off_dt_struct(scratch);
}

static hv_status_t dt_status(int err)
{
	/*
	 * A short buffer is the caller's; libfdt has no other reason to refuse these calls but a
	 * bug here or a libfdt that works otherwise than the one this was written for.
	 */
	return err == -FDT_ERR_NOSPACE ? HV_ERR_LIMIT : HV_ERR_UNSUPPORTED;
}

hv_status_t hv_arm64_fdt_write(const hv_arm64_fdt_desc_t *desc, void *buf, size_t size,
			       size_t *used)
{
	struct dtw w = { 0 };
	hv_status_t st = dt_check(desc, buf, size, used);
	size_t need;
	int off;

	if (st != HV_OK)
		return st;
	off = dt_struct_offset();
	if (off < 0)
		return dt_status(off);
	dt_tree(&w, desc); /* sizing */
	if (w.err)
		return dt_status(w.err);
	need = (size_t)off + w.st + FDT_TAGSIZE /* FDT_END */ + w.sl;
	if (need > size || need > (size_t)INT32_MAX /* libfdt's sizes are ints */) {
		*used = need;
		return HV_ERR_LIMIT;
	}

	w = (struct dtw){ .fdt = buf };
	w.err = fdt_create(buf, size > (size_t)INT32_MAX ? INT32_MAX : (int)size);
	if (!w.err)
		w.err = fdt_finish_reservemap(buf);
	dt_tree(&w, desc);
	if (!w.err)
		w.err = fdt_finish(buf);
	if (w.err) {
		if (w.err == -FDT_ERR_NOSPACE)
			*used = need;
		return dt_status(w.err);
	}
	*used = fdt_totalsize(buf);
	return HV_OK;
}

#endif /* HVLIB_HAVE_LIBFDT */
