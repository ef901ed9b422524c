/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables of a PC (ACPI 6.3): RSDP, RSDT, XSDT, FADT, FACS, DSDT, MADT, written into one
 * buffer that becomes a ROM region. Layouts and revisions follow the specification's chapter 5;
 * the DSDT's AML is encoded by hand (chapter 20): a Name for \_S5_, and Devices with Names
 * under \_SB_, whose resource templates are Buffers (chapter 6.4).
 */
#include "pc.h"

#define OEM_ID "HVLIB "
#define OEM_TABLE_ID "HVLIBPC "
#define CREATOR_ID "HVLB"
#define HDR_SIZE 36u

#define LAPIC_GPA 0xfee00000u
#define IOAPIC_GPA 0xfec00000u

/* FADT flags (5.2.9, table 5.35) and IA-PC boot architecture flags (table 5.36). */
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_PWR_BUTTON (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON (1u << 5) /* no fixed-feature sleep button */
#define FADT_TMR_VAL_EXT (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)
#define BOOT_8042 (1u << 1)
#define BOOT_NO_VGA (1u << 2)
#define BOOT_NO_CMOS_RTC (1u << 5)
#define CMOS_CENTURY 0x32u
#define RESET_PORT 0xcf9u
#define RESET_VALUE 0x06u

/* Generic Address Structure: address space and access sizes. */
#define GAS_SYSTEM_IO 1u
#define GAS_ACCESS_BYTE 1u

/* AML opcodes (20.2). */
#define AML_ZERO 0x00u
#define AML_ONE 0x01u
#define AML_NAME 0x08u
#define AML_BYTE 0x0au
#define AML_WORD 0x0bu
#define AML_DWORD 0x0cu
#define AML_QWORD 0x0eu
#define AML_STRING 0x0du
#define AML_SCOPE 0x10u
#define AML_BUFFER 0x11u
#define AML_PACKAGE 0x12u
#define AML_EXT 0x5bu
#define AML_DEVICE 0x82u
#define AML_ROOT '\\'

struct abuf {
	uint8_t *p;
	size_t size;
	size_t pos;
	bool overflow;
};

static bool room(struct abuf *b, size_t n)
{
	if (b->overflow || n > b->size - b->pos) {
		b->overflow = true;
		return false;
	}
	return true;
}

static void put(struct abuf *b, uint64_t v, unsigned bytes)
{
	unsigned i;

	if (!room(b, bytes))
		return;
	for (i = 0; i < bytes; i++)
		b->p[b->pos++] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static void put_str(struct abuf *b, const char *s, size_t n)
{
	if (!room(b, n))
		return;
	hv__memcpy(b->p + b->pos, s, n);
	b->pos += n;
}

static void set(struct abuf *b, size_t at, uint64_t v, unsigned bytes)
{
	unsigned i;

	if (b->overflow)
		return;
	for (i = 0; i < bytes; i++)
		b->p[at + i] = (uint8_t)(v >> (8 * i));
}

static void align(struct abuf *b, size_t a)
{
	size_t pad = (a - b->pos % a) % a;

	if (room(b, pad))
		b->pos += pad;
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n-- > 0)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)(0u - sum);
}

/* ---- tables ------------------------------------------------------------------------------ */

static size_t table_begin(struct abuf *b, const char *sig, uint8_t revision)
{
	size_t at;

	align(b, 16);
	at = b->pos;
	put_str(b, sig, 4);
	put(b, 0, 4); /* length, set by table_end */
	put(b, revision, 1);
	put(b, 0, 1); /* checksum */
	put_str(b, OEM_ID, 6);
	put_str(b, OEM_TABLE_ID, 8);
	put(b, 1, 4); /* OEM revision */
	put_str(b, CREATOR_ID, 4);
	put(b, 1, 4); /* creator revision */
	return at;
}

