"""Opens and closes loopback connections as fast as it can until killed: a table that changes while it is read."""
import socket

l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(128)
while True:
    c = socket.create_connection(l.getsockname())
    s, _ = l.accept()
    c.close()
    s.close()
