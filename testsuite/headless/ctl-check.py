#!/usr/bin/env python3
"""ctl-check.py SOCKET - the control socket under slow and idle clients.

Prints one line per finding (the test compares them):
  refused: <reply of the 17th connection while 16 others send nothing>
  served: <last line of an "info" request while 15 others send nothing>
  slow: <reply to a client sending one byte per 0.5 s, no newline>
Every wait is bounded: no line takes more than about 12 s.
"""
import socket
import sys
import time

PATH = sys.argv[1]


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(PATH)
    return s


def reply(s, limit):
    """What the server sends until it closes, at most @limit seconds."""
    s.settimeout(limit)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except socket.timeout:
        data += b"<no answer within %d s>" % limit
    except OSError as e:
        data += ("<%s>" % e).encode()
    return data.decode(errors="replace").strip()


def last_line(text):
    lines = text.splitlines()
    return lines[-1] if lines else ""


idle = [connect() for _ in range(16)]
extra = connect()
print("refused:", reply(extra, 10))
extra.close()
for s in idle:
    s.close()

idle = [connect() for _ in range(15)]
good = connect()
good.sendall(b"info\n")
print("served:", last_line(reply(good, 10)))
good.close()
for s in idle:
    s.close()

slow = connect()
slow.setblocking(False)
answer = ""
for _ in range(24):
    try:
        slow.sendall(b"i")
    except OSError:
        pass
    time.sleep(0.5)
    try:
        b = slow.recv(4096)
        answer = b.decode(errors="replace").strip() if b else "<closed>"
        break
    except BlockingIOError:
        continue
    except OSError as e:
        answer = "<%s>" % e
        break
print("slow:", answer if answer else "<still open after 12 s>")
slow.close()
