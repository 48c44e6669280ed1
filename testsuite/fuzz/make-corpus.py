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
sys.exit(0)
