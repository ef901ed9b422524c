#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Writes the hand-made seed corpora of the virtio fuzz targets into tests/fuzz/corpus/:
# small, valid guest setups (rings, descriptors, the driver's register sequence) from which
# the fuzzer mutates. Run it again after changing an input format: python3 tests/fuzz/make_seeds.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


class Ram:
    def __init__(self, size):
        self.b = bytearray(size)

    def put(self, addr, data):
        self.b[addr:addr + len(data)] = data

    def desc(self, table, i, addr, length, flags=0, nxt=0):
        self.put(table + 16 * i, struct.pack('<QIHH', addr, length, flags, nxt))

    def avail(self, avail, heads, flags=0):
        self.put(avail, struct.pack('<HH', flags, len(heads)))
        for i, h in enumerate(heads):
            self.put(avail + 4 + 2 * i, struct.pack('<H', h))


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- fuzz_virtqueue: flags, log2 size, desc, avail, used, image length, image, operations ----

def vq_seed(flags, log2, desc, avail, used, ram, ops):
    img = bytes(ram.b)
    return struct.pack('<BBIIIH', flags, log2, desc, avail, used, len(img)) + img + bytes(ops)


CON, EVT, IND, DIRECT = 1, 2, 4, 8
DESC, AVAIL, USED, BUF = 0x100, 0x200, 0x300, 0x400
RX = 0x800  # RX_OFFSET in fuzz_virtqueue.c

# rng: one writable buffer; notify, ack, notify again.
r = Ram(0x500)
r.desc(DESC, 0, BUF, 64, F_WRITE)
r.avail(AVAIL, [0])
write('virtqueue', 'rng_one_buffer', vq_seed(EVT, 3, DESC, AVAIL, USED, r, [0, 3, 1, 0, 7]))

# rng: an indirect table of two writable buffers, and a direct chain of two.
r = Ram(0x600)
r.desc(DESC, 0, 0x500, 32, F_INDIRECT)
r.desc(0x500, 0, BUF, 16, F_WRITE | F_NEXT, 1)
r.desc(0x500, 1, BUF + 16, 16, F_WRITE)
r.desc(DESC, 1, BUF + 32, 8, F_WRITE | F_NEXT, 2)
r.desc(DESC, 2, BUF + 40, 8, F_WRITE)
r.avail(AVAIL, [0, 1])
write('virtqueue', 'rng_indirect', vq_seed(EVT | IND, 3, DESC, AVAIL, USED, r, [0, 7]))

# console: "hello" on the transmit queue; a receive buffer and three bytes of input.
r = Ram(0xc00)
r.put(0x600, b'hello')
r.desc(DESC, 0, 0x600, 5)
r.avail(AVAIL, [0])
r.desc(DESC + RX, 0, 0xa00, 16, F_WRITE)
r.avail(AVAIL + RX, [0])
write('virtqueue', 'console_tx_rx',
      vq_seed(CON | EVT | IND, 3, DESC, AVAIL, USED, r, [8, 2, 3, ord('a'), ord('b'), ord('c'), 0]))

# console with back-pressure: the stream takes 2 bytes, then everything.
write('virtqueue', 'console_backpressure',
      vq_seed(CON, 3, DESC, AVAIL, USED, r, [4 | 8, 2, 8, 8, 4, 0, 8]))

# the engine directly: a readable and a writable buffer, pop, interrupt check, avail event.
r = Ram(0x500)
r.desc(DESC, 0, BUF, 16, F_NEXT, 1)
r.desc(DESC, 1, BUF + 16, 16, F_WRITE)
r.avail(AVAIL, [0])
write('virtqueue', 'direct_chain', vq_seed(DIRECT | EVT, 2, DESC, AVAIL, USED, r, [0, 0, 0, 2, 3]))

# a loop: the device must end up in NEEDS_RESET, not spin.
r = Ram(0x500)
r.desc(DESC, 0, BUF, 16, F_NEXT | F_WRITE, 0)
r.avail(AVAIL, [0])
write('virtqueue', 'rng_loop', vq_seed(0, 3, DESC, AVAIL, USED, r, [0, 5, 0]))

# ---- fuzz_virtio_mmio: image length, image, operations --------------------------------------

REGS = [0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038, 0x044,
        0x050, 0x060, 0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0b0,
        0x0b4, 0x0b8, 0x0bc, 0x0c0, 0x0fc, 0x100, 0x104, 0x108]


def wr(reg, val, rng=False):
    return bytes([0x80 if rng else 0, REGS.index(reg)]) + struct.pack('<I', val)


def rd(reg, rng=False):
    return bytes([0x81 if rng else 1, REGS.index(reg)])


def init(rng, queues):
    s = wr(0x070, 0, rng) + wr(0x070, 1, rng) + wr(0x070, 3, rng)
    s += rd(0x010, rng) + wr(0x024, 1, rng) + wr(0x020, 1, rng) + wr(0x024, 0, rng)
    s += wr(0x020, (1 << 29) | (1 << 28) | (0 if rng else 5), rng)
    s += wr(0x070, 0xb, rng) + rd(0x070, rng)
    for q, (d, a, u) in queues:
        s += wr(0x030, q, rng) + rd(0x034, rng) + wr(0x038, 8, rng)
        s += wr(0x080, d, rng) + wr(0x090, a, rng) + wr(0x0a0, u, rng) + wr(0x044, 1, rng)
    return s + wr(0x070, 0xf, rng)


def mmio_seed(ram, ops):
    img = bytes(ram.b)
    return struct.pack('<H', len(img)) + img + ops


r = Ram(0x500)
r.desc(DESC, 0, BUF, 64, F_WRITE)
r.avail(AVAIL, [0])
write('virtio_mmio', 'rng_init_notify',
      mmio_seed(r, init(True, [(0, (DESC, AVAIL, USED))]) + wr(0x050, 0, True) +
                rd(0x060, True) + wr(0x064, 1, True)))

r = Ram(0xc00)
r.put(0x600, b'hi\n')
r.desc(DESC, 0, 0x600, 3)
r.avail(AVAIL, [0])
r.desc(0x800, 0, 0xa00, 16, F_WRITE)
r.avail(0x900, [0])
ops = init(False, [(0, (0x800, 0x900, 0xa80)), (1, (DESC, AVAIL, USED))])
ops += wr(0x050, 1) + wr(0x050, 0) + bytes([4, 2, ord('o'), ord('k')])
# configuration reads of widths 2, 4 and 8 (op 2: width index in bits 3-5), an emerg_wr write
ops += bytes([2 | (1 << 3)]) + struct.pack('<H', 0x100) + bytes([2 | (3 << 3)]) + struct.pack('<H', 0x104)
ops += bytes([2 | (2 << 3) | 0x40]) + struct.pack('<HQ', 0x108, ord('!'))
ops += rd(0x060) + wr(0x064, 3) + wr(0x070, 0)
write('virtio_mmio', 'console_init_io', mmio_seed(r, ops))

# odd widths and offsets on both devices, and a VM reset in the middle.
ops = bytes([2 | (0 << 3)]) + struct.pack('<H', 0x70) + bytes([2 | (4 << 3)]) + struct.pack('<H', 0x71)
ops += bytes([0x82 | (3 << 3) | 0x40]) + struct.pack('<HQ', 0x70, 0xf) + bytes([6])
ops += bytes([2 | (2 << 3)]) + struct.pack('<H', 0x1fe)
write('virtio_mmio', 'odd_accesses', mmio_seed(Ram(0x10), ops))
