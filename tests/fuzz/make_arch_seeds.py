#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Writes the seed corpora of fuzz_x86_insn, fuzz_aarch64_esr, fuzz_loader_arm64 and
# fuzz_vmx_apic into tests/fuzz/corpus/<name>/: instructions guests use on MMIO, the
# syndromes of data aborts and trapped MSR/MRS, arm64 Image headers, and the LAPIC/IOAPIC
# set-up an OS does, each in its target's input format. Run it again after changing a format.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def w(name, i, data):
    d = os.path.join(HERE, 'corpus', name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed%d' % i), 'wb') as f:
        f.write(bytes(data))


# fuzz_x86_insn: mode byte (bits 0-1: 16/32/64/64-bit code; 4-7: bytes fetched, 0 all),
# register, memory and RFLAGS (u64 each), the instruction bytes.
M16, M32, M64 = 0, 1, 2
insns = [
    (M64, [0x89, 0x0b]),                          # mov %ecx,(%rbx)
    (M64, [0x8b, 0x00]),                          # mov (%rax),%eax
    (M64, [0x48, 0xc7, 0x00, 0x78, 0x56, 0x34, 0x82]),  # movq $imm32,(%rax)
    (M64, [0x66, 0xc7, 0x40, 0x10, 0x34, 0x12]),  # movw $0x1234,0x10(%rax)
    (M64, [0xa1] + [0] * 8),                      # mov moffs64,%eax
    (M64, [0x0f, 0xb6, 0x00]),                    # movzbl (%rax),%eax
    (M64, [0x48, 0x0f, 0xbf, 0x00]),              # movswq (%rax),%rax
    (M64, [0x80, 0x38, 0x05]),                    # cmpb $5,(%rax)
    (M64, [0x83, 0x00, 0xff]),                    # addl $-1,(%rax)
    (M64, [0x48, 0x81, 0x28, 0x00, 0x00, 0x00, 0x80]),  # subq $imm32,(%rax)
    (M64, [0xf7, 0x18]),                          # negl (%rax)
    (M64, [0xf6, 0x10]),                          # notb (%rax)
    (M64, [0xff, 0x00]),                          # incl (%rax)
    (M64, [0xfe, 0x08]),                          # decb (%rax)
    (M64, [0x87, 0x08]),                          # xchg %ecx,(%rax)
    (M64, [0x85, 0x08]),                          # test %ecx,(%rax)
    (M64, [0xf6, 0x00, 0x80]),                    # testb $0x80,(%rax)
    (M64, [0x88, 0x20]),                          # mov %ah,(%rax)
    (M64, [0x8a, 0x38]),                          # mov (%rax),%bh
    (M64, [0x40, 0x8a, 0x38]),                    # mov (%rax),%dil
    (M64, [0x44, 0x19, 0x04, 0x24]),              # sbb %r8d,(%rsp)
    (M64, [0xf0, 0x48, 0x01, 0x08]),              # lock add %rcx,(%rax)
    (M64, [0x13, 0x05, 0x00, 0x10, 0x00, 0x00]),  # adc 0x1000(%rip),%eax
    (M64, [0x67, 0x8b, 0x00]),                    # mov (%eax),%eax
    (M64, [0x65, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]),  # mov %gs:0,%rax
    (M32, [0x8b, 0x04, 0x24]),                    # mov (%esp),%eax
    (M32, [0x66, 0x89, 0x05, 0, 0, 0xe0, 0xfe]),  # mov %ax,0xfee00000
    (M32, [0x31, 0x44, 0x24, 0x08]),              # xor %eax,0x8(%esp)
    (M16, [0x8b, 0x07]),                          # mov (%bx),%ax
    (M16, [0x89, 0x06, 0x34, 0x12]),              # mov %ax,0x1234
    (M16, [0x66, 0x8b, 0x47, 0x02]),              # mov 0x2(%bx),%eax
    (M16, [0x67, 0x8b, 0x04, 0x24]),              # mov (%esp),%ax
]
for i, (mode, b) in enumerate(insns):
    regs = struct.pack('<QQQ', 0x1122334455668799 + i, 0x80f0e0d0c0b0a090 >> (i % 8),
                       0x202 | (i & 1) | ((i & 2) << 10))
    w('x86_insn', i + 1, [mode] + list(regs) + b + [0x90] * (i % 3))
w('x86_insn', len(insns) + 1, [0x22] + [0] * 24 + [0x89, 0x04, 0x24])  # fetch ends early


# fuzz_aarch64_esr: ESR_EL2, HPFAR_EL2, FAR_EL2, the data a load returns (u64 each).
def esr(ec, iss):
    return (ec << 26) | (1 << 25) | iss


def dabt(sas, srt, wnr, sse=0, sf=1, ar=0, fsc=0x07, s1ptw=0, isv=1):
    return esr(0x24, (isv << 24) | (sas << 22) | (sse << 21) | (srt << 16) | (sf << 15) |
               (ar << 14) | (s1ptw << 7) | (wnr << 6) | fsc)


def msr(op0, op1, crn, crm, op2, rt, read):
    return esr(0x18, (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) |
               (crm << 1) | read)


syndromes = [
    dabt(2, 1, 1), dabt(0, 31, 0, sse=1, sf=0), dabt(1, 3, 0, sse=1), dabt(3, 30, 0, ar=1),
    dabt(2, 0, 1, fsc=0x0f), dabt(0, 0, 1, s1ptw=1, fsc=0x0b), dabt(0, 0, 0, isv=0, fsc=0x10),
    msr(3, 0, 12, 11, 5, 2, 0), msr(3, 0, 0, 4, 0, 5, 1), msr(1, 0, 7, 6, 2, 0, 0),
    esr(0x16, 0), esr(0x01, 1), esr(0x20, 0x06), esr(0x25, 0x1000047),
]
for i, s in enumerate(syndromes):
    w('aarch64_esr', i + 1, struct.pack('<QQQQ', s, 0x9000 << 4 | 0x80, 0x9000abc + i,
                                        0x8000800080008080 >> i))


# fuzz_loader_arm64: selector (bits 0-2 base: 1 GiB, 1 GiB + 2 MiB, 0 (ROM), unaligned, top of
# the address space, below RAM, 1 GiB + 1 MiB, the next u64; bit 7: no entry out-parameter),
# the u64 base, then the Image.
def image(text_offset, image_size, flags=0, body=192):
    hdr = struct.pack('<IIQQQQQQII', 0x14000010, 0, text_offset, image_size, flags, 0, 0, 0,
                      0x644d5241, 0)
    return list(hdr) + [(7 * i) & 0xff for i in range(body)]


def ld(sel, img, base=0):
    return [sel] + list(struct.pack('<Q', base)) + img


w('loader_arm64', 1, ld(0, image(0, 0)))
w('loader_arm64', 2, ld(0, image(0x80000, 0x40000, 0xa)))
w('loader_arm64', 3, ld(0x80, image(0xff000, 0x2000)))          # across two RAM regions
w('loader_arm64', 4, ld(1, image(0, 0x40000)))                  # exactly the last region
w('loader_arm64', 5, ld(1, image(0x3ff00, 0x200)))              # one byte too many
w('loader_arm64', 6, ld(0, image(0, 0, 1)))                     # big-endian
w('loader_arm64', 7, ld(4, image(0x3fffffff, 0x10)))
w('loader_arm64', 8, ld(7, image(0x1000, 0xffffffffffffe000), 0xfffffffffc000000))
w('loader_arm64', 9, ld(2, image(0, 0x100)))                    # the ROM


# fuzz_vmx_apic: a vCPU-count byte, then operations: op byte (low 3 bits: LAPIC write, LAPIC
# read, IOAPIC write, IOAPIC read, line, clock, interrupt acknowledge and EOI, LAPIC write on
# another vCPU; the rest picks a vCPU), then the op's operands (u16 offset and u32 value for
# the registers, u8 pin and level for lines, u32 ticks for the clock).
def lw(off, v, cpu=0):
    return [0 | (cpu << 3)] + list(struct.pack('<HI', off, v))


def lr(off, cpu=0):
    return [1 | (cpu << 3)] + list(struct.pack('<HI', off, 0))


def iw(reg, v):
    return [2] + list(struct.pack('<HI', 0, reg)) + [2] + list(struct.pack('<HI', 0x10, v))


def line(pin, level):
    return [4, pin, level]


def clock(ticks):
    return [5] + list(struct.pack('<I', ticks))


def ack():
    return [6]


lapic_on = lw(0xf0, 0x1ff) + lw(0x80, 0) + lw(0xe0, 0xffffffff) + lw(0xd0, 1 << 24)
w('vmx_apic', 1, [1] + lapic_on + lw(0x3e0, 0xb) + lw(0x320, 0x20030) + lw(0x380, 5000) +
  clock(6000) + ack() + lw(0xb0, 0) + lr(0x390) + clock(10000) + lr(0x100) + lr(0x200))
w('vmx_apic', 2, [2] + lapic_on + lw(0xf0, 0x1ff, 1) + iw(0x10 + 2 * 4, 0x8031) +
  iw(0x11 + 2 * 4, 0) + line(4, 1) + ack() + lw(0xb0, 0) + line(4, 0) + iw(0x10 + 2 * 4, 0) +
  line(4, 1) + ack() + lr(0x180) + lw(0xb0, 0))
w('vmx_apic', 3, [2] + lapic_on + lw(0xf0, 0x1ff, 1) + lw(0x310, 1 << 24) + lw(0x300, 0x4041) +
  lr(0x200, 1) + lw(0x300, 0xc4500) + lw(0x300, 0x80600) + lw(0x300, 0x000b0) + ack())
w('vmx_apic', 4, [1] + lapic_on + iw(0, 0x0f000000) + iw(1, 0) + iw(0x3f, 0xffffffff) +
  [3] + list(struct.pack('<HI', 0x10, 0)) + line(23, 1) + line(200, 1) + lw(0x3e0, 0xa) +
  lw(0x320, 0x30) + lw(0x380, 0xffffffff) + lr(0x390) + clock(0xffffffff) + lw(0x123, 5))


# fuzz_el2_vgic: a vCPU-count byte, then operations: op byte (bits 0-2: distributor write,
# read, redistributor write, read, line, entry and exit, the guest acting on a list register,
# SGI/timer/migration; bits 3-5 the vCPU; bits 6-7 the width 1/2/4/8), then the operands
# (u16 offset and u64 value for the distributor, u8 frame, u32 offset and u64 value for a
# redistributor, u8 INTID and level for lines, u8 list register, u8 choice (+ u64 SGI value)).
def gd(off, v, write=True, width=4):
    wl = {1: 0, 2: 1, 4: 2, 8: 3}[width]
    return [(0 if write else 1) | (wl << 6)] + list(struct.pack('<HQ', off, v))


def gr(frame, off, v, write=True, width=4, cpu=0):
    wl = {1: 0, 2: 1, 4: 2, 8: 3}[width]
    return [(2 if write else 3) | (cpu << 3) | (wl << 6), frame] + list(struct.pack('<IQ', off, v))


def vline(intid, level):
    return [4, intid, level]


def lr_act(n, cpu=0):
    return [6 | (cpu << 3), n]


dist_on = gd(0, 3) + gd(0x104, 0xffffffff) + gd(0x108, 0xffffffff) + gd(0xc08, 0xaaaaaaaa)
redist_on = gr(0, 0x14, 0) + gr(0, 0x10100, 0xffffffff)
w('el2_vgic', 1, [1] + dist_on + redist_on + gd(0x6000 + 8 * 40, 0, width=8) + vline(40, 1) +
  [5] + lr_act(0) + lr_act(0) + vline(40, 0) + [5] + gd(0x200 + 4, 0, False) +
  gd(0x420, 0x80808080) + gd(0x6000 + 8 * 40, 0, False, 8))
w('el2_vgic', 2, [2] + dist_on + redist_on + gr(1, 0x14, 0) + gd(0x6000 + 8 * 33, 1, width=8) +
  vline(33, 1) + vline(33, 0) + [5 | (1 << 3)] + lr_act(0, 1) + lr_act(0, 1) +
  [7, 0] + list(struct.pack('<Q', (5 << 24) | 3)) + [5, 5 | (1 << 3)] + gr(1, 8, 0, False, 8))
w('el2_vgic', 3, [1] + dist_on + redist_on + [vb for i in range(6) for vb in vline(32 + i, 1)] +
  [5] + lr_act(0) + lr_act(1) + [7, 1, 7, 2, 5] + gd(0xffe8, 0, False) + gd(4, 0, False) +
  gr(0, 0x10400 + 27, 0x40, width=1) + gd(0x6004 + 8 * 40, 0x12345678) + gd(0x181, 1, width=1))
