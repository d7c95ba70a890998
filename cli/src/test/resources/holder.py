"""Holds N CLOSE_WAIT sockets for the namespace tests: N loopback connections whose clients sent 7 bytes and closed
(their ends become orphaned FIN_WAIT2), the server ends kept open and never read; plus 2 established pairs. Renames
itself (its kernel name, /proc/self/comm) to argv[2] when given, so that label escaping can be checked. Prints
"ready" and the listener's port, then waits for stdin to close. Extra arguments only make the command line long."""
import socket
import sys

n = int(sys.argv[1])
if len(sys.argv) > 2 and sys.argv[2]:
    with open("/proc/self/comm", "w") as f:
        f.write(sys.argv[2])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
held = []
for _ in range(n):
    c = socket.create_connection(listener.getsockname())
    s, _ = listener.accept()
    c.sendall(b"goodbye")
    c.close()
    held.append(s)
for _ in range(2):
    c = socket.create_connection(listener.getsockname())
    held.append(c)
    held.append(listener.accept()[0])
print("ready", listener.getsockname()[1], flush=True)
sys.stdin.read()
