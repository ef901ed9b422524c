/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables of hv_pc_setup(), read back as an OS does: find the RSDP by scanning the BIOS
 * area, follow the XSDT and RSDT, check every checksum and length, the FADT's fields, the
 * MADT's entries and the DSDT's AML. When iasl (acpica-tools) is installed, the tables are also
 * disassembled by it and its output checked.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define BIOS_BASE 0xe0000u
#define BIOS_SIZE 0x20000u

struct tables {
	uint8_t mem[BIOS_SIZE]; /* the region, as the guest sees it */
	uint64_t base;
	const uint8_t *rsdp, *rsdt, *xsdt, *fadt, *facs, *dsdt, *madt;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n-- > 0)
		s = (uint8_t)(s + *p++);
	return s;
}

/* A table at gpa inside the region: signature, length in bounds, checksum zero. */
static const uint8_t *table_at(struct tables *t, uint64_t gpa, const char *sig)
{
	const uint8_t *p;
	uint32_t len;

	assert_true(gpa >= t->base && gpa + 36 <= t->base + BIOS_SIZE);
	p = t->mem + (gpa - t->base);
	assert_memory_equal(p, sig, 4);
	len = rd32(p + 4);
	assert_true(len >= 36 && gpa + len <= t->base + BIOS_SIZE);
	assert_int_equal(sum(p, len), 0);
	assert_memory_equal(p + 10, "HVLIB ", 6);
	return p;
}

/* Read the region and walk it from the RSDP, checking the structure of every table. */
static void tables_read(hv_vm_t *vm, uint64_t base, struct tables *t)
{
	const uint8_t *e;
	uint32_t i, n;
	uint64_t facs;

	memset(t, 0, sizeof(*t));
	t->base = base;
	assert_int_equal(hv_vm_read(vm, base, t->mem, BIOS_SIZE), HV_OK);
	for (i = 0; i < BIOS_SIZE; i += 16) {
		if (memcmp(t->mem + i, "RSD PTR ", 8) == 0 && sum(t->mem + i, 20) == 0) {
			t->rsdp = t->mem + i;
			break;
		}
	}
	assert_non_null(t->rsdp);
	assert_int_equal(t->rsdp[15], 2);
	assert_int_equal(rd32(t->rsdp + 20), 36);
	assert_int_equal(sum(t->rsdp, 36), 0);
	t->rsdt = table_at(t, rd32(t->rsdp + 16), "RSDT");
	t->xsdt = table_at(t, rd64(t->rsdp + 24), "XSDT");
	n = (rd32(t->xsdt + 4) - 36) / 8;
	assert_int_equal(rd32(t->xsdt + 4), 36 + 8 * n);
	assert_int_equal(rd32(t->rsdt + 4), 36 + 4 * n);
	for (i = 0; i < n; i++) {
		uint64_t a = rd64(t->xsdt + 36 + 8 * i);

		assert_int_equal(rd32(t->rsdt + 36 + 4 * i), a);
		e = t->mem + (a - base);
		if (memcmp(e, "FACP", 4) == 0)
			t->fadt = table_at(t, a, "FACP");
		else if (memcmp(e, "APIC", 4) == 0)
			t->madt = table_at(t, a, "APIC");
		else
			fail_msg("unexpected table %.4s", (const char *)e);
	}
	assert_non_null(t->fadt);
	assert_non_null(t->madt);
	t->dsdt = table_at(t, rd64(t->fadt + 140), "DSDT");
	assert_int_equal(rd32(t->fadt + 40), rd64(t->fadt + 140));
	facs = rd64(t->fadt + 132);
	assert_int_equal(rd32(t->fadt + 36), facs);
	assert_int_equal(facs % 64, 0);
	t->facs = t->mem + (facs - base);
	assert_memory_equal(t->facs, "FACS", 4);
	assert_int_equal(rd32(t->facs + 4), 64);
}

static hv_vm_t *vm_with_vcpus(unsigned n)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	unsigned i;

	for (i = 0; i < n; i++)
		ts_vcpu_new(vm, i);
	return vm;
}

static size_t count_in(const uint8_t *p, size_t len, const void *needle, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i + n <= len; i++)
		c += memcmp(p + i, needle, n) == 0;
	return c;
}

