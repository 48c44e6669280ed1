#!/usr/bin/env python3
"""notify-listen.py - the service manager's end of sd_notify, for tests.

usage: notify-listen.py ADDRESS LOG

Binds a unix datagram socket at ADDRESS (a path, or '@name' for an
abstract one, as $NOTIFY_SOCKET spells them) and appends each datagram
to LOG as one line, newlines shown as '|'.  When a datagram holds
READY=1 it then connects to the TCP port named by the last STATUS=
("... on port N") and logs "connect-after-ready ok N" or
"connect-after-ready failed N: why", so a test sees whether the remote
display listened when readiness was announced.  It runs until killed,
at most 120 s.
"""
import os
import re
import socket
import sys
import time


def main():
    addr, log = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
    s.settimeout(1.0)
    port = None
    end = time.time() + 120
    with open(log, "a", buffering=1) as out:
        out.write("listening\n")
        while time.time() < end:
            try:
                data = s.recv(4096)
            except socket.timeout:
                continue
            text = data.decode("utf-8", "replace")
            out.write(text.replace("\n", "|") + "\n")
            for field in text.split("\n"):
                m = re.search(r"on port (\d+)", field)
                if field.startswith("STATUS=") and m:
                    port = int(m.group(1))
                if field == "READY=1" and port:
                    try:
                        c = socket.create_connection(("127.0.0.1", port), 5)
                        c.close()
                        out.write("connect-after-ready ok %d\n" % port)
                    except OSError as e:
                        out.write("connect-after-ready failed %d: %s\n"
                                  % (port, e))
    if not addr.startswith("@"):
        os.unlink(addr)


if __name__ == "__main__":
    main()
