#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Writes the seed corpora of fuzz_virtio_blk, fuzz_virtio_net and fuzz_shmdev into
# tests/fuzz/corpus/<name>/: operation lists in the format of fuzz_vdrv.h (and fuzz_shmdev.c)
# that set a device up properly and send it a few valid requests, for the fuzzer to mutate.
# Run it again after changing an input format: python3 tests/fuzz/make_device_seeds.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def setup(features=0xFFFFFFFFFFFFFFFF):
    return bytes([3]) + struct.pack('<Q', features)


def ram(gpa, data):
    out = b''
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += bytes([2]) + struct.pack('<IB', gpa + i, len(chunk)) + chunk
    return out


def desc(q, i, addr, length, flags, nxt=0):
    # addr and len in their "small" encodings: addr = 0x10000 + u32, len = u16
    return bytes([4, q, i, 0]) + struct.pack('<I', addr - 0x10000) + bytes([0]) + \
        struct.pack('<HHH', length, flags, nxt)


def avail(q, head):
    return bytes([5]) + struct.pack('<HB', head, q)


def notify(q):
    return bytes([6, q])


def blk_req(d0, typ, sector, data_len, data_write, extra=b''):
    hdr = struct.pack('<IIQ', typ, 0, sector)
    out = ram(0x10000, hdr + extra)
    out += desc(0, d0, 0x10000, 16 + len(extra), F_NEXT, d0 + 1)
    n = d0 + 1
    if data_len:
        out += desc(0, n, 0x11000, data_len, F_NEXT | (F_WRITE if data_write else 0), n + 1)
        n += 1
    out += desc(0, n, 0x13000, 1, F_WRITE)
    return out + avail(0, d0) + notify(0)


def write(name, fname, data):
    d = os.path.join(HERE, 'corpus', name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), 'wb') as f:
        f.write(data)


# ---- virtio-blk: first byte 0 = read-write disk, 1 = read-only
rw = bytes([0]) + setup()
write('virtio_blk', 'read', rw + blk_req(0, 0, 3, 1024, True))
write('virtio_blk', 'write_read', rw + ram(0x11000, bytes(range(256)) * 2) +
      blk_req(0, 1, 7, 512, False) + blk_req(3, 0, 7, 512, True))
write('virtio_blk', 'flush_getid', rw + blk_req(0, 4, 0, 0, False) + blk_req(2, 8, 0, 20, True))
write('virtio_blk', 'discard_wz', rw +
      blk_req(0, 11, 0, 0, False, struct.pack('<QII', 2, 4, 0) + struct.pack('<QII', 9, 1, 0)) +
      blk_req(2, 13, 0, 0, False, struct.pack('<QII', 20, 8, 1)))
write('virtio_blk', 'readonly_write', bytes([1]) + setup() + blk_req(0, 1, 0, 512, False))
write('virtio_blk', 'no_status', rw + ram(0x10000, struct.pack('<IIQ', 0, 0, 0)) +
      desc(0, 0, 0x10000, 16, 0) + avail(0, 0) + notify(0))

# ---- virtio-net: queue 0 receive, 1 transmit; ops 0x08.. are frames from the link
MRG = 1 << 15
frame = b'\xff' * 6 + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + bytes(range(46))
rx_bufs = b''.join(desc(0, i, 0x20000 + 0x800 * i, 0x600, F_WRITE) + avail(0, i)
                   for i in range(4))
write('virtio_net', 'tx', setup(~MRG & 0xFFFFFFFFFFFFFFFF) + ram(0x30000, bytes(12) + frame) +
      desc(1, 0, 0x30000, 12 + len(frame), 0) + avail(1, 0) + notify(1))
write('virtio_net', 'tx_split', setup() + ram(0x30000, bytes(12)) + ram(0x30100, frame) +
      desc(1, 0, 0x30000, 12, F_NEXT, 1) + desc(1, 1, 0x30100, len(frame), 0) + avail(1, 0) +
      notify(1))
write('virtio_net', 'rx', setup(~MRG & 0xFFFFFFFFFFFFFFFF) + rx_bufs + notify(0) +
      bytes([0x08, len(frame)]) + frame)
small_bufs = b''.join(desc(0, i, 0x20000 + 0x100 * i, 0x40, F_WRITE) + avail(0, i)
                      for i in range(6))
write('virtio_net', 'rx_mrg', setup() + small_bufs + bytes([0x08, len(frame)]) + frame +
      bytes([0x88]) + struct.pack('<HB', 200, 0))
write('virtio_net', 'rx_big', setup() + rx_bufs + bytes([0x88]) + struct.pack('<HB', 3000, 3))

# ---- shmdev: first byte bit 0 = second peer read-only; then ops (see fuzz_shmdev.c)
def reg(vm, off, value, wr=True):
    # op: bit0 vm, bits1-3 width index (2 = 4 bytes), high nibble >= 4 registers,
    # 0x80 small offset (u8 % 0x20), 0x40 write; value: selector 1 then u64
    op = vm | (2 << 1) | 0x80 | (0x40 if wr else 0)
    return bytes([op, off]) + (bytes([1]) + struct.pack('<Q', value) if wr else bytes([1]) +
                               struct.pack('<Q', 0))


def mem(vm, off, value, wr=True):
    op = vm | (3 << 1) | 0x10 | (0x20 if wr else 0)
    return bytes([op]) + struct.pack('<HQ', off, value)


write('shmdev', 'doorbells', bytes([0]) + reg(0, 0x10, 1) + reg(1, 0x14, 0, False) +
      reg(1, 0x18, 1) + reg(1, 0x10, 0) + reg(0, 0x18, 0xffffffff))
write('shmdev', 'memory', bytes([1]) + mem(0, 0x40, 0x1122334455667788) + mem(1, 0x40, 0, False) +
      mem(1, 0x40, 5))
write('shmdev', 'remove', bytes([0]) + reg(0, 0x10, 1) + bytes([0x01]) + reg(0, 0x10, 1) +
      reg(0, 0x08, 0, False))
