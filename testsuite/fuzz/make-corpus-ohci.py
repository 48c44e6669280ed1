#!/usr/bin/env python3
"""make-corpus-ohci.py DIR - write the seed inputs of fuzz-ohci.c into DIR.

Each input is fuzz-ohci's 16-byte header (HcHCCA, HcControlHeadED,
HcBulkHeadED, list enables, frames, tablet events, unused) and 16 KiB of
guest RAM holding a schedule: "enumerate" sets the tablet's address and
reads its device descriptor, sends a vendor request and bulk OUT/IN
(across a page) to the asynchronous test device, and polls the tablet's
interrupt endpoint from every HCCA slot ("enumerate-unplug" also unplugs
the device half way); "loop" is an ED list that points to itself with a
TD buffer outside RAM; "outside-ram" puts the HCCA and lists outside RAM.
"""
import struct, sys, os
out = sys.argv[1]
RAM = 0x4000
def seed(name, lists, frames, events, build):
    ram = bytearray(RAM)
    hdr = build(ram)
    data = struct.pack('<IIIBBBB', hdr[0], hdr[1], hdr[2], lists, frames, events, 0) + bytes(ram)
    open(os.path.join(out, name), 'wb').write(data)

def put(ram, addr, *dw):
    for i, v in enumerate(dw):
        struct.pack_into('<I', ram, addr + 4*i, v & 0xffffffff)

def td(ram, addr, dp, t, buf, ln, nxt, di=0):
    flags = (dp << 19) | (t << 24) | (di << 21) | (15 << 28) | (1 << 18)
    put(ram, addr, flags, buf if ln else 0, nxt, (buf + ln - 1) if ln else 0)

def ed(ram, addr, fa, en, d, mps, head, tail, nxt):
    put(ram, addr, fa | en << 7 | d << 11 | mps << 16, tail, head, nxt)

def enum(ram):
    hcca = 0x1000
    # control ED 0x2000: SET_ADDRESS(5) at address 0 (the tablet)
    ram[0x3000:0x3008] = bytes([0, 5, 5, 0, 0, 0, 0, 0])
    td(ram, 0x2100, 0, 2, 0x3000, 8, 0x2110)
    td(ram, 0x2110, 2, 3, 0, 0, 0x2120)
    ed(ram, 0x2000, 0, 0, 0, 8, 0x2100, 0x2120, 0x2040)
    # control ED 0x2040: GET_DESCRIPTOR(device) at address 5, then a
    # vendor IN request at address 0 (the async device)
    ram[0x3010:0x3018] = bytes([0x80, 6, 0, 1, 0, 0, 18, 0])
    td(ram, 0x2200, 0, 2, 0x3010, 8, 0x2210)
    td(ram, 0x2210, 2, 3, 0x3100, 18, 0x2220)
    td(ram, 0x2220, 1, 3, 0, 0, 0x2230)
    ed(ram, 0x2040, 5, 0, 0, 8, 0x2200, 0x2230, 0x2080)
    ram[0x3020:0x3028] = bytes([0xc0, 1, 0, 0, 0, 0, 16, 0])
    td(ram, 0x2300, 0, 2, 0x3020, 8, 0x2310)
    td(ram, 0x2310, 2, 3, 0x3200, 16, 0x2320)
    td(ram, 0x2320, 1, 3, 0, 0, 0x2330)
    ed(ram, 0x2080, 0, 0, 0, 8, 0x2300, 0x2330, 0)
    # bulk ED 0x2400: OUT then IN on endpoint 1 of address 0, crossing a page
    td(ram, 0x2500, 1, 0, 0x2ff0, 64, 0x2510)
    td(ram, 0x2510, 2, 0, 0x3300, 64, 0x2520)
    ed(ram, 0x2400, 0, 1, 0, 64, 0x2500, 0x2520, 0)
    # periodic: every slot -> interrupt ED 0x2600 (address 5, ep 1 IN)
    for i in range(32):
        put(ram, hcca + 4*i, 0x2600)
    td(ram, 0x2700, 2, 0, 0x3400, 8, 0x2710)
    ed(ram, 0x2600, 5, 1, 2, 8, 0x2700, 0x2710, 0)
    return (hcca, 0x2000, 0x2400)

def loop(ram):
    # an ED list that points to itself, and TDs outside RAM
    ed(ram, 0x2000, 0, 0, 0, 8, 0x2100, 0x2120, 0x2000)
    td(ram, 0x2100, 0, 2, 0x7ffff000, 8, 0x2110)
    return (0x1000, 0x2000, 0x2000)

def bad(ram):
    return (0xfffff000, 0xfffffff0, 0x10)

seed('enumerate', 7, 8, 4, enum)
seed('enumerate-unplug', 15, 12, 2, enum)
seed('loop', 7, 3, 0, loop)
seed('outside-ram', 7, 2, 0, bad)
