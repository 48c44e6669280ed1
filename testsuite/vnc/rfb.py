#!/usr/bin/env python3
# rfb.py - a scripted RFB client for what real viewers never send: each
# scenario speaks to the VNC module on PORT and prints "ok" or a reason,
# exit status 0 or 1.  The shell test (proto.sh) checks the module's log
# lines for the refusals.
#   rfb.py PORT SCENARIO
import socket
import ssl
import struct
import sys
import time

PORT = int(sys.argv[1])
HOST = "127.0.0.1"


class Closed(Exception):
    pass


def connect():
    s = socket.create_connection((HOST, PORT), timeout=20)
    return s


def rx(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise Closed("closed after %d of %d bytes" % (len(b), n))
        b += d
    return b


def closed(s, limit=20):
    """True when the server closes the connection within limit s."""
    s.settimeout(limit)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def handshake(s, minor=8):
    """Version, security None, ClientInit; returns (w, h, pixfmt)."""
    rx(s, 12)
    s.sendall(b"RFB 003.%03d\n" % minor)
    if minor == 3:
        t = struct.unpack(">I", rx(s, 4))[0]
        assert t == 1, "3.3: security type %d, not None" % t
    else:
        n = rx(s, 1)[0]
        types = rx(s, n)
        assert 1 in types, "None not offered: %r" % list(types)
        s.sendall(b"\x01")
        if minor >= 8:
            assert rx(s, 4) == b"\0\0\0\0", "SecurityResult failed"
    s.sendall(b"\x01")
    w, h = struct.unpack(">HH", rx(s, 4))
    pf = rx(s, 16)
    name = rx(s, struct.unpack(">I", rx(s, 4))[0])
    assert name, "no desktop name"
    return w, h, pf


def set_encodings(s, encs):
    s.sendall(struct.pack(">BBH", 2, 0, len(encs)) +
              b"".join(struct.pack(">i", e) for e in encs))


def request(s, w, h, incremental=0):
    s.sendall(struct.pack(">BBHHHH", 3, incremental, 0, 0, w, h))


def read_update(s, bpp, fb=None, w=0):
    """One FramebufferUpdate of raw and pseudo rects: [(x,y,w,h,enc)]."""
    t, _, n = struct.unpack(">BBH", rx(s, 4))
    assert t == 0, "message %d, not an update" % t
    rects = []
    for _ in range(n):
        x, y, rw, rh, e = struct.unpack(">HHHHi", rx(s, 12))
        rects.append((x, y, rw, rh, e))
        if e == 0:
            data = rx(s, rw * rh * bpp)
            if fb is not None:
                for r in range(rh):
                    o = ((y + r) * w + x) * bpp
                    fb[o:o + rw * bpp] = data[r * rw * bpp:(r + 1) * rw * bpp]
        elif e == -308:
            ns = rx(s, 4)[0]
            rx(s, 16 * ns)
        elif e in (-258, -223):
            pass
        elif e == -239:
            rx(s, rw * rh * bpp + (rw + 7) // 8 * rh)
        else:
            raise AssertionError("unexpected encoding %d" % e)
    return rects


def sc_hs33():
    s = connect()
    w, h, _ = handshake(s, 3)
    return w == 1024 and h == 768


def sc_hs37():
    s = connect()
    w, h, _ = handshake(s, 7)
    return w == 1024


def sc_hs889():
    s = connect()
    handshake(s, 889)  # Apple's version string: treated as 3.8
    return True


def sc_badversion():
    s = connect()
    rx(s, 12)
    s.sendall(b"GET / HTTP/1")
    return closed(s)


def after_init():
    s = connect()
    w, h, _ = handshake(s)
    return s, w, h


def sc_bigenc():
    s, _, _ = after_init()
    s.sendall(struct.pack(">BBH", 2, 0, 5000) + bytes(4 * 5000))
    return closed(s)


def sc_badpf():
    s, _, _ = after_init()
    pf = bytes([24, 24, 0, 1]) + struct.pack(">HHH", 255, 255, 255) + \
        bytes([16, 8, 0, 0, 0, 0])
    s.sendall(b"\0\0\0\0" + pf)
    return closed(s)


def sc_colourmap():
    s, _, _ = after_init()
    pf = bytes([8, 8, 0, 0]) + bytes(6) + bytes(6)
    s.sendall(b"\0\0\0\0" + pf)
    return closed(s)


def sc_unknown():
    s, _, _ = after_init()
    s.sendall(b"\x4d" + bytes(16))
    return closed(s)


def sc_bigcut():
    s, _, _ = after_init()
    s.sendall(b"\6\0\0\0" + struct.pack(">I", 2 << 20))
    return closed(s)


def sc_cut_then_update():
    """Cut text is skipped across reads; the request after it works."""
    s, w, h = after_init()
    set_encodings(s, [0])
    text = b"x" * 100000
    s.sendall(b"\6\0\0\0" + struct.pack(">I", len(text)))
    for i in range(0, len(text), 7000):
        s.sendall(text[i:i + 7000])
        time.sleep(0.001)
    request(s, w, h)
    rects = read_update(s, 4)
    return sum(r[2] * r[3] for r in rects if r[4] == 0) == w * h


def sc_rgb565():
    """SetPixelFormat to 16-bit RGB565, big endian: the yellow bar."""
    s, w, h = after_init()
    pf = bytes([16, 16, 1, 1]) + struct.pack(">HHH", 31, 63, 31) + \
        bytes([11, 5, 0, 0, 0, 0])
    s.sendall(b"\0\0\0\0" + pf)
    set_encodings(s, [0])
    request(s, w, h)
    fb = bytearray(w * h * 2)
    read_update(s, 2, fb, w)
    o = (100 * w + 96) * 2
    yellow = struct.unpack(">H", fb[o:o + 2])[0]
    o = (100 * w + 416) * 2
    blue = struct.unpack(">H", fb[o:o + 2])[0]
    if (yellow, blue) != (0xffe0, 0x001f):
        print("# yellow %04x blue %04x" % (yellow, blue))
        return False
    return True


def sc_extdesk():
    s, w, h = after_init()
    set_encodings(s, [0, -308, -258])
    request(s, w, h)
    rects = read_update(s, 4)
    encs = [r[4] for r in rects]
    ext = [r for r in rects if r[4] == -308]
    return -258 in encs and ext and ext[0][2:4] == (w, h)


def sc_qemukey():
    """A QEMU extended key event: the scancode, E0 from bit 7."""
    s, w, h = after_init()
    set_encodings(s, [0, -258])
    for down in (1, 0):
        s.sendall(struct.pack(">BBHII", 255, 0, down, 0xff52, 0xc8))
    for down in (1, 0):
        s.sendall(struct.pack(">BBHII", 255, 0, down, 0x71, 0x10))
    request(s, w, h)
    read_update(s, 4)
    return True


def sc_keysym():
    """Plain key events: keysyms through the en-us table."""
    s, w, h = after_init()
    set_encodings(s, [0])
    for ks in (0x77, 0xffc9):  # w, F12
        for down in (1, 0):
            s.sendall(struct.pack(">BBHI", 4, down, 0, ks))
    request(s, w, h)
    read_update(s, 4)
    return True


def sc_pending():
    """More unauthenticated connections from one address than allowed
    (16, VNC_MAX_PENDING_PER_ADDR: a browser opens several at once): the
    extra one is closed at once."""
    held = [connect() for _ in range(16)]
    for c in held:
        rx(c, 12)
    extra = connect()
    ok = closed(extra, 10)
    for c in held:
        c.close()
    return ok


def sc_tls11():
    """VeNCrypt X509None, then TLS capped at 1.1: refused."""
    s = connect()
    rx(s, 12)
    s.sendall(b"RFB 003.008\n")
    n = rx(s, 1)[0]
    types = rx(s, n)
    assert 19 in types, "VeNCrypt not offered"
    s.sendall(b"\x13")
    rx(s, 2)
    s.sendall(b"\0\2")
    assert rx(s, 1) == b"\0"
    n = rx(s, 1)[0]
    subs = struct.unpack(">%dI" % n, rx(s, 4 * n))
    assert 260 in subs, "X509None not offered: %r" % (subs,)
    s.sendall(struct.pack(">I", 260))
    assert rx(s, 1) == b"\1"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        t = ctx.wrap_socket(s)
    except (ssl.SSLError, OSError):
        return True
    print("# TLS %s was accepted" % t.version())
    return False


def http(raw):
    """Send a raw request; return (status, headers, body)."""
    s = connect()
    s.sendall(raw)
    data = b""
    s.settimeout(10)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                if len(body) >= length:
                    break
    except socket.timeout:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode()
    return status, hdrs, body


def expect(name, raw, want):
    st, h, _ = http(raw)
    if st != want:
        print("# %s: HTTP %d, not %d" % (name, st, want))
        return False
    return True


def get(p):
    return b"GET " + p + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def sc_http():
    """GET only, fixed paths and types, no way out of the web root,
    bounded heads."""
    ok = expect("page", get(b"/"), 200)
    st, h, body = http(get(b"/console.js"))
    ok &= st == 200 and h.get("content-type", "").startswith("text/javascript")
    st, h, body = http(get(b"/novnc/core/rfb.js"))
    ok &= st == 200 and h.get("content-type", "").startswith("text/javascript")
    ok &= b"export default class RFB" in body or b"class RFB" in body
    ok &= expect("POST", b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405)
    ok &= expect("HEAD", b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 405)
    ok &= expect("dot-dot", get(b"/novnc/../../../etc/passwd"), 404)
    ok &= expect("dot-dot 2", get(b"/novnc/core/../../../../etc/passwd"), 404)
    ok &= expect("encoded", get(b"/novnc/%2e%2e/%2e%2e/etc/passwd"), 400)
    ok &= expect("outside", get(b"/etc/passwd"), 404)
    ok &= expect("no type", get(b"/novnc/LICENSE.txt"), 404)
    ok &= expect("hidden", get(b"/novnc/.git/config"), 404)
    ok &= expect("absolute", b"GET http://x/ HTTP/1.1\r\n\r\n", 400)
    ok &= expect("huge head",
                 b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431)
    ok &= expect("ws elsewhere", b"GET /x HTTP/1.1\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 404)
    return ok


def ws_connect(path=b"/websockify"):
    s = connect()
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n"
              b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += rx(s, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    # RFC 6455's example key and answer
    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, head
    return s


def ws_send(s, data, mask=b"\x11\x22\x33\x44"):
    n = len(data)
    h = bytes([0x82])
    h += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
    s.sendall(h + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def ws_recv(s):
    b0, b1 = rx(s, 2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack(">H", rx(s, 2))[0]
    elif n == 127:
        n = struct.unpack(">Q", rx(s, 8))[0]
    return rx(s, n)


def sc_ws_rfb():
    """RFB inside WebSocket frames: the greeting, security types."""
    s = ws_connect()
    ver = ws_recv(s)
    assert ver == b"RFB 003.008\n", ver
    ws_send(s, b"RFB 003.008\n")
    types = ws_recv(s)
    while len(types) < 1 + types[0]:
        types += ws_recv(s)
    return types[0] >= 1 and len(types) == 1 + types[0]


def sc_ws_unmasked():
    """An unmasked client frame: dropped."""
    s = ws_connect()
    ws_recv(s)
    s.sendall(b"\x82\x0cRFB 003.008\n")
    return closed(s)


def main():
    name = sys.argv[2]
    try:
        ok = globals()["sc_" + name]()
    except (AssertionError, Closed, OSError) as e:
        print("# %s: %s" % (name, e))
        ok = False
    print("ok" if ok else "failed")
    return 0 if ok else 1


sys.exit(main())
