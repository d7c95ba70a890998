"""An HTTP/1.1 keep-alive server with a short idle timeout, as the pooled clients' peer in the agent's tests.

GET /price answers a few bytes, /stock 64 KiB, /big 1 MiB. A connection that sends no request for IDLE seconds, or
whose client does not take a response within IDLE seconds, is closed by the server. Lines on its standard input:
"expect N" has the next N /price requests answered together (each then has a connection of its own), "close"
closes every connection at once. With a certificate and its key as further arguments it serves over TLS, and closes a
connection with a close_notify alert before its FIN. Prints "port N", then serves until its standard input closes (its
parent JVM exited).
"""
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IDLE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
CERT = sys.argv[2:4]  # certificate and key: serve over TLS
BODIES = {"/price": b"42\n", "/stock": b"s" * 65536, "/big": b"b" * (1 << 20)}
OPEN = set()
OPEN_LOCK = threading.Lock()
PRICE_BARRIER = [None]  # set by "expect N": the next N /price requests answer together


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE  # socket timeout: reading the next request, and sending a response nobody reads

    def setup(self):
        super().setup()
        with OPEN_LOCK:
            OPEN.add(self.connection)

    def finish(self):
        with OPEN_LOCK:
            OPEN.discard(self.connection)
        super().finish()

    def do_GET(self):
        body = BODIES.get(self.path.split("?")[0])
        barrier = PRICE_BARRIER[0]
        if self.path == "/price" and barrier is not None:
            try:
                barrier.wait(timeout=30)  # all N calls in flight at once: each has a connection of its own
            except threading.BrokenBarrierError:
                pass
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (socket.timeout, OSError):
            self.close_connection = True

    def log_message(self, fmt, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def shutdown_request(self, request):
        if isinstance(request, ssl.SSLSocket):  # as a TLS server does: close_notify, then the FIN
            try:
                request.settimeout(0.2)
                request.unwrap()
            except (OSError, ValueError):
                pass  # sent; the client's own close_notify is not waited for
        super().shutdown_request(request)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    if CERT:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERT[0], CERT[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print("port %d" % server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for line in sys.stdin:  # "close": close every connection now, as an idle timeout would; EOF: the parent is gone
        if line.startswith("expect "):
            PRICE_BARRIER[0] = threading.Barrier(int(line.split()[1]))
            print("ok", flush=True)
        elif line.strip() == "close":
            with OPEN_LOCK:
                for conn in list(OPEN):
                    try:
                        conn.shutdown(socket.SHUT_RDWR)  # FIN, and the handler's read returns: it closes
                    except OSError:
                        pass
            print("closed", flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
