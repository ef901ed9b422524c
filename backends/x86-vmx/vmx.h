/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal x86 VMX backend: hvlib as the VT-x hypervisor of a machine with no operating
 * system underneath. vmx.c holds VMXON, the VMCS set-up and the run loop; exits.c the exit
 * handlers and event injection; regs.c registers and snapshots; ept.c the EPT built from the
 * memory map; apic.c a virtual local APIC (with its timer) per vCPU and an IOAPIC per VM;
 * entry.c the world switch. Freestanding like the core.
 *
 * Requirements on the firmware: 64-bit code at CPL 0 with a GDT that holds a TSS (loaded in
 * TR), interrupts off on the cores that run vCPUs, and memory from the platform allocator
 * identity-mapped (host-virtual == host-physical). One logical CPU runs every vCPU.
 */
#ifndef HV_VMX_H
#define HV_VMX_H

#include "hv_internal.h"

/* ---- VMCS field encodings (Intel SDM vol. 3, appendix B) --------------------------------- */

#define VMCS_VPID 0x0000
#define VMCS_GUEST_SEL(s) (0x0800 + 2 * (s)) /* ES, CS, SS, DS, FS, GS, LDTR, TR */
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c
#define VMCS_EPTP 0x201a
#define VMCS_GUEST_PHYS_ADDR 0x2400
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PDPTE(i) (0x280a + 2 * (i))
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02
#define VMCS_PIN_CTLS 0x4000
#define VMCS_PROC_CTLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CTLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CTLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_PROC_CTLS2 0x401e
#define VMCS_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
#define VMCS_GUEST_LIMIT(s) (0x4800 + 2 * (s))
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_AR(s) (0x4814 + 2 * (s))
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_PREEMPTION_TIMER 0x482e
#define VMCS_HOST_SYSENTER_CS 0x4c00
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_BASE(s) (0x6806 + 2 * (s))
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

/* Segment indices, as in hv_x86_seg and the VMCS. */
#define VMX_SEG_CS 1
#define VMX_SEG_COUNT 8

/* ---- MSRs and architectural bits --------------------------------------------------------- */

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_PAT 0x277
#define MSR_IA32_MTRR_CAP 0xfe
#define MSR_IA32_BIOS_SIGN_ID 0x8b /* microcode revision */
#define MSR_IA32_MTRR_DEF_TYPE 0x2ff
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED 0x481
#define MSR_IA32_VMX_PROCBASED 0x482
#define MSR_IA32_VMX_EXIT 0x483
#define MSR_IA32_VMX_ENTRY 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED 0x48e
#define MSR_IA32_VMX_TRUE_EXIT 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY 0x490
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_VMXE (1ull << 13)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFLAGS_IF (1ull << 9)

/* ---- state ------------------------------------------------------------------------------- */

#define HV_VMX_MAX_VCPUS 8
#define HV_VMX_LAPIC_BASE 0xfee00000ull
#define HV_VMX_IOAPIC_BASE 0xfec00000ull
#define HV_VMX_IOAPIC_PINS 24

/* What the capability MSRs allowed, computed once by hv_vmx_check(). */
struct hv_vmx_caps {
	uint32_t pin, proc, proc2, exit, entry; /* the controls every VMCS gets */
	uint32_t revision;
	uint32_t preempt_shift; /* the preemption timer counts TSC >> this */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t ept_vpid;
	uint32_t phys_bits;
	uint32_t max_leaf; /* the CPU's highest basic CPUID leaf */
	uint64_t tsc_hz;   /* the TSC's rate, measured against the platform clock; 0: unknown */
};

struct hv_vmx_ioapic {
	uint32_t id;
	uint32_t sel;
	uint64_t redir[HV_VMX_IOAPIC_PINS];
	uint32_t level; /* bit per pin: the line's level */
};

struct hv_vmx_vcpu;

struct hv_vmx_vm {
	hv_vm_t *vm;
	uint64_t *pml4; /* EPT root; table pages come from hv__ram_alloc */
	uint64_t eptp;
	uint32_t table_pages;
	struct hv_vmx_ioapic ioapic;
	uint64_t slice_tsc; /* time slice of its vCPUs, TSC ticks */
	struct hv_vmx_vcpu *vcpus[HV_VMX_MAX_VCPUS];
};

struct hv_vmx_lapic {
	uint32_t id;
	uint32_t tpr;
	uint32_t svr;
	uint32_t ldr, dfr;
	uint32_t lvt[7]; /* CMCI, timer, thermal, perf, LINT0, LINT1, error (0x2f0-0x370) */
	uint32_t esr;
	uint32_t icr_lo, icr_hi;
	uint32_t timer_initial;
	uint32_t timer_divide;   /* the register's value */
	uint64_t timer_deadline; /* TSC; 0 when not armed */
	uint64_t timer_period;   /* TSC ticks of one period */
	uint32_t irr[8], isr[8], tmr[8];
};

