/* SPDX-License-Identifier: MIT */
/*
 * hv_arm64_fdt_write(): a flattened device tree (Devicetree Specification 0.4, chapter 5) from
 * a description. Two passes over the same code: the first counts the structure and strings
 * blocks, the second writes them where the first said. Self-contained (no hvlib internals,
 * no libc), so host tools build it alone (tests/el2/mkdtb.c).
 */
#include <hvlib/devtree.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_END 9u
#define FDT_HEADER 40u
#define FDT_RSVMAP 16u /* just the terminating entry */

#define PHANDLE_GIC 1u
#define PHANDLE_CLK 2u

struct fdtw {
	uint8_t *buf;  /* NULL while counting */
	size_t st, sl; /* bytes of the structure and strings blocks so far */
	size_t st_off, sl_off;
};

static size_t fdt_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void fdt_bytes(struct fdtw *w, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i;

	if (w->buf != NULL)
		for (i = 0; i < n; i++)
			w->buf[w->st_off + w->st + i] = s[i];
	w->st += n;
	while (w->st & 3) {
		if (w->buf != NULL)
			w->buf[w->st_off + w->st] = 0;
		w->st++;
	}
}

static void fdt_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void fdt_u32(struct fdtw *w, uint32_t v)
{
	uint8_t b[4];

	fdt_be32(b, v);
	fdt_bytes(w, b, 4);
}

static void fdt_begin(struct fdtw *w, const char *name)
{
	fdt_u32(w, FDT_BEGIN_NODE);
	fdt_bytes(w, name, fdt_strlen(name) + 1);
}

static void fdt_end(struct fdtw *w)
{
	fdt_u32(w, FDT_END_NODE);
}

/* A property: data of len bytes (already big-endian where it holds cells). */
static void fdt_prop(struct fdtw *w, const char *name, const void *data, size_t len)
{
	size_t n = fdt_strlen(name) + 1, i;

	fdt_u32(w, FDT_PROP);
	fdt_u32(w, (uint32_t)len);
	fdt_u32(w, (uint32_t)w->sl);
	fdt_bytes(w, data, len);
	if (w->buf != NULL)
		for (i = 0; i < n; i++)
			w->buf[w->sl_off + w->sl + i] = (uint8_t)name[i];
	w->sl += n;
}

static void fdt_str(struct fdtw *w, const char *name, const char *s)
{
	fdt_prop(w, name, s, fdt_strlen(s) + 1);
}

/* A list of 32-bit cells (at most 32). */
static void fdt_cells(struct fdtw *w, const char *name, const uint32_t *v, size_t n)
{
	uint8_t b[128];
	size_t i;

	for (i = 0; i < n && i < 32; i++)
		fdt_be32(b + 4 * i, v[i]);
	fdt_prop(w, name, b, 4 * i);
}

static void fdt_cell(struct fdtw *w, const char *name, uint32_t v)
{
	fdt_cells(w, name, &v, 1);
}

/* Pairs of 64-bit values as 2 + 2 cells: reg with #address-cells = #size-cells = 2. */
static void fdt_reg(struct fdtw *w, const uint64_t *v, size_t pairs)
{
	uint32_t c[4 * HV_ARM64_FDT_MAX_RAM];
	size_t i;

	for (i = 0; i < 2 * pairs && i < 2 * HV_ARM64_FDT_MAX_RAM; i++) {
		c[2 * i] = (uint32_t)(v[i] >> 32);
		c[2 * i + 1] = (uint32_t)v[i];
	}
	fdt_cells(w, "reg", c, 2 * i);
}

/* "prefix@hex" into buf (at least 40 bytes). */
static const char *fdt_name(char *buf, const char *prefix, uint64_t v)
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

static void fdt_device(struct fdtw *w, const hv_fdt_dev_t *d)
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
		fdt_begin(w, fdt_name(name, "pl011", d->base));
		fdt_prop(w, "compatible", pl011, sizeof(pl011));
		break;
	case HV_FDT_DEV_PL031:
		fdt_begin(w, fdt_name(name, "pl031", d->base));
		fdt_prop(w, "compatible", pl031, sizeof(pl031));
		break;
	default:
		fdt_begin(w, fdt_name(name, "virtio_mmio", d->base));
		fdt_str(w, "compatible", "virtio,mmio");
		break;
	}
	fdt_reg(w, reg, 1);
	if (d->intid != 0)
		fdt_cells(w, "interrupts", irq, 3);
	if (d->kind == HV_FDT_DEV_PL011) {
		fdt_cells(w, "clocks", clocks, 2);
		fdt_prop(w, "clock-names", pl011_clocks, sizeof(pl011_clocks));
	} else if (d->kind == HV_FDT_DEV_PL031) {
		fdt_cell(w, "clocks", PHANDLE_CLK);
		fdt_str(w, "clock-names", "apb_pclk");
	} else {
		fdt_prop(w, "dma-coherent", NULL, 0);
	}
	fdt_end(w);
}