static void table_end(struct abuf *b, size_t at)
{
	if (b->overflow)
		return;
	set(b, at + 4, b->pos - at, 4);
	b->p[at + 9] = checksum(b->p + at, b->pos - at);
}

static void gas(struct abuf *b, uint8_t space, uint8_t bits, uint8_t access, uint64_t address)
{
	put(b, space, 1);
	put(b, bits, 1);
	put(b, 0, 1); /* bit offset */
	put(b, access, 1);
	put(b, address, 8);
}

/* FACS (5.2.10): 64 bytes, 64-byte aligned, no checksum. */
static size_t build_facs(struct abuf *b)
{
	size_t at;

	align(b, 64);
	at = b->pos;
	put_str(b, "FACS", 4);
	put(b, 64, 4);
	put(b, 0, 4); /* hardware signature */
	put(b, 0, 4); /* firmware waking vector */
	put(b, 0, 4); /* global lock */
	put(b, 0, 4); /* flags: no S4BIOS, no 64-bit wake */
	put(b, 0, 8); /* X firmware waking vector */
	put(b, 2, 1); /* version */
	put(b, 0, 3);
	put(b, 0, 4); /* OSPM flags */
	put(b, 0, 24);
	return at;
}

/* FADT (5.2.9), revision 6.3: 276 bytes. */
static size_t build_fadt(struct abuf *b, const struct hv__acpi_desc *d, uint64_t facs,
			 uint64_t dsdt)
{
	uint32_t pm = d->pm_port;
	uint32_t flags =
		FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_TMR_VAL_EXT;
	uint16_t boot = BOOT_NO_VGA;
	size_t at = table_begin(b, "FACP", 6);

	if (d->reset_reg)
		flags |= FADT_RESET_REG_SUP;
	if (d->i8042)
		boot |= BOOT_8042;
	if (!d->rtc)
		boot |= BOOT_NO_CMOS_RTC;

	put(b, facs, 4);
	put(b, dsdt, 4);
	put(b, 0, 1); /* reserved */
	put(b, 0, 1); /* preferred PM profile: unspecified */
	put(b, d->sci_irq, 2);
	put(b, 0, 4);  /* SMI_CMD: ACPI is always enabled */
	put(b, 0, 1);  /* ACPI_ENABLE */
	put(b, 0, 1);  /* ACPI_DISABLE */
	put(b, 0, 1);  /* S4BIOS_REQ */
	put(b, 0, 1);  /* PSTATE_CNT */
	put(b, pm, 4); /* PM1a_EVT_BLK */
	put(b, 0, 4);  /* PM1b_EVT_BLK */
	put(b, pm + HV__PM1_CNT_OFF, 4);
	put(b, 0, 4); /* PM1b_CNT_BLK */
	put(b, 0, 4); /* PM2_CNT_BLK */
	put(b, pm + HV__PM_TMR_OFF, 4);
	put(b, 0, 4); /* GPE0_BLK */
	put(b, 0, 4); /* GPE1_BLK */
	put(b, HV__PM1_EVT_LEN, 1);
	put(b, HV__PM1_CNT_LEN, 1);
	put(b, 0, 1); /* PM2_CNT_LEN */
	put(b, HV__PM_TMR_LEN, 1);
	put(b, 0, 1);    /* GPE0_BLK_LEN */
	put(b, 0, 1);    /* GPE1_BLK_LEN */
	put(b, 0, 1);    /* GPE1_BASE */
	put(b, 0, 1);    /* CST_CNT */
	put(b, 101, 2);  /* P_LVL2_LAT > 100: no C2 */
	put(b, 1001, 2); /* P_LVL3_LAT > 1000: no C3 */
	put(b, 0, 2);    /* FLUSH_SIZE */
	put(b, 0, 2);    /* FLUSH_STRIDE */
	put(b, 0, 1);    /* DUTY_OFFSET */
	put(b, 0, 1);    /* DUTY_WIDTH */
	put(b, 0, 1);    /* DAY_ALRM */
	put(b, 0, 1);    /* MON_ALRM */
	put(b, d->rtc ? CMOS_CENTURY : 0, 1);
	put(b, boot, 2);
	put(b, 0, 1); /* reserved */
	put(b, flags, 4);
	if (d->reset_reg)
		gas(b, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, RESET_PORT);
	else
		gas(b, 0, 0, 0, 0);
	put(b, d->reset_reg ? RESET_VALUE : 0, 1);
	put(b, 0, 2);    /* ARM_BOOT_ARCH */
	put(b, 3, 1);    /* FADT minor version: 6.3 */
	put(b, facs, 8); /* X_FIRMWARE_CTRL */
	put(b, dsdt, 8); /* X_DSDT */
	gas(b, GAS_SYSTEM_IO, HV__PM1_EVT_LEN * 8, 0, pm);
	gas(b, 0, 0, 0, 0); /* X_PM1b_EVT_BLK */
	gas(b, GAS_SYSTEM_IO, HV__PM1_CNT_LEN * 8, 0, pm + HV__PM1_CNT_OFF);
	gas(b, 0, 0, 0, 0); /* X_PM1b_CNT_BLK */
	gas(b, 0, 0, 0, 0); /* X_PM2_CNT_BLK */
	gas(b, GAS_SYSTEM_IO, HV__PM_TMR_LEN * 8, 0, pm + HV__PM_TMR_OFF);
	gas(b, 0, 0, 0, 0);           /* X_GPE0_BLK */
	gas(b, 0, 0, 0, 0);           /* X_GPE1_BLK */
	gas(b, 0, 0, 0, 0);           /* SLEEP_CONTROL_REG: hardware-reduced only */
	gas(b, 0, 0, 0, 0);           /* SLEEP_STATUS_REG */
	put_str(b, "HVLIB\0\0\0", 8); /* hypervisor vendor identity */
	table_end(b, at);
	return at;
}

