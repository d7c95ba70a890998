"""Builds the situations the doctor tests check, all owned by this process, then waits for stdin to close.

CLOSE_WAIT: 3 connections whose clients sent 5 bytes and closed; this process never reads nor closes the
server ends (and the closed clients are orphaned FIN_WAIT2). TIME_WAIT: 20 connections to one listener,
client closing first. Full accept queue: a listener with backlog 2 that never accepts, 6 clients.
Prints the ports as one JSON line once everything is in place.
"""
import json
import socket
import sys
import time


def listener(backlog=16):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    return s


cw = listener()
held = []
for _ in range(3):
    c = socket.create_connection(cw.getsockname())
    s, _ = cw.accept()
    c.sendall(b"hello")
    held.append(s)
    c.close()

tw = listener()
for _ in range(20):
    c = socket.create_connection(tw.getsockname())
    s, _ = tw.accept()
    c.close()
    s.recv(1)
    s.close()

full = listener(backlog=2)
pending = []
for _ in range(6):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(full.getsockname())
    except BlockingIOError:
        pass
    pending.append(c)

time.sleep(0.5)
print(json.dumps({"close_wait_port": cw.getsockname()[1], "time_wait_port": tw.getsockname()[1],
                  "full_port": full.getsockname()[1]}), flush=True)
sys.stdin.read()