/* A load or I/O read to finish, or an instruction to skip, at the next entry. */
struct hv_vmx_pending {
	uint8_t kind; /* PEND_* */
	uint8_t io_width;
	uint8_t insn_len;
	uint8_t mmio_load;
	uint8_t mmio_reg, mmio_high, mmio_reg_width, mmio_sign, mmio_width;
	/* PEND_MMIO of an op that reads memory first (ADD...XCHG): the rest of the decoding */
	uint8_t mmio_op, mmio_mem_dest, mmio_write;
	uint64_t mmio_imm, mmio_gpa;
	/* PEND_PIO_STRING: INS or OUTS, count elements from linear address la on. */
	uint8_t str_in, str_rep, str_back;
	uint32_t str_count;
	uint64_t str_la, str_mask;
};

/* Bytes of string port I/O moved per exit. */
#define HV_VMX_IO_BUF 1024

/* Guest GPRs in encoding order (RSP lives in the VMCS), then CR2: entry.c's layout. */
struct hv_vmx_gprs {
	uint64_t r[16];
	uint64_t cr2;
};

struct hv_vmx_vcpu {
	struct hv_vmx_gprs g; /* first: entry.c addresses it from the vCPU state */
	struct hv_vmx_vm *vmx;
	hv_vm_t *vm;
	uint32_t index;
	uint16_t vpid;
	uint8_t launched;
	uint8_t halted;
	uint8_t parked; /* halted with interrupts disabled while other vCPUs run: INIT wakes it */
	uint8_t kick;         /* atomic */
	uint8_t wait_sipi;    /* an AP before its STARTUP IPI */
	uint8_t init_pending; /* an INIT IPI arrived: reset at the next run */
	uint8_t sipi_pending, sipi_vector;
	uint8_t *vmcs;            /* one page */
	uint64_t syscall_msrs[5]; /* STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE */
	uint64_t misc_enable;
	uint64_t slice_end; /* TSC at which this vCPU's slice ends; 0: a new slice */
	struct hv_vmx_pending pend;
	uint8_t io_buf[HV_VMX_IO_BUF]; /* string port I/O data, handed to the core */
	uint32_t reinject;             /* IDT-vectoring information of the last exit */
	uint32_t reinject_error, reinject_len;
	int32_t exception; /* vector of an exception to inject (-1 none), with error code */
	uint32_t exception_error;
	struct hv_vmx_lapic lapic;
	uint64_t exits, injections; /* counters for the benchmark */
};

/* ---- primitives -------------------------------------------------------------------------- */

static inline uint64_t hv_vmx_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void hv_vmx_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t hv_vmx_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void hv_vmx_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static inline uint64_t hv_vmx_read(uint64_t field)
{
	uint64_t v = 0;

	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
	return v;
}

/* false if the field does not exist or no VMCS is current. */
static inline bool hv_vmx_write(uint64_t field, uint64_t v)
{
	uint8_t fail;

	__asm__ volatile("vmwrite %1, %2; setna %0" : "=qm"(fail) : "rm"(v), "r"(field) : "cc");
	return !fail;
}

/* ---- controls, exit reasons, events ---------------------------------------------------- */

/*
 * A time slice, in TSC ticks, when the VM's configuration asks for none (one core runs every
 * vCPU here, so slices are always on): after it, run() returns HV_EXIT_KICK so others can run.
 * A configured slice is never shorter than HV_VMX_SLICE_MIN_TSC.
 */
#define HV_VMX_SLICE_TSC (1ull << 21)
#define HV_VMX_SLICE_MIN_TSC 4096u

/* Controls bits (Intel SDM vol. 3, chapter 25). */
#define PIN_EXT_INT (1u << 0)
#define PIN_NMI (1u << 3)
#define PIN_PREEMPT (1u << 6)
#define PROC_INT_WINDOW (1u << 2)
#define PROC_HLT (1u << 7)
#define PROC_CR3_LOAD (1u << 15)
#define PROC_CR3_STORE (1u << 16)
#define PROC_CR8_LOAD (1u << 19)
#define PROC_CR8_STORE (1u << 20)
#define PROC_UNCOND_IO (1u << 24)
#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_VPID (1u << 5)
#define PROC2_UNRESTRICTED (1u << 7)
#define EXIT_HOST_64 (1u << 9)
#define EXIT_ACK_INT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_IA32E (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* Basic exit reasons. */
#define EXIT_EXCEPTION 0
#define EXIT_EXTINT 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_INIT 3
#define EXIT_SIPI 4
#define EXIT_INT_WINDOW 7
#define EXIT_TASK_SWITCH 9
#define EXIT_CPUID 10
#define EXIT_GETSEC 11
#define EXIT_HLT 12
#define EXIT_INVD 13
#define EXIT_VMCALL 18
#define EXIT_VMCLEAR 19
#define EXIT_VMXON 27
#define EXIT_CR 28
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_MWAIT 36
#define EXIT_MONITOR 39
#define EXIT_PAUSE 40
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_INVEPT 50
#define EXIT_PREEMPT 52
#define EXIT_INVVPID 53
#define EXIT_WBINVD 54
#define EXIT_XSETBV 55

