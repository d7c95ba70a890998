"""Opens N loopback connections and holds both ends (2N sockets owned by this process) until stdin closes."""
import socket
import sys

n = int(sys.argv[1])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(4096)
address = listener.getsockname()
held = []
for _ in range(n):
    held.append(socket.create_connection(address))
    held.append(listener.accept()[0])
print("ready", len(held), flush=True)
sys.stdin.read()
