#!/usr/bin/env python3
# fake-ctl.py - a stand-in for vireo-headless's control socket, so the
# client side of vireo-manage can be tested before (and without) a VM:
#   fake-ctl.py <machine folder> <request log> [pidfile]
# Serves conventions.md's protocol: one request line per connection,
# data lines, then "ok" or "error <message>".  Runs until killed.
import os
import socket
import sys

folder, log = sys.argv[1], sys.argv[2]
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as f:
        f.write(str(os.getpid()))

# bind through /proc/self/fd when the path is too long for sun_path
path = os.path.join(folder, "vireo.ctl")
dfd = None
if len(path.encode()) >= 108:
    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    path = "/proc/self/fd/%d/vireo.ctl" % dfd
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o600)
srv.listen(8)

INFO = [
    'VMState="running"',
    'VMStateChangeTime="2026-11-21T23:00:00.000000000"',
    "vrdeport=5000",
    'VRDEActiveConnection="on"',
    "VRDEClients==1",
    'VRDEUserName="alice \\"the\\" user"',
    'VRDEClientIP="127.0.0.1"',
]


def answer(req):
    f = req.split("\t")
    if f[0] == "info":
        return INFO + ["ok"]
    if f[0] in ("pause", "resume", "reset", "poweroff", "acpipowerbutton"):
        return ["ok"]
    if f[0] in ("vrde", "vrdeport", "vrdeproperty", "setvideomodehint",
                "keyboardputscancode"):
        return ["ok"]
    if f[0] == "screenshotpng":
        if "fail" in f[1]:
            return ["error cannot write %s" % f[1]]
        return ["ok"]
    return ["error unknown request %s" % f[0]]


while True:
    c, _ = srv.accept()
    data = b""
    while not data.endswith(b"\n") and len(data) <= 4096:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    if data:
        req = data.decode().rstrip("\n")
        with open(log, "a") as f:
            f.write(req + "\n")
        c.sendall(("\n".join(answer(req)) + "\n").encode())
    c.close()
