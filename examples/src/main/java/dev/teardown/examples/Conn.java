package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/** A listener and one connection to it on loopback: the client end, the accepted server end, and their ports. */
final class Conn implements AutoCloseable {
    final TcpListener listener;
    final TcpSocket client;
    final TcpSocket server;
    final int clientPort;
    final int serverPort;

    private Conn(TcpListener listener, TcpSocket client, TcpSocket server) throws Exception {
        this.listener = listener;
        this.client = client;
        this.server = server;
        this.clientPort = client.localAddress().getPort();
        this.serverPort = listener.localAddress().getPort();
    }

    static Conn open(Timeline t) throws Exception {
        TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        if (t != null) {
            t.watch(l.localAddress().getPort());
        }
        TcpSocket c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
        TcpSocket s = l.accept(Duration.ofSeconds(5));
        return new Conn(l, c, s);
    }

    /** Aborts whatever is still open, so no scenario leaves sockets behind. */
    @Override
    public void close() {
        client.close(CloseMode.ABORT);
        server.close(CloseMode.ABORT);
        listener.close();
    }
}
