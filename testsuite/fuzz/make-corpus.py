#!/usr/bin/env python3
# make-corpus.py - writes the seed corpora in corpus/NAME/ (committed; run
# again only to change the seeds).  Seeds are small valid inputs of each
# format, so the smoke runs in make check start from the interesting
# paths instead of having to find the magic numbers first.
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def u32(*v):
    return b"".join(struct.pack("<I", x) for x in v)


def u64(*v):
    return b"".join(struct.pack("<Q", x) for x in v)


# ---- tsmf: records {op, len16, bytes} (fuzz.h, fuzz-tsmf.c) -------------
def rec(op, data):
    return bytes([op]) + struct.pack("<H", len(data)) + data


GUID = bytes(range(16))
ack = u32(1, 7, 0x100, 1) + u64(400000, 1234)
event = u32(1, 8, 0x101, 1, 0xc9, 4) + b"abcd"
caps_rsp = u32(0x80000000, 2, 2, 1, 4, 2, 2, 4, 2, 0)
topo_rsp = u32(0x80000000, 5, 1, 0)
rim_rsp = u32(0x00000002, 1, 1, 0)
new_pres = u32(0, 3, 0x105) + GUID + u32(2)
sample = (u32(0, 9, 0x103) + GUID + u32(1, 1) + u64(0, 400000, 0) +
          u32(1, 0, 4) + b"\xff\xd8\xff\xd9")
geometry = (u32(0, 10, 0x114) + GUID + u32(44) + u64(1) + u32(0, 64, 48, 16, 16)
            + u64(0) + u32(16, 16) + u32(16) + u32(0, 0, 48, 64))
put("tsmf", "ack", rec(0, ack) + rec(8, ack))
put("tsmf", "event", rec(1, event))
put("tsmf", "caps", rec(0, caps_rsp) + rec(0, rim_rsp) + rec(0, topo_rsp))
put("tsmf", "client-msgs", rec(2, new_pres) + rec(2, sample) + rec(2, geometry))
put("tsmf", "parse-server", rec(3, sample) + rec(3, geometry) + rec(3, new_pres))
put("tsmf", "parse-client", rec(4, u32(0x100) + caps_rsp) + rec(4, u32(0x107) + topo_rsp))
put("tsmf", "drive", rec(5, bytes([0]) + u32(0x010010, 0x19030040)) +
    rec(5, bytes([5])) + rec(5, bytes([1, 2, 0, 0, 0, 0, 0, 0, 0])) +
    rec(0, ack) + rec(5, bytes([2, 2, 0, 0, 0])) + rec(5, bytes([4, 1, 0, 0, 0])))

# ---- ctl: one request line per file ------------------------------------
for i, line in enumerate([
        "info\n", "pause\n", "resume\n", "reset\n", "poweroff\n",
        "acpipowerbutton\n", "screenshotpng\t/tmp/x.png\t0\n",
        "vrde\ton\n", "vrde\toff\n", "vrdeport\t5000,5010-5012\n",
        "vrdeport\tdefault\n", "vrdeproperty\tTCP/Ports=3390\n",
        "vrdeproperty\tSecurity/Method=TLS\n",
        "setvideomodehint\t1024\t768\t32\t0\n",
        "keyboardputscancode\t1e\t9e\te0\t48\n", "bogus\tx\ty\n", "\n"]):
    put("ctl", "req%02d" % i, line)

# ---- authproto: first byte even = helper->host, odd = host->helper ------
def frame(t, payload):
    return t.encode() + struct.pack("=I", len(payload)) + payload


def strs(*v):
    out = b""
    for s in v:
        if s is None:
            out += struct.pack("=I", 0xffffffff)
        else:
            out += struct.pack("=I", len(s)) + s.encode()
    return out


put("authproto", "host-result", b"\0" + frame("R", struct.pack("=i", 1)))
put("authproto", "host-hash", b"\0" + frame("R", struct.pack("=i", 0) + bytes(16)))
put("authproto", "host-query", b"\0" + frame("Q", b"VBoxAuthSimple/users/alice") +
    frame("Q", b"odd") + frame("R", struct.pack("=i", 0)))
put("authproto", "helper-request", b"\1" + frame("A", strs(
    "entry", "/usr/lib/vireo/vireo-auth-simple.so", "vireo-headless",
    "{0a1b2c3d-0000-4000-8000-00000000000f}", "alice", "secret", None,
    "1", "3")))