/* MADT (5.2.12), revision 5. */
static size_t build_madt(struct abuf *b, const struct hv__acpi_desc *d)
{
	size_t at = table_begin(b, "APIC", 5);
	uint32_t i;

	put(b, LAPIC_GPA, 4);
	put(b, 1, 4); /* PCAT_COMPAT: there are 8259s to mask */
	for (i = 0; i < d->vcpu_count; i++) {
		put(b, 0, 1); /* processor local APIC */
		put(b, 8, 1);
		put(b, i, 1); /* ACPI processor UID */
		put(b, i, 1); /* APIC ID */
		put(b, 1, 4); /* enabled */
	}
	put(b, 1, 1); /* I/O APIC */
	put(b, 12, 1);
	put(b, d->vcpu_count, 1);
	put(b, 0, 1);
	put(b, IOAPIC_GPA, 4);
	put(b, 0, 4); /* GSI base */
	put(b, 2, 1); /* interrupt source override: the PIT's IRQ 0 is GSI 2 */
	put(b, 10, 1);
	put(b, 0, 1); /* ISA */
	put(b, 0, 1);
	put(b, 2, 4);
	put(b, 0, 2); /* conforms to the bus */
	if (d->sci_irq < 16) {
		put(b, 2, 1); /* the SCI: level-triggered, active high */
		put(b, 10, 1);
		put(b, 0, 1);
		put(b, d->sci_irq, 1);
		put(b, d->sci_irq, 4);
		put(b, 0x0d, 2);
	}
	put(b, 4, 1); /* local APIC NMI on LINT1 of every processor */
	put(b, 6, 1);
	put(b, 0xff, 1);
	put(b, 0, 2);
	put(b, 1, 1);
	table_end(b, at);
	return at;
}

static size_t build_sdt(struct abuf *b, const char *sig, unsigned entry_size,
			const uint64_t *entries, unsigned count)
{
	size_t at = table_begin(b, sig, 1);
	unsigned i;

	for (i = 0; i < count; i++)
		put(b, entries[i], entry_size);
	table_end(b, at);
	return at;
}