static void test_acpi_rsdp_is_found_in_the_bios_area_and_tables_check(void **state)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = vm_with_vcpus(2);
	struct tables *t = malloc(sizeof(*t));
	hv_region_t *r;

	(void)state;
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	assert_int_equal(hv_vm_find_region(vm, BIOS_BASE, &r), HV_OK);
	assert_int_equal(hv_region_gpa(r), BIOS_BASE);
	assert_int_equal(hv_region_size(r), BIOS_SIZE);
	tables_read(vm, BIOS_BASE, t);
	assert_ptr_equal(t->rsdp, t->mem); /* at tables_gpa itself */
	assert_int_equal(t->xsdt[8], 1);
	assert_int_equal(t->dsdt[8], 2);
	free(t);
	hv_vm_destroy(vm);
}

static void test_acpi_fadt_describes_the_pm_block_and_the_platform(void **state)
{
	hv_x86_platform_config_t pc = HV_X86_PLATFORM_CONFIG_INIT;
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = vm_with_vcpus(1);
	struct tables *t = malloc(sizeof(*t));
	const uint8_t *f;
	uint32_t flags;

	(void)state;
	assert_int_equal(hv_x86_platform_add(vm, &pc), HV_OK);
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	tables_read(vm, BIOS_BASE, t);
	f = t->fadt;
	assert_int_equal(rd32(f + 4), 276);
	assert_int_equal(f[8], 6);   /* revision */
	assert_int_equal(f[131], 3); /* minor version */
	assert_int_equal(rd16(f + 46), 9);
	assert_int_equal(rd32(f + 48), 0); /* no SMI_CMD: ACPI always on */
	assert_int_equal(rd32(f + 56), 0x600);
	assert_int_equal(rd32(f + 64), 0x604);
	assert_int_equal(rd32(f + 76), 0x608);
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_int_equal(f[108], 0x32);                         /* century in CMOS */
	/* No VGA; no 8042 flag: the i8042 is there for resets, with no keyboard to probe. */
	assert_int_equal(rd16(f + 109), 1u << 2);
	flags = rd32(f + 112);
	assert_true(flags & (1u << 0));   /* WBINVD */
	assert_true(flags & (1u << 2));   /* PROC_C1 */
	assert_true(flags & (1u << 8));   /* TMR_VAL_EXT */
	assert_true(flags & (1u << 10));  /* RESET_REG_SUP */
	assert_false(flags & (1u << 20)); /* not hardware-reduced */
	assert_int_equal(f[116], 1);      /* reset register: system I/O, 8 bits, 0xcf9 */
	assert_int_equal(f[117], 8);
	assert_int_equal(rd64(f + 120), 0xcf9);
	assert_int_equal(f[128], 6);
	assert_int_equal(f[148], 1); /* X_PM1a_EVT_BLK */
	assert_int_equal(f[149], 32);
	assert_int_equal(rd64(f + 152), 0x600);
	assert_int_equal(f[173], 16); /* X_PM1a_CNT_BLK */
	assert_int_equal(rd64(f + 176), 0x604);
	assert_int_equal(f[209], 32); /* X_PM_TMR_BLK */
	assert_int_equal(rd64(f + 212), 0x608);
	free(t);
	hv_vm_destroy(vm);
}

static void test_acpi_fadt_without_platform_pieces(void **state)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = vm_with_vcpus(1);
	struct tables *t = malloc(sizeof(*t));

	(void)state;
	c.pm_port = 0xb000;
	c.sci_irq = 20;
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	tables_read(vm, BIOS_BASE, t);
	assert_int_equal(rd16(t->fadt + 109), (1u << 2) | (1u << 5)); /* no VGA, no RTC */
	assert_false(rd32(t->fadt + 112) & (1u << 10));
	assert_int_equal(t->fadt[108], 0);
	assert_int_equal(rd16(t->fadt + 46), 20);
	assert_int_equal(rd32(t->fadt + 56), 0xb000);
	assert_int_equal(rd32(t->fadt + 76), 0xb008);
	free(t);
	hv_vm_destroy(vm);
}