put("authproto", "helper-short", b"\1" + frame("A", strs("nthash", "x")))

# ---- ports --------------------------------------------------------------
for i, s in enumerate(["3389", "default", "0", "5000,5010-5012",
                       " 35000 - 35999 ", "1-65535", "65535", "5000,,1"]):
    put("ports", "p%02d" % i, s)

# ---- userscreen: user NUL domain ----------------------------------------
for i, s in enumerate([b"alice\0WORKGROUP@2", b"@3\\alice", b"alice@1",
                       b"alice\0", b"@0\\bob\0DOM", b"x@99999999999999999999",
                       b"a@b@4\0@"]):
    put("userscreen", "u%02d" % i, s)

# ---- registry -----------------------------------------------------------
put("registry", "full.xml", """<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">
  <Global>
    <ExtraData>
      <ExtraDataItem name="GUI/Foo" value="bar"/>
    </ExtraData>
    <MachineRegistry>
      <MachineEntry uuid="{0a1b2c3d-0000-4000-8000-000000000001}" src="vms/a/a.vbox"/>
      <MachineEntry uuid="0A1B2C3D-0000-4000-8000-000000000002" src="/abs/b/b.vbox"/>
    </MachineRegistry>
    <MediaRegistry>
      <HardDisks>
        <HardDisk uuid="{0a1b2c3d-0000-4000-8000-000000000003}" location="/x.img" format="RAW" type="Normal"/>
      </HardDisks>
    </MediaRegistry>
    <SystemProperties defaultMachineFolder="/vms" VRDEAuthLibrary="simple"/>
  </Global>
</VirtualBox>
""")
put("registry", "empty.xml", """<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.12-linux">
  <Global>
    <MachineRegistry/>
    <SystemProperties/>
  </Global>
</VirtualBox>
""")
put("registry", "bad-entry.xml", """<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">
  <Global><MachineRegistry><MachineEntry uuid="nope"/></MachineRegistry></Global>
</VirtualBox>
""")

# ---- elf: a static x86-64 executable with two segments -------------------
def elf(phdrs, body=b"", phentsize=56, machine=62):
    ehdr = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) +
            struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x100000, 64, 0, 0,
                        64, phentsize, len(phdrs), 0, 0, 0))
    ph = b""
    for (typ, off, paddr, filesz, memsz) in phdrs:
        ph += struct.pack("<IIQQQQQQ", typ, 5, off, paddr, paddr, filesz,
                          memsz, 0x1000)
    return ehdr + ph + body


body = bytes(range(256))
start = 64 + 56 * 3
put("elf", "testcard-like", elf([(1, start, 0x100000, 128, 4096),
                                 (4, 0, 0, 0, 0),
                                 (1, start + 128, 0x200000, 128, 128)], body))
put("elf", "outside", elf([(1, 0x10000, 0x100000, 16, 16)], body))
put("elf", "bss-only", elf([(1, 0, 0x100000, 0, 0x10000)]))