/* RSDP (5.2.5.3), revision 2: checksum over the first 20 bytes, extended one over all 36. */
static void build_rsdp(struct abuf *b, uint64_t rsdt, uint64_t xsdt)
{
	uint8_t *p = b->p;

	hv__memcpy(p, "RSD PTR ", 8);
	hv__memcpy(p + 9, OEM_ID, 6);
	p[15] = 2;
	set(b, 16, rsdt, 4);
	set(b, 20, 36, 4);
	set(b, 24, xsdt, 8);
	p[8] = checksum(p, 20);
	p[32] = checksum(p, 36);
}

/* ---- AML --------------------------------------------------------------------------------- */

/* Start a PkgLength-prefixed object body; aml_pkg_end() inserts the PkgLength before it. */
static size_t aml_pkg_begin(struct abuf *b)
{
	return b->pos;
}

/* PkgLength (20.2.4) counts itself: 1 byte up to 63, else 2 to 4 bytes, 4 bits then 8s. */
static void aml_pkg_end(struct abuf *b, size_t start)
{
	size_t body = b->pos - start;
	unsigned n = body + 1 <= 0x3f ? 1 : body + 2 <= 0xfff ? 2 : body + 3 <= 0xfffff ? 3 : 4;
	size_t total = body + n;
	unsigned i;

	if (b->overflow || !room(b, n))
		return;
	hv__memmove(b->p + start + n, b->p + start, body);
	if (n == 1) {
		b->p[start] = (uint8_t)total;
	} else {
		b->p[start] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (i = 1; i < n; i++)
			b->p[start + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	b->pos += n;
}

static void aml_int(struct abuf *b, uint64_t v)
{
	if (v <= 1) {
		put(b, v == 0 ? AML_ZERO : AML_ONE, 1);
	} else if (v <= 0xff) {
		put(b, AML_BYTE, 1);
		put(b, v, 1);
	} else if (v <= 0xffff) {
		put(b, AML_WORD, 1);
		put(b, v, 2);
	} else if (v <= 0xffffffffu) {
		put(b, AML_DWORD, 1);
		put(b, v, 4);
	} else {
		put(b, AML_QWORD, 1);
		put(b, v, 8);
	}
}

static void aml_name_int(struct abuf *b, const char *seg, uint64_t v)
{
	put(b, AML_NAME, 1);
	put_str(b, seg, 4);
	aml_int(b, v);
}

static void aml_name_str(struct abuf *b, const char *seg, const char *s)
{
	put(b, AML_NAME, 1);
	put_str(b, seg, 4);
	put(b, AML_STRING, 1);
	put_str(b, s, hv__strlen(s) + 1);
}

/* "Xnnn" or "XXnn": a prefix and the index in upper-case hex digits. */
static void name_seg(char seg[4], const char *prefix, unsigned plen, uint32_t index)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned i;

	for (i = 0; i < 4; i++)
		seg[i] = i < plen ? prefix[i] : hex[(index >> (4 * (3 - i))) & 0xf];
}

static size_t dev_begin(struct abuf *b, const char seg[4])
{
	size_t pkg;

	put(b, AML_EXT, 1);
	put(b, AML_DEVICE, 1);
	pkg = aml_pkg_begin(b);
	put_str(b, seg, 4);
	return pkg;
}

/* Device(Cnnn) { Name(_HID, "ACPI0007") Name(_UID, n) }: processor n (UID as in the MADT). */
static void aml_processor(struct abuf *b, uint32_t n)
{
	char seg[4];
	size_t pkg;

	name_seg(seg, "C", 1, n);
	pkg = dev_begin(b, seg);
	aml_name_str(b, "_HID", "ACPI0007");
	aml_name_int(b, "_UID", n);
	aml_pkg_end(b, pkg);
}

/*
 * Device(VRnn) { Name(_HID, "LNRO0005") Name(_UID, n) Name(_CRS, ResourceTemplate() {
 *     Memory32Fixed(ReadWrite, base, 0x200)
 *     Interrupt(ResourceConsumer, Level, ActiveHigh, Exclusive) { gsi } }) }
 */
static void aml_virtio(struct abuf *b, uint32_t n, const hv_pc_virtio_t *v)
{
	char seg[4];
	size_t pkg, buf;

	name_seg(seg, "VR", 2, n);
	pkg = dev_begin(b, seg);
	aml_name_str(b, "_HID", "LNRO0005");
	aml_name_int(b, "_UID", n);
	put(b, AML_NAME, 1);
	put_str(b, "_CRS", 4);
	put(b, AML_BUFFER, 1);
	buf = aml_pkg_begin(b);
	aml_int(b, 12 + 9 + 2); /* buffer size */
	put(b, 0x86, 1);        /* Memory32Fixed: large item 6, 9 bytes */
	put(b, 9, 2);
	put(b, 1, 1); /* read-write */
	put(b, v->base, 4);
	put(b, HV_VIRTIO_MMIO_SIZE, 4);
	put(b, 0x89, 1); /* extended interrupt: large item 9, 6 bytes */
	put(b, 6, 2);
	put(b, 0x01, 1); /* consumer, level, active high, exclusive, not wake */
	put(b, 1, 1);    /* one interrupt */
	put(b, v->irq, 4);
	put(b, 0x79, 1); /* end tag */
	put(b, 0, 1);    /* checksum 0: the template counts as checksummed */
	aml_pkg_end(b, buf);
	aml_pkg_end(b, pkg);
}

static size_t build_dsdt(struct abuf *b, const struct hv__acpi_desc *d)
{
	size_t at = table_begin(b, "DSDT", 2);
	size_t pkg;
	uint32_t i;

	/* Name(\_S5_, Package(4) { 5, 5, 0, 0 }): SLP_TYPa and SLP_TYPb of soft-off. */
	put(b, AML_NAME, 1);
	put(b, AML_ROOT, 1);
	put_str(b, "_S5_", 4);
	put(b, AML_PACKAGE, 1);
	pkg = aml_pkg_begin(b);
	put(b, 4, 1);
	aml_int(b, HV__PM_SLP_TYP_S5);
	aml_int(b, HV__PM_SLP_TYP_S5);
	aml_int(b, 0);
	aml_int(b, 0);
	aml_pkg_end(b, pkg);

	put(b, AML_SCOPE, 1);
	pkg = aml_pkg_begin(b);
	put(b, AML_ROOT, 1);
	put_str(b, "_SB_", 4);
	for (i = 0; i < d->vcpu_count; i++)
		aml_processor(b, i);
	for (i = 0; i < d->virtio_count; i++)
		aml_virtio(b, i, &d->virtio[i]);
	aml_pkg_end(b, pkg);
	table_end(b, at);
	return at;
}

hv_status_t hv__acpi_build(const struct hv__acpi_desc *d, uint8_t *buf, size_t size, size_t *used)
{
	struct abuf b = { .p = buf, .size = size };
	uint64_t facs, dsdt, sdt[2], rsdt, xsdt;

	if (!room(&b, 36))
		return HV_ERR_RANGE;
	b.pos = 36; /* the RSDP, written last */
	facs = d->gpa + build_facs(&b);
	dsdt = d->gpa + build_dsdt(&b, d);
	sdt[0] = d->gpa + build_fadt(&b, d, facs, dsdt);
	sdt[1] = d->gpa + build_madt(&b, d);
	rsdt = d->gpa + build_sdt(&b, "RSDT", 4, sdt, 2);
	xsdt = d->gpa + build_sdt(&b, "XSDT", 8, sdt, 2);
	if (b.overflow)
		return HV_ERR_RANGE;
	build_rsdp(&b, rsdt, xsdt);
	*used = b.pos;
	return HV_OK;
}
