#!/usr/bin/env python3
"""serial-peer.py - the other end of a guest serial port, for tests.

usage: serial-peer.py connect ADDR SEND REGEX [SECONDS]
       serial-peer.py listen ADDR REGEX [SECONDS]

ADDR is tcp:HOST:PORT or unix:PATH.  "connect" connects (as a plain
TCP client or a program on the pipe would), sends SEND (\\n escapes
allowed; "" sends nothing), and reads until REGEX matches what arrived.
"listen" binds ADDR, prints "listening" (flushed) and accepts one
connection, then reads until REGEX matches.  Either prints what it
received (repr) and exits 0 on a match, 1 on timeout (default 20 s),
2 when the peer closed first.
"""
import re
import socket
import sys
import time


def addr_of(spec):
    kind, _, rest = spec.partition(":")
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        return socket.AF_INET, (host, int(port))
    return socket.AF_UNIX, rest


def read_until(conn, regex, seconds):
    got = b""
    end = time.time() + seconds
    pat = re.compile(regex.encode())
    while not pat.search(got):
        left = end - time.time()
        if left <= 0:
            print(repr(got))
            return 1
        conn.settimeout(left)
        try:
            data = conn.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            data = b""
        if not data:
            print(repr(got))
            return 2
        got += data
    print(repr(got))
    return 0


def main():
    mode, spec = sys.argv[1], sys.argv[2]
    family, addr = addr_of(spec)
    if mode == "connect":
        send = sys.argv[3].encode().decode("unicode_escape").encode()
        regex = sys.argv[4]
        seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 20
        conn = socket.socket(family, socket.SOCK_STREAM)
        conn.connect(addr)
        if send:
            try:
                conn.sendall(send)
            except (BrokenPipeError, ConnectionResetError):
                print(repr(b""))
                sys.exit(2)
    else:
        regex = sys.argv[3]
        seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20
        srv = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET:
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(addr)
        srv.listen(1)
        print("listening", flush=True)
        srv.settimeout(seconds)
        conn, _ = srv.accept()
    sys.exit(read_until(conn, regex, seconds))


if __name__ == "__main__":
    main()