#define VEC_UD 6
#define VEC_GP 13
#define INTR_VALID (1u << 31)
#define INTR_ERROR (1u << 11)
#define INTR_TYPE_EXT 0u
#define INTR_TYPE_HW_EXC (3u << 8)

/* PEND_MMIO_WRITEBACK: the write of a read-modify-write op, after its read. */
enum { PEND_NONE, PEND_PIO, PEND_MMIO, PEND_HYPERCALL, PEND_PIO_STRING, PEND_MMIO_WRITEBACK };

/* ---- between the files ------------------------------------------------------------------- */

extern struct hv_vmx_caps hv_vmx_caps;

/* entry.c: 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed. */
int hv_vmx_enter(struct hv_vmx_gprs *g, int launched);
void hv_vmx_exit_stub(void);

/* ept.c */
hv_status_t hv_vmx_ept_init(struct hv_vmx_vm *xv);
void hv_vmx_ept_fini(struct hv_vmx_vm *xv);
hv_status_t hv_vmx_ept_map(struct hv_vmx_vm *xv, uint64_t gpa, uint64_t hpa, uint64_t size,
			   bool writable);
void hv_vmx_ept_unmap(struct hv_vmx_vm *xv, uint64_t gpa, uint64_t size);
void hv_vmx_invept(struct hv_vmx_vm *xv);

/* vmx.c */
extern struct hv_vmx_vcpu *hv_vmx_msr_owner;
extern const uint32_t hv_vmx_syscall_msr[5];
uint64_t hv_vmx_cr0_real(uint64_t guest);
uint64_t hv_vmx_cr4_real(uint64_t guest);
uint64_t hv_vmx_cr0(void);
uint64_t hv_vmx_cr4(void);
void hv_vmx_invvpid(struct hv_vmx_vcpu *xc);
bool hv_vmx_load(struct hv_vmx_vcpu *xc);
void hv_vmx_vcpu_state_reset(struct hv_vmx_vcpu *xc);

/* exits.c */
bool hv_vmx_rdmsr_guest(struct hv_vmx_vcpu *xc, uint32_t msr, uint64_t *v);
bool hv_vmx_wrmsr_guest(struct hv_vmx_vcpu *xc, uint32_t msr, uint64_t v);
void hv_vmx_set_efer(struct hv_vmx_vcpu *xc, uint64_t efer);
void hv_vmx_load_pdptes(struct hv_vmx_vcpu *xc);
bool hv_vmx_complete(struct hv_vmx_vcpu *xc, hv_exit_t *exit);
void hv_vmx_prepare_events(struct hv_vmx_vcpu *xc);
bool hv_vmx_handle(struct hv_vmx_vcpu *xc, uint32_t reason, hv_exit_t *exit);
void hv_vmx_fault(hv_exit_t *exit, hv_fault_kind_t kind, uint64_t gpa, uint64_t detail);

/* regs.c */
hv_status_t hv_vmx_get_regs(void *cs, const hv_reg_t *regs, uint64_t *values, size_t count);
hv_status_t hv_vmx_set_regs(void *cs, const hv_reg_t *regs, const uint64_t *values, size_t count);
hv_status_t hv_vmx_save(void *cs, void *snapshot);
hv_status_t hv_vmx_restore(void *cs, const void *snapshot);
/* What a reset returns a vCPU to: its GPRs and the VMCS guest-state fields regs.c lists. */
struct hv_vmx_snapshot {
	struct hv_vmx_gprs g;
	uint64_t fields[64];
	uint8_t wait_sipi;
};

/* apic.c */
void hv_vmx_lapic_reset(struct hv_vmx_vcpu *xc);
void hv_vmx_lapic_access(struct hv_vmx_vcpu *xc, uint32_t off, bool is_write, uint64_t *data);
void hv_vmx_ioapic_reset(struct hv_vmx_vm *xv);
void hv_vmx_ioapic_access(struct hv_vmx_vm *xv, uint32_t off, bool is_write, uint64_t *data);
hv_status_t hv_vmx_ioapic_set(struct hv_vmx_vm *xv, uint32_t pin, bool level);
/* Fire an expired timer; the highest vector ready for delivery, or -1. */
void hv_vmx_lapic_tick(struct hv_vmx_vcpu *xc, uint64_t now);
int hv_vmx_lapic_pending(const struct hv_vmx_vcpu *xc);
/* The vector was delivered: from IRR to ISR. */
void hv_vmx_lapic_accept(struct hv_vmx_vcpu *xc, int vector);
void hv_vmx_lapic_set_irr(struct hv_vmx_vcpu *xc, int vector, bool level);

#endif /* HV_VMX_H */
