/* SPDX-License-Identifier: MIT */
/*
 * The device tree of a Linux guest, made with libfdt: memory, CPUs with PSCI over HVC, the
 * GICv3 and the timer the aarch64-el2 backend emulates, the PL011, virtio-mmio devices, the
 * initrd and the command line. Plain C over libfdt, no hvlib: tests/el2/mkdtb.c builds the same tree on the host to
 * boot the bare board with it for the figures.
 */
#include <libfdt.h>

#include "guest_fdt.h"

/* "prefix" followed by v in hex. */
static void fw_fdt_name(char *buf, size_t size, const char *prefix, uint64_t v)
{
	char digits[17];
	size_t n = 0, i = 0;

	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (*prefix && i + 1 < size)
		buf[i++] = *prefix++;
	while (n && i + 1 < size)
		buf[i++] = digits[--n];
	buf[i] = 0;
}

#define FDT_TRY(x)                   \
	do {                         \
		int err_ = (x);      \
		if (err_ < 0)        \
			return err_; \
	} while (0)

static int fw_fdt_reg(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int fw_fdt_cells(void *fdt, const char *name, const uint32_t *cells, size_t n)
{
	fdt32_t v[12];
	size_t i;

	for (i = 0; i < n && i < 12; i++)
		v[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, v, (int)(n * sizeof(fdt32_t)));
}

int fw_linux_fdt(void *fdt, size_t size, const struct fw_linux_dt *l)
{
	uint32_t vcpus = l->vcpus;
	static const uint32_t timer_irqs[] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	static const uint32_t uart_irq[] = { 0, 1, 4 };
	static const uint32_t uart_clocks[] = { 2, 2 };
	char name[32];
	uint32_t i;

	FDT_TRY(fdt_create(fdt, (int)size));
	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
	FDT_TRY(fdt_property_u32(fdt, "interrupt-parent", 1));

	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_string(fdt, "bootargs", l->cmdline));
	FDT_TRY(fdt_property_string(fdt, "stdout-path", "/pl011@9000000"));
	if (l->initrd_size != 0) {
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", l->initrd_gpa));
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", l->initrd_gpa + l->initrd_size));
	}
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "memory@40000000"));
	FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
	FDT_TRY(fw_fdt_reg(fdt, l->ram_gpa, l->ram_size));
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (i = 0; i < vcpus; i++) {
		/* MPIDR as the backend gives it: Aff0 = i % 16, Aff1 = i / 16. */
		uint32_t mpidr = (i % 16) | (i / 16) << 8;

		fw_fdt_name(name, sizeof(name), "cpu@", mpidr);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
		FDT_TRY(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
		FDT_TRY(fdt_property_u32(fdt, "reg", mpidr));
		FDT_TRY(fdt_property_string(fdt, "enable-method", "psci"));
		FDT_TRY(fdt_end_node(fdt));
	}
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "psci"));
	FDT_TRY(fdt_property(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2", 26));
	FDT_TRY(fdt_property_string(fdt, "method", "hvc"));
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "intc@8000000"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	{
		fdt64_t reg[4] = { cpu_to_fdt64(0x08000000), cpu_to_fdt64(0x10000),
				   cpu_to_fdt64(0x080a0000), cpu_to_fdt64(0x20000ull * vcpus) };

		FDT_TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
	}
	FDT_TRY(fdt_property_u32(fdt, "phandle", 1));
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "timer"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	FDT_TRY(fw_fdt_cells(fdt, "interrupts", timer_irqs, 12));
	FDT_TRY(fdt_property(fdt, "always-on", NULL, 0));
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "apb-pclk"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
	FDT_TRY(fdt_property_u32(fdt, "#clock-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "clock-frequency", 24000000));
	FDT_TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	FDT_TRY(fdt_property_u32(fdt, "phandle", 2));
	FDT_TRY(fdt_end_node(fdt));

	FDT_TRY(fdt_begin_node(fdt, "pl011@9000000"));
	FDT_TRY(fdt_property(fdt, "compatible", "arm,pl011\0arm,primecell", 24));
	FDT_TRY(fw_fdt_reg(fdt, 0x09000000, 0x1000));
	FDT_TRY(fw_fdt_cells(fdt, "interrupts", uart_irq, 3));
	FDT_TRY(fw_fdt_cells(fdt, "clocks", uart_clocks, 2));
	FDT_TRY(fdt_property(fdt, "clock-names", "uartclk\0apb_pclk", 17));
	FDT_TRY(fdt_end_node(fdt));

	for (i = 0; i < l->virtio_count; i++) {
		uint32_t irq[3] = { 0, l->virtio_spi + i, 4 };

		fw_fdt_name(name, sizeof(name), "virtio_mmio@", l->virtio_base + 0x200ull * i);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		FDT_TRY(fw_fdt_reg(fdt, l->virtio_base + 0x200ull * i, 0x200));
		FDT_TRY(fw_fdt_cells(fdt, "interrupts", irq, 3));
		FDT_TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
		FDT_TRY(fdt_end_node(fdt));
	}

	FDT_TRY(fdt_end_node(fdt));
	return fdt_finish(fdt);
}
