#!/usr/bin/env python3
"""tpproxy.py - a TCP relay for the teleport tests (teleport.sh).

    tpproxy.py LISTEN_PORT_FILE TARGET_PORT MODE BYTES MARK

Listens on 127.0.0.1 (a free port, written to LISTEN_PORT_FILE), relays
one connection to 127.0.0.1:TARGET_PORT, and once BYTES bytes went from
the client (the source) to the target:
  cut   closes both sides at once (the connection is cut);
  hold  stops relaying, creates the file MARK and relays nothing more
        until one side closes, then closes the other (the test kills
        the target meanwhile).
"""
import os
import select
import socket
import sys


def main():
    port_file, target, mode, limit, mark = sys.argv[1:6]
    limit = int(limit)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    ls.settimeout(120)
    a, _ = ls.accept()
    b = socket.create_connection(("127.0.0.1", int(target)))
    sent = 0
    holding = False
    while True:
        r, _, _ = select.select([a, b], [], [], 120)
        if not r:
            break
        if a in r:
            if holding:
                # only notice the end; relay nothing
                if not a.recv(65536, socket.MSG_PEEK):
                    break
                select.select([b], [], [], 0.05)
            else:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
                sent += len(d)
        if b in r:
            d = b.recv(65536)
            if not d:
                break
            if not holding:
                a.sendall(d)
        if sent >= limit and not holding:
            if mode == "cut":
                break
            holding = True
            open(mark, "w").close()
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


if __name__ == "__main__":
    main()
