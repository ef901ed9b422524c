#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Writes the seed corpora of fuzz_uart16550, fuzz_pl011, fuzz_pl031, fuzz_sp805 and
# fuzz_x86_platform into tests/fuzz/corpus/<name>/: driver-like register sequences (Linux's
# 8250 and amba-pl011 set-up, an RTC alarm, a watchdog start, CMOS and i8042 commands) in each
# target's input format, for the fuzzer to mutate. Run it again after changing a format.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def w(name, i, data):
    d = os.path.join(HERE, 'corpus', name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed%d' % i), 'wb') as f:
        f.write(bytes(data))


# fuzz_uart16550: mode byte, then (op, offset + 2, value); op bit 0 write, bits 4-6 width.
def ua(reg, v=0, write=True):
    return [0x11 if write else 0x10, reg + 2, v]


init = ua(1, 0) + ua(3, 0x83) + ua(0, 1) + ua(1, 0) + ua(3, 3) + ua(2, 0xc7) + ua(4, 0x0b) + \
    ua(1, 0x0f)
w('uart16550', 1, [0] + init + ua(0, ord('h')) + ua(0, ord('i')) + ua(5, 0, False) +
  ua(2, 0, False))
w('uart16550', 2, [1 | (2 << 1)] + init + [0x0a, 5] + list(b'hello') + ua(2, 0, False) +
  ua(0, 0, False) * 3)
w('uart16550', 3, [0] + init + ua(4, 0x1b) + ua(0, 0x41) * 18 + ua(5, 0, False) +
  ua(6, 0, False) + [0x0c, 0, 0] + ua(0, 0x42) * 20 + [0x0c, 0x80, 0] + ua(5, 0, False) +
  [0x0d, 0, 0])


# fuzz_pl011: op, u16 offset selector ((r & 0x1f) * 4), u16 value.
def pa(reg, v=0, write=True, width=4):
    return [(width << 4) | (1 if write else 0)] + list(struct.pack('<HH', reg // 4, v))


start = pa(0x04, 0) + pa(0x44, 0x7ff) + pa(0x38, 0x50) + pa(0x34, 0x12) + pa(0x30, 0x301) + \
    pa(0x24, 13) + pa(0x28, 1) + pa(0x2c, 0x70) + pa(0x38, 0x70)
w('pl011', 1, start + pa(0, ord('a')) + pa(0x18, 0, False) + [0x0a, 4] + list(b'abcd') +
  pa(0x40, 0, False) + pa(0, 0, False))
w('pl011', 2, start + [0x0c, 0] + pa(0, 0x41) * 34 + pa(0x18, 0, False) + [0x0c, 0x80] +
  pa(0x3c, 0, False) + [0x0d])
w('pl011', 3, start + pa(0x30, 0x381) + pa(0, 0x55) * 3 + pa(0, 0, False, 2) +
  pa(0x18, 0, False, 1) + [0x0a, 40] + list(range(40)))
w('pl011', 4, [0x21] + list(struct.pack('<H', 0x20 | 0x18)) + [0, 0] + [0x40] +
  list(struct.pack('<H', 0x20 | 0x1f)) + [0, 0])


# fuzz_pl031: op, u16 offset selector, u32 value.
def ra(reg, v=0, write=True):
    return [0x41 if write else 0x40] + list(struct.pack('<HI', reg // 4, v))


w('pl031', 1, ra(0x10, 1) + [5, 0, 0, 0, 0, 0, 0] + ra(0x14, 0, False) + ra(0x1c, 1) +
  ra(0, 0, False))
w('pl031', 2, ra(0x08, 1000) + ra(0x04, 1001) + ra(0x10, 1) + [6, 0, 0, 0, 0, 0, 0] +
  ra(0x0c, 1))
w('pl031', 3, [0x40] + list(struct.pack('<H', 0x10 | 0x8)) + [0] * 4 + [0x11] +
  list(struct.pack('<H', 0x8000 | 0x3)) + [1, 2, 3, 4])


# fuzz_sp805: clock selector, then op, register index, value (u16 if op bit 3, else u32).
def wa(ri, v, write=True, small=False):
    op = 0x40 | (1 if write else 0) | (8 if small else 0)
    return [op, ri] + list(struct.pack('<H' if small else '<I', v))


w('sp805', 1, [1] + wa(6, 0) + wa(0, 20, small=True) + wa(3, 0) + wa(2, 3) + wa(4, 0, False) +
  wa(1, 0, False))
w('sp805', 2, [0] + [0x40, 0x00, 0x01] + [0x46, 6, 0, 0, 0, 0] + wa(0, 0, small=True) +
  wa(2, 3) + wa(1, 0, False) * 20)
w('sp805', 3, [1] + wa(7, 1) + wa(8, 2) + wa(2, 1) + [0x47, 0, 0, 0, 0, 0] + wa(9, 0, False))


# fuzz_x86_platform: pieces, then op, port index, value; CMOS ops (0x38) take one more byte.
def xa(pi, v, write=True, width=1):
    return [({1: 0, 2: 1, 4: 3}[width] << 1) | (1 if write else 0), pi, v]


def cm(reg, v, write):
    return [0x38 | (1 if write else 0), 0, reg, v]


w('x86_platform', 1, [0] + cm(0x0a, 0, False) + cm(0, 0, False) + cm(0x0b, 0x12, True) +
  cm(0x0c, 0, False) + cm(0x0b, 0x82, True) + cm(0x09, 0x21, True) + cm(0x0b, 0x02, True))
w('x86_platform', 2, [0] + xa(3, 0xaa) + xa(2, 0, False) + xa(3, 0x60) + xa(2, 0x45) +
  xa(3, 0x20) + xa(2, 0, False) + xa(3, 0xd1) + xa(2, 0xfe) + xa(4, 1))
w('x86_platform', 3, [0x10] + [0x37, 6, 0x80, 0, 0] + xa(10, 0, False, 4) + xa(7, 0x06) +
  xa(5, 0x12))