# ---- bzimage: a setup header of protocol 2.15 with an XZ payload --------
def bzimage(version=0x020f, setup_sects=1, jump=0x6a, payload=b"\xfd7zXZ\0" + bytes(26)):
    f = bytearray(512 * (setup_sects + 1))
    f[0x1f1] = setup_sects
    f[0x200] = 0xeb
    f[0x201] = jump
    f[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", f, 0x206, version)
    struct.pack_into("<H", f, 0x236, 0x1)  # xloadflags: XLF_KERNEL_64
    struct.pack_into("<I", f, 0x238, 2048)  # cmdline_size
    struct.pack_into("<I", f, 0x248, 0x10)  # payload_offset
    struct.pack_into("<I", f, 0x24c, len(payload))  # payload_length
    return bytes(f) + bytes(0x10) + payload


put("bzimage", "xz", bzimage())
put("bzimage", "old-protocol", bzimage(version=0x020a))
put("bzimage", "short-jump", bzimage(jump=0x20))
put("bzimage", "minimal", bzimage()[:0x250])

# ---- state: the saved-state container (src/vmm/state.h) -----------------
import zlib


def st_header(version=1, time=1234):
    h = b"\x7fVIREOST" + struct.pack("<IIQI", version, 32, time, 0)
    return h + struct.pack("<I", zlib.crc32(h))


def st_record(tag, payload, ver=1, inst=0):
    h = tag + struct.pack("<HHQI", ver, inst, len(payload), zlib.crc32(payload))
    return h + struct.pack("<I", zlib.crc32(h)) + payload


def st_stream(records):
    body = b"".join(records)
    end = struct.pack("<IQ", len(records), 32 + len(body))
    return st_header() + body + st_record(b"END ", end)


vm_rec = st_record(b"VM  ", bytes([2, 0]) + u32(1, 2) + u64(64 << 20, 32 << 20, 16 << 20) + u32(0) + bytes([0]) + u64(2000000))
put("state", "empty", st_stream([]))
put("state", "vm", st_stream([vm_rec]))
put("state", "memory", st_stream([vm_rec, st_record(b"RAM ", u64(4096) + bytes(range(256)) * 16), st_record(b"VRAM", u64(0) + b"\xff" * 64)]))
put("state", "devices", st_stream([vm_rec, st_record(b"COM1", b"\x01" + bytes(11 + 64)), st_record(b"COM2", b"\x00"), st_record(b"KBD ", bytes(11) + u32(2) + b"\x1e\x00\x9e\x00"), st_record(b"UCPU", bytes(200), inst=0)]))
put("state", "newer", st_header(version=2) + st_record(b"END ", u32(0) + u64(32)))
put("state", "truncated", st_stream([vm_rec])[:70])

# ---- teleport: what a target reads (src/headless/tpwire.h) --------------
def tp_msg(tag, payload=b""):
    return tag + u32(len(payload)) + payload


tp_conf = tp_msg(b"CONF", bytes([2]) + u32(0x02000100, 0))
put("teleport", "whole", tp_msg(b"AUTH", bytes(32)) + tp_conf
    + st_stream([vm_rec, st_record(b"RAM ", u64(0) + bytes(4096))])
    + tp_msg(b"CRC ", bytes(5)) + tp_msg(b"GO  "))
put("teleport", "nack", tp_msg(b"NACK", b"wrong teleporter password\x00\x01"))
put("teleport", "big", tp_msg(b"AUTH", bytes(32)) + b"CONF" + u32(9000))


# ---- vnc: records; op 0 version, 1 client messages, 2 pixfmt+tile -------
def be16(*v):
    return b"".join(struct.pack(">H", x) for x in v)


def be32(*v):
    return b"".join(struct.pack(">i", x) for x in v)


native = bytes([32, 24, 0, 1]) + be16(255, 255, 255) + bytes([16, 8, 0, 0, 0, 0])
rgb565 = bytes([16, 16, 1, 1]) + be16(31, 63, 31) + bytes([11, 5, 0, 0, 0, 0])
msgs = (b"\0\0\0\0" + native
        + b"\2\0" + be16(6) + be32(7, 16, 5, 0, -258, -308)
        + b"\3\0" + be16(0, 0, 1024, 768)
        + b"\4\1\0\0" + be32(0x61)
        + b"\5\1" + be16(10, 20)
        + b"\6\0\0\0" + be32(5) + b"hello"
        + b"\xff\0\0\1" + be32(0x41, 0x1e)
        + b"\xfb\0" + be16(800, 600) + b"\1\0" + bytes(16))
put("vnc", "version", rec(0, b"RFB 003.008\n") + rec(0, b"RFB 003.889\n"))
put("vnc", "messages", rec(1, msgs))
put("vnc", "split", rec(1, msgs[:7]) + rec(1, msgs[7:]))
tile = bytes(range(256)) * 64
for i, (pf, enc) in enumerate([(native, 0), (native, 1), (native, 2),
                                (native, 3), (rgb565, 2), (rgb565, 1)]):
    put("vnc", "enc%d" % i, rec(2, pf + bytes([enc, 0, 63, 63]) + tile))
put("vnc", "jpeg", rec(2, native + bytes([3, 81, 31, 15]) + tile))
put("vnc", "http", rec(3, b"GET /novnc/core/rfb.js?x=1&token=ab12 HTTP/1.1\r\n"
                       b"Host: localhost:5900\r\nConnection: keep-alive\r\n\r\n"))
put("vnc", "upgrade", rec(3, b"GET /websockify?token=00ff HTTP/1.1\r\n"
                          b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Version: 13\r\n"
                          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          b"Sec-WebSocket-Protocol: binary\r\n\r\n"))
put("vnc", "frames", rec(4, b"\x82\x85abcd" + bytes(5) + b"\x82\xfe\x01\x00abcd"
                         + b"\x89\x80abcd" + b"\x82\xff" + bytes(7) + b"\x10abcd"))
# ---- gfx: graphics pipeline messages from the client (MS-RDPEGFX) ------
def gfx_pdu(cmd, body):
    return struct.pack("<HHI", cmd, 0, 8 + len(body)) + body
caps = struct.pack("<H", 3) + struct.pack("<III", 0x000A0701, 4, 0) \
    + struct.pack("<III", 0x000A0100, 16, 0) + bytes(12) \
    + struct.pack("<III", 0x00080105, 4, 0x10)
put("gfx", "caps", gfx_pdu(0x12, caps))
put("gfx", "ack", gfx_pdu(0x0d, struct.pack("<III", 2, 17, 17)))
put("gfx", "two", gfx_pdu(0x0d, struct.pack("<III", 0xffffffff, 3, 3))
    + gfx_pdu(0x16, struct.pack("<IHHH", 3, 1, 2, 3)))
put("gfx", "short", gfx_pdu(0x12, caps)[:20])
# ---- urbdrc: MS-RDPEUSB, first byte picks the parser (fuzz-urbdrc.c) ----
def usb_str(s):
    return struct.pack("<I", len(s) + 1) + (s + "\0").encode("utf-16-le")
def usb_multisz(*v):
    body = "".join(x + "\0" for x in v) + "\0"
    return struct.pack("<I", len(body)) + body.encode("utf-16-le")
add_device = u32(0x40000001, 0, 0x101, 1, 5) + usb_str("probe#5") \
    + usb_multisz("USB\\VID_1209&PID_4C42&REV_0100", "USB\\VID_1209&PID_4C42") \
    + usb_multisz("USB\\Class_FF&SubClass_00&Prot_00") \
    + usb_str("{00000000-0000-0000-0000-000000000005}") \
    + u32(28, 2, 0x600, 0x200, 0, 1, 80)
put("urbdrc", "add-device", b"\0" + add_device)
put("urbdrc", "caps-rsp", b"\0" + u32(0, 7, 1, 0))
put("urbdrc", "created", b"\0" + u32(0x40000003, 1, 0x100, 1, 0, 0))
put("urbdrc", "urb-done", b"\0" + u32(0x40000100, 8, 0x101, 0x11, 8)
    + struct.pack("<HHI", 8, 0, 0) + u32(0, 4) + b"abcd")
sel = u32(0x1234, 1) + struct.pack("<HBBIII", 56, 0, 0, 0xff, 0x5678, 2) \
    + struct.pack("<HBBIIII", 64, 1, 0, 2, 0x01050001, 0x10000, 0) \
    + struct.pack("<HBBIIII", 64, 0x81, 0, 2, 0x01050081, 0x10000, 0)
put("urbdrc", "select-done", b"\0" + u32(0x40000100, 9, 0x102, 3, 8 + len(sel))
    + struct.pack("<HHI", 8 + len(sel), 0, 0) + sel + u32(0, 0))
put("urbdrc", "ioctl-done", b"\0" + u32(0x40000100, 9, 0x100, 0x63, 0, 4, 4))
put("urbdrc", "text", b"\0" + u32(0x80000005, 6) + usb_str("USB loopback") + u32(0))
# the longest USB string (126 x U+4E2D), cut by the parser; one whose cch
# leaves out the NUL
put("urbdrc", "text-long", b"\0" + u32(0x80000005, 6) + usb_str("\u4e2d" * 126) + u32(0))
put("urbdrc", "text-no-nul", b"\0" + u32(0x80000005, 6, 2) + "OK".encode("utf-16-le") + u32(0))
put("urbdrc", "select-result", b"\2" + sel)
loop_cfg = bytes([9, 2, 32, 0, 1, 1, 0, 0x80, 50, 9, 4, 0, 0, 2, 0xff, 0, 0, 0,
                  7, 5, 1, 2, 64, 0, 0, 7, 5, 0x81, 2, 64, 0, 0])
put("urbdrc", "config", b"\4" + loop_cfg)
put("urbdrc", "transfer-out", b"\1" + u32(0x40000005, 9, 0x106, 16)
    + struct.pack("<HHI", 16, 9, 0x12) + u32(0x01050001, 0, 3) + b"abc")
put("urbdrc", "register", b"\1" + u32(0x40000005, 2, 0x101, 1, 0x100))
sys.exit(0)