static void fdt_tree(struct fdtw *w, const hv_arm64_fdt_desc_t *d)
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
	fdt_begin(w, "");
	fdt_cell(w, "#address-cells", 2);
	fdt_cell(w, "#size-cells", 2);
	fdt_str(w, "compatible", "linux,dummy-virt");
	fdt_cell(w, "interrupt-parent", PHANDLE_GIC);

	fdt_begin(w, "chosen");
	if (d->bootargs != NULL)
		fdt_str(w, "bootargs", d->bootargs);
	if (console != NULL)
		fdt_str(w, "stdout-path", fdt_name(name, "/pl011", console->base));
	if (d->initrd_size != 0) {
		uint32_t s[2] = { (uint32_t)(d->initrd_gpa >> 32), (uint32_t)d->initrd_gpa };
		uint64_t end = d->initrd_gpa + d->initrd_size;
		uint32_t e[2] = { (uint32_t)(end >> 32), (uint32_t)end };

		fdt_cells(w, "linux,initrd-start", s, 2);
		fdt_cells(w, "linux,initrd-end", e, 2);
	}
	fdt_end(w);

	for (i = 0; i < d->ram_count; i++) {
		ram[2 * i] = d->ram[i].base;
		ram[2 * i + 1] = d->ram[i].size;
	}
	fdt_begin(w, fdt_name(name, "memory", d->ram[0].base));
	fdt_str(w, "device_type", "memory");
	fdt_reg(w, ram, d->ram_count);
	fdt_end(w);

	fdt_begin(w, "cpus");
	fdt_cell(w, "#address-cells", 1);
	fdt_cell(w, "#size-cells", 0);
	for (i = 0; i < d->vcpus; i++) {
		uint32_t mpidr = (i % 16) | (i / 16) << 8;

		fdt_begin(w, fdt_name(name, "cpu", mpidr));
		fdt_str(w, "device_type", "cpu");
		fdt_str(w, "compatible", "arm,arm-v8");
		fdt_cell(w, "reg", mpidr);
		fdt_str(w, "enable-method", "psci");
		fdt_end(w);
	}
	fdt_end(w);

	fdt_begin(w, "psci");
	fdt_prop(w, "compatible", psci, sizeof(psci));
	fdt_str(w, "method", d->psci_method != NULL ? d->psci_method : "hvc");
	fdt_end(w);

	fdt_begin(w, fdt_name(name, "intc", gic[0]));
	fdt_str(w, "compatible", "arm,gic-v3");
	fdt_cell(w, "#interrupt-cells", 3);
	fdt_prop(w, "interrupt-controller", NULL, 0);
	fdt_reg(w, gic, 2);
	fdt_cell(w, "phandle", PHANDLE_GIC);
	fdt_end(w);

	fdt_begin(w, "timer");
	fdt_str(w, "compatible", "arm,armv8-timer");
	fdt_cells(w, "interrupts", timer, 12);
	fdt_prop(w, "always-on", NULL, 0);
	fdt_end(w);

	if (clock) {
		fdt_begin(w, "apb-pclk");
		fdt_str(w, "compatible", "fixed-clock");
		fdt_cell(w, "#clock-cells", 0);
		fdt_cell(w, "clock-frequency", 24000000);
		fdt_str(w, "clock-output-names", "clk24mhz");
		fdt_cell(w, "phandle", PHANDLE_CLK);
		fdt_end(w);
	}
	for (i = 0; i < d->dev_count; i++)
		fdt_device(w, &d->dev[i]);
	fdt_end(w);
	fdt_u32(w, FDT_END);
}

static bool fdt_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

hv_status_t hv_arm64_fdt_write(const hv_arm64_fdt_desc_t *desc, void *buf, size_t size,
			       size_t *used)
{
	struct fdtw w = { 0 };
	size_t total, i;
	uint8_t *h = buf;

	if (desc == NULL || used == NULL || (buf == NULL && size != 0))
		return HV_ERR_INVALID_ARG;
	if (desc->struct_size != sizeof(*desc))
		return HV_ERR_ABI;
	if (desc->vcpus == 0 || desc->ram_count == 0 || desc->ram_count > HV_ARM64_FDT_MAX_RAM ||
	    desc->dev_count > HV_ARM64_FDT_MAX_DEVS ||
	    (desc->psci_method != NULL && !fdt_streq(desc->psci_method, "hvc") &&
	     !fdt_streq(desc->psci_method, "smc")))
		return HV_ERR_INVALID_ARG;
	for (i = 0; i < desc->dev_count; i++)
		if (desc->dev[i].kind < HV_FDT_DEV_PL011 ||
		    desc->dev[i].kind > HV_FDT_DEV_VIRTIO_MMIO ||
		    (desc->dev[i].intid != 0 && desc->dev[i].intid < 32))
			return HV_ERR_INVALID_ARG;
	fdt_tree(&w, desc); /* count */
	total = FDT_HEADER + FDT_RSVMAP + w.st + w.sl;
	*used = total;
	if (total > size)
		return HV_ERR_LIMIT;
	w.buf = buf;
	w.st_off = FDT_HEADER + FDT_RSVMAP;
	w.sl_off = w.st_off + w.st;
	w.st = w.sl = 0;
	fdt_tree(&w, desc);
	for (i = 0; i < FDT_RSVMAP; i++)
		h[FDT_HEADER + i] = 0;
	fdt_be32(h + 0, FDT_MAGIC);
	fdt_be32(h + 4, (uint32_t)total);
	fdt_be32(h + 8, (uint32_t)w.st_off);  /* off_dt_struct */
	fdt_be32(h + 12, (uint32_t)w.sl_off); /* off_dt_strings */
	fdt_be32(h + 16, FDT_HEADER);         /* off_mem_rsvmap */
	fdt_be32(h + 20, 17);                 /* version */
	fdt_be32(h + 24, 16);                 /* last_comp_version */
	fdt_be32(h + 28, 0);                  /* boot_cpuid_phys */
	fdt_be32(h + 32, (uint32_t)w.sl);     /* size_dt_strings */
	fdt_be32(h + 36, (uint32_t)w.st);     /* size_dt_struct */
	return HV_OK;
}