static void test_acpi_madt_lists_every_vcpu_the_ioapic_and_overrides(void **state)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = vm_with_vcpus(3);
	struct tables *t = malloc(sizeof(*t));
	const uint8_t *m, *e, *end;
	unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	(void)state;
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	tables_read(vm, BIOS_BASE, t);
	m = t->madt;
	assert_int_equal(m[8], 5);
	assert_int_equal(rd32(m + 36), 0xfee00000u);
	assert_int_equal(rd32(m + 40), 1);
	end = m + rd32(m + 4);
	for (e = m + 44; e < end; e += e[1]) {
		assert_true(e[1] >= 2 && e + e[1] <= end);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], lapics); /* UID */
			assert_int_equal(e[3], lapics); /* APIC ID */
			assert_int_equal(rd32(e + 4), 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], 3);
			assert_int_equal(rd32(e + 4), 0xfec00000u);
			assert_int_equal(rd32(e + 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			if (e[3] == 0) {
				assert_int_equal(rd32(e + 4), 2);
				assert_int_equal(rd16(e + 8), 0);
			} else {
				assert_int_equal(e[3], 9);
				assert_int_equal(rd32(e + 4), 9);
				assert_int_equal(rd16(e + 8), 0x0d);
			}
			isos++;
			break;
		case 4:
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1);
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry %u", e[0]);
		}
	}
	assert_ptr_equal(e, end);
	assert_int_equal(lapics, 3);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
	free(t);
	hv_vm_destroy(vm);
}

static void test_acpi_vcpu_count_overrides_the_created_vcpus(void **state)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = vm_with_vcpus(1);
	struct tables *t = malloc(sizeof(*t));

	(void)state;
	c.vcpu_count = HV_PC_VCPU_MAX;
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	tables_read(vm, BIOS_BASE, t);
	assert_int_equal(rd32(t->madt + 4), 44 + 8 * HV_PC_VCPU_MAX + 12 + 2 * 10 + 6);
	assert_int_equal(count_in(t->dsdt, rd32(t->dsdt + 4), "ACPI0007", 8), HV_PC_VCPU_MAX);
	free(t);
	hv_vm_destroy(vm);
}

static void test_acpi_dsdt_has_s5_and_the_virtio_devices(void **state)
{
	static const uint8_t s5[] = { 0x08, '\\', '_',  'S',  '5',  '_',  0x12, 0x08,
				      0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	static const uint8_t crs[] = { 0x08, '_',  'C',  'R',  'S',  0x11, 0x1a, 0x0a,
				       0x17, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00,
				       0xd0, 0x00, 0x02, 0x00, 0x00, 0x89, 0x06, 0x00,
				       0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x79, 0x00 };
	hv_pc_virtio_t v[3] = { { 0xd0000000, 5 }, { 0xd0000200, 6 }, { 0xd0000400, 7 } };
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = vm_with_vcpus(2);
	struct tables *t = malloc(sizeof(*t));
	uint32_t len;

	(void)state;
	c.virtio = v;
	c.virtio_count = 3;
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	tables_read(vm, BIOS_BASE, t);
	len = rd32(t->dsdt + 4);
	assert_int_equal(count_in(t->dsdt, len, s5, sizeof(s5)), 1);
	assert_int_equal(count_in(t->dsdt, len, "LNRO0005", 9), 3);
	assert_int_equal(count_in(t->dsdt, len, crs, sizeof(crs)), 1);
	assert_int_equal(count_in(t->dsdt, len, "VR02", 4), 1);
	assert_int_equal(count_in(t->dsdt, len, "C001", 4), 1);
	free(t);
	hv_vm_destroy(vm);
}

/* The device count that needs a multi-byte PkgLength for \_SB_ and two for devices. */
static void test_acpi_many_virtio_devices_and_elsewhere(void **state)
{
	hv_pc_virtio_t *v = calloc(HV_PC_VIRTIO_MAX, sizeof(*v));
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = vm_with_vcpus(1);
	struct tables *t = malloc(sizeof(*t));
	unsigned i;

	(void)state;
	for (i = 0; i < HV_PC_VIRTIO_MAX; i++) {
		v[i].base = 0xc0000000u + i * 0x200u;
		v[i].irq = 300 + i; /* > 255: word integers in _UID? no: GSI is a dword anyway */
	}
	c.virtio = v;
	c.virtio_count = HV_PC_VIRTIO_MAX;
	c.tables_gpa = 0x80000000u;
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	tables_read(vm, 0x80000000u, t);
	assert_ptr_equal(t->rsdp, t->mem);
	assert_int_equal(count_in(t->dsdt, rd32(t->dsdt + 4), "LNRO0005", 9), HV_PC_VIRTIO_MAX);
	assert_int_equal(hv_vm_find_region(vm, BIOS_BASE, &(hv_region_t *){ NULL }),
			 HV_ERR_NOT_MAPPED);
	free(t);
	free(v);
	hv_vm_destroy(vm);
}

/* ---- iasl ---------------------------------------------------------------------------------- */

static bool have_iasl(void)
{
	return system("command -v iasl >/dev/null 2>&1") == 0;
}

static void dump(const char *dir, const char *name, const uint8_t *p)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, rd32(p + 4), f), rd32(p + 4));
	fclose(f);
}

/* Run iasl -d on one table; return its disassembly (malloc'd) and check iasl's verdict. */
static char *iasl_disassemble(const char *dir, const char *name)
{
	char cmd[1024], path[512];
	char *out;
	FILE *f;
	long n;
	int rc;

	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat > %s.log 2>&1", dir, name, name);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	out = calloc(1, 65536);
	n = (long)fread(out, 1, 65535, f);
	fclose(f);
	if (rc != 0 || strstr(out, "rror") != NULL || strstr(out, "arning") != NULL ||
	    strstr(out, "Invalid") != NULL)
		fail_msg("iasl -d %s: exit %d:\n%s", name, rc, out);
	free(out);
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	out = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return out;
}

static void expect(const char *dsl, const char *what)
{
	if (strstr(dsl, what) == NULL)
		fail_msg("disassembly lacks \"%s\":\n%s", what, dsl);
}

static void test_acpi_tables_pass_iasl(void **state)
{
	hv_x86_platform_config_t pc = HV_X86_PLATFORM_CONFIG_INIT;
	hv_pc_virtio_t v[2] = { { 0xd0000000, 5 }, { 0xd0000200, 6 } };
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	char dir[] = "/tmp/hvlib-acpi-XXXXXX";
	const char *keep = getenv("HVLIB_ACPI_DUMP");
	struct tables *t;
	hv_vm_t *vm;
	char *dsl, cmd[600];

	(void)state;
	if (!have_iasl()) {
		print_message("SKIP: iasl not installed (apt-get install acpica-tools)\n");
		skip();
	}
	vm = vm_with_vcpus(2);
	t = malloc(sizeof(*t));
	assert_int_equal(hv_x86_platform_add(vm, &pc), HV_OK);
	c.virtio = v;
	c.virtio_count = 2;
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	tables_read(vm, BIOS_BASE, t);
	assert_non_null(mkdtemp(dir));
	dump(dir, "dsdt.dat", t->dsdt);
	dump(dir, "facp.dat", t->fadt);
	dump(dir, "apic.dat", t->madt);
	dump(dir, "xsdt.dat", t->xsdt);
	dump(dir, "rsdt.dat", t->rsdt);

	dsl = iasl_disassemble(dir, "dsdt");
	expect(dsl, "Name (\\_S5, Package (0x04)");
	expect(dsl, "Device (VR00)");
	expect(dsl, "Device (VR01)");
	expect(dsl, "Name (_HID, \"LNRO0005\")");
	expect(dsl, "Memory32Fixed (ReadWrite,");
	expect(dsl, "0xD0000200,         // Address Base");
	expect(dsl, "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )");
	expect(dsl, "Device (C001)");
	free(dsl);
	/* The disassembly compiles back (iasl's own check of names, packages, templates). */
	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -p dsdt-rt dsdt.dsl > dsdt-rt.log 2>&1", dir);
	if (system(cmd) != 0)
		fail_msg("iasl cannot compile the disassembled DSDT (see %s/dsdt-rt.log)", dir);
	dsl = iasl_disassemble(dir, "facp");
	expect(dsl, "Revision : 06");
	expect(dsl, "PM1A Event Block Address : 00000600");
	expect(dsl, "Hardware Reduced (V5) : 0");
	expect(dsl, "Reset Register Supported (V2) : 1");
	free(dsl);
	dsl = iasl_disassemble(dir, "apic");
	expect(dsl, "Subtable Type : 01 [I/O APIC]");
	free(dsl);
	free(iasl_disassemble(dir, "xsdt"));
	free(iasl_disassemble(dir, "rsdt"));
	if (keep != NULL)
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s'/* '%s'/", keep, dir, keep);
	else
		cmd[0] = '\0';
	if (cmd[0] != '\0')
		assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_acpi_rsdp_is_found_in_the_bios_area_and_tables_check),
		TS_TEST(test_acpi_fadt_describes_the_pm_block_and_the_platform),
		TS_TEST(test_acpi_fadt_without_platform_pieces),
		TS_TEST(test_acpi_madt_lists_every_vcpu_the_ioapic_and_overrides),
		TS_TEST(test_acpi_vcpu_count_overrides_the_created_vcpus),
		TS_TEST(test_acpi_dsdt_has_s5_and_the_virtio_devices),
		TS_TEST(test_acpi_many_virtio_devices_and_elsewhere),
		TS_TEST(test_acpi_tables_pass_iasl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
